'use strict'
// The bench's fourth client: what a performance-minded user writes instead of the official SDK.
// One `grpc.Client` (one channel, no interceptors) from @grpc/grpc-js, the repo's proto/ files
// loaded by protobufjs, and one generic unary call per request (`makeUnaryRequest`). The same
// shape as the other JS clients (`new MilvusClient({ address })`, `getRestoreSnapshotState`,
// `connectPromise`, `closeConnection()`), so child.cjs and cold.cjs treat all of them alike.
//
// Each call carries what the others send (milvus-sim-load --official-headers): `dbname`,
// `identifier`, `client-request-unixmsec` (per call) and a 15 s deadline. The reply is decoded
// with `toObject({ longs: String, enums: String, defaults: true })`: int64 as decimal strings,
// enums by name, absent proto3 scalars as their defaults (a success has no status code on the
// wire), field names as in the .proto (`keepCase`), as the SDK returns them.

const path = require('node:path')
const grpc = require('@grpc/grpc-js')
const protobuf = require('protobufjs')

const PROTO = path.join(__dirname, '..', '..', 'proto', 'milvus.proto')
const METHOD = '/milvus.proto.milvus.MilvusService/GetRestoreSnapshotState'
const DEADLINE_MS = 15000
// The handshake's identifier the floor sends; this client does no Connect handshake.
const IDENTIFIER = '462000000000000001'
const TO_OBJECT = { longs: String, enums: String, defaults: true }

let types
function loadTypes() {
  if (!types) {
    const root = new protobuf.Root().loadSync(PROTO, { keepCase: true })
    types = {
      req: root.lookupType('milvus.proto.milvus.GetRestoreSnapshotStateRequest'),
      res: root.lookupType('milvus.proto.milvus.GetRestoreSnapshotStateResponse'),
    }
  }
  return types
}

class MilvusClient {
  /** @param {{ address: string }} config  host:port, plaintext */
  constructor({ address }) {
    const { req, res } = loadTypes()
    this.client = new grpc.Client(address, grpc.credentials.createInsecure())
    this.serialize = (obj) => req.encode(req.fromObject(obj)).finish()
    this.deserialize = (buf) => res.toObject(res.decode(buf), TO_OBJECT)
    // The channel connected (grpc-js connects lazily; this asks it to now). No RPC is made.
    this.connectPromise = new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + DEADLINE_MS, (err) => (err ? reject(err) : resolve()))
    })
    // Unread by most scripts: a failure to connect shows in the calls, not as an unhandled rejection.
    this.connectPromise.catch(() => {})
  }

  /** @param {{ job_id: string }} request */
  getRestoreSnapshotState(request) {
    const md = new grpc.Metadata()
    md.set('dbname', 'default')
    md.set('identifier', IDENTIFIER)
    md.set('client-request-unixmsec', String(Date.now()))
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(METHOD, this.serialize, this.deserialize, request, md, { deadline: Date.now() + DEADLINE_MS }, (err, reply) =>
        err ? reject(err) : resolve(reply)
      )
    })
  }

  async closeConnection() {
    this.client.close()
  }
}

module.exports = { MilvusClient }
