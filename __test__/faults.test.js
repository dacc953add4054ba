'use strict'
// Faults (issue 6, items 1, 2, 8, 10): a server that is not there, dies mid-run and comes back
// on the same port, answers slowly or never, resets connections, sends huge replies, or
// refuses the password. Every promise settles, with the code SPEC §3/§4 names, within
// timeout × (maxRetries + 1) + backoff; nothing crashes; nothing is an unhandled rejection.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')
const { rejection, snapshotCalls } = require('./helpers/common')
const { startBlackhole, freePort } = require('./helpers/blackhole')

// Scheduling slack on a loaded two-core machine (the suites run in parallel).
const SLACK = 1500

const CALLS = snapshotCalls()


/** Settles p and reports how long it took. */
// `call` is a function that makes the call: the clock starts before it, since the addon's
// runtime may start the call's deadline while this thread is still busy.
async function timed(call) {
  const t0 = Date.now()
  try {
    return { value: await call(), ms: Date.now() - t0 }
  } catch (error) {
    return { error, ms: Date.now() - t0 }
  }
}

/** Sum of the pauses before retries 1..n: 2^k × retryDelay. */
function backoff(maxRetries, retryDelay) {
  let sum = 0
  for (let k = 1; k <= maxRetries; k++) sum += 2 ** k * retryDelay
  return sum
}

function watchUnhandled() {
  const seen = []
  const on = (e) => seen.push(e)
  process.on('unhandledRejection', on)
  return {
    seen,
    stop: () => process.off('unhandledRejection', on),
  }
}

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------
// 1. Unreachable, killed, restarted

test('unreachable at construction: handshake and every method reject 14 after the retry policy, no unhandled rejection', async (t) => {
  const unhandled = watchUnhandled()
  const port = await freePort()
  const maxRetries = 3
  const retryDelay = 20
  const client = new MilvusClient({ address: `127.0.0.1:${port}`, maxRetries, retryDelay, timeout: 3000 })
  const times = []
  try {
    for (const [method, data] of Object.entries(CALLS)) {
      const { error, ms } = await timed(() => client[method](data))
      assert.ok(error, `${method} resolved against a closed port`)
      assert.equal(error.code, 14, `${method}: ${error.message}`)
      assert.match(error.message, /^14 UNAVAILABLE: /)
      assert.match(error.details, / \(retried 3 times, \d+ms\)$/, method)
      const pauses = backoff(maxRetries, retryDelay)
      assert.ok(ms >= pauses, `${method} settled after ${ms} ms, before the ${pauses} ms of backoff: ${error.details}`)
      assert.ok(ms <= 3000 * (maxRetries + 1) + pauses + SLACK, `${method} took ${ms} ms`)
      times.push(ms)
    }
    t.diagnostic(`9 methods rejected 14 after 3 retries in ${Math.min(...times)}-${Math.max(...times)} ms (backoff ${backoff(maxRetries, retryDelay)} ms)`)
    const e = await rejection(client.connectPromise)
    assert.equal(e.code, 14)
    await assert.rejects(client.getVersion(), { code: 14 })
    await assert.rejects(client.checkHealth(), { code: 14 })
    await tick()
    assert.deepEqual(unhandled.seen, [])
  } finally {
    unhandled.stop()
    await client.closeConnection()
  }
})

test('unreachable at construction, nobody listens for the handshake: the process neither crashes nor warns', async () => {
  const port = await freePort()
  // A child with no handlers of its own: an unhandled rejection would print and exit non-zero.
  const script = `
    const { MilvusClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const c = new MilvusClient({ address: '127.0.0.1:${port}', maxRetries: 1, retryDelay: 5 })
    c.getRestoreSnapshotState({ job_id: 1 }).catch((e) => console.log('call', e.code))
    setTimeout(() => console.log('alive'), 300)
  `
  const r = spawnSync(process.execPath, ['--unhandled-rejections=strict', '-e', script], { encoding: 'utf8', timeout: 20000 })
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, '')
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['alive', 'call 14'])
})

