'use strict'
// Connections like grpc-js (issue 15, point 4): clients of one address, TLS settings and
// credentials share one HTTP/2 connection, which closes when the last of them closes; other
// credentials get a connection of their own. Sockets are counted in the kernel's table
// (/proc/net/tcp*): established connections whose remote port is this test's simulator.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { MilvusClient } = require('..')
const { startSim } = require('./helpers/sim')

function connectionsTo(port) {
  let n = 0
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text
    try {
      text = fs.readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 4) continue
      const remotePort = parseInt(f[2].split(':')[1], 16)
      if (remotePort === port && f[3] === '01') n++ // 01: ESTABLISHED
    }
  }
  return n
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function until(check, ms = 3000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await sleep(20)
}

test('50 clients of one address use 1 socket; closing 49 leaves the 50th working; closing it closes the socket', { skip: process.platform !== 'linux' && 'reads /proc/net/tcp' }, async () => {
  const sim = await startSim()
  try {
    const clients = Array.from({ length: 50 }, () => new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true }))
    const replies = await Promise.all(clients.map((c) => c.getRestoreSnapshotState({ job_id: 1 })))
    assert.equal(replies.length, 50)
    for (const r of replies) assert.equal(r.status.code, 2101) // the simulator knows no job 1
    assert.equal(connectionsTo(sim.port), 1)

    for (const c of clients.slice(0, 49)) await c.closeConnection()
    const last = await clients[49].getRestoreSnapshotState({ job_id: 1 })
    assert.equal(last.status.code, 2101)
    assert.equal(connectionsTo(sim.port), 1)

    await clients[49].closeConnection()
    await until(() => connectionsTo(sim.port) === 0)
    assert.equal(connectionsTo(sim.port), 0, 'the last close left the connection open')
  } finally {
    await sim.stop()
  }
})

test('other credentials, another connection; a collected client lets its connection go', { skip: process.platform !== 'linux' && 'reads /proc/net/tcp' }, async () => {
  const sim = await startSim()
  try {
    const a = new MilvusClient({ address: sim.address, token: 'alice:1', __SKIP_CONNECT__: true })
    const b = new MilvusClient({ address: sim.address, token: 'bob:2', __SKIP_CONNECT__: true })
    const a2 = new MilvusClient({ address: sim.address, token: 'alice:1', __SKIP_CONNECT__: true })
    await Promise.all([a, b, a2].map((c) => c.getRestoreSnapshotState({ job_id: 1 })))
    assert.equal(connectionsTo(sim.port), 2)
    await a.closeConnection()
    await b.closeConnection()
    await a2.closeConnection()
    await until(() => connectionsTo(sim.port) === 0)
    assert.equal(connectionsTo(sim.port), 0)
  } finally {
    await sim.stop()
  }
})
