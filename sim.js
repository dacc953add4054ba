'use strict'
// `require('milvus-native/sim')`: the Milvus simulator (milvus-sim) for tests and CI, without
// Rust. The executable ships in this platform's package (milvus-native-<platform>, next to the
// addon); in a checkout of the repository, cargo's target/ build is used. A subpath of its own,
// so `require('milvus-native')` never loads this file.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/** Path of the milvus-sim executable: MILVUS_SIM_BIN, this platform's package, or a checkout's build. */
function simPath() {
  if (process.env.MILVUS_SIM_BIN) return process.env.MILVUS_SIM_BIN
  const { hostPlatform } = require('./platform.js')
  const { name: pkgName } = require('./package.json')
  const host = hostPlatform()
  const exe = host.os === 'win32' ? 'milvus-sim.exe' : 'milvus-sim'
  const pkg = `${pkgName}-${host.name}`
  let pkgDir
  try {
    pkgDir = path.dirname(require.resolve(`${pkg}/package.json`))
  } catch {}
  if (pkgDir && fs.existsSync(path.join(pkgDir, exe))) return path.join(pkgDir, exe)
  // A checkout (development): the newest of cargo's builds.
  const builds = ['release', 'debug']
    .map((p) => path.join(__dirname, 'target', p, exe))
    .filter((f) => fs.existsSync(f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  if (builds.length) return builds[0]
  const e = new Error(
    `milvus-sim was not found for ${host.name}: the package ${pkg} ` +
      (pkgDir ? 'has no simulator in it' : 'is not installed (no prebuilt package for this platform, or optional dependencies were omitted)') +
      '. Set MILVUS_SIM_BIN to an executable, or build one from a checkout with `cargo build -p milvus-sim`.'
  )
  e.code = 'ERR_MILVUS_SIM_NOT_FOUND'
  throw e
}

/**
 * Starts milvus-sim on 127.0.0.1 and a free port. Resolves once it listens.
 * The simulator exits with this process (it is started with --exit-on-stdin-eof and its stdin is
 * a pipe), and it does not keep this process alive; stop() ends it sooner.
 */
async function startSim(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('startSim(options): options must be an object')
  const { host = '127.0.0.1', port = 0, args = [], fixtures, record, bin, env, timeout = 30_000 } = options
  if (typeof host !== 'string' || host === '') throw new TypeError(`startSim: host must be a non-empty string, got ${JSON.stringify(host)}`)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`startSim: port must be an integer from 0 to 65535, got ${String(port)}`)
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new TypeError('startSim: args must be an array of strings')
  if (record !== undefined && typeof record !== 'string') throw new TypeError('startSim: record must be a file path (string)')
  if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError(`startSim: timeout must be a positive number of ms, got ${String(timeout)}`)
  const argv = ['--host', host, '--port', String(port), '--exit-on-stdin-eof']
  let tmp
  if (fixtures !== undefined) {
    if (typeof fixtures === 'string') argv.push('--fixtures', fixtures)
    else if (fixtures !== null && typeof fixtures === 'object') {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-sim-'))
      const file = path.join(tmp, 'fixtures.json')
      fs.writeFileSync(file, JSON.stringify(fixtures))
      argv.push('--fixtures', file)
    } else throw new TypeError('startSim: fixtures must be an object (job id → reply or fault) or a file path')
  }
  if (record !== undefined) argv.push('--record', record)
  argv.push(...args)
  const exe = bin === undefined ? simPath() : bin
  const proc = spawn(exe, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: env === undefined ? process.env : env, windowsHide: true })
  let stderr = ''
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (c) => {
    if (stderr.length < 64 * 1024) stderr += c
  })
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
      resolve({ code, signal })
    })
  })
  const cleanupOnFailure = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill()
  }
  const listening = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      cleanupOnFailure()
      reject(new Error(`milvus-sim did not start listening within ${timeout} ms: ${stderr.trim()}`))
    }, timeout)
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', function onData(c) {
      out += c
      const m = /^LISTENING (\d+)\r?$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        proc.stdout.off('data', onData)
        resolve(Number(m[1]))
      }
    })
    proc.once('error', (e) => {
      clearTimeout(timer)
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
      reject(new Error(`cannot start milvus-sim (${exe}): ${e.message}`, { cause: e }))
    })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`milvus-sim exited before listening (code ${code}, signal ${signal}): ${stderr.trim()}`))
    })
  })
  // Keep draining its output, and let this process exit while the simulator runs: it then sees
  // EOF on stdin and exits too.
  proc.stdout.resume()
  proc.unref()
  for (const s of [proc.stdin, proc.stdout, proc.stderr]) if (s && typeof s.unref === 'function') s.unref()
  const displayHost = host.includes(':') ? `[${host}]` : host
  return {
    host,
    port: listening,
    address: `${displayHost}:${listening}`,
    pid: proc.pid,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.ref() // until it has exited: this wait keeps the process alive
        proc.stdin.end()
        proc.kill('SIGTERM')
      }
      await exited
    },
  }
}

module.exports = { startSim, simPath }
