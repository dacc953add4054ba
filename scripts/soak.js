#!/usr/bin/env node
'use strict'
// Soak: many calls on one client against milvus-sim, RSS sampled over time (issue 6, item 3).
//
//   node scripts/soak.js [--calls 1000000] [--concurrency 256] [--sample-ms 1000] [--max-seconds 0]
//
// SOAK_PACKAGE=<dir> soaks another copy of the package (e.g. one holding a release build).
// Prints one JSON object: throughput, the RSS/heap curve, the growth after warm-up, and
// the process's active resources before and after. __test__/load.test.js runs `run()` with
// fewer calls. Uses target/release/milvus-sim when it exists (a debug simulator caps the rate
// at a few thousand calls per second), else what __test__/helpers/sim.js picks.

const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..')
const RELEASE_SIM = path.join(REPO, 'target', 'release', 'milvus-sim')
if (!process.env.MILVUS_SIM_BIN && fs.existsSync(RELEASE_SIM)) process.env.MILVUS_SIM_BIN = RELEASE_SIM

const { MilvusClient } = require(process.env.SOAK_PACKAGE || REPO)
const { startSim } = require(path.join(REPO, '__test__', 'helpers', 'sim.js'))

const JOBS = 1000 // fixture ids 1..JOBS answer their own info
const UNKNOWN = 1_000_000 // ids above JOBS: a 2101 status (resolves)
const DENIED = 999_999 // a PERMISSION_DENIED fault: rejects at once, not retried

function fixtures() {
  const f = {}
  for (let j = 1; j <= JOBS; j++) {
    f[j] = { info: { job_id: String(j), snapshot_name: `s${j}`, state: j % 5, progress: j % 101, start_time: String(1760000000000 + j) } }
  }
  f[DENIED] = { fault: { code: 7, message: 'denied' } }
  return f
}

/**
 * One call of the mix, checked: 90 % a fixture's reply, 5 % a Milvus error status, 3 % a gRPC
 * rejection, 2 % a validation rejection (no RPC). Returns null when the outcome was right,
 * else a description.
 */
async function oneCall(client, i) {
  const kind = i % 100
  if (kind < 90) {
    const j = (i % JOBS) + 1
    const r = await client.getRestoreSnapshotState({ job_id: j })
    const ok = r.info && r.info.job_id === String(j) && r.info.snapshot_name === `s${j}` && r.info.progress === j % 101
    return ok ? null : `job ${j}: ${JSON.stringify(r).slice(0, 200)}`
  }
  if (kind < 95) {
    const j = UNKNOWN + i
    const r = await client.getRestoreSnapshotState({ job_id: String(j) })
    const ok = r.status.code === 2101 && r.status.reason.includes(`jobID=${j}`) && r.info === null
    return ok ? null : `unknown job ${j}: ${JSON.stringify(r).slice(0, 200)}`
  }
  if (kind < 98) {
    try {
      await client.getRestoreSnapshotState({ job_id: DENIED })
      return 'PERMISSION_DENIED fault resolved'
    } catch (e) {
      return e.code === 7 ? null : `fault: ${e.message}`
    }
  }
  try {
    await client.getRestoreSnapshotState({ job_id: 'not a number' })
    return 'bad job_id resolved'
  } catch (e) {
    return /`job_id`/.test(e.message) ? null : `bad job_id: ${e.message}`
  }
}

function mb(n) {
  return Math.round((n / 1048576) * 10) / 10
}

function sample(t0, calls) {
  const m = process.memoryUsage()
  return { t_s: Math.round((Date.now() - t0) / 100) / 10, calls, rss_mb: mb(m.rss), heap_mb: mb(m.heapUsed), external_mb: mb(m.external) }
}

function resources() {
  const count = {}
  for (const r of process.getActiveResourcesInfo()) count[r] = (count[r] || 0) + 1
  return count
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

/**
 * @param {{ calls?: number, concurrency?: number, sampleMs?: number, maxSeconds?: number,
 *           address?: string }} options
 */
async function run({ calls = 1_000_000, concurrency = 256, sampleMs = 1000, maxSeconds = 0, address } = {}) {
  const sim = address ? null : await startSim({ fixtures: fixtures() })
  const client = new MilvusClient({ address: address || sim.address })
  await client.connectPromise
  await new Promise((r) => setImmediate(r))
  const before = resources()
  const t0 = Date.now()
  const samples = [sample(t0, 0)]
  const wrong = []
  let started = 0
  let done = 0
  const timer = setInterval(() => samples.push(sample(t0, done)), sampleMs)
  const stopAt = maxSeconds > 0 ? t0 + maxSeconds * 1000 : Infinity
  async function worker() {
    while (started < calls && Date.now() < stopAt) {
      const i = started++
      const problem = await oneCall(client, i)
      done++
      if (problem && wrong.length < 20) wrong.push(problem)
      else if (problem) wrong.length++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  clearInterval(timer)
  const seconds = (Date.now() - t0) / 1000
  samples.push(sample(t0, done))
  await new Promise((r) => setTimeout(r, 100))
  if (global.gc) global.gc()
  const after = resources()
  await client.closeConnection()
  if (sim) await sim.stop()

  // Warm-up: the first quarter of the run (allocator pools, JIT, connection buffers).
  const steady = samples.filter((s) => s.calls >= done / 4)
  const rss = steady.map((s) => s.rss_mb)
  return {
    calls: done,
    concurrency,
    seconds,
    calls_per_sec: Math.round(done / seconds),
    wrong_results: wrong.length,
    wrong_examples: wrong.slice(0, 5),
    rss_start_mb: samples[0].rss_mb,
    rss_after_warmup_mb: rss[0],
    rss_end_mb: rss[rss.length - 1],
    rss_steady_min_mb: Math.min(...rss),
    rss_steady_max_mb: Math.max(...rss),
    rss_slope_mb_per_100k_calls: Math.round(slope(steady.map((s) => s.calls), rss) * 100000 * 100) / 100,
    resources_before: before,
    resources_after: after,
    sim_bin: process.env.MILVUS_SIM_BIN || 'debug',
    samples,
  }
}

module.exports = { run, oneCall, fixtures, JOBS }

if (require.main === module) {
  const args = process.argv.slice(2)
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? Number(args[i + 1]) : def
  }
  run({
    calls: opt('calls', 1_000_000),
    concurrency: opt('concurrency', 256),
    sampleMs: opt('sample-ms', 1000),
    maxSeconds: opt('max-seconds', 0),
  }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 1))
      process.exitCode = r.wrong_results === 0 ? 0 : 1
    },
    (e) => {
      console.error(e)
      process.exitCode = 1
    }
  )
}
