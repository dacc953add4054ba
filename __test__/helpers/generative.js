'use strict'
// Arbitraries of the generative differential suite (__test__/generative.test.js): random request
// arguments for the nine snapshot methods and random replies as wire entries (helpers/wire.js).

const fc = require('fast-check')

// The official SDK's enums (its own descriptor), so replies use every value it knows by name.
const proto = require('@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus.js')
const root = proto.default || proto
const ERROR_CODES = Object.values(root.nested.milvus.nested.proto.nested.common.nested.ErrorCode.values)
const MSG_TYPES = Object.keys(root.nested.milvus.nested.proto.nested.common.nested.MsgType.values)

// ---------------------------------------------------------------- values of every JS type

const oddString = fc.constantFrom(
  '',
  'a',
  'books',
  'snap ✓',
  '失败',
  '"quoted" \\ back',
  'line\nbreak\ttab\u0000nul\u001f',
  '\u2028\u2029',
  '😀👍🏽',
  '\ud800', // a lone surrogate: UTF-8 encoding makes it U+FFFD
  'x'.repeat(300)
)
const text = fc.oneof({ weight: 3, arbitrary: oddString }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) })

/** Anything a caller could put in a property: every `typeof`, and the awkward members of each. */
const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 63, 1e21),
  fc.integer(),
  text,
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(Symbol('s'), () => 1, {}, [], ['a', 'b'], { a: 1 }, new Date(0))
)

// ---------------------------------------------------------------- request fields

const name = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('books', 'b2', 's', 'snap_1', '名字', 'x'.repeat(200)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }) },
  { weight: 2, arbitrary: anyValue }
)
const optionalName = fc.oneof({ weight: 3, arbitrary: name }, { weight: 2, arbitrary: fc.constantFrom(undefined, null, '') })

const I64_MAX = 2n ** 63n - 1n
const I64_MIN = -(2n ** 63n)
const int64 = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1e6, max: 1e12 }) },
  { weight: 2, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 0, -0) },
  { weight: 3, arbitrary: fc.bigInt({ min: I64_MIN, max: I64_MAX }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '9223372036854775807',
      '-9223372036854775808',
      '9223372036854775808',
      '007',
      '-0',
      '+5',
      ' 1',
      '1e3',
      '0x10',
      'abc',
      '',
      '1.0'
    ),
  },
  { weight: 2, arbitrary: fc.oneof(fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.constantFrom(I64_MAX + 1n, I64_MIN - 1n)) },
  { weight: 2, arbitrary: anyValue }
)

// Per-call options. A positive timeout below a few seconds would race the reply, so timeouts
// are large, not positive, or not numbers at all.
const timeout = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(undefined, 0, 30000, 60000, 2 ** 31, 1e12) },
  { weight: 2, arbitrary: fc.constantFrom(null, false, '', NaN, -0, 0n) },
  { weight: 2, arbitrary: fc.constantFrom(-1, -5, -0.5, -1e9) },
  { weight: 2, arbitrary: anyValue.filter((v) => typeof v !== 'number' || !(v > 0 && v < 30000)) }
)

const requestId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('trace-1', 'a-b_c.d', '0', ' spaced ', 'x'.repeat(4096)) },
  { weight: 2, arbitrary: fc.constantFrom('', 'naïve', 'line\nbreak', 'x'.repeat(4097)) },
  { weight: 2, arbitrary: fc.constantFrom(null, false, 0, NaN, 0n) },
  { weight: 2, arbitrary: anyValue }
)

/** Stands for a signal made fresh for each call by `materialise`. */
class SignalOf {
  constructor(kind) {
    this.kind = kind // 'live' | 'aborted' | 'fake' (looks like one, has no removeEventListener)
  }
  toString() {
    return `SignalOf(${this.kind})`
  }
}

const signal = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, new SignalOf('live')) },
  { weight: 1, arbitrary: fc.constantFrom(new SignalOf('aborted'), new SignalOf('fake')) },
  { weight: 2, arbitrary: anyValue }
)

const boolField = fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 2, arbitrary: anyValue })

const U64_MAX = 2n ** 64n - 1n
const uint64 = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, 1760000000000)) },
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('18446744073709551615', '18446744073709551616', '9223372036854775808', '-1', '-0', '007', '+1', '1e3', '', -1, -0.5, 2 ** 53, 2 ** 64) },
  { weight: 1, arbitrary: fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(-1n, U64_MAX + 1n)) },
  { weight: 1, arbitrary: anyValue }
)

