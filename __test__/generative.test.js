'use strict'
// Generative differential (issue 13): thousands of random cases, each one call of one of the
// nine snapshot methods made by the official SDK and by milvus-native against the same
// milvus-sim, whose reply for that method is scripted (random wire bytes, or a gRPC failure) by
// rewriting its --fixtures file (--fixtures-reload). Per case: the outcome, JSON.stringify of the
// value (key order included), the rejection's message and code, and what the server decoded and
// which headers it got. A difference passes only where README "Differences from the official
// SDK" lists it (the RULES of helpers/judge.js, each naming its bullet); everything else fails
// with the seed and the shrunk case.
//
// MILVUS_NATIVE_FC_SEED=<n> reproduces a run; MILVUS_NATIVE_FC_RUNS=<n> sets the number of cases
// (default 2000, about 40 s here); MILVUS_NATIVE_FC_DEBUG=1 names the slow cases.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const fc = require('fast-check')
const { MilvusClient: Official } = require('@zilliz/milvus2-sdk-node')
const { MilvusClient: Native } = require('..')
const { startSim } = require('./helpers/sim')
const { encode } = require('./helpers/wire')
const { testCase, materialise } = require('./helpers/generative')
const { judge, show, containsBigInt } = require('./helpers/judge')

const SEED = Number(process.env.MILVUS_NATIVE_FC_SEED || 20261202)
const RUNS = Number(process.env.MILVUS_NATIVE_FC_RUNS || 2000)

