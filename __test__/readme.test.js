'use strict'
// Every fenced code block of README.md and sim/README.md runs as printed (issue 14, point 1).
//
// The blocks are found anew on each run, so a block added anywhere is picked up; what happens to
// it depends on its info string (the word after the opening fence):
//
//   sh, bash, shell  run with `bash -e -o pipefail`, from the repository's root, stdin /dev/null,
//                    must exit 0. A block that prints `LISTENING <port>` and keeps running is a
//                    server (the simulator started the README's way): it stays up while the
//                    later blocks of the same file run, then gets SIGTERM and must exit.
//                    `milvus-native` is on the PATH, as after `npm link` (the README says so).
//   js, javascript   run with `node` as CommonJS, source on stdin, from the repository's root
//                    (so `require('milvus-native')` is the package itself and `./…` is the root).
//   mjs              the same as ES modules.
//   ts, typescript   saved as x.ts and x.mts, compiled with the `tsc` flags README.md states
//                    ("It compiles with `tsc …`"), then both outputs run with `node`: CommonJS
//                    and ESM, and the same program twice (it must be re-runnable).
//   json             must parse.
//   text             prose (synopses, trees, sample output): not run.
//   … norun          not run. Only for blocks of npm commands (`npm install && npm test`):
//                    running them inside `npm test` would recurse or rebuild the addon under the
//                    other test files. The test fails on a `norun` block with anything else.
//
// A block with no info string or another one fails the test: each block says what it is.
//
// Files run in order; README.md's Quickstart starts the simulator on port 19530, which must be
// free.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')

const ROOT = path.resolve(__dirname, '..')
const FILES = ['README.md', 'sim/README.md']
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const KINDS = {
  sh: 'shell',
  bash: 'shell',
  shell: 'shell',
  js: 'cjs',
  javascript: 'cjs',
  mjs: 'esm',
  ts: 'ts',
  typescript: 'ts',
  json: 'json',
  text: 'text',
}

/** The fenced blocks of a Markdown file: { file, line, info, lang, norun, code }. */
function blocksOf(file) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*(.*)$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, info] = open
    const body = []
    let j = i + 1
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    while (j < lines.length && !close.test(lines[j])) body.push(lines[j++].slice(indent.length))
    assert.ok(j < lines.length, `${file}:${i + 1}: the block is never closed`)
    const words = info.trim().split(/\s+/).filter(Boolean)
    out.push({ file, line: i + 1, info: info.trim(), lang: words[0] || '', norun: words.includes('norun'), code: body.join('\n') + '\n' })
    i = j
  }
  return out
}

const ALL = FILES.flatMap(blocksOf)

// `milvus-native` on the PATH, as `npm link` would put it.
const SHIM = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-bin-'))
fs.writeFileSync(path.join(SHIM, 'milvus-native'), `#!/bin/sh\nexec '${process.execPath}' '${path.join(ROOT, 'bin', 'milvus-native.js')}' "$@"\n`, { mode: 0o755 })
const ENV = { ...process.env, PATH: `${SHIM}${path.delimiter}${process.env.PATH}` }
for (const k of ['MILVUS_ADDRESS', 'MILVUS_TOKEN', 'MILVUS_NATIVE_LOG', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete ENV[k]

function where(b) {
  return `${b.file}:${b.line} (${b.info || 'no info string'})`
}

/** Runs a command; resolves { code, signal, out, err } at exit or { server, out } on LISTENING. */
function run(cmd, args, { input, cwd = ROOT, timeout = 600_000, serverOk = false } = {}) {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { cwd, env: ENV, detached: true, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      kill(proc)
      resolve({ code: null, signal: 'timeout', out, err })
    }, timeout)
    proc.stdout.setEncoding('utf8')
    proc.stderr.setEncoding('utf8')
    proc.stdout.on('data', (d) => {
      out += d
      if (serverOk && !settled && /^LISTENING \d+$/m.test(out)) {
        settled = true
        clearTimeout(timer)
        const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })))
        resolve({ server: { proc, exited, output: () => out + err }, out, err })
      }
    })
    proc.stderr.on('data', (d) => (err += d))
    proc.once('exit', (code, signal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, out, err }))
    })
    if (input !== undefined) proc.stdin.end(input)
  })
}

function kill(proc, signal = 'SIGTERM') {
  try {
    process.kill(-proc.pid, signal)
  } catch {
    // already gone
  }
}

