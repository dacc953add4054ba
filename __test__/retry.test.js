'use strict'
// Retries, asserted against SPEC §4 directly (the official SDK's retries hang against a tonic
// server, see the note there): attempts are counted in milvus-sim's record, one line per attempt.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')
const { rejection } = require('./helpers/common')

const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

async function withClient(fixtures, options, fn) {
  const sim = await startSim({ fixtures, record: true })
  const client = new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true, ...options })
  try {
    await fn(client, sim)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
}

function attempts(sim) {
  return sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
}


const SUFFIX = / \(retried (\d+) times, (\d+)ms\)$/

test('UNAVAILABLE always: maxRetries + 1 attempts, backoff 2^n * retryDelay, then the suffix', async () => {
  const fixtures = { 1: { fault: { code: 14, message: 'node down' } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 20 }, async (client, sim) => {
    const t0 = Date.now()
    const e = await rejection(client.getRestoreSnapshotState({ job_id: 1 }))
    const elapsed = Date.now() - t0
    assert.ok(e instanceof Error)
    assert.equal(e.code, 14)
    const m = SUFFIX.exec(e.details)
    assert.ok(m, `no retry suffix in ${JSON.stringify(e.details)}`)
    assert.equal(e.details, `node down (retried 3 times, ${m[2]}ms)`)
    assert.equal(e.message, `14 UNAVAILABLE: ${e.details}`)
    assert.ok(e.metadata !== null && typeof e.metadata === 'object')
    // T is the time since the call started: at least the three pauses, at most what we measured.
    const t = Number(m[2])
    assert.ok(t >= 40 + 80 + 160 && t <= elapsed, `T=${t}, elapsed=${elapsed}`)

    const tries = attempts(sim)
    assert.deepEqual(tries.map((r) => r.outcome), ['grpc:14', 'grpc:14', 'grpc:14', 'grpc:14'])
    const gaps = tries.slice(1).map((r, i) => r.t_ms - tries[i].t_ms)
    for (const [i, gap] of gaps.entries()) {
      const want = 2 ** (i + 1) * 20
      assert.ok(gap >= want - 2 && gap < want + 120, `gap ${i + 1} = ${gap} ms, want about ${want} ms (all: ${gaps})`)
    }
  })
})

test('INTERNAL twice, then a reply: resolves after three attempts', async () => {
  const fixtures = { 2: { fault: { code: 13, message: 'oops', fail_times: 2 }, info: { job_id: '2', state: 3, progress: 100 } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    const res = await client.getRestoreSnapshotState({ job_id: 2 })
    assert.deepEqual(res.status, OK)
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
    assert.deepEqual(attempts(sim).map((r) => r.outcome), ['grpc:13', 'grpc:13', 'ok'])
  })
})

test('UNAVAILABLE once with the default policy: resolves on the second attempt', async () => {
  const fixtures = { 3: { fault: { code: 14, message: 'blip', fail_times: 1 }, info: { job_id: '3' } } }
  await withClient(fixtures, {}, async (client, sim) => {
    const res = await client.getRestoreSnapshotState({ job_id: 3 })
    assert.equal(res.info.job_id, '3')
    const tries = attempts(sim)
    assert.deepEqual(tries.map((r) => r.outcome), ['grpc:14', 'ok'])
    // Default retryDelay 10 ms: the first pause is 20 ms.
    const gap = tries[1].t_ms - tries[0].t_ms
    assert.ok(gap >= 18 && gap < 200, `gap ${gap} ms`)
  })
})

test('the default policy gives up after 3 retries', async () => {
  const fixtures = { 4: { fault: { code: 14, message: 'down' } } }
  await withClient(fixtures, {}, async (client, sim) => {
    const e = await rejection(client.getRestoreSnapshotState({ job_id: 4 }))
    assert.equal(e.code, 14)
    assert.match(e.details, /^down \(retried 3 times, \d+ms\)$/)
    assert.equal(attempts(sim).length, 4)
  })
})

test('maxRetries 1: two attempts, "retried 1 times"', async () => {
  const fixtures = { 5: { fault: { code: 13, message: 'boom' } } }
  await withClient(fixtures, { maxRetries: 1, retryDelay: 5 }, async (client, sim) => {
    const e = await rejection(client.getRestoreSnapshotState({ job_id: 5 }))
    assert.equal(e.code, 13)
    assert.match(e.message, /^13 INTERNAL: boom \(retried 1 times, \d+ms\)$/)
    assert.equal(attempts(sim).length, 2)
  })
})

test('maxRetries 0: one attempt, no suffix', async () => {
  const fixtures = { 6: { fault: { code: 14, message: 'down' } } }
  await withClient(fixtures, { maxRetries: 0, retryDelay: 5 }, async (client, sim) => {
    await assert.rejects(client.getRestoreSnapshotState({ job_id: 6 }), {
      code: 14,
      details: 'down',
      message: '14 UNAVAILABLE: down',
    })
    assert.equal(attempts(sim).length, 1)
  })
})