const RPC = {
  getRestoreSnapshotState: 'GetRestoreSnapshotState',
  createSnapshot: 'CreateSnapshot',
  dropSnapshot: 'DropSnapshot',
  listSnapshots: 'ListSnapshots',
  describeSnapshot: 'DescribeSnapshot',
  restoreSnapshot: 'RestoreSnapshot',
  listRestoreSnapshotJobs: 'ListRestoreSnapshotJobs',
  pinSnapshotData: 'PinSnapshotData',
  unpinSnapshotData: 'UnpinSnapshotData',
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-gen-'))
const fixturesPath = path.join(dir, 'fixtures.json')
let sim, official, native, recordOffset = 0

// The official SDK crashes the process on some inputs (an unhandled rejection from grpc-js);
// while a case runs, such an event is recorded as that client's outcome instead.
let crashes = []
const onCrash = (e) => crashes.push(e)

before(async () => {
  fs.writeFileSync(fixturesPath, '{}')
  sim = await startSim({ record: true, args: ['--fixtures', fixturesPath, '--fixtures-reload'] })
  official = new Official({ address: sim.address })
  native = new Native({ address: sim.address })
  await Promise.all([official.connectPromise, native.connectPromise])
  process.on('unhandledRejection', onCrash)
  process.on('uncaughtException', onCrash)
})

after(async () => {
  process.off('unhandledRejection', onCrash)
  process.off('uncaughtException', onCrash)
  await Promise.all([official && official.closeConnection(), native && native.closeConnection()])
  if (sim) await sim.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Scripts the simulator's answer to every call of `rpc` (atomically: write, then rename). */
function script(rpc, reply) {
  const fault = reply.grpc
    ? { code: reply.grpc.code, message: reply.grpc.message }
    : { raw_message_base64: encode(reply.entries).toString('base64') }
  const tmp = `${fixturesPath}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ [rpc]: { fault } }))
  fs.renameSync(tmp, fixturesPath)
}

/** The record lines written since the last call (the file only grows). */
function newRecords() {
  const buf = fs.readFileSync(sim.recordPath)
  const text = buf.subarray(recordOffset).toString('utf8')
  const end = text.lastIndexOf('\n') + 1
  recordOffset += Buffer.byteLength(text.slice(0, end))
  return text
    .slice(0, end)
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l))
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Runs one call; its outcome, with a crash (unhandled error) or a hang said as such. */
async function outcome(client, method, arg) {
  crashes = []
  let timer
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hang' }), 20000)
  })
  const call = (async () => client[method](arg))().then(
    (value) => ({ kind: 'resolve', value }),
    (error) => ({ kind: 'reject', error })
  )
  const out = await Promise.race([call, hang])
  clearTimeout(timer)
  // An unhandled rejection is reported after the microtask queue drains.
  await sleep(0)
  if (crashes.length) return { kind: 'crash', error: crashes[0], settled: out }
  return out
}

/** Whether a rejected call was answered by the server (not a local check, deadline or encoding). */
function reachedServer(o) {
  return o.kind === 'reject' && typeof o.error.code === 'number' && o.error.code !== 4 && !/serialization failure/.test(o.error.message)
}

/** The records of both clients' attempts, told apart by user-agent. */
async function recordsOf(expectOff, expectNat) {
  const deadline = Date.now() + 2000
  const got = { off: [], nat: [] }
  for (;;) {
    for (const r of newRecords()) {
      ;(/grpc-node-js/.test(r.headers['user-agent']) ? got.off : got.nat).push(r)
    }
    if ((got.off.length >= expectOff && got.nat.length >= expectNat) || Date.now() > deadline) return got
    await sleep(5)
  }
}

const MISSING = /^The `\w+` property is missing\.$/

/**
 * Inputs on which the official SDK takes the process down or breaks itself, so they are never
 * given to it (the cases after them would test a broken client):
 * - timeout: its deadline `Date.now() + (timeout || client timeout)` is no time grpc-js can send
 *   (a string, an object, Infinity): grpc-js throws "Deadline is too far in the future" outside
 *   any promise, an unhandled rejection;
 * - bigint: a bigint anywhere in the request makes its request logging (JSON.stringify) throw
 *   inside grpc-js; the pool client is then released twice, an unhandled rejection;
 * - request id: a non-ASCII or control character makes grpc-js's Metadata throw after a pool
 *   client was taken, which is never given back; after ten such calls every call hangs.
 * The official checks run first, so the argument with those values made harmless is run: if it
 * reports a field missing, that is the official outcome; otherwise the outcome is `crash`.
 */
function poison(arg) {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return undefined
  const reasons = []
  const safe = { ...arg }
  const t = arg.timeout || 15000
  if (typeof t !== 'symbol' && typeof t !== 'bigint') {
    const ms = new Date(Date.now() + t).getTime()
    if (Number.isNaN(ms) || ms - Date.now() >= 1e8 * 3600e3) {
      reasons.push('timeout')
      safe.timeout = 30000
    }
  }
  for (const [k, v] of Object.entries(safe)) {
    if (typeof v === 'bigint') {
      if (!reasons.includes('bigint')) reasons.push('bigint')
      safe[k] = v ? 1 : 0
    }
  }
  // A bigint inside `base` breaks the same logging.
  if (containsBigInt(safe.base)) {
    if (!reasons.includes('bigint')) reasons.push('bigint')
    safe.base = null
  }
  const key = arg.client_request_id !== undefined && arg.client_request_id !== null ? 'client_request_id' : 'client-request-id'
  if (typeof arg[key] === 'string' && !/^[ -~]*$/.test(arg[key])) {
    reasons.push('request id')
    safe[key] = 'x'
  }
  return reasons.length ? { reasons, safe } : undefined
}

/** The official outcome, or `crash` (with its reasons) for the inputs of `poison`. */
async function officialOutcome(method, arg) {
  // README: listRestoreSnapshotJobs(null) lists as listRestoreSnapshotJobs() does (the official
  // SDK throws reading `timeout` of null), so the reference is the official call without it.
  if (method === 'listRestoreSnapshotJobs' && arg === null) return outcome(official, method, undefined)
  const p = poison(arg)
  if (!p) return outcome(official, method, arg)
  const checked = await outcome(official, method, p.safe)
  if (checked.kind === 'reject' && MISSING.test(checked.error.message)) return checked
  const sent = checked.kind === 'resolve' || reachedServer(checked)
  return { kind: 'crash', reasons: p.reasons, sent, error: new Error(`official SDK crash or leak (${p.reasons.join(', ')}): predicted, not run`) }
}

// Each class of difference the suite found, as a fixed case run before the random ones
// (fast-check `examples`); each failed before its fix.
const entry = (k, v) => [6, 'bytes', [[1, 'bytes', k], [2, 'bytes', v]]]
const REGRESSIONS = [
  // Map key order: wire order, a repeated key keeps its first place, integer-like keys first,
  // `__proto__` an own key (milvus-native sorted the keys).
  { method: 'dropSnapshot', arg: { collection_name: 'books', snapshot_name: 's' }, reply: { entries: [entry('b', '1'), entry('__proto__', 'p'), entry('a', '2'), entry('b', '3'), entry('10', '4'), entry('', '')] } },
  {
    method: 'getRestoreSnapshotState',
    arg: { job_id: '7' },
    reply: { entries: [[1, 'bytes', [entry('z', '1'), entry('y', '2'), entry('4294967295', '3'), entry('1', '4')]]] },
  },
  // A field of the request message the official SDK sends from the caller's object.
  { method: 'restoreSnapshot', arg: { snapshot_name: 's', source_collection_name: 'books', target_collection_name: 'b2', rewrite_data: true }, reply: { entries: [] } },
  // `base` (common.MsgBase), field 1 of every request: every field sent as protobufjs makes it,
  // an empty object as an empty message, a name protobufjs would drop rejected.
  {
    method: 'getRestoreSnapshotState',
    arg: {
      job_id: '7',
      base: {
        msg_type: 'CreateCollection',
        msgID: '-9223372036854775808',
        timestamp: '18446744073709551615',
        sourceID: 3,
        targetID: null,
        properties: { b: '1', 10: 'x', a: '', ['__proto__']: 'p' },
        replicateInfo: { isReplicate: true, msgTimestamp: 5, replicateID: 'r' },
      },
    },
    reply: { entries: [] },
  },
  { method: 'dropSnapshot', arg: { collection_name: 'books', snapshot_name: 's', base: {} }, reply: { entries: [] } },
  { method: 'unpinSnapshotData', arg: { pin_id: 1, base: { msg_type: -1, properties: false } }, reply: { entries: [] } },
  { method: 'listSnapshots', arg: { collection_name: 'books', base: { msg_type: 'Nope' } }, reply: { entries: [] } },
  { method: 'listRestoreSnapshotJobs', arg: { base: 'base' }, reply: { entries: [] } },
  // Per-call options the official SDK accepts: falsy timeouts and request ids, a negative timeout.
  ...[false, '', NaN, null].map((v) => ({ method: 'listSnapshots', arg: { collection_name: 'books', timeout: v, client_request_id: v }, reply: { entries: [] } })),
  { method: 'listSnapshots', arg: { collection_name: 'books', 'client-request-id': 'x', client_request_id: 0 }, reply: { entries: [] } },
  { method: 'describeSnapshot', arg: { collection_name: 'books', snapshot_name: 's', timeout: -5 }, reply: { entries: [] } },
  // Every missing-field check before any type check, and before a bad signal.
  { method: 'dropSnapshot', arg: { collection_name: Symbol('s'), snapshot_name: '' }, reply: { entries: [] } },
  { method: 'dropSnapshot', arg: { collection_name: 'books', signal: 0 }, reply: { entries: [] } },
  // A text that is not valid Unicode, and a primitive argument of listRestoreSnapshotJobs.
  { method: 'dropSnapshot', arg: { collection_name: 'books', snapshot_name: 's', db_name: '\ud800' }, reply: { entries: [] } },
  { method: 'listRestoreSnapshotJobs', arg: 'books', reply: { entries: [] } },
]

test(`generative differential: ${RUNS} cases, seed ${SEED}`, { timeout: 30 * 60 * 1000 }, async () => {
  let ran = 0
  const property = fc.asyncProperty(testCase, async (c) => {
    ran++
    const t0 = Date.now()
    newRecords() // nothing of an earlier case counts
    script(RPC[c.method], c.reply)
    const off = await officialOutcome(c.method, materialise(c.arg))
    const nat = await outcome(native, c.method, materialise(c.arg))
    // Records: a call the server saw is recorded once it ended; wait only for what must come.
    const sent = (o) => o.sent || o.kind === 'resolve' || reachedServer(o)
    const recs = await recordsOf(sent(off) ? 1 : 0, sent(nat) ? 1 : 0)
    // A call whose deadline had passed may or may not reach the server, and its record may come
    // late: let it land now, so it is not taken for one of the next case's.
    if ([off, nat].some((o) => o.kind === 'reject' && o.error.code === 4)) {
      await sleep(30)
      newRecords()
    }
    // MILVUS_NATIVE_FC_DEBUG=1: say which cases are slow (each should take a few ms).
    if (process.env.MILVUS_NATIVE_FC_DEBUG && Date.now() - t0 > 100) {
      console.log('slow case', Date.now() - t0, 'ms', c.method, util.inspect(c.arg, { breakLength: Infinity }), show(off), show(nat))
    }
    judge(c, off, nat, recs)
  })
  try {
    await fc.assert(property, { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 25 * 60 * 1000, includeErrorInReport: true, examples: REGRESSIONS.map((c) => [c]) })
  } catch (e) {
    e.message = `seed ${SEED} (rerun: MILVUS_NATIVE_FC_SEED=${SEED} node --test __test__/generative.test.js)\n${e.message}`
    throw e
  }
  assert.ok(ran >= RUNS, `only ${ran} cases ran`)
})
