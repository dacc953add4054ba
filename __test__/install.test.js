'use strict'
// Issue 16, item 4: `npm install milvus-native` as a user gets it, from a registry.
//
// `scripts/pack-platforms.js` (npm run pack:platforms) makes the main package and this
// machine's platform package (addon and milvus-sim, glibc 2.17 through zig). A throwaway
// verdaccio on 127.0.0.1 (no uplinks) gets them, plus the main package's own dependencies
// (packed from this checkout's node_modules, so nothing is fetched from anywhere else). A clean
// project then runs `npm install milvus-native` with a PATH that holds only node and npm: no
// cargo, no C compiler, no git. It must get exactly this machine's platform package, load it,
// and talk to the simulator that came with it.
//
// The other platform packages cannot be built runnably here (no macOS/Windows toolchain, no
// musl Node). For the `--os/--cpu/--libc` selection checks, their packages are published as
// SELECTION FIXTURES: the real npm/<platform>/package.json (as `napi create-npm-dirs` writes it
// in pack:platforms and in a release: the os/cpu/libc fields a release publishes) and README,
// but no binary. They test npm's
// choice between our manifests, not those binaries; the tests below say so where they use them.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')
const { startRegistry } = require('./helpers/registry.js')

const REPO = path.resolve(__dirname, '..')
const pkg = require('../package.json')
const execFileP = promisify(execFile)

let tmp
let registry
let packed // pack-platforms.js's result
let cleanEnv // PATH = node and npm only
let project
let installOutput // what `npm install milvus-native` printed
const published = []

// npm_config_* of an enclosing `npm test` must not reach the nested npm.
function baseEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
}

function npmCli() {
  // npm's own entry (npm-cli.js), found next to this node, or through PATH.
  const candidates = [path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin')]
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const f = path.join(dir, 'npm')
    if (dir && fs.existsSync(f)) candidates.push(path.dirname(fs.realpathSync(f)))
  }
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'npm-cli.js'))) return path.join(dir, 'npm-cli.js')
  throw new Error('npm-cli.js not found')
}

let lastStderr = ''
async function npm(args, { cwd, env = baseEnv(), timeout = 180_000 } = {}) {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [npmCli(), ...args], { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 })
    lastStderr = stderr
    return stdout
  } catch (e) {
    throw new Error(`npm ${args.join(' ')} failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}`)
  }
}

async function publish(tarball) {
  await npm(['publish', tarball, '--ignore-scripts', '--userconfig', registry.npmrc, '--registry', registry.url, '--tag', 'latest'], { cwd: tmp })
  published.push(path.basename(tarball))
}

// The main package's runtime dependencies, as installed in this checkout, packed as they are.
function runtimeDependencyDirs() {
  const seen = new Map()
  const visit = (fromDir, deps) => {
    for (const name of Object.keys(deps || {})) {
      let dir = fromDir
      let found
      for (;;) {
        const cand = path.join(dir, 'node_modules', name)
        if (fs.existsSync(path.join(cand, 'package.json'))) {
          found = cand
          break
        }
        if (dir === REPO || path.dirname(dir) === dir) break
        dir = path.dirname(path.dirname(dir)) // up one node_modules level
      }
      if (!found) throw new Error(`dependency ${name} is not installed in ${REPO}`)
      const m = JSON.parse(fs.readFileSync(path.join(found, 'package.json'), 'utf8'))
      const key = `${m.name}@${m.version}`
      if (seen.has(key)) continue
      seen.set(key, found)
      visit(found, m.dependencies)
    }
  }
  visit(REPO, pkg.dependencies)
  return [...seen.values()]
}

// A temp bin dir with node, npm and npx only.
function nodeOnlyPath(dir) {
  fs.mkdirSync(dir)
  fs.symlinkSync(process.execPath, path.join(dir, 'node'))
  const npmBin = path.dirname(npmCli())
  fs.symlinkSync(path.join(npmBin, 'npm-cli.js'), path.join(dir, 'npm'))
  fs.symlinkSync(path.join(npmBin, 'npx-cli.js'), path.join(dir, 'npx'))
  return dir
}

