'use strict'
// `signal` on every method (issue 4, point 4; SPEC §7.8): an already-aborted signal rejects
// before anything is sent; aborting mid-call rejects at once with an AbortError (name
// 'AbortError', code 'ABORT_ERR', cause = the signal's reason) and resets the stream, which
// milvus-sim records as `cancelled`; aborting after the call settled is harmless; aborted calls
// leave nothing behind (listeners, pending work, handles).

const test = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { getEventListeners, setMaxListeners } = require('node:events')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')

const SLOW = 79 // a GetRestoreSnapshotState fixture that answers after 2 s
const STUCK = 77 // a job stuck in Executing
const SLOWER = 81 // answers after 10 s: the mass abort's target, so a loaded server still sees resets first
const FIXTURES = {
  [SLOWER]: { fault: { delay_ms: 10000 }, info: { job_id: String(SLOWER), state: 2 } },
  [SLOW]: { fault: { delay_ms: 2000 }, info: { job_id: String(SLOW), state: 2, progress: 10 } },
  [STUCK]: { info: { job_id: String(STUCK), state: 2, progress: 40 } },
}
const ARGS = ['--collection', 'default/books', '--tick-ms', '60000']

// Every method that takes a signal: [method, RPC it sends, a valid request].
const METHODS = [
  ['getRestoreSnapshotState', 'GetRestoreSnapshotState', { job_id: STUCK }],
  ['createSnapshot', 'CreateSnapshot', { collection_name: 'books', snapshot_name: 'a' }],
  ['dropSnapshot', 'DropSnapshot', { collection_name: 'books', snapshot_name: 'a' }],
  ['listSnapshots', 'ListSnapshots', { collection_name: 'books' }],
  ['describeSnapshot', 'DescribeSnapshot', { collection_name: 'books', snapshot_name: 'a' }],
  ['restoreSnapshot', 'RestoreSnapshot', { snapshot_name: 'a', source_collection_name: 'books', target_collection_name: 't' }],
  ['listRestoreSnapshotJobs', 'ListRestoreSnapshotJobs', {}],
  ['pinSnapshotData', 'PinSnapshotData', { collection_name: 'books', snapshot_name: 'a' }],
  ['unpinSnapshotData', 'UnpinSnapshotData', { pin_id: '1' }],
  ['waitForRestoreSnapshot', 'GetRestoreSnapshotState', { job_id: STUCK, interval: 10, timeout: 60000 }],
  ['getVersion', 'GetVersion', {}],
  ['checkHealth', 'CheckHealth', {}],
]

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// "Rejects within a few ms" on a loaded machine (the suites share two cores): the best of
// several aborts must be a few ms, and none may come near the reply it cut off (2 s away).
const ROUNDS = 5
function assertPrompt(latencies, label) {
  const ms = latencies.map((t) => Math.round(t * 10) / 10)
  assert.ok(Math.min(...ms) < 15, `${label}: no abort settled within 15 ms: ${ms.join(', ')}`)
  assert.ok(Math.max(...ms) < 500, `${label}: an abort took ${Math.max(...ms)} ms: ${ms.join(', ')}`)
}

async function withSim(fn, { client = {} } = {}) {
  const sim = await startSim({ args: ARGS, fixtures: FIXTURES, record: true })
  const c = new MilvusClient({ address: sim.address, ...client })
  try {
    await c.connectPromise
    await fn(c, sim)
  } finally {
    await c.closeConnection()
    await sim.stop()
  }
}

/** The record lines of `rpc`, polling until there are at least `n` (or 1 s passed). */
async function recorded(sim, rpc, n = 1) {
  const deadline = Date.now() + 1000
  for (;;) {
    const lines = sim.records().filter((r) => r.method === rpc)
    if (lines.length >= n || Date.now() > deadline) return lines
    await sleep(10)
  }
}

function assertAbortError(e, reason) {
  assert.ok(e instanceof Error, 'not an Error')
  assert.equal(e.name, 'AbortError')
  assert.equal(e.code, 'ABORT_ERR')
  assert.equal(e.cause, reason)
  return true
}

/**
 * A TCP proxy in front of the sim whose server → client direction can be held back, so any
 * RPC can be caught in flight (milvus-sim can slow down only GetRestoreSnapshotState).
 */
