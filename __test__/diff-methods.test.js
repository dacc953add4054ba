'use strict'
// Differential, all nine snapshot methods: the official SDK and milvus-native call the same
// milvus-sim. Success shapes must be equal by JSON.stringify (key order) and
// util.isDeepStrictEqual, with only inherently different values (fresh ids) masked; validation
// must reject with the same message in the same order, before anything is sent; Milvus error
// statuses must resolve identically; and the request fields the server decodes must agree
// (SPEC §2, §3, §5, §6).

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim } = require('./helpers/sim')

const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

// A restore stays Pending for a minute: reads by the two clients see the same state.
const ARGS = ['--collection', 'default/books', '--collection', 'analytics/logs', '--tick-ms', '60000', '--segments', '4']

const SNAPSHOT_RPCS = new Set([
  'GetRestoreSnapshotState',
  'CreateSnapshot',
  'DropSnapshot',
  'ListSnapshots',
  'DescribeSnapshot',
  'RestoreSnapshot',
  'ListRestoreSnapshotJobs',
  'PinSnapshotData',
  'UnpinSnapshotData',
])

function assertSame(got, want, label) {
  assert.equal(JSON.stringify(got), JSON.stringify(want), `${label}: JSON.stringify differs`)
  assert.ok(util.isDeepStrictEqual(got, want), `${label}: not isDeepStrictEqual\n${util.inspect(got)}\n${util.inspect(want)}`)
}

