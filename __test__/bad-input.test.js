'use strict'
// Bad input (issue 6, item 7): every public method × every field × hostile values. Each call
// must return a promise (never throw synchronously) that settles: either a clear rejection
// (an Error whose message names the field, and short) or the behaviour the README documents
// ("Differences from the official SDK"): the official "is missing" message for absent and
// falsy names, accepted-and-sent for strings, int64 values that fit, and so on. Bad options
// throw at construction with a message naming the option.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { MilvusClient } = require('..')
const { startSim, genCerts } = require('./helpers/sim')

const MISSING = Symbol('missing')
const MB = 'x'.repeat(1 << 20)

// The brief's list, plus the other JavaScript types.
const VALUES = {
  missing: MISSING,
  null: null,
  undefined: undefined,
  'wrong type (true)': true,
  "''": '',
  whitespace: '  ',
  'whitespace with tab/newline': ' \t\n ',
  negative: -1,
  zero: 0,
  '1.5': 1.5,
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
  '1 MB string': MB,
  'beyond int64 (string)': '9223372036854775808',
  'beyond int64 (number)': 2 ** 64,
  'beyond int64 (bigint)': 2n ** 63n,
  'decimal string': '4471',
  'negative string': '-5',
  object: {},
  array: [],
  bigint: 42n,
  symbol: Symbol('s'),
  function: () => 1,
  date: new Date(0),
}

const STRINGS = new Set(["''", 'whitespace', 'whitespace with tab/newline', '1 MB string', 'beyond int64 (string)', 'decimal string', 'negative string'])
const FALSY = new Set(['missing', 'null', 'undefined', "''", 'zero', 'NaN'])

// What each kind of field does with each value: 'missing' (the official message), 'reject'
// (a new message naming the field), 'accept' (sent; the call settles as the server says),
// 'settle' (any settled outcome: documented below where it is used).
const KINDS = {
  // collection_name, snapshot_name, ...: the official `!data.x` check, then strings only.
  name(v) {
    if (FALSY.has(v)) return 'missing'
    return STRINGS.has(v) ? 'accept' : 'reject'
  },
  // db_name, description, ...: absent or null sends the default; else strings only.
  optionalString(v) {
    if (v === 'missing' || v === 'undefined' || v === 'null') return 'accept'
    return STRINGS.has(v) ? 'accept' : 'reject'
  },
  // job_id, pin_id: the official `typeof x === 'undefined'` check; then an int64 that fits.
  int64(v) {
    if (v === 'missing' || v === 'undefined') return 'missing'
    return ['negative', 'zero', 'decimal string', 'negative string', 'bigint'].includes(v) ? 'accept' : 'reject'
  },
  optionalInt64(v) {
    if (v === 'missing' || v === 'undefined' || v === 'null') return 'accept'
    return KINDS.int64(v)
  },
  // A call's timeout (ms), read as the official `timeout || client timeout`: a falsy value means
  // the client's; a negative number is a deadline already past (4 DEADLINE_EXCEEDED, nothing
  // sent). 1.5 ms is a real (tiny) deadline: it resolves or rejects 4 DEADLINE_EXCEEDED.
  timeout(v) {
    if (FALSY.has(v) || v === 'undefined' || v === 'null') return 'accept'
    if (v === 'negative' || v === '-Infinity') return v === 'negative' ? 'expired' : 'reject'
    if (v === '1.5') return 'deadline'
    return 'reject'
  },
  // client_request_id / 'client-request-id': a printable ASCII string, sent as a header; a
  // falsy value sends none, as the official client does.
  requestId(v) {
    if (['missing', 'undefined', 'null', "''", 'zero', 'NaN', 'whitespace', 'beyond int64 (string)', 'decimal string', 'negative string'].includes(v)) return 'accept'
    if (v === 'whitespace with tab/newline') return 'reject'
    // 1 MB of header: a settled rejection (the HTTP/2 layer refuses it); see the todo below.
    if (v === '1 MB string') return 'settle'
    return 'reject'
  },
  signal(v) {
    return ['missing', 'undefined', 'null'].includes(v) ? 'accept' : 'reject'
  },
  // waitForRestoreSnapshot's own options (README): finite numbers of ms, at least 1, with no
  // upper limit (2^64 ms is "never").
  waitTimeout(v) {
    if (['missing', 'undefined', 'null', '1.5', 'beyond int64 (number)'].includes(v)) return 'accept'
    return 'reject'
  },
  interval(v) {
    if (['missing', 'undefined', 'null', '1.5', 'beyond int64 (number)'].includes(v)) return 'accept'
    return 'reject'
  },
  // An option a method does not have: accepted and ignored (SPEC 7.5).
  ignored() {
    return 'accept'
  },
  onProgress(v) {
    return ['missing', 'undefined', 'null', 'function'].includes(v) ? 'accept' : 'reject'
  },
}