async function startProxy(target) {
  const [host, port] = target.split(':')
  const sockets = new Set()
  const proxy = { holdMs: 0 }
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host)
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    let chain = Promise.resolve()
    upstream.on('data', (chunk) => {
      const release = Date.now() + proxy.holdMs
      chain = chain.then(async () => {
        const wait = release - Date.now()
        if (wait > 0) await sleep(wait)
        if (!client.destroyed) client.write(chunk)
      })
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  proxy.address = `127.0.0.1:${server.address().port}`
  proxy.stop = async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  }
  return proxy
}

for (const [method, rpc, req] of METHODS) {
  test(`${method}: an already-aborted signal rejects before anything is sent`, async () => {
    await withSim(async (client, sim) => {
      const reason = new Error(`stop ${method}`)
      const signal = AbortSignal.abort(reason)
      let p
      assert.doesNotThrow(() => {
        p = client[method]({ ...req, signal })
      })
      await assert.rejects(p, (e) => assertAbortError(e, reason))
      // A good call of the same RPC afterwards is recorded; the aborted one never was.
      const ok = method === 'waitForRestoreSnapshot' ? client.getRestoreSnapshotState({ job_id: STUCK }) : client[method]({ ...req })
      await ok.catch(() => {})
      const lines = await recorded(sim, rpc, 1)
      await sleep(30)
      assert.equal(sim.records().filter((r) => r.method === rpc).length, 1, `${rpc} lines: ${JSON.stringify(lines)}`)
    })
  })
}

test('AbortSignal.abort() without a reason: cause is the DOMException reason', async () => {
  await withSim(async (client) => {
    const signal = AbortSignal.abort()
    await assert.rejects(client.getRestoreSnapshotState({ job_id: 1, signal }), (e) => assertAbortError(e, signal.reason))
    assert.equal(signal.reason.name, 'AbortError')
  })
})

test('abort mid-RPC against a slow fixture: rejects within a few ms, the sim records the call cancelled', async () => {
  await withSim(async (client, sim) => {
    const latencies = []
    for (let round = 0; round < ROUNDS; round++) {
      const ac = new AbortController()
      const reason = new Error(`user gave up (${round})`)
      const p = client.getRestoreSnapshotState({ job_id: SLOW, signal: ac.signal })
      await sleep(100)
      const t0 = performance.now()
      ac.abort(reason)
      await assert.rejects(p, (e) => assertAbortError(e, reason))
      latencies.push(performance.now() - t0)
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
    }
    assertPrompt(latencies, 'getRestoreSnapshotState')
    // Every call was reset on the wire (recorded long before the fixture's 2 s delay ends).
    const lines = await recorded(sim, 'GetRestoreSnapshotState', ROUNDS)
    assert.deepEqual(lines.map((r) => r.outcome), Array(ROUNDS).fill('cancelled'))
    // The client keeps working.
    const res = await client.getRestoreSnapshotState({ job_id: STUCK })
    assert.equal(res.info.state, 'RestoreSnapshotExecuting')
  })
})

test('abort mid-RPC on every method (reply held back by a proxy): rejects within a few ms', async () => {
  const sim = await startSim({ args: ARGS, fixtures: FIXTURES, record: true })
  const proxy = await startProxy(sim.address)
  const client = new MilvusClient({ address: proxy.address })
  try {
    await client.connectPromise
    await client.listSnapshots({ collection_name: 'books' }) // the connection is up
    const latencies = []
    for (const [method, , req] of METHODS) {
      proxy.holdMs = 2000
      const ac = new AbortController()
      const reason = new Error(`abort ${method}`)
      let settled = false
      const p = client[method]({ ...req, signal: ac.signal })
      p.then(
        () => (settled = true),
        () => (settled = true),
      )
      await sleep(100)
      assert.equal(settled, false, `${method} settled before the abort (the proxy did not hold it)`)
      const t0 = performance.now()
      ac.abort(reason)
      await assert.rejects(p, (e) => assertAbortError(e, reason))
      latencies.push(performance.now() - t0)
      assert.ok(latencies.at(-1) < 500, `${method}: settled ${latencies.at(-1).toFixed(1)} ms after abort`)
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0, `${method}: abort listener left behind`)
    }
    assertPrompt(latencies, 'all methods')
    // Once the held replies drain, the same client still answers.
    proxy.holdMs = 0
    await sleep(2100)
    const res = await client.listSnapshots({ collection_name: 'books' })
    assert.equal(res.status.code, 0)
  } finally {
    await client.closeConnection()
    await proxy.stop()
    await sim.stop()
  }
})

