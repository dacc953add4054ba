'use strict'
// Calls run on the addon's tokio runtime (src/js/runtime.rs): one worker thread for the whole
// process, whatever the number of calls and connection attempts; an idle process costs no CPU; a burst
// larger than the write-gathering bound is written in pieces and every call of it resolves, two
// copies of the package in one process both work, AsyncLocalStorage follows the calls, and a call made before closeConnection() in
// the same tick still goes out, as with the official client.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')

const REPO = path.resolve(__dirname, '..')
const JOB = '462000000000000777'
const SLOW = '462000000000000778'
const FIXTURES = {
  [JOB]: { info: { job_id: JOB, snapshot_name: 's', db_name: 'default', collection_name: 't', state: 3, progress: 100 } },
  [SLOW]: { info: { job_id: SLOW, state: 3, progress: 100 }, fault: { delay_ms: 300 } },
}

/**
 * In a child process: `calls` sequential calls, then `burst` calls started in one tick, then
 * `idleMs` of doing nothing (a timer keeps the process alive). Resolves to { states, burstStates,
 * threads: { before, after }, idleCpuMs }, `threads` being the process's thread count before
 * the addon was loaded and after the calls.
 */
function childRun(address, { calls = 300, burst = 0, idleMs = 1000 } = {}) {
  const script = `
    const fs = require('node:fs')
    const threads = () => fs.readdirSync('/proc/self/task').length
    const before = threads()
    const { MilvusClient } = require(${JSON.stringify(REPO)})
    ;(async () => {
      const c = new MilvusClient({ address: ${JSON.stringify(address)} })
      const states = new Set()
      for (let i = 0; i < ${calls}; i++) {
        const r = await c.getRestoreSnapshotState({ job_id: ${JSON.stringify(JOB)} })
        states.add(r.status.code + ' ' + r.info.job_id + ' ' + r.info.state)
      }
      const burst = new Set()
      const all = []
      for (let i = 0; i < ${burst}; i++) all.push(c.getRestoreSnapshotState({ job_id: ${JSON.stringify(JOB)} }))
      for (const r of await Promise.all(all)) burst.add(r.status.code + ' ' + r.info.job_id + ' ' + r.info.state)
      await new Promise((r) => setTimeout(r, 50))
      const after = threads()
      const t1 = process.cpuUsage()
      await new Promise((r) => setTimeout(r, ${idleMs}))
      const idle = process.cpuUsage(t1)
      await c.closeConnection()
      console.log(JSON.stringify({
        states: [...states],
        burstStates: [...burst],
        threads: { before, after },
        idleCpuMs: (idle.user + idle.system) / 1000,
      }))
    })().catch((e) => { console.error(e); process.exitCode = 2 })
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 60000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`))
      try {
        resolve(lastJson(stdout))
      } catch (e) {
        reject(e)
      }
    })
  })
}

/** The child's last line, as JSON; a child that printed none (it exited early) fails the test. */
function lastJson(stdout) {
  const line = stdout.trim().split('\n').pop()
  try {
    return JSON.parse(line)
  } catch {
    throw new Error(`the child printed no result: ${JSON.stringify(stdout)}`)
  }
}

const EXPECTED_STATES = [`0 ${JOB} RestoreSnapshotCompleted`]

test('the addon adds one thread (its runtime\'s worker), and an idle second costs (almost) no CPU', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await childRun(sim.address)
    assert.deepEqual(out.states, EXPECTED_STATES)
    assert.equal(out.threads.after, out.threads.before + 1, `threads before the addon: ${out.threads.before}, after 300 calls: ${out.threads.after}`)
    // Idle Node takes a few ms; a thread or timer that kept polling would show here.
    assert.ok(out.idleCpuMs < 150, `idle process used ${out.idleCpuMs} ms of CPU in 1 s`)
  } finally {
    await sim.stop()
  }
})

test('10,000 calls started in one tick (over the 256 KiB of gathered writes): each resolves with its reply', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const out = await childRun(sim.address, { calls: 1, burst: 10000, idleMs: 10 })
    assert.deepEqual(out.burstStates, EXPECTED_STATES)
  } finally {
    await sim.stop()
  }
})

test('two copies of the package in one process (a test runner reloading modules): both copies\' calls settle', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    // `all`: the addon file too is loaded again; otherwise only the JavaScript.
    for (const mode of ['js', 'all']) {
      const script = `
        const REPO = ${JSON.stringify(REPO)}
        const A = require(REPO)
        for (const k of Object.keys(require.cache)) {
          if (k.startsWith(REPO) && (${JSON.stringify(mode)} === 'all' || !k.endsWith('.node'))) delete require.cache[k]
        }
        const B = require(REPO)
        ;(async () => {
          const a = new A.MilvusClient({ address: ${JSON.stringify(sim.address)}, __SKIP_CONNECT__: true })
          const b = new B.MilvusClient({ address: ${JSON.stringify(sim.address)}, __SKIP_CONNECT__: true })
          // B's calls are slow: A's end first, and A's copy then has nothing pending, which must
          // not let the process exit under B's.
          const r = await Promise.all([a, b, a, b].map((c) => c.getRestoreSnapshotState({ job_id: c === a ? ${JSON.stringify(JOB)} : ${JSON.stringify(SLOW)} })))
          console.log(JSON.stringify({ distinct: A.MilvusClient !== B.MilvusClient, states: r.map((x) => x.info.state) }))
          await a.closeConnection()
          await b.closeConnection()
        })()
      `
      const out = await new Promise((resolve, reject) => {
        execFile(process.execPath, ['-e', script], { timeout: 20000 }, (err, stdout, stderr) => {
          if (err) return reject(new Error(`${mode}: child failed: ${err.message}\n${stderr}`))
          try {
            resolve(lastJson(stdout))
          } catch (e) {
            reject(e)
          }
        })
      })
      assert.deepEqual(out, { distinct: true, states: Array(4).fill('RestoreSnapshotCompleted') }, mode)
    }
  } finally {
    await sim.stop()
  }
})

test('AsyncLocalStorage: each caller finds its own store after awaiting calls, as with the official client', async () => {
  const { AsyncLocalStorage } = require('node:async_hooks')
  const sim = await startSim({ fixtures: FIXTURES })
  const als = new AsyncLocalStorage()
  try {
    for (const Client of [MilvusClient, Official]) {
      const c = new Client({ address: sim.address, __SKIP_CONNECT__: true })
      const seen = await Promise.all(
        [1, 2, 3].map((n) =>
          als.run({ n }, async () => {
            await c.getRestoreSnapshotState({ job_id: JOB })
            await c.getRestoreSnapshotState({ job_id: JOB })
            return als.getStore()?.n
          })
        )
      )
      assert.deepEqual(seen, [1, 2, 3], Client === MilvusClient ? 'native' : 'official')
      await c.closeConnection()
    }
  } finally {
    await sim.stop()
  }
})

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
