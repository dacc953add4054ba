'use strict'
// Exit (issue 6, item 5): `process.exit()` with calls in flight, and the natural exit after
// `closeConnection()`. Each case is a child process that prints a MARK line just before the
// moment it should end; the test measures from that line to the child's exit. (The natural
// exit after plain calls, by IP and by hostname, is exit.test.js.)

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const { startBlackhole } = require('./helpers/blackhole')

const PKG = JSON.stringify(path.resolve(__dirname, '..'))
// From the MARK line to the exit; a hang on a call in flight would be its deadline (15 s).
const PROMPT_MS = 2500

function runChild(body) {
  const code = `const { MilvusClient } = require(${PKG})\nconst mark = () => console.log('MARK')\n${body}`
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let markAt
    const killer = setTimeout(() => child.kill('SIGKILL'), 30000)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d) => {
      stdout += d
      if (markAt === undefined && stdout.includes('MARK')) markAt = Date.now()
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status, signal) => {
      clearTimeout(killer)
      const latency = markAt === undefined ? undefined : Date.now() - markAt
      resolve({ status, signal, stdout, stderr, latency })
    })
  })
}

function assertPromptExit(r, status = 0) {
  assert.equal(r.signal, null, `killed by ${r.signal}\n${r.stderr}`)
  assert.equal(r.status, status, r.stderr)
  assert.equal(r.stderr, '', 'nothing on stderr (no panic, no unhandled rejection)')
  assert.notEqual(r.latency, undefined, `never reached MARK: ${r.stdout}`)
  assert.ok(r.latency <= PROMPT_MS, `exited ${r.latency} ms after MARK`)
}

let sim
let hole
test.before(async () => {
  sim = await startSim({
    fixtures: {
      1: { fault: { delay_ms: 3000 }, info: { job_id: '1' } },
      2: { info: { job_id: '2', state: 2, progress: 10 } },
      3: { info: { job_id: '3' } },
      4: { fault: { delay_ms: 1000 }, info: { job_id: '4' } },
    },
  })
  hole = await startBlackhole()
})
test.after(async () => {
  hole.close()
  await sim.stop()
})

test('process.exit(0) with 200 calls in flight on a slow server: exits 0 at once', async (t) => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    for (let i = 0; i < 200; i++) c.getRestoreSnapshotState({ job_id: 1 }).catch(() => {})
    setTimeout(() => { mark(); process.exit(0) }, 300)
  `)
  assertPromptExit(r)
  t.diagnostic(`exited ${r.latency} ms after process.exit`)
})

test('process.exit(0) with calls still connecting to an address that never answers', async (t) => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${hole.address}' })
    for (let i = 0; i < 50; i++) c.listSnapshots({ collection_name: 'c' }).catch(() => {})
    setTimeout(() => { mark(); process.exit(0) }, 300)
  `)
  assertPromptExit(r)
  t.diagnostic(`exited ${r.latency} ms after process.exit`)
})

test('process.exit(0) while waitForRestoreSnapshot polls with an onProgress callback', async (t) => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    let seen = 0
    c.waitForRestoreSnapshot({ job_id: 2, interval: 5, onProgress: () => seen++ }).catch(() => {})
    const ac = new AbortController()
    c.waitForRestoreSnapshot({ job_id: 2, interval: 5, signal: ac.signal }).catch(() => {})
    setTimeout(() => { mark(); process.exit(0) }, 300)
  `)
  assertPromptExit(r)
  t.diagnostic(`exited ${r.latency} ms after process.exit`)
})

test('process.exit(7) from inside a resolved call with others in flight keeps the code 7', async () => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    for (let i = 0; i < 100; i++) c.getRestoreSnapshotState({ job_id: 1 }).catch(() => {})
    c.getRestoreSnapshotState({ job_id: 3 }).then((res) => { console.log(res.info.job_id); mark(); process.exit(7) })
  `)
  assertPromptExit(r, 7)
  assert.match(r.stdout, /^3\n/)
})

test('natural exit after closeConnection(), calls done: code 0 within seconds', async (t) => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    Promise.all([3, 3, 3].map((job_id) => c.getRestoreSnapshotState({ job_id })))
      .then(() => c.closeConnection())
      .then((s) => { console.log('closed', s); mark() })
  `)
  assertPromptExit(r)
  assert.match(r.stdout, /^closed 5\n/)
  t.diagnostic(`exited ${r.latency} ms after closeConnection() resolved`)
})

test('natural exit after closeConnection() with a 1 s call in flight: it resolves, then the process exits', async (t) => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    const t0 = Date.now()
    c.getRestoreSnapshotState({ job_id: 4 }).then((res) => { console.log('resolved', res.info.job_id); mark() })
    setTimeout(() => c.closeConnection(), 100)
  `)
  assertPromptExit(r)
  assert.match(r.stdout, /^resolved 4\n/)
  t.diagnostic(`exited ${r.latency} ms after the last call settled`)
})

test('natural exit after closeConnection() while the handshake to a never-answering address is pending', async (t) => {
  // The handshake's deadline is 15 s; the process must not wait for it.
  const r = await runChild(`
    const c = new MilvusClient({ address: '${hole.address}' })
    c.closeConnection().then(() => mark())
  `)
  assertPromptExit(r)
  t.diagnostic(`exited ${r.latency} ms after closeConnection()`)
})

test('after closeConnection() every method rejects ERR_CLIENT_CLOSED, and the process still exits', async () => {
  const r = await runChild(`
    const c = new MilvusClient({ address: '${sim.address}' })
    c.closeConnection().then(async () => {
      const codes = await Promise.all([
        c.getRestoreSnapshotState({ job_id: 3 }), c.listSnapshots({ collection_name: 'c' }),
        c.waitForRestoreSnapshot({ job_id: 2 }), c.unpinSnapshotData({ pin_id: 1 }),
      ].map((p) => p.then(() => 'resolved', (e) => e.code)))
      console.log(codes.join(','))
      mark()
    })
  `)
  assertPromptExit(r)
  assert.equal(r.stdout, 'ERR_CLIENT_CLOSED,ERR_CLIENT_CLOSED,ERR_CLIENT_CLOSED,ERR_CLIENT_CLOSED\nMARK\n')
})
