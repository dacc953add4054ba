'use strict'
// Writes lib/official-surface.js: the names of the official client's surface, so that
// milvus-native can define its delegated methods without loading @zilliz/milvus2-sdk-node.
// `node scripts/official-surface.js` regenerates it; `__test__/delegate.test.js` checks that the
// committed file equals what this produces from the installed SDK.
//
// - async / sync: every public function of an official MilvusClient (its prototype chain, and
//   the aliases its constructor assigns per instance), async when its declared return type is a
//   Promise (the compiled SDK wraps async methods in plain functions: the runtime cannot tell);
// - properties: the public per-instance data properties;
// - internal: the private and protected members (not delegated);
// - exports: every name the package exports, and each one's kind (lib/lazy-exports.js): objects
//   and arrays, functions with a `prototype` (classes and `function`s: constructors) and without
//   one (arrow functions), and the values of the others (numbers and strings), copied here.

const fs = require('node:fs')
const path = require('node:path')

const SDK = '@zilliz/milvus2-sdk-node'
const OUT = path.join(__dirname, '..', 'lib', 'official-surface.js')

/** The runtime surface of an official client, from a client made without connecting. */
function runtimeSurface() {
  const sdk = require(SDK)
  const functions = new Set()
  for (let p = sdk.MilvusClient.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, name).value === 'function') functions.add(name)
    }
  }
  const client = new sdk.MilvusClient({ address: '127.0.0.1:1', __SKIP_CONNECT__: true })
  const properties = []
  for (const name of Object.getOwnPropertyNames(client)) {
    if (typeof client[name] === 'function') functions.add(name)
    else properties.push(name)
  }
  return { client, functions: [...functions], properties, exports: Object.keys(sdk), sdk }
}

/** kind -> names, and the values of the primitive exports, from the loaded SDK. */
function exportKinds(sdk, names) {
  const kinds = { objects: [], arrays: [], constructors: [], functions: [] }
  const values = {}
  for (const name of names) {
    const v = sdk[name]
    if (typeof v === 'function') kinds[Object.prototype.hasOwnProperty.call(v, 'prototype') ? 'constructors' : 'functions'].push(name)
    else if (Array.isArray(v)) kinds.arrays.push(name)
    else if (typeof v === 'object' && v !== null) kinds.objects.push(name)
    else if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0))) values[name] = v
    // A value JSON would not keep (a symbol, a bigint, NaN, undefined...) needs thought first.
    else throw new Error(`export ${name}: ${typeof v} ${String(v)} has no kind here`)
  }
  return { kinds, values }
}

/** name -> 'async' | 'sync', from the declared types of the official MilvusClient. */
function declaredKinds(names) {
  const ts = require('typescript')
  const entry = require.resolve(`${SDK}/package.json`)
  const pkg = JSON.parse(fs.readFileSync(entry, 'utf8'))
  const dts = path.join(path.dirname(entry), pkg.types)
  const program = ts.createProgram([dts], { strict: true, noEmit: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(dts)
  const moduleSymbol = checker.getSymbolAtLocation(file)
  const classSymbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === 'MilvusClient')
  const resolved = classSymbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(classSymbol) : classSymbol
  const instance = checker.getDeclaredTypeOfSymbol(resolved)
  const kinds = {}
  for (const name of names) {
    const prop = instance.getProperty(name)
    if (!prop) throw new Error(`MilvusClient.${name} exists at run time but is not declared`)
    const hidden = (prop.declarations || []).some(
      (d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
    )
    if (hidden) {
      kinds[name] = 'internal'
      continue
    }
    const type = checker.getTypeOfSymbol(prop)
    const sigs = type.getCallSignatures()
    if (sigs.length === 0) {
      kinds[name] = 'property'
      continue
    }
    const promise = sigs.map((s) => {
      const ret = checker.getReturnTypeOfSignature(s)
      const sym = ret.getSymbol() || ret.aliasSymbol
      return sym !== undefined && sym.name === 'Promise'
    })
    if (new Set(promise).size !== 1) throw new Error(`MilvusClient.${name}: overloads disagree on returning a Promise`)
    kinds[name] = promise[0] ? 'async' : 'sync'
  }
  return kinds
}

/** Names as a template literal, wrapped (lib/delegate.js splits it on white space). */
function words(names) {
  const lines = []
  let line = ''
  for (const n of names) {
    if (line && line.length + n.length + 1 > 96) {
      lines.push(line)
      line = ''
    }
    line = line ? `${line} ${n}` : n
  }
  if (line) lines.push(line)
  return ['`', ...lines.map((l) => `    ${l}`), '  `'].join('\n')
}

/** The text of lib/official-surface.js for the installed SDK. */
function generate() {
  const { client, functions, properties, exports, sdk } = runtimeSurface()
  const version = require(`${SDK}/package.json`).version
  const kinds = declaredKinds([...functions, ...properties])
  const done = client.closeConnection()
  const pick = (names, kind) => names.filter((n) => kinds[n] === kind).sort()
  const all = [...functions, ...properties]
  const sorted = [...exports].sort()
  const byKind = exportKinds(sdk, sorted)
  const lines = [
    "'use strict'",
    `// Generated by scripts/official-surface.js from ${SDK} ${version}; do not edit.`,
    "// The official MilvusClient's public methods (async: declared to return a Promise; sync: the",
    '// others), its public per-instance data properties, its private and protected members (not',
    "// delegated) and the package's exports, by kind (lib/lazy-exports.js), with the values of the",
    '// numbers and strings. Strings of names, which cost next to nothing to load.',
    '',
    'module.exports = {',
    `  version: ${JSON.stringify(version)},`,
    `  async: ${words(pick(functions, 'async'))},`,
    `  sync: ${words(pick(functions, 'sync'))},`,
    `  properties: ${words(pick(all, 'property'))},`,
    `  internal: ${words(pick(all, 'internal'))},`,
    `  exports: ${words(sorted)},`,
    ...Object.entries(byKind.kinds).map(([kind, names]) => `  ${kind}: ${words(names)},`),
    '  values: {',
    ...Object.entries(byKind.values).map(([name, v]) => `    ${name}: ${JSON.stringify(v)},`),
    '  },',
    '}',
    '',
  ]
  return { text: lines.join('\n'), done }
}

if (require.main === module) {
  const { text, done } = generate()
  fs.writeFileSync(OUT, text)
  Promise.resolve(done).then(() => process.exit(0))
}

module.exports = { generate, OUT }
