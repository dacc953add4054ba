'use strict'
// Construction (SPEC §1, §4, §7.5): both forms, address normalisation and TLS switching,
// the official missing-address error, malformed known options thrown at construction,
// unknown options accepted, timeout as a number or a time token.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim, genCerts } = require('./helpers/sim')

const NOT_FOUND = 2101

async function withSim(options, fn) {
  const sim = await startSim({ record: true, ...options })
  try {
    await fn(sim)
  } finally {
    await sim.stop()
  }
}

/** Makes one call with `client`, then closes it; resolves to the reply's status code. */
async function oneCall(client, req = { job_id: 1 }) {
  try {
    return (await client.getRestoreSnapshotState(req)).status.code
  } finally {
    await client.closeConnection()
  }
}

let certs
async function getCerts() {
  certs ??= await genCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'mn-ctor-certs-')))
  return certs
}

test('config object form', async () => {
  await withSim({}, async (sim) => {
    const client = new Native({ address: sim.address })
    assert.ok(client instanceof Native)
    assert.equal((await client.connectPromise).status.code, 0)
    assert.equal(await oneCall(client), NOT_FOUND)
  })
})

test('positional form: address, ssl, username, password, channelOptions', async () => {
  await withSim({ args: ['--auth', 'root:Milvus'] }, async (sim) => {
    assert.equal(await oneCall(new Native(sim.address, false, 'root', 'Milvus', { 'grpc.keepalive_time_ms': 1000 })), NOT_FOUND)
    assert.equal(await oneCall(new Official(sim.address, false, 'root', 'Milvus')), NOT_FOUND)
    // Address alone; the handshake is refused without credentials, which must stay harmless.
    await assert.rejects(new Native(sim.address).getRestoreSnapshotState({ job_id: 1 }), { code: 16 })
    const calls = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
    assert.deepEqual(calls.map((r) => r.outcome), ['ok', 'ok', 'grpc:16'])
  })
})

test('address with http://: stripped, plaintext', async () => {
  await withSim({}, async (sim) => {
    assert.equal(await oneCall(new Native({ address: `http://127.0.0.1:${sim.port}` })), NOT_FOUND)
    assert.equal(await oneCall(new Native({ address: `http://localhost:${sim.port}` })), NOT_FOUND)
    assert.equal(await oneCall(new Official({ address: `http://localhost:${sim.port}` })), NOT_FOUND)
    assert.equal(sim.records().filter((r) => r.method === 'GetRestoreSnapshotState').length, 3)
  })
})

test('https:// and ssl: true turn TLS on (a plaintext server refuses, as for the official SDK)', async () => {
  await withSim({}, async (sim) => {
    for (const config of [{ address: `https://127.0.0.1:${sim.port}` }, { address: sim.address, ssl: true }]) {
      const opts = { ...config, __SKIP_CONNECT__: true, maxRetries: 0 }
      await assert.rejects(oneCall(new Native(opts), { job_id: 1, timeout: 2000 }), { code: 14 })
      await assert.rejects(oneCall(new Official(opts), { job_id: 1, timeout: 2000 }), { code: 14 })
    }
    assert.deepEqual(sim.records().filter((r) => r.method === 'GetRestoreSnapshotState'), [])
  })
})

test('https:// against a TLS server: verified with tls.rootCertPath / rootCert, refused without', async () => {
  const c = await getCerts()
  await withSim({ tls: { cert: c.serverCert, key: c.serverKey } }, async (sim) => {
    const address = `https://localhost:${sim.port}`
    assert.equal(await oneCall(new Native({ address, tls: { rootCertPath: c.ca } })), NOT_FOUND)
    assert.equal(await oneCall(new Native({ address, tls: { rootCert: fs.readFileSync(c.ca) } })), NOT_FOUND)
    assert.equal(await oneCall(new Native({ address, tls: { rootCert: fs.readFileSync(c.ca, 'utf8') } })), NOT_FOUND)
    assert.equal(await oneCall(new Native({ address: `localhost:${sim.port}`, ssl: true, tls: { rootCertPath: c.ca } })), NOT_FOUND)
    assert.equal(await oneCall(new Native({ address, tls: { skipCertCheck: true } })), NOT_FOUND)
    assert.equal(await oneCall(new Official({ address, tls: { rootCertPath: c.ca } })), NOT_FOUND)
    const quick = { __SKIP_CONNECT__: true, maxRetries: 0 }
    // Unknown CA; and plaintext (http://) to a TLS server.
    await assert.rejects(oneCall(new Native({ address, ...quick }), { job_id: 1, timeout: 2000 }), { code: 14 })
    await assert.rejects(oneCall(new Native({ address: `http://localhost:${sim.port}`, ...quick }), { job_id: 1, timeout: 2000 }), { code: 14 })
  })
})

