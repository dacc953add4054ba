'use strict'
// TLS (issue 6, item 9), against milvus-sim with `milvus-sim gen-certs` material: one-way with a
// custom CA, mutual, wrong CA, serverName override, skipCertCheck, a certificate without SAN,
// plain/TLS mismatches both ways, and a server silent in the handshake (the connection attempt is
// bounded). Each is a clear settled outcome well inside its bound.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { MilvusClient } = require('..')
const { startSim, genCerts } = require('./helpers/sim')

const TIMEOUT = 3000
const MAX_RETRIES = 1
const RETRY_DELAY = 10
// timeout × (maxRetries + 1) + backoff, plus scheduling slack.
const BOUND = TIMEOUT * (MAX_RETRIES + 1) + 2 * RETRY_DELAY + 1500

let certs
let other // a second, unrelated CA
let tlsSim
let mutualSim
let noSanSim
let plainSim

test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-test-'))
  certs = await genCerts(path.join(dir, 'a'))
  other = await genCerts(path.join(dir, 'b'))
  const fixtures = { 1: { info: { job_id: '1', state: 3 } } }
  ;[tlsSim, mutualSim, noSanSim, plainSim] = await Promise.all([
    startSim({ fixtures, tls: { cert: certs.serverCert, key: certs.serverKey } }),
    startSim({ fixtures, tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } }),
    startSim({ fixtures, tls: { cert: certs.serverNoSanCert, key: certs.serverNoSanKey } }),
    startSim({ fixtures }),
  ])
})

test.after(async () => {
  await Promise.all([tlsSim, mutualSim, noSanSim, plainSim].map((s) => s && s.stop()))
})

/** One call with the given options; resolves to { value | error, ms }, checking the bound. */
async function call(address, options) {
  const client = new MilvusClient({
    address,
    timeout: TIMEOUT,
    maxRetries: MAX_RETRIES,
    retryDelay: RETRY_DELAY,
    __SKIP_CONNECT__: true,
    ...options,
  })
  const t0 = Date.now()
  try {
    const value = await client.getRestoreSnapshotState({ job_id: 1 })
    return { value, ms: Date.now() - t0 }
  } catch (error) {
    return { error, ms: Date.now() - t0 }
  } finally {
    await client.closeConnection()
    assert.ok(Date.now() - t0 <= BOUND, `took ${Date.now() - t0} ms (bound ${BOUND})`)
  }
}

function assertOk(r) {
  assert.equal(r.error, undefined, r.error && r.error.message)
  assert.equal(r.value.info.job_id, '1')
  assert.equal(r.value.info.state, 'RestoreSnapshotCompleted')
}

function assertUnavailable(r, details) {
  assert.ok(r.error, 'resolved')
  assert.equal(r.error.code, 14, r.error.message)
  assert.match(r.error.message, /^14 UNAVAILABLE: /)
  assert.match(r.error.details, details)
}

test('one-way TLS with a custom CA: rootCertPath, rootCert (Buffer and string), ssl: true, https://', async () => {
  assertOk(await call(tlsSim.address, { tls: { rootCertPath: certs.ca } }))
  assertOk(await call(tlsSim.address, { tls: { rootCert: fs.readFileSync(certs.ca) } }))
  assertOk(await call(tlsSim.address, { tls: { rootCert: fs.readFileSync(certs.ca, 'utf8') } }))
  assertOk(await call(tlsSim.address, { ssl: true, tls: { rootCertPath: certs.ca } }))
  assertOk(await call(`https://${tlsSim.address}`, { tls: { rootCertPath: certs.ca } }))
  assertOk(await call(`localhost:${tlsSim.port}`, { tls: { rootCertPath: certs.ca } }))
})

test('mutual TLS: with the client certificate it works; without one, or with a foreign one, the server refuses', async () => {
  const identity = { rootCertPath: certs.ca, certChainPath: certs.clientCert, privateKeyPath: certs.clientKey }
  assertOk(await call(mutualSim.address, { tls: identity }))
  const inline = { rootCert: fs.readFileSync(certs.ca), certChain: fs.readFileSync(certs.clientCert), privateKey: fs.readFileSync(certs.clientKey) }
  assertOk(await call(mutualSim.address, { tls: inline }))
  // Refused: a settled rejection, at once (its code: the next test).
  for (const tls of [{ rootCertPath: certs.ca }, { rootCertPath: certs.ca, certChainPath: other.clientCert, privateKeyPath: other.clientKey }]) {
    const r = await call(mutualSim.address, { tls })
    assert.ok(r.error, 'the server accepted a client without a valid certificate')
    assert.equal(typeof r.error.code, 'number')
    assert.ok(r.ms < TIMEOUT, `${r.ms} ms`)
  }
})

test('refused mutual TLS and plain client to a TLS server: always 14 UNAVAILABLE (as grpc-js), never 1 CANCELLED', async () => {
  // Which side notices first is a race; a closed connection read as CANCELLED used to leak out.
  const codes = []
  for (let i = 0; i < 12; i++) {
    const foreign = i % 2 ? { certChainPath: other.clientCert, privateKeyPath: other.clientKey } : {}
    const r = await call(mutualSim.address, { maxRetries: 0, tls: { rootCertPath: certs.ca, ...foreign } })
    codes.push(r.error ? r.error.code : 'resolved')
    const p = await call(tlsSim.address, { maxRetries: 0 })
    codes.push(p.error ? p.error.code : 'resolved')
  }
  assert.deepEqual(codes, Array(24).fill(14))
})

