'use strict'
// waitForRestoreSnapshot rides out outages (issue 13, point 5): within its own `timeout` it keeps
// polling through UNAVAILABLE (a killed server, a refused connection) and a poll's own
// DEADLINE_EXCEEDED, pausing `interval` doubled per failure in a row (capped at 5 s, never past
// the wait's end); it stops at once on any other gRPC code, a Milvus error status, Failed, or an
// abort. A wait that times out during an outage carries the last poll's error as `cause`.
//
// The outage is real: the simulator is killed (SIGKILL) mid-wait and a new one started on the
// same port 2 s later; the restarted server's fixtures have the job Completed, as a restarted
// Milvus proxy reads the job's state back from its metadata store.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient, RestoreSnapshotError } = require('..')
const { startSim } = require('./helpers/sim')
const { rejection } = require('./helpers/common')

const JOB = '462000000000000950'
const EXECUTING = { [JOB]: { info: { job_id: JOB, snapshot_name: 's', collection_name: 't', state: 2, progress: 40 } } }
const COMPLETED = { [JOB]: { info: { job_id: JOB, snapshot_name: 's', collection_name: 't', state: 3, progress: 100, time_cost: '9' } } }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// Timer slack on a loaded machine (the suites share two cores).
const SLACK = 400

function polls(sim) {
  return sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
}

/** Resolves once the simulator has recorded `n` polls. */
async function pollsSeen(sim, n) {
  const deadline = Date.now() + 10000
  while (polls(sim).length < n) {
    if (Date.now() > deadline) throw new Error(`only ${polls(sim).length} polls recorded in 10 s`)
    await sleep(10)
  }
}

async function kill(sim) {
  sim.proc.kill('SIGKILL')
  await sim.stop()
}

/** Settles the promise into { value } or { error }, never throwing. */
function outcome(p) {
  return p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  )
}

test('server killed mid-wait and restarted on the same port 2 s later: the wait resolves with the final info', async (t) => {
  let sim = await startSim({ fixtures: EXECUTING, record: true })
  const port = sim.port
  // The default retry policy: on its own one poll gives up ~150 ms into an outage.
  const client = new MilvusClient({ address: sim.address })
  const seen = []
  try {
    const wait = outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 100, timeout: 30000, onProgress: (i) => seen.push(i) }))
    await pollsSeen(sim, 2)
    await kill(sim)
    const killedAt = performance.now()
    await sleep(2000)
    sim = await startSim({ args: ['--port', String(port)], fixtures: COMPLETED, record: true })
    assert.equal(sim.port, port)
    const restartedAt = performance.now()
    const { value: info, error } = await wait
    assert.equal(error, undefined, `the wait rejected: ${error && error.stack}`)
    t.diagnostic(`resolved ${Math.round(performance.now() - killedAt)} ms after the kill, ${Math.round(performance.now() - restartedAt)} ms after the restart`)
    assert.equal(info.state, 'RestoreSnapshotCompleted')
    assert.equal(info.progress, 100)
    assert.equal(info.job_id, JOB)
    // The reports: the job as the first server had it, then as the restarted one does.
    assert.deepEqual(seen.map((i) => `${i.state} ${i.progress}`), ['RestoreSnapshotExecuting 40', 'RestoreSnapshotCompleted 100'])
    // The restarted server was polled over a new connection of the same client.
    assert.ok(polls(sim).length >= 1)
    const after = await client.getRestoreSnapshotState({ job_id: JOB })
    assert.equal(after.info.state, 'RestoreSnapshotCompleted')
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('a wait that times out during an outage: RESTORE_TIMEOUT by its end, the last info, and the last poll\'s error as cause', async () => {
  const sim = await startSim({ fixtures: EXECUTING, record: true })
  const client = new MilvusClient({ address: sim.address, maxRetries: 1, retryDelay: 10 })
  try {
    const timeout = 1500
    const t0 = performance.now()
    const wait = outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 50, timeout }))
    await pollsSeen(sim, 2)
    await kill(sim)
    const { error: e } = await wait
    const elapsed = performance.now() - t0
    assert.ok(e instanceof RestoreSnapshotError, `not a RestoreSnapshotError: ${e && e.stack}`)
    assert.equal(e.code, 'RESTORE_TIMEOUT')
    // Never past the wait's end, whatever the backoff.
    assert.ok(elapsed >= timeout - 5 && elapsed <= timeout + SLACK, `settled after ${Math.round(elapsed)} ms (timeout ${timeout})`)
    assert.equal(e.info.state, 'RestoreSnapshotExecuting')
    assert.equal(e.info.progress, 40)
    assert.ok(e.cause instanceof Error, 'no cause')
    assert.equal(e.cause.code, 14)
    assert.match(e.cause.message, /^14 UNAVAILABLE/)
    assert.match(e.message, /did not finish within 1500 ms \(last state RestoreSnapshotExecuting, progress 40%\); the last poll failed: 14 UNAVAILABLE/)
  } finally {
    await client.closeConnection()
  }
})

test('a refused connection from the start: polled through until the server comes up on that port', async () => {
  // A port nobody listens on (the simulator's, just stopped).
  const probe = await startSim({ fixtures: COMPLETED })
  const port = probe.port
  await probe.stop()
  const client = new MilvusClient({ address: `127.0.0.1:${port}`, maxRetries: 0 })
  let sim
  try {
    const wait = outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 100, timeout: 30000 }))
    await sleep(700)
    sim = await startSim({ args: ['--port', String(port)], fixtures: COMPLETED })
    const { value, error } = await wait
    assert.equal(error, undefined, `the wait rejected: ${error && error.stack}`)
    assert.equal(value.state, 'RestoreSnapshotCompleted')
  } finally {
    await client.closeConnection()
    if (sim) await sim.stop()
  }
})

