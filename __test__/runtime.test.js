'use strict'
// The addon's runtime thread (src/js/runtime.rs): after a burst of calls it polls for a bounded
// window and then sleeps, so an idle process costs no CPU; MILVUS_NATIVE_SPIN_US=0 (no polling)
// and MILVUS_NATIVE_THREADS=2 (a multi-thread runtime) give the same results; and a call made
// before closeConnection() in the same tick still goes out, as with the official client.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')

const REPO = path.resolve(__dirname, '..')
const JOB = '462000000000000777'
const FIXTURES = {
  [JOB]: { info: { job_id: JOB, snapshot_name: 's', db_name: 'default', collection_name: 't', state: 3, progress: 100 } },
}

/**
 * In a child process with `env`: `calls` sequential calls, then `idleMs` of doing nothing (a
 * timer keeps the process alive). Resolves to { states, busyCpuMs, idleCpuMs }.
 */
function childRun(address, env, { calls = 300, idleMs = 1000 } = {}) {
  const script = `
    const { MilvusClient } = require(${JSON.stringify(REPO)})
    ;(async () => {
      const c = new MilvusClient({ address: ${JSON.stringify(address)} })
      const states = new Set()
      const t0 = process.cpuUsage()
      for (let i = 0; i < ${calls}; i++) {
        const r = await c.getRestoreSnapshotState({ job_id: ${JSON.stringify(JOB)} })
        states.add(r.status.code + ' ' + r.info.job_id + ' ' + r.info.state)
      }
      const busy = process.cpuUsage(t0)
      await new Promise((r) => setTimeout(r, 50)) // the polling window ends
      const t1 = process.cpuUsage()
      await new Promise((r) => setTimeout(r, ${idleMs}))
      const idle = process.cpuUsage(t1)
      await c.closeConnection()
      console.log(JSON.stringify({
        states: [...states],
        busyCpuMs: (busy.user + busy.system) / 1000,
        idleCpuMs: (idle.user + idle.system) / 1000,
      }))
    })().catch((e) => { console.error(e); process.exitCode = 2 })
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, ...env }, timeout: 60000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

const EXPECTED_STATES = [`0 ${JOB} RestoreSnapshotCompleted`]

test('after a burst of calls the runtime thread sleeps: an idle second costs (almost) no CPU', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await childRun(sim.address, {})
    assert.deepEqual(out.states, EXPECTED_STATES)
    // Polling that never stopped would cost about 1,000 ms here; idle Node takes a few ms.
    assert.ok(out.idleCpuMs < 150, `idle process used ${out.idleCpuMs} ms of CPU in 1 s`)
  } finally {
    await sim.stop()
  }
})

for (const [name, env] of [
  ['MILVUS_NATIVE_SPIN_US=0 (sleep at once)', { MILVUS_NATIVE_SPIN_US: '0' }],
  ['MILVUS_NATIVE_SPIN_US=5000 (a long window)', { MILVUS_NATIVE_SPIN_US: '5000' }],
  ['MILVUS_NATIVE_THREADS=2 (multi-thread runtime)', { MILVUS_NATIVE_THREADS: '2' }],
]) {
  test(`${name}: every call resolves with the right reply, and the idle process sleeps`, async () => {
    const sim = await startSim({ fixtures: FIXTURES })
    try {
      const out = await childRun(sim.address, env, { calls: 200, idleMs: 500 })
      assert.deepEqual(out.states, EXPECTED_STATES)
      assert.ok(out.idleCpuMs < 100, `idle process used ${out.idleCpuMs} ms of CPU in 0.5 s`)
    } finally {
      await sim.stop()
    }
  })
}

test('a call made just before closeConnection() in the same tick still goes out, as with the official client', async () => {
  const sim = await startSim({ fixtures: FIXTURES, record: true })
  try {
    const outcome = async (Client) => {
      const c = new Client({ address: sim.address, __SKIP_CONNECT__: true })
      const p = c.getRestoreSnapshotState({ job_id: JOB })
      await c.closeConnection()
      return p.then(
        (r) => `resolved ${r.info.state}`,
        (e) => `rejected ${e.code}`
      )
    }
    const official = await outcome(Official)
    const native = await outcome(MilvusClient)
    assert.equal(native, official)
    assert.equal(native, 'resolved RestoreSnapshotCompleted')
    const sent = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.equal(sent.length, 2, 'each client sent its call')
  } finally {
    await sim.stop()
  }
})
