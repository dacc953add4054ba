'use strict'
// The official SDK (@zilliz/milvus2-sdk-node) runs the snapshot lifecycle against milvus-sim,
// checking each resolved object as SPEC §6 says a Milvus 3.0 server answers.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient, promisify } = require('@zilliz/milvus2-sdk-node')
const { startSim } = require('./helpers/sim')

// Wide enough that a poll every 15 ms sees Executing even on a loaded machine.
const TIMING = ['--tick-ms', '300', '--restore-ms', '600', '--segments', '4']

const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

function inputError(code, error_code, reason) {
  return { extra_info: { is_input_error: 'true' }, error_code, reason, code, retriable: false, detail: reason }
}

async function withClient(simOptions, clientOptions, fn) {
  const sim = await startSim(simOptions)
  const client = new MilvusClient({ address: sim.address, ...clientOptions })
  try {
    await fn(client, sim)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
}

test('official SDK: full snapshot lifecycle', async () => {
  const args = ['--collection', 'default/books', ...TIMING]
  await withClient({ args }, {}, async (client) => {
    await client.connectPromise

    assert.deepEqual(
      await client.createSnapshot({
        collection_name: 'books',
        snapshot_name: 's1',
        description: 'nightly',
        compaction_protection_seconds: 3600,
      }),
      OK,
    )

    const listed = await client.listSnapshots({ collection_name: 'books' })
    assert.deepEqual(listed.status, OK)
    assert.deepEqual(listed.snapshots, ['s1'])

    const described = await client.describeSnapshot({ collection_name: 'books', snapshot_name: 's1' })
    assert.deepEqual(described.status, OK)
    assert.equal(described.name, 's1')
    assert.equal(described.description, 'nightly')
    assert.equal(described.collection_name, 'books')
    assert.deepEqual(described.partition_names, ['_default'])
    assert.match(described.create_ts, /^[1-9]\d*$/)

    const before = Date.now()
    const restored = await client.restoreSnapshot({
      snapshot_name: 's1',
      source_collection_name: 'books',
      target_collection_name: 'books_copy',
    })
    assert.deepEqual(restored.status, OK)
    assert.match(restored.job_id, /^[1-9]\d*$/)

    const first = await client.getRestoreSnapshotState({ job_id: restored.job_id })
    assert.deepEqual(first.status, OK)
    assert.equal(first.info.job_id, restored.job_id)
    assert.equal(first.info.state, 'RestoreSnapshotPending')
    assert.equal(first.info.snapshot_name, 's1')
    assert.equal(first.info.db_name, 'default')
    assert.equal(first.info.collection_name, 'books_copy')
    assert.equal(first.info.progress, 0)
    assert.equal(first.info.time_cost, '0')
    assert.ok(Number(first.info.start_time) >= before && Number(first.info.start_time) <= Date.now())

    const seen = [first.info.state]
    let info = first.info
    const deadline = Date.now() + 5000
    while (info.state !== 'RestoreSnapshotCompleted') {
      assert.ok(Date.now() < deadline, `restore never completed: ${seen}`)
      await new Promise((r) => setTimeout(r, 15))
      info = (await client.getRestoreSnapshotState({ job_id: restored.job_id })).info
      if (seen.at(-1) !== info.state) seen.push(info.state)
      if (info.state === 'RestoreSnapshotExecuting') assert.ok(info.progress < 100 && info.time_cost === '0')
    }
    assert.deepEqual(seen, ['RestoreSnapshotPending', 'RestoreSnapshotExecuting', 'RestoreSnapshotCompleted'])
    assert.equal(info.progress, 100)
    assert.equal(info.time_cost, '900')
    assert.equal(info.reason, '')

    const all = await client.listRestoreSnapshotJobs()
    assert.deepEqual(all.status, OK)
    assert.equal(all.jobs.length, 1)
    assert.deepEqual(all.jobs[0], info)
    const filtered = await client.listRestoreSnapshotJobs({ db_name: 'default', collection_name: 'books_copy' })
    assert.equal(filtered.jobs.length, 1)
    const none = await client.listRestoreSnapshotJobs({ collection_name: 'books' })
    assert.deepEqual(none, { status: OK, jobs: [] })

    const pinned = await client.pinSnapshotData({ collection_name: 'books', snapshot_name: 's1', ttl_seconds: 600 })
    assert.deepEqual(pinned.status, OK)
    assert.match(pinned.pin_id, /^[1-9]\d*$/)
    assert.deepEqual(await client.unpinSnapshotData({ pin_id: pinned.pin_id }), OK)
    assert.deepEqual(await client.unpinSnapshotData({ pin_id: '123' }), OK)

    assert.deepEqual(await client.dropSnapshot({ collection_name: 'books', snapshot_name: 's1' }), OK)
    assert.deepEqual(await client.dropSnapshot({ collection_name: 'books', snapshot_name: 's1' }), OK)
    assert.deepEqual((await client.listSnapshots({ collection_name: 'books' })).snapshots, [])
  })
})

test('official SDK: error statuses resolve as §6 says', async () => {
  const args = ['--collection', 'default/books', '--fail-snapshot', 'bad', '--tick-ms', '0', '--restore-ms', '30']
  await withClient({ args }, {}, async (client) => {
    await client.connectPromise

    for (const job_id of ['999', 0, '-7']) {
      const res = await client.getRestoreSnapshotState({ job_id })
      const reason = `restore job not found: jobID=${job_id}: importing data failed on server side`
      assert.deepEqual(res, {
        status: { extra_info: {}, error_code: 'UnexpectedError', reason, code: 2101, retriable: false, detail: reason },
        info: null,
      })
    }

    assert.deepEqual(
      await client.createSnapshot({ collection_name: 'nope', snapshot_name: 's' }),
      inputError(100, 'CollectionNotExists', 'collection not found[database=default][collection=nope]'),
    )
    assert.deepEqual(await client.createSnapshot({ collection_name: 'books', snapshot_name: 's' }), OK)
    assert.deepEqual(
      await client.createSnapshot({ collection_name: 'books', snapshot_name: 's' }),
      inputError(1100, 'IllegalArgument', 'snapshot name s already exists'),
    )

    const target = await client.restoreSnapshot({
      snapshot_name: 's',
      source_collection_name: 'books',
      target_collection_name: 'books',
    })
    assert.deepEqual(target, {
      status: inputError(1100, 'IllegalArgument', 'target collection books already exists in database default'),
      job_id: '0',
    })

    const missing = await client.restoreSnapshot({
      snapshot_name: 'ghost',
      source_collection_name: 'books',
      target_collection_name: 't',
    })
    assert.notEqual(missing.status.code, 0)
    assert.match(missing.status.reason, /snapshot not found/)

    const unknownCollection = await client.restoreSnapshot({
      snapshot_name: 's',
      source_collection_name: 'nope',
      target_collection_name: 't',
    })
    assert.deepEqual(
      unknownCollection.status,
      inputError(100, 'CollectionNotExists', 'collection not found[database=default][collection=nope]'),
    )

    // The SDK refuses an empty name itself; its own transport sends one to the server.
    await assert.rejects(client.createSnapshot({ collection_name: 'books', snapshot_name: '' }), {
      message: 'The `snapshot_name` property is missing.',
    })
    const empty = await promisify(client.channelPool, 'RestoreSnapshot', {
      name: '',
      collection_name: 'books',
      target_collection_name: 't',
    }, 5000)
    assert.deepEqual(
      empty.status,
      inputError(1100, 'IllegalArgument', 'snapshot name should be not empty: invalid parameter[expected=not empty][actual=]'),
    )

    // Injected failure: Failed with a reason, time_cost 0.
    assert.deepEqual(await client.createSnapshot({ collection_name: 'books', snapshot_name: 'bad' }), OK)
    const failing = await client.restoreSnapshot({
      snapshot_name: 'bad',
      source_collection_name: 'books',
      target_collection_name: 'books_bad',
    })
    await new Promise((r) => setTimeout(r, 80))
    const failed = await client.getRestoreSnapshotState({ job_id: failing.job_id })
    assert.equal(failed.info.state, 'RestoreSnapshotFailed')
    assert.equal(failed.info.reason, '1/3 tasks failed')
    assert.equal(failed.info.time_cost, '0')
  })
})

test('official SDK: scripted fixture replies decode like a real server', async () => {
  const fixtures = {
    4471: { info: { job_id: '4471', state: 7, progress: 50, start_time: '18446744073709551615' } },
    4472: {},
  }
  await withClient({ fixtures }, {}, async (client) => {
    const odd = await client.getRestoreSnapshotState({ job_id: '4471' })
    assert.deepEqual(odd.status, OK)
    assert.equal(odd.info.state, 7)
    assert.equal(odd.info.start_time, '18446744073709551615')
    assert.equal(odd.info.time_cost, '0')
    assert.deepEqual(await client.getRestoreSnapshotState({ job_id: 4472 }), { status: OK, info: null })
  })
})

test('official SDK: authentication', async () => {
  const sim = await startSim({ args: ['--auth', 'root:Milvus'], record: true })
  // Skip the handshake: the official SDK turns a failed Connect into an unhandled rejection.
  const wrong = new MilvusClient({ address: sim.address, username: 'root', password: 'nope', __SKIP_CONNECT__: true })
  const anonymous = new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true })
  const right = new MilvusClient({ address: sim.address, username: 'root', password: 'Milvus' })
  try {
    await assert.rejects(wrong.getRestoreSnapshotState({ job_id: 1 }), {
      code: 16,
      details: 'auth check failure, please check username and password are correct',
    })
    await assert.rejects(anonymous.getRestoreSnapshotState({ job_id: 1 }), {
      code: 16,
      details: 'missing authorization in header',
    })
    await right.connectPromise
    const res = await right.getRestoreSnapshotState({ job_id: 1 })
    assert.equal(res.status.code, 2101)

    const calls = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.deepEqual(calls.map((r) => r.outcome), ['grpc:16', 'grpc:16', 'ok'])
    const last = calls.at(-1)
    assert.equal(last.headers.authorization, Buffer.from('root:Milvus').toString('base64'))
    assert.equal(last.headers.dbname, 'default')
    assert.equal(last.request.job_id, '1')
    assert.equal(last.status_code, 2101)
  } finally {
    await Promise.all([wrong.closeConnection(), anonymous.closeConnection(), right.closeConnection()])
    await sim.stop()
  }
})

test('official SDK: a retried attempt is answered like grpc-go answers it, and recorded', async () => {
  // The official SDK re-sends without half-closing; the sim answers after the message anyway.
  const fixtures = { 9: { fault: { code: 14, message: 'try again', fail_times: 2 }, info: { state: 3 } } }
  await withClient({ fixtures, record: true }, {}, async (client, sim) => {
    await client.connectPromise
    const res = await client.getRestoreSnapshotState({ job_id: 9, timeout: 5000 })
    assert.equal(res.info.state, 'RestoreSnapshotCompleted')
    const attempts = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.deepEqual(attempts.map((r) => r.outcome), ['grpc:14', 'grpc:14', 'ok'])
  })
})
