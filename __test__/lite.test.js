'use strict'
// Interop with a real server nobody here wrote: milvus-lite 3.2.2 from PyPI (a Milvus-protocol
// server without the snapshot RPCs). The handshake completes, and the snapshot calls resolve
// exactly as the official SDK's do there ({}: UNIMPLEMENTED, SPEC §3); requireMilvus3 rejects.

const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startLite } = require('./helpers/lite')
const { snapshotCalls } = require('./helpers/common')

// One server for the file: milvus-lite takes seconds to start (and minutes the first time,
// when the venv is created).
let lite
test.before(async () => {
  lite = await startLite()
}, { timeout: 15 * 60 * 1000 })
test.after(async () => {
  if (lite) await lite.stop()
})

async function withBoth(fn, nativeOptions = {}) {
  const o = new Official({ address: lite.address })
  const n = new Native({ address: lite.address, ...nativeOptions })
  try {
    await fn(o, n)
  } finally {
    await Promise.all([o.closeConnection(), n.closeConnection()])
  }
}

function assertSame(got, want, label) {
  assert.equal(JSON.stringify(got), JSON.stringify(want), `${label}: JSON.stringify differs`)
  assert.ok(util.isDeepStrictEqual(got, want), `${label}: not isDeepStrictEqual`)
}

test('the handshake completes: connectPromise resolves with the server info', async () => {
  await withBoth(async (o, n) => {
    const reply = await n.connectPromise
    assert.equal(reply.status.code, 0)
    assert.equal(reply.status.error_code, 'Success')
    assert.equal(typeof reply.server_info.deploy_mode, 'string')
    assert.notEqual(reply.server_info.deploy_mode, '')
    assert.match(reply.identifier, /^-?\d+$/)
    // The official client keeps the same server_info.
    await o.connectPromise
    assertSame(reply.server_info, o.serverInfo, 'server_info')
  })
})

test('getVersion resolves as the official SDK', async () => {
  await withBoth(async (o, n) => {
    const [off, nat] = await Promise.all([o.getVersion(), n.getVersion()])
    assertSame(nat, off, 'getVersion')
    assert.match(nat.version, /lite/i)
  })
})

test('getRestoreSnapshotState resolves exactly as the official SDK ({}: UNIMPLEMENTED)', async () => {
  await withBoth(async (o, n) => {
    await Promise.all([o.connectPromise, n.connectPromise])
    for (const job_id of [1, '4471', '9223372036854775807', 0]) {
      const [off, nat] = await Promise.all([
        o.getRestoreSnapshotState({ job_id }),
        n.getRestoreSnapshotState({ job_id, client_request_id: 'lite-interop' }),
      ])
      assertSame(nat, off, `job_id ${job_id}`)
      assert.deepEqual(nat, {})
    }
    assert.deepEqual(await n.getRestoreSnapshotState({ job_id: 4471n }), {})
  })
})

test('the other snapshot calls resolve as the official SDK there too', async () => {
  // getRestoreSnapshotState is compared above.
  const { getRestoreSnapshotState, ...calls } = snapshotCalls('c')
  await withBoth(async (o, n) => {
    for (const [method, req] of Object.entries(calls)) {
      const [off, nat] = await Promise.all([o[method]({ ...req }), n[method]({ ...req })])
      assertSame(nat, off, method)
    }
  })
})

test('with requireMilvus3: true the call rejects with code 12 and "requires Milvus 3.0"', async () => {
  const n = new Native({ address: lite.address, requireMilvus3: true })
  try {
    await n.connectPromise
    await assert.rejects(n.getRestoreSnapshotState({ job_id: 1 }), (e) => {
      assert.ok(e instanceof Error)
      assert.equal(e.code, 12)
      assert.match(e.message, /^12 UNIMPLEMENTED: /)
      assert.match(e.message, /requires Milvus 3\.0/)
      return true
    })
  } finally {
    await n.closeConnection()
  }
})

test('a bad job_id still rejects locally against a real server', async () => {
  const n = new Native({ address: lite.address })
  try {
    await assert.rejects(n.getRestoreSnapshotState({ job_id: 'abc' }), /`job_id`/)
  } finally {
    await n.closeConnection()
  }
})
