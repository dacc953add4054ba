'use strict'
// tls.verifyOptions (issue 19, items 2 and 3), side by side with the official SDK against
// milvus-sim with `gen-certs` material. The official SDK hands verifyOptions to grpc-js only with
// a client certificate (mutual TLS), so the side-by-side cases use mutual TLS; milvus-native
// applies them in one-way TLS too. checkServerIdentity: pinning that accepts, pinning that
// rejects (code 14 after the retries, the function's message, no request sent), a server reached
// by an address its certificate does not name, a throwing function; rejectUnauthorized: false.

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim, genCerts } = require('./helpers/sim')

const FIXTURES = { 1: { info: { job_id: '1', state: 3 } } }
let certs, other, sanSim, noSanSim, oneWaySim

test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-verify-'))
  ;[certs, other] = await Promise.all([genCerts(path.join(dir, 'a')), genCerts(path.join(dir, 'b'))])
  ;[sanSim, noSanSim, oneWaySim] = await Promise.all([
    startSim({ record: true, fixtures: FIXTURES, tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } }),
    startSim({ record: true, fixtures: FIXTURES, tls: { cert: certs.serverNoSanCert, key: certs.serverNoSanKey, clientCa: certs.ca } }),
    startSim({ record: true, fixtures: FIXTURES, tls: { cert: certs.serverCert, key: certs.serverKey } }),
  ])
})

test.after(async () => {
  await Promise.all([sanSim, noSanSim, oneWaySim].map((s) => s && s.stop()))
})

const fingerprint = (file) => new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256
const mutual = () => ({ rootCertPath: certs.ca, certChainPath: certs.clientCert, privateKeyPath: certs.clientKey })

/** One call; resolves to { value } or { error }. */
async function call(Client, address, tls, extra = {}) {
  const client = new Client({ address, __SKIP_CONNECT__: true, timeout: 5000, maxRetries: 1, retryDelay: 10, tls, ...extra })
  try {
    return { value: await client.getRestoreSnapshotState({ job_id: 1 }) }
  } catch (error) {
    return { error }
  } finally {
    await client.closeConnection()
  }
}

function assertOk(r, what) {
  assert.equal(r.error, undefined, `${what}: ${r.error && r.error.message}`)
  assert.equal(r.value.info.state, 'RestoreSnapshotCompleted', what)
}

function assertRefused(r, message, what) {
  assert.ok(r.error, `${what}: connected`)
  assert.equal(r.error.code, 14, `${what}: ${r.error.message}`)
  assert.match(r.error.message, /^14 UNAVAILABLE: /, what)
  assert.ok(r.error.message.includes(message), `${what}: ${r.error.message}`)
  assert.match(r.error.details, /\(retried 1 times, \d+ms\)$/, what)
}

/** Requests from milvus-native that reached `sim` (user-agent milvus-native) since `from`. */
const nativeRequests = (sim, from) => sim.records().slice(from).filter((r) => !/grpc-node-js/.test(r.headers['user-agent']))

test('pinning that accepts: both connect; the function gets the host name and a PeerCertificate-shaped object', async () => {
  const pin = fingerprint(certs.serverCert)
  const seen = {}
  for (const [name, Client] of [['off', Official], ['nat', Native]]) {
    const checkServerIdentity = (host, cert) => {
      seen[name] = { host, cert }
      return cert.fingerprint256 === pin ? undefined : new Error('certificate pin mismatch')
    }
    assertOk(await call(Client, sanSim.address, { ...mutual(), verifyOptions: { checkServerIdentity } }), name)
  }
  assert.equal(seen.nat.host, '127.0.0.1')
  assert.equal(seen.nat.host, seen.off.host)
  const { cert } = seen.nat
  for (const key of ['subject', 'issuer', 'subjectaltname', 'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber', 'ext_key_usage', 'bits', 'pubkey', 'asn1Curve', 'nistCurve']) {
    assert.deepEqual(cert[key], seen.off.cert[key], key)
  }
  assert.ok(Buffer.isBuffer(cert.raw) && cert.raw.equals(seen.off.cert.raw))
  // One-way TLS too (the official SDK ignores verifyOptions there; see README).
  let called = 0
  const check = (host, c) => (called++, c.fingerprint256 === pin ? undefined : new Error('pin'))
  assertOk(await call(Native, oneWaySim.address, { rootCertPath: certs.ca, verifyOptions: { checkServerIdentity: check } }), 'one-way')
  assert.equal(called, 1)
})

