'use strict'
// Leaks (issue 6, item 4): a child run with `node --expose-gc` holds only a WeakRef to a client
// whose calls reject; once they have settled and gc has run, the client must be gone. A
// strongly held client in the same child must survive, so the check can fail.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const { startBlackhole, freePort } = require('./helpers/blackhole')
const { socketFds } = require('./helpers/common')

const PKG = path.resolve(__dirname, '..')

// Runs in the child. Each case builds a client inside its own async function and returns
// only a WeakRef, so nothing on the stack keeps it.
const CHILD = `
const fs = require('node:fs')
const { MilvusClient } = require(${JSON.stringify(PKG)})
const { UNREACHABLE, BLACKHOLE, SIM } = process.env
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const fds = () => fs.readdirSync('/proc/self/fd').length

// deref() keeps its target alive until the end of the current job (WeakRef semantics), so
// check in one job and collect in the next.
async function collected(ref) {
  for (let i = 0; i < 30; i++) {
    global.gc()
    await sleep(10)
    if (ref.deref() === undefined) return true
    await sleep(0)
  }
  return false
}

const METHODS = {
  getRestoreSnapshotState: { job_id: 77 },
  createSnapshot: { collection_name: 'books', snapshot_name: 's' },
  dropSnapshot: { collection_name: 'books', snapshot_name: 's' },
  listSnapshots: { collection_name: 'books' },
  describeSnapshot: { collection_name: 'books', snapshot_name: 's' },
  restoreSnapshot: { snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'b2' },
  listRestoreSnapshotJobs: {},
  pinSnapshotData: { collection_name: 'books', snapshot_name: 's' },
  unpinSnapshotData: { pin_id: 1 },
}

async function settleAll(client, extra = {}) {
  const ps = []
  for (let i = 0; i < 3; i++) {
    for (const [m, data] of Object.entries(METHODS)) ps.push(client[m]({ ...data, ...extra }))
  }
  ps.push(client.waitForRestoreSnapshot({ job_id: 77, timeout: 500, interval: 50, ...extra }))
  const rs = await Promise.allSettled(ps)
  await client.connectPromise.catch(() => {})
  const outcome = (r) => (r.status === 'fulfilled' ? 'resolved' : r.reason.code === undefined ? r.reason.message : r.reason.code)
  return [...new Set(rs.map(outcome))].sort()
}

/** A client that connected and made a rejecting and a resolving call, left open: only the
 * garbage collector can close its connection (closeConnection() is checked elsewhere). */
async function connectedClient() {
  const client = new MilvusClient({ address: SIM, maxRetries: 0 })
  await Promise.allSettled([client.getRestoreSnapshotState({ job_id: 77 }), client.listSnapshots({ collection_name: 'books' })])
  return new WeakRef(client)
}

const cases = {
  async unreachable() {
    const client = new MilvusClient({ address: UNREACHABLE, maxRetries: 0 })
    return { ref: new WeakRef(client), outcomes: await settleAll(client) }
  },
  async neverAnswers() {
    const client = new MilvusClient({ address: BLACKHOLE, maxRetries: 0, timeout: 300 })
    return { ref: new WeakRef(client), outcomes: await settleAll(client) }
  },
  async grpcFault() {
    // Fixture 77 fails PERMISSION_DENIED; the other methods resolve with a Milvus status.
    const client = new MilvusClient({ address: SIM, maxRetries: 0 })
    const outcomes = await settleAll(client)
    await client.closeConnection()
    return { ref: new WeakRef(client), outcomes }
  },
  async validation() {
    const client = new MilvusClient({ address: SIM, __SKIP_CONNECT__: true })
    const rs = await Promise.allSettled([
      client.getRestoreSnapshotState({ job_id: 'x' }),
      client.createSnapshot({}),
      client.unpinSnapshotData({ pin_id: 1.5 }),
      client.listSnapshots({ collection_name: 'c', timeout: 'soon' }),
    ])
    return { ref: new WeakRef(client), outcomes: [...new Set(rs.map((r) => r.status))] }
  },
  async aborted() {
    // A signal that outlives the client must not keep it (its listener must be removed).
    const ac = (globalThis.longLived = new AbortController())
    const client = new MilvusClient({ address: UNREACHABLE, maxRetries: 0 })
    const outcomes = await settleAll(client, { signal: ac.signal })
    const abortable = new MilvusClient({ address: BLACKHOLE, maxRetries: 0, timeout: 5000 })
    const ac2 = (globalThis.longLived2 = new AbortController())
    const p = abortable.getRestoreSnapshotState({ job_id: 1, signal: ac2.signal })
    setTimeout(() => ac2.abort(), 50)
    const r = await p.then(() => 'resolved', (e) => e.name)
    return { ref: new WeakRef(client), ref2: new WeakRef(abortable), outcomes: [...outcomes, r] }
  },
}

;(async () => {
  const out = {}
  for (const [name, make] of Object.entries(cases)) {
    const t0 = Date.now()
    const { ref, ref2, outcomes } = await make()
    out[name] = { outcomes, collected: await collected(ref), ms: Date.now() - t0 }
    if (ref2) out[name].collected2 = await collected(ref2)
  }
  // Many clients: all collected, and their connections closed with them.
  const t1 = Date.now()
  const fd0 = fds()
  const refs = []
  for (let i = 0; i < 100; i++) refs.push(await connectedClient())
  const open = fds() - fd0
  let gone = 0
  for (const ref of refs) gone += (await collected(ref)) ? 1 : 0
  await sleep(300)
  out.many = { clients: refs.length, collected: gone, fdsWhileAlive: open, fdsAfter: fds() - fd0, ms: Date.now() - t1 }
  // Control: held strongly, never collected.
  const held = new MilvusClient({ address: UNREACHABLE, maxRetries: 0 })
  await settleAll(held)
  out.control = { collected: await collected(new WeakRef(held)) }
  globalThis.keep = held
  console.log(JSON.stringify(out))
})()
`

