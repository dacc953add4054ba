'use strict'
// Issue 16, item 5: clear failures.
// - require('milvus-native') with no addon for this machine: the error names the platform (os,
//   arch, libc), lists the supported ones, and says how to build from source. Checked with the
//   package's own files copied without the binary (the supported-platform case, as after
//   `--omit=optional`), with process.arch made to read `riscv64` before the package loads (a
//   platform without a prebuilt package: napi's loader and ours both read process.arch), and
//   through napi-rs's override variable NAPI_RS_NATIVE_LIBRARY_PATH (which is also honoured).
// - Building from source without Rust (`prepare`; and a real `npm install git+file://…`): says Rust is
//   required and where to get it.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..')
const pkg = require('../package.json')
const { platformOf, hostPlatform } = require('../platform.js')

let tmp
let copy // the package's files without any .node
let addon // the repository's built addon

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-loader-'))
  copy = path.join(tmp, 'milvus-native')
  fs.mkdirSync(copy)
  for (const f of ['package.json', ...pkg.files]) {
    const src = path.join(REPO, f)
    if (!fs.existsSync(src)) continue
    fs.cpSync(src, path.join(copy, f), { recursive: true, filter: (p) => !p.endsWith('.node') })
  }
  addon = path.join(REPO, `milvus-native.${hostPlatform().name}.node`)
})

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

function load(dir, { env = {}, preload } = {}) {
  const args = []
  if (preload) args.push('-r', preload)
  const src = `try { require(${JSON.stringify(dir)}); console.log(JSON.stringify({ loaded: true })) } catch (e) {
    console.log(JSON.stringify({ code: e.code, message: e.message, platform: e.platform, supported: e.supported, cause: !!e.cause }))
  }`
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NAPI_RS_')))
  const out = execFileSync(process.execPath, [...args, '-e', src], { cwd: tmp, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 })
  return JSON.parse(out)
}

const supportedNames = pkg.napi.targets.map((t) => platformOf(t).name)

test('platform names match the napi CLI (parseTriple) for every target', () => {
  const { parseTriple } = require('@napi-rs/cli')
  const triples = [...pkg.napi.targets, 'i686-pc-windows-msvc', 'aarch64-pc-windows-msvc', 'armv7-unknown-linux-gnueabihf', 'x86_64-unknown-freebsd']
  for (const t of triples) assert.equal(platformOf(t).name, parseTriple(t).platformArchABI, t)
})

