'use strict'
// Which binaries the bench measures, building them when missing or older than their sources.
//
// release (default): the addon from `napi build --release` (its .so is copied to
// bench/out/artifacts/ and loaded through NAPI_RS_NATIVE_LIBRARY_PATH, so another engineer's
// debug rebuild of the shared ./milvus-native.*.node cannot change it mid-run), milvus-sim and
// milvus-sim-load from target/release.
// debug (BENCH_PROFILE=debug, for the smoke test): whatever ./milvus-native.*.node binding.js
// loads, target/debug/milvus-sim{,-load}; nothing is built unless missing.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..', '..')
const TRIPLE = 'x86_64-unknown-linux-gnu'

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs
  } catch {
    return 0
  }
}

/** Newest mtime under the given files/directories. */
function newest(paths) {
  let max = 0
  const walk = (p) => {
    let st
    try {
      st = fs.statSync(p)
    } catch {
      return
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e))
    else max = Math.max(max, st.mtimeMs)
  }
  paths.forEach((p) => walk(path.join(REPO, p)))
  return max
}

function sh(cmd, args, log) {
  log(`$ ${cmd} ${args.join(' ')}`)
  execFileSync(cmd, args, { cwd: REPO, stdio: ['ignore', 2, 2] })
}

/** The release addon; binding.js is committed and must come out of the build unchanged. */
function buildReleaseAddon(log) {
  const bindingJs = path.join(REPO, 'binding.js')
  const before = fs.readFileSync(bindingJs)
  sh('npx', ['napi', 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'], log)
  if (!before.equals(fs.readFileSync(bindingJs))) {
    fs.writeFileSync(bindingJs, before)
    log('warning: napi build changed binding.js; the committed bytes were written back')
  }
}

function releaseAddonSo() {
  const candidates = [
    path.join(REPO, 'target', TRIPLE, 'release', 'libmilvus_native.so'),
    path.join(REPO, 'target', 'release', 'libmilvus_native.so'),
  ].filter((p) => mtime(p) > 0)
  candidates.sort((a, b) => mtime(b) - mtime(a))
  return candidates[0]
}

/**
 * @param {{ profile: 'release'|'debug', build: boolean, outDir: string, log: (s: string) => void }} o
 * @returns {{ profile, sim, load, nativeEnv: object, addon: string, built: string[] }}
 */
function resolveArtifacts({ profile, build, outDir, log }) {
  const built = []
  const dir = profile === 'release' ? 'release' : 'debug'
  const sim = path.join(REPO, 'target', dir, 'milvus-sim')
  const load = path.join(REPO, 'target', dir, 'milvus-sim-load')
  const simSources = newest(['sim/src', 'sim/Cargo.toml', 'sim/build.rs', 'proto', 'Cargo.lock'])
  if (build && (mtime(sim) < simSources || mtime(load) < simSources)) {
    sh('cargo', ['build', '-p', 'milvus-sim', ...(profile === 'release' ? ['--release'] : [])], log)
    built.push('milvus-sim')
  }
  for (const bin of [sim, load]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing (run without --no-build)`)
  }

  if (profile === 'debug') {
    const node = path.join(REPO, 'milvus-native.linux-x64-gnu.node')
    if (build && !fs.existsSync(node)) {
      sh('npx', ['napi', 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts'], log)
      built.push('addon (debug)')
    }
    return { profile, sim, load, addon: node, nativeEnv: {}, built }
  }

  const addonSources = newest(['src', 'proto', 'build.rs', 'Cargo.toml', 'Cargo.lock'])
  let so = releaseAddonSo()
  if (build && (!so || mtime(so) < addonSources)) {
    buildReleaseAddon(log)
    built.push('addon (release)')
    so = releaseAddonSo()
  }
  if (!so) throw new Error('no release build of the addon (run without --no-build)')
  if (mtime(so) < addonSources) log(`warning: ${so} is older than src/ (--no-build)`)
  const frozen = path.join(outDir, 'artifacts', 'milvus-native.release.node')
  fs.mkdirSync(path.dirname(frozen), { recursive: true })
  fs.copyFileSync(so, frozen)
  return { profile, sim, load, addon: so, nativeEnv: { NAPI_RS_NATIVE_LIBRARY_PATH: frozen }, built }
}

module.exports = { resolveArtifacts, REPO }
