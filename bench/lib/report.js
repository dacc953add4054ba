'use strict'
// Medians over runs (per runtime), the targets of issue 15 (with issue 5's thresholds as
// information), and the markdown tables.

const { median } = require('./stats')

const LEVELS = [1, 16, 128, 1024]
const HEADLINE = 128

/** Median of one metric over the runs of (scenario, client[, concurrency]). */
function picker(samples) {
  return (scenario, client, metric, level) =>
    median(
      samples
        .filter((s) => s.scenario === scenario && s.client === client && (level === undefined || s.concurrency === level))
        .map((s) => (typeof metric === 'function' ? metric(s) : s[metric]))
    )
}

/**
 * RSS growth in a soak run between two samples, or (`outsideHeap`) of the RSS minus V8's
 * heapTotal — memory that V8's own sizing of its heap does not explain (the addon's, libuv's,
 * the allocator's). `phase` 'after' (the target): from the end of the warm-up to the last
 * sample. 'during': from the first sample at >= 10% of the warm-up to its end, where V8 is still
 * growing its young generation. A run without a warm-up of its own (results from before
 * session 4) took the first 10% of its calls as the warm-up.
 */
function soakGrowth(s, outsideHeap = false, phase = 'after') {
  if (!s.samples || s.samples.length < 3) return null
  const warmup = s.warmup_calls || 0
  const early = s.samples.find((x) => x.calls >= (warmup || s.calls) / 10) || s.samples[1]
  const warm = warmup ? s.samples.find((x) => x.calls >= warmup) : early
  const [from, to] = phase === 'during' ? (warmup ? [early, warm] : [null, null]) : [warm, s.samples[s.samples.length - 1]]
  if (!from || !to) return null
  if (!outsideHeap) return to.rss_mb - from.rss_mb
  if (typeof to.heap_total_mb !== 'number') return null
  return to.rss_mb - to.heap_total_mb - (from.rss_mb - from.heap_total_mb)
}

const FLAT_MB = 5

// The JS clients, then the floor (a Rust process: measured once, with the Node runs).
const CLIENTS = ['native', 'grpc-js', 'official', 'floor']
const JS_CLIENTS = ['native', 'grpc-js', 'official']
const RUNTIME_ORDER = ['node', 'bun', 'deno']

/** Samples of runs from before the runtimes were recorded: all Node, `node -e 0` named 'node'. */
function normalize(s) {
  const runtime = s.runtime || 'node'
  const client = s.scenario === 'cold' && s.client === 'node' ? 'bare' : s.client
  return runtime === s.runtime && client === s.client ? s : { ...s, runtime, client }
}

/** `{ node: summary, bun: summary, deno: summary }` for the runtimes that have samples. */
function summarizeAll(samples) {
  const all = samples.map(normalize)
  const names = [...new Set(all.map((s) => s.runtime))]
  names.sort((a, b) => (RUNTIME_ORDER.indexOf(a) + 1 || 99) - (RUNTIME_ORDER.indexOf(b) + 1 || 99))
  return Object.fromEntries(names.map((n) => [n, summarize(all.filter((s) => s.runtime === n))]))
}

