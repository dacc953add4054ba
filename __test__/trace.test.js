'use strict'
// `trace: true` (issue 19, item 1): the official SDK and milvus-native under the same
// OpenTelemetry set-up (AsyncLocalStorage context manager, W3C propagator, a tracer provider
// with an in-memory exporter), the headers read from the simulator's record. Inside an app span,
// outside any span, trace off, a sampled-out context, a tracestate; the spans each client
// exports; every poll of waitForRestoreSnapshot; @opentelemetry/api missing (a real child
// process that cannot resolve it); nothing loaded with trace off.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const api = require('@opentelemetry/api')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const { W3CTraceContextPropagator } = require('@opentelemetry/core')
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { version } = require('../package.json')
const { startSim } = require('./helpers/sim')

const exporter = new InMemorySpanExporter()
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator())
api.trace.setGlobalTracerProvider(provider)
const app = api.trace.getTracer('app')

const OFFICIAL_VERSION = require('@zilliz/milvus2-sdk-node/package.json').version
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/
const FIXTURES = {
  1: { info: { job_id: '1', state: 3, progress: 100 } },
  // Fails its first two attempts (over all clients: each client below gets its own simulator).
  2: { fault: { code: 14, message: 'try again', fail_times: 2 }, info: { job_id: '2', state: 3 } },
}

function parse(traceparent) {
  const m = TRACEPARENT.exec(traceparent)
  assert.ok(m, `malformed traceparent ${JSON.stringify(traceparent)}`)
  return { traceId: m[1], spanId: m[2], flags: m[3] }
}

async function finished() {
  await provider.forceFlush()
  const spans = exporter.getFinishedSpans()
  exporter.reset()
  return spans
}

/**
 * Runs `scenario(client)` with the official client, then with milvus-native (both built from
 * `config`), and returns per client the headers of the GetRestoreSnapshotState calls the server
 * recorded and the spans exported meanwhile.
 */
async function both(config, scenario) {
  const sim = await startSim({ record: true, fixtures: FIXTURES })
  const out = {}
  try {
    for (const [name, Client] of [['off', Official], ['nat', Native]]) {
      await finished()
      const client = new Client({ address: sim.address, __SKIP_CONNECT__: true, ...config })
      const before = sim.records().length
      try {
        await scenario(client)
      } finally {
        await client.closeConnection()
      }
      const calls = sim.records().slice(before).filter((r) => r.method === 'GetRestoreSnapshotState')
      out[name] = { headers: calls.map((r) => r.headers), spans: await finished() }
    }
  } finally {
    await sim.stop()
  }
  return out
}

/** The exported client span of a call whose traceparent is `tp`. */
function clientSpan(spans, tp) {
  const { traceId, spanId } = parse(tp)
  const span = spans.find((s) => s.spanContext().spanId === spanId)
  assert.ok(span, `no exported span ${spanId}`)
  assert.equal(span.spanContext().traceId, traceId)
  assert.equal(span.name, 'grpc-intercept')
  return span
}

test('inside an app span: traceparent carries the app trace id, from a child span of the client tracer', async () => {
  const ids = {}
  const res = await both({ trace: true }, (client) =>
    app.startActiveSpan('app', async (span) => {
      ids[client instanceof Native ? 'nat' : 'off'] = span.spanContext()
      try {
        await client.getRestoreSnapshotState({ job_id: 1 })
      } finally {
        span.end()
      }
    })
  )
  for (const [name, scopeVersion] of [['off', OFFICIAL_VERSION], ['nat', version]]) {
    const { headers, spans } = res[name]
    assert.equal(headers.length, 1, name)
    const tp = parse(headers[0].traceparent)
    assert.equal(tp.traceId, ids[name].traceId, name)
    assert.notEqual(tp.spanId, ids[name].spanId, name)
    assert.equal(tp.flags, '01', name)
    assert.equal(headers[0].tracestate, undefined, name)
    const span = clientSpan(spans, headers[0].traceparent)
    assert.equal(span.parentSpanContext.spanId, ids[name].spanId, name)
    assert.equal(span.instrumentationScope.name, 'milvus-node-client', name)
    assert.equal(span.instrumentationScope.version, scopeVersion, name)
  }
})

test('outside any span: a fresh traceparent (a new trace) per call', async () => {
  const res = await both({ trace: true }, async (client) => {
    await client.getRestoreSnapshotState({ job_id: 1 })
    await client.getRestoreSnapshotState({ job_id: 1 })
  })
  for (const name of ['off', 'nat']) {
    const { headers, spans } = res[name]
    assert.equal(headers.length, 2, name)
    const [a, b] = headers.map((h) => parse(h.traceparent))
    assert.notEqual(a.traceId, b.traceId, name)
    assert.equal(a.flags, '01', name)
    for (const h of headers) assert.equal(clientSpan(spans, h.traceparent).parentSpanContext, undefined, name)
  }
})

