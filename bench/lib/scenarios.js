'use strict'
// The measurements, one child process each. Every function returns `{ client, ...metrics }` or
// `{ client, error }`; the simulator's CPU is read over each child's measured window. The JS
// clients run under `ctx.runtime` (lib/runtimes.js: Node, Bun or Deno).

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { runChild } = require('./spawn')
const { runFloor } = require('./floor')
const { cpuMs, machineCpuMs } = require('./procfs')

const CHILD = path.join(__dirname, '..', 'child.cjs')
const COLD = path.join(__dirname, '..', 'cold.cjs')
const jsEnv = (client, ctx) => ({ ...ctx.runtime.env, ...(client === 'native' ? ctx.art.nativeEnv : {}) })

/**
 * Reads the simulator's CPU, and the whole machine's, between the child's start and end markers:
 * what is left after the server and the client is other engineers' work on this shared machine.
 */
function simWindow(simPid) {
  const w = { cpu0: null, machine0: null, t0: null, cpu1: null, machine1: null, t1: null }
  const close = () => {
    w.cpu1 = cpuMs(simPid)
    w.machine1 = machineCpuMs()
    w.t1 = performance.now()
  }
  return {
    onEvent(e) {
      if (e.event === 'start' || e.event === 'spawned') {
        w.cpu0 = cpuMs(simPid)
        w.machine0 = machineCpuMs()
        w.t0 = performance.now()
      } else if (e.event === 'end') {
        close()
      }
    },
    /**
     * Server CPU, other processes' CPU and the hypervisor's steal, in percent of one core.
     * `clientCpuMs` is the client's CPU over the window; `seconds` overrides the wall time (the
     * floor's own window).
     */
    usage(clientCpuMs, seconds) {
      if (w.cpu1 === null) close()
      const wall = w.t1 - w.t0
      const sim = w.cpu1 - w.cpu0
      const out = { sim_cpu_pct: (sim / (seconds ? seconds * 1000 : wall)) * 100 }
      if (typeof clientCpuMs === 'number' && w.machine0 !== null && w.machine1 !== null) {
        out.others_cpu_pct = Math.max(0, ((w.machine1.run - w.machine0.run - sim - clientCpuMs) / wall) * 100)
        out.steal_pct = ((w.machine1.steal - w.machine0.steal) / wall) * 100
      }
      return out
    },
  }
}

function childError(r) {
  if (r.error) return r.error
  const res = r.result
  if (res.errors) return `${res.errors} failed calls; first: ${res.firstError}`
  if (res.statusErrors || res.status_errors) return `${res.statusErrors || res.status_errors} replies with an error status`
  return null
}

/** How to start a client: as it is, or (`ctx.oneCore`) through taskset on the simulator's core. */
function command(ctx, cmd, args) {
  return ctx.oneCore ? ['taskset', ['-c', String(ctx.oneCore.cpu), cmd, ...args]] : [cmd, args]
}

/**
 * Runs `fn(ctx)` with the simulator (all its threads) on one CPU and `ctx.oneCore` set, so that
 * the clients started meanwhile share that CPU; then gives the simulator its CPUs back. Without
 * taskset, or on a one-CPU machine, returns false and runs nothing.
 */
async function onOneCore(ctx, fn) {
  const pid = String(ctx.sim.pid)
  const maskOf = () => /:\s*([0-9a-f]+)\s*$/.exec(execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }))[1]
  let mask
  try {
    if (os.cpus().length < 2) return false
    mask = maskOf()
    execFileSync('taskset', ['-a', '-p', '-c', '0', pid], { stdio: 'ignore' })
  } catch {
    return false
  }
  try {
    await fn({ ...ctx, oneCore: { cpu: 0 } })
  } finally {
    execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' })
  }
  // Every later measure counts on the simulator having all its CPUs again.
  if (maskOf() !== mask) throw new Error(`the simulator's CPU mask is ${maskOf()}, not ${mask} again`)
  return true
}