test('aborting after the call settled is harmless; the listener is removed either way', async () => {
  await withSim(async (client, sim) => {
    const unhandled = []
    const onUnhandled = (e) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      for (const [method, , req] of METHODS) {
        if (method === 'waitForRestoreSnapshot') continue
        const ac = new AbortController()
        await client[method]({ ...req, signal: ac.signal })
        assert.equal(getEventListeners(ac.signal, 'abort').length, 0, `${method}: listener left after resolve`)
        ac.abort()
      }
      // A rejected call (timeout) too.
      const ac = new AbortController()
      await assert.rejects(client.waitForRestoreSnapshot({ job_id: STUCK, interval: 10, timeout: 30, signal: ac.signal }), {
        code: 'RESTORE_TIMEOUT',
      })
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listener left after a rejection')
      ac.abort()
      // A validation rejection registers nothing.
      const ac2 = new AbortController()
      await assert.rejects(client.createSnapshot({ signal: ac2.signal }), { message: 'The `collection_name` property is missing.' })
      assert.equal(getEventListeners(ac2.signal, 'abort').length, 0)
      ac2.abort()
      await sleep(30)
      assert.deepEqual(unhandled, [])
      // Nothing was cancelled: every call had ended normally.
      assert.deepEqual(sim.records().filter((r) => r.outcome === 'cancelled'), [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

test('a signal that is not an AbortSignal (or lacks a method a call uses) rejects at the call with a TypeError', async () => {
  await withSim(async (client, sim) => {
    const noRemove = { aborted: false, addEventListener() {} }
    for (const signal of [true, 'abort', {}, { aborted: false }, noRemove, { ...noRemove, removeEventListener: 'no' }]) {
      await assert.rejects(client.getRestoreSnapshotState({ job_id: STUCK, signal }), (e) => {
        assert.ok(e instanceof TypeError)
        assert.match(e.message, /`signal`/)
        return true
      })
    }
    await sleep(30)
    assert.equal(sim.records().filter((r) => r.method === 'GetRestoreSnapshotState').length, 0)
  })
})

// A child process: six calls end together, one of them with a signal whose removeEventListener
// throws when its call settles. Only that call rejects (with the thrown error); the other five
// resolve; nothing reaches uncaughtException; and with nothing pending the process exits by
// itself (the hub's keep-alive is released).
test('one entry that throws while settling rejects only its own promise; the batch settles and the process exits', async () => {
  const sim = await startSim({ fixtures: FIXTURES })
  try {
    const script = `
      const { MilvusClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      process.on('uncaughtException', (e) => console.log('UNCAUGHT ' + e.message))
      const c = new MilvusClient({ address: ${JSON.stringify(sim.address)}, __SKIP_CONNECT__: true })
      const bad = { aborted: false, addEventListener() {}, removeEventListener() { throw new Error('listener plumbing broke') } }
      const calls = []
      for (let i = 0; i < 6; i++) calls.push(c.getRestoreSnapshotState({ job_id: ${STUCK}, signal: i === 2 ? bad : undefined }))
      Promise.allSettled(calls).then((r) => console.log(JSON.stringify(r.map((x) => x.status === 'fulfilled' ? x.value.info.job_id : x.reason.message))))
    `
    const t0 = performance.now()
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { timeout: 20000 }, (err, out, stderr) => {
        if (err) return reject(new Error(`child: ${err.message} (killed: ${err.killed}); stdout ${out}; stderr ${stderr}`))
        resolve(out)
      })
    })
    const ms = Math.round(performance.now() - t0)
    const job = String(STUCK)
    assert.deepEqual(stdout.trim().split('\n'), [JSON.stringify([job, job, 'listener plumbing broke', job, job, job])], `exited after ${ms} ms`)
  } finally {
    await sim.stop()
  }
})

test('1000 concurrent calls aborted in flight: all reject at once, nothing leaks, then a normal call works', async () => {
  await withSim(async (client, sim) => {
    const ac = new AbortController()
    setMaxListeners(5000, ac.signal) // one signal for 2000 calls is the point here
    const reason = new Error('mass abort')
    const calls = []
    for (let i = 0; i < 1000; i++) calls.push(client.getRestoreSnapshotState({ job_id: SLOWER, signal: ac.signal }))
    // And 1000 waits (their polls are slow too).
    for (let i = 0; i < 1000; i++) calls.push(client.waitForRestoreSnapshot({ job_id: SLOWER, interval: 10, signal: ac.signal }))
    assert.equal(getEventListeners(ac.signal, 'abort').length, 2000)
    await sleep(300)
    const t0 = performance.now()
    const abortedAt = Date.now()
    ac.abort(reason)
    const results = await Promise.allSettled(calls)
    const elapsed = performance.now() - t0
    // Node's own EventTarget needs ~20 ms to dispatch 1000 listeners; allow for 2000 native
    // aborts and settlements on a loaded machine, far from the fixture's 10 s.
    assert.ok(elapsed < 5000, `2000 aborts took ${elapsed.toFixed(0)} ms`)
    for (const r of results) {
      assert.equal(r.status, 'rejected')
      assert.equal(r.reason.name, 'AbortError')
      assert.equal(r.reason.cause, reason)
    }
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
    const t1 = performance.now()
    const res = await client.getRestoreSnapshotState({ job_id: STUCK })
    assert.equal(res.info.state, 'RestoreSnapshotExecuting')
    assert.ok(performance.now() - t1 < 2000, 'a normal call after the mass abort is slow')
    // Every stream the server saw was reset, none answered after the fact.
    await sleep(200)
    const lines = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState' && r.request.job_id === String(SLOWER))
    assert.ok(lines.length > 0)
    const answered = lines.filter((r) => r.outcome !== 'cancelled')
    assert.deepEqual(answered, [], `${answered.length} of ${lines.length} aborted calls were answered, not cancelled (abort at ${abortedAt})`)
  })
})

// A fresh process: aborted calls must neither keep it alive nor retain their request objects.
// The same script with a plain async function in place of the client is the control: V8 itself
// may keep a request or two reachable (allocation-site feedback), so compare against it.
const CHILD = `
const mode = process.argv[1]
const { MilvusClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
const client =
  mode === 'control'
    ? { getRestoreSnapshotState: (d) => new Promise((_, reject) => d.signal.addEventListener('abort', () => reject(d.signal.reason), { once: true })) }
    : new MilvusClient({ address: process.argv[2] })
const ac = new AbortController()
require('node:events').setMaxListeners(1000, ac.signal)
const refs = []
function launch() {
  const calls = []
  for (let i = 0; i < 500; i++) {
    const req = { job_id: ${SLOW}, signal: ac.signal, pad: new Array(1000).fill(i) }
    refs.push(new WeakRef(req))
    calls.push(client.getRestoreSnapshotState(req).then(() => 'resolved', (e) => e.name))
  }
  return Promise.all(calls)
}
;(async () => {
  const done = launch()
  await new Promise((r) => setTimeout(r, 200))
  ac.abort()
  const names = new Set(await done)
  for (let i = 0; i < 10 && refs.some((r) => r.deref()); i++) {
    globalThis.gc()
    await new Promise((r) => setTimeout(r, 20))
  }
  console.log(JSON.stringify({ settled: [...names], alive: refs.filter((r) => r.deref()).length }))
  // No closeConnection(): the process must still exit by itself.
})()
`

function child(mode, address) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '-e', CHILD, mode, address], { timeout: 15000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${mode} child failed (${err.killed ? 'killed: it did not exit by itself' : err.code}): ${stderr}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

test('aborted calls retain nothing and the process exits by itself (child process, --expose-gc)', async () => {
  await withSim(async (_client, sim) => {
    const control = await child('control', sim.address)
    const t0 = Date.now()
    const native = await child('native', sim.address)
    assert.ok(Date.now() - t0 < 5000, `the child took ${Date.now() - t0} ms to exit`)
    assert.deepEqual(native.settled, ['AbortError'])
    assert.deepEqual(control.settled, ['AbortError'])
    assert.ok(control.alive <= 2, `control retains ${control.alive}`)
    assert.ok(native.alive <= control.alive, `${native.alive} of 500 aborted requests still reachable (control: ${control.alive})`)
  })
})

test(
  'closeConnection() with a call in flight that has a signal does not report an abort',
  async () => {
    await withSim(async (client) => {
      const ac = new AbortController()
      const p = client.getRestoreSnapshotState({ job_id: SLOW, signal: ac.signal })
      const w = client.waitForRestoreSnapshot({ job_id: STUCK, interval: 500, signal: ac.signal })
      await sleep(100)
      await client.closeConnection()
      const [a, b] = await Promise.allSettled([p, w])
      assert.equal(ac.signal.aborted, false)
      for (const r of [a, b]) {
        if (r.status === 'rejected') assert.notEqual(r.reason.name, 'AbortError', 'AbortError for a signal never aborted')
      }
    })
  },
)