test('a retried call sends the same traceparent on every attempt', async () => {
  for (const Client of [Official, Native]) {
    const sim = await startSim({ record: true, fixtures: FIXTURES })
    const client = new Client({ address: sim.address, __SKIP_CONNECT__: true, trace: true, retryDelay: 1 })
    try {
      await app.startActiveSpan('app', async (span) => {
        await client.getRestoreSnapshotState({ job_id: 2 })
        span.end()
      })
      const attempts = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
      assert.deepEqual(attempts.map((r) => r.outcome), ['grpc:14', 'grpc:14', 'ok'], Client.name)
      assert.equal(new Set(attempts.map((r) => r.headers.traceparent)).size, 1, Client.name)
      parse(attempts[0].headers.traceparent)
    } finally {
      await client.closeConnection()
      await sim.stop()
    }
  }
  await finished()
})

test('trace off: no traceparent, even inside an app span, and no client span', async () => {
  for (const config of [{}, { trace: false }]) {
    const res = await both(config, (client) =>
      app.startActiveSpan('app', async (span) => {
        await client.getRestoreSnapshotState({ job_id: 1 })
        span.end()
      })
    )
    for (const name of ['off', 'nat']) {
      assert.equal(res[name].headers.length, 1)
      assert.equal(res[name].headers[0].traceparent, undefined, name)
      assert.equal(res[name].headers[0].tracestate, undefined, name)
      assert.deepEqual(res[name].spans.map((s) => s.name), ['app'], name)
    }
  }
})

test('a sampled-out context: its trace id, flags 00, nothing exported; its tracestate passes on', async () => {
  const parent = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: api.TraceFlags.NONE,
    isRemote: true,
    traceState: api.createTraceState('vendor=abc,other=x1'),
  }
  const ctx = api.trace.setSpanContext(api.ROOT_CONTEXT, parent)
  const res = await both({ trace: true }, (client) => api.context.with(ctx, () => client.getRestoreSnapshotState({ job_id: 1 })))
  const seen = {}
  for (const name of ['off', 'nat']) {
    const [h] = res[name].headers
    const tp = parse(h.traceparent)
    assert.equal(tp.traceId, parent.traceId, name)
    assert.equal(tp.flags, '00', name)
    assert.equal(h.tracestate, 'vendor=abc,other=x1', name)
    assert.deepEqual(res[name].spans, [], name)
    seen[name] = tp.spanId === parent.spanId ? 'parent' : 'new'
  }
  assert.equal(seen.nat, seen.off)
})

test('the context is taken synchronously when the call is made: a span ended right after still parents it', async () => {
  const ids = {}
  const res = await both({ trace: true }, async (client) => {
    let call
    app.startActiveSpan('app', (span) => {
      ids[client instanceof Native ? 'nat' : 'off'] = span.spanContext().traceId
      call = client.getRestoreSnapshotState({ job_id: 1 })
      span.end()
    })
    // Awaited outside the span: the call was made inside.
    await call
  })
  assert.equal(parse(res.nat.headers[0].traceparent).traceId, ids.nat)
  assert.equal(parse(res.off.headers[0].traceparent).traceId, ids.off)
})

test('the handshake (Connect) carries a traceparent too, from the constructor’s context', async () => {
  const sim = await startSim({ record: true })
  try {
    const seen = {}
    for (const [name, Client] of [['off', Official], ['nat', Native]]) {
      const before = sim.records().length
      await app.startActiveSpan('app', async (span) => {
        seen[name] = span.spanContext().traceId
        const client = new Client({ address: sim.address, trace: true })
        span.end()
        await client.connectPromise
        await client.closeConnection()
      })
      const connect = sim.records().slice(before).find((r) => r.method === 'Connect')
      assert.equal(parse(connect.headers.traceparent).traceId, seen[name], name)
    }
  } finally {
    await sim.stop()
  }
})

