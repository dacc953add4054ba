'use strict'
// One measurement in its own process:
// `<runtime> bench/child.cjs <native|grpc-js|official> <scenario> <json>`, the runtime being Node,
// Bun or Deno (`deno run -A`; hence .cjs: Deno reads a .js file here as an ES module). Talks to
// the parent with `@@BENCH {json}` lines on stdout (the official SDK may log there too):
// `{"event":"start"}` / `{"event":"end"}` around a measured window, so the parent can read the
// simulator's CPU over exactly that window, then `{"result":{...}}`.

const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { percentile } = require('./lib/stats')

const REPO = path.resolve(__dirname, '..')
const [kind, scenario, optsJson] = process.argv.slice(2)
const opts = JSON.parse(optsJson)

function send(obj) {
  // Synchronous on Linux pipes under Node, so the marker leaves before the window starts (under
  // Bun and Deno at the latest when the first call awaits).
  process.stdout.write(`@@BENCH ${JSON.stringify(obj)}\n`)
}

function loadClient() {
  if (kind === 'native') return require(REPO).MilvusClient
  if (kind === 'official') return require('@zilliz/milvus2-sdk-node').MilvusClient
  if (kind === 'grpc-js') return require('./lib/grpc-js-client').MilvusClient
  throw new Error(`unknown client ${kind}`)
}