function newProject(name) {
  const dir = path.join(tmp, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true }))
  return dir
}

function platformPackagesIn(dir) {
  return fs
    .readdirSync(path.join(dir, 'node_modules'))
    .filter((n) => n.startsWith(`${pkg.name}-`))
    .sort()
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-install-'))
  // Builds with zig only when target/platforms/ has no build yet (a few minutes), else repacks.
  const script = path.join(REPO, 'scripts', 'pack-platforms.js')
  const out = execFileSync(process.execPath, [script, '--reuse', '--out', path.join(tmp, 'dist'), '--manifests', path.join(tmp, 'manifests')], {
    cwd: REPO,
    env: baseEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  })
  packed = JSON.parse(out)

  registry = await startRegistry()
  await publish(packed.main)
  await publish(packed.platform)
  // Selection fixtures (see the top of this file): the other targets' manifests, no binary.
  for (const t of pkg.napi.targets) {
    const { parseTriple } = require('@napi-rs/cli')
    const abi = parseTriple(t).platformArchABI
    if (abi === packed.platformArchABI) continue
    const dir = path.join(packed.manifests, abi)
    assert.deepEqual(fs.readdirSync(dir).sort(), ['README.md', 'package.json'], `${abi}: a selection fixture is a manifest and a README only`)
    fs.mkdirSync(path.join(tmp, 'fixtures'), { recursive: true })
    const tgz = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', path.join(tmp, 'fixtures')], { cwd: dir }))[0]
    await publish(path.join(tmp, 'fixtures', tgz.filename))
  }
  for (const dir of runtimeDependencyDirs()) {
    const tgz = JSON.parse(await npm(['pack', dir, '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: tmp }))[0]
    await publish(path.join(tmp, tgz.filename))
  }

  const bin = nodeOnlyPath(path.join(tmp, 'bin'))
  fs.mkdirSync(path.join(tmp, 'home'))
  cleanEnv = {
    PATH: bin,
    HOME: path.join(tmp, 'home'),
    TMPDIR: tmp,
    npm_config_cache: path.join(tmp, 'npm-cache'),
    npm_config_registry: registry.url,
    npm_config_update_notifier: 'false',
    // npm runs scripts and npx through sh: the system's, by path (PATH has no /bin).
    npm_config_script_shell: '/bin/sh',
  }
  project = newProject('app')
  installOutput = await npm(['install', 'milvus-native', '--no-audit', '--no-fund'], { cwd: project, env: cleanEnv })
  installOutput += lastStderr
})

after(async () => {
  if (registry) await registry.stop()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('the main package: JavaScript only, no install script, one exact optional dependency per napi target', async () => {
  const files = execFileSync('tar', ['-tzf', packed.main], { encoding: 'utf8' }).trim().split('\n')
  assert.deepEqual(files.filter((f) => f.endsWith('.node')), [], 'a .node file in the main package')
  const stray = files.filter((f) => /^package\/(src|sim|target|__test__|proto|bench|scripts|npm|\.ci)\/|^package\/(Cargo\.|build\.rs)/.test(f))
  assert.deepEqual(stray, [])
  for (const f of ['index.js', 'index.d.ts', 'binding.js', 'platform.js', 'sim.js', 'sim.d.ts', 'bin/milvus-sim.js']) {
    assert.ok(files.includes(`package/${f}`), `${f} missing from ${files.join(', ')}`)
  }
  const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'milvus-native', 'package.json'), 'utf8'))
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(installed.scripts?.[s], undefined, `scripts.${s} is published`)
  assert.doesNotMatch(installOutput, /script|warn|ERR/i, 'npm install printed a warning')
  assert.match(installOutput, /added \d+ packages?/)
  const { parseTriple } = require('@napi-rs/cli')
  const expected = Object.fromEntries(pkg.napi.targets.map((t) => [`${pkg.name}-${parseTriple(t).platformArchABI}`, pkg.version]))
  assert.deepEqual(installed.optionalDependencies, expected)
})

test(`npm installs exactly this machine's platform package, with the addon and milvus-sim`, () => {
  assert.deepEqual(platformPackagesIn(project), [`${pkg.name}-${packed.platformArchABI}`])
  const dir = path.join(project, 'node_modules', `${pkg.name}-${packed.platformArchABI}`)
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  assert.equal(m.version, pkg.version)
  assert.deepEqual(m.os, [process.platform])
  assert.deepEqual(m.cpu, [process.arch])
  assert.ok(fs.statSync(path.join(dir, m.main)).size > 500_000, `${m.main} is not a real addon`)
  const sim = path.join(dir, process.platform === 'win32' ? 'milvus-sim.exe' : 'milvus-sim')
  assert.ok(fs.statSync(sim).mode & 0o100, 'milvus-sim is not executable after npm install')
  // No .node anywhere else in the tree.
  const nodes = []
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name))
      else if (e.name.endsWith('.node')) nodes.push(path.relative(project, path.join(d, e.name)))
    }
  }
  walk(path.join(project, 'node_modules'))
  assert.deepEqual(nodes, [path.join('node_modules', `${pkg.name}-${packed.platformArchABI}`, m.main)])
})

