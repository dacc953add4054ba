'use strict'
// Lifecycle (SPEC §4, issue 2 point 8): a Node process using milvus-native exits by itself after
// its last call — by IP address or by hostname, with or without closeConnection(), and when the
// server is down — and after closeConnection() every call rejects with "client is closed".

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')
const { snapshotCalls } = require('./helpers/common')

const REPO = path.resolve(__dirname, '..')
const EXIT_WITHIN_MS = 5000

/**
 * Runs `body` in a child Node process with `MilvusClient` in scope and a strict unhandled
 * rejection handler; resolves to { code, signal, stdout, stderr, ms } or fails the test when the
 * child is still alive after EXIT_WITHIN_MS.
 */
function runChild(body) {
  const script = `
    'use strict'
    process.on('unhandledRejection', (e) => { console.error('UNHANDLED REJECTION', e); process.exitCode = 3 })
    process.on('uncaughtException', (e) => { console.error('UNCAUGHT', e); process.exit(4) })
    const { MilvusClient } = require(${JSON.stringify(REPO)})
    ;(async () => { ${body} })().catch((e) => { console.error('SCRIPT FAILED', e); process.exitCode = 2 })
  `
  const t0 = Date.now()
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the child did not exit within ${EXIT_WITHIN_MS} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, EXIT_WITHIN_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }))
    })
  })
}

function assertCleanExit(r, stdoutPattern) {
  assert.equal(r.signal, null, `killed by ${r.signal}`)
  assert.equal(r.stderr, '', 'stderr should be empty')
  assert.equal(r.code, 0, `exit code ${r.code}; stdout: ${r.stdout}`)
  if (stdoutPattern) assert.match(r.stdout, stdoutPattern)
}

/** A port nothing listens on: bound, then closed. */
async function closedPort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function withSim(fn) {
  const sim = await startSim()
  try {
    await fn(sim)
  } finally {
    await sim.stop()
  }
}

for (const host of ['127.0.0.1', 'localhost']) {
  test(`exits by itself after a call to ${host}, without closeConnection()`, async () => {
    await withSim(async (sim) => {
      const r = await runChild(`
        const client = new MilvusClient({ address: '${host}:${sim.port}' })
        const res = await client.getRestoreSnapshotState({ job_id: 1 })
        console.log('code', res.status.code)
      `)
      assertCleanExit(r, /^code 2101$/m)
    })
  })

  test(`exits by itself after the handshake and a call to ${host}`, async () => {
    await withSim(async (sim) => {
      const r = await runChild(`
        const client = new MilvusClient({ address: 'http://${host}:${sim.port}' })
        const reply = await client.connectPromise
        console.log('mode', reply.server_info.deploy_mode)
        console.log('code', (await client.getRestoreSnapshotState({ job_id: '5' })).status.code)
      `)
      assertCleanExit(r, /^mode STANDALONE\ncode 2101$/m)
    })
  })
}

test('exits by itself after closeConnection()', async () => {
  await withSim(async (sim) => {
    const r = await runChild(`
      const client = new MilvusClient({ address: 'localhost:${sim.port}' })
      console.log('code', (await client.getRestoreSnapshotState({ job_id: 1 })).status.code)
      console.log('closed', await client.closeConnection())
    `)
    assertCleanExit(r, /^code 2101\nclosed 5$/m)
  })
})

test('exits by itself when the client is only constructed (handshake in flight)', async () => {
  await withSim(async (sim) => {
    const r = await runChild(`
      new MilvusClient({ address: '127.0.0.1:${sim.port}' })
      new MilvusClient({ address: 'localhost:${sim.port}' })
      console.log('constructed')
    `)
    assertCleanExit(r, /^constructed$/m)
  })
})

test('exits by itself after many concurrent calls', async () => {
  await withSim(async (sim) => {
    const r = await runChild(`
      const client = new MilvusClient({ address: 'localhost:${sim.port}' })
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => client.getRestoreSnapshotState({ job_id: i + 1 })))
      console.log('calls', all.length)
    `)
    assertCleanExit(r, /^calls 200$/m)
  })
})

test('server down: no crash, no unhandled rejection, the call rejects, the process exits', async () => {
  const port = await closedPort()
  const r = await runChild(`
    const client = new MilvusClient({ address: '127.0.0.1:${port}', retryDelay: 1 })
    try {
      await client.getRestoreSnapshotState({ job_id: 1, timeout: 1000 })
      console.log('resolved?!')
    } catch (e) {
      console.log('rejected', e.code, e instanceof Error)
    }
  `)
  assertCleanExit(r, /^rejected 14 true$/m)
})

test('server down, hostname: the failed handshake alone is never unhandled', async () => {
  const port = await closedPort()
  const r = await runChild(`
    new MilvusClient({ address: 'localhost:${port}' })
    console.log('constructed')
  `)
  assertCleanExit(r, /^constructed$/m)
})

test('server down: connectPromise rejects with a gRPC error, and only when awaited', async () => {
  const port = await closedPort()
  const r = await runChild(`
    const client = new MilvusClient({ address: '127.0.0.1:${port}', timeout: 1000 })
    try {
      await client.connectPromise
      console.log('connected?!')
    } catch (e) {
      console.log('handshake failed', typeof e.code, e instanceof Error)
    }
  `)
  assertCleanExit(r, /^handshake failed number true$/m)
})

test('the server going away after a call: the next call rejects, the process exits', async () => {
  const helper = JSON.stringify(path.join(__dirname, 'helpers', 'sim.js'))
  const r = await runChild(`
    const sim = await require(${helper}).startSim()
    const client = new MilvusClient({ address: 'localhost:' + sim.port, retryDelay: 1 })
    console.log('code', (await client.getRestoreSnapshotState({ job_id: 1 })).status.code)
    await sim.stop()
    const e = await client.getRestoreSnapshotState({ job_id: 1, timeout: 1000 }).then(() => null, (e) => e)
    console.log('after stop', e && e.code)
  `)
  assertCleanExit(r, /^code 2101\nafter stop 14$/m)
})

test('after closeConnection() every call rejects with "client is closed"', async () => {
  await withSim(async (sim) => {
    const client = new MilvusClient({ address: sim.address })
    await client.connectPromise
    assert.equal((await client.getRestoreSnapshotState({ job_id: 1 })).status.code, 2101)
    assert.equal(await client.closeConnection(), 5)
    const closed = { message: /client is closed/i }
    const calls = snapshotCalls('c')
    for (const [method, req] of Object.entries(calls)) {
      const p = client[method](req)
      assert.ok(p instanceof Promise, method)
      await assert.rejects(p, closed, method)
    }
    // Closing twice is harmless, and the client stays closed.
    assert.equal(await client.closeConnection(), 5)
    await assert.rejects(client.getRestoreSnapshotState({ job_id: 2 }), closed)
  })
})

test('closeConnection() while a call is in flight: the process still exits', async () => {
  const fixtures = { 1: { fault: { delay_ms: 300 }, info: { job_id: '1' } } }
  const sim = await startSim({ fixtures })
  try {
    const r = await runChild(`
      const client = new MilvusClient({ address: 'localhost:${sim.port}' })
      const p = client.getRestoreSnapshotState({ job_id: 1 })
      await client.closeConnection()
      const out = await p.then((v) => 'resolved', (e) => 'rejected')
      console.log('settled', out)
    `)
    assertCleanExit(r, /^settled (resolved|rejected)$/m)
  } finally {
    await sim.stop()
  }
})
