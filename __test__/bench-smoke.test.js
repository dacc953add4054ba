'use strict'
// `node bench/run.js --smoke` works end to end: every client, every measure, no failed call
// under Node; under Bun and Deno every client is tried and shown (a failure there is a finding,
// shown in its table). Debug builds by default (BENCH_PROFILE=release to smoke-test the release
// artifacts). No timed assertion: the numbers of a smoke run mean nothing.

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
    assert.match(r.stdout, /\| measure \| native \| grpc-js \| official \| floor \|/)

    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    assert.deepEqual(report.errors.filter((e) => e.runtime === 'node'), [])
    const key = (s) => `${s.runtime}/${s.scenario}/${s.client}${s.concurrency ? `/${s.concurrency}` : ''}`
    const have = new Set(report.samples.map(key))
    const JS = ['native', 'grpc-js', 'official']
    const want = ['cold/bare', 'cold/floor', 'latency/tcp'].map((w) => `node/${w}`)
    if (ONE_CPU_RUNS) want.push('node/latency_one_core/tcp')
    for (const c of [...JS, 'floor']) {
      want.push(`node/latency/${c}`)
      if (ONE_CPU_RUNS) want.push(`node/latency_one_core/${c}`)
      for (const n of [1, 16, 128, 1024]) want.push(`node/throughput/${c}/${n}`)
    }
    // Bun and Deno (their binaries are devDependencies): every measure of native and grpc-js, one
    // throughput level, and the official client's sequential run, in a smoke run.
    for (const rt of ['node', 'bun', 'deno']) {
      assert.ok(report.runtimes[rt] && report.runtimes[rt].version, `${rt} did not run: ${JSON.stringify(report.runtimes[rt])}`)
      if (rt !== 'node') want.push(`${rt}/cold/bare`)
      for (const c of JS) {
        want.push(`${rt}/latency/${c}`)
        if (rt === 'node' || c !== 'official') want.push(`${rt}/cold/${c}`, `${rt}/throughput/${c}/128`, `${rt}/soak/${c}/128`, `${rt}/construct/${c}`)
      }
      // Whatever one client does there, the harness runs under it.
      const ok = report.samples.filter((s) => s.runtime === rt && s.scenario === 'latency' && JS.includes(s.client) && !s.error)
      assert.ok(ok.length > 0, `no JS client measured under ${rt}: ${JSON.stringify(report.errors)}`)
    }
    for (const w of want) assert.ok(have.has(w), `missing ${w}; have ${[...have].join(', ')}`)
    assert.match(r.stdout, /### Under Bun [\d.]+: information, no targets\n\n\| measure \| native \| grpc-js \| official \| native\/grpc-js \|/)
    assert.match(r.stdout, /### Under Deno [\d.]+: information, no targets/)

    // The native client's processes all ended by themselves (under Node).
    for (const s of report.samples.filter((x) => x.runtime === 'node' && x.client === 'native' && 'exited_by_itself' in x)) {
      assert.equal(s.exited_by_itself, true, `${s.scenario}: native child did not exit by itself`)
    }
    // The machine's TCP round trip (two processes, no gRPC) was measured and shown.
    const tcp = report.samples.find((x) => x.client === 'tcp')
    assert.ok(tcp.p50_us > 0 && tcp.p99_us >= tcp.p50_us && tcp.cpu_ms_per_10k > 0, JSON.stringify(tcp))
    assert.match(r.stdout, /blocking TCP round trip, two processes, no gRPC: p50 \/ p99 \(µs\)(\s+\|){4}\s+\d/)
    // The one-CPU runs ran where they can, and are said to be left out where they cannot.
    const leftOut = /one-core sequential runs are left out/
    if (ONE_CPU_RUNS) assert.doesNotMatch(r.stdout + r.stderr, leftOut)
    else assert.match(r.stdout + r.stderr, leftOut)
    // The soak measures its calls after a warm-up of its own, sampled through both.
    for (const s of report.samples.filter((x) => x.scenario === 'soak' && !x.error)) {
      assert.ok(s.warmup_calls > 0 && s.calls === s.warmup_calls * 2, `${s.client}: ${s.calls} calls, ${s.warmup_calls} warm-up`)
      assert.ok(s.samples.some((p) => p.calls >= s.warmup_calls && p.calls < s.calls), `${s.client}: no sample after the warm-up`)
    }
    // Every throughput window counted replies, and split the rest of the machine's CPU into other
    // processes' and the hypervisor's steal.
    for (const s of report.samples.filter((x) => x.scenario === 'throughput' && !x.error)) {
      assert.ok(s.calls > 0, `${s.client} (${s.runtime}) at ${s.concurrency}: no replies in the window`)
      assert.ok(s.others_cpu_pct >= 0 && s.steal_pct >= 0, JSON.stringify(s))
    }
    assert.match(r.stdout, /stolen by the hypervisor, % of a core during it, 128 in flight( \| \d+){4} \|/)
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
})

test('bench --redo-disturbed: a window above the limit is measured again, at most twice, and the run says so', { timeout: 240000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redo-'))
  try {
    // -1: every window is over the limit, so each is measured three times.
    const args = ['--smoke', '--only', 'throughput', '--runtimes', 'node', '--clients', 'native,floor', '--redo-disturbed=-1', '--out', out]
    const r = spawnSync(process.execPath, [path.join(REPO, 'bench', 'run.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, BENCH_PROFILE: process.env.BENCH_PROFILE || 'debug' },
      encoding: 'utf8',
      timeout: 230000,
    })
    assert.equal(r.status, 0, `bench exited ${r.status} ${r.signal}\n${r.stdout}\n${r.stderr}`)
    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    const windows = report.samples.filter((s) => s.scenario === 'throughput')
    assert.equal(windows.length, 8) // 2 clients × 4 levels: each kept once
    for (const s of windows) {
      assert.equal(s.disturbed.length, 2, JSON.stringify(s))
      for (const pct of s.disturbed) assert.ok(pct >= 0)
    }
    assert.equal(r.stderr.match(/measuring again/g).length, 16)
    assert.match(r.stdout, /Measured again because other processes took over -1 % of a core \(--redo-disturbed\): throughput c=1 /)
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
})