function report(b, r) {
  return `${where(b)}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- block\n${b.code}--- stdout\n${r.out}--- stderr\n${r.err}`
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

// The `tsc` flags README.md states for its TypeScript.
function tscFlags() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const m = /It compiles with `tsc ([^`]+)`/.exec(readme)
  assert.ok(m, 'README.md does not state how its TypeScript compiles ("It compiles with `tsc …`")')
  return m[1].trim().split(/\s+/)
}

async function runBlock(b, servers, index) {
  const kind = KINDS[b.lang]
  switch (kind) {
    case 'shell': {
      const r = await run('bash', ['-e', '-o', 'pipefail', '-c', b.code], { serverOk: true })
      if (r.server) {
        servers.push({ block: b, ...r.server })
        return
      }
      assert.equal(r.code, 0, report(b, r))
      return
    }
    case 'cjs':
    case 'esm': {
      const args = kind === 'esm' ? ['--input-type=module', '-'] : ['-']
      const r = await run(process.execPath, args, { input: b.code, timeout: 120_000 })
      assert.equal(r.code, 0, report(b, r))
      return
    }
    case 'ts': {
      // Inside the repository, so `milvus-native` resolves to this package (its own name).
      const dir = path.join(ROOT, 'target', 'readme-test', `${b.file.replace(/\W/g, '_')}-${b.line}-${index}`)
      fs.rmSync(dir, { recursive: true, force: true })
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, 'block.ts'), b.code)
      fs.writeFileSync(path.join(dir, 'block.mts'), b.code)
      const tsc = await run(process.execPath, [TSC, ...tscFlags(), 'block.ts', 'block.mts'], { cwd: dir, timeout: 180_000 })
      assert.equal(tsc.code, 0, `tsc ${tscFlags().join(' ')}: ${report(b, tsc)}`)
      for (const js of ['block.js', 'block.mjs', 'block.js']) {
        const r = await run(process.execPath, [js], { cwd: dir, timeout: 120_000 })
        assert.equal(r.code, 0, `node ${js}: ${report(b, r)}`)
      }
      fs.rmSync(dir, { recursive: true, force: true })
      return
    }
    case 'json':
      assert.doesNotThrow(() => JSON.parse(b.code), where(b))
      return
    default:
      assert.fail(`${where(b)}: unknown info string; use one of ${Object.keys(KINDS).join(', ')} (see the head of this test)`)
  }
}

test('the READMEs have code blocks, each with a known info string; norun only for npm commands', () => {
  assert.ok(ALL.length > 0)
  for (const file of FILES) assert.ok(ALL.some((b) => b.file === file && KINDS[b.lang] === 'shell' && !b.norun), `${file}: no shell block found`)
  assert.ok(ALL.some((b) => b.file === 'README.md' && b.lang === 'ts'), 'README.md: no TypeScript block found')
  assert.ok(ALL.some((b) => b.file === 'README.md' && b.lang === 'js'), 'README.md: no CommonJS block found')
  for (const b of ALL) {
    assert.ok(b.lang in KINDS, `${where(b)}: give the block an info string: ${Object.keys(KINDS).join(', ')}`)
    if (!b.norun) continue
    assert.equal(KINDS[b.lang], 'shell', `${where(b)}: only shell blocks may be norun`)
    const commands = b.code.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
    for (const c of commands) assert.match(c, /^npm (install|ci|test|run [\w:-]+)\b/, `${where(b)}: a norun block holds npm commands only`)
  }
})

for (const file of FILES) {
  test(`${file}: every code block runs as printed`, { timeout: 30 * 60_000 }, async (t) => {
    if (file === 'README.md') assert.ok(await portFree(19530), 'port 19530 is in use: the Quickstart starts the simulator there')
    const servers = []
    try {
      for (const [i, b] of ALL.entries()) {
        if (b.file !== file || b.norun || KINDS[b.lang] === 'text') continue
        await t.test(where(b), () => runBlock(b, servers, i))
      }
    } finally {
      for (const s of servers) kill(s.proc)
      for (const s of servers) {
        const timer = setTimeout(() => kill(s.proc, 'SIGKILL'), 5000)
        const exit = await s.exited
        clearTimeout(timer)
        // A server started the README's way shuts down on SIGTERM (bash, its parent, dies of it).
        assert.notEqual(exit.signal, 'SIGKILL', `${where(s.block)}: the server did not stop on SIGTERM:\n${s.output()}`)
      }
    }
  })
}
