#!/usr/bin/env node
'use strict'
// `npm run bench`: milvus-native vs plain @grpc/grpc-js vs @zilliz/milvus2-sdk-node vs the raw
// tonic floor (milvus-sim-load), each client in its own process, against one milvus-sim; the JS
// clients under Node (the targets), then Bun and Deno (information). See bench/README.md.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')

const { resolveArtifacts } = require('./lib/artifacts')
const { startSim } = require('./lib/sim')
const { machine, machineBusyMs, threadCount } = require('./lib/procfs')
const S = require('./lib/scenarios')
const { summarizeAll, targets, tables, targetList, LEVELS, HEADLINE } = require('./lib/report')
const { resolveRuntime, NAMES: RUNTIME_NAMES } = require('./lib/runtimes')
const { median } = require('./lib/stats')
const { writeResults } = require('./lib/results')

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'write-results': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(__dirname, 'out') },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'string', default: process.env.BENCH_PROFILE || 'release' },
    'sim-threads': { type: 'string' },
    only: { type: 'string' },
    clients: { type: 'string' },
    runtimes: { type: 'string' },
    strict: { type: 'boolean', default: false },
    nice: { type: 'string' },
    report: { type: 'string' },
    'wait-idle': { type: 'string' },
    'redo-disturbed': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

if (argv.help) {
  console.log(`node bench/run.js [--quick] [--smoke] [--runs N] [--write-results] [--out DIR]
  [--no-build] [--profile release|debug] [--sim-threads N] [--only cold,latency,throughput,soak,construct]
  [--clients bare,native,grpc-js,official,official-noclose,floor,tcp] [--runtimes node,bun,deno]
  [--strict] [--nice=N] [--wait-idle SECONDS] [--redo-disturbed PERCENT]
  [--report bench/out/X.json]  (render a saved run again, with --write-results to regenerate RESULTS.md)
env: BENCH_QUICK=1 (= --quick), BENCH_PROFILE=debug (= --profile debug)`)
  process.exit(0)
}

// --quick: seconds-long, one run, tiny counts (numbers only indicative); --smoke: no targets
// asserted, and tinier still, since `npm test` runs it with debug builds.
const quick = argv.quick || argv.smoke
const tiny = argv.smoke
const cfg = {
  runs: Number(argv.runs || (quick ? 1 : 3)),
  coldRepeats: quick ? 1 : 3,
  // Each cold start after an unmeasured one (see the cold loop); not in a smoke run, to keep it short.
  coldWarmup: !tiny,
  // The floor's sequential run is longer: its CPU per call is that run minus a one-call run, and
  // 2,000 calls of ~15 µs CPU are too few to stand out from its start-up's noise.
  latency: tiny
    ? { warmup: 10, warmupSeconds: 0, calls: 100, floorCalls: 500 }
    : quick
      ? { warmup: 20, warmupSeconds: 0.2, calls: 200, floorCalls: 2000 }
      : { warmup: 200, warmupSeconds: 1, calls: 2000, floorCalls: 20000 },
  throughput: tiny ? { warmupSeconds: 0.1, seconds: 0.3 } : quick ? { warmupSeconds: 0.2, seconds: 0.5 } : { warmupSeconds: 1, seconds: 5 },
  // `calls` measured after `warmup` calls of the same process (RESULTS.md, Findings A5).
  soak: tiny
    ? { warmup: 1000, calls: 1000, concurrency: 128, sampleEvery: 250 }
    : quick
      ? { warmup: 5000, calls: 5000, concurrency: 128, sampleEvery: 1000 }
      : { warmup: 100000, calls: 100000, concurrency: 128, sampleEvery: 10000 },
  construct: { count: tiny ? 3 : quick ? 10 : 100 },
  // Under Bun and Deno: which throughput levels, whether the one-CPU sequential runs too, and
  // (null: all) the measures of the official client, whose processes take the longest to start.
  // The smoke run keeps one level, no one-CPU pass and one official measure there, to stay short
  // in `npm test`.
  elsewhere: tiny ? { levels: [HEADLINE], oneCore: false, official: ['latency'] } : { levels: LEVELS, oneCore: true, official: null },
}
const ONLY = new Set((argv.only || 'cold,latency,throughput,soak,construct').split(','))
// `node` is the old name of `bare` (the runtime alone), from before Bun and Deno ran too.
const CLIENTS = new Set((argv.clients || 'bare,native,grpc-js,official,official-noclose,floor,tcp').split(',').map((c) => (c === 'node' ? 'bare' : c)))
// Node first: its rows carry the targets; Bun's and Deno's are information.
const RUNTIMES = (argv.runtimes || RUNTIME_NAMES.join(',')).split(',')
const JS = ['native', 'grpc-js', 'official']
const log = (s) => process.stderr.write(`[bench] ${s}\n`)

