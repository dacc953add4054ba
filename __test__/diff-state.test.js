'use strict'
// Differential: the official SDK and milvus-native ask the same milvus-sim for the same scripted
// GetRestoreSnapshotState reply; what they resolve must be equal by JSON.stringify (key order
// included) and util.isDeepStrictEqual, and what they reject must agree on class, code, message
// shape, details and metadata (SPEC §2, §3).

const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim } = require('./helpers/sim')
const { rejection } = require('./helpers/common')

const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

const I64_MAX = '9223372036854775807'
const I64_MIN = '-9223372036854775808'
const U64_MAX = '18446744073709551615'

/** Starts a sim with `fixtures`, connects both clients to it, runs fn, closes everything. */
async function withBoth(fixtures, fn, { official = {}, native = {}, args = [] } = {}) {
  const sim = await startSim({ fixtures, record: true, args })
  const o = new Official({ address: sim.address, ...official })
  const n = new Native({ address: sim.address, ...native })
  try {
    await Promise.all([o.connectPromise, n.connectPromise])
    await fn(o, n, sim)
  } finally {
    await Promise.all([o.closeConnection(), n.closeConnection()])
    await sim.stop()
  }
}

/** Deep equality including key order, both ways of looking. */
function assertSame(got, want, label = '') {
  assert.equal(JSON.stringify(got), JSON.stringify(want), `${label} JSON.stringify differs`)
  assert.ok(util.isDeepStrictEqual(got, want), `${label} not isDeepStrictEqual:\n${util.inspect(got)}\n${util.inspect(want)}`)
}

/** Both clients ask for job_id; both must resolve, equally; returns the native value. */
async function bothResolve(o, n, req) {
  const [off, nat] = await Promise.all([o.getRestoreSnapshotState({ ...req }), n.getRestoreSnapshotState({ ...req })])
  assertSame(nat, off, `job ${req.job_id}:`)
  return nat
}


const CODE_NAMES = { 4: 'DEADLINE_EXCEEDED', 7: 'PERMISSION_DENIED', 12: 'UNIMPLEMENTED', 16: 'UNAUTHENTICATED' }

/** Rejections agree on class, code, message pattern, details (when `sameDetails`) and metadata. */
function assertSameRejection(nat, off, code, { sameDetails = true } = {}) {
  const pattern = new RegExp(`^${code} ${CODE_NAMES[code]}: `)
  for (const [who, e] of [['official', off], ['native', nat]]) {
    assert.ok(e instanceof Error, `${who}: not an Error`)
    assert.equal(Object.getPrototypeOf(e), Error.prototype, `${who}: class is not Error`)
    assert.equal(e.code, code, `${who}: code`)
    assert.match(e.message, pattern, `${who}: message`)
    assert.equal(typeof e.details, 'string', `${who}: details`)
    assert.equal(e.message, `${code} ${CODE_NAMES[code]}: ${e.details}`, `${who}: message = code name details`)
    assert.ok(e.metadata !== null && typeof e.metadata === 'object', `${who}: metadata`)
  }
  assert.equal(nat.code, off.code)
  if (sameDetails) {
    assert.equal(nat.details, off.details)
    assert.equal(nat.message, off.message)
  }
  // The official metadata is a grpc-js Metadata; ours is a plain object of the same headers.
  assert.deepEqual(Object.keys(nat.metadata).sort(), Object.keys(off.metadata.getMap()).sort())
}

test('completed job: every info field set', async () => {
  const info = {
    job_id: '4471',
    snapshot_name: 'nightly',
    db_name: 'analytics',
    collection_name: 'books_copy',
    state: 'RestoreSnapshotCompleted',
    progress: 100,
    reason: '',
    start_time: '1760000000000',
    time_cost: '2750',
  }
  await withBoth({ 4471: { info } }, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: '4471' })
    assert.deepEqual(res, { status: OK, info })
    // Numbers, strings and bigints name the same job.
    await bothResolve(o, n, { job_id: 4471 })
  })
})

