'use strict'
// The verdict on one case of the generative differential (__test__/generative.test.js): the
// official SDK's outcome against milvus-native's. Equal outcomes pass; a difference passes only
// when one of the `RULES` explains it, each the bullet of README "Differences from the official
// SDK" that it names. Anything else throws an AssertionError that fast-check shrinks.

const assert = require('node:assert/strict')
const util = require('node:util')
const { SignalOf, FIELDS, MSG_TYPES } = require('./generative')

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const INT64 = ['job_id', 'pin_id', 'ttl_seconds', 'compaction_protection_seconds']
const NAMES = ['collection_name', 'snapshot_name', 'source_collection_name', 'target_collection_name']
const OPTIONAL = ['db_name', 'description', 'source_db_name', 'target_db_name']
const MISSING = /^The `\w+` property is missing\.$/

const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function')
const get = (c, k) => (isObject(c.arg) && !Array.isArray(c.arg) ? c.arg[k] : undefined)
const has = (c, k) => k in FIELDS[c.method]
const names = (msg, key) => msg.includes(`\`${key}\``)

/** An int64 as the official SDK sends it unchanged: a safe integer, a decimal string, a bigint in range. */
function plainInt64(v) {
  if (typeof v === 'number') return Number.isSafeInteger(v)
  if (typeof v === 'string') return /^-?\d+$/.test(v) && BigInt(v) >= I64_MIN && BigInt(v) <= I64_MAX
  if (typeof v === 'bigint') return v >= I64_MIN && v <= I64_MAX
  return false
}