/** A copy of obj with the named top-level keys replaced by a placeholder (key order kept). */
function mask(obj, ...keys) {
  const out = {}
  for (const [k, v] of Object.entries(obj)) out[k] = keys.includes(k) ? '<masked>' : v
  return out
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Opens one sim and both clients for a describe block. */
function shared(args) {
  const ctx = {}
  before(async () => {
    ctx.sim = await startSim({ args, record: true })
    ctx.o = new Official({ address: ctx.sim.address })
    ctx.n = new Native({ address: ctx.sim.address })
    await Promise.all([ctx.o.connectPromise, ctx.n.connectPromise])
  })
  after(async () => {
    await Promise.all([ctx.o && ctx.o.closeConnection(), ctx.n && ctx.n.closeConnection()])
    if (ctx.sim) await ctx.sim.stop()
  })
  return ctx
}

/**
 * The request fields the server decoded for the last `method` call of each client (told apart
 * by user-agent). The record line is written when the attempt ends, so poll briefly.
 */
async function lastRequests(sim, method) {
  const deadline = Date.now() + 2000
  for (;;) {
    const calls = sim.records().filter((r) => r.method === method)
    const off = calls.filter((r) => /grpc-node-js/.test(r.headers['user-agent'])).pop()
    const nat = calls.filter((r) => !/grpc-node-js/.test(r.headers['user-agent'])).pop()
    if (off && nat) return { off: off.request, nat: nat.request }
    assert.ok(Date.now() < deadline, `no ${method} record from both clients`)
    await sleep(10)
  }
}

/** Runs the same call on both clients (sequentially: official first); returns [official, native]. */
async function both(ctx, method, reqO, reqN = reqO) {
  const off = await ctx.o[method]({ ...reqO })
  const nat = await ctx.n[method]({ ...reqN })
  return [off, nat]
}

/** Calls on both, asserts equal replies and equal decoded requests; returns the native reply. */
async function same(ctx, method, rpc, req) {
  const [off, nat] = await both(ctx, method, req)
  assertSame(nat, off, method)
  const sent = await lastRequests(ctx.sim, rpc)
  assertSame(sent.nat, sent.off, `${rpc} request`)
  return nat
}

describe('success shapes', () => {
  const ctx = shared(ARGS)

  it('createSnapshot: status object, same request fields', async () => {
    const [off, nat] = await both(
      ctx,
      'createSnapshot',
      { collection_name: 'books', snapshot_name: 'by_official', description: 'nightly ✓', compaction_protection_seconds: 3600 },
      { collection_name: 'books', snapshot_name: 'by_native', description: 'nightly ✓', compaction_protection_seconds: 3600 },
    )
    assertSame(nat, off, 'createSnapshot')
    assertSame(nat, OK, 'createSnapshot vs OK')
    const sent = await lastRequests(ctx.sim, 'CreateSnapshot')
    assertSame(mask(sent.nat, 'name'), mask(sent.off, 'name'), 'CreateSnapshot request')
    assert.equal(sent.off.name, 'by_official')
    assert.equal(sent.nat.name, 'by_native')
    assert.equal(sent.nat.compaction_protection_seconds, '3600')
    assert.equal(sent.nat.description, 'nightly ✓')
  })

  it('createSnapshot in another database (db_name), minimal fields', async () => {
    const [off, nat] = await both(
      ctx,
      'createSnapshot',
      { collection_name: 'logs', db_name: 'analytics', snapshot_name: 'o1' },
      { collection_name: 'logs', db_name: 'analytics', snapshot_name: 'n1' },
    )
    assertSame(nat, off, 'createSnapshot analytics')
    assertSame(nat, OK, 'createSnapshot analytics vs OK')
    const sent = await lastRequests(ctx.sim, 'CreateSnapshot')
    assertSame(mask(sent.nat, 'name'), mask(sent.off, 'name'), 'CreateSnapshot request')
    assert.equal(sent.nat.db_name, 'analytics')
  })

  it('listSnapshots: {status, snapshots} after both creates', async () => {
    const res = await same(ctx, 'listSnapshots', 'ListSnapshots', { collection_name: 'books' })
    assert.deepEqual(Object.keys(res), ['snapshots', 'status'])
    assert.deepEqual([...res.snapshots].sort(), ['by_native', 'by_official'])
    const other = await same(ctx, 'listSnapshots', 'ListSnapshots', { collection_name: 'logs', db_name: 'analytics' })
    assert.deepEqual([...other.snapshots].sort(), ['n1', 'o1'])
  })

  it('describeSnapshot: same snapshot, same object (both creators)', async () => {
    for (const snapshot_name of ['by_official', 'by_native']) {
      const res = await same(ctx, 'describeSnapshot', 'DescribeSnapshot', { collection_name: 'books', snapshot_name })
      assert.deepEqual(Object.keys(res), ['partition_names', 'status', 'name', 'description', 'collection_name', 'create_ts', 's3_location'])
      assert.equal(res.name, snapshot_name)
      assert.equal(res.description, 'nightly ✓')
      assert.match(res.create_ts, /^[1-9]\d*$/)
    }
    const res = await same(ctx, 'describeSnapshot', 'DescribeSnapshot', { collection_name: 'logs', db_name: 'analytics', snapshot_name: 'o1' })
    assert.equal(res.description, '')
  })

  it('pinSnapshotData / unpinSnapshotData: {status, pin_id}, then status', async () => {
    const [off, nat] = await both(ctx, 'pinSnapshotData', { collection_name: 'books', snapshot_name: 'by_official', ttl_seconds: 600 })
    assert.match(off.pin_id, /^[1-9]\d*$/)
    assert.match(nat.pin_id, /^[1-9]\d*$/)
    assert.notEqual(nat.pin_id, off.pin_id)
    assertSame(mask(nat, 'pin_id'), mask(off, 'pin_id'), 'pinSnapshotData')
    assert.deepEqual(Object.keys(nat), ['status', 'pin_id'])
    assertSame(nat.status, OK, 'pin status')
    let sent = await lastRequests(ctx.sim, 'PinSnapshotData')
    assertSame(sent.nat, sent.off, 'PinSnapshotData request')
    assert.equal(sent.nat.ttl_seconds, '600')

    const [uo, un] = await both(ctx, 'unpinSnapshotData', { pin_id: off.pin_id }, { pin_id: nat.pin_id })
    assertSame(un, uo, 'unpinSnapshotData')
    assertSame(un, OK, 'unpin vs OK')
    sent = await lastRequests(ctx.sim, 'UnpinSnapshotData')
    assert.equal(sent.off.pin_id, off.pin_id)
    assert.equal(sent.nat.pin_id, nat.pin_id)
  })

  it('restoreSnapshot: {status, job_id}; both jobs then read alike', async () => {
    const [off, nat] = await both(
      ctx,
      'restoreSnapshot',
      { snapshot_name: 'by_official', source_collection_name: 'books', target_collection_name: 'copy_o' },
      { snapshot_name: 'by_official', source_collection_name: 'books', target_collection_name: 'copy_n' },
    )
    assert.match(off.job_id, /^[1-9]\d*$/)
    assert.match(nat.job_id, /^[1-9]\d*$/)
    assert.notEqual(nat.job_id, off.job_id)
    assertSame(mask(nat, 'job_id'), mask(off, 'job_id'), 'restoreSnapshot')
    assert.deepEqual(Object.keys(nat), ['status', 'job_id'])
    const sent = await lastRequests(ctx.sim, 'RestoreSnapshot')
    assertSame(mask(sent.nat, 'target_collection_name'), mask(sent.off, 'target_collection_name'), 'RestoreSnapshot request')
    assert.equal(sent.nat.name, 'by_official')
    assert.equal(sent.nat.collection_name, 'books')
    assert.equal(sent.nat.target_collection_name, 'copy_n')

    // getRestoreSnapshotState on each job, from both clients: identical.
    for (const job_id of [off.job_id, nat.job_id]) {
      const res = await same(ctx, 'getRestoreSnapshotState', 'GetRestoreSnapshotState', { job_id })
      assert.equal(res.info.job_id, job_id)
      assert.equal(res.info.state, 'RestoreSnapshotPending')
      assert.equal(res.info.snapshot_name, 'by_official')
      assert.equal(res.info.db_name, 'default')
    }
    ctx.jobs = { off: off.job_id, nat: nat.job_id }
  })

  it('restoreSnapshot across databases (source_db_name / target_db_name)', async () => {
    const [off, nat] = await both(
      ctx,
      'restoreSnapshot',
      { snapshot_name: 'o1', source_collection_name: 'logs', source_db_name: 'analytics', target_collection_name: 'logs_o', target_db_name: 'default' },
      { snapshot_name: 'o1', source_collection_name: 'logs', source_db_name: 'analytics', target_collection_name: 'logs_n', target_db_name: 'default' },
    )
    assertSame(mask(nat, 'job_id'), mask(off, 'job_id'), 'restoreSnapshot cross-db')
    assertSame(nat.status, OK, 'cross-db status')
    const sent = await lastRequests(ctx.sim, 'RestoreSnapshot')
    assertSame(mask(sent.nat, 'target_collection_name'), mask(sent.off, 'target_collection_name'), 'RestoreSnapshot request')
    assert.equal(sent.nat.db_name, 'analytics')
    assert.equal(sent.nat.target_db_name, 'default')
  })

  it('listRestoreSnapshotJobs: no argument, {}, and filtered', async () => {
    const off = await ctx.o.listRestoreSnapshotJobs()
    const nat = await ctx.n.listRestoreSnapshotJobs()
    assertSame(nat, off, 'listRestoreSnapshotJobs()')
    assert.deepEqual(Object.keys(nat), ['jobs', 'status'])
    assert.equal(nat.jobs.length, 4)
    assert.deepEqual(Object.keys(nat.jobs[0]), [
      'job_id', 'snapshot_name', 'db_name', 'collection_name', 'state', 'progress', 'reason', 'start_time', 'time_cost',
    ])
    await same(ctx, 'listRestoreSnapshotJobs', 'ListRestoreSnapshotJobs', {})
    const one = await same(ctx, 'listRestoreSnapshotJobs', 'ListRestoreSnapshotJobs', { collection_name: 'copy_n' })
    assert.deepEqual(one.jobs.map((j) => j.job_id), [ctx.jobs.nat])
    const byDb = await same(ctx, 'listRestoreSnapshotJobs', 'ListRestoreSnapshotJobs', { db_name: 'default' })
    assert.equal(byDb.jobs.length, 4)
    const none = await same(ctx, 'listRestoreSnapshotJobs', 'ListRestoreSnapshotJobs', { db_name: 'analytics' })
    assert.deepEqual(none.jobs, [])
  })

  it('dropSnapshot: status object; then the list is equal and smaller', async () => {
    const [off, nat] = await both(
      ctx,
      'dropSnapshot',
      { collection_name: 'books', snapshot_name: 'by_official' },
      { collection_name: 'books', snapshot_name: 'by_native' },
    )
    assertSame(nat, off, 'dropSnapshot')
    assertSame(nat, OK, 'dropSnapshot vs OK')
    const sent = await lastRequests(ctx.sim, 'DropSnapshot')
    assertSame(mask(sent.nat, 'name'), mask(sent.off, 'name'), 'DropSnapshot request')
    const res = await same(ctx, 'listSnapshots', 'ListSnapshots', { collection_name: 'books' })
    assert.deepEqual(res.snapshots, [])
    // Dropping what is not there succeeds (SPEC §6), alike.
    const gone = await same(ctx, 'dropSnapshot', 'DropSnapshot', { collection_name: 'books', snapshot_name: 'by_official' })
    assertSame(gone, OK, 'drop unknown')
  })

  it('int64 inputs as decimal string and bigint reach the server as the official number does', async () => {
    await ctx.o.createSnapshot({ collection_name: 'books', snapshot_name: 'i1', compaction_protection_seconds: 604800 })
    for (const v of ['604800', 604800n]) {
      await ctx.n.createSnapshot({ collection_name: 'books', snapshot_name: `i_${typeof v}`, compaction_protection_seconds: v })
      const sent = await lastRequests(ctx.sim, 'CreateSnapshot')
      assertSame(mask(sent.nat, 'name'), mask(sent.off, 'name'), `compaction_protection_seconds ${typeof v}`)
    }
    await ctx.o.pinSnapshotData({ collection_name: 'books', snapshot_name: 'i1', ttl_seconds: 2592000 })
    for (const v of ['2592000', 2592000n]) {
      const res = await ctx.n.pinSnapshotData({ collection_name: 'books', snapshot_name: 'i1', ttl_seconds: v })
      assertSame(res.status, OK, `pin ttl ${typeof v}`)
      const sent = await lastRequests(ctx.sim, 'PinSnapshotData')
      assertSame(sent.nat, sent.off, `ttl_seconds ${typeof v}`)
    }
  })
})

// [method, argument list, the official message]. The argument list is spread into the call, so
// [] is "no argument".
const MISSING = {
  job: 'The `job_id` property is missing.',
  collection: 'The `collection_name` property is missing.',
  snapshot: 'The `snapshot_name` property is missing.',
  source: 'The `source_collection_name` property is missing.',
  target: 'The `target_collection_name` property is missing.',
  pin: 'The `pin_id` property is missing.',
}

const VALIDATION = [
  ['getRestoreSnapshotState', [], MISSING.job],
  ['getRestoreSnapshotState', [undefined], MISSING.job],
  ['getRestoreSnapshotState', [{}], MISSING.job],
  ['getRestoreSnapshotState', [{ job_id: undefined }], MISSING.job],
  ['getRestoreSnapshotState', [{ collection_name: 'books' }], MISSING.job],
  ['unpinSnapshotData', [], MISSING.pin],
  ['unpinSnapshotData', [{}], MISSING.pin],
  ['unpinSnapshotData', [{ pin_id: undefined }], MISSING.pin],
  ['unpinSnapshotData', [{ collection_name: 'books', snapshot_name: 's' }], MISSING.pin],
  ['restoreSnapshot', [], MISSING.snapshot],
  ['restoreSnapshot', [{}], MISSING.snapshot],
  ['restoreSnapshot', [{ source_collection_name: 'books', target_collection_name: 't' }], MISSING.snapshot],
  ['restoreSnapshot', [{ snapshot_name: '', source_collection_name: 'books', target_collection_name: 't' }], MISSING.snapshot],
  ['restoreSnapshot', [{ snapshot_name: 's' }], MISSING.source],
  ['restoreSnapshot', [{ snapshot_name: 's', target_collection_name: 't' }], MISSING.source],
  ['restoreSnapshot', [{ snapshot_name: 's', collection_name: 'books', target_collection_name: 't' }], MISSING.source],
  ['restoreSnapshot', [{ snapshot_name: 's', source_collection_name: 'books' }], MISSING.target],
  ['restoreSnapshot', [{ snapshot_name: 's', source_collection_name: 'books', target_collection_name: '' }], MISSING.target],
]
// The five methods that check collection_name, then snapshot_name (listSnapshots only the first).
for (const method of ['createSnapshot', 'dropSnapshot', 'describeSnapshot', 'pinSnapshotData', 'listSnapshots']) {
  VALIDATION.push(
    [method, [], MISSING.collection],
    [method, [{}], MISSING.collection],
    [method, [{ collection_name: '' }], MISSING.collection],
    [method, [{ collection_name: undefined, snapshot_name: 's' }], MISSING.collection],
    [method, [{ snapshot_name: 's' }], MISSING.collection],
  )
  if (method === 'listSnapshots') continue
  VALIDATION.push(
    [method, [{ collection_name: 'books' }], MISSING.snapshot],
    [method, [{ collection_name: 'books', snapshot_name: '' }], MISSING.snapshot],
    [method, [{ collection_name: 'books', snapshot_name: undefined, db_name: 'default' }], MISSING.snapshot],
  )
}

function label(args) {
  return args.length === 0 ? '' : util.inspect(args[0], { breakLength: Infinity })
}

describe('validation: official messages, official order, nothing sent', () => {
  const ctx = shared(ARGS)

  for (const [method, args, message] of VALIDATION) {
    it(`${method}(${label(args)}) → ${message}`, async () => {
      let p
      assert.doesNotThrow(() => {
        p = ctx.n[method](...args)
      }, 'milvus-native threw synchronously')
      assert.ok(p instanceof Promise, 'milvus-native did not return a promise')
      let off
      await assert.rejects(ctx.o[method](...args), (e) => {
        off = e
        return true
      })
      assert.equal(off.message, message, 'the table disagrees with the official SDK')
      await assert.rejects(p, (e) => {
        assert.equal(Object.getPrototypeOf(e), Error.prototype, `not a plain Error: ${e && e.constructor && e.constructor.name}`)
        assert.equal(e.message, off.message)
        return true
      })
    })
  }

  it('no snapshot RPC reached the server during the validation cases', async () => {
    await sleep(50)
    const sent = ctx.sim.records().filter((r) => SNAPSHOT_RPCS.has(r.method))
    assert.deepEqual(sent.map((r) => r.method), [])
  })
})

describe('Milvus error statuses resolve identically', () => {
  const ctx = shared(ARGS)

  before(async () => {
    // A snapshot to collide with and to restore; created by the official client.
    assertSame(await ctx.o.createSnapshot({ collection_name: 'books', snapshot_name: 'taken' }), OK, 'setup')
  })

  /** Same call, same reply, non-zero status with the expected code and reason. */
  async function sameStatus(method, rpc, req, code, reason) {
    const res = await same(ctx, method, rpc, req)
    const status = res.status || res
    assert.equal(status.code, code, `${method}: ${util.inspect(status)}`)
    if (reason instanceof RegExp) assert.match(status.reason, reason)
    else assert.equal(status.reason, reason)
    assert.equal(status.detail, status.reason)
    return res
  }

  const notFound = 'collection not found[database=default][collection=nope]'

  it('unknown collection: every method that names one', async () => {
    const c = { collection_name: 'nope', snapshot_name: 's' }
    let res = await sameStatus('createSnapshot', 'CreateSnapshot', c, 100, notFound)
    assert.equal(res.error_code, 'CollectionNotExists')
    assert.deepEqual(res.extra_info, { is_input_error: 'true' })
    res = await sameStatus('listSnapshots', 'ListSnapshots', { collection_name: 'nope' }, 100, notFound)
    assert.deepEqual(res.snapshots, [])
    res = await sameStatus('describeSnapshot', 'DescribeSnapshot', c, 100, notFound)
    assert.deepEqual(
      [res.name, res.description, res.collection_name, res.partition_names, res.create_ts, res.s3_location],
      ['', '', '', [], '0', ''],
    )
    res = await sameStatus('pinSnapshotData', 'PinSnapshotData', c, 100, notFound)
    assert.equal(res.pin_id, '0')
    await sameStatus('dropSnapshot', 'DropSnapshot', c, 100, notFound)
    res = await sameStatus(
      'restoreSnapshot',
      'RestoreSnapshot',
      { snapshot_name: 's', source_collection_name: 'nope', target_collection_name: 't' },
      100,
      notFound,
    )
    assert.equal(res.job_id, '0')
  })

  it('unknown database', async () => {
    const res = await sameStatus('listSnapshots', 'ListSnapshots', { collection_name: 'books', db_name: 'nodb' }, 800, 'database not found[database=nodb]')
    assert.equal(res.status.error_code, 'UnexpectedError')
  })

  it('duplicate snapshot name', async () => {
    const res = await sameStatus('createSnapshot', 'CreateSnapshot', { collection_name: 'books', snapshot_name: 'taken' }, 1100, 'snapshot name taken already exists')
    assert.equal(res.error_code, 'IllegalArgument')
  })

  it('compaction_protection_seconds and ttl_seconds out of range', async () => {
    await sameStatus(
      'createSnapshot',
      'CreateSnapshot',
      { collection_name: 'books', snapshot_name: 'x', compaction_protection_seconds: 604801 },
      1100,
      /^compaction_protection_seconds should be in range \[0, 604800\]/,
    )
    const res = await sameStatus(
      'pinSnapshotData',
      'PinSnapshotData',
      { collection_name: 'books', snapshot_name: 'taken', ttl_seconds: 2592001 },
      1100,
      /^ttl_seconds should be in range \[0, 2592000\]/,
    )
    assert.equal(res.pin_id, '0')
  })

  it('restore target exists', async () => {
    const res = await sameStatus(
      'restoreSnapshot',
      'RestoreSnapshot',
      { snapshot_name: 'taken', source_collection_name: 'books', target_collection_name: 'books' },
      1100,
      'target collection books already exists in database default',
    )
    assert.equal(res.job_id, '0')
    assert.deepEqual(Object.keys(res), ['status', 'job_id'])
  })

  it('unknown snapshot: describe, restore, pin', async () => {
    const c = { collection_name: 'books', snapshot_name: 'ghost' }
    await sameStatus('describeSnapshot', 'DescribeSnapshot', c, 1100, /snapshot not found/)
    await sameStatus('pinSnapshotData', 'PinSnapshotData', c, 1100, /snapshot not found/)
    await sameStatus(
      'restoreSnapshot',
      'RestoreSnapshot',
      { snapshot_name: 'ghost', source_collection_name: 'books', target_collection_name: 'ghost_copy' },
      1100,
      /snapshot not found/,
    )
  })

  it('unknown job (also 0 and negative): 2101, info null', async () => {
    for (const job_id of ['987654321', 0, -5]) {
      const res = await sameStatus(
        'getRestoreSnapshotState',
        'GetRestoreSnapshotState',
        { job_id },
        2101,
        `restore job not found: jobID=${job_id}: importing data failed on server side`,
      )
      assert.equal(res.info, null)
      assert.equal(res.status.error_code, 'UnexpectedError')
    }
  })

  it('unpinning an unknown pin succeeds alike', async () => {
    const res = await same(ctx, 'unpinSnapshotData', 'UnpinSnapshotData', { pin_id: '123456789' })
    assertSame(res, OK, 'unpin unknown')
  })
})