const COMMON = { timeout: 'timeout', client_request_id: 'requestId', 'client-request-id': 'requestId', signal: 'signal' }
// The waiter's `timeout` is the whole wait's; it sends no request id (README: its options are
// job_id, timeout, interval, onProgress, signal).
const WAIT_COMMON = { timeout: 'waitTimeout', client_request_id: 'ignored', 'client-request-id': 'ignored', signal: 'signal' }

// Each method: a request that resolves, and the kind of each field.
const METHODS = {
  getRestoreSnapshotState: { base: { job_id: 77 }, fields: { job_id: 'int64' } },
  createSnapshot: {
    base: { collection_name: 'books', snapshot_name: 'bad-input' },
    fields: { collection_name: 'name', snapshot_name: 'name', db_name: 'optionalString', description: 'optionalString', compaction_protection_seconds: 'optionalInt64' },
  },
  dropSnapshot: { base: { collection_name: 'books', snapshot_name: 's' }, fields: { collection_name: 'name', snapshot_name: 'name', db_name: 'optionalString' } },
  listSnapshots: { base: { collection_name: 'books' }, fields: { collection_name: 'name', db_name: 'optionalString' } },
  describeSnapshot: { base: { collection_name: 'books', snapshot_name: 's' }, fields: { collection_name: 'name', snapshot_name: 'name', db_name: 'optionalString' } },
  restoreSnapshot: {
    base: { snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'b2' },
    fields: {
      snapshot_name: 'name',
      source_collection_name: 'name',
      target_collection_name: 'name',
      source_db_name: 'optionalString',
      target_db_name: 'optionalString',
    },
  },
  listRestoreSnapshotJobs: { base: {}, fields: { db_name: 'optionalString', collection_name: 'optionalString' } },
  pinSnapshotData: {
    base: { collection_name: 'books', snapshot_name: 's' },
    fields: { collection_name: 'name', snapshot_name: 'name', db_name: 'optionalString', ttl_seconds: 'optionalInt64' },
  },
  unpinSnapshotData: { base: { pin_id: 1 }, fields: { pin_id: 'int64' } },
  waitForRestoreSnapshot: {
    base: { job_id: 77, interval: 10, timeout: 2000 },
    fields: { job_id: 'int64', timeout: 'waitTimeout', interval: 'interval', onProgress: 'onProgress' },
  },
}

function withField(base, field, value) {
  const req = { ...base }
  if (value === MISSING) delete req[field]
  else req[field] = value
  return req
}

function describe(v) {
  if (typeof v === 'string') return v.length > 40 ? `${JSON.stringify(v.slice(0, 10))}… (${v.length} chars)` : JSON.stringify(v)
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'symbol') return v.toString()
  return String(v)
}