test('require() loads the platform package and calls the simulator that came with it (PATH: node and npm only)', async () => {
  const src = `
    const { MilvusClient } = require('milvus-native')
    const { startSim, simPath } = require('milvus-native/sim')
    ;(async () => {
      const sim = await startSim({ args: ['--collection', 'default/books'] })
      const client = new MilvusClient({ address: sim.address })
      const created = await client.createSnapshot({ collection_name: 'books', snapshot_name: 's1' })
      const listed = await client.listSnapshots({ collection_name: 'books' })
      const state = await client.getRestoreSnapshotState({ job_id: 1 })
      await client.closeConnection()
      await sim.stop()
      const addon = Object.keys(require.cache).filter((k) => k.endsWith('.node'))
      console.log(JSON.stringify({ created: created.code, listed, state: state.status.code, addon, sim: simPath() }))
    })().catch((e) => { console.error(e); process.exit(1) })
  `
  const { stdout } = await execFileP('node', ['-e', src], { cwd: project, env: cleanEnv, encoding: 'utf8', timeout: 60_000 })
  const r = JSON.parse(stdout)
  const platformDir = path.join(fs.realpathSync(project), 'node_modules', `${pkg.name}-${packed.platformArchABI}`)
  assert.equal(r.created, 0)
  assert.deepEqual(r.listed.snapshots, ['s1'])
  assert.equal(r.state, 2101, 'GetRestoreSnapshotState of an unknown job: job not found')
  assert.deepEqual(r.addon, [path.join(platformDir, `milvus-native.${packed.platformArchABI}.node`)])
  assert.equal(r.sim, path.join(platformDir, process.platform === 'win32' ? 'milvus-sim.exe' : 'milvus-sim'))
})

test('npx milvus-sim runs the packaged simulator', async () => {
  const { stdout } = await execFileP('npx', ['--no-install', 'milvus-sim', '--version'], { cwd: project, env: cleanEnv, encoding: 'utf8', timeout: 60_000 })
  assert.match(stdout, /^milvus-sim \d+\.\d+\.\d+/)
})

