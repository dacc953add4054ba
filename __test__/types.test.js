'use strict'
// `__test__/types/compat.ts` (the official SDK's snapshot types against ours, both ways; the
// quickstart; negative checks) compiles with `tsc --noEmit --strict`. `skipLibCheck` is off
// there, so `index.d.ts` itself is type-checked too.

const { test } = require('node:test')
const assert = require('node:assert')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

test('compat.ts: official and milvus-native snapshot types interchange under tsc --strict', () => {
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.strictEqual(r.error, undefined)
  assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`)
})