/** Calls and settles; reports how, never throwing. */
async function outcome(fn) {
  let p
  try {
    p = fn()
  } catch (e) {
    return { how: 'sync-throw', error: e }
  }
  if (!p || typeof p.then !== 'function') return { how: 'not-a-promise' }
  let timer
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve({ how: 'hang' }), 15000)))
  const settled = p.then(
    (value) => ({ how: 'resolved', value }),
    (error) => ({ how: 'rejected', error })
  )
  const r = await Promise.race([settled, timeout])
  clearTimeout(timer)
  return r
}

/** Why the outcome does not match the expectation, or null. */
function mismatch(method, field, expected, r) {
  if (r.how === 'sync-throw') return `threw synchronously: ${r.error && r.error.message}`
  if (r.how === 'not-a-promise' || r.how === 'hang') return r.how
  const e = r.error
  // "Accepted" for the waiter includes its documented rejections (the job state decides).
  const accepted =
    r.how === 'resolved' || (method === 'waitForRestoreSnapshot' && e && e.name === 'RestoreSnapshotError')
  switch (expected) {
    case 'accept':
      return accepted ? null : `rejected: ${e && e.message}`
    case 'deadline':
      return accepted || (e && e.code === 4) ? null : `rejected: ${e && e.message}`
    case 'notAnObject':
      return r.how === 'rejected' && e instanceof TypeError && /^The argument of \w+ must be an object when given; got a value of type \w+\.$/.test(e.message)
        ? null
        : `${r.how}: ${e && e.message}`
    case 'expired':
      return r.how === 'rejected' && e && e.code === 4 && /^4 DEADLINE_EXCEEDED: /.test(e.message) ? null : `${r.how}: ${e && e.message}`
    case 'settle':
      return null
    case 'missing':
      if (r.how !== 'rejected') return 'resolved'
      return e instanceof Error && e.message === `The \`${field}\` property is missing.` ? null : `message ${JSON.stringify(e && e.message)}`
    case 'reject': {
      if (r.how !== 'rejected') return 'resolved'
      if (!(e instanceof Error)) return `rejected with a non-Error ${String(e)}`
      const names = e.message.includes(`\`${field}\``) || e.message.includes(`\`'${field}'\``)
      if (!names) return `message does not name \`${field}\`: ${JSON.stringify(e.message.slice(0, 200))}`
      if (e.message.length > 400) return `message of ${e.message.length} chars`
      if (/\b(Str|Number|Bool|Other|BigInt)\(|\{ value: /.test(e.message)) return `Rust Debug text in the message: ${JSON.stringify(e.message.slice(0, 200))}`
      return null
    }
  }
  return `unknown expectation ${expected}`
}

let sim
let client
test.before(async () => {
  sim = await startSim({
    args: ['--collection', 'default/books'],
    fixtures: {
      77: { info: { job_id: '77', state: 3, progress: 100 } },
      42: { info: { job_id: '42', state: 3, progress: 100 } },
      4471: { info: { job_id: '4471', state: 3, progress: 100 } },
    },
  })
  client = new MilvusClient({ address: sim.address, timeout: 10000, maxRetries: 0 })
})
test.after(async () => {
  await client.closeConnection()
  await sim.stop()
})

/** Runs every (field, value) of one method; returns the problems and the count. */
async function sweep(method, fields) {
  const { base } = METHODS[method]
  const problems = []
  let count = 0
  const one = async (field, kind, name, value) => {
    const expected = KINDS[kind](name)
    const r = await outcome(() => client[method](withField(base, field, value)))
    count++
    const why = mismatch(method, field, expected, r)
    if (why) problems.push(`${method}({ ${field}: ${describe(value)} }) expected ${expected}: ${why}`)
  }
  const isolated = []
  for (const [field, kind] of Object.entries(fields)) {
    const jobs = []
    for (const [name, value] of Object.entries(VALUES)) {
      // 'settle' values break the shared connection (see the 1 MB header todo): run them
      // alone, after the others, so they cannot fail calls that are not theirs.
      if (KINDS[kind](name) === 'settle') isolated.push([field, kind, name, value])
      else jobs.push(one(field, kind, name, value))
    }
    await Promise.all(jobs)
  }
  for (const args of isolated) {
    await one(...args)
    await client.getRestoreSnapshotState({ job_id: 77 }).catch(() => {}) // reconnect
  }
  return { problems, count }
}

for (const [method, { fields }] of Object.entries(METHODS)) {
  test(`${method}: every field × ${Object.keys(VALUES).length} values settles as documented`, async (t) => {
    const { problems, count } = await sweep(method, fields)
    t.diagnostic(`${count} calls`)
    assert.deepEqual(problems, [])
  })
  test(`${method}: the request options (timeout, client_request_id, 'client-request-id', signal) × every value`, async (t) => {
    const { problems, count } = await sweep(method, method === 'waitForRestoreSnapshot' ? WAIT_COMMON : COMMON)
    t.diagnostic(`${count} calls`)
    assert.deepEqual(problems, [])
  })
}

test('the whole argument × every value: the first required field is missing, or accepted where optional', async () => {
  const problems = []
  for (const method of Object.keys(METHODS)) {
    const first = Object.entries(METHODS[method].fields).find(([, kind]) => kind === 'name' || kind === 'int64')
    for (const [name, value] of Object.entries(VALUES)) {
      const r = await outcome(() => (value === MISSING ? client[method]() : client[method](value)))
      // An array or function is an object: its properties are read like a request's. The one
      // method without a required field takes an object or nothing (README: Differences).
      const primitive = value !== MISSING && value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value)) && typeof value !== 'function'
      const expected = first ? 'missing' : primitive ? 'notAnObject' : 'accept'
      const why = mismatch(method, first ? first[0] : '', expected, r)
      if (why) problems.push(`${method}(${describe(value)}) expected ${expected}: ${why}`)
    }
  }
  for (const method of ['getVersion', 'checkHealth']) {
    for (const [name, value] of Object.entries(VALUES)) {
      const r = await outcome(() => client[method](value))
      if (r.how !== 'resolved') problems.push(`${method}(${name}): ${r.how} ${r.error && r.error.message}`)
    }
  }
  assert.deepEqual(problems, [])
})