test('other transient codes (UNKNOWN, ABORTED) are retried too', async () => {
  const fixtures = {
    7: { fault: { code: 2, message: 'unknown', fail_times: 1 }, info: { job_id: '7' } },
    8: { fault: { code: 10, message: 'aborted', fail_times: 1 }, info: { job_id: '8' } },
  }
  await withClient(fixtures, { retryDelay: 1 }, async (client, sim) => {
    assert.equal((await client.getRestoreSnapshotState({ job_id: 7 })).info.job_id, '7')
    assert.equal((await client.getRestoreSnapshotState({ job_id: 8 })).info.job_id, '8')
    assert.deepEqual(attempts(sim).map((r) => r.outcome), ['grpc:2', 'ok', 'grpc:10', 'ok'])
  })
})

const NOT_RETRIED = [
  [16, 'UNAUTHENTICATED'],
  [7, 'PERMISSION_DENIED'],
  [3, 'INVALID_ARGUMENT'],
  [6, 'ALREADY_EXISTS'],
  [8, 'RESOURCE_EXHAUSTED'],
]

for (const [code, name] of NOT_RETRIED) {
  test(`${name} is not retried: exactly one attempt, no suffix`, async () => {
    const fixtures = { 9: { fault: { code, message: 'nope' } } }
    await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
      await assert.rejects(client.getRestoreSnapshotState({ job_id: 9 }), {
        code,
        details: 'nope',
        message: `${code} ${name}: nope`,
      })
      assert.deepEqual(attempts(sim).map((r) => r.outcome), [`grpc:${code}`])
    })
  })
}

test('UNIMPLEMENTED is not retried (resolves {})', async () => {
  const fixtures = { 10: { fault: { code: 12, message: 'unknown method' } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    assert.deepEqual(await client.getRestoreSnapshotState({ job_id: 10 }), {})
    assert.equal(attempts(sim).length, 1)
  })
})

test('DEADLINE_EXCEEDED is not retried: exactly one attempt', async () => {
  const fixtures = { 11: { fault: { delay_ms: 1000 } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    const t0 = Date.now()
    const e = await rejection(client.getRestoreSnapshotState({ job_id: 11, timeout: 100 }))
    assert.equal(e.code, 4)
    assert.match(e.message, /^4 DEADLINE_EXCEEDED: /)
    assert.doesNotMatch(e.details, SUFFIX)
    assert.ok(Date.now() - t0 < 800)
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(attempts(sim).map((r) => r.outcome), ['cancelled'])
  })
})

test('a Milvus error status is never retried, even when marked retriable', async () => {
  const fixtures = { 12: { status: { code: 1, error_code: 'NotReadyServe', reason: 'not ready', retriable: true } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    const res = await client.getRestoreSnapshotState({ job_id: 12 })
    assert.equal(res.status.code, 1)
    assert.equal(res.status.retriable, true)
    assert.equal(res.info, null)
    assert.deepEqual(attempts(sim).map((r) => r.outcome), ['ok'])
  })
})

test('every attempt gets a fresh deadline', async () => {
  // Each attempt takes 200 ms against a 300 ms timeout; three of them take far longer than
  // 300 ms, so the third only succeeds if its deadline was renewed.
  const fixtures = { 13: { fault: { code: 14, message: 'slow and down', delay_ms: 200, fail_times: 2 }, info: { job_id: '13' } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    const t0 = Date.now()
    const res = await client.getRestoreSnapshotState({ job_id: 13, timeout: 300 })
    assert.equal(res.info.job_id, '13')
    assert.ok(Date.now() - t0 >= 400)
    const tries = attempts(sim)
    assert.deepEqual(tries.map((r) => r.outcome), ['grpc:14', 'grpc:14', 'ok'])
    for (const r of tries) {
      const m = /^(\d+)([mu])$/.exec(r.headers['grpc-timeout'])
      assert.ok(m, r.headers['grpc-timeout'])
      const ms = Number(m[1]) / (m[2] === 'u' ? 1000 : 1)
      assert.ok(ms > 250 && ms <= 300, `attempt grpc-timeout ${ms} ms`)
    }
  })
})

test('a dropped connection is retried on a new one', async () => {
  const fixtures = { 15: { fault: { drop: true, fail_times: 1 }, info: { job_id: '15', state: 3 } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 5 }, async (client, sim) => {
    const res = await client.getRestoreSnapshotState({ job_id: 15, timeout: 3000 })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
    const outcomes = attempts(sim).map((r) => r.outcome)
    assert.equal(outcomes.at(-1), 'ok')
    assert.equal(outcomes.length, 2, `outcomes ${outcomes}`)
  })
})

test('retry pauses use the configured retryDelay', async () => {
  const fixtures = { 16: { fault: { code: 14, message: 'down', fail_times: 2 }, info: { job_id: '16' } } }
  await withClient(fixtures, { maxRetries: 3, retryDelay: 60 }, async (client, sim) => {
    const t0 = Date.now()
    await client.getRestoreSnapshotState({ job_id: 16 })
    const elapsed = Date.now() - t0
    assert.ok(elapsed >= 120 + 240, `elapsed ${elapsed} ms`)
    const tries = attempts(sim)
    assert.ok(tries[1].t_ms - tries[0].t_ms >= 118)
    assert.ok(tries[2].t_ms - tries[1].t_ms >= 238)
  })
})