test('startSim: the simulator neither keeps its parent alive nor outlives it', async () => {
  const src = `require('milvus-native/sim').startSim().then((sim) => console.log(sim.pid))`
  const { stdout } = await execFileP('node', ['-e', src], { cwd: project, env: cleanEnv, encoding: 'utf8', timeout: 60_000 })
  const pid = Number(stdout.trim())
  assert.ok(pid > 0, `no pid: ${stdout}`)
  // The parent has exited (execFile resolved); the simulator sees EOF on stdin and exits.
  let alive = true
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(pid, 0)
      await new Promise((r) => setTimeout(r, 100))
    } catch (e) {
      assert.equal(e.code, 'ESRCH')
      alive = false
    }
  }
  assert.equal(alive, false, `milvus-sim ${pid} still runs 10 s after its parent exited`)
})

test('import loads the same module instance as require', async () => {
  const src = `
    import * as m from 'milvus-native'
    import def from 'milvus-native'
    import { startSim } from 'milvus-native/sim'
    import { createRequire } from 'node:module'
    const cjs = createRequire(import.meta.url)('milvus-native')
    if (typeof startSim !== 'function') throw new Error('startSim: ' + typeof startSim)
    const named = Object.keys(m).filter((k) => k !== 'default').sort()
    if (named.join() !== Object.keys(cjs).sort().join()) throw new Error('ESM names ' + named + ' differ from CJS')
    // Every name is the same value in both forms: milvus-native's own, and the official SDK's
    // (copied numbers and strings, proxies of objects and functions: lib/lazy-exports.js).
    const own = Object.keys(createRequire(import.meta.url)('milvus-native/core'))
    if (own.length === 0 || named.some((k) => m[k] !== cjs[k]) || def !== cjs) throw new Error('two module instances')
    // The official SDK is not installed here: using one of its objects throws the clear error.
    let code
    try { void m.DataType.Int64 } catch (e) { code = e.code }
    if (code !== 'ERR_MILVUS_SDK_MISSING') throw new Error('DataType without the SDK: ' + code)
    console.log('ok')
  `
  const { stdout } = await execFileP('node', ['--input-type=module', '-e', src], { cwd: project, env: cleanEnv, encoding: 'utf8', timeout: 60_000 })
  assert.equal(stdout.trim(), 'ok')
})

