'use strict'
// This machine's platform in napi-rs terms, and the error `require('milvus-native')` throws
// when no native addon loads. index.js requires this file only after loading failed, and
// `milvus-native/sim` to find the simulator, so an app that loads fine never reads it.

const { napi, name: PACKAGE } = require('./package.json')

const ARCH = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm', riscv64gc: 'riscv64', powerpc64le: 'ppc64', s390x: 's390x' }

/** A Rust target triple as napi-rs names its platform: `aarch64-unknown-linux-musl` → linux-arm64-musl. */
function platformOf(triple) {
  const parts = triple.split('-')
  const arch = ARCH[parts[0]] || parts[0]
  if (triple.includes('-linux-')) {
    const abi = parts[parts.length - 1]
    return { os: 'linux', arch, libc: abi.startsWith('musl') ? 'musl' : 'glibc', name: `linux-${arch}-${abi}` }
  }
  if (triple.includes('-apple-darwin')) return { os: 'darwin', arch, libc: null, name: `darwin-${arch}` }
  if (triple.includes('-windows-')) {
    const abi = parts[parts.length - 1]
    return { os: 'win32', arch, libc: null, name: `win32-${arch}-${abi}` }
  }
  const os = parts[parts.length - 1]
  return { os, arch, libc: null, name: `${os}-${arch}` }
}

function hostLibc() {
  if (process.platform !== 'linux') return null
  try {
    const header = process.report.getReport().header
    return header.glibcVersionRuntime ? 'glibc' : 'musl'
  } catch {
    return 'glibc'
  }
}

/** This machine: { os, arch, libc, name }, where name is the napi-rs platform (linux-x64-gnu). */
function hostPlatform() {
  const os = process.platform
  const arch = process.arch
  const libc = hostLibc()
  let name = `${os}-${arch}`
  if (os === 'linux') name += libc === 'musl' ? '-musl' : '-gnu'
  else if (os === 'win32') name += '-msvc'
  return { os, arch, libc, name }
}

/** The platforms with a prebuilt package: one per `napi.targets` entry. */
function supportedPlatforms() {
  return napi.targets.map(platformOf)
}

function describe(p) {
  return `${p.os} ${p.arch}${p.libc ? ` (${p.libc})` : ''}`
}

const BUILD_FROM_SOURCE =
  'To build it from source: install Rust (https://rustup.rs, stable ≥ 1.88), clone the milvus-native ' +
  'repository and run `npm install` in it (this builds the addon), then install that folder into your ' +
  'project (`npm install /path/to/milvus-native`), or point NAPI_RS_NATIVE_LIBRARY_PATH at the built ' +
  '`.node` file.'

/** The error for a failed load, given the napi loader's error (its `cause` chain: every attempt). */
function noBindingError(loadError) {
  const host = hostPlatform()
  const supported = supportedPlatforms()
  const attempts = []
  // napi's chain, newest first; its WASI fallbacks are left out (this package has no WASI target).
  for (let c = loadError && loadError.cause; c && attempts.length < 6; c = c.cause) {
    const m = String(c.message).split('\n')[0]
    if (!/wasi/i.test(m)) attempts.push(m)
  }
  const tried = attempts.length ? `\nLoad attempts: ${attempts.map((m) => `\n  - ${m}`).join('')}` : ''
  const list = supported.map((p) => p.name).join(', ')
  let message
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  if (override) {
    message =
      `milvus-native could not load NAPI_RS_NATIVE_LIBRARY_PATH=${override} on ${describe(host)} (${host.name}). ` +
      `Prebuilt binaries exist for: ${list}. ` +
      BUILD_FROM_SOURCE
  } else if (supported.some((p) => p.name === host.name)) {
    message =
      `milvus-native could not load its native addon for ${describe(host)}: the package ` +
      `${PACKAGE}-${host.name}, an optional dependency that npm installs on this platform, is missing or ` +
      'did not load. It is skipped by `--omit=optional` / `--no-optional`, by `--os`/`--cpu`/`--libc` ' +
      'overrides, and sometimes by a lockfile made on another platform (https://github.com/npm/cli/issues/4828): ' +
      'remove node_modules and package-lock.json and run `npm install` again. ' +
      `Prebuilt binaries exist for: ${list}. ` +
      BUILD_FROM_SOURCE
  } else {
    message =
      `milvus-native has no prebuilt binary for this platform: ${describe(host)} (${host.name}). ` +
      `Prebuilt binaries exist for: ${list}. ` +
      BUILD_FROM_SOURCE
  }
  const e = new Error(`${message}${tried}`, { cause: loadError })
  e.code = 'ERR_MILVUS_NATIVE_NO_BINARY'
  e.platform = { os: host.os, arch: host.arch, libc: host.libc }
  e.supported = supported.map((p) => p.name)
  return e
}

module.exports = { platformOf, hostPlatform, supportedPlatforms, noBindingError }
