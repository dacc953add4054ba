'use strict'
// Call ids (issue 13, point 6): an id is never given to a new call while the addon may still
// report it: neither while its call is in flight, however long, nor after its abort until the
// call has ended. Ids are u32 and wrap after 2^32 - 1 calls; the test switch
// MILVUS_NATIVE_TEST_ID_LIMIT=4 makes them wrap after 4, in a child process. A call rejected
// before it starts (a missing field) uses up an id too, which moves the counter along within
// one tick.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')

const REPO = path.resolve(__dirname, '..')
const FAST = '462000000000000961'
const SLOW = '462000000000000962'
const FIXTURES = {
  [FAST]: { info: { job_id: FAST, state: 3, progress: 100 } },
  [SLOW]: { info: { job_id: SLOW, state: 2, progress: 7 }, fault: { delay_ms: 1500 } },
}

function run(script, address) {
  const child = `
    const { MilvusClient } = require(${JSON.stringify(REPO)})
    const client = new MilvusClient({ address: ${JSON.stringify(address)}, __SKIP_CONNECT__: true })
    const FAST = ${JSON.stringify(FAST)}, SLOW = ${JSON.stringify(SLOW)}
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
    const outcome = (p) => p.then((v) => 'resolved ' + v.info.job_id + ' ' + v.info.state, (e) => 'rejected ' + e.name + ': ' + e.message)
    // Ids used up by calls that reject before they start.
    const skip = (n) => { for (let i = 0; i < n; i++) client.getRestoreSnapshotState({}).catch(() => {}) }
    const settled = (p, ms) => Promise.race([outcome(p), sleep(ms).then(() => 'never settled')])
    ;(async () => { ${script} })().then(
      (r) => { console.log(JSON.stringify(r)); return client.closeConnection() },
      (e) => { console.error(e); process.exitCode = 2 },
    )
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', child], { timeout: 30000, env: { ...process.env, MILVUS_NATIVE_TEST_ID_LIMIT: '4' } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`))
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()))
      } catch {
        reject(new Error(`no result from the child: ${stdout}\n${stderr}`))
      }
    })
  })
}

test('ids wrap around a call still in flight: both it and the calls after the wrap settle with their own replies', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await run(
      `
      const slow = client.getRestoreSnapshotState({ job_id: SLOW }) // id 1, for 1.5 s
      skip(3) // ids 2, 3, 4: the next id would be 1 again
      const fast = []
      for (let i = 0; i < 6; i++) fast.push(await outcome(client.getRestoreSnapshotState({ job_id: FAST })))
      return { slow: await settled(slow, 8000), fast }
      `,
      sim.address,
    )
    assert.deepEqual(out, {
      slow: `resolved ${SLOW} RestoreSnapshotExecuting`,
      fast: Array(6).fill(`resolved ${FAST} RestoreSnapshotCompleted`),
    })
  } finally {
    await sim.stop()
  }
})

test('the id of an aborted call is not reused before that call has ended', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await run(
      `
      const ac = new AbortController()
      const aborted = client.getRestoreSnapshotState({ job_id: SLOW, signal: ac.signal }) // id 1
      ac.abort()
      // Same tick: the addon has not reported the aborted call's end yet.
      skip(3)
      const next = client.getRestoreSnapshotState({ job_id: FAST })
      return { aborted: await outcome(aborted), next: await settled(next, 8000) }
      `,
      sim.address,
    )
    assert.deepEqual(out, {
      aborted: 'rejected AbortError: The operation was aborted',
      next: `resolved ${FAST} RestoreSnapshotCompleted`,
    })
  } finally {
    await sim.stop()
  }
})

test('when every id is in use, a new call rejects (never reuses one) and the others settle', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await run(
      `
      const slow = [1, 2, 3, 4].map(() => client.getRestoreSnapshotState({ job_id: SLOW }))
      const extra = await outcome(client.getRestoreSnapshotState({ job_id: FAST }))
      const all = await Promise.all(slow.map((p) => settled(p, 8000)))
      const after = await outcome(client.getRestoreSnapshotState({ job_id: FAST }))
      return { extra, all, after }
      `,
      sim.address,
    )
    assert.deepEqual(out, {
      extra: 'rejected RangeError: milvus-native: all 4 call ids are in use.',
      all: Array(4).fill(`resolved ${SLOW} RestoreSnapshotExecuting`),
      after: `resolved ${FAST} RestoreSnapshotCompleted`,
    })
  } finally {
    await sim.stop()
  }
})
