'use strict'
// worker_threads (issue 6, item 6): 8 workers load the addon, make calls and are terminated
// with calls in flight, 20 rounds; the main thread's client keeps working between rounds and
// the process exits by itself with code 0. All of it runs in a child process, so a crash at
// teardown (a signal, an abort) is seen as such.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const { startBlackhole } = require('./helpers/blackhole')

const PKG = path.resolve(__dirname, '..')

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { MilvusClient } = require(${JSON.stringify(PKG)})
const { address, hole, round, index } = workerData
const client = new MilvusClient({ address })
;(async () => {
  // Calls that complete, checked.
  for (let i = 0; i < 3; i++) {
    const job = 100 + ((round * 8 + index + i) % 50)
    const r = await client.getRestoreSnapshotState({ job_id: job })
    if (r.info.job_id !== String(job)) throw new Error('wrong reply ' + JSON.stringify(r))
  }
  // Calls left in flight: slow replies, polling with a progress callback, connecting to an
  // address that never answers, one with an abort signal.
  for (let i = 0; i < 20; i++) client.getRestoreSnapshotState({ job_id: 1 }).catch(() => {})
  client.waitForRestoreSnapshot({ job_id: 2, interval: 20, onProgress: () => {} }).catch(() => {})
  new MilvusClient({ address: hole, timeout: 2000 }).listSnapshots({ collection_name: 'c' }).catch(() => {})
  client.getRestoreSnapshotState({ job_id: 1, signal: new AbortController().signal }).catch(() => {})
  parentPort.postMessage('in-flight')
  if (workerData.selfExit) setTimeout(() => process.exit(0), 20)
})().catch((e) => parentPort.postMessage('error: ' + e.message))
`

const MAIN = `
const { Worker } = require('node:worker_threads')
const { MilvusClient } = require(${JSON.stringify(PKG)})
const { SIM, HOLE } = process.env
const ROUNDS = 20
const WORKERS = 8
const main = new MilvusClient({ address: SIM })

function startWorker(round, index, selfExit) {
  const w = new Worker(${JSON.stringify(WORKER)}, { eval: true, workerData: { address: SIM, hole: HOLE, round, index, selfExit } })
  const ready = new Promise((resolve, reject) => {
    w.once('message', (m) => (m === 'in-flight' ? resolve() : reject(new Error(m))))
    w.once('error', reject)
    w.once('exit', (code) => reject(new Error('worker exited early with ' + code)))
  })
  const exited = new Promise((resolve) => w.once('exit', resolve))
  return { w, ready, exited }
}

;(async () => {
  const stats = { rounds: 0, terminated: 0, selfExited: 0, mainCalls: 0, maxRoundMs: 0, exitCodes: {} }
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Date.now()
    // Every fourth round, two of the workers end themselves with process.exit() instead.
    const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(round, i, round % 4 === 3 && i < 2))
    const results = await Promise.allSettled(workers.map((x) => x.ready))
    for (const r of results) {
      // A self-exiting worker may be gone before we look; anything else is a failure (and the
      // other workers must not keep the process alive while it is reported).
      if (r.status === 'rejected' && !/exited early with 0/.test(r.reason.message)) {
        await Promise.all(workers.map(({ w }) => w.terminate()))
        throw r.reason
      }
    }
    await Promise.all(workers.map(async ({ w, exited }, i) => {
      const code = round % 4 === 3 && i < 2 ? await exited : await w.terminate()
      stats.exitCodes[code] = (stats.exitCodes[code] || 0) + 1
      if (round % 4 === 3 && i < 2) stats.selfExited++
      else stats.terminated++
    }))
    // The main thread's client, between rounds.
    const r = await main.getRestoreSnapshotState({ job_id: 100 + round })
    if (r.info.job_id !== String(100 + round)) throw new Error('main: wrong reply')
    stats.mainCalls++
    stats.rounds++
    stats.maxRoundMs = Math.max(stats.maxRoundMs, Date.now() - t0)
  }
  stats.doneAt = Date.now()
  console.log(JSON.stringify(stats))
})().catch((e) => { console.error(e); process.exit(1) })
`

test('8 workers × 20 rounds: load the addon, call, terminated with calls in flight; main keeps working; clean exit', async (t) => {
  const fixtures = { 1: { fault: { delay_ms: 2000 }, info: { job_id: '1' } }, 2: { info: { job_id: '2', state: 2, progress: 10 } } }
  for (let j = 100; j < 150; j++) fixtures[j] = { info: { job_id: String(j) } }
  const sim = await startSim({ fixtures })
  const hole = await startBlackhole()
  try {
    const t0 = Date.now()
    const r = await new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', MAIN], { env: { ...process.env, SIM: sim.address, HOLE: hole.address } })
      let stdout = ''
      let stderr = ''
      const killer = setTimeout(() => child.kill('SIGKILL'), 55000)
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (status, signal) => {
        clearTimeout(killer)
        resolve({ status, signal, stdout, stderr, closedAt: Date.now() })
      })
    })
    const ms = Date.now() - t0
    assert.equal(r.signal, null, `child killed by ${r.signal}\n${r.stderr}`)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '')
    const stats = JSON.parse(r.stdout)
    t.diagnostic(`${r.stdout.trim()} in ${ms} ms`)
    assert.equal(stats.rounds, 20)
    assert.equal(stats.mainCalls, 20)
    assert.equal(stats.terminated + stats.selfExited, 160)
    assert.equal(stats.selfExited, 10)
    // terminate() resolves 1; process.exit(0) in a worker is 0.
    assert.deepEqual(stats.exitCodes, { 0: 10, 1: 150 })
    // The process ends by itself soon after the last round, although calls of terminated
    // workers may still be in flight in the addon's runtime.
    const exitMs = r.closedAt - stats.doneAt
    t.diagnostic(`exited ${exitMs} ms after the last round`)
    assert.ok(exitMs < 3000, `exited ${exitMs} ms after the last round`)
  } finally {
    hole.close()
    await sim.stop()
  }
})
