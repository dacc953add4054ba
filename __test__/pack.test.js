'use strict'
// The package as users get it: `npm pack`, then install the tarball into a fresh project
// (no Rust, no napi CLI, no lifecycle script needed), then `require`, `import` and a
// TypeScript quickstart against the installed copy.

const { test, before, after } = require('node:test')
const assert = require('node:assert')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

let tmp
let project
let packed

function run(cmd, args, cwd) {
  // npm_config_* from an enclosing `npm test` would leak into the nested npm (e.g. its cwd).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-pack-'))
  // --ignore-scripts: the addon is already built in the repo; `prepare` would rebuild it.
  const out = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root)
  packed = JSON.parse(out)[0]
  project = path.join(tmp, 'app')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  // Lifecycle scripts are left on: installing must not need any (no build at install time).
  run(
    npm,
    ['install', path.join(tmp, packed.filename), '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'],
    project
  )
})

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('the tarball carries the entries, the declarations and the host binary, and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort()
  for (const f of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'binding.js', 'binding.d.ts']) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`)
  }
  const hostBinaries = fs.readdirSync(root).filter((f) => f.endsWith('.node'))
  assert.ok(hostBinaries.length > 0, 'no prebuilt .node in the repository: run `npm run build` first')
  for (const f of hostBinaries) assert.ok(files.includes(f), `${f} missing from the tarball`)
  const { bin = {} } = require('../package.json')
  for (const f of Object.values(bin)) assert.ok(files.includes(path.posix.normalize(f)), `bin ${f} missing from the tarball`)
  const stray = files.filter((f) => /^(src|sim|target|__test__|proto|bench|scripts|\.ci)\/|^Cargo\.|^build\.rs$/.test(f))
  assert.deepStrictEqual(stray, [])

  const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'milvus-native', 'package.json'), 'utf8'))
  for (const s of ['preinstall', 'install', 'postinstall']) assert.strictEqual(pkg.scripts?.[s], undefined, s)
  assert.deepStrictEqual(pkg.exports['.'], { types: './index.d.ts', import: './index.mjs', require: './index.js' })
})

const probe = `
const { MilvusClient, RestoreSnapshotState, ErrorCode } = m
if (typeof MilvusClient !== 'function') throw new Error('MilvusClient: ' + typeof MilvusClient)
if (RestoreSnapshotState.RestoreSnapshotCompleted !== 'RestoreSnapshotCompleted') throw new Error('RestoreSnapshotState')
if (ErrorCode.SUCCESS !== 'Success') throw new Error('ErrorCode')
const c = new MilvusClient({ address: '127.0.0.1:1', __SKIP_CONNECT__: true })
if (!(c instanceof MilvusClient)) throw new Error('instance')
console.log('ok')
`

test('require() loads the installed package and its binary', () => {
  const out = run(process.execPath, ['-e', `const m = require('milvus-native');${probe}`], project)
  assert.strictEqual(out.trim(), 'ok')
})

test('import loads the same module instance as require', () => {
  const src = `
import * as m from 'milvus-native'
import { createRequire } from 'node:module'
import def from 'milvus-native'
${probe}
const cjs = createRequire(import.meta.url)('milvus-native')
const named = Object.keys(m).filter((k) => k !== 'default').sort()
if (named.join() !== Object.keys(cjs).sort().join()) throw new Error('ESM names ' + named + ' differ from CJS')
// The official SDK is not installed here: its re-exported names are undefined in ESM and throw
// in CommonJS (README, "The rest of MilvusClient"), so compare milvus-native's own exports.
const own = Object.keys(createRequire(import.meta.url)('milvus-native/core'))
if (own.some((k) => m[k] !== cjs[k]) || def !== cjs) throw new Error('two module instances')
if (m.DataType !== undefined) throw new Error('DataType without the SDK: ' + typeof m.DataType)
`
  const out = run(process.execPath, ['--input-type=module', '-e', src], project)
  assert.strictEqual(out.trim(), 'ok')
})

test('the quickstart type-checks against the installed package (tsc --strict, node16 resolution)', () => {
  const quickstart = `
import { MilvusClient, RestoreSnapshotState, type GetRestoreSnapshotStateResponse } from 'milvus-native'

const client = new MilvusClient({ address: 'localhost:19530', token: 'root:Milvus' })
const res: GetRestoreSnapshotStateResponse = await client.getRestoreSnapshotState({ job_id: '4471', timeout: 5000, client_request_id: 'trace-1' })
if (res.info?.state === RestoreSnapshotState.RestoreSnapshotCompleted) {
  console.log(res.info.progress)
}
// @ts-expect-error job_id is required (the declarations are not \`any\`)
await client.getRestoreSnapshotState({})
`
  fs.writeFileSync(path.join(project, 'quickstart.mts'), quickstart)
  fs.writeFileSync(path.join(project, 'quickstart-cjs.ts'), "import m = require('milvus-native')\nexport const c = new m.MilvusClient('localhost:19530')\n")
  // skipLibCheck: checking all of @types/node takes ~10x longer; types.test.js checks index.d.ts itself.
  const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'node16', '--moduleResolution', 'node16']
  // Users' projects have @types/node (AbortSignal, Buffer); borrow the repository's.
  args.push('--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node')
  args.push('quickstart.mts', 'quickstart-cjs.ts')
  try {
    run(process.execPath, args, project)
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`)
  }
})