async function jsChild(ctx, client, scenario, opts, timeoutMs) {
  const win = simWindow(ctx.sim.pid)
  const args = ctx.runtime.script(CHILD, [client, scenario, JSON.stringify({ address: ctx.sim.address, jobId: ctx.sim.jobId, ...opts })])
  const r = await runChild(...command(ctx, ctx.runtime.bin, args), {
    env: jsEnv(client, ctx),
    timeoutMs,
    onEvent: (e) => e.event !== 'spawned' && win.onEvent(e),
  })
  const error = childError(r)
  if (error) return { client, error }
  return { client, ...r.result, ...win.usage(r.result.cpu_ms), exited_by_itself: !r.killedBy }
}

// The same RPC as the Node clients: their headers (dbname, identifier, the per-call
// client-request-unixmsec) and a deadline (grpc-timeout) with every call.
function floorArgs(ctx, extra) {
  return ['--address', ctx.sim.address, '--job-id', ctx.sim.jobId, '--official-headers', ...extra]
}

// --- cold start ----------------------------------------------------------------------------

/** The runtime alone: `node -e 0`, `bun -e 0`, `deno eval 0`. */
async function coldBare(ctx) {
  const { bin, bare, env } = ctx.runtime
  const r = await runChild(bin, bare, { env, timeoutMs: 30000, expectResult: false })
  return r.error ? { client: 'bare', error: r.error } : { client: 'bare', wall_ms: r.wallMs }
}

async function coldJs(ctx, client) {
  const outFile = path.join(os.tmpdir(), `milvus-native-bench-cold-${client}-${process.pid}.json`)
  fs.rmSync(outFile, { force: true })
  const r = await runChild(ctx.runtime.bin, ctx.runtime.script(COLD, [client, ctx.sim.address, ctx.sim.jobId, outFile]), {
    env: jsEnv(client, ctx),
    timeoutMs: 60000,
    exitGraceMs: client === 'official-noclose' ? 5000 : 10000,
    expectResult: false,
  })
  if (client === 'official-noclose') {
    // Only asks whether the process ends by itself without closeConnection().
    return { client, exited_by_itself: !r.killedBy, wall_ms: r.killedBy ? null : r.wallMs, error: r.killedBy ? null : r.error }
  }
  if (r.error) return { client, error: r.error }
  if (!fs.existsSync(outFile)) return { client, error: `cold.cjs wrote no result: ${r.stderr.trim().slice(-2000)}` }
  const phases = JSON.parse(fs.readFileSync(outFile, 'utf8'))
  fs.rmSync(outFile, { force: true })
  return { client, wall_ms: r.wallMs, phases_ms: phases }
}

async function coldFloor(ctx) {
  const t0 = performance.now()
  const r = await runChild(ctx.art.load, floorArgs(ctx, ['--sequential-calls', '1']), { timeoutMs: 30000, expectResult: false })
  const wall = performance.now() - t0
  return r.error ? { client: 'floor', error: r.error } : { client: 'floor', wall_ms: wall }
}

// --- sequential latency ----------------------------------------------------------------------

async function latencyJs(ctx, client) {
  const { warmup, warmupSeconds, calls } = ctx.cfg.latency
  return jsChild(ctx, client, 'latency', { warmup, warmupSeconds, calls }, 120000 + calls * 20)
}

/** The floor's CPU per call: a run of N calls minus a run of one (start-up, connect, warm-up). */
async function latencyFloor(ctx) {
  const calls = ctx.cfg.latency.floorCalls
  const base = await runFloor(...command(ctx, ctx.art.load, floorArgs(ctx, ['--sequential-calls', '1'])), { timeoutMs: 30000 })
  if (base.error) return { client: 'floor', error: base.error }
  const win = simWindow(ctx.sim.pid)
  const r = await runFloor(...command(ctx, ctx.art.load, floorArgs(ctx, ['--sequential-calls', String(calls)])), {
    timeoutMs: 60000 + calls * 5,
    onEvent: win.onEvent,
  })
  if (r.error) return { client: 'floor', error: r.error }
  const cpu = r.result.cpu_ms - base.result.cpu_ms
  return {
    client: 'floor',
    calls,
    p50_us: r.result.p50_us,
    p99_us: r.result.p99_us,
    max_us: r.result.max_us,
    cpu_ms: cpu,
    cpu_ms_per_10k: (cpu / (calls - 1)) * 10000,
    max_rss_mb: r.result.max_rss_mb,
    ...win.usage(undefined, r.result.seconds),
  }
}