test('wrong CA: 14 UNAVAILABLE, the details say the peer certificate is invalid', async () => {
  assertUnavailable(await call(tlsSim.address, { tls: { rootCertPath: other.ca } }), /invalid peer certificate/)
  // The system roots (ssl: true, no CA) do not know the test CA either.
  assertUnavailable(await call(tlsSim.address, { ssl: true }), /invalid peer certificate: UnknownIssuer/)
})

test('serverName: connect to 127.0.0.1 and verify "localhost"; a name the certificate lacks is refused', async () => {
  assertOk(await call(tlsSim.address, { tls: { rootCertPath: certs.ca, serverName: 'localhost' } }))
  assertUnavailable(
    await call(tlsSim.address, { tls: { rootCertPath: certs.ca, serverName: 'example.com' } }),
    /certificate not valid for name "example\.com"/
  )
})

test('skipCertCheck: any certificate is accepted (wrong CA, no CA, no SAN)', async () => {
  assertOk(await call(tlsSim.address, { tls: { skipCertCheck: true } }))
  assertOk(await call(tlsSim.address, { tls: { skipCertCheck: true, rootCertPath: other.ca } }))
  assertOk(await call(noSanSim.address, { tls: { skipCertCheck: true } }))
  assertOk(await call(`localhost:${noSanSim.port}`, { tls: { skipCertCheck: true, serverName: 'anything.example' } }))
})

test('a certificate without SAN (CN=localhost only) is refused for every name: rustls ignores the CN', async () => {
  for (const [address, serverName] of [
    [noSanSim.address, undefined],
    [noSanSim.address, 'localhost'],
    [`localhost:${noSanSim.port}`, undefined],
  ]) {
    const tls = { rootCertPath: certs.ca }
    if (serverName) tls.serverName = serverName
    assertUnavailable(await call(address, { tls }), /certificate is not valid for any names \(according to its subjectAltName extension\)/)
  }
})

test('plain client to a TLS server: 14 UNAVAILABLE, settled at once', async () => {
  const r = await call(tlsSim.address, {})
  assertUnavailable(r, /transport error/)
  assert.ok(r.ms < TIMEOUT, `${r.ms} ms: the mismatch should fail fast, not at the deadline`)
})

test('TLS client to a plain server: 14 UNAVAILABLE (corrupt message), settled at once', async () => {
  for (const opts of [{ tls: { rootCertPath: certs.ca } }, { ssl: true }, { tls: { skipCertCheck: true } }]) {
    const r = await call(plainSim.address, opts)
    assertUnavailable(r, /corrupt message|InvalidContentType/)
    assert.ok(r.ms < TIMEOUT, `${r.ms} ms`)
  }
  const r = await call(`https://${plainSim.address}`, { tls: { rootCertPath: certs.ca } })
  assertUnavailable(r, /corrupt message|InvalidContentType/)
})

test('TLS failures are retried per the policy (UNAVAILABLE), and the handshake rejects without an unhandled rejection', async () => {
  const unhandled = []
  const on = (e) => unhandled.push(e)
  process.on('unhandledRejection', on)
  try {
    const client = new MilvusClient({ address: tlsSim.address, maxRetries: 2, retryDelay: 10, tls: { rootCertPath: other.ca } })
    await assert.rejects(client.getRestoreSnapshotState({ job_id: 1 }), (e) => {
      assert.equal(e.code, 14)
      assert.match(e.details, / \(retried 2 times, \d+ms\)$/)
      return true
    })
    await assert.rejects(client.connectPromise, { code: 14 })
    await client.closeConnection()
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', on)
  }
})

test('many concurrent calls over one TLS connection all succeed', async () => {
  const client = new MilvusClient({ address: tlsSim.address, tls: { rootCertPath: certs.ca } })
  try {
    const replies = await Promise.all(Array.from({ length: 500 }, () => client.getRestoreSnapshotState({ job_id: 1 })))
    assert.ok(replies.every((r) => r.info.job_id === '1'))
  } finally {
    await client.closeConnection()
  }
})

test('a server that accepts the connection and never answers the TLS handshake: calls reach their deadline, and after 20 s the stuck attempt is given up and the next call connects anew', async (t) => {
  const net = require('node:net')
  const sockets = []
  const silent = net.createServer((s) => sockets.push(s)) // accepts, never writes
  await new Promise((r) => silent.listen(0, '127.0.0.1', r))
  const client = new MilvusClient({
    address: `127.0.0.1:${silent.address().port}`,
    tls: { skipCertCheck: true },
    timeout: 300,
    maxRetries: 0,
    __SKIP_CONNECT__: true,
  })
  try {
    const first = await rejection(client)
    assert.equal(first.code, 4, first.message)
    assert.equal(sockets.length, 1)
    // Until the attempt's bound, later calls wait on the same attempt: no new connection.
    await new Promise((r) => setTimeout(r, 2000))
    assert.equal((await rejection(client)).code, 4)
    assert.equal(sockets.length, 1, 'a second connection before the bound')
    // Past it (20 s from the first call), the next call starts a new attempt.
    await new Promise((r) => setTimeout(r, 19000))
    const later = await rejection(client)
    assert.ok(later.code === 4 || later.code === 14, later.message)
    assert.equal(sockets.length, 2, 'the stuck attempt was never given up')
    t.diagnostic(`later call: ${later.message}`)
  } finally {
    await client.closeConnection()
    for (const s of sockets) s.destroy()
    silent.close()
  }
})

/** The call's rejection ({ code, message }), or a failure if it resolved. */
async function rejection(client) {
  try {
    await client.getRestoreSnapshotState({ job_id: 1 })
  } catch (e) {
    return e
  }
  assert.fail('resolved against a server that never answers')
}