test('pinning that rejects: 14 UNAVAILABLE after the retries, with the returned error; no request sent', async () => {
  const pin = fingerprint(other.serverCert)
  const checkServerIdentity = (host, cert) => (cert.fingerprint256 === pin ? undefined : new Error(`certificate pin mismatch for ${host}`))
  for (const [name, Client] of [['off', Official], ['nat', Native]]) {
    const from = sanSim.records().length
    const r = await call(Client, sanSim.address, { ...mutual(), verifyOptions: { checkServerIdentity } })
    assertRefused(r, 'certificate pin mismatch for 127.0.0.1', name)
    if (name === 'nat') assert.deepEqual(nativeRequests(sanSim, from), [])
  }
  // A function that throws is a refusal with its message (the official SDK crashes the process).
  const throwing = () => {
    throw new TypeError('no pin configured')
  }
  assertRefused(await call(Native, sanSim.address, { ...mutual(), verifyOptions: { checkServerIdentity: throwing } }), 'TypeError: no pin configured', 'throw')
  assertRefused(await call(Native, oneWaySim.address, { rootCertPath: certs.ca, verifyOptions: { checkServerIdentity } }), 'certificate pin mismatch', 'one-way')
})

test('a server reached by an address its certificate does not name: checkServerIdentity decides', async () => {
  // server-nosan.pem names nobody (CN=localhost, no SAN): refused for 127.0.0.1 by default.
  for (const Client of [Official, Native]) {
    assertRefused(await call(Client, noSanSim.address, mutual()), Client === Native ? 'not valid for' : 'altnames', Client.name)
  }
  const hosts = []
  const checkServerIdentity = (host, cert) => {
    hosts.push(host)
    return cert.subject.CN === 'localhost' && cert.issuer.CN === 'milvus-sim test CA' ? undefined : new Error('unexpected certificate')
  }
  for (const Client of [Native, Official]) {
    assertOk(await call(Client, noSanSim.address, { ...mutual(), verifyOptions: { checkServerIdentity } }), Client.name)
    // With serverName, the function is given that name (grpc-js's target name override).
    assertOk(await call(Client, noSanSim.address, { ...mutual(), serverName: 'milvus.internal', verifyOptions: { checkServerIdentity } }), Client.name)
    if (Client === Native) assert.deepEqual(hosts.splice(0), ['127.0.0.1', 'milvus.internal'])
  }
  // grpc-js may open more than one connection (and ask more than once); each asks with these names.
  assert.deepEqual([...new Set(hosts)], ['127.0.0.1', 'milvus.internal'])
  // The chain is still verified: a certificate from another CA is refused before the function runs.
  const asked = []
  const accept = (host) => void asked.push(host)
  for (const Client of [Official, Native]) {
    const r = await call(Client, noSanSim.address, { ...mutual(), rootCertPath: other.ca, verifyOptions: { checkServerIdentity: accept } })
    assert.equal(r.error && r.error.code, 14, Client.name)
  }
  assert.deepEqual(asked, [])
})

