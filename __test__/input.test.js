'use strict'
// job_id validation (SPEC §3, §5, issue 2 point 7): a safe-integer number, a decimal string
// (full int64 range) or a bigint is sent losslessly; anything else rejects before any RPC with a
// clear error naming the field; a missing job_id rejects with the official message.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim } = require('./helpers/sim')

const I64_MAX = '9223372036854775807'
const I64_MIN = '-9223372036854775808'

async function withSimOnly(fn) {
  return withSim((n, _o, sim) => fn(n, sim), { official: false })
}

/** Runs fn(native, official, sim) against a fresh recording sim. */
async function withSim(fn, { official = true } = {}) {
  const sim = await startSim({ record: true })
  const n = new Native({ address: sim.address, __SKIP_CONNECT__: true })
  const o = official ? new Official({ address: sim.address, __SKIP_CONNECT__: true }) : undefined
  try {
    await fn(n, o, sim)
  } finally {
    await Promise.all([n.closeConnection(), o && o.closeConnection()])
    await sim.stop()
  }
}

function stateCalls(sim) {
  return sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
}

/** Calls the method, checking it returned a promise rather than throwing. */
function call(client, arg, ...rest) {
  const p = client.getRestoreSnapshotState(arg, ...rest)
  assert.ok(p instanceof Promise, 'the method must return a promise')
  return p
}

const BAD = [
  ['abc', 'the string "abc"'],
  ['', 'the string ""'],
  [' 12', 'the string " 12"'],
  ['1e3', 'the string "1e3"'],
  ['0x10', 'the string "0x10"'],
  [1.5, '1.5'],
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [{}, 'object'],
  [null, 'null'],
  [[], 'array'],
  [[7], 'array'],
  [true, 'boolean'],
  ['9223372036854775808', 'the string "9223372036854775808"'],
  ['-9223372036854775809', 'the string "-9223372036854775809"'],
  [2n ** 63n, 'bigint'],
  [-(2n ** 63n) - 1n, 'bigint'],
  [2n ** 200n, 'bigint'],
  [2 ** 53 + 2, 'MAX_SAFE_INTEGER'],
  [-(2 ** 53) - 2, 'MAX_SAFE_INTEGER'],
]

function label(v) {
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'number') return String(v)
  return JSON.stringify(v)
}

for (const [value, says] of BAD) {
  test(`job_id ${label(value)} rejects naming job_id and what it accepts`, async () => {
    await withSimOnly(async (n, sim) => {
      await assert.rejects(call(n, { job_id: value }), (e) => {
        assert.equal(Object.getPrototypeOf(e), Error.prototype, `not a plain Error: ${e && e.constructor.name}`)
        assert.match(e.message, /`job_id`/)
        assert.match(e.message, /int64/)
        assert.match(e.message, /safe integer/)
        assert.match(e.message, /decimal string/)
        assert.match(e.message, /bigint/)
        assert.ok(e.message.includes(says), `message should say what was given (${says}): ${e.message}`)
        return true
      })
      // Nothing reached the server; a good call afterwards does.
      const ok = await call(n, { job_id: 1 })
      assert.equal(ok.status.code, 2101)
      assert.deepEqual(stateCalls(sim).map((r) => r.request.job_id), ['1'])
    })
  })
}

test('every bad job_id together: none reaches the server', async () => {
  await withSimOnly(async (n, sim) => {
    const results = await Promise.allSettled(BAD.map(([v]) => call(n, { job_id: v })))
    assert.deepEqual(
      results.map((r) => r.status),
      BAD.map(() => 'rejected'),
    )
    await call(n, { job_id: 2 })
    assert.deepEqual(stateCalls(sim).map((r) => r.request.job_id), ['2'])
  })
})

const GOOD = [
  [0, '0'],
  [4471, '4471'],
  [-5, '-5'],
  [-0, '0'],
  [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  [Number.MIN_SAFE_INTEGER, '-9007199254740991'],
  ['4471', '4471'],
  ['-17', '-17'],
  ['007', '7'],
  [I64_MAX, I64_MAX],
  [I64_MIN, I64_MIN],
  ['9007199254740993', '9007199254740993'],
  [0n, '0'],
  [4471n, '4471'],
  [9223372036854775807n, I64_MAX],
  [-9223372036854775808n, I64_MIN],
  [9007199254740993n, '9007199254740993'],
]

test('good job_id values are sent losslessly', async () => {
  await withSimOnly(async (n, sim) => {
    for (const [value] of GOOD) {
      const res = await call(n, { job_id: value })
      assert.equal(res.status.code, 2101)
      assert.equal(res.info, null)
    }
    assert.deepEqual(
      stateCalls(sim).map((r) => r.request.job_id),
      GOOD.map(([, sent]) => sent),
    )
  })
})

test('the server sees the same job_id from both clients for numbers and strings', async () => {
  // The official SDK crashes on a bigint (protobufjs), so bigints are not compared.
  const values = GOOD.map(([v]) => v).filter((v) => typeof v !== 'bigint')
  await withSim(async (n, o, sim) => {
    for (const v of values) {
      const [off, nat] = await Promise.all([call(o, { job_id: v }), call(n, { job_id: v })])
      assert.deepEqual(nat, off)
    }
    const sent = stateCalls(sim).map((r) => r.request.job_id)
    assert.equal(sent.length, values.length * 2)
    for (let i = 0; i < sent.length; i += 2) assert.equal(sent[i], sent[i + 1], `value ${label(values[i / 2])}`)
  })
})

const MISSING = [
  ['no argument', []],
  ['undefined', [undefined]],
  ['null', [null]],
  ['{}', [{}]],
  ['{ job_id: undefined }', [{ job_id: undefined }]],
  ['only other keys', [{ timeout: 100, client_request_id: 'x' }]],
  ['a string argument', ['4471']],
  ['a number argument', [4471]],
]

for (const [name, args] of MISSING) {
  test(`missing job_id (${name}): the official message, like the official SDK`, async () => {
    await withSim(async (n, o, sim) => {
      const off = o.getRestoreSnapshotState(...args)
      const nat = call(n, ...args)
      await assert.rejects(off, { message: 'The `job_id` property is missing.' })
      await assert.rejects(nat, (e) => {
        assert.equal(Object.getPrototypeOf(e), Error.prototype)
        assert.equal(e.message, 'The `job_id` property is missing.')
        assert.equal(e.code, undefined)
        return true
      })
      assert.deepEqual(stateCalls(sim), [])
    })
  })
}

test('validation comes before the network: against an unreachable address the validation error wins', async () => {
  const n = new Native({ address: '127.0.0.1:1', __SKIP_CONNECT__: true })
  try {
    await assert.rejects(call(n, { job_id: 'abc' }), /`job_id`/)
    await assert.rejects(call(n), { message: 'The `job_id` property is missing.' })
  } finally {
    await n.closeConnection()
  }
})
