'use strict'
// milvus-sim's TLS and mutual TLS, and its gen-certs material, as the official SDK (grpc-js,
// OpenSSL) sees them.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { MilvusClient } = require('@zilliz/milvus2-sdk-node')
const { startSim, genCerts } = require('./helpers/sim')

const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

let certs
test.before(async () => {
  certs = await genCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-sim-certs-')))
})

test('gen-certs writes every file', () => {
  for (const file of Object.values(certs)) assert.ok(fs.statSync(file).size > 0, file)
})

test('one-way TLS with the generated CA', async () => {
  const sim = await startSim({ tls: { cert: certs.serverCert, key: certs.serverKey } })
  const client = new MilvusClient({ address: `localhost:${sim.port}`, ssl: true, tls: { rootCertPath: certs.ca } })
  try {
    await client.connectPromise
    const res = await client.getRestoreSnapshotState({ job_id: 5 })
    assert.equal(res.status.code, 2101)
    assert.deepEqual(await client.unpinSnapshotData({ pin_id: 1 }), OK)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('mutual TLS accepts the generated client certificate', async () => {
  const sim = await startSim({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } })
  const client = new MilvusClient({
    address: `localhost:${sim.port}`,
    tls: { rootCertPath: certs.ca, privateKeyPath: certs.clientKey, certChainPath: certs.clientCert },
  })
  try {
    await client.connectPromise
    assert.deepEqual(await client.unpinSnapshotData({ pin_id: 1 }), OK)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

test('mutual TLS refuses a client without a certificate', async () => {
  const sim = await startSim({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } })
  // No handshake: the official SDK would turn its failure into an unhandled rejection.
  const client = new MilvusClient({
    address: `localhost:${sim.port}`,
    tls: { rootCertPath: certs.ca },
    __SKIP_CONNECT__: true,
  })
  try {
    await assert.rejects(client.unpinSnapshotData({ pin_id: 1, timeout: 2000 }), (err) => {
      assert.ok([4, 14].includes(err.code), `code ${err.code}: ${err.message}`)
      return true
    })
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})

// Node's TLS falls back to the subject CN when a certificate has no SAN, so the official SDK
// accepts server-nosan.pem for `localhost`; rustls (tonic) refuses it (see sim/tests/wire.rs).
test('the official SDK accepts a CN-only certificate (no SAN)', async () => {
  const sim = await startSim({ tls: { cert: certs.serverNoSanCert, key: certs.serverNoSanKey } })
  const client = new MilvusClient({ address: `localhost:${sim.port}`, tls: { rootCertPath: certs.ca } })
  try {
    await client.connectPromise
    assert.deepEqual(await client.unpinSnapshotData({ pin_id: 1, timeout: 5000 }), OK)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
})
