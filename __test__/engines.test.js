'use strict'
// `npm install` is quiet on every Node the package says it supports (issue 14, point 6): each
// package npm installs on this platform from package-lock.json (dependencies and
// devDependencies, optional ones only where their os/cpu/libc match) accepts, in its own
// `engines.node`, the lowest version of each range of our `engines.node`, and this Node. npm
// prints EBADENGINE for any that does not. No network: the lock records every engines field.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
const pkg = require('../package.json')
const lock = require('../package-lock.json')

function loadSemver() {
  try {
    return require('semver')
  } catch {
    // npm's own copy, next to the node binary.
    return require(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'semver'))
  }
}
const semver = loadSemver()

function matches(list, value) {
  if (!list) return true
  const allowed = list.filter((x) => !x.startsWith('!'))
  if (list.includes(`!${value}`)) return false
  return allowed.length === 0 || allowed.includes(value)
}

function libc() {
  const report = process.report.getReport()
  return report.header.glibcVersionRuntime ? 'glibc' : 'musl'
}

/** The lock paths npm installs here: a walk of the dependency graph as npm resolves it. */
function installed() {
  const packages = lock.packages
  const here = { os: process.platform, cpu: process.arch, libc: process.platform === 'linux' ? libc() : undefined }
  const seen = new Set()
  const resolve = (from, name) => {
    // Node's lookup: from/node_modules/name, then each parent's.
    for (let dir = from; ; ) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`
      if (packages[candidate]) return candidate
      if (!dir) return null
      const at = dir.lastIndexOf('/node_modules/')
      dir = at === -1 ? '' : dir.slice(0, at)
    }
  }
  const visit = (at, optional) => {
    if (seen.has(at)) return
    const p = packages[at]
    if (at && !(matches(p.os, here.os) && matches(p.cpu, here.cpu) && (!here.libc || matches(p.libc, here.libc)))) {
      assert.ok(optional || p.optional, `${at} does not install on ${here.os}/${here.cpu} and is not optional`)
      return
    }
    seen.add(at)
    const deps = [
      ...Object.keys(p.dependencies || {}).map((n) => [n, false]),
      ...Object.keys(p.optionalDependencies || {}).map((n) => [n, true]),
      ...(at === '' ? Object.keys(p.devDependencies || {}).map((n) => [n, false]) : []),
    ]
    for (const [name, opt] of deps) {
      const target = resolve(at, name)
      if (target) visit(target, opt)
      else assert.ok(opt, `${at || 'the root'}: ${name} is not in the lock`)
    }
  }
  visit('', false)
  seen.delete('')
  return [...seen]
}

test('package-lock.json matches package.json (name, engines, dependency specs)', () => {
  const root = lock.packages['']
  assert.equal(root.name, pkg.name)
  assert.deepEqual(root.engines, pkg.engines)
  for (const field of ['dependencies', 'devDependencies']) assert.deepEqual(root[field] || {}, pkg[field] || {}, field)
})

test('every package npm installs here accepts the lowest Node of each supported range, and this Node', () => {
  const range = pkg.engines.node
  const floors = range.split('||').map((r) => semver.minVersion(r.trim()).version)
  assert.ok(floors.includes('20.17.0'), `engines.node ${range} should start at 20.17.0`)
  const versions = [...floors, process.versions.node].filter((v) => semver.satisfies(v, range))
  const paths = installed()
  assert.ok(paths.length > 100, `only ${paths.length} packages found in the lock walk`)
  // The walk found what is really on disk (a check of the walk itself).
  for (const p of paths.slice(0, 50)) assert.ok(fs.existsSync(path.join(ROOT, p)), `${p} is not installed`)
  const bad = []
  for (const v of versions) {
    for (const p of paths) {
      const e = lock.packages[p].engines
      const node = e && (Array.isArray(e) ? null : e.node)
      if (node && !semver.satisfies(v, node)) bad.push(`Node ${v}: ${p}@${lock.packages[p].version} wants ${node}`)
    }
  }
  assert.deepEqual(bad, [], 'npm install would print EBADENGINE')
})