test('use({ db_name }) / useDatabase: strings and falsy values accepted; other types reject naming `db_name`', async (t) => {
  const problems = []
  const todo = []
  for (const method of ['use', 'useDatabase']) {
    for (const [name, value] of Object.entries(VALUES)) {
      if (name === '1 MB string' || name === 'whitespace with tab/newline') continue // below
      const expected = FALSY.has(name) || STRINGS.has(name) ? 'accept' : 'reject'
      const r = await outcome(() => client[method](withField({}, 'db_name', value)))
      const why = mismatch(method, 'db_name', expected, r)
      if (why && /does not name/.test(why)) todo.push(`${method}({ db_name: ${describe(value)} }): ${why}`)
      else if (why) problems.push(`${method}({ db_name: ${describe(value)} }) expected ${expected}: ${why}`)
    }
  }
  await client.use({ db_name: 'default' })
  assert.deepEqual(problems, [])
  t.diagnostic(`${todo.length} rejections that do not name the field (see the todo test)`)
})

test(
  'use({ db_name: <not a string> }) rejects naming `db_name`',
  async () => {
    await assert.rejects(client.use({ db_name: true }), /`db_name`/)
    await assert.rejects(client.use({ db_name: 5 }), /`db_name`/)
    await assert.rejects(client.use({ db_name: {} }), /`db_name`/)
  }
)

test('use({ db_name }) with a 1 MB or a control-character name: settles; the client keeps working after use({ db_name: "default" })', async () => {
  for (const db of [MB, ' \t\n ']) {
    const r = await outcome(() => client.use({ db_name: db }))
    assert.notEqual(r.how, 'sync-throw')
    assert.notEqual(r.how, 'hang')
    const call = await outcome(() => client.getRestoreSnapshotState({ job_id: 77 }))
    assert.ok(call.how === 'resolved' || call.how === 'rejected', call.how)
    await client.use({ db_name: 'default' })
  }
  const res = await client.getRestoreSnapshotState({ job_id: 77 })
  assert.equal(res.info.job_id, '77')
})

