'use strict'
// N-API only (issue 15, point 1; SPEC §7.18): the built addon takes no symbol from the host
// process but Node-API's. Every symbol it leaves undefined is either versioned (the C library,
// libgcc's unwinder) or a `napi_*` / `node_api_*` function: no `uv_*`, nothing of V8 or Node.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..')

test('the addon imports Node-API functions only (nm -D --undefined-only)', { skip: process.platform !== 'linux' && 'reads an ELF file with nm' }, () => {
  const addons = fs.readdirSync(REPO).filter((f) => f.endsWith('.node'))
  assert.ok(addons.length > 0, 'no built .node file in the repository root')
  for (const file of addons) {
    const out = execFileSync('nm', ['-D', '--undefined-only', path.join(REPO, file)], { encoding: 'utf8' })
    const undefinedSymbols = out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0] === 'U')
      .map((f) => f[1])
    const host = undefinedSymbols.filter((s) => !s.includes('@'))
    assert.ok(host.some((s) => s.startsWith('napi_')), `${file}: no napi_ import at all: is this the addon?`)
    assert.deepEqual(host.filter((s) => !/^(napi_|node_api_)/.test(s)), [], `${file} imports host symbols other than Node-API`)
    assert.deepEqual(undefinedSymbols.filter((s) => s.startsWith('uv_')), [], `${file} imports libuv`)
  }
})