const NO_ADDRESS = [
  ['no argument', []],
  ['undefined', [undefined]],
  ['{}', [{}]],
  ["{ address: '' }", [{ address: '' }]],
  ['{ address: undefined, token }', [{ address: undefined, token: 't' }]],
  ["positional ''", ['']],
]

for (const [name, args] of NO_ADDRESS) {
  test(`missing address (${name}) throws the official message synchronously`, () => {
    const message = 'The `address` property is missing.'
    assert.throws(() => new Official(...args), { message })
    assert.throws(
      () => new Native(...args),
      (e) => {
        assert.equal(Object.getPrototypeOf(e), Error.prototype)
        assert.equal(e.message, message)
        return true
      },
    )
  })
}

const GARBAGE_CERT = '-----BEGIN CERTIFICATE-----\nzzzz\n-----END CERTIFICATE-----\n'
const GARBAGE_KEY = '-----BEGIN PRIVATE KEY-----\nzzzz\n-----END PRIVATE KEY-----\n'

function badOptions(c) {
  return [
    ['timeout "abc"', { timeout: 'abc' }, /`timeout`/],
    ['timeout "10x"', { timeout: '10x' }, /`timeout`/],
    ['timeout "-5s"', { timeout: '-5s' }, /`timeout`/],
    ['timeout -5', { timeout: -5 }, /`timeout`/],
    ['timeout NaN', { timeout: NaN }, /`timeout`/],
    ['maxRetries -1', { maxRetries: -1 }, /`maxRetries`/],
    ['maxRetries 1.5', { maxRetries: 1.5 }, /`maxRetries`/],
    ['retryDelay -1', { retryDelay: -1 }, /`retryDelay`/],
    ['unreadable tls.rootCertPath', { tls: { rootCertPath: '/nonexistent/ca.pem' } }, /`tls\.rootCertPath`.*cannot be read/],
    ['unreadable tls.privateKeyPath', { tls: { privateKeyPath: '/nonexistent/k.pem', certChainPath: c.clientCert } }, /`tls\.privateKeyPath`/],
    ['unreadable tls.certChainPath', { tls: { privateKeyPath: c.clientKey, certChainPath: '/nonexistent/c.pem' } }, /`tls\.certChainPath`/],
    ['a directory as tls.rootCertPath', { tls: { rootCertPath: os.tmpdir() } }, /`tls\.rootCertPath`/],
    ['tls.rootCert not PEM', { tls: { rootCert: 'not a pem' } }, /`tls\.rootCert`/],
    ['tls.rootCert a BEGIN line around garbage', { tls: { rootCert: GARBAGE_CERT } }, /`tls\.rootCert`/],
    ['tls.rootCert (Buffer) around garbage', { ssl: true, tls: { rootCert: Buffer.from(GARBAGE_CERT) } }, /`tls\.rootCert`/],
    ['tls.rootCert holding a key', { tls: { rootCertPath: c.clientKey } }, /`tls\.rootCert`/],
    ['tls.certChain around garbage', { tls: { certChain: GARBAGE_CERT, privateKeyPath: c.clientKey } }, /`tls\.certChain`/],
    ['tls.privateKey around garbage', { tls: { certChainPath: c.clientCert, privateKey: GARBAGE_KEY } }, /`tls\.privateKey`/],
    ['tls.privateKey holding a certificate', { tls: { certChainPath: c.clientCert, privateKeyPath: c.ca } }, /`tls\.privateKey`/],
    ['tls.privateKey without certChain', { tls: { privateKeyPath: c.clientKey } }, /certChain/],
  ]
}

test('malformed known options throw at construction, naming the option', async () => {
  const c = await getCerts()
  for (const [name, options, pattern] of badOptions(c)) {
    assert.throws(() => new Native({ address: '127.0.0.1:1', ...options }), (e) => {
      assert.ok(e instanceof Error, name)
      assert.match(e.message, pattern, name)
      return true
    }, name)
  }
})