test('rejectUnauthorized: false connects despite an untrusted chain; true (or absent) refuses', async () => {
  const untrusted = { ...mutual(), rootCertPath: other.ca }
  for (const Client of [Official, Native]) {
    assertOk(await call(Client, sanSim.address, { ...untrusted, verifyOptions: { rejectUnauthorized: false } }), Client.name)
    assert.equal((await call(Client, sanSim.address, { ...untrusted, verifyOptions: { rejectUnauthorized: true } })).error.code, 14)
    assert.equal((await call(Client, sanSim.address, untrusted)).error.code, 14)
  }
  // Also the name: a certificate without SAN, and one-way TLS with the system roots.
  assertOk(await call(Native, noSanSim.address, { ...mutual(), verifyOptions: { rejectUnauthorized: false } }), 'no SAN')
  assertOk(await call(Native, oneWaySim.address, { verifyOptions: { rejectUnauthorized: false } }, { ssl: true }), 'one-way')
  assert.equal((await call(Native, oneWaySim.address, {}, { ssl: true })).error.code, 14)
})

test('rejectUnauthorized: false with checkServerIdentity: the chain is not checked, the function still decides', async () => {
  const untrusted = { ...mutual(), rootCertPath: other.ca }
  const pin = fingerprint(certs.serverCert)
  const checkServerIdentity = (host, cert) => (cert.fingerprint256 === pin ? undefined : new Error('pin mismatch'))
  // A self-signed set-up pinned: accepted.
  assertOk(await call(Native, sanSim.address, { ...untrusted, verifyOptions: { rejectUnauthorized: false, checkServerIdentity } }), 'pinned')
  const refuse = () => new Error('pin mismatch')
  assertRefused(await call(Native, sanSim.address, { ...untrusted, verifyOptions: { rejectUnauthorized: false, checkServerIdentity: refuse } }), 'pin mismatch', 'refused')
  // grpc-js (Node's tls) discards the function's verdict when rejectUnauthorized is false.
  assertOk(await call(Official, sanSim.address, { ...mutual(), verifyOptions: { rejectUnauthorized: false, checkServerIdentity: refuse } }), 'official')
  // skipCertCheck is rejectUnauthorized: false: the function still decides.
  assertRefused(await call(Native, oneWaySim.address, { skipCertCheck: true, verifyOptions: { checkServerIdentity: refuse } }), 'pin mismatch', 'skipCertCheck')
})

test('clients with different checkServerIdentity functions do not share a connection', async () => {
  const accept = () => undefined
  const refuse = () => new Error('refused by b')
  const a = new Native({ address: sanSim.address, __SKIP_CONNECT__: true, maxRetries: 0, tls: { ...mutual(), verifyOptions: { checkServerIdentity: accept } } })
  const b = new Native({ address: sanSim.address, __SKIP_CONNECT__: true, maxRetries: 0, tls: { ...mutual(), verifyOptions: { checkServerIdentity: refuse } } })
  const c = new Native({ address: sanSim.address, __SKIP_CONNECT__: true, maxRetries: 0, tls: mutual() })
  try {
    assert.equal((await a.getRestoreSnapshotState({ job_id: 1 })).info.state, 'RestoreSnapshotCompleted')
    await assert.rejects(b.getRestoreSnapshotState({ job_id: 1 }), { code: 14, message: /refused by b/ })
    assert.equal((await c.getRestoreSnapshotState({ job_id: 1 })).info.state, 'RestoreSnapshotCompleted')
    await assert.rejects(b.getRestoreSnapshotState({ job_id: 1 }), { code: 14, message: /refused by b/ })
  } finally {
    await Promise.all([a, b, c].map((x) => x.closeConnection()))
  }
})

test('malformed verifyOptions throw at construction, naming the option', () => {
  const make = (verifyOptions) => new Native({ address: '127.0.0.1:1', __SKIP_CONNECT__: true, tls: { skipCertCheck: true, verifyOptions } })
  assert.throws(() => make('x'), /`tls\.verifyOptions` option must be object; got string/)
  assert.throws(() => make({ rejectUnauthorized: 'no' }), /`tls\.verifyOptions\.rejectUnauthorized` option must be boolean; got string/)
  assert.throws(() => make({ checkServerIdentity: 'pin' }), /`tls\.verifyOptions\.checkServerIdentity` option must be a function; got string/)
})
