'use strict'
// Panics (issue 15, point 5): a panic in an N-API entry point, in a call's task on the runtime,
// or in the threadsafe function's callback becomes a rejection of that call; the process lives
// on, later calls work, and it exits by itself. Provoked through the test-only switch
// MILVUS_NATIVE_TEST_PANIC (src/js/test_switch.rs), in a child process each.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')

const REPO = path.resolve(__dirname, '..')

const CHILD = `
  const { MilvusClient } = require(${JSON.stringify(REPO)})
  ;(async () => {
    const c = new MilvusClient({ address: process.env.SIM, __SKIP_CONNECT__: true })
    const outcome = (p) => p.then((r) => 'resolved ' + r.status.code, (e) => 'rejected ' + e.code + ': ' + e.message)
    const first = await outcome(c.getRestoreSnapshotState({ job_id: 1 }))
    const second = await outcome(c.getRestoreSnapshotState({ job_id: 2 }))
    console.log(JSON.stringify({ first, second }))
  })()
`

function runChild(place, sim) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', CHILD],
      { env: { ...process.env, SIM: sim, MILVUS_NATIVE_TEST_PANIC: place }, timeout: 20000 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr })
    )
  })
}

for (const place of ['call', 'task', 'deliver']) {
  test(`a panic at \`${place}\` rejects the call as an internal error; the process lives on and exits by itself`, async () => {
    const sim = await startSim()
    try {
      const { error, stdout, stderr } = await runChild(place, sim.address)
      assert.equal(error, null, `the child failed: ${error && error.message}\n${stderr}`)
      const out = JSON.parse(stdout)
      // The switch fires on every pass through its place: both calls reject, neither hangs.
      for (const o of [out.first, out.second]) {
        assert.match(o, /^rejected ERR_MILVUS_NATIVE_INTERNAL: milvus-native internal error in getRestoreSnapshotState \(panic\)/)
      }
    } finally {
      await sim.stop()
    }
  })
}

test('control: without the switch the same child resolves both calls', async () => {
  const sim = await startSim()
  try {
    const { error, stdout, stderr } = await runChild('', sim.address)
    assert.equal(error, null, stderr)
    assert.deepEqual(JSON.parse(stdout), { first: 'resolved 2101', second: 'resolved 2101' })
  } finally {
    await sim.stop()
  }
})