test('the same options, well formed, construct', async () => {
  const c = await getCerts()
  const good = [
    { timeout: '10s' },
    { timeout: 0 },
    { timeout: '0s' },
    { maxRetries: 0 },
    { retryDelay: 0 },
    { tls: { rootCertPath: c.ca } },
    { tls: { rootCert: fs.readFileSync(c.ca) } },
    { tls: { rootCertPath: c.ca, privateKeyPath: c.clientKey, certChainPath: c.clientCert, serverName: 'localhost' } },
    { tls: { privateKey: fs.readFileSync(c.clientKey), certChain: fs.readFileSync(c.clientCert, 'utf8') } },
  ]
  for (const options of good) {
    const client = new Native({ address: '127.0.0.1:1', __SKIP_CONNECT__: true, ...options })
    await client.closeConnection()
  }
})

test('unknown and ignored options are accepted and do not get in the way', async () => {
  await withSim({}, async (sim) => {
    const client = new Native({
      address: sim.address,
      id: 'my-client',
      pool: { min: 1, max: 5 },
      channelOptions: { 'grpc.keepalive_time_ms': 1000, 'grpc.max_receive_message_length': -1 },
      loaderOptions: { longs: Number },
      isGlobal: false,
      logLevel: 'info',
      logPrefix: 'x',
      telemetry: { enabled: false },
      somethingNew: { nested: [1, 2, 3] },
    })
    assert.equal((await client.connectPromise).status.code, 0)
    // loaderOptions are not applied: int64 stay decimal strings.
    const res = await client.getRestoreSnapshotState({ job_id: 1 })
    assert.equal(res.status.code, NOT_FOUND)
    await client.closeConnection()
  })
})

function timeoutMs(value) {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value)
  assert.ok(m, `malformed grpc-timeout ${value}`)
  return Number(m[1]) * { H: 3600e3, M: 60e3, S: 1e3, m: 1, u: 1e-3, n: 1e-6 }[m[2]]
}

test('timeout as a number or a time token, seen as grpc-timeout', async () => {
  await withSim({}, async (sim) => {
    const cases = [
      [2500, 2500],
      ['3s', 3000],
      ['2m', 120000],
      ['1h', 3600000],
      ['1d', 86400000],
      ['0s', 86400000],
      [undefined, 15000],
    ]
    for (const [timeout, _ms] of cases) {
      await oneCall(new Native({ address: sim.address, timeout, __SKIP_CONNECT__: true }))
    }
    const sent = sim.records().filter((r) => r.method === 'GetRestoreSnapshotState').map((r) => timeoutMs(r.headers['grpc-timeout']))
    assert.equal(sent.length, cases.length)
    for (const [i, [timeout, ms]] of cases.entries()) {
      assert.ok(sent[i] <= ms && sent[i] > ms - 250, `timeout ${timeout}: grpc-timeout ${sent[i]} ms, want about ${ms}`)
    }
  })
})

// The README's options table (issue 19, item 4): one test per row, each failing if the row's
// claim broke. `seen(config)` makes one call with a fresh client and returns what the server
// recorded of it (headers, request) and the reply.
const OPTIONS_FIXTURES = {
  1: { info: { job_id: '1', state: 3, progress: 100 } },
  2: { fault: { code: 14, message: 'try again', fail_times: 2 }, info: { job_id: '2', state: 3 } },
  3: { fault: { delay_ms: 60000 }, info: { job_id: '3', state: 2 } },
}
let optionsSim
const b64 = (s) => Buffer.from(s).toString('base64')

async function seen(config, req = { job_id: 1 }, sim = optionsSim) {
  const client = new Native({ address: sim.address, __SKIP_CONNECT__: true, ...config })
  const from = sim.records().length
  try {
    const reply = await client.getRestoreSnapshotState(req)
    const [call] = sim.records().slice(from).filter((r) => r.method === 'GetRestoreSnapshotState')
    return { reply, headers: call.headers, all: sim.records().slice(from) }
  } finally {
    await client.closeConnection()
  }
}