test('nothing listening yet, then the server starts on that port: later calls succeed on the same client', async () => {
  const port = await freePort()
  const client = new MilvusClient({ address: `127.0.0.1:${port}`, maxRetries: 0, timeout: 2000 })
  let sim
  try {
    await assert.rejects(client.getRestoreSnapshotState({ job_id: 7 }), { code: 14 })
    sim = await startSim({ args: ['--port', String(port)], fixtures: { 7: { info: { job_id: '7', state: 3 } } } })
    const res = await client.getRestoreSnapshotState({ job_id: 7 })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
  } finally {
    await client.closeConnection()
    if (sim) await sim.stop()
  }
})

test('server killed (SIGKILL) with calls in flight, restarted on the same port, three times: in-flight and later calls reject 14, then all succeed', async (t) => {
  const fixtures = { 5: { fault: { delay_ms: 400 }, info: { job_id: '5', state: 2 } }, 6: { info: { job_id: '6', state: 3 } } }
  let sim = await startSim({ fixtures, args: ['--collection', 'default/books'] })
  const port = sim.port
  const maxRetries = 2
  const retryDelay = 20
  const timeout = 3000
  const client = new MilvusClient({ address: sim.address, maxRetries, retryDelay, timeout })
  const bound = timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay) + SLACK
  const unhandled = watchUnhandled()
  try {
    for (let cycle = 0; cycle < 3; cycle++) {
      assert.equal((await client.getRestoreSnapshotState({ job_id: 6 })).info.job_id, '6')
      const inFlight = Array.from({ length: 20 }, () => timed(() => client.getRestoreSnapshotState({ job_id: 5 })))
      await tick(100)
      sim.proc.kill('SIGKILL')
      await sim.stop()
      const settled = await Promise.all(inFlight)
      for (const { error, ms } of settled) {
        assert.ok(error, 'a call in flight on a killed server resolved')
        assert.equal(error.code, 14, error.message)
        assert.ok(ms <= bound, `settled after ${ms} ms (bound ${bound})`)
      }
      t.diagnostic(`cycle ${cycle + 1}: 20 in-flight calls rejected 14 in ${Math.min(...settled.map((r) => r.ms))}-${Math.max(...settled.map((r) => r.ms))} ms`)
      // While it is down: every method rejects 14 after the retries.
      for (const [method, data] of Object.entries(CALLS)) {
        const e = await rejection(client[method](data))
        assert.equal(e.code, 14, `${method}: ${e.message}`)
        assert.match(e.details, / \(retried 2 times, \d+ms\)$/)
      }
      sim = await startSim({ fixtures, args: ['--port', String(port), '--collection', 'default/books'] })
      assert.equal(sim.port, port)
      // Back: the very first call succeeds, and so does every method.
      const first = await timed(() => client.getRestoreSnapshotState({ job_id: 6 }))
      assert.equal(first.error, undefined)
      assert.equal(first.value.info.state, 'RestoreSnapshotCompleted')
      t.diagnostic(`cycle ${cycle + 1}: first call after the restart resolved in ${first.ms} ms`)
      for (const [method, data] of Object.entries(CALLS)) {
        const res = await client[method](data)
        assert.equal(typeof res, 'object', method)
      }
    }
    await tick()
    assert.deepEqual(unhandled.seen, [])
  } finally {
    unhandled.stop()
    await client.closeConnection()
    await sim.stop()
  }
})

