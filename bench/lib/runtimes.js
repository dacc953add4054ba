'use strict'
// The JavaScript runtimes a bench child can run under: Node (this process's own binary), Bun
// and Deno (their npm packages, devDependencies). Each is `{ name, bin, version, script(file,
// args), bare, env }`, or `{ name, error }` when this machine cannot start it.
//
// Bun and Deno ship their binary in a per-platform optional dependency (`@oven/bun-linux-x64`,
// `@deno/linux-x64-glibc`, ...) and put it in place with a postinstall script; that script may
// not have run (npm --ignore-scripts), so the binary is taken from the platform package that
// matches this machine (its package.json's os / cpu / libc), not from node_modules/.bin.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..', '..')
// Every child runs without NODE_EXTRA_CA_CERTS, which this machine's environment sets and which
// makes each Node start parse the whole CA bundle (~55 ms here); no client here uses TLS.
const COMMON_ENV = { NODE_EXTRA_CA_CERTS: undefined }

function libc() {
  if (process.platform !== 'linux') return null
  const header = process.report && process.report.getReport().header
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl'
}

/** An npm package's list field (`os`, `cpu`, `libc`) allows this machine's value. */
function allows(list, value) {
  if (!Array.isArray(list) || value === null) return true
  const denied = list.filter((x) => x.startsWith('!')).map((x) => x.slice(1))
  const allowed = list.filter((x) => !x.startsWith('!'))
  return !denied.includes(value) && (allowed.length === 0 || allowed.includes(value))
}

/** The file starts like a native executable (ELF, Mach-O, PE), not like a placeholder script. */
function isExecutable(file) {
  let fd
  try {
    fd = fs.openSync(file, 'r')
    const head = Buffer.alloc(4)
    if (fs.readSync(fd, head, 0, 4, 0) < 4) return false
    const magic = head.readUInt32BE(0)
    return (
      magic === 0x7f454c46 || // ELF
      [0xcffaedfe, 0xcefaedfe, 0xfeedfacf, 0xcafebabe].includes(magic) || // Mach-O, fat
      head.readUInt16BE(0) === 0x4d5a // PE ("MZ")
    )
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * The executable of package `pkg` for this platform, or an Error saying why there is none. Its
 * postinstall may already have moved the binary out of the platform package into `placed`
 * (bun renames it over its own `bin/bun.exe`), so that is looked at first; then `rel` inside
 * the optional dependency that is made for this platform.
 */
function platformBinary(pkg, rel, placed) {
  let meta
  let pj
  try {
    pj = require.resolve(`${pkg}/package.json`, { paths: [REPO] })
    meta = require(pj)
  } catch (e) {
    return new Error(`${pkg} is not installed: ${e.message}`)
  }
  const tried = []
  if (placed) {
    const bin = path.join(path.dirname(pj), placed)
    if (isExecutable(bin)) return bin
    tried.push(`${bin} (not a native executable)`)
  }
  const here = { os: process.platform, cpu: process.arch, libc: libc() }
  for (const dep of Object.keys(meta.optionalDependencies || {})) {
    let dir
    let dm
    try {
      const pj = require.resolve(`${dep}/package.json`, { paths: [REPO] })
      dir = path.dirname(pj)
      dm = JSON.parse(fs.readFileSync(pj, 'utf8'))
    } catch {
      continue
    }
    if (!allows(dm.os, here.os) || !allows(dm.cpu, here.cpu) || !allows(dm.libc, here.libc)) continue
    const bin = path.join(dir, rel)
    if (isExecutable(bin)) return bin
    tried.push(bin)
  }
  const what = `${here.os}-${here.cpu}${here.libc ? `-${here.libc}` : ''}`
  return new Error(`no ${pkg} binary for ${what}${tried.length ? ` (missing: ${tried.join(', ')})` : ' installed'}`)
}

/** `node --version` → 20.20.2, `deno --version` → 2.9.6 (its first line holds more). */
function versionOf(bin, args) {
  try {
    const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30000 })
    const m = /\d+\.\d+\.\d+[^\s)]*/.exec(out)
    return m ? m[0] : out.trim().split('\n')[0]
  } catch (e) {
    return new Error(`${bin} ${args.join(' ')} failed: ${e.message}`)
  }
}

// Where each postinstall puts the platform binary inside the main package.
const BUN_PLACED = path.join('bin', 'bun.exe')
const DENO_EXE = process.platform === 'win32' ? 'deno.exe' : 'deno'

const DEFS = {
  node: () => ({
    bin: process.execPath,
    versionArgs: ['--version'],
    script: (file, args) => [file, ...args],
    bare: ['-e', '0'],
    env: {},
  }),
  bun: () => ({
    bin: platformBinary('bun', path.join('bin', 'bun'), BUN_PLACED),
    versionArgs: ['--version'],
    script: (file, args) => [file, ...args],
    bare: ['-e', '0'],
    env: {},
  }),
  deno: () => ({
    bin: platformBinary('deno', DENO_EXE, DENO_EXE),
    versionArgs: ['--version'],
    // CommonJS needs the .cjs extension under Deno (the repo's package.json has no "type").
    script: (file, args) => ['run', '-A', file, ...args],
    bare: ['eval', '0'],
    // No network check for a newer Deno in the middle of a measurement.
    env: { DENO_NO_UPDATE_CHECK: '1' },
  }),
}

const NAMES = Object.keys(DEFS)

/** @param {string} name  node | bun | deno */
function resolveRuntime(name) {
  const def = DEFS[name]
  if (!def) return { name, error: `unknown runtime ${name} (one of ${NAMES.join(', ')})` }
  const d = def()
  if (d.bin instanceof Error) return { name, error: d.bin.message }
  const version = versionOf(d.bin, d.versionArgs)
  if (version instanceof Error) return { name, error: version.message }
  return { name, bin: d.bin, version, script: d.script, bare: d.bare, env: { ...COMMON_ENV, ...d.env } }
}

module.exports = { resolveRuntime, platformBinary, NAMES, COMMON_ENV, BUN_PLACED, DENO_EXE }