test.describe('options table', () => {
  test.before(async () => {
    optionsSim = await startSim({ record: true, fixtures: OPTIONS_FIXTURES })
  })
  test.after(() => optionsSim.stop())

  test('address: http:// stripped; https:// turns TLS on', async () => {
    assert.equal((await seen({ address: `http://${optionsSim.address}` })).reply.info.state, 'RestoreSnapshotCompleted')
    await assert.rejects(seen({ address: `https://${optionsSim.address}`, maxRetries: 0 }), { code: 14 })
  })

  test('token / username + password: the authorization header', async () => {
    assert.equal((await seen({ token: 'root:Milvus' })).headers.authorization, b64('root:Milvus'))
    assert.equal((await seen({ username: 'u', password: 'p' })).headers.authorization, b64('u:p'))
    assert.equal((await seen({})).headers.authorization, undefined)
  })

  test('database: the dbname header', async () => {
    assert.equal((await seen({ database: 'books' })).headers.dbname, 'books')
  })

  test('timeout: the deadline sent as grpc-timeout', async () => {
    const ms = timeoutMs((await seen({ timeout: '3s' })).headers['grpc-timeout'])
    assert.ok(ms <= 3000 && ms > 2750, `${ms}`)
  })

  test('maxRetries, retryDelay: a failing attempt is retried', async () => {
    await assert.rejects(seen({ maxRetries: 1, retryDelay: 1 }, { job_id: 2 }), { code: 14 })
    const { reply, all } = await seen({ maxRetries: 3, retryDelay: 1 }, { job_id: 2 })
    assert.equal(reply.info.job_id, '2')
    assert.deepEqual(all.map((r) => r.outcome), ['ok'], 'the fixture fails its first 2 attempts over all clients')
  })

  test('ssl, tls.rootCert(Path), tls.privateKey + certChain, tls.serverName, tls.skipCertCheck, tls.verifyOptions', async () => {
    const c = await getCerts()
    const tlsSim = await startSim({ record: true, fixtures: OPTIONS_FIXTURES, tls: { cert: c.serverCert, key: c.serverKey, clientCa: c.ca } })
    const mutual = { rootCertPath: c.ca, certChainPath: c.clientCert, privateKeyPath: c.clientKey }
    const ok = async (config) => assert.equal((await seen({ maxRetries: 0, ...config }, { job_id: 1 }, tlsSim)).reply.info.job_id, '1')
    const refused = (config) => assert.rejects(seen({ maxRetries: 0, ...config }, { job_id: 1 }, tlsSim), { code: 14 })
    try {
      await ok({ ssl: true, tls: mutual })
      await ok({ tls: { ...mutual, rootCert: fs.readFileSync(c.ca), rootCertPath: undefined } })
      await refused({ ssl: true, tls: { rootCertPath: c.ca } }) // no client certificate
      await ok({ tls: { ...mutual, serverName: 'localhost' } })
      await refused({ tls: { ...mutual, serverName: 'example.com' } })
      await refused({ ssl: true, tls: { certChainPath: c.clientCert, privateKeyPath: c.clientKey } }) // system roots
      await ok({ ssl: true, tls: { certChainPath: c.clientCert, privateKeyPath: c.clientKey, skipCertCheck: true } })
      await ok({ ssl: true, tls: { certChainPath: c.clientCert, privateKeyPath: c.clientKey, verifyOptions: { rejectUnauthorized: false } } })
      const refuse = () => new Error('not this one')
      await assert.rejects(seen({ maxRetries: 0, tls: { ...mutual, verifyOptions: { checkServerIdentity: refuse } } }, { job_id: 1 }, tlsSim), {
        code: 14,
        message: /Error: not this one/,
      })
      await ok({ tls: { ...mutual, verifyOptions: { checkServerIdentity: () => undefined }, serverName: 'example.com' } })
    } finally {
      await tlsSim.stop()
    }
  })

  test('trace: traceparent from the registered propagator; none with trace off', async () => {
    const api = require('@opentelemetry/api')
    const { W3CTraceContextPropagator } = require('@opentelemetry/core')
    const { TracerProvider } = require('@opentelemetry/sdk-trace')
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    api.trace.setGlobalTracerProvider(new TracerProvider())
    assert.match((await seen({ trace: true })).headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    assert.equal((await seen({ trace: false })).headers.traceparent, undefined)
    assert.equal((await seen({})).headers.traceparent, undefined)
  })

  test('option: ClientInfo.reserved of the handshake; __SKIP_CONNECT__: no handshake', async () => {
    const from = optionsSim.records().length
    const client = new Native({ address: optionsSim.address, option: { app: 'books' } })
    await client.connectPromise
    await client.closeConnection()
    const [connect] = optionsSim.records().slice(from).filter((r) => r.method === 'Connect')
    assert.deepEqual(connect.request.client_info.reserved, { app: 'books' })
    const { all } = await seen({ __SKIP_CONNECT__: true })
    assert.deepEqual(all.map((r) => r.method), ['GetRestoreSnapshotState'])
  })

  test('logLevel: debug writes a line per attempt; other levels write nothing', () => {
    const { spawnSync } = require('node:child_process')
    const stderr = (logLevel) =>
      spawnSync(process.execPath, ['-e', `
        const { MilvusClient } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
        const c = new MilvusClient({ address: ${JSON.stringify(optionsSim.address)}, __SKIP_CONNECT__: true, logLevel: ${JSON.stringify(logLevel)} })
        c.getRestoreSnapshotState({ job_id: 1 }).then(() => c.closeConnection())`], { env: { ...process.env, MILVUS_NATIVE_LOG: '' }, encoding: 'utf8' }).stderr
    assert.match(stderr('debug'), /GetRestoreSnapshotState attempt=1 code=0/)
    for (const level of ['error', 'warn', 'info']) assert.equal(stderr(level), '', level)
  })

  test('ignored: logPrefix, id, telemetry, loaderOptions change neither the requests nor the replies', async () => {
    const strip = ({ reply, headers, all }) => {
      const { 'client-request-unixmsec': _t, 'grpc-timeout': _d, ...rest } = headers
      return { reply, headers: rest, methods: all.map((r) => [r.method, r.request]) }
    }
    const plain = strip(await seen({}))
    const ignored = [{ logPrefix: 'books' }, { id: 'client-7' }, { telemetry: { enabled: true, intervalMs: 10 } }, { loaderOptions: { longs: Number, enums: Number, defaults: false } }]
    for (const config of ignored) assert.deepEqual(strip(await seen(config)), plain, JSON.stringify(config))
    assert.equal(plain.reply.info.start_time, '0', 'int64 stays a decimal string')
  })

  test('pool: no cap on calls in flight (a pool of 1 still sends a second call at once)', async () => {
    const client = new Native({ address: optionsSim.address, __SKIP_CONNECT__: true, pool: { min: 1, max: 1 } })
    const abort = new AbortController()
    let firstSettled = false
    const first = client.getRestoreSnapshotState({ job_id: 3, signal: abort.signal }).finally(() => (firstSettled = true))
    try {
      // Job 3 answers after 60 s: the second call completes while the first is still waiting.
      assert.equal((await client.getRestoreSnapshotState({ job_id: 1 })).info.job_id, '1')
      assert.equal(firstSettled, false)
    } finally {
      abort.abort()
      await assert.rejects(first, { name: 'AbortError' })
      await client.closeConnection()
    }
  })

  test('channelOptions: message-size limits and user agents as grpc-js applies them (side by side)', async () => {
    const big = await startSim({ record: true, fixtures: { 1: { info: { job_id: '1', state: 3, snapshot_name: 'x'.repeat(200) } } } })
    try {
      const outcome = async (Client, channelOptions) => {
        const client = new Client({ address: big.address, __SKIP_CONNECT__: true, channelOptions })
        try {
          const r = await client.getRestoreSnapshotState({ job_id: 1 })
          return r.info.job_id
        } catch (e) {
          return `${e.code} ${e.message}`
        } finally {
          await client.closeConnection()
        }
      }
      for (const options of [
        { 'grpc.max_receive_message_length': 10 },
        { 'grpc.max_receive_message_length': 1000 },
        { 'grpc.max_receive_message_length': -1 },
        { 'grpc.max_send_message_length': 1 },
        { 'grpc.max_send_message_length': -1 },
      ]) {
        assert.equal(await outcome(Native, options), await outcome(Official, options), JSON.stringify(options))
      }
      assert.equal(await outcome(Native, { 'grpc.max_receive_message_length': 10 }), '8 8 RESOURCE_EXHAUSTED: Received message larger than max (212 vs 10)')
      const from = big.records().length
      await outcome(Official, { 'grpc.primary_user_agent': 'app/1.0', 'grpc.secondary_user_agent': 'x/2' })
      await outcome(Native, { 'grpc.primary_user_agent': 'app/1.0', 'grpc.secondary_user_agent': 'x/2' })
      const agents = big.records().slice(from).map((r) => r.headers['user-agent'])
      assert.equal(agents.length, 2)
      assert.equal(agents[0].replace(/grpc-node-js\/[\d.]+/, 'CLIENT'), 'app/1.0 CLIENT x/2')
      assert.equal(agents[1].replace(/milvus-native\/[\d.]+/, 'CLIENT'), 'app/1.0 CLIENT x/2')
    } finally {
      await big.stop()
    }
    assert.throws(() => new Native({ address: '127.0.0.1:1', channelOptions: { 'grpc.keepalive_time_ms': '10s' } }), /`channelOptions\['grpc\.keepalive_time_ms'\]` option must be number; got string/)
    assert.throws(() => new Native({ address: '127.0.0.1:1', channelOptions: { 'grpc.max_receive_message_length': 1.5 } }), /grpc\.max_receive_message_length/)
  })

  test('channelOptions: grpc.ssl_target_name_override is the name verified (tls.serverName wins)', async () => {
    const c = await getCerts()
    const tlsSim = await startSim({ record: true, fixtures: OPTIONS_FIXTURES, tls: { cert: c.serverCert, key: c.serverKey } })
    const call = (tls, channelOptions) => seen({ maxRetries: 0, tls: { rootCertPath: c.ca, ...tls }, channelOptions }, { job_id: 1 }, tlsSim)
    try {
      await assert.rejects(call({}, { 'grpc.ssl_target_name_override': 'example.com' }), { code: 14, message: /example\.com/ })
      assert.equal((await call({}, { 'grpc.ssl_target_name_override': 'localhost' })).reply.info.job_id, '1')
      assert.equal((await call({ serverName: 'localhost' }, { 'grpc.ssl_target_name_override': 'example.com' })).reply.info.job_id, '1')
    } finally {
      await tlsSim.stop()
    }
  })

  test('channelOptions: keepalive pings at grpc.keepalive_time_ms, also while idle unless permit_without_calls is 0', async () => {
    // A TCP relay in front of the simulator counts the HTTP/2 PING frames the client sends.
    const net = require('node:net')
    const pingsWith = async (channelOptions) => {
      let pings = 0
      const relay = net.createServer((down) => {
        const up = net.connect(optionsSim.port, '127.0.0.1')
        let buf = Buffer.alloc(0)
        let preface = true
        down.on('data', (chunk) => {
          buf = Buffer.concat([buf, chunk])
          if (preface && buf.length >= 24) {
            buf = buf.subarray(24)
            preface = false
          }
          while (!preface && buf.length >= 9) {
            const len = buf.readUIntBE(0, 3)
            if (buf.length < 9 + len) break
            if (buf[3] === 0x6 && (buf[4] & 0x1) === 0) pings++
            buf = buf.subarray(9 + len)
          }
        })
        down.pipe(up).pipe(down)
        const end = () => (down.destroy(), up.destroy())
        down.on('error', end).on('close', end)
        up.on('error', end).on('close', end)
      })
      await new Promise((r) => relay.listen(0, '127.0.0.1', r))
      const client = new Native({ address: `127.0.0.1:${relay.address().port}`, __SKIP_CONNECT__: true, channelOptions })
      try {
        await client.getRestoreSnapshotState({ job_id: 1 })
        // Idle for a while: no call in flight.
        await new Promise((r) => setTimeout(r, 1200))
        return pings
      } finally {
        await client.closeConnection()
        relay.close()
      }
    }
    const fast = await pingsWith({ 'grpc.keepalive_time_ms': 100, 'grpc.keepalive_timeout_ms': 5000 })
    assert.ok(fast >= 3, `${fast} pings in 1.2 s at a 100 ms period`)
    assert.equal(await pingsWith(undefined), 0, 'the default period is 10 s')
    assert.equal(await pingsWith({ 'grpc.keepalive_time_ms': 100, 'grpc.keepalive_permit_without_calls': 0 }), 0)
  })
})
