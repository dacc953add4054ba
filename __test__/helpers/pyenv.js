'use strict'
// A Python venv at <repo>/.venv with the pinned peers our tests run against:
// pymilvus 3.0.x (an independent Milvus client) and milvus-lite 3.2.2 (a Milvus-protocol server).
// Created once; later calls only check that both are importable.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..', '..')
const VENV = path.join(REPO, '.venv')
const PYTHON = path.join(VENV, 'bin', 'python')
const PACKAGES = ['pymilvus==3.0.*', 'milvus-lite==3.2.2']
const LOCK = path.join(REPO, '.venv.lock')

function installed() {
  if (!fs.existsSync(PYTHON)) return false
  const check =
    'import importlib.metadata as m, sys\n' +
    'ok = m.version("pymilvus").startswith("3.0.") and m.version("milvus-lite") == "3.2.2"\n' +
    'sys.exit(0 if ok else 1)'
  try {
    execFileSync(PYTHON, ['-c', check], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Test files run in parallel: one creates the venv while the others wait for it. */
function withLock(fn) {
  const deadline = Date.now() + 10 * 60 * 1000
  for (;;) {
    try {
      fs.mkdirSync(LOCK)
      break
    } catch (e) {
      if (e.code !== 'EEXIST') throw e
      const age = Date.now() - fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs
      if (age > 10 * 60 * 1000) fs.rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`)
      sleep(500)
    }
  }
  try {
    return fn()
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true })
  }
}

/** Ensures the venv exists with both packages; returns the path of its python. */
function ensurePyEnv() {
  if (installed()) return PYTHON
  return withLock(() => {
    if (installed()) return PYTHON
    if (!fs.existsSync(PYTHON)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' })
    execFileSync(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PACKAGES], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (!installed()) throw new Error(`pip installed ${PACKAGES.join(' ')} but they are not importable`)
    return PYTHON
  })
}

module.exports = { ensurePyEnv, VENV, PYTHON }