test('onPollError: each failed poll the wait rides out, with its error, the failures in a row and the pause; none once the server is back', async () => {
  const probe = await startSim({ fixtures: COMPLETED })
  const port = probe.port
  await probe.stop()
  const client = new MilvusClient({ address: `127.0.0.1:${port}`, maxRetries: 0 })
  const reports = []
  let sim
  try {
    const wait = outcome(
      client.waitForRestoreSnapshot({
        job_id: JOB,
        interval: 100,
        timeout: 30000,
        onPollError: (error, retry) => {
          reports.push({ error, retry })
          if (reports.length === 1) throw new Error('a throwing hook neither ends the wait nor crashes')
        },
      }),
    )
    const deadline = Date.now() + 10000
    while (reports.length < 3 && Date.now() < deadline) await sleep(10)
    assert.equal(reports.length >= 3, true, `${reports.length} reports in 10 s`)
    // The error as a call made now rejects.
    const direct = await rejection(client.getRestoreSnapshotState({ job_id: JOB }))
    sim = await startSim({ args: ['--port', String(port)], fixtures: COMPLETED })
    const { value, error } = await wait
    assert.equal(error, undefined, `the wait rejected: ${error && error.stack}`)
    assert.equal(value.state, 'RestoreSnapshotCompleted')
    const n = reports.length
    assert.deepEqual(reports.map((r) => r.retry.failures), Array.from({ length: n }, (_, i) => i + 1))
    // `interval`, doubled per failure in a row (src/wait.rs, outage_pause).
    assert.deepEqual(reports.slice(0, 3).map((r) => r.retry.retryInMs), [100, 200, 400])
    for (const { error: e } of reports) {
      assert.equal(e instanceof Error, true)
      assert.deepEqual({ code: e.code, message: e.message, details: e.details, metadata: e.metadata }, {
        code: direct.code,
        message: direct.message,
        details: direct.details,
        metadata: direct.metadata,
      })
    }
    // The server is back: no more reports.
    await sleep(250)
    assert.equal(reports.length, n)
  } finally {
    await client.closeConnection()
    if (sim) await sim.stop()
  }
})

test('a poll\'s own DEADLINE_EXCEEDED is ridden out: the next poll gets the reply', async () => {
  // The first two attempts answer after 2 s; the client's timeout is 300 ms.
  const fixtures = { [JOB]: { ...COMPLETED[JOB], fault: { delay_ms: 2000, fail_times: 2 } } }
  const sim = await startSim({ fixtures, record: true })
  const client = new MilvusClient({ address: sim.address, timeout: 300 })
  try {
    const { value, error } = await outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 20, timeout: 10000 }))
    assert.equal(error, undefined, `the wait rejected: ${error && error.stack}`)
    assert.equal(value.state, 'RestoreSnapshotCompleted')
    await sleep(50)
    assert.deepEqual(polls(sim).map((r) => r.outcome), ['cancelled', 'cancelled', 'ok'])
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

for (const [code, name, attempts] of [
  [7, 'PERMISSION_DENIED', 1],
  [13, 'INTERNAL', 2], // retried once by the client's policy (maxRetries 1), then final
  [3, 'INVALID_ARGUMENT', 1],
]) {
  test(`a non-transient code (${code} ${name}) ends the wait at once, with that error`, async () => {
    const fixtures = { [JOB]: { ...EXECUTING[JOB], fault: { code, message: `scripted ${name}` } } }
    const sim = await startSim({ fixtures, record: true })
    const client = new MilvusClient({ address: sim.address, maxRetries: 1, retryDelay: 10 })
    try {
      const { error: e } = await outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 20, timeout: 10000 }))
      assert.ok(e, 'the wait resolved')
      assert.equal(e.code, code)
      assert.match(e.message, new RegExp(`^${code} ${name}: scripted ${name}`))
      await sleep(100)
      assert.equal(polls(sim).length, attempts, 'polled again after a non-transient code')
    } finally {
      await client.closeConnection()
      await sim.stop()
    }
  })
}

test('an abort during the outage\'s pause rejects at once with AbortError', async () => {
  const sim = await startSim({ fixtures: EXECUTING, record: true })
  const client = new MilvusClient({ address: sim.address, maxRetries: 0 })
  try {
    const ac = new AbortController()
    const reason = new Error('gave up')
    const wait = outcome(client.waitForRestoreSnapshot({ job_id: JOB, interval: 2000, timeout: 30000, signal: ac.signal }))
    await pollsSeen(sim, 1)
    await kill(sim)
    // Past the pause after the first poll (2 s), into the outage's pauses.
    await sleep(2600)
    const t0 = performance.now()
    ac.abort(reason)
    const { error: e } = await wait
    const ms = performance.now() - t0
    assert.ok(e, 'the wait resolved')
    assert.equal(e.name, 'AbortError', `${e.stack}`)
    assert.equal(e.cause, reason)
    assert.ok(ms < SLACK, `the abort settled after ${Math.round(ms)} ms`)
  } finally {
    await client.closeConnection()
  }
})
