#!/usr/bin/env node
'use strict'
// `npm run pack:platforms`: the release, made locally for this machine's platform only.
// Writes two tarballs into dist/ (or --out DIR):
//   milvus-native-<version>.tgz             the main package: JavaScript only, no `.node`, no
//                                           install script, one exact-version optional
//                                           dependency per target of `napi.targets`
//   milvus-native-<platform>-<version>.tgz  this machine's platform package: the addon and
//                                           the milvus-sim executable
// Linux glibc builds target glibc 2.17 through zig (`napi build -x`, cargo-zigbuild), as the
// release workflow does. Built files are kept in target/platforms/<triple>/ and cargo's
// target/zig/, so a rerun only repacks (cargo rebuilds what changed; --reuse skips cargo
// entirely when both files exist and no Rust source of either crate is newer). --manifests DIR also writes the other targets' generated
// npm/<platform>/ manifests (no binary) into DIR.
//
// The napi CLI does the packaging steps, in a staging copy under target/pack/ so the checkout
// (its package.json, npm/ and the development `.node`) is left as it is:
//   napi create-npm-dirs → npm/<platform>/package.json from package.json
//   napi artifacts  → the `.node` into npm/<platform>/
//   release-files.js sims → milvus-sim into npm/<platform>/ (and its `files`)
//   napi prepublish --skip-optional-publish → versions, optionalDependencies in package.json
//   release-files.js manifest → `prepare` removed
//   npm pack (both)
// napi prepublish validates and lists the targets it is given: here only the host's, since
// only its package can be built here. The main package then also lists the other targets of
// `napi.targets`, named as napi names them (parseTriple), so its optionalDependencies are those
// of a full release (the release workflow runs prepublish over every target instead).

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { addSims, publishManifest } = require('./release-files.js')

const REPO = path.resolve(__dirname, '..')
const ZIG_VENV = path.join(REPO, 'target', 'zig-venv')
// The versions scripts/platforms/*.sh and the release workflow use.
const ZIG_PACKAGES = ['cargo-zigbuild==0.24.1', 'ziglang==0.17.1']
const GLIBC = '2.17'
const NAPI_CLI = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist', 'cli.js')

function log(msg) {
  process.stderr.write(`pack:platforms: ${msg}\n`)
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts })
}

function isMusl() {
  if (process.platform !== 'linux') return false
  const report = process.report && process.report.getReport()
  return !(report && report.header && report.header.glibcVersionRuntime)
}

function onPath(bin, envPath) {
  return envPath.split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)))
}

/** PATH with cargo-zigbuild (and zig, from the ziglang wheel) on it; made in target/ if missing. */
function zigPath() {
  const base = process.env.PATH || ''
  if (onPath('cargo-zigbuild', base)) return base
  const bin = path.join(ZIG_VENV, 'bin')
  if (!fs.existsSync(path.join(bin, 'cargo-zigbuild'))) {
    log(`installing ${ZIG_PACKAGES.join(' ')} into ${path.relative(REPO, ZIG_VENV)} (PyPI)`)
    run('python3', ['-m', 'venv', ZIG_VENV], { stdio: ['ignore', 2, 2] })
    run(path.join(bin, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...ZIG_PACKAGES], { stdio: ['ignore', 2, 2] })
  }
  return `${bin}${path.delimiter}${base}`
}

function hostTarget(targets) {
  const abi = process.platform === 'linux' ? (isMusl() ? 'musl' : 'gnu') : undefined
  const t = targets.find((t) => t.platform === process.platform && t.arch === process.arch && (abi === undefined || t.abi === abi))
  if (!t) {
    const names = targets.map((t) => t.platformArchABI).join(', ')
    throw new Error(`this machine (${process.platform} ${process.arch}${abi ? ' ' + abi : ''}) is not one of napi.targets: ${names}`)
  }
  return t
}

/** The most recently modified file among the Rust sources of both crates. */
function newestSource() {
  let newest = { file: '', mtimeMs: 0 }
  const visit = (p) => {
    let st
    try {
      st = fs.statSync(p)
    } catch {
      return
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) visit(path.join(p, e))
    } else if (st.mtimeMs > newest.mtimeMs) newest = { file: p, mtimeMs: st.mtimeMs }
  }
  for (const p of ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src', 'proto', 'sim/Cargo.toml', 'sim/build.rs', 'sim/src', 'sim/proto']) visit(path.join(REPO, p))
  return newest
}

