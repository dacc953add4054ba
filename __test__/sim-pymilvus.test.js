'use strict'
// A second, independent client: pymilvus 3.0.x runs the snapshot lifecycle against milvus-sim.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const { ensurePyEnv } = require('./helpers/pyenv')

const SCRIPT = path.join(__dirname, 'py', 'snapshot_lifecycle.py')

function run(python, args) {
  return new Promise((resolve, reject) => {
    execFile(python, [SCRIPT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`pymilvus script failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)))
    })
  })
}

test('pymilvus: snapshot lifecycle and §6 errors', async () => {
  const python = ensurePyEnv()
  const sim = await startSim({
    args: ['--collection', 'default/books', '--auth', 'root:Milvus', '--tick-ms', '300', '--restore-ms', '500'],
    record: true,
  })
  try {
    const out = await run(python, [String(sim.port)])
    assert.deepEqual(out.duplicate, { code: 1100, message: 'snapshot name s1 already exists' })
    assert.deepEqual(out.unknown_collection, {
      code: 100,
      message: 'collection not found[database=default][collection=nope]',
    })
    assert.deepEqual(out.list, ['s1'])
    assert.equal(out.describe.name, 's1')
    assert.equal(out.describe.collection_name, 'books')
    assert.ok(out.describe.create_ts > 0)
    assert.ok(out.job_id > 0)
    assert.deepEqual(out.states, ['RestoreSnapshotPending', 'RestoreSnapshotExecuting', 'RestoreSnapshotCompleted'])
    assert.deepEqual(out.final, {
      job_id: out.job_id,
      snapshot_name: 's1',
      db_name: 'default',
      collection_name: 'books_copy',
      progress: 100,
      time_cost: 800,
    })
    assert.deepEqual(out.target_exists, {
      code: 1100,
      message: 'target collection books_copy already exists in database default',
    })
    assert.deepEqual(out.unknown_job, {
      code: 2101,
      message: 'restore job not found: jobID=424242: importing data failed on server side',
    })
    assert.equal(out.jobs_all, 1)
    assert.equal(out.jobs_filtered, 1)
    assert.equal(out.jobs_other, 0)
    assert.ok(out.pin_id > 0)
    assert.deepEqual(out.list_after_drop, [])

    // pymilvus went through auth and the dbname header on every call.
    const records = sim.records()
    const polls = records.filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.ok(polls.length >= 3)
    for (const r of records) {
      assert.equal(r.outcome, 'ok', JSON.stringify(r))
      assert.equal(r.headers.authorization, Buffer.from('root:Milvus').toString('base64'))
    }
  } finally {
    await sim.stop()
  }
})
