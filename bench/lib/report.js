'use strict'
// Medians over runs, the targets of issue 5, and the markdown table.

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

function summarize(samples) {
  const m = picker(samples)
  const node = m('cold', 'node', 'wall_ms')
  const added = (c) => {
    const w = m('cold', c, 'wall_ms')
    return w === null || node === null ? null : w - node
  }
  const v = {
    node_ms: node,
    cold: { native: m('cold', 'native', 'wall_ms'), official: m('cold', 'official', 'wall_ms'), floor: m('cold', 'floor', 'wall_ms') },
    cold_added: { native: added('native'), official: added('official'), floor: null },
    p50: {}, p99: {}, seq_cpu: {}, tput: {}, sim_cpu: {}, client_cpu: {}, others_cpu: {}, cpu128: {}, peak_rss: {}, window_rss: {},
    soak_rss: {}, soak_growth: {}, soak_growth_native_mem: {}, soak_growth_warmup: {}, construct_ms: {}, construct_rss: {}, ready_ms: {}, close_ms: {},
  }
  // Blocking TCP round trips between two processes, no gRPC: under any client on this machine.
  v.tcp = { p50: m('latency', 'tcp', 'p50_us'), p99: m('latency', 'tcp', 'p99_us'), cpu_us: m('latency', 'tcp', (s) => s.cpu_ms_per_10k / 10) }
  // The sequential runs again with the simulator and the client on one CPU.
  v.one_p50 = {}
  v.one_cpu = {}
  v.one_tcp = { p50: m('latency_one_core', 'tcp', 'p50_us'), cpu: m('latency_one_core', 'tcp', 'cpu_ms_per_10k') }
  for (const c of ['native', 'official', 'floor']) {
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

/** Each target: `ok` is true/false, or null when a number is missing. */
function targets(v, constructCount) {
  const le = (a, b) => (a === null || b === null ? null : a <= b)
  const ge = (a, b) => (a === null || b === null ? null : a >= b)
  const r = (a, b) => ratio(a, b)
  return [
    { key: 'cold', what: 'cold start: added ms ≤ 1/30 of official', value: r(v.cold_added.native, v.cold_added.official), ok: le(v.cold_added.native, v.cold_added.official === null ? null : v.cold_added.official / 30), want: '≤ 0.033×' },
    { key: 'p50_official', what: 'sequential p50 ≤ 0.15× official', value: r(v.p50.native, v.p50.official), ok: le(r(v.p50.native, v.p50.official), 0.15), want: '≤ 0.15×',
      note: v.p50.official === null || v.tcp.p50 === null ? null : `0.15× official is ${fmt(v.p50.official * 0.15, 0)} µs; a blocking TCP round trip between two processes takes ${fmt(v.tcp.p50, 0)} µs here` },
    { key: 'p50_floor', what: 'sequential p50 ≤ 1.5× floor', value: r(v.p50.native, v.p50.floor), ok: le(r(v.p50.native, v.p50.floor), 1.5), want: '≤ 1.5×' },
    { key: 'tput_official', what: `throughput at ${HEADLINE} in flight ≥ 10× official`, value: r(v.tput[HEADLINE].native, v.tput[HEADLINE].official), ok: ge(r(v.tput[HEADLINE].native, v.tput[HEADLINE].official), 10), want: '≥ 10×' },
    { key: 'tput_floor', what: `throughput at ${HEADLINE} in flight ≥ 0.7× floor`, value: r(v.tput[HEADLINE].native, v.tput[HEADLINE].floor), ok: ge(r(v.tput[HEADLINE].native, v.tput[HEADLINE].floor), 0.7), want: '≥ 0.7×' },
    { key: 'cpu_seq', what: 'client CPU per call, sequential ≤ 0.1× official', value: r(v.seq_cpu.native, v.seq_cpu.official), ok: le(r(v.seq_cpu.native, v.seq_cpu.official), 0.1), want: '≤ 0.1×',
      note: v.seq_cpu.official === null || v.tcp.cpu_us === null ? null : `0.1× official is ${fmt(v.seq_cpu.official / 100, 1)} µs per call; the client's side of a blocking TCP round trip takes ${fmt(v.tcp.cpu_us, 1)} µs of CPU here` },
    { key: 'cpu_128', what: `client CPU per call, soak (${HEADLINE} in flight) ≤ 0.1× official`, value: r(v.cpu128.native, v.cpu128.official), ok: le(r(v.cpu128.native, v.cpu128.official), 0.1), want: '≤ 0.1×' },
    { key: 'rss', what: 'peak RSS (soak) ≤ 0.35× official', value: r(v.peak_rss.native, v.peak_rss.official), ok: le(r(v.peak_rss.native, v.peak_rss.official), 0.35), want: '≤ 0.35×' },
    { key: 'rss_flat', what: `RSS flat after warm-up (growth ≤ ${FLAT_MB} MB)`, value: v.soak_growth.native, ok: le(v.soak_growth.native, FLAT_MB), want: `≤ ${FLAT_MB} MB`, unit: 'MB' },
    { key: 'construct_ms', what: `${constructCount} clients constructed in ≤ 100 ms`, value: v.construct_ms.native, ok: constructCount === 100 ? le(v.construct_ms.native, 100) : null, want: '≤ 100 ms', unit: 'ms' },
    { key: 'construct_rss', what: `${constructCount} clients: RSS growth ≤ 50 MB`, value: v.construct_rss.native, ok: constructCount === 100 ? le(v.construct_rss.native, 50) : null, want: '≤ 50 MB', unit: 'MB' },
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
  const word = t.ok ? 'PASS' : 'MISS'
  return smoke ? `(${word})` : `**${word}**`
}

/** The main markdown table: one row per measure. */
function table(v, tg, { smoke } = {}) {
  const byKey = Object.fromEntries(tg.map((t) => [t.key, t]))
  const mark = (...keys) =>
    keys
      .map((k) => byKey[k])
      .filter(Boolean)
      .map((t) => `${t.want} ${verdict(t, smoke)}`)
      .join('<br>')
  const rows = []
  const row = (label, o, digits, keys = [], { ratios = true } = {}) =>
    rows.push([
      label,
      fmt(o.native, digits),
      fmt(o.official, digits),
      fmt(o.floor, digits),
      ratios ? fmtRatio(ratio(o.native, o.official)) : '',
      ratios ? fmtRatio(ratio(o.native, o.floor)) : '',
      mark(...keys),
    ])
  rows.push(['`node -e 0` (ms)', fmt(v.node_ms, 1), '', '', '', '', ''])
  row('cold start: spawn → exit (ms)', v.cold, 1, [], { ratios: false })
  row('cold start: added over node (ms)', v.cold_added, 1, ['cold'])
  row('sequential p50 (µs)', v.p50, 0, ['p50_official', 'p50_floor'])
  row('sequential p99 (µs)', v.p99, 0)
  rows.push(['  under it: blocking TCP round trip, two processes, no gRPC: p50 / p99 (µs)', '', '', `${fmt(v.tcp.p50, 0)} / ${fmt(v.tcp.p99, 0)}`, '', '', ''])
  for (const l of LEVELS) row(`throughput, ${l} in flight (calls/s)`, v.tput[l], 0, l === HEADLINE ? ['tput_official', 'tput_floor'] : [])
  for (const l of LEVELS) row(`  client CPU % (one core = 100), ${l} in flight`, v.client_cpu[l], 0, [], { ratios: false })
  for (const l of LEVELS) row(`  server CPU % during it, ${l} in flight`, v.sim_cpu[l], 0, [], { ratios: false })
  for (const l of LEVELS) row(`  other processes' CPU % during it, ${l} in flight`, v.others_cpu[l], 0, [], { ratios: false })
  row('client CPU ms / 10k calls, sequential', v.seq_cpu, 1, ['cpu_seq'])
  rows.push(['  under it: the client side of that TCP round trip (ms / 10k)', '', '', fmt(v.tcp.cpu_us === null ? null : v.tcp.cpu_us * 10, 1), '', '', ''])
  row('sequential p50, client and server on one CPU (µs)', v.one_p50, 0)
  row('client CPU ms / 10k calls, sequential, on one CPU', v.one_cpu, 1)
  rows.push(['  under them: that TCP round trip on one CPU: p50 (µs); client CPU (ms / 10k)', '', '', `${fmt(v.one_tcp.p50, 0)}; ${fmt(v.one_tcp.cpu, 1)}`, '', '', ''])
  row(`client CPU ms / 10k calls, soak (${HEADLINE} in flight)`, v.cpu128, 1, ['cpu_128'])
  row('peak RSS, soak (MB)', v.peak_rss, 1, ['rss'])
  row(`peak RSS, ${HEADLINE}-in-flight window run (MB)`, v.window_rss, 1)
  row('RSS after the soak (MB)', v.soak_rss, 1)
  row('RSS growth during the warm-up, from 10% of it to its end (MB)', v.soak_growth_warmup, 1, [], { ratios: false })
  row('RSS growth after warm-up (MB)', v.soak_growth, 1, ['rss_flat'], { ratios: false })
  row('  of which outside the V8 heap (RSS − heapTotal, MB)', v.soak_growth_native_mem, 1, [], { ratios: false })
  row('N clients: construct (ms)', v.construct_ms, 1, ['construct_ms'])
  row('N clients: RSS growth (MB)', v.construct_rss, 1, ['construct_rss'])
  row('N clients: all handshakes done (ms)', v.ready_ms, 1)
  row('N clients: close all (ms)', v.close_ms, 1)
  const head = ['measure', 'native', 'official', 'floor', 'native/official', 'native/floor', 'target']
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

function targetList(tg, { smoke } = {}) {
  return tg
    .map((t) => {
      const val = t.unit ? `${fmt(t.value, 1)} ${t.unit}` : fmtRatio(t.value)
      return `- ${verdict(t, smoke)} ${t.what}: ${val}${t.note ? ` (${t.note})` : ''}`
    })
    .join('\n')
}

module.exports = { summarize, targets, table, targetList, soakGrowth, LEVELS, HEADLINE, fmt }