/**
 * What lies under every client here: blocking round trips of a small message between two
 * processes over loopback TCP, no gRPC (milvus-sim-load --tcp-round-trips); and round trips
 * between two sleeping threads of one process (--thread-round-trips), the two wake-ups that a
 * client with an I/O thread beside its JS thread adds to each sequential call.
 */
async function latencyTcp(ctx) {
  const calls = ctx.cfg.latency.floorCalls
  const r = await runFloor(...command(ctx, ctx.art.load, ['--tcp-round-trips', String(calls)]), { timeoutMs: 60000 + calls * 5 })
  if (r.error) return { client: 'tcp', error: r.error }
  const w = await runFloor(...command(ctx, ctx.art.load, ['--thread-round-trips', String(calls)]), { timeoutMs: 60000 + calls * 5 })
  if (w.error) return { client: 'tcp', error: w.error }
  const { p50_us, p99_us, cpu_us_per_call, message_bytes } = r.result
  return {
    client: 'tcp',
    calls,
    message_bytes,
    p50_us,
    p99_us,
    cpu_ms_per_10k: cpu_us_per_call * 10,
    wake_p50_us: w.result.p50_us,
    wake_p99_us: w.result.p99_us,
    wake_cpu_ms_per_10k: w.result.cpu_us_per_call * 10,
  }
}

// --- throughput --------------------------------------------------------------------------------

async function throughputJs(ctx, client, concurrency) {
  const { warmupSeconds, seconds } = ctx.cfg.throughput
  return jsChild(ctx, client, 'throughput', { concurrency, warmupSeconds, seconds }, 120000 + (warmupSeconds + seconds) * 3000)
}

async function throughputFloor(ctx, concurrency) {
  const { seconds } = ctx.cfg.throughput
  const win = simWindow(ctx.sim.pid)
  const r = await runFloor(ctx.art.load, floorArgs(ctx, ['--concurrency', String(concurrency), '--seconds', String(seconds)]), {
    timeoutMs: 60000 + seconds * 3000,
    onEvent: win.onEvent,
  })
  if (r.error) return { client: 'floor', error: r.error }
  const res = r.result
  return {
    client: 'floor',
    concurrency,
    seconds: res.seconds,
    calls: res.calls,
    calls_per_sec: res.calls / res.seconds,
    p50_us: res.p50_us,
    p99_us: res.p99_us,
    cpu_ms: res.cpu_ms,
    cpu_pct: (res.cpu_ms / (res.seconds * 1000)) * 100,
    cpu_ms_per_10k: (res.cpu_ms / res.calls) * 10000,
    max_rss_mb: res.max_rss_mb,
    ...win.usage(res.cpu_ms, res.seconds),
  }
}

// --- RSS over many calls; many clients ---------------------------------------------------------

async function soakJs(ctx, client) {
  const { warmup, calls, concurrency, sampleEvery } = ctx.cfg.soak
  return jsChild(ctx, client, 'soak', { warmup, calls, concurrency, sampleEvery }, 120000 + (warmup + calls) * 3)
}

async function constructJs(ctx, client) {
  const { count } = ctx.cfg.construct
  return jsChild(ctx, client, 'construct', { count }, 120000 + count * 2000)
}

module.exports = {
  onOneCore,
  coldBare,
  coldJs,
  coldFloor,
  latencyJs,
  latencyFloor,
  latencyTcp,
  throughputJs,
  throughputFloor,
  soakJs,
  constructJs,
}