function fmtSample(s) {
  if (s.error) return `ERROR ${s.error}`
  const keys = ['wall_ms', 'p50_us', 'p99_us', 'calls_per_sec', 'cpu_ms_per_10k', 'sim_cpu_pct', 'others_cpu_pct', 'steal_pct', 'max_rss_mb', 'rss_after_mb', 'construct_ms', 'ready_ms']
  return keys
    .filter((k) => typeof s[k] === 'number')
    .map((k) => `${k}=${Math.round(s[k] * 10) / 10}`)
    .join(' ')
}

// --redo-disturbed PERCENT: a window in which other processes took more than PERCENT of a core
// is measured again (after --wait-idle's wait, if given), at most REDO_LIMIT times; the last
// measurement is kept, with the others' CPU of the ones set aside (`disturbed`).
const REDO_LIMIT = 2
const redoAbove = argv['redo-disturbed'] === undefined ? null : Number(argv['redo-disturbed'])
const redone = []

/** Runs each client in turn, rotating the order per run so none always goes first. */
async function measure(samples, run, scenario, jobs, extra = {}, rotate = run) {
  jobs = jobs.filter(([client]) => CLIENTS.has(client))
  const order = jobs.map((_, i) => jobs[(i + rotate) % jobs.length])
  for (const [client, fn] of order) {
    const level = extra.concurrency ? ` c=${extra.concurrency}` : ''
    const rt = extra.runtime && extra.runtime !== 'node' ? ` (${extra.runtime})` : ''
    const disturbed = []
    for (;;) {
      const s = { run, scenario, ...extra, ...(await fn()) }
      s.client = s.client || client
      log(`run ${run + 1} ${scenario}${level} ${s.client}${rt}: ${fmtSample(s)}`)
      await sleep(100)
      const others = s.others_cpu_pct
      if (redoAbove !== null && typeof others === 'number' && others > redoAbove && disturbed.length < REDO_LIMIT) {
        disturbed.push(Math.round(others))
        log(`  other processes took ${Math.round(others)} % of a core: measuring again`)
        if (argv['wait-idle']) await waitIdle(Number(argv['wait-idle']))
        continue
      }
      if (disturbed.length) {
        s.disturbed = disturbed
        redone.push(`${scenario}${level} ${s.client}${rt} (run ${run + 1}; others ${disturbed.join(', ')} %)`)
      }
      samples.push(s)
      break
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * On a machine shared with other engineers' builds: waits (at most `maxSeconds`) until the
 * machine has been nearly idle for 3 s in a row. Returns the seconds waited, or null on a timeout.
 */
async function waitIdle(maxSeconds) {
  const limit = 25 // % of one core, of all the machine's cores together
  const t0 = Date.now()
  let quiet = 0
  let busy0 = machineBusyMs()
  while (Date.now() - t0 < maxSeconds * 1000) {
    await sleep(1000)
    const busy1 = machineBusyMs()
    quiet = (busy1 - busy0) / 10 < limit ? quiet + 1 : 0
    busy0 = busy1
    if (quiet >= 3) return (Date.now() - t0) / 1000
  }
  return null
}

async function main() {
  const started = new Date()
  const host = machine()
  fs.mkdirSync(argv.out, { recursive: true })
  const profile = argv.profile === 'debug' ? 'debug' : 'release'
  const art = resolveArtifacts({ profile, build: !argv['no-build'], outDir: argv.out, log })
  if (argv.nice !== undefined) {
    // After the builds: the simulator and every client inherit it, so all three clients get the
    // same share against other work on the machine.
    os.setPriority(Number(argv.nice))
    log(`niceness ${os.getPriority()} for the simulator and all clients`)
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-bench-'))
  const sim = await startSim(art.sim, workDir, { threads: argv['sim-threads'] && Number(argv['sim-threads']) })
  const simThreads = threadCount(sim.pid)
  log(`milvus-sim (${profile}, ${simThreads} OS threads) pid ${sim.pid} on ${sim.address}; ${cfg.runs} run(s)${quick ? ', quick' : ''}`)
  // Each runtime's context; one that cannot start here is reported, and its runs left out.
  const runtimes = {}
  const contexts = []
  for (const name of RUNTIMES) {
    const rt = resolveRuntime(name)
    runtimes[name] = rt.error ? { error: rt.error } : { bin: rt.bin, version: rt.version }
    if (rt.error) log(`${name}: left out: ${rt.error}`)
    else contexts.push({ art, sim, cfg, runtime: rt })
  }
  log(`runtimes: ${contexts.map((c) => `${c.runtime.name} ${c.runtime.version}`).join(', ')}`)
  const samples = []
  const notes = []
  const waits = []
  // The JS clients under one runtime, plus (under Node only) the runtime-free rows.
  const jsJobs = (ctx, fn, nodeOnly = [], scenario) => {
    const node = ctx.runtime.name === 'node'
    const { official } = cfg.elsewhere
    const clients = node || !official || official.includes(scenario) ? JS : JS.filter((c) => c !== 'official')
    return [...clients.map((c) => [c, () => fn(ctx, c)]), ...(node ? nodeOnly : [])]
  }
  try {
    for (let run = 0; run < cfg.runs; run++) {
      if (argv['wait-idle']) {
        const waited = await waitIdle(Number(argv['wait-idle']))
        log(waited === null ? `run ${run + 1}: the machine did not go idle; measuring anyway` : `run ${run + 1}: idle after ${waited} s`)
        waits.push(waited === null ? 'none came' : `${Math.round(waited)} s`)
      }
      for (const ctx of ONLY.has('cold') ? contexts : []) {
        for (let i = 0; i < cfg.coldRepeats; i++) {
          // Each start right after the same start, unmeasured: this machine pages out file pages
          // left idle for seconds (DAMON pageout), and Bun and Deno cache code on disk on a first
          // run; a cold start here is a new process with its files in the page cache, as
          // `node -e 0` always has them. (official-noclose only asks whether the process exits.)
          const warm = cfg.coldWarmup !== false
          const warmed = ([client, fn]) => [client, !warm || client === 'official-noclose' ? fn : async () => (await fn(), fn())]
          const jobs = [
            ['bare', () => S.coldBare(ctx)],
            ...jsJobs(ctx, S.coldJs, [
              ['official-noclose', () => S.coldJs(ctx, 'official-noclose')],
              ['floor', () => S.coldFloor(ctx)],
            ], 'cold'),
          ].map(warmed)
          await measure(samples, run, 'cold', jobs, { runtime: ctx.runtime.name }, run * cfg.coldRepeats + i)
        }
      }
      if (ONLY.has('latency') && contexts.length) {
        const latencyJobs = (ctx) => jsJobs(ctx, S.latencyJs, [
          ['floor', () => S.latencyFloor(ctx)],
          ['tcp', () => S.latencyTcp(ctx)],
        ], 'latency')
        for (const ctx of contexts) await measure(samples, run, 'latency', latencyJobs(ctx), { runtime: ctx.runtime.name })
        // The same with every process on one CPU: no wake-up crosses CPUs (RESULTS.md, Findings).
        const pinned = await S.onOneCore(contexts[0], async ({ oneCore }) => {
          for (const ctx of contexts) {
            if (ctx.runtime.name !== 'node' && !cfg.elsewhere.oneCore) continue
            await measure(samples, run, 'latency_one_core', latencyJobs({ ...ctx, oneCore }), { runtime: ctx.runtime.name })
          }
        })
        if (!pinned) log('no taskset or one CPU: the one-core sequential runs are left out')
      }
      if (ONLY.has('throughput')) {
        for (const ctx of contexts) {
          for (const c of ctx.runtime.name === 'node' ? LEVELS : cfg.elsewhere.levels) {
            const jobs = jsJobs(ctx, (x, client) => S.throughputJs(x, client, c), [['floor', () => S.throughputFloor(ctx, c)]], 'throughput')
            await measure(samples, run, 'throughput', jobs, { runtime: ctx.runtime.name, concurrency: c })
          }
        }
      }
      for (const scenario of ['soak', 'construct']) {
        if (!ONLY.has(scenario)) continue
        const fn = scenario === 'soak' ? S.soakJs : S.constructJs
        for (const ctx of contexts) await measure(samples, run, scenario, jsJobs(ctx, fn, [], scenario), { runtime: ctx.runtime.name })
      }
    }
  } finally {
    if (!sim.alive()) log(`milvus-sim died: ${sim.stderr().trim()}`)
    await sim.stop()
    fs.rmSync(workDir, { recursive: true, force: true })
  }

  if (waits.length) notes.push(`Each run waited for 3 s of a nearly idle machine (--wait-idle): ${waits.join(', ')}.`)
  if (redoAbove !== null) {
    notes.push(
      redone.length
        ? `Measured again because other processes took over ${redoAbove} % of a core (--redo-disturbed): ${redone.join('; ')}.`
        : `No window had other processes above ${redoAbove} % of a core (--redo-disturbed).`
    )
  }
  const noclose = samples.filter((s) => s.client === 'official-noclose' && s.runtime === 'node')
  if (noclose.length) {
    const exits = noclose.filter((s) => s.exited_by_itself).length
    notes.push(
      exits === noclose.length
        ? 'The official client also lets the process exit by itself without `closeConnection()` ' +
            `(then ${Math.round(median(noclose.map((s) => s.wall_ms)))} ms spawn → exit); the table measures it with ` +
            '`await client.closeConnection()`, as a script that owns its client ends it.'
        : `Without \`closeConnection()\` the official client kept the process alive in ${noclose.length - exits} of ` +
            `${noclose.length} runs (killed after 5 s); the table measures it with \`await client.closeConnection()\`.`
    )
  }
  const errors = samples.filter((s) => s.error)
  const report = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    mode: {
      quick,
      smoke: argv.smoke,
      profile,
      runs: cfg.runs,
      cfg,
      sim_threads: argv['sim-threads'] ? `--threads ${argv['sim-threads']}` : "milvus-sim's default",
      sim_os_threads: simThreads,
      niceness: os.getPriority(),
    },
    machine: { ...host, loadavg_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    artifacts: { addon: art.addon, sim: art.sim, load: art.load, built: art.built },
    runtimes,
    notes,
    errors: errors.map((e) => ({ runtime: e.runtime, scenario: e.scenario, client: e.client, concurrency: e.concurrency, error: e.error })),
    samples,
  }
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  const jsonPath = path.join(argv.out, `bench-${stamp}.json`)
  output(report, jsonPath)
}

/** Medians, targets, the tables; the JSON (unless re-rendering one) and RESULTS.md. */
function output(report, jsonPath) {
  const { mode } = report
  const byRuntime = summarizeAll(report.samples)
  const tg = targets(byRuntime.node, mode.cfg.construct.count)
  report.summary = byRuntime
  report.targets = tg
  if (jsonPath) {
    fs.writeFileSync(jsonPath, JSON.stringify(report, null, 2))
    fs.writeFileSync(path.join(argv.out, 'latest.json'), JSON.stringify(report, null, 2))
  }
  const md = tables(byRuntime, tg, { smoke: mode.smoke, runtimes: report.runtimes, machine: report.machine })
  const title = `${mode.profile}${mode.quick ? ', quick' : ''}; medians of ${mode.runs} run(s)`
  const list = targetList(tg, { smoke: mode.smoke })
  console.log(`\n## milvus-native vs grpc-js vs official SDK vs tonic floor (${title})\n`)
  console.log(md)
  console.log(`\n### Targets (issue 15)${mode.smoke ? ' (smoke: not asserted)' : ''}\n`)
  console.log(list)
  for (const n of report.notes) console.log(`\n${n}`)
  if (jsonPath) console.log(`\nJSON: ${path.relative(process.cwd(), jsonPath)}`)
  if (argv['write-results']) {
    const file = writeResults(path.join(__dirname, 'RESULTS.md'), report, md, targetList(tg))
    console.log(`Results: ${path.relative(process.cwd(), file)}`)
  }
  // Under Bun and Deno a client that cannot run is a finding, shown in their tables; under Node
  // (runs from before the runtimes were recorded included) it fails the bench.
  const failing = report.errors.filter((e) => (e.runtime || 'node') === 'node')
  const elsewhere = report.errors.length - failing.length
  if (elsewhere) console.error(`\n${elsewhere} measurement(s) under Bun/Deno failed (shown in their tables; not a failure of the bench)`)
  if (failing.length) {
    console.error(`\n${failing.length} measurement(s) failed:`)
    for (const e of failing) console.error(`- ${e.scenario} ${e.client}: ${e.error}`)
    process.exitCode = 1
  } else if (argv.strict && !mode.smoke && tg.some((t) => t.ok === false)) {
    process.exitCode = 2
  }
}

// --report FILE: render an earlier run's JSON again (e.g. after a change to the table or
// RESULTS.md) without measuring.
const run = argv.report ? async () => output(JSON.parse(fs.readFileSync(argv.report, 'utf8'))) : main
run().catch((e) => {
  console.error(e && e.stack ? e.stack : e)
  process.exitCode = 1
})