/** A uint64 as protobufjs sends it unchanged: a safe non-negative integer, a digit string, a bigint in range. */
function plainUint64(v) {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0
  if (typeof v === 'string') return /^\d+$/.test(v) && BigInt(v) <= 2n ** 64n - 1n
  if (typeof v === 'bigint') return v >= 0n && v <= 2n ** 64n - 1n
  return false
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const wellFormed = (v) => typeof v === 'string' && v.isWellFormed()

/**
 * Whether `base` is one that protobufjs `fromObject` sends as written (README "`base`"): absent,
 * or an object whose every field is absent/null or of the proto type, `msg_type` a MsgType name
 * or an int32 number, property values strings.
 */
function plainBase(b) {
  if (b === undefined || b === null) return true
  if (!isPlainObject(b)) return false
  const opt = (v, ok) => v === undefined || v === null || ok(v)
  const info = b.replicateInfo
  return (
    opt(b.msg_type, (t) => (typeof t === 'string' && MSG_TYPES.includes(t)) || (Number.isInteger(t) && t >= -(2 ** 31) && t < 2 ** 31)) &&
    ['msgID', 'sourceID', 'targetID'].every((k) => opt(b[k], plainInt64)) &&
    opt(b.timestamp, plainUint64) &&
    (!b.properties || (isPlainObject(b.properties) && Object.entries(b.properties).every(([k, v]) => wellFormed(k) && wellFormed(v)))) &&
    opt(
      info,
      (i) => isPlainObject(i) && opt(i.isReplicate, (x) => typeof x === 'boolean') && opt(i.msgTimestamp, plainUint64) && opt(i.replicateID, wellFormed)
    )
  )
}

/** The request id the official SDK looks at (`client_request_id ?? 'client-request-id'`) and its key. */
function requestId(c) {
  const snake = get(c, 'client_request_id')
  return snake !== undefined && snake !== null ? ['client_request_id', snake] : ["'client-request-id'", get(c, 'client-request-id')]
}

function containsBigInt(v, seen = new Set()) {
  if (typeof v === 'bigint') return true
  if (!isObject(v) || seen.has(v)) return false
  seen.add(v)
  return Object.values(v).some((x) => containsBigInt(x, seen))
}

// Each rule: the README bullet it stands for, and whether it explains a rejection `e` of
// milvus-native for case `c`.
const RULES = [
  {
    bullet: 'int64 fields',
    explains: (c, e) => INT64.some((f) => has(c, f) && get(c, f) !== undefined && !plainInt64(get(c, f)) && names(e.message, f)),
  },
  {
    bullet: 'Name fields',
    explains: (c, e) => NAMES.some((f) => has(c, f) && get(c, f) && typeof get(c, f) !== 'string' && names(e.message, f)),
  },
  {
    bullet: 'Name fields (optional strings)',
    explains: (c, e) =>
      [...OPTIONAL, 'collection_name'].some((f) => has(c, f) && get(c, f) != null && typeof get(c, f) !== 'string' && names(e.message, f)),
  },
  {
    bullet: '`base`',
    explains: (c, e) => !plainBase(get(c, 'base')) && /^The `base[`.]/.test(e.message),
  },
  {
    bullet: 'rewrite_data',
    explains: (c, e) => has(c, 'rewrite_data') && get(c, 'rewrite_data') != null && typeof get(c, 'rewrite_data') !== 'boolean' && names(e.message, 'rewrite_data'),
  },
  {
    bullet: 'client_request_id',
    explains: (c, e) => {
      const [key, v] = requestId(c)
      const bad =
        (v && typeof v !== 'string') ||
        (typeof v === 'string' && (Buffer.byteLength(v) > 4096 || !/^[\x20-\x7e]*$/.test(v)))
      return bad && e.message.includes(key.replace(/'/g, '') === 'client_request_id' ? '`client_request_id`' : "`'client-request-id'`")
    },
  },
  {
    bullet: 'timeout',
    explains: (c, e) => {
      const t = get(c, 'timeout')
      return Boolean(t) && (typeof t !== 'number' || !Number.isFinite(t) || t > 3.6e14) && names(e.message, 'timeout')
    },
  },
  {
    bullet: 'signal',
    explains: (c, e) => {
      const s = get(c, 'signal')
      return s != null && !(s instanceof SignalOf && s.kind !== 'fake') && e instanceof TypeError && names(e.message, 'signal')
    },
  },
  {
    bullet: 'unpaired surrogate',
    explains: (c, e) =>
      isObject(c.arg) &&
      Object.entries(c.arg).some(([k, v]) => typeof v === 'string' && !v.isWellFormed() && (names(e.message, k) || e.message.includes(`\`'${k}'\``))),
  },
  {
    bullet: 'listRestoreSnapshotJobs(primitive)',
    explains: (c, e) => c.method === 'listRestoreSnapshotJobs' && (!isObject(c.arg) || Array.isArray(c.arg)) && c.arg != null && e instanceof TypeError && e.message.startsWith('The argument of listRestoreSnapshotJobs'),
  },
  {
    bullet: 'Aborting (signal)',
    explains: (c, e) => get(c, 'signal') instanceof SignalOf && get(c, 'signal').kind === 'aborted' && e.name === 'AbortError' && e.code === 'ABORT_ERR',
  },
]

/** The README bullet that explains milvus-native's rejection `e`, or undefined. */
function documented(c, e) {
  const rule = RULES.find((r) => r.explains(c, e))
  return rule && rule.bullet
}

function show(o) {
  if (o.kind === 'resolve') return `resolve ${JSON.stringify(o.value)}`
  if (o.kind === 'hang') return 'hang (no settlement within 20 s)'
  const e = o.error
  return `${o.kind} ${e && e.name}: ${JSON.stringify(e && e.message)} code=${util.inspect(e && e.code)}`
}

// Headers that legitimately differ per client, and how each is still checked:
// - user-agent: each library's own;
// - identifier: each client's own Connect handshake (present in both);
// - client-request-unixmsec: the clock at each send (a decimal number in both);
// - grpc-timeout: the deadline left at each send, in each library's unit (within 1 s or 1 %);
// - grpc-accept-encoding, accept-encoding: grpc-js offers compressions, tonic none.
const PER_CLIENT = ['user-agent', 'identifier', 'client-request-unixmsec', 'grpc-timeout', 'grpc-accept-encoding', 'accept-encoding']

function timeoutMs(v) {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v)
  assert.ok(m, `malformed grpc-timeout ${JSON.stringify(v)}`)
  return Number(m[1]) * { H: 3600e3, M: 60e3, S: 1e3, m: 1, u: 1e-3, n: 1e-6 }[m[2]]
}

function sameHeaders(off, nat) {
  for (const h of ['identifier', 'client-request-unixmsec']) {
    assert.match(String(off[h]), /^\d+$/, `official ${h}`)
    assert.match(String(nat[h]), /^\d+$/, `native ${h}`)
  }
  const a = timeoutMs(off['grpc-timeout'])
  const b = timeoutMs(nat['grpc-timeout'])
  assert.ok(Math.abs(a - b) <= Math.max(1000, a / 100), `grpc-timeout ${off['grpc-timeout']} vs ${nat['grpc-timeout']}`)
  const rest = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !PER_CLIENT.includes(k)).sort(([x], [y]) => (x < y ? -1 : 1)))
  assert.deepEqual(rest(nat), rest(off), 'request headers differ')
}

