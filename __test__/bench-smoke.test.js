'use strict'
// `node bench/run.js --smoke` works end to end: every client, every measure, no failed call.
// Debug builds by default (BENCH_PROFILE=release to smoke-test the release artifacts). No timed
// assertion: the numbers of a smoke run mean nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..')
// The one-CPU runs need taskset and a second CPU to move the simulator off; elsewhere the bench
// says it leaves them out.
const ONE_CPU_RUNS = os.cpus().length >= 2 && spawnSync('taskset', ['-p', String(process.pid)]).status === 0

test('bench --smoke runs every client through every measure', { timeout: 240000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'))
  try {
    const r = spawnSync(process.execPath, [path.join(REPO, 'bench', 'run.js'), '--smoke', '--out', out], {
      cwd: REPO,
      env: { ...process.env, BENCH_PROFILE: process.env.BENCH_PROFILE || 'debug' },
      encoding: 'utf8',
      timeout: 230000,
    })
    assert.equal(r.status, 0, `bench exited ${r.status} ${r.signal}\n${r.stdout}\n${r.stderr}`)
    assert.match(r.stdout, /\| measure \| native \| official \| floor \|/)

    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    assert.deepEqual(report.errors, [])
    const have = new Set(report.samples.map((s) => `${s.scenario}/${s.client}${s.concurrency ? `/${s.concurrency}` : ''}`))
    const want = ['cold/node', 'cold/native', 'cold/official', 'cold/floor', 'latency/tcp']
    if (ONE_CPU_RUNS) want.push('latency_one_core/tcp')
    for (const c of ['native', 'official', 'floor']) {
      want.push(`latency/${c}`)
      if (ONE_CPU_RUNS) want.push(`latency_one_core/${c}`)
      for (const n of [1, 16, 128, 1024]) want.push(`throughput/${c}/${n}`)
    }
    for (const c of ['native', 'official']) want.push(`soak/${c}/128`, `construct/${c}`)
    for (const w of want) assert.ok(have.has(w), `missing ${w}; have ${[...have].join(', ')}`)

    // The native client's processes all ended by themselves.
    for (const s of report.samples.filter((x) => x.client === 'native' && 'exited_by_itself' in x)) {
      assert.equal(s.exited_by_itself, true, `${s.scenario}: native child did not exit by itself`)
    }
    // The machine's TCP round trip (two processes, no gRPC) was measured and shown.
    const tcp = report.samples.find((x) => x.client === 'tcp')
    assert.ok(tcp.p50_us > 0 && tcp.p99_us >= tcp.p50_us && tcp.cpu_ms_per_10k > 0, JSON.stringify(tcp))
    assert.match(r.stdout, /blocking TCP round trip, two processes, no gRPC: p50 \/ p99 \(µs\)(\s+\|){3}\s+\d/)
    // The one-CPU runs ran where they can, and are said to be left out where they cannot.
    const leftOut = /one-core sequential runs are left out/
    if (ONE_CPU_RUNS) assert.doesNotMatch(r.stdout + r.stderr, leftOut)
    else assert.match(r.stdout + r.stderr, leftOut)
    // The soak measures its calls after a warm-up of its own, sampled through both.
    for (const s of report.samples.filter((x) => x.scenario === 'soak')) {
      assert.ok(s.warmup_calls > 0 && s.calls === s.warmup_calls * 2, `${s.client}: ${s.calls} calls, ${s.warmup_calls} warm-up`)
      assert.ok(s.samples.some((p) => p.calls >= s.warmup_calls && p.calls < s.calls), `${s.client}: no sample after the warm-up`)
    }
    // Every throughput window counted replies.
    for (const s of report.samples.filter((x) => x.scenario === 'throughput')) {
      assert.ok(s.calls > 0, `${s.client} at ${s.concurrency}: no replies in the window`)
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
})