// `base` (common.MsgBase, field 1 of every snapshot request): names and numbers of MsgType,
// 64-bit ids, a property map, the deprecated replicateInfo; every field also of any JS type.
// A non-object base, properties or replicateInfo costs the official SDK three retries (~150 ms),
// so those are rarer than the rest.
const msgType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MSG_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 100, 1211, -1, 999, 2 ** 31 - 1, -(2 ** 31)) },
  { weight: 2, arbitrary: fc.constantFrom('Nope', '100', 'createcollection', 'CreateCollection ', 1.5, 2 ** 31, 2 ** 32 + 1, -(2 ** 31) - 1) },
  { weight: 1, arbitrary: anyValue }
)
const propertyKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', '', '0', '10', '01', '-1', 'ключ', '😀', '__proto__', 'constructor', 'toString') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }
)
const propertyValue = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: anyValue })
const properties = fc.oneof(
  { weight: 20, arbitrary: fc.dictionary(propertyKey, propertyValue, { maxKeys: 5 }) },
  { weight: 1, arbitrary: anyValue }
)
const replicateInfo = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({ isReplicate: boolField, msgTimestamp: uint64, replicateID: optionalName, unknown: fc.constant(1) }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: anyValue }
)
const base = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record(
      { msg_type: msgType, msgID: int64, timestamp: uint64, sourceID: int64, targetID: int64, properties, replicateInfo, unknown: anyValue },
      { requiredKeys: [] }
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(undefined, null, {}, [], 'base', 0, false, new Date(0)) },
  { weight: 1, arbitrary: anyValue }
)

// Keys the caller might add: real fields of other requests, near-misses, unicode.
const extraKey = fc.constantFrom('foo', 'Name', 'x-y', 'ключ', 'name', 'collection_name', 'db_name', 'rewrite_data', 'job_id', 'pin_id', 'options')

// What each method's argument may carry besides the per-call options.
const FIELDS = {
  getRestoreSnapshotState: { job_id: int64 },
  createSnapshot: {
    collection_name: name,
    snapshot_name: name,
    db_name: optionalName,
    description: optionalName,
    compaction_protection_seconds: int64,
  },
  dropSnapshot: { collection_name: name, snapshot_name: name, db_name: optionalName },
  listSnapshots: { collection_name: name, db_name: optionalName },
  describeSnapshot: { collection_name: name, snapshot_name: name, db_name: optionalName },
  restoreSnapshot: {
    snapshot_name: name,
    source_collection_name: name,
    source_db_name: optionalName,
    target_collection_name: name,
    target_db_name: optionalName,
    rewrite_data: boolField,
  },
  listRestoreSnapshotJobs: { db_name: optionalName, collection_name: optionalName },
  pinSnapshotData: {
    collection_name: name,
    snapshot_name: name,
    db_name: optionalName,
    ttl_seconds: int64,
  },
  unpinSnapshotData: { pin_id: int64 },
}
// Every snapshot request message has `base` (field 1), which the official SDK sends from the argument.
for (const fields of Object.values(FIELDS)) fields.base = base
const METHODS = Object.keys(FIELDS)

const OPTIONS = { timeout, client_request_id: requestId, 'client-request-id': requestId, signal }

/** A request object: each field absent (key missing) or some value; options; extra keys. */
function requestObject(method) {
  const all = { ...FIELDS[method], ...OPTIONS }
  const required = { collection_name: 1, snapshot_name: 1, source_collection_name: 1, target_collection_name: 1, job_id: 1, pin_id: 1 }
  const requiredKeys = Object.keys(FIELDS[method]).filter((k) => required[k])
  return fc
    .record(
      {
        fields: fc.record(all, { requiredKeys }),
        extra: fc.dictionary(extraKey, anyValue, { maxKeys: 2 }),
        extraFirst: fc.boolean(),
      },
      { requiredKeys: ['fields', 'extra', 'extraFirst'] }
    )
    .map(({ fields, extra, extraFirst }) => {
      // Real fields win over extra keys of the same name; the key order varies.
      const extraOnly = Object.fromEntries(Object.entries(extra).filter(([k]) => !(k in fields)))
      return extraFirst ? { ...extraOnly, ...fields } : { ...fields, ...extraOnly }
    })
}

/** The argument: mostly an object, sometimes absent or not an object at all. */
function argument(method) {
  return fc.oneof(
    { weight: 30, arbitrary: requestObject(method) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, 'books', 5, [], true) }
  )
}

/**
 * A fresh copy of the argument for one call: `signal` markers become real (or fake) signals.
 * Each client gets its own copy, so nothing one does to it reaches the other.
 */
function materialise(arg) {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return arg
  const out = { ...arg }
  const s = out.signal
  if (s instanceof SignalOf) {
    if (s.kind === 'live') out.signal = new AbortController().signal
    else if (s.kind === 'aborted') out.signal = AbortSignal.abort(new Error('gen: aborted'))
    else out.signal = { aborted: false, addEventListener() {} }
  }
  return out
}

// ---------------------------------------------------------------- replies (wire entries)

const int32 = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, -1, 5, 100, 1100, 2101, 2 ** 31 - 1, -(2 ** 31)) },
  { weight: 2, arbitrary: fc.integer() }
)
const u64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 1760000000000n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const i64 = fc.oneof(fc.constantFrom(0n, 1n, -1n, 2n ** 53n + 1n, I64_MAX, I64_MIN, 462000000000000001n), fc.bigInt({ min: I64_MIN, max: I64_MAX }))
const enumOf = (known) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom(-1, 5, 7, 63, 999, 2 ** 31 - 1) })