test('the SPEC §2 golden example (only some fields set)', async () => {
  const fixtures = {
    '123456789012345678': { info: { job_id: '123456789012345678', state: 3, progress: 50, start_time: '1760000000000' } },
  }
  await withBoth(fixtures, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: '123456789012345678' })
    assert.equal(
      JSON.stringify(res),
      '{"status":{"extra_info":{},"error_code":"Success","reason":"","code":0,"retriable":false,"detail":""},' +
        '"info":{"job_id":"123456789012345678","snapshot_name":"","db_name":"","collection_name":"",' +
        '"state":"RestoreSnapshotCompleted","progress":50,"reason":"","start_time":"1760000000000","time_cost":"0"}}',
    )
  })
})

test('executing job', async () => {
  const fixtures = {
    7: { info: { job_id: '7', snapshot_name: 's', collection_name: 't', state: 'RestoreSnapshotExecuting', progress: 33, start_time: '1760000000123' } },
    8: { info: { job_id: '8', state: 'RestoreSnapshotPending', progress: 100 } },
    9: { info: { job_id: '9', state: 'RestoreSnapshotNone' } },
  }
  await withBoth(fixtures, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: 7 })
    assert.equal(res.info.state, 'RestoreSnapshotExecuting')
    assert.equal(res.info.time_cost, '0')
    assert.equal((await bothResolve(o, n, { job_id: 8 })).info.state, 'RestoreSnapshotPending')
    // State 0 is the enum default: present as its name, not dropped.
    assert.equal((await bothResolve(o, n, { job_id: 9 })).info.state, 'RestoreSnapshotNone')
  })
})

test('failed job with a unicode reason', async () => {
  const reason = '1/3 tasks failed: 复制失败 — ünïcødé ✗ 🚀 "quoted" \\ back\nnew line \u0001 \u2028'
  const fixtures = { 5: { info: { job_id: '5', state: 'RestoreSnapshotFailed', progress: 66, reason, start_time: '1760000000000' } } }
  await withBoth(fixtures, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: '5' })
    assert.equal(res.info.state, 'RestoreSnapshotFailed')
    assert.equal(res.info.reason, reason)
    assert.equal(res.info.time_cost, '0')
  })
})

test('int64 / uint64 / int32 extremes survive as decimal strings', async () => {
  const fixtures = {
    [I64_MAX]: { info: { job_id: I64_MAX, progress: 2147483647, start_time: U64_MAX, time_cost: U64_MAX } },
    [I64_MIN]: { info: { job_id: I64_MIN, progress: -2147483648, start_time: '9007199254740993', time_cost: '1' } },
    '-1': { status: { code: -2147483648, reason: 'min' }, info: { job_id: '-1', state: 4 } },
  }
  await withBoth(fixtures, async (o, n) => {
    const max = await bothResolve(o, n, { job_id: I64_MAX })
    assert.equal(max.info.job_id, I64_MAX)
    assert.equal(max.info.start_time, U64_MAX)
    assert.equal(max.info.time_cost, U64_MAX)
    assert.equal(max.info.progress, 2147483647)
    const min = await bothResolve(o, n, { job_id: I64_MIN })
    assert.equal(min.info.job_id, I64_MIN)
    assert.equal(min.info.start_time, '9007199254740993')
    assert.equal(min.info.progress, -2147483648)
    const neg = await bothResolve(o, n, { job_id: -1 })
    assert.equal(neg.status.code, -2147483648)
  })
})

test('a Milvus error status with no info resolves, info null', async () => {
  const reason = 'restore job not found: jobID=31: importing data failed on server side'
  const fixtures = {
    31: { status: { code: 2101, error_code: 'UnexpectedError', reason, detail: reason } },
    32: {},
  }
  await withBoth(fixtures, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: '31' })
    assert.deepEqual(res, {
      status: { extra_info: {}, error_code: 'UnexpectedError', reason, code: 2101, retriable: false, detail: reason },
      info: null,
    })
    // Success status, no info: still null, never undefined or a default object.
    assert.deepEqual(await bothResolve(o, n, { job_id: 32 }), { status: OK, info: null })
    // No fixture: the simulated server's own "not found" (SPEC §6).
    const unknown = await bothResolve(o, n, { job_id: '999' })
    assert.equal(unknown.status.code, 2101)
    assert.equal(unknown.info, null)
  })
})

