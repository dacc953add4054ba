'use strict'
// The child of reload.test.js (run with --expose-gc, driven over IPC): loads the package once,
// keeps that copy's client (copy 0), and on request clears the require cache and requires the
// package again many times, each copy making a client and a call; reports what was collected,
// the heap, and the median latency of sequential calls on copy 0's client.

const path = require('node:path')

const PKG = process.env.MILVUS_NATIVE_PKG || path.resolve(__dirname, '..', '..')

let address
let job
let copy0
let client0

/** A fresh copy: every file of the package leaves the require cache first (the `.node` too). */
function load() {
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(PKG + path.sep) && !file.slice(PKG.length).includes(`${path.sep}node_modules${path.sep}`)) {
      delete require.cache[file]
    }
  }
  // require() lists the copy among this module's children, which would keep it alive.
  const n = module.children.length
  const copy = require(PKG)
  module.children.length = n
  return copy
}

async function gc() {
  for (let i = 0; i < 4; i++) {
    global.gc()
    await new Promise((r) => setImmediate(r))
  }
}

async function call(client) {
  const r = await client.getRestoreSnapshotState({ job_id: job })
  if (r.info.job_id !== job || r.info.state !== 'RestoreSnapshotCompleted') {
    throw new Error(`wrong reply: ${JSON.stringify(r)}`)
  }
}

/** Median µs of `n` sequential calls on copy 0's client. */
async function median(n) {
  const t = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await call(client0)
    t.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  t.sort((a, b) => a - b)
  return t[t.length >> 1]
}

// Labels of the copies' exports and clients not yet collected.
const alive = new Set()
const registry = new FinalizationRegistry((label) => alive.delete(label))
let loads = 0

// In its own function, so no variable of this frame keeps the last copy alive.
async function reloads(count) {
  for (let i = 0; i < count; i++) {
    const copy = load()
    const client = new copy.MilvusClient({ address })
    const n = ++loads
    for (const [what, target] of [['exports', copy], ['client', client]]) {
      registry.register(target, `${what} ${n}`)
      alive.add(`${what} ${n}`)
    }
    await call(client)
  }
}

async function heap() {
  await gc()
  return process.memoryUsage().heapUsed
}

const commands = {
  async init(msg) {
    address = msg.address
    job = msg.job
    copy0 = load()
    client0 = new copy0.MilvusClient({ address })
    await median(300) // warm-up
    return { heap: await heap() }
  },
  measure: (msg) => median(msg.calls),
  heap,
  async reload(msg) {
    const t0 = Date.now()
    await reloads(msg.count)
    const ms = Date.now() - t0
    // Finalizers run after a collection, as tasks: wait until the count stops rising.
    let last = -1
    for (let round = 0; round < 20 && alive.size !== last; round++) {
      last = alive.size
      await gc()
      await new Promise((r) => setTimeout(r, 50))
    }
    return { ms, alive: [...alive], registered: 2 * loads }
  },
  // Two copies at once: copy 0 and a fresh one, 50 calls each started together.
  async two() {
    const other = load()
    const client = new other.MilvusClient({ address })
    const calls = []
    for (let i = 0; i < 50; i++) calls.push(call(client0), call(client))
    await Promise.all(calls)
    await client.closeConnection()
    return { settled: calls.length, distinct: other.MilvusClient !== copy0.MilvusClient }
  },
  async exit() {
    await client0.closeConnection()
    return null
  },
}

process.on('message', async (msg) => {
  try {
    process.send({ ok: await commands[msg.cmd](msg) })
  } catch (e) {
    process.send({ error: String((e && e.stack) || e) })
  }
  // Nothing else holds the process open once the channel is gone.
  if (msg.cmd === 'exit') process.disconnect()
})