const mapKey = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0',
      '1',
      '2',
      '10',
      '01',
      '-1',
      '1.5',
      '4294967294',
      '4294967295',
      '9007199254740993',
      'is_input_error',
      'b',
      'a',
      '',
      'ключ',
      '键',
      '😀',
      'constructor',
      'toString',
      '__proto__',
      'a"b\\c'
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }
)

/** One map entry on the wire: key and value in either order, either may be missing. */
const mapEntry = fc
  .record({ key: fc.option(mapKey, { nil: undefined, freq: 8 }), value: fc.option(text, { nil: undefined, freq: 8 }), swap: fc.boolean() })
  .map(({ key, value, swap }) => {
    const e = []
    if (key !== undefined) e.push([1, 'bytes', key])
    if (value !== undefined) e.push([2, 'bytes', value])
    return swap ? e.reverse() : e
  })

/** Unknown fields, each of some wire type. */
const unknownFields = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom(20, 99, 536870911), fc.constant('varint'), i64),
    fc.tuple(fc.constantFrom(21, 1000), fc.constant('bytes'), text),
    fc.tuple(fc.constantFrom(22, 15), fc.constant('fixed32'), fc.integer()),
    fc.tuple(fc.constantFrom(23, 16), fc.constant('fixed64'), i64)
  ),
  { maxLength: 2 }
)

/**
 * A message's entries from its field generators: each present or not, a scalar sometimes twice
 * (the last one counts), unknown fields mixed in, all in a random order.
 */
function message(fields) {
  const parts = {}
  for (const [num, [kind, arb, repeated]] of Object.entries(fields)) {
    parts[num] = repeated
      ? fc.array(arb, { maxLength: repeated }).map((vs) => vs.map((v) => [Number(num), kind, v]))
      : fc.option(fc.array(arb, { minLength: 1, maxLength: kind === 'msg' ? 1 : 2 }), { freq: 4 }).map((vs) => (vs || []).map((v) => [Number(num), kind, v]))
  }
  return fc
    .record({ parts: fc.record(parts), unknown: unknownFields, shuffle: fc.boolean() })
    .chain(({ parts, unknown, shuffle }) => {
      const entries = [...Object.values(parts).flat(), ...unknown].map(([n, k, v]) => [n, k === 'msg' || k === 'str' ? 'bytes' : k, v])
      if (!shuffle || entries.length < 2) return fc.constant(entries)
      return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })
    })
}

const status = message({
  1: ['varint', enumOf(ERROR_CODES).map(BigInt)],
  2: ['str', text],
  3: ['varint', int32.map(BigInt)],
  4: ['varint', fc.constantFrom(0n, 1n)],
  5: ['str', text],
  6: ['msg', mapEntry, 12],
})

const restoreInfo = message({
  1: ['varint', i64],
  2: ['str', text],
  3: ['str', text],
  4: ['str', text],
  5: ['varint', enumOf([0, 1, 2, 3, 4]).map(BigInt)],
  6: ['varint', int32.map(BigInt)],
  7: ['str', text],
  8: ['varint', u64],
  9: ['varint', u64],
})

const withStatus = (rest = {}) => message({ 1: ['msg', status], ...rest })

const REPLIES = {
  getRestoreSnapshotState: withStatus({ 2: ['msg', restoreInfo] }),
  createSnapshot: status,
  dropSnapshot: status,
  listSnapshots: withStatus({ 2: ['str', text, 4] }),
  describeSnapshot: withStatus({
    2: ['str', text],
    3: ['str', text],
    4: ['str', text],
    5: ['str', text, 4],
    6: ['varint', i64],
    7: ['str', text],
  }),
  restoreSnapshot: withStatus({ 2: ['varint', i64] }),
  listRestoreSnapshotJobs: withStatus({ 2: ['msg', restoreInfo, 3] }),
  pinSnapshotData: withStatus({ 2: ['varint', i64] }),
  unpinSnapshotData: status,
}

// gRPC failures that neither client retries, so a case stays one attempt each.
const grpcFailure = fc.record({
  code: fc.constantFrom(3, 6, 7, 8, 12, 16),
  message: fc.constantFrom('denied', 'no such thing', 'naïve ✓', ''),
})

/** What the simulator answers: a (random) message, or now and then a gRPC failure. */
function reply(method) {
  return fc.oneof({ weight: 12, arbitrary: REPLIES[method].map((entries) => ({ entries })) }, { weight: 1, arbitrary: grpcFailure.map((grpc) => ({ grpc })) })
}

/** One case: a method, its argument and the simulator's answer. */
const testCase = fc.constantFrom(...METHODS).chain((method) => fc.record({ method: fc.constant(method), arg: argument(method), reply: reply(method) }))

module.exports = { testCase, materialise, SignalOf, METHODS, FIELDS, MSG_TYPES }