test('the quickstart (ESM and CommonJS) and startSim type-check against the installed package (tsc --strict, node16)', async () => {
  fs.writeFileSync(
    path.join(project, 'quickstart.mts'),
    `
import { MilvusClient, RestoreSnapshotState, type GetRestoreSnapshotStateResponse } from 'milvus-native'
import { startSim, type Sim } from 'milvus-native/sim'

const sim: Sim = await startSim({ fixtures: {}, args: ['--collection', 'books'] })
const client = new MilvusClient({ address: sim.address, token: 'root:Milvus' })
const res: GetRestoreSnapshotStateResponse = await client.getRestoreSnapshotState({ job_id: '4471', timeout: 5000 })
if (res.info?.state === RestoreSnapshotState.RestoreSnapshotCompleted) console.log(res.info.progress)
await sim.stop()
// @ts-expect-error port is a number
await startSim({ port: '1' })
`
  )
  fs.writeFileSync(path.join(project, 'quickstart-cjs.ts'), "import m = require('milvus-native')\nexport const c = new m.MilvusClient('localhost:19530')\n")
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'node16', '--moduleResolution', 'node16']
  args.push('--typeRoots', path.join(REPO, 'node_modules', '@types'), '--types', 'node', 'quickstart.mts', 'quickstart-cjs.ts')
  try {
    await execFileP(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 120_000 })
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`)
  }
})

// npm picks the platform package by the os/cpu/libc of our generated manifests. The packages
// for these platforms are the SELECTION FIXTURES described at the top (manifest only).
const selections = [
  { flags: ['--os', 'linux', '--cpu', 'arm64', '--libc', 'musl'], expect: 'linux-arm64-musl' },
  { flags: ['--os', 'linux', '--cpu', 'arm64', '--libc', 'glibc'], expect: 'linux-arm64-gnu' },
  { flags: ['--os', 'darwin', '--cpu', 'arm64'], expect: 'darwin-arm64' },
  { flags: ['--os', 'win32', '--cpu', 'x64'], expect: 'win32-x64-msvc' },
]
for (const { flags, expect } of selections) {
  test(`npm install ${flags.join(' ')} selects ${pkg.name}-${expect} only (selection fixture: manifest, no binary)`, async () => {
    const dir = newProject(`select-${expect}`)
    await npm(['install', 'milvus-native', ...flags, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env: cleanEnv })
    assert.deepEqual(platformPackagesIn(dir), [`${pkg.name}-${expect}`])
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', `${pkg.name}-${expect}`, 'package.json'), 'utf8'))
    assert.deepEqual(m, JSON.parse(fs.readFileSync(path.join(packed.manifests, expect, 'package.json'), 'utf8')), 'the fixture is the generated manifest')
    assert.ok(!fs.readdirSync(path.join(dir, 'node_modules', `${pkg.name}-${expect}`)).some((f) => f.endsWith('.node')), 'a fixture has no binary')
    const flag = (f) => flags[flags.indexOf(f) + 1]
    assert.deepEqual([m.os, m.cpu], [[flag('--os')], [flag('--cpu')]])
    if (flags.includes('--libc')) assert.deepEqual(m.libc, [flag('--libc')])
  })
}

test('with the platform package missing, require() names the platform, the supported ones and how to build', async () => {
  const dir = newProject('omit-optional')
  await npm(['install', 'milvus-native', '--omit=optional', '--no-audit', '--no-fund'], { cwd: dir, env: cleanEnv })
  assert.deepEqual(platformPackagesIn(dir), [])
  const src = `try { require('milvus-native'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, platform: e.platform })) }`
  const { stdout } = await execFileP('node', ['-e', src], { cwd: dir, env: cleanEnv, encoding: 'utf8', timeout: 60_000 })
  const r = JSON.parse(stdout)
  assert.equal(r.code, 'ERR_MILVUS_NATIVE_NO_BINARY')
  assert.match(r.message, new RegExp(`${process.platform} ${process.arch}`))
  assert.match(r.message, new RegExp(`${pkg.name}-${packed.platformArchABI}`))
  assert.match(r.message, /--omit=optional/)
  assert.match(r.message, /https:\/\/rustup\.rs/)
  assert.match(r.message, /darwin-arm64, win32-x64-msvc/)
})

// Item 2: the Linux glibc builds run on glibc 2.17 (CentOS 7, Ubuntu 14.04 and later). The
// highest GLIBC_ symbol version that the installed addon and milvus-sim need, read with objdump.
function glibcNeeded(file) {
  const out = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const versions = [...new Set(out.match(/GLIBC_\d+(\.\d+)*/g) || [])].map((v) => v.slice(6))
  versions.sort((a, b) => {
    const x = a.split('.').map(Number)
    const y = b.split('.').map(Number)
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0)
    return 0
  })
  return versions
}

test('the Linux glibc binaries need at most GLIBC_2.17 (objdump -T)', { skip: process.platform !== 'linux' && 'Linux only' }, (t) => {
  if (!packed.platformArchABI.endsWith('-gnu')) return t.skip('a musl host')
  const dir = path.join(project, 'node_modules', `${pkg.name}-${packed.platformArchABI}`)
  for (const f of [`milvus-native.${packed.platformArchABI}.node`, 'milvus-sim']) {
    const versions = glibcNeeded(path.join(dir, f))
    assert.ok(versions.length > 0, `${f}: no GLIBC_ version at all: not a glibc build?`)
    const highest = versions[versions.length - 1]
    const [maj, min] = highest.split('.').map(Number)
    assert.ok(maj < 2 || (maj === 2 && min <= 17), `${f} needs GLIBC_${highest} (all: ${versions.join(', ')}); the release targets glibc 2.17`)
  }
})