// A call whose deadline had already passed may reach the server late, after its case: the
// records of this case's method are compared, the last of each client (its attempt).
function sameRecords(c, recs) {
  const rpc = c.method[0].toUpperCase() + c.method.slice(1)
  const list = (rs) => rs.map((r) => `${r.method} ${JSON.stringify(r.request)} ${r.outcome}`).join('; ')
  const off = recs.off.filter((r) => r.method === rpc)
  const nat = recs.nat.filter((r) => r.method === rpc)
  assert.ok(off.length >= 1, `no official attempt recorded: ${list(recs.off)}`)
  assert.ok(nat.length >= 1, `no native attempt recorded: ${list(recs.nat)}`)
  assert.deepEqual(nat.at(-1).request, off.at(-1).request, 'the server decoded different requests')
  sameHeaders(off.at(-1).headers, nat.at(-1).headers)
}

/** Throws unless the two outcomes agree or a documented rule explains the difference. */
function judge(c, off, nat, recs) {
  const context = () => `\n  official: ${show(off)}\n  native:   ${show(nat)}`
  assert.ok(nat.kind !== 'crash' && nat.kind !== 'hang', `milvus-native must never crash or hang${context()}`)

  if (off.kind === 'resolve' && nat.kind === 'resolve') {
    assert.equal(JSON.stringify(nat.value), JSON.stringify(off.value), `JSON.stringify of the values differs${context()}`)
    assert.ok(util.isDeepStrictEqual(nat.value, off.value), `values not isDeepStrictEqual${context()}`)
    sameRecords(c, recs)
    return
  }

  if (off.kind === 'reject' && nat.kind === 'reject') {
    const [o, n] = [off.error, nat.error]
    if (o.message === n.message && o.code === n.code) {
      if (o.code === undefined) assert.equal(recs.nat.length, 0, 'native sent a call the official rejected before sending')
      else if (o.code !== 4) sameRecords(c, recs)
      return
    }
    // A deadline already past (a negative timeout): both say so; the texts differ (README:
    // "Error texts"), and whether the server saw the call is a race in both.
    if (o.code === 4 && n.code === 4) {
      assert.match(n.message, /^4 DEADLINE_EXCEEDED: Deadline exceeded/, `native deadline text${context()}`)
      return
    }
    assert.ok(!MISSING.test(o.message), `the official reports a field missing: milvus-native must say the same${context()}`)
  }

  // The official SDK would have crashed or broken itself (not run, see poison() in the test).
  // A bigint alone: milvus-native accepts bigints (README: "Additions"), so its call runs as
  // any other and has no official outcome to be compared with.
  if (off.kind === 'crash' && off.reasons.length === 1 && off.reasons[0] === 'bigint') return

  if (nat.kind === 'reject') {
    const bullet = documented(c, nat.error)
    assert.ok(bullet, `milvus-native rejects where no documented difference explains it${context()}`)
    return
  }

  // milvus-native resolved where the official SDK did not.
  const o = off.error
  const bigint = o && /BigInt/.test(o.message) && containsBigInt(c.arg)
  assert.ok(bigint, `milvus-native resolves where the official SDK does not${context()}`)
}

module.exports = { judge, documented, show, RULES, plainBase, containsBigInt }