/** Builds the addon and milvus-sim for `target` into target/platforms/<triple>/; returns the dir. */
function build(target, { reuse }) {
  const out = path.join(REPO, 'target', 'platforms', target.triple)
  const node = path.join(out, `milvus-native.${target.platformArchABI}.node`)
  const simName = `milvus-sim.${target.platformArchABI}${target.platform === 'win32' ? '.exe' : ''}`
  const sim = path.join(out, simName)
  if (reuse && fs.existsSync(node) && fs.existsSync(sim)) {
    const built = Math.min(fs.statSync(node).mtimeMs, fs.statSync(sim).mtimeMs)
    const newer = newestSource()
    if (newer.mtimeMs <= built) {
      log(`reusing ${path.relative(REPO, node)} and ${simName} (no source is newer)`)
      return out
    }
    log(`${path.relative(REPO, newer.file)} is newer than the build: rebuilding`)
  }
  fs.mkdirSync(out, { recursive: true })
  const zig = target.platform === 'linux' && target.abi === 'gnu'
  const triple = zig ? `${target.triple}.${GLIBC}` : target.triple
  const env = { ...process.env, PATH: zig ? zigPath() : process.env.PATH }
  const targetDir = path.join(REPO, 'target', zig ? 'zig' : 'platform')
  log(`building the addon for ${triple}${zig ? ' with zig' : ''}`)
  const napiArgs = ['build', '--platform', '--release', '--target', triple, '--target-dir', targetDir]
  napiArgs.push('--output-dir', out, '--no-js', '--dts', 'binding.d.ts') // --dts is relative to --output-dir
  if (zig) napiArgs.push('-x')
  run(process.execPath, [NAPI_CLI, ...napiArgs], { env, stdio: ['ignore', 2, 2] })
  log(`building milvus-sim for ${triple}`)
  const cargoArgs = [zig ? 'zigbuild' : 'build', '--release', '--target', triple, '-p', 'milvus-sim', '--bin', 'milvus-sim', '--target-dir', targetDir]
  run('cargo', cargoArgs, { env, stdio: ['ignore', 2, 2] })
  const built = path.join(targetDir, target.triple, 'release', target.platform === 'win32' ? 'milvus-sim.exe' : 'milvus-sim')
  fs.copyFileSync(built, sim)
  fs.chmodSync(sim, 0o755)
  return out
}

function pack(dir, dest) {
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir })
  return path.join(dest, JSON.parse(out)[0].filename)
}

async function main(argv) {
  const reuse = argv.includes('--reuse')
  const outIdx = argv.indexOf('--out')
  const dist = path.resolve(REPO, outIdx >= 0 ? argv[outIdx + 1] : 'dist')
  const manIdx = argv.indexOf('--manifests')
  const manifests = manIdx >= 0 ? path.resolve(argv[manIdx + 1]) : null
  const { readNapiConfig, parseTriple } = require('@napi-rs/cli')
  const config = await readNapiConfig(path.join(REPO, 'package.json'))
  const target = hostTarget(config.targets)
  const artifacts = build(target, { reuse })

  // The staging copy: the files `npm pack` takes from the checkout, and npm/.
  fs.mkdirSync(path.join(REPO, 'target', 'pack'), { recursive: true })
  const stage = fs.mkdtempSync(path.join(REPO, 'target', 'pack', 'stage-'))
  try {
    const listed = JSON.parse(run('npm', ['pack', '--dry-run', '--ignore-scripts', '--json']))[0].files.map((f) => f.path)
    for (const f of listed) {
      fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true })
      fs.copyFileSync(path.join(REPO, f), path.join(stage, f))
    }
    const napi = (...args) => run(process.execPath, [NAPI_CLI, ...args], { cwd: stage, stdio: ['ignore', 2, 2] })
    // The platform packages' manifests from package.json as it is now (the committed npm/ is
    // napi's output too, but may lag a change of description, engines, ...).
    napi('create-npm-dirs', '--npm-dir', 'npm')
    if (manifests) {
      // The other targets' manifests, as this run generated them (install.test.js publishes
      // them as selection fixtures).
      for (const t of config.targets) {
        if (t.platformArchABI === target.platformArchABI) continue
        fs.cpSync(path.join(stage, 'npm', t.platformArchABI), path.join(manifests, t.platformArchABI), { recursive: true })
      }
    }
    const hostConfig = path.join(stage, 'napi-host.json')
    fs.writeFileSync(hostConfig, JSON.stringify({ binaryName: config.binaryName, targets: [target.triple] }))
    napi('artifacts', '-c', hostConfig, '--output-dir', artifacts, '--npm-dir', 'npm')
    addSims(artifacts, path.join(stage, 'npm'))
    napi('prepublish', '-c', hostConfig, '-t', 'npm', '--skip-optional-publish')
    fs.rmSync(hostConfig)
    fs.rmSync(path.join(stage, `${config.binaryName}.${target.platformArchABI}.node`), { force: true })

    const pkgFile = path.join(stage, 'package.json')
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
    if (pkg.optionalDependencies?.[`${pkg.name}-${target.platformArchABI}`] !== pkg.version) {
      throw new Error(`napi prepublish did not list ${pkg.name}-${target.platformArchABI}@${pkg.version}: ${JSON.stringify(pkg.optionalDependencies)}`)
    }
    for (const t of config.targets) {
      const name = `${pkg.name}-${parseTriple(t.triple).platformArchABI}`
      pkg.optionalDependencies[name] ??= pkg.version
    }
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n')
    publishManifest(pkgFile)

    fs.mkdirSync(dist, { recursive: true })
    const main = pack(stage, dist)
    const platform = pack(path.join(stage, 'npm', target.platformArchABI), dist)
    const result = { main, platform, manifests, target: target.triple, platformArchABI: target.platformArchABI, glibc: target.abi === 'gnu' ? GLIBC : null }
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return result
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
}

module.exports = { main }

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`pack:platforms failed: ${e.message}`)
    process.exit(1)
  })
}