function runChild(env) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', '-e', CHILD],
      { env: { ...process.env, ...env }, timeout: 50000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr })
    )
  })
}

test('clients whose calls reject are garbage-collected (WeakRef + --expose-gc), and their sockets closed', async (t) => {
  const sim = await startSim({ fixtures: { 77: { fault: { code: 7, message: 'denied' } } }, args: ['--collection', 'default/books'] })
  const hole = await startBlackhole()
  const port = await freePort()
  try {
    const { error, stdout, stderr } = await runChild({ UNREACHABLE: `127.0.0.1:${port}`, BLACKHOLE: hole.address, SIM: sim.address })
    assert.equal(error, null, `${error && error.message}\n${stderr}`)
    const out = JSON.parse(stdout)
    t.diagnostic(stdout.trim())

    // The wait rides out the outage until its own timeout (README, "Waits ride out outages").
    assert.deepEqual(out.unreachable.outcomes, [14, 'RESTORE_TIMEOUT'])
    assert.equal(out.unreachable.collected, true, 'a client whose calls rejected 14 was not collected')

    assert.deepEqual(out.neverAnswers.outcomes, [4, 'RESTORE_TIMEOUT'])
    assert.equal(out.neverAnswers.collected, true)

    assert.ok(out.grpcFault.outcomes.includes(7) && out.grpcFault.outcomes.includes('resolved'), JSON.stringify(out.grpcFault.outcomes))
    assert.equal(out.grpcFault.collected, true)

    assert.deepEqual(out.validation.outcomes, ['rejected'])
    assert.equal(out.validation.collected, true)

    assert.equal(out.aborted.collected, true, 'a long-lived AbortSignal kept the client')
    assert.equal(out.aborted.collected2, true, 'an aborted call kept its client')
    assert.ok(out.aborted.outcomes.includes('AbortError'), JSON.stringify(out.aborted.outcomes))

    assert.equal(out.many.collected, 100)
    // One address, one connection for all of them (as grpc-js shares its subchannel).
    assert.equal(out.many.fdsWhileAlive, 1, `100 connected clients of one address hold ${out.many.fdsWhileAlive} fds`)
    assert.ok(out.many.fdsAfter <= 2, `${out.many.fdsAfter} file descriptors still open after the clients were collected`)

    assert.equal(out.control.collected, false, 'the strongly held control was collected: the check cannot fail')
  } finally {
    hole.close()
    await sim.stop()
  }
})

test(
  'closeConnection() releases the connection even while the client object is still referenced',
  async () => {
    const { MilvusClient } = require('..')
    const fds = socketFds
    const sim = await startSim()
    const clients = []
    try {
      const fd0 = fds()
      // Each with its own credentials, so each has a connection of its own.
      for (let i = 0; i < 20; i++) {
        const c = new MilvusClient({ address: sim.address, token: `user${i}:secret`, __SKIP_CONNECT__: true })
        await c.getRestoreSnapshotState({ job_id: 1 })
        clients.push(c)
      }
      assert.ok(fds() - fd0 >= 20)
      for (const c of clients) await c.closeConnection()
      await new Promise((r) => setTimeout(r, 1000))
      assert.ok(fds() - fd0 <= 2, `${fds() - fd0} sockets still open after closeConnection()`)
    } finally {
      await sim.stop()
    }
  }
)