/** One runtime's medians. */
function summarize(samples) {
  const m = picker(samples)
  const bare = m('cold', 'bare', 'wall_ms')
  const added = (c) => {
    const w = m('cold', c, 'wall_ms')
    return w === null || bare === null || c === 'floor' ? null : w - bare
  }
  const v = {
    bare_ms: bare,
    cold: {}, cold_added: {},
    p50: {}, p99: {}, seq_cpu: {}, tput: {}, sim_cpu: {}, client_cpu: {}, others_cpu: {}, steal: {}, cpu128: {}, peak_rss: {}, window_rss: {},
    soak_rss: {}, soak_growth: {}, soak_growth_native_mem: {}, soak_growth_warmup: {}, construct_ms: {}, construct_rss: {}, ready_ms: {}, close_ms: {},
    // client → scenario → the first error of a run that failed (the table says 'failed').
    failed: {},
  }
  for (const s of samples.filter((x) => x.error)) {
    const f = (v.failed[s.client] ||= {})
    f[s.scenario] ||= s.error
  }
  // Blocking TCP round trips between two processes, no gRPC: under any client on this machine.
  v.tcp = { p50: m('latency', 'tcp', 'p50_us'), p99: m('latency', 'tcp', 'p99_us'), cpu_us: m('latency', 'tcp', (s) => s.cpu_ms_per_10k / 10) }
  // Round trips between two sleeping threads of one process: two cross-thread wake-ups.
  v.wake = { p50: m('latency', 'tcp', 'wake_p50_us'), p99: m('latency', 'tcp', 'wake_p99_us'), cpu: m('latency', 'tcp', 'wake_cpu_ms_per_10k') }
  // The sequential runs again with the simulator and the client on one CPU.
  v.one_p50 = {}
  v.one_cpu = {}
  v.one_tcp = { p50: m('latency_one_core', 'tcp', 'p50_us'), cpu: m('latency_one_core', 'tcp', 'cpu_ms_per_10k') }
  v.one_wake = { p50: m('latency_one_core', 'tcp', 'wake_p50_us'), cpu: m('latency_one_core', 'tcp', 'wake_cpu_ms_per_10k') }
  for (const c of CLIENTS) {
    v.cold[c] = m('cold', c, 'wall_ms')
    v.cold_added[c] = added(c)
    v.p50[c] = m('latency', c, 'p50_us')
    v.p99[c] = m('latency', c, 'p99_us')
    v.seq_cpu[c] = m('latency', c, 'cpu_ms_per_10k')
    v.one_p50[c] = m('latency_one_core', c, 'p50_us')
    v.one_cpu[c] = m('latency_one_core', c, 'cpu_ms_per_10k')
    for (const l of LEVELS) {
      ;(v.tput[l] ||= {})[c] = m('throughput', c, 'calls_per_sec', l)
      ;(v.sim_cpu[l] ||= {})[c] = m('throughput', c, 'sim_cpu_pct', l)
      ;(v.client_cpu[l] ||= {})[c] = m('throughput', c, 'cpu_pct', l)
      ;(v.others_cpu[l] ||= {})[c] = m('throughput', c, 'others_cpu_pct', l)
      ;(v.steal[l] ||= {})[c] = m('throughput', c, 'steal_pct', l)
    }
    // The soak (100k calls at 128 in flight) for the JS clients; the floor has no soak, so its
    // 128-in-flight throughput run stands in.
    const long = c === 'floor' ? (metric) => m('throughput', c, metric, HEADLINE) : (metric) => m('soak', c, metric)
    v.cpu128[c] = long('cpu_ms_per_10k')
    v.peak_rss[c] = long('max_rss_mb')
    v.window_rss[c] = m('throughput', c, 'max_rss_mb', HEADLINE)
    v.soak_rss[c] = m('soak', c, 'rss_after_mb')
    v.soak_growth[c] = m('soak', c, (x) => soakGrowth(x))
    v.soak_growth_native_mem[c] = m('soak', c, (x) => soakGrowth(x, true))
    v.soak_growth_warmup[c] = m('soak', c, (x) => soakGrowth(x, false, 'during'))
    v.construct_ms[c] = m('construct', c, 'construct_ms')
    v.construct_rss[c] = m('construct', c, (s) => Math.max(s.rss_growth_constructed_mb, s.rss_growth_ready_mb))
    v.ready_ms[c] = m('construct', c, 'ready_ms')
    v.close_ms[c] = m('construct', c, 'close_ms')
  }
  return v
}

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null)

/**
 * Issue 15's targets (`info` unset: PASS/MISS, --strict) and, as information (`info: true`: the
 * ratio and whether it is met, no verdict), issue 5's thresholds that they replaced. `ok` is
 * true/false, or null when a number is missing. `v` is the Node summary.
 */
