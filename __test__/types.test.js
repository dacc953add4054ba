'use strict'
// The declarations against the code and against the official SDK:
// - every runtime export of core.js is declared in core.d.ts and re-exported by core.mjs; index.js
//   exports those plus the official SDK's exports (lib/official-surface.js), all re-exported by
//   index.mjs; the declared enums have exactly the runtime members and values;
// - `__test__/types/compat.ts` (the official SDK's snapshot types against ours, both ways;
//   the quickstart; negative checks) compiles with `tsc --noEmit --strict`. `skipLibCheck` is
//   off there, so `index.d.ts` itself is type-checked too.

const { test } = require('node:test')
const assert = require('node:assert')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const dts = fs.readFileSync(path.join(root, 'core.d.ts'), 'utf8')
const core = require('../core.js')
const cjs = require('../index.js')
const surface = require('../lib/delegate.js').surfaceNames()

test('core.d.ts declares every export of core.js, and core.mjs re-exports them all', async () => {
  const declared = [...dts.matchAll(/^export declare (?:class|enum|const|function) (\w+)/gm)].map((m) => m[1])
  assert.deepStrictEqual(declared.sort(), Object.keys(core).sort())
  const esm = await import('../core.mjs')
  const named = Object.keys(esm).filter((k) => k !== 'default')
  assert.deepStrictEqual(named.sort(), Object.keys(core).sort())
  for (const k of named) assert.strictEqual(esm[k], core[k], k)
  assert.strictEqual(esm.default, core)
})

test('index.js exports core.js and the official exports, and index.mjs re-exports them all', async () => {
  const want = [...new Set([...Object.keys(core), ...surface.exports])].sort()
  assert.deepStrictEqual(Object.keys(cjs).sort(), want)
  for (const k of Object.keys(core)) assert.strictEqual(cjs[k], core[k], k)
  const esm = await import('../index.mjs')
  const named = Object.keys(esm).filter((k) => k !== 'default')
  assert.deepStrictEqual(named.sort(), want)
  for (const k of named) assert.strictEqual(esm[k], cjs[k], k)
  assert.strictEqual(esm.default, cjs)
  // index.d.ts re-exports every declaration of core.d.ts by name (the official ones by `export *`).
  const own = [...dts.matchAll(/^export (?:declare )?(?:type|interface|enum|class|const|function) (\w+)/gm)].map((m) => m[1])
  const index = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')
  const block = index.match(/^export \{([^}]*)\} from '\.\/core'/m)
  assert.ok(block, "index.d.ts: export { ... } from './core'")
  const reexported = block[1].split(',').map((s) => s.trim()).filter(Boolean)
  assert.deepStrictEqual([...reexported, 'MilvusClient'].sort(), own.sort())
})

test('the declared enums have the runtime members and values, in order', () => {
  for (const name of ['RestoreSnapshotState', 'ErrorCode']) {
    const body = dts.match(new RegExp(`export declare enum ${name} \\{([^}]*)\\}`))
    assert.ok(body, `enum ${name} not declared`)
    const members = [...body[1].matchAll(/^\s*(\w+) = '([^']*)',?$/gm)].map((m) => [m[1], m[2]])
    assert.deepStrictEqual(members, Object.entries(cjs[name]), name)
  }
})

test('compat.ts: official and milvus-native snapshot types interchange under tsc --strict', () => {
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.strictEqual(r.error, undefined)
  assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`)
})