test('a supported platform whose package is missing: names it, the package, the list and how to build', () => {
  const r = load(copy)
  const host = hostPlatform()
  assert.equal(r.code, 'ERR_MILVUS_NATIVE_NO_BINARY')
  assert.deepEqual(r.platform, { os: host.os, arch: host.arch, libc: host.libc })
  assert.deepEqual(r.supported, supportedNames)
  assert.match(r.message, new RegExp(`for ${host.os} ${host.arch}${host.libc ? ` \\(${host.libc}\\)` : ''}:`))
  assert.match(r.message, new RegExp(`the package ${pkg.name}-${host.name},`))
  assert.match(r.message, new RegExp(`Prebuilt binaries exist for: ${supportedNames.join(', ')}\\.`))
  assert.match(r.message, /install Rust \(https:\/\/rustup\.rs/)
  assert.match(r.message, /run `npm install` in it/)
  assert.doesNotMatch(r.message, /wasm32-wasi/)
  assert.ok(r.cause, "napi's loader error is kept as the cause")
})

test('a platform without a prebuilt package (process.arch reads riscv64): says so and lists the supported ones', () => {
  const preload = path.join(tmp, 'riscv64.js')
  fs.writeFileSync(preload, "Object.defineProperty(process, 'arch', { value: 'riscv64' })\n")
  const r = load(copy, { preload })
  assert.equal(r.code, 'ERR_MILVUS_NATIVE_NO_BINARY')
  assert.equal(r.platform.arch, 'riscv64')
  const libc = process.platform === 'linux' ? ` (${hostPlatform().libc})` : ''
  assert.match(r.message, new RegExp(`^milvus-native has no prebuilt binary for this platform: ${process.platform} riscv64${libc.replace(/[()]/g, '\\$&')} \\(${process.platform}-riscv64`))
  assert.match(r.message, new RegExp(`Prebuilt binaries exist for: ${supportedNames.join(', ')}\\.`))
  assert.match(r.message, /https:\/\/rustup\.rs/)
})

test('NAPI_RS_NATIVE_LIBRARY_PATH is honoured, and a bad one is named', { skip: !fs.existsSync(path.join(REPO, `milvus-native.${hostPlatform().name}.node`)) && 'no built addon in the repository' }, () => {
  assert.deepEqual(load(copy, { env: { NAPI_RS_NATIVE_LIBRARY_PATH: addon } }), { loaded: true })
  const missing = path.join(tmp, 'nowhere', 'milvus-native.node')
  const r = load(copy, { env: { NAPI_RS_NATIVE_LIBRARY_PATH: missing } })
  assert.equal(r.code, 'ERR_MILVUS_NATIVE_NO_BINARY')
  assert.match(r.message, new RegExp(`could not load NAPI_RS_NATIVE_LIBRARY_PATH=${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  assert.match(r.message, /Prebuilt binaries exist for/)
})

const unixTools = process.platform !== 'win32'
const hasGit = spawnSync('git', ['--version']).status === 0

test('npm run prepare without Rust (PATH: node and npm): Rust is required, and where to get it', { skip: !unixTools && 'symlinks and /bin/sh' }, () => {
  // PATH holds node and npm only: no cargo.
  const bin = path.join(tmp, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
  fs.symlinkSync(fs.existsSync(npmCli) ? npmCli : execFileSync('which', ['npm'], { encoding: 'utf8' }).trim(), path.join(bin, 'npm'))
  // npm runs scripts with sh; the system's, by path (PATH has no /bin).
  const env = { PATH: bin, HOME: tmp, npm_config_script_shell: '/bin/sh' }
  const r = spawnSync(path.join(bin, 'npm'), ['run', 'prepare'], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 })
  assert.notEqual(r.status, 0, `prepare succeeded without cargo:\n${r.stdout}${r.stderr}`)
  assert.match(r.stderr, /building from source requires Rust, and `cargo` was not found on PATH/)
  assert.match(r.stderr, /https:\/\/rustup\.rs/)
  assert.doesNotMatch(r.stderr, /cargo metadata/)
})

test('a git install without Rust (npm install git+file://<this repository>#HEAD) stops with that message', { timeout: 600_000, skip: (!unixTools && 'symlinks and /bin/sh') || (!hasGit && 'no git') }, async () => {
  // A machine without Rust: node, npm and git, and the system's tools except cargo/rustc.
  const bin = path.join(tmp, 'git-bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  const npmCli = path.join(path.dirname(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())), 'npm-cli.js')
  fs.symlinkSync(npmCli, path.join(bin, 'npm'))
  for (const dir of ['/usr/bin', '/bin']) {
    if (!fs.existsSync(dir)) continue
    for (const f of fs.readdirSync(dir)) {
      if (/^(cargo|rustc|rustup|rustdoc|rust-)/.test(f) || fs.existsSync(path.join(bin, f))) continue
      fs.symlinkSync(path.join(dir, f), path.join(bin, f))
    }
  }
  assert.equal(spawnSync('cargo', ['--version'], { env: { PATH: bin } }).error?.code, 'ENOENT')
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
  const app = path.join(tmp, 'git-app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  // The install itself is --offline: the repository's dependencies come from npm's cache.
  const cache = execFileSync(process.execPath, [npmCli, 'config', 'get', 'cache'], { encoding: 'utf8' }).trim()
  // npm reads the registry documents of the package's own dependencies before it prepares a git
  // dependency. A lockfile install (this checkout's) caches tarballs, not those documents, so
  // whether they are there depends on which other test file installed first: fetch them now, with
  // this environment's npm settings (from the cache when it has them).
  const deps = Object.entries(require(path.join(REPO, 'package.json')).dependencies || {}).map(([name, range]) => `${name}@${range}`)
  const prime = path.join(tmp, 'git-prime')
  fs.mkdirSync(prime)
  fs.writeFileSync(path.join(prime, 'package.json'), JSON.stringify({ name: 'prime', private: true }))
  execFileSync(process.execPath, [npmCli, 'install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', ...deps], {
    cwd: prime,
    env: { ...process.env, npm_config_cache: cache },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 240_000,
  })
  const env = { PATH: bin, HOME: path.join(tmp, 'git-home'), npm_config_cache: cache }
  const r = await new Promise((resolve) => {
    require('node:child_process').execFile(
      path.join(bin, 'npm'),
      ['install', `git+file://${REPO}#${head}`, '--offline', '--no-audit', '--no-fund'],
      { cwd: app, env, encoding: 'utf8', timeout: 540_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolve({ status: error ? error.code : 0, stdout, stderr })
    )
  })
  assert.notEqual(r.status, 0, `installed without Rust:\n${r.stdout}`)
  assert.match(r.stderr, /git dep preparation failed/, r.stderr)
  assert.match(r.stderr, /building from source requires Rust, and `cargo` was not found on PATH/, r.stderr)
  assert.match(r.stderr, /https:\/\/rustup\.rs/)
  assert.doesNotMatch(r.stderr, /cargo metadata/)
})