function targets(v, constructCount) {
  if (!v) v = summarize([])
  const le = (a, b) => (a === null || b === null ? null : a <= b)
  const ge = (a, b) => (a === null || b === null ? null : a >= b)
  const r = (a, b) => ratio(a, b)
  const G = 'grpc-js'
  const T = HEADLINE
  // `what` ends with the client compared with, which the table's target column names too.
  const vs = (what) => what.slice(what.lastIndexOf(' ') + 1)
  const below = (key, what, a, b, max, extra = {}) => ({ key, what, value: r(a, b), ok: le(r(a, b), max), want: `≤ ${max}× ${vs(what)}`, ...extra })
  const above = (key, what, a, b, min, extra = {}) => ({ key, what, value: r(a, b), ok: ge(r(a, b), min), want: `≥ ${min}× ${vs(what)}`, ...extra })
  const info = { info: true }
  return [
    above('tput_grpcjs', `throughput at ${T} in flight ≥ 5× grpc-js`, v.tput[T].native, v.tput[T][G], 5),
    above('tput_official', `throughput at ${T} in flight ≥ 10× official`, v.tput[T].native, v.tput[T].official, 10),
    below('p50_grpcjs', 'sequential p50 ≤ 0.5× grpc-js', v.p50.native, v.p50[G], 0.5, {
      note: v.p50[G] === null || v.p50.floor === null || v.wake.p50 === null ? null : `0.5× grpc-js is ${fmt(v.p50[G] / 2, 0)} µs; the floor (one thread) takes ${fmt(v.p50.floor, 0)} µs and a wake-up round trip between two threads ${fmt(v.wake.p50, 0)} µs here, together ${fmt(v.p50.floor + v.wake.p50, 0)} µs`,
    }),
    below('p99_grpcjs', 'sequential p99 ≤ 0.2× grpc-js', v.p99.native, v.p99[G], 0.2),
    below('cpu_seq_grpcjs', 'client CPU per call, sequential ≤ 0.2× grpc-js', v.seq_cpu.native, v.seq_cpu[G], 0.2, {
      note:
        v.seq_cpu[G] === null || v.tcp.cpu_us === null
          ? null
          : `0.2× grpc-js is ${fmt(v.seq_cpu[G] / 50, 1)} µs per call; the client's side of a blocking TCP round trip takes ${fmt(v.tcp.cpu_us, 1)} µs of CPU here` +
            (v.seq_cpu.floor === null || v.wake.cpu === null ? '' : `, the floor (one thread) ${fmt(v.seq_cpu.floor / 10, 1)} µs, a wake-up round trip between two threads ${fmt(v.wake.cpu / 10, 1)} µs`),
    }),
    below('cpu_128_grpcjs', `client CPU per call, soak (${T} in flight) ≤ 0.2× grpc-js`, v.cpu128.native, v.cpu128[G], 0.2),
    { key: 'cold', what: 'cold start: added ms ≤ 1/30 of official', value: r(v.cold_added.native, v.cold_added.official), ok: le(v.cold_added.native, v.cold_added.official === null ? null : v.cold_added.official / 30), want: '≤ 1/30 official' },
    below('rss', 'peak RSS (soak) ≤ 0.35× official', v.peak_rss.native, v.peak_rss.official, 0.35),
    // Issue 5's, kept as information.
    below('p50_official', 'sequential p50 ≤ 0.15× official', v.p50.native, v.p50.official, 0.15, {
      ...info,
      note: v.p50.official === null || v.tcp.p50 === null ? null : `0.15× official is ${fmt(v.p50.official * 0.15, 0)} µs; a blocking TCP round trip between two processes takes ${fmt(v.tcp.p50, 0)} µs here`,
    }),
    below('p50_floor', 'sequential p50 ≤ 1.5× floor', v.p50.native, v.p50.floor, 1.5, info),
    above('tput_floor', `throughput at ${T} in flight ≥ 0.7× floor`, v.tput[T].native, v.tput[T].floor, 0.7, info),
    below('cpu_seq', 'client CPU per call, sequential ≤ 0.1× official', v.seq_cpu.native, v.seq_cpu.official, 0.1, info),
    below('cpu_128', `client CPU per call, soak (${T} in flight) ≤ 0.1× official`, v.cpu128.native, v.cpu128.official, 0.1, info),
    { key: 'rss_flat', what: `RSS flat after warm-up (growth ≤ ${FLAT_MB} MB)`, value: v.soak_growth.native, ok: le(v.soak_growth.native, FLAT_MB), want: `≤ ${FLAT_MB} MB`, unit: 'MB', ...info },
    { key: 'construct_ms', what: `${constructCount} clients constructed in ≤ 100 ms`, value: v.construct_ms.native, ok: constructCount === 100 ? le(v.construct_ms.native, 100) : null, want: '≤ 100 ms', unit: 'ms', ...info },
    { key: 'construct_rss', what: `${constructCount} clients: RSS growth ≤ 50 MB`, value: v.construct_rss.native, ok: constructCount === 100 ? le(v.construct_rss.native, 50) : null, want: '≤ 50 MB', unit: 'MB', ...info },
  ]
}

