'use strict'
// Issue 17, types and the swapped import (tsc --strict, skipLibCheck off, the TypeScript API):
// - the app (__test__/types/app.ts) and every TypeScript example of the official SDK's
//   README (read from the installed package, not copied here) compile with the import switched
//   to 'milvus-native' exactly when they compile with '@zilliz/milvus2-sdk-node';
// - the app's two builds (milvus-native, official) run against milvus-sim and print the same.
// The project lives in a temporary directory whose node_modules links to this package and to
// the repository's @zilliz, as a user's project with both installed.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ts = require('typescript')
const { startSim } = require('./helpers/sim')
const surface = require('../lib/delegate.js').surfaceNames()

const root = path.join(__dirname, '..')
const SDK = '@zilliz/milvus2-sdk-node'

let dir
let program
const readmeBlocks = [] // { name, native, official }

// TypeScript blocks of the official README, each made a module: the import switched to `pkg`,
// and the official names it uses without importing them (and `client`) declared first.
function readmeModules(pkg) {
  const text = fs.readFileSync(path.join(root, 'node_modules', SDK, 'README.md'), 'utf8')
  const blocks = [...text.matchAll(/^```typescript\n([\s\S]*?)^```/gm)].map((m) => m[1])
  return blocks.map((body) => {
    const code = body.replaceAll(`'${SDK}'`, `'${pkg}'`)
    const imported = new Set([...code.matchAll(/import\s*\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((s) => s.trim())))
    const names = ['MilvusClient', ...surface.exports].filter(
      (n) => !imported.has(n) && new RegExp(`\\b${n}\\b`).test(code)
    )
    const unique = [...new Set(names)]
    const head = []
    if (unique.length > 0) head.push(`import { ${unique.join(', ')} } from '${pkg}'`)
    if (!/\b(const|let|var)\s+client\b/.test(code)) {
      if (!imported.has('MilvusClient') && !unique.includes('MilvusClient')) head.push(`import { MilvusClient } from '${pkg}'`)
      head.push('declare const client: MilvusClient')
    }
    return `${head.join('\n')}\n${code}\nexport {}\n`
  })
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-types-'))
  fs.mkdirSync(path.join(dir, 'node_modules', '@zilliz'), { recursive: true })
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'milvus-native'), 'dir')
  fs.symlinkSync(path.join(root, 'node_modules', SDK), path.join(dir, 'node_modules', SDK), 'dir')
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }))

  const app = fs.readFileSync(path.join(__dirname, 'types', 'app.ts'), 'utf8')
  assert.match(app, /from 'milvus-native'/)
  fs.writeFileSync(path.join(dir, 'app-native.ts'), app)
  fs.writeFileSync(path.join(dir, 'app-official.ts'), app.replace(`from 'milvus-native'`, `from '${SDK}'`))
  const files = ['app-native.ts', 'app-official.ts']
  const native = readmeModules('milvus-native')
  const official = readmeModules(SDK)
  native.forEach((code, i) => {
    const name = `readme-${i}`
    fs.writeFileSync(path.join(dir, `${name}-native.mts`), code)
    fs.writeFileSync(path.join(dir, `${name}-official.mts`), official[i])
    files.push(`${name}-native.mts`, `${name}-official.mts`)
    readmeBlocks.push({ name })
  })
  program = ts.createProgram(
    files.map((f) => path.join(dir, f)),
    {
      strict: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      typeRoots: [path.join(root, 'node_modules', '@types')],
      types: ['node'],
      outDir: path.join(dir, 'out'),
    }
  )
})

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function errors(file) {
  const sf = program.getSourceFile(path.join(dir, file))
  assert.ok(sf, `${file} not in the program`)
  return ts
    .getPreEmitDiagnostics(program, sf)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
}

test('the declarations themselves type-check (index.d.ts, core.d.ts, the official d.ts)', () => {
  const global = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || /\.d\.ts$/.test(d.file.fileName))
  assert.deepEqual(global.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [])
})

test("the issue's app compiles with only the import changed", () => {
  assert.deepEqual(errors('app-official.ts'), [])
  assert.deepEqual(errors('app-native.ts'), [])
})

test("the official README's examples compile against milvus-native exactly as against the SDK", () => {
  // Same diagnostics, file names aside: where the README's block is a signature written as code
  // (`collection_name: string;`) or uses a variable it never declares, both fail alike.
  let compiled = 0
  for (const { name } of readmeBlocks) {
    const official = errors(`${name}-official.mts`).map((e) => e.replace(/^[^:]*: /, ''))
    const native = errors(`${name}-native.mts`).map((e) => e.replace(/^[^:]*: /, ''))
    assert.deepEqual(native, official, name)
    if (official.length === 0) compiled++
  }
  assert.ok(compiled >= 10, `only ${compiled} of ${readmeBlocks.length} README blocks compile with the official SDK`)
})

test("the app's two builds run against milvus-sim and print the same", { timeout: 120_000 }, async () => {
  const emitted = program.emit(undefined, (file, text) => {
    if (/app-(native|official)\.js$/.test(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, text)
    }
  })
  assert.equal(emitted.emitSkipped, false)
  const run = async (variant) => {
    const sim = await startSim({ args: ['--collection', 'books', '--tick-ms', '20', '--restore-ms', '100'] })
    const lines = []
    try {
      const { restoreAndCheck } = require(path.join(dir, 'out', `app-${variant}.js`))
      await restoreAndCheck(sim.address, 'books', (step, value) => lines.push([step, value]))
    } finally {
      await sim.stop()
    }
    return lines
  }
  const official = await run('official')
  const native = await run('native')
  assert.deepEqual(native, official)
  const got = Object.fromEntries(native)
  assert.equal(got.hasCollection.value, true)
  assert.equal(got['hasCollection while restoring'].value, false)
  assert.equal(got['hasCollection restored'].value, true)
  assert.deepEqual(got.describeCollection.fields, [
    ['id', 'Int64', true],
    ['vector', 'FloatVector', false],
  ])
  assert.deepEqual(got.showCollections, ['books', 'books_restored'])
  assert.equal(got['describeCollection unknown'].status.code, 100)
  assert.equal(got['hasCollection dropped'].value, false)
  assert.equal(native.length, official.length)
})