test('a call already retrying when the server comes back resolves', async (t) => {
  let sim = await startSim({ fixtures: { 8: { info: { job_id: '8' } } } })
  const port = sim.port
  // Pauses of 200, 400, 800, 1600 ms: the server is back during the second or third.
  const client = new MilvusClient({ address: sim.address, maxRetries: 4, retryDelay: 100, timeout: 2000 })
  try {
    await client.getRestoreSnapshotState({ job_id: 8 })
    await sim.stop()
    const pending = timed(() => client.getRestoreSnapshotState({ job_id: 8 }))
    await tick(300)
    sim = await startSim({ args: ['--port', String(port)], fixtures: { 8: { info: { job_id: '8' } } } })
    const { value, error, ms } = await pending
    assert.equal(error, undefined, error && error.message)
    assert.equal(value.info.job_id, '8')
    assert.ok(ms < 200 + 400 + 800 + 1600 + SLACK, `${ms} ms`)
    t.diagnostic(`server back after 300 ms; the retrying call resolved after ${ms} ms`)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

// ---------------------------------------------------------------------------------------
// 2. Deadlines

test('slow server (5 s per reply), timeout 300 ms: 50 concurrent calls reject 4 DEADLINE_EXCEEDED on time, one attempt each', async (t) => {
  const sim = await startSim({ record: true, fixtures: { 9: { fault: { delay_ms: 5000 }, info: { job_id: '9' } } } })
  const maxRetries = 3
  const retryDelay = 20
  const timeout = 300
  const client = new MilvusClient({ address: sim.address, maxRetries, retryDelay, timeout, __SKIP_CONNECT__: true })
  try {
    const results = await Promise.all(Array.from({ length: 50 }, () => timed(() => client.getRestoreSnapshotState({ job_id: 9 }))))
    const bound = timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay)
    for (const { error, ms } of results) {
      assert.ok(error, 'resolved')
      assert.equal(error.code, 4)
      assert.equal(error.message, '4 DEADLINE_EXCEEDED: Deadline exceeded after 0.300s')
      assert.ok(ms >= timeout - 5 && ms <= bound + SLACK, `${ms} ms`)
    }
    t.diagnostic(`50 calls settled in ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms (timeout ${timeout}, bound ${bound})`)
    // DEADLINE_EXCEEDED is not retried: the server saw 50 attempts, all cancelled by the client.
    await tick(300)
    const attempts = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.equal(attempts.length, 50, JSON.stringify(attempts.map((r) => [r.outcome, r.headers && r.headers['client-request-unixmsec']])))
    assert.ok(attempts.every((r) => r.outcome === 'cancelled'), JSON.stringify(attempts.map((r) => r.outcome)))
    // A call's own timeout overrides the client's.
    const { error, ms } = await timed(() => client.getRestoreSnapshotState({ job_id: 9, timeout: 120 }))
    assert.equal(error.code, 4)
    assert.ok(ms >= 115 && ms <= 120 + SLACK, `${ms} ms`)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('slow failures are retried within timeout × (maxRetries + 1) + backoff', async (t) => {
  // Each attempt waits 150 ms, then fails UNAVAILABLE: three attempts, then the rejection.
  const sim = await startSim({ record: true, fixtures: { 10: { fault: { code: 14, message: 'busy', delay_ms: 150 } } } })
  const maxRetries = 2
  const retryDelay = 20
  const timeout = 1000
  const client = new MilvusClient({ address: sim.address, maxRetries, retryDelay, timeout, __SKIP_CONNECT__: true })
  try {
    const { error, ms } = await timed(() => client.getRestoreSnapshotState({ job_id: 10 }))
    assert.equal(error.code, 14)
    assert.match(error.details, /^busy \(retried 2 times, \d+ms\)$/)
    const floor = 3 * 150 + backoff(maxRetries, retryDelay)
    assert.ok(ms >= floor && ms <= timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay) + SLACK, `${ms} ms`)
    t.diagnostic(`3 slow attempts settled after ${ms} ms (floor ${floor}, bound ${timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay)})`)
    assert.deepEqual(
      sim.records().map((r) => r.outcome),
      ['grpc:14', 'grpc:14', 'grpc:14']
    )
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('an address that never answers (full backlog, never accepts): every call and the handshake reject 4 on time', async (t) => {
  const hole = await startBlackhole()
  const maxRetries = 3
  const retryDelay = 10
  const timeout = 500
  const client = new MilvusClient({ address: hole.address, maxRetries, retryDelay, timeout })
  const bound = timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay) + SLACK
  try {
    const all = []
    for (const [method, data] of Object.entries(CALLS)) {
      for (let i = 0; i < 5; i++) all.push(timed(() => client[method](data)).then((r) => ({ method, ...r })))
    }
    const results = await Promise.all(all)
    for (const { method, error, ms } of results) {
      assert.ok(error, `${method} resolved`)
      assert.equal(error.code, 4, `${method}: ${error.message}`)
      // Connecting counts against the deadline: no attempt outlives it.
      assert.ok(ms >= timeout - 5 && ms <= bound, `${method}: ${ms} ms`)
    }
    t.diagnostic(`45 calls to a never-accepting socket settled in ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms (timeout ${timeout})`)
    const hs = await timed(() => client.connectPromise)
    assert.equal(hs.error.code, 4)
    // getVersion waits for the handshake, as the official client does: it rejects with it.
    await assert.rejects(client.getVersion(), { code: 4 })
    const own = await timed(() => client.getRestoreSnapshotState({ job_id: 1, timeout: 150 }))
    assert.equal(own.error.code, 4)
    assert.ok(own.ms >= 145 && own.ms <= 150 + SLACK, `${own.ms} ms`)
  } finally {
    await client.closeConnection()
    hole.close()
  }
})

// ---------------------------------------------------------------------------------------
// 8. Hostile server

test('a server that resets the connection (fault.drop): every call settles, retried, no crash; the client recovers', async (t) => {
  const fixtures = {
    11: { fault: { drop: true } },
    12: { fault: { drop: true, delay_ms: 200 } },
    13: { fault: { drop: true, fail_times: 1 }, info: { job_id: '13', state: 3 } },
    14: { info: { job_id: '14' } },
  }
  const sim = await startSim({ record: true, fixtures })
  const maxRetries = 2
  const retryDelay = 10
  const timeout = 3000
  const client = new MilvusClient({ address: sim.address, maxRetries, retryDelay, timeout, __SKIP_CONNECT__: true })
  const bound = timeout * (maxRetries + 1) + backoff(maxRetries, retryDelay) + SLACK
  const unhandled = watchUnhandled()
  try {
    // Resets mid-call, 30 at once on one connection, mixed with good calls on the same channel.
    const calls = []
    for (let i = 0; i < 30; i++) {
      calls.push(timed(() => client.getRestoreSnapshotState({ job_id: i % 2 ? 11 : 12 })).then((r) => ({ bad: true, ...r })))
      calls.push(timed(() => client.getRestoreSnapshotState({ job_id: 14 })).then((r) => ({ bad: false, ...r })))
    }
    let goodFailed = 0
    const settled = await Promise.all(calls)
    for (const { bad, value, error, ms } of settled) {
      assert.ok(ms <= bound, `${ms} ms`)
      if (bad) {
        assert.ok(error, 'a dropped call resolved')
        assert.equal(typeof error.code, 'number')
        assert.match(error.message, /^\d+ [A-Z_]+: /)
        assert.match(error.details, / \(retried 2 times, \d+ms\)$/)
      } else if (error) {
        // A good call sharing a connection that the server reset may fail with it; it settles.
        assert.equal(typeof error.code, 'number', error.message)
        goodFailed++
      } else {
        assert.equal(value.info.job_id, '14')
      }
    }
    const codes = [...new Set(settled.filter((r) => r.error).map((r) => r.error.code))]
    t.diagnostic(`60 calls settled in ${Math.max(...settled.map((r) => r.ms))} ms at most; codes ${codes}; good calls caught in a reset: ${goodFailed}/30`)
    // One reset, then the reply: the retry gets it.
    const res = await client.getRestoreSnapshotState({ job_id: 13 })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
    const dropped13 = sim.records().filter((r) => r.request.job_id === '13').map((r) => r.outcome)
    assert.deepEqual(dropped13, ['dropped', 'ok'])
    assert.equal((await client.getRestoreSnapshotState({ job_id: 14 })).info.job_id, '14')
    await tick()
    assert.deepEqual(unhandled.seen, [])
  } finally {
    unhandled.stop()
    await client.closeConnection()
    await sim.stop()
  }
})

test(
  'a reset connection rejects 14 UNAVAILABLE, as the official SDK (grpc-js: "Connection dropped")',
  async () => {
    const sim = await startSim({ fixtures: { 11: { fault: { drop: true } } } })
    const client = new MilvusClient({ address: sim.address, maxRetries: 0, __SKIP_CONNECT__: true })
    try {
      await assert.rejects(client.getRestoreSnapshotState({ job_id: 11 }), { code: 14 })
    } finally {
      await client.closeConnection()
      await sim.stop()
    }
  }
)

test('a 1 MiB client_request_id is refused before it can make the server close the shared connection (GOAWAY): the calls beside it resolve', async () => {
  // Sent, a header that size makes the server end the connection with GOAWAY
  // (too_many_continuations), failing every call queued on it; the client refuses it instead.
  const sim = await startSim({ fixtures: { 17: { info: { job_id: '17' } } } })
  const client = new MilvusClient({ address: sim.address, maxRetries: 0, __SKIP_CONNECT__: true })
  try {
    for (let round = 0; round < 3; round++) {
      const big = client.getRestoreSnapshotState({ job_id: 17, client_request_id: 'x'.repeat(1 << 20) })
      const after = Array.from({ length: 30 }, () => client.getRestoreSnapshotState({ job_id: 17 }))
      await assert.rejects(big, /`client_request_id` property is 1048576 bytes long/)
      for (const r of await Promise.all(after)) assert.equal(r.info.job_id, '17')
    }
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('oversized replies (8 MiB reason, 4 MiB detail), 8 at once: all resolve intact', async (t) => {
  const reason = 'r'.repeat(8 * 1024 * 1024 - 1) + 'Ω'
  const detail = 'd'.repeat(4 * 1024 * 1024)
  const sim = await startSim({ fixtures: { 15: { status: { code: 2101, reason, detail }, info: { job_id: '15', reason } } } })
  const client = new MilvusClient({ address: sim.address, timeout: 30000, __SKIP_CONNECT__: true })
  try {
    const t0 = Date.now()
    const replies = await Promise.all(Array.from({ length: 8 }, () => client.getRestoreSnapshotState({ job_id: 15 })))
    t.diagnostic(`8 replies of 12 MiB of text each in ${Date.now() - t0} ms`)
    for (const r of replies) {
      assert.equal(r.status.code, 2101)
      assert.equal(r.status.reason.length, reason.length)
      assert.ok(r.status.reason === reason)
      assert.ok(r.status.detail === detail)
      assert.ok(r.info.reason === reason)
      assert.equal(r.info.job_id, '15')
    }
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

// ---------------------------------------------------------------------------------------
// 10. Auth

test('wrong password / wrong token / no credentials: 16 UNAUTHENTICATED, not retried (one attempt each)', async () => {
  const sim = await startSim({ record: true, args: ['--auth', 'root:Milvus'], fixtures: { 16: { info: { job_id: '16' } } } })
  const base = { address: sim.address, maxRetries: 3, retryDelay: 20 }
  const cases = [
    ['username/password', { username: 'root', password: 'wrong' }, /^auth check failure, please check username and password are correct$/],
    ['token', { token: 'root:nope' }, /^auth check failure/],
    ['legacy form', null, /^auth check failure/],
    ['none', {}, /^missing authorization in header$/],
  ]
  try {
    for (const [name, creds, details] of cases) {
      const before = sim.records().length
      const client = creds ? new MilvusClient({ ...base, ...creds }) : new MilvusClient(sim.address, false, 'root', 'bad')
      const e = await rejection(client.getRestoreSnapshotState({ job_id: 16, client_request_id: `auth-${name}` }))
      assert.equal(e.code, 16, `${name}: ${e.message}`)
      assert.match(e.message, /^16 UNAUTHENTICATED: /)
      assert.match(e.details, details, name)
      assert.doesNotMatch(e.details, /retried/)
      // The handshake is refused too, once.
      await assert.rejects(client.connectPromise, { code: 16 })
      await client.closeConnection()
      const mine = sim.records().slice(before)
      const calls = mine.filter((r) => r.headers['client-request-id'] === `auth-${name}`)
      assert.deepEqual(calls.map((r) => r.outcome), ['grpc:16'], name)
      assert.deepEqual(mine.filter((r) => r.method === 'Connect').map((r) => r.outcome), ['grpc:16'], name)
    }
    const good = new MilvusClient({ ...base, username: 'root', password: 'Milvus' })
    assert.equal((await good.getRestoreSnapshotState({ job_id: 16 })).info.job_id, '16')
    await good.closeConnection()
  } finally {
    await sim.stop()
  }
})