function fmt(x, digits) {
  if (x === null || x === undefined) return '—'
  if (digits === undefined) digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function fmtRatio(x) {
  if (x === null || x === undefined) return '—'
  return x >= 10 ? `${x.toFixed(0)}×` : x >= 0.1 ? `${x.toFixed(2)}×` : `${x.toFixed(3)}×`
}

function verdict(t, smoke) {
  if (t.ok === null) return 'n/a'
  if (t.info) return t.ok ? '(info: met)' : '(info: not met)'
  const word = t.ok ? 'PASS' : 'MISS'
  return smoke ? `(${word})` : `**${word}**`
}

/**
 * One runtime's markdown table: one row per measure. Under Node, with the floor, the TCP round
 * trip and the targets; under Bun and Deno, the JS clients only, no targets.
 */
function table(v, tg, { smoke, withFloor = true, bare = 'node -e 0' } = {}) {
  const byKey = Object.fromEntries((tg || []).map((t) => [t.key, t]))
  const mark = (...keys) =>
    keys
      .map((k) => byKey[k])
      .filter(Boolean)
      .map((t) => `${t.want} ${verdict(t, smoke)}`)
      .join('<br>')
  const clients = withFloor ? CLIENTS : JS_CLIENTS
  const versus = withFloor ? ['grpc-js', 'official', 'floor'] : ['grpc-js', 'official']
  const rows = []
  // A missing value of a client whose runs of that scenario failed says so.
  const cell = (o, c, digits, scenario) => (o[c] == null && v.failed[c] && v.failed[c][scenario] ? 'failed' : fmt(o[c], digits))
  const row = (label, scenario, o, digits, keys = [], { ratios = true } = {}) =>
    rows.push([
      label,
      ...clients.map((c) => cell(o, c, digits, scenario)),
      ...versus.map((c) => (ratios ? fmtRatio(ratio(o.native, o[c])) : '')),
      ...(tg ? [mark(...keys)] : []),
    ])
  // A row with text in the floor's column only (the TCP round trip under the Node clients).
  const floorRow = (label, text) => {
    if (withFloor) rows.push([label, ...clients.map((c) => (c === 'floor' ? text : '')), ...versus.map(() => ''), ...(tg ? [''] : [])])
  }
  rows.push([`\`${bare}\` (ms)`, fmt(v.bare_ms, 1), ...clients.slice(1).map(() => ''), ...versus.map(() => ''), ...(tg ? [''] : [])])
  row('cold start: spawn → exit (ms)', 'cold', v.cold, 1, [], { ratios: false })
  row(`cold start: added over \`${bare}\` (ms)`, 'cold', v.cold_added, 1, ['cold'])
  row('sequential p50 (µs)', 'latency', v.p50, 0, ['p50_grpcjs', 'p50_official', 'p50_floor'])
  row('sequential p99 (µs)', 'latency', v.p99, 0, ['p99_grpcjs'])
  floorRow('  under it: blocking TCP round trip, two processes, no gRPC: p50 / p99 (µs)', `${fmt(v.tcp.p50, 0)} / ${fmt(v.tcp.p99, 0)}`)
  floorRow('  under it: wake-up round trip between two threads of one process: p50 / p99 (µs)', `${fmt(v.wake.p50, 0)} / ${fmt(v.wake.p99, 0)}`)
  for (const l of LEVELS) row(`throughput, ${l} in flight (calls/s)`, 'throughput', v.tput[l], 0, l === HEADLINE ? ['tput_grpcjs', 'tput_official', 'tput_floor'] : [])
  for (const l of LEVELS) row(`  client CPU % (one core = 100), ${l} in flight`, 'throughput', v.client_cpu[l], 0, [], { ratios: false })
  for (const l of LEVELS) row(`  server CPU % during it, ${l} in flight`, 'throughput', v.sim_cpu[l], 0, [], { ratios: false })
  for (const l of LEVELS) row(`  other processes' CPU % during it, ${l} in flight`, 'throughput', v.others_cpu[l], 0, [], { ratios: false })
  for (const l of LEVELS) row(`  stolen by the hypervisor, % of a core during it, ${l} in flight`, 'throughput', v.steal[l], 0, [], { ratios: false })
  row('client CPU ms / 10k calls, sequential', 'latency', v.seq_cpu, 1, ['cpu_seq_grpcjs', 'cpu_seq'])
  floorRow('  under it: the client side of that TCP round trip (ms / 10k)', fmt(v.tcp.cpu_us === null ? null : v.tcp.cpu_us * 10, 1))
  floorRow('  under it: that two-thread wake-up round trip, both threads (ms / 10k)', fmt(v.wake.cpu, 1))
  row('sequential p50, client and server on one CPU (µs)', 'latency_one_core', v.one_p50, 0)
  row('client CPU ms / 10k calls, sequential, on one CPU', 'latency_one_core', v.one_cpu, 1)
  floorRow('  under them: that TCP round trip on one CPU: p50 (µs); client CPU (ms / 10k)', `${fmt(v.one_tcp.p50, 0)}; ${fmt(v.one_tcp.cpu, 1)}`)
  floorRow('  under them: the two-thread wake-up round trip on one CPU: p50 (µs); CPU (ms / 10k)', `${fmt(v.one_wake.p50, 0)}; ${fmt(v.one_wake.cpu, 1)}`)
  row(`client CPU ms / 10k calls, soak (${HEADLINE} in flight)`, 'soak', v.cpu128, 1, ['cpu_128_grpcjs', 'cpu_128'])
  row('peak RSS, soak (MB)', 'soak', v.peak_rss, 1, ['rss'])
  row(`peak RSS, ${HEADLINE}-in-flight window run (MB)`, 'throughput', v.window_rss, 1)
  row('RSS after the soak (MB)', 'soak', v.soak_rss, 1)
  row('RSS growth during the warm-up, from 10% of it to its end (MB)', 'soak', v.soak_growth_warmup, 1, [], { ratios: false })
  row('RSS growth after warm-up (MB)', 'soak', v.soak_growth, 1, ['rss_flat'], { ratios: false })
  row('  of which outside the V8 heap (RSS − heapTotal, MB)', 'soak', v.soak_growth_native_mem, 1, [], { ratios: false })
  row('N clients: construct (ms)', 'construct', v.construct_ms, 1, ['construct_ms'])
  row('N clients: RSS growth (MB)', 'construct', v.construct_rss, 1, ['construct_rss'])
  row('N clients: all handshakes done (ms)', 'construct', v.ready_ms, 1)
  row('N clients: close all (ms)', 'construct', v.close_ms, 1)
  const head = ['measure', ...clients, ...versus.map((c) => `native/${c}`), ...(tg ? ['target'] : [])]
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

/** The first error of each client's failed measures, one line per distinct error. */
function failures(v) {
  const lines = []
  for (const [client, byScenario] of Object.entries(v.failed)) {
    const byError = new Map()
    for (const [scenario, error] of Object.entries(byScenario)) {
      const text = String(error).split('\n').slice(0, 3).join(' ').slice(0, 400)
      byError.set(text, [...(byError.get(text) || []), scenario])
    }
    for (const [text, scenarios] of byError) lines.push(`- ${client} (${scenarios.join(', ')}): ${text}`)
  }
  return lines.join('\n')
}

const TITLES = { node: 'Node', bun: 'Bun', deno: 'Deno' }
// What each runtime's "alone" cold start runs (lib/runtimes.js).
const BARE = { node: 'node -e 0', bun: 'bun -e 0', deno: 'deno eval 0' }

/**
 * The Node table with the targets, then one table per other runtime (no targets), or the
 * reason a runtime did not run. `runtimes`: the report's `{ name: { version } | { error } }`.
 */
function tables(byRuntime, tg, { smoke, runtimes = {}, machine = {} } = {}) {
  const out = []
  const names = [...new Set([...Object.keys(byRuntime), ...Object.keys(runtimes)])]
  names.sort((a, b) => (RUNTIME_ORDER.indexOf(a) + 1 || 99) - (RUNTIME_ORDER.indexOf(b) + 1 || 99))
  for (const name of names) {
    const info = runtimes[name] || {}
    const version = info.version || (name === 'node' ? machine.node : '')
    const v = byRuntime[name]
    const parts = []
    if (name !== 'node') parts.push(`### Under ${TITLES[name] || name}${version ? ` ${version}` : ''}: information, no targets\n`)
    if (info.error) parts.push(`Not run: ${info.error}`)
    else if (v) {
      parts.push(table(v, name === 'node' ? tg : null, { smoke, withFloor: name === 'node', bare: BARE[name] || `${name} (nothing)` }))
      const f = failures(v)
      if (f) parts.push(`\n${name === 'node' ? 'Failed' : `Failed under ${TITLES[name] || name}`}:\n\n${f}`)
    }
    if (parts.length) out.push(parts.join('\n'))
  }
  return out.join('\n\n')
}

function targetList(tg, { smoke } = {}) {
  const line = (t) => {
    const val = t.unit ? `${fmt(t.value, 1)} ${t.unit}` : fmtRatio(t.value)
    return `- ${verdict(t, smoke)} ${t.what}: ${val}${t.note ? ` (${t.note})` : ''}`
  }
  const main = tg.filter((t) => !t.info).map(line)
  const info = tg.filter((t) => t.info).map(line)
  return [...main, '', "Information (issue 5's thresholds, no verdict):", '', ...info].join('\n')
}

module.exports = { summarize, summarizeAll, normalize, targets, table, tables, targetList, soakGrowth, LEVELS, HEADLINE, fmt, CLIENTS, JS_CLIENTS }
