'use strict'
// Load (issue 6, item 3): up to 200,000 calls with RSS sampled over time, and no growth in
// open handles or file descriptors (first, so no earlier peak shapes its RSS curve); then
// 10,000 concurrent calls on one client, each checked. scripts/soak.js runs the same mix for 1,000,000 calls (docs/RELIABILITY.md).
// With a debug simulator the rate is a few thousand calls per second, so the long run is
// also capped in time; the release simulator (target/release/milvus-sim) is used when built.

const test = require('node:test')
const assert = require('node:assert/strict')
const { run, oneCall, fixtures } = require('../scripts/soak.js')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')
const { socketFds } = require('./helpers/common')

const fds = socketFds

test('200,000 calls (or 30 s): right results, RSS flat after warm-up, no new handles', async (t) => {
  const fd0 = fds()
  const r = await run({ calls: 200000, concurrency: 256, sampleMs: 500, maxSeconds: 30 })
  const curve = r.samples.map((s) => `${Math.round(s.calls / 1000)}k:${s.rss_mb}`).join(' ')
  t.diagnostic(
    `${r.calls} calls in ${r.seconds} s (${r.calls_per_sec}/s, sim ${r.sim_bin}); RSS ${r.rss_start_mb} -> ` +
      `${r.rss_after_warmup_mb} after warm-up -> ${r.rss_end_mb} MB at the end (steady ${r.rss_steady_min_mb}-${r.rss_steady_max_mb}, ` +
      `slope ${r.rss_slope_mb_per_100k_calls} MB/100k calls)`
  )
  t.diagnostic(`RSS curve (calls:MB): ${curve}`)
  assert.equal(r.wrong_results, 0, JSON.stringify(r.wrong_examples))
  assert.ok(r.calls >= 20000, `only ${r.calls} calls in 30 s`)
  // A leak of even 200 bytes per call would add 40 MB over 200,000 calls. The allocator grows
  // in steps of ~15 MB during warm-up (see the soak curve), so allow one step, not a trend.
  assert.ok(r.rss_steady_max_mb - r.rss_after_warmup_mb < 40, `RSS grew ${r.rss_steady_max_mb - r.rss_after_warmup_mb} MB after warm-up`)
  // Open handles: the same kinds and counts with the client idle as before the run.
  assert.deepEqual(r.resources_after, r.resources_before)
  assert.ok(fds() - fd0 <= 1, `${fds() - fd0} sockets left open`)
})

test('10,000 concurrent calls on one client all settle with the right result', async (t) => {
  const sim = await startSim({ fixtures: fixtures() })
  const client = new MilvusClient({ address: sim.address, timeout: 60000 })
  try {
    await client.connectPromise
    const fd0 = fds()
    const t0 = Date.now()
    // The soak mix: 90 % fixture replies (checked field by field), 5 % Milvus error
    // statuses, 3 % gRPC rejections, 2 % validation rejections; all started at once.
    const problems = await Promise.all(Array.from({ length: 10000 }, (_, i) => oneCall(client, i)))
    const ms = Date.now() - t0
    const wrong = problems.filter((p) => p !== null)
    assert.deepEqual(wrong.slice(0, 5), [])
    assert.equal(problems.length, 10000)
    // One HTTP/2 connection carries them all: no socket per call.
    assert.ok(fds() - fd0 <= 2, `${fds() - fd0} more sockets`)
    t.diagnostic(`10,000 concurrent calls settled in ${ms} ms, 0 wrong`)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})