test('waitForRestoreSnapshot: a span and a traceparent per poll, each a child of the caller’s span', async () => {
  const sim = await startSim({
    record: true,
    args: ['--collection', 'default/books', '--tick-ms', '40', '--restore-ms', '240', '--segments', '4'],
  })
  const client = new Native({ address: sim.address, trace: true })
  try {
    await client.createSnapshot({ collection_name: 'books', snapshot_name: 's' })
    const { job_id } = await client.restoreSnapshot({ snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'copy' })
    await finished()
    const before = sim.records().length
    let appSpan
    const info = await app.startActiveSpan('app', async (span) => {
      appSpan = span.spanContext()
      try {
        return await client.waitForRestoreSnapshot({ job_id, interval: 20 })
      } finally {
        span.end()
      }
    })
    assert.equal(info.state, 'RestoreSnapshotCompleted')
    const polls = sim.records().slice(before).filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.ok(polls.length >= 3, `${polls.length} polls`)
    const spans = await finished()
    const ids = new Set()
    for (const poll of polls) {
      const tp = parse(poll.headers.traceparent)
      assert.equal(tp.traceId, appSpan.traceId)
      ids.add(tp.spanId)
      const span = clientSpan(spans, poll.headers.traceparent)
      assert.equal(span.parentSpanContext.spanId, appSpan.spanId)
      assert.equal(span.instrumentationScope.name, 'milvus-node-client')
    }
    assert.equal(ids.size, polls.length, 'each poll has a span of its own')

    // Outside any span, each poll starts a trace of its own, as separate calls do.
    const from = sim.records().length
    await client.restoreSnapshot({ snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'copy2' }).then((r) =>
      client.waitForRestoreSnapshot({ job_id: r.job_id, interval: 20 })
    )
    const outside = sim.records().slice(from).filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.ok(outside.length >= 2, `${outside.length} polls`)
    assert.equal(new Set(outside.map((r) => parse(r.headers.traceparent).traceId)).size, outside.length)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

/** Runs `code` in a fresh Node process with `cwd`; resolves to its stdout's last line, parsed. */
function child(code, cwd) {
  const env = { ...process.env }
  delete env.NODE_PATH
  const out = execFileSync(process.execPath, ['-e', code], { cwd, env, encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop())
}

test('trace on without @opentelemetry/api: the constructor says so; trace off constructs', () => {
  // The package laid out as an install without the optional peer: its JS files copied, the
  // addon linked, and no node_modules on the way up that holds @opentelemetry/api.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-no-otel-'))
  const pkg = path.join(root, 'node_modules', 'milvus-native')
  fs.mkdirSync(pkg, { recursive: true })
  const repo = path.resolve(__dirname, '..')
  for (const f of fs.readdirSync(repo)) {
    if (f.endsWith('.js') || f === 'package.json') fs.copyFileSync(path.join(repo, f), path.join(pkg, f))
    if (f.endsWith('.node')) fs.symlinkSync(path.join(repo, f), path.join(pkg, f))
  }
  fs.cpSync(path.join(repo, 'lib'), path.join(pkg, 'lib'), { recursive: true })
  for (let d = root; d !== path.dirname(d); d = path.dirname(d)) {
    assert.ok(!fs.existsSync(path.join(d, 'node_modules', '@opentelemetry', 'api')), d)
  }
  const result = child(
    `const { MilvusClient } = require('milvus-native')
     const out = {}
     try { new MilvusClient({ address: '127.0.0.1:1', trace: true, __SKIP_CONNECT__: true }); out.on = 'constructed' }
     catch (e) { out.on = { message: e.message, cause: e.cause && e.cause.code } }
     const c = new MilvusClient({ address: '127.0.0.1:1', __SKIP_CONNECT__: true })
     out.off = c instanceof MilvusClient
     c.closeConnection()
     console.log(JSON.stringify(out))`,
    root
  )
  assert.equal(result.off, true)
  assert.equal(result.on.cause, 'MODULE_NOT_FOUND')
  assert.match(result.on.message, /`trace` option needs the @opentelemetry\/api package/)
  assert.match(result.on.message, /npm install @opentelemetry\/api/)
})

test('trace off loads neither lib/trace.js nor @opentelemetry/api; trace on loads both', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const script = (trace) => `
      const { MilvusClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      const c = new MilvusClient({ address: ${JSON.stringify(sim.address)}, trace: ${trace} })
      c.getRestoreSnapshotState({ job_id: 1 }).then(async (r) => {
        await c.closeConnection()
        const loaded = Object.keys(require.cache)
        console.log(JSON.stringify({
          state: r.info.state,
          otel: loaded.filter((f) => f.includes('@opentelemetry')).length,
          trace: loaded.filter((f) => f.endsWith(require('path').join('lib', 'trace.js'))).length,
        }))
      })`
    assert.deepEqual(child(script(false)), { state: 'RestoreSnapshotCompleted', otel: 0, trace: 0 })
    const on = child(script(true))
    assert.equal(on.trace, 1)
    assert.ok(on.otel > 0)
  } finally {
    await sim.stop()
  }
})

test('trace must be a boolean', () => {
  assert.throws(() => new Native({ address: '127.0.0.1:1', trace: 'yes' }), /`trace` option must be boolean; got string/)
})