test('enum values unknown to the proto stay numbers', async () => {
  const fixtures = {
    70: { info: { job_id: '70', state: 7 } },
    71: { status: { code: 5, error_code: 9999 }, info: { job_id: '71', state: -3 } },
  }
  await withBoth(fixtures, async (o, n) => {
    assert.equal((await bothResolve(o, n, { job_id: 70 })).info.state, 7)
    const odd = await bothResolve(o, n, { job_id: 71 })
    assert.equal(odd.status.error_code, 9999)
    assert.equal(odd.info.state, -3)
  })
})

test('a status with every field set (extra_info with one key)', async () => {
  const status = {
    extra_info: { is_input_error: 'true' },
    error_code: 'IllegalArgument',
    reason: 'bad input ✗',
    code: 1100,
    retriable: true,
    detail: 'detail: 详细',
  }
  const info = { job_id: '60', snapshot_name: 'a', db_name: 'b', collection_name: 'c', state: 'RestoreSnapshotFailed', progress: 1, reason: 'r', start_time: '2', time_cost: '3' }
  await withBoth({ 60: { status, info } }, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: 60 })
    assert.deepEqual(res, { status, info })
    assert.deepEqual(Object.keys(res.status), ['extra_info', 'error_code', 'reason', 'code', 'retriable', 'detail'])
  })
})

// Maps: milvus-native decodes extra_info in key order. milvus-sim also encodes it in key order,
// so against it the official (wire order) agrees, and JS puts integer-like keys first in both.
// A real Milvus (Go) may put map entries on the wire in any order; there the official object
// follows the wire and ours stays sorted (same keys and values, possibly another key order).
test('extra_info with several keys (sorted on the wire by milvus-sim)', async () => {
  const extra_info = { zeta: '1', alpha: '2', 10: 'ten', 2: 'two', Beta: '3', '': 'empty' }
  await withBoth({ 61: { status: { code: 0, extra_info } } }, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: 61 })
    assert.deepEqual(Object.keys(res.status.extra_info), ['2', '10', '', 'Beta', 'alpha', 'zeta'])
  })
})

test('UNIMPLEMENTED (a server older than Milvus 3.0) resolves {} in both', async () => {
  const fixtures = { 12: { fault: { code: 12, message: 'unknown method GetRestoreSnapshotState for service milvus.proto.milvus.MilvusService' } } }
  await withBoth(fixtures, async (o, n, sim) => {
    const res = await bothResolve(o, n, { job_id: 12 })
    assert.deepEqual(res, {})
    // Not retried by either.
    const calls = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.deepEqual(calls.map((r) => r.outcome), ['grpc:12', 'grpc:12'])
  })
})

test('UNIMPLEMENTED with requireMilvus3: true rejects with code 12 and a clear message', async () => {
  const fixtures = { 12: { fault: { code: 12, message: 'unknown method' } } }
  const sim = await startSim({ fixtures, record: true })
  const n = new Native({ address: sim.address, requireMilvus3: true, __SKIP_CONNECT__: true })
  try {
    const e = await rejection(n.getRestoreSnapshotState({ job_id: 12 }))
    assert.ok(e instanceof Error)
    assert.equal(e.code, 12)
    assert.match(e.message, /^12 UNIMPLEMENTED: /)
    assert.match(e.message, /requires Milvus 3\.0/)
    assert.match(e.details, /requires Milvus 3\.0/)
    assert.ok(e.metadata !== null && typeof e.metadata === 'object')
    // A normal reply still resolves with the opt-in set.
    const ok = await n.getRestoreSnapshotState({ job_id: 999 })
    assert.equal(ok.status.code, 2101)
    assert.equal(sim.records().filter((r) => r.outcome === 'grpc:12').length, 1)
  } finally {
    await n.closeConnection()
    await sim.stop()
  }
})

for (const [code, name] of [
  [7, 'PERMISSION_DENIED'],
  [16, 'UNAUTHENTICATED'],
]) {
  test(`${name} fault: both reject alike, one attempt each`, async () => {
    const fixtures = { 40: { fault: { code, message: `no access to job 40 — ${name.toLowerCase()} ✗` } } }
    await withBoth(fixtures, async (o, n, sim) => {
      const off = await rejection(o.getRestoreSnapshotState({ job_id: 40 }))
      const nat = await rejection(n.getRestoreSnapshotState({ job_id: 40 }))
      assertSameRejection(nat, off, code)
      assert.equal(nat.details, `no access to job 40 — ${name.toLowerCase()} ✗`)
      const calls = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
      assert.deepEqual(calls.map((r) => r.outcome), [`grpc:${code}`, `grpc:${code}`])
    })
  })
}