test('a 1 MB client_request_id: the call settles, calls in flight beside it settle, and the client works afterwards', async () => {
  const others = Array.from({ length: 20 }, () => client.getRestoreSnapshotState({ job_id: 77 }))
  const r = await outcome(() => client.getRestoreSnapshotState({ job_id: 77, client_request_id: MB }))
  assert.ok(r.how === 'resolved' || r.how === 'rejected', r.how)
  const settled = await Promise.allSettled(others)
  // Calls sharing the connection may be caught in its reset; each settles.
  assert.equal(settled.length, 20)
  const res = await client.getRestoreSnapshotState({ job_id: 77 })
  assert.equal(res.info.job_id, '77')
})

test(
  'an oversized client_request_id (20 KB, 1 MB) rejects with a clear error naming the field, without a retry',
  async () => {
    const c = new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true })
    try {
      for (const id of ['x'.repeat(20000), MB]) {
        await assert.rejects(c.getRestoreSnapshotState({ job_id: 77, client_request_id: id }), (e) => {
          assert.match(e.message, /client_request_id/)
          assert.doesNotMatch(e.message, /retried/)
          return true
        })
      }
    } finally {
      await c.closeConnection()
    }
  }
)

test('hostile request objects: a throwing getter, a null prototype, an inherited field, a frozen object', async () => {
  const boom = new Error('boom')
  const throwing = { get job_id() { throw boom } }
  const r1 = await outcome(() => client.getRestoreSnapshotState(throwing))
  assert.equal(r1.how, 'rejected')
  assert.equal(r1.error, boom)
  const nullProto = Object.assign(Object.create(null), { job_id: 77 })
  assert.equal((await client.getRestoreSnapshotState(nullProto)).info.job_id, '77')
  const inherited = Object.create({ job_id: 77 })
  assert.equal((await client.getRestoreSnapshotState(inherited)).info.job_id, '77')
  assert.equal((await client.getRestoreSnapshotState(Object.freeze({ job_id: 77 }))).info.job_id, '77')
})

test(
  'a Proxy that throws on every read, or a throwing `signal`/`onProgress` getter, rejects instead of throwing synchronously',
  async () => {
    const hostile = new Proxy({}, { get() { throw new Error('proxy boom') } })
    for (const method of Object.keys(METHODS)) {
      const r = await outcome(() => client[method](hostile))
      assert.equal(r.how, 'rejected', `${method}: ${r.how}`)
    }
    const r = await outcome(() => client.getRestoreSnapshotState({ job_id: 77, get signal() { throw new Error('x') } }))
    assert.equal(r.how, 'rejected')
    const w = await outcome(() => client.waitForRestoreSnapshot({ job_id: 77, get onProgress() { throw new Error('x') } }))
    assert.equal(w.how, 'rejected')
  }
)

// ---------------------------------------------------------------------------------------
// Bad options: thrown at construction, naming the option.