function cpuMsSince(start) {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

const rssMb = () => process.memoryUsage.rss() / 1048576
const MB = 1048576
function memSample(calls) {
  const m = process.memoryUsage()
  return { calls, rss_mb: m.rss / MB, heap_total_mb: m.heapTotal / MB, heap_used_mb: m.heapUsed / MB, external_mb: m.external / MB }
}
const maxRssMb = () => process.resourceUsage().maxRSS / 1024

/** Counts replies that are not a success; throws on the first that is not a reply at all. */
function makeCall(client) {
  const tally = { calls: 0, statusErrors: 0, errors: 0, firstError: null }
  async function call() {
    try {
      const r = await client.getRestoreSnapshotState({ job_id: opts.jobId })
      if (!r || !r.status || r.status.code !== 0 || !r.info) tally.statusErrors++
    } catch (e) {
      tally.errors++
      if (!tally.firstError) tally.firstError = `${e && e.code} ${e && e.message}`
    }
    tally.calls++
  }
  return { call, tally }
}

async function checkFirst(client) {
  const r = await client.getRestoreSnapshotState({ job_id: opts.jobId })
  if (!r || !r.info || r.info.state !== 'RestoreSnapshotCompleted') {
    throw new Error(`unexpected first reply: ${JSON.stringify(r)}`)
  }
}

/** Sequential awaited calls, each timed with hrtime. */
async function latency(client) {
  const { call, tally } = makeCall(client)
  // At least `warmup` calls and `warmupSeconds` (as the throughput windows have), so that what
  // is measured is the steady state, not V8 compiling the hot path.
  const warmEnd = performance.now() + (opts.warmupSeconds || 0) * 1000
  for (let i = 0; i < opts.warmup || performance.now() < warmEnd; i++) await call()
  const samples = new Float64Array(opts.calls)
  send({ event: 'start' })
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < opts.calls; i++) {
    const s = process.hrtime.bigint()
    await call()
    samples[i] = Number(process.hrtime.bigint() - s) / 1000
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  const cpu = cpuMsSince(cpu0)
  send({ event: 'end' })
  return {
    calls: opts.calls,
    p50_us: percentile(samples, 0.5),
    p99_us: percentile(samples, 0.99),
    max_us: percentile(samples, 1),
    wall_ms: wallMs,
    cpu_ms: cpu,
    cpu_ms_per_10k: (cpu / opts.calls) * 10000,
    ...tally,
  }
}

/**
 * `concurrency` loops each awaiting one call after another: a warm-up, then a window. Only the
 * replies that arrive inside the window count; the CPU is read by the first reply past each edge.
 * The window opens at the first reply past the warm-up and lasts `seconds` from there: a client
 * whose replies come in bursts (grpc-js at 1024 in flight on a busy machine) may send none
 * for longer than a short window lasts.
 */
async function throughput(client) {
  const { call, tally } = makeCall(client)
  const begin = performance.now()
  const windowStart = begin + opts.warmupSeconds * 1000
  let windowEnd = null
  let inWindow = 0
  let cpu0 = null
  let cpuWindow = null
  let t0 = null
  let t1 = null
  let rssAtEnd = null
  async function loop() {
    for (;;) {
      await call()
      const now = performance.now()
      if (now < windowStart) continue
      if (cpu0 === null) {
        send({ event: 'start' })
        cpu0 = process.cpuUsage()
        t0 = now
        windowEnd = now + opts.seconds * 1000
      }
      if (now < windowEnd) {
        inWindow++
        continue
      }
      if (cpuWindow === null) {
        cpuWindow = cpuMsSince(cpu0)
        t1 = now
        send({ event: 'end' })
        rssAtEnd = rssMb()
      }
      return
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, loop))
  const seconds = (t1 - t0) / 1000
  return {
    concurrency: opts.concurrency,
    seconds,
    calls: inWindow,
    calls_per_sec: inWindow / seconds,
    cpu_ms: cpuWindow,
    cpu_pct: (cpuWindow / (seconds * 1000)) * 100,
    cpu_ms_per_10k: (cpuWindow / inWindow) * 10000,
    rss_mb: rssAtEnd,
    ...tally,
  }
}

/**
 * `warmup` + `calls` replies at `concurrency` in flight, with the RSS every `sampleEvery`
 * replies; the growth after warm-up is read from the samples past `warmup`.
 */
async function soak(client) {
  const { call, tally } = makeCall(client)
  const total = (opts.warmup || 0) + opts.calls
  const samples = [memSample(0)]
  let started = 0
  // Replies arrive in batches (every loop resumes after the batch), so a threshold, not `%`.
  let nextSample = opts.sampleEvery
  send({ event: 'start' })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  async function loop() {
    while (started < total) {
      started++
      await call()
      if (tally.calls >= nextSample) {
        samples.push(memSample(tally.calls))
        nextSample += opts.sampleEvery
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, loop))
  const cpu = cpuMsSince(cpu0)
  send({ event: 'end' })
  return {
    calls: tally.calls,
    warmup_calls: opts.warmup || 0,
    concurrency: opts.concurrency,
    seconds: (performance.now() - t0) / 1000,
    cpu_ms: cpu,
    cpu_ms_per_10k: (cpu / tally.calls) * 10000,
    samples,
    rss_after_mb: rssMb(),
    ...tally,
  }
}

/** `count` clients built as a user would, against the live server; then all closed. */
async function construct(MilvusClient) {
  const rss0 = rssMb()
  send({ event: 'start' })
  const t0 = performance.now()
  const clients = []
  for (let i = 0; i < opts.count; i++) clients.push(new MilvusClient({ address: opts.address }))
  const constructMs = performance.now() - t0
  const rssConstructed = rssMb()
  // native and official start their Connect handshake in the constructor; grpc-js connects its
  // channel (no RPC).
  await Promise.all(clients.map((c) => c.connectPromise))
  const readyMs = performance.now() - t0
  const rssReady = rssMb()
  const t1 = performance.now()
  await Promise.all(clients.map((c) => c.closeConnection()))
  send({ event: 'end' })
  return {
    count: opts.count,
    construct_ms: constructMs,
    ready_ms: readyMs,
    close_ms: performance.now() - t1,
    rss_before_mb: rss0,
    rss_growth_constructed_mb: rssConstructed - rss0,
    rss_growth_ready_mb: rssReady - rss0,
  }
}

async function main() {
  const MilvusClient = loadClient()
  let result
  if (scenario === 'construct') {
    result = await construct(MilvusClient)
  } else {
    const client = new MilvusClient({ address: opts.address })
    await checkFirst(client)
    if (scenario === 'latency') result = await latency(client)
    else if (scenario === 'throughput') result = await throughput(client)
    else if (scenario === 'soak') result = await soak(client)
    else throw new Error(`unknown scenario ${scenario}`)
    await client.closeConnection()
  }
  result.max_rss_mb = maxRssMb()
  send({ result })
  if (result.errors) process.exitCode = 1
}

main().catch((e) => {
  send({ error: String((e && e.stack) || e) })
  process.exitCode = 1
})