test('authentication failure from the server (--auth): both reject with 16', async () => {
  const sim = await startSim({ args: ['--auth', 'root:Milvus'], record: true })
  const o = new Official({ address: sim.address, username: 'root', password: 'wrong', __SKIP_CONNECT__: true })
  const n = new Native({ address: sim.address, username: 'root', password: 'wrong', __SKIP_CONNECT__: true })
  try {
    const off = await rejection(o.getRestoreSnapshotState({ job_id: 1 }))
    const nat = await rejection(n.getRestoreSnapshotState({ job_id: 1 }))
    assertSameRejection(nat, off, 16)
    assert.equal(nat.details, 'auth check failure, please check username and password are correct')
  } finally {
    await Promise.all([o.closeConnection(), n.closeConnection()])
    await sim.stop()
  }
})

test('deadline: a reply slower than the call timeout is 4 DEADLINE_EXCEEDED, never CANCELLED', async () => {
  const fixtures = { 44: { fault: { delay_ms: 2000 }, info: { job_id: '44' } } }
  await withBoth(fixtures, async (o, n, sim) => {
    const t0 = Date.now()
    const [off, nat] = await Promise.all([
      rejection(o.getRestoreSnapshotState({ job_id: 44, timeout: 200 })),
      rejection(n.getRestoreSnapshotState({ job_id: 44, timeout: 200 })),
    ])
    const elapsed = Date.now() - t0
    // The details name timings that differ run to run (grpc-js adds its LB pick time).
    assertSameRejection(nat, off, 4, { sameDetails: false })
    assert.doesNotMatch(nat.message, /CANCELLED/)
    assert.ok(elapsed >= 190 && elapsed < 1900, `took ${elapsed} ms`)
    // milvus-native does not retry a deadline: one attempt, recorded when the client resets it
    // (or, at the latest, when the 2 s delay ends). (Under heavy load grpc-js was seen to make a
    // second attempt of its own, so the official client's attempts are not counted.)
    const native = () =>
      sim.records().filter((r) => r.method === 'GetRestoreSnapshotState' && !/grpc-node-js/.test(r.headers['user-agent']))
    for (const until = Date.now() + 3000; native().length < 1 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 20))
    }
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(native().map((r) => r.outcome), ['cancelled'])
  })
})

test('deadline from the client-wide timeout option', async () => {
  const fixtures = { 45: { fault: { delay_ms: 2000 } } }
  await withBoth(
    fixtures,
    async (o, n) => {
      const [off, nat] = await Promise.all([
        rejection(o.getRestoreSnapshotState({ job_id: 45 })),
        rejection(n.getRestoreSnapshotState({ job_id: 45 })),
      ])
      assertSameRejection(nat, off, 4, { sameDetails: false })
    },
    { official: { timeout: 300 }, native: { timeout: 300 } },
  )
})

test('a slow reply within the timeout resolves equally', async () => {
  const fixtures = { 46: { fault: { delay_ms: 150 }, info: { job_id: '46', state: 3 } } }
  await withBoth(fixtures, async (o, n) => {
    const res = await bothResolve(o, n, { job_id: 46, timeout: 2000 })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
  })
})

test('a real restore job on the simulator, polled by both', async () => {
  const args = ['--collection', 'default/books', '--tick-ms', '50', '--restore-ms', '100']
  await withBoth({}, async (o, n) => {
    assert.deepEqual(await n.createSnapshot({ collection_name: 'books', snapshot_name: 's' }), OK)
    const restored = await n.restoreSnapshot({ snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'copy' })
    assert.match(restored.job_id, /^[1-9]\d*$/)
    const deadline = Date.now() + 5000
    // Poll until the job settles (two calls could straddle a state change), then compare.
    while ((await n.getRestoreSnapshotState({ job_id: restored.job_id })).info.state !== 'RestoreSnapshotCompleted') {
      assert.ok(Date.now() < deadline, 'restore never completed')
      await new Promise((r) => setTimeout(r, 20))
    }
    const res = await bothResolve(o, n, { job_id: restored.job_id })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
    assert.equal(res.info.progress, 100)
  }, { args })
})