test('bad options throw at construction with a message naming the option', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'))
  const certs = await genCerts(path.join(dir, 'certs'))
  const notPem = path.join(dir, 'not.pem')
  fs.writeFileSync(notPem, 'hello\n')
  const garbagePem = path.join(dir, 'garbage.pem')
  fs.writeFileSync(garbagePem, '-----BEGIN CERTIFICATE-----\nnot base64 !!!\n-----END CERTIFICATE-----\n')
  const a = '127.0.0.1:19530'
  const cases = [
    [{ address: '' }, /`address`/],
    [{ address: 'http://' }, /`address`/],
    [{ address: 'localhost:notaport' }, /`address`/],
    [{ address: 'a b:1' }, /`address`/],
    [{ address: '127.0.0.1:99999' }, /`address`/],
    [{ address: 'host:-1' }, /`address`/],
    [{ address: ':::' }, /`address`/],
    [{ address: 'localhost:19530/path' }, /`address`/],
    [{ address: 'a\u0000b:1' }, /`address`/],
    [{ address: `${MB}:1` }, /`address`/],
    [{ address: 5 }, /`address`/],
    [{ address: a, timeout: '10x' }, /`timeout`/],
    [{ address: a, timeout: '1.5s' }, /`timeout`/],
    [{ address: a, timeout: '-1s' }, /`timeout`/],
    [{ address: a, timeout: 's' }, /`timeout`/],
    [{ address: a, timeout: '' }, /`timeout`/],
    [{ address: a, timeout: '99999999999999999999s' }, /`timeout`/],
    [{ address: a, timeout: -1 }, /`timeout`/],
    [{ address: a, timeout: NaN }, /`timeout`/],
    [{ address: a, timeout: Infinity }, /`timeout`/],
    [{ address: a, timeout: {} }, /`timeout`/],
    [{ address: a, maxRetries: -1 }, /`maxRetries`/],
    [{ address: a, maxRetries: 1.5 }, /`maxRetries`/],
    [{ address: a, maxRetries: NaN }, /`maxRetries`/],
    [{ address: a, maxRetries: Infinity }, /`maxRetries`/],
    [{ address: a, maxRetries: '3' }, /`maxRetries`/],
    [{ address: a, retryDelay: -1 }, /`retryDelay`/],
    [{ address: a, retryDelay: NaN }, /`retryDelay`/],
    [{ address: a, tls: { rootCertPath: path.join(dir, 'nope.pem') } }, /`tls\.rootCertPath`/],
    [{ address: a, tls: { rootCertPath: dir } }, /`tls\.rootCertPath`/],
    [{ address: a, tls: { rootCertPath: notPem } }, /`tls\.rootCert(Path)?`/],
    [{ address: a, tls: { rootCertPath: garbagePem } }, /`tls\.rootCert(Path)?`/],
    [{ address: a, tls: { rootCert: 'garbage' } }, /`tls\.rootCert`/],
    [{ address: a, tls: { rootCert: '' } }, /`tls\.rootCert`/],
    [{ address: a, tls: { privateKeyPath: path.join(dir, 'nope.key'), certChainPath: certs.clientCert } }, /`tls\.privateKeyPath`/],
    [{ address: a, tls: { privateKey: 'garbage', certChain: fs.readFileSync(certs.clientCert) } }, /`tls\.privateKey`/],
    [{ address: a, tls: { privateKeyPath: certs.clientKey, certChainPath: notPem } }, /`tls\.certChain(Path)?`/],
    [{ address: a, tls: 'yes' }, /`tls`/],
    [{ address: a, logLevel: 'verbose' }, /`logLevel`/],
  ]
  const problems = []
  for (const [config, want] of cases) {
    let thrown
    try {
      const c = new MilvusClient(config)
      await c.closeConnection()
    } catch (e) {
      thrown = e
    }
    const label = JSON.stringify(config, (k, v) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 10)}…` : v))
    if (!thrown) problems.push(`${label}: did not throw`)
    else if (!(thrown instanceof Error)) problems.push(`${label}: threw a non-Error`)
    else if (!want.test(thrown.message)) problems.push(`${label}: ${JSON.stringify(thrown.message.slice(0, 160))}`)
    else if (thrown.message.length > 400) problems.push(`${label}: message of ${thrown.message.length} chars`)
  }
  assert.deepEqual(problems, [])
})

test(
  'a time token too large for a gRPC deadline throws at construction',
  () => {
    assert.throws(() => new MilvusClient({ address: '127.0.0.1:19530', timeout: '99999Y', __SKIP_CONNECT__: true }), /`timeout`/)
  }
)

