'use strict'
// A protobuf writer for scripted replies that a real encoder would never produce: fields in any
// order, repeated on the wire, unknown fields, map entries with a missing key or value. A message
// is a list of [fieldNumber, kind, value] entries, written in list order:
//   'varint'  value: bigint (negative ones as 64-bit two's complement, as int32/int64 are sent)
//   'bytes'   value: Buffer | string (UTF-8) | entry list (a nested message)
//   'fixed32' value: number;  'fixed64' value: bigint

function varint(n, out) {
  let v = BigInt.asUintN(64, BigInt(n))
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 }

/** The bytes of a message given as an entry list. */
function encode(entries) {
  const out = []
  for (const [num, kind, value] of entries) {
    varint((BigInt(num) << 3n) | BigInt(WIRE[kind]), out)
    switch (kind) {
      case 'varint':
        varint(value, out)
        break
      case 'fixed32': {
        const b = Buffer.alloc(4)
        b.writeUInt32LE(value >>> 0)
        out.push(...b)
        break
      }
      case 'fixed64': {
        const b = Buffer.alloc(8)
        b.writeBigUInt64LE(BigInt.asUintN(64, value))
        out.push(...b)
        break
      }
      case 'bytes': {
        const body = Array.isArray(value) ? encode(value) : Buffer.from(value)
        varint(body.length, out)
        for (const x of body) out.push(x)
        break
      }
      default:
        throw new Error(`unknown wire kind ${kind}`)
    }
  }
  return Buffer.from(out)
}

module.exports = { encode }
