'use strict'
// Issue 17, the official exports as `milvus-native` hands them out (lib/lazy-exports.js): numbers
// and strings copied from the official SDK, objects and functions proxies that load it on first
// use. Here the official SDK is installed (delegate.test.js covers a project without it, and a
// snapshot-only ESM app that never loads it):
// - an ES module app importing the names from 'milvus-native' gets what the same app gets from
//   the official package: enums, helpers, rankers, constants, `util.inspect`, JSON, and classes
//   (an official HttpClient made through the proxy talks to a real HTTP server on 127.0.0.1;
//   its HttpError is `instanceof` the proxied class; a BulkWriter gets a storage whose class
//   extends the proxied LocalStorage, and a schema of proxied DataType values);
// - every export has the official kind (`typeof`, arrays, constructors), name and keys;
// - the proxies keep the Proxy invariants through reflection (freeze, defineProperty, delete);
// - an installed SDK whose export is of another kind than the list says: ERR_MILVUS_SDK_MISMATCH.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const util = require('node:util')

const root = path.join(__dirname, '..')
const SDK = '@zilliz/milvus2-sdk-node'
const surface = require('../lib/delegate.js').surfaceNames()

const NAMES = [
  'DataType', 'MetricType', 'ConsistencyLevelEnum', 'IndexType', 'ERROR_REASONS', 'VectorDataTypes',
  'buildSearchParams', 'WeightedRanker', 'RRFRanker', 'f32ArrayToF16Bytes', 'hybridtsToUnixtime',
  'DEFAULT_TOPK', 'DEFAULT_METRIC_TYPE', 'DEFAULT_DB', 'HttpClient', 'HttpBaseClient', 'HttpError',
  'BulkWriter', 'LocalStorage',
]

// The app; `IMPORT` becomes the import of NAMES from one package or the other.
const APP = `
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import util from 'node:util'
import { createRequire } from 'node:module'
IMPORT
const out = {}
out.enums = { DataType, MetricType, ConsistencyLevelEnum, IndexType, ERROR_REASONS }
out.entries = Object.entries(DataType).slice(0, 6)
out.kinds = [typeof DataType, typeof buildSearchParams, typeof HttpClient, Array.isArray(VectorDataTypes), typeof DEFAULT_TOPK]
out.vectors = [VectorDataTypes.includes(DataType.FloatVector), [...VectorDataTypes], Object.prototype.toString.call(VectorDataTypes)]
out.inspect = [util.inspect(MetricType), util.inspect(VectorDataTypes), util.inspect(HttpClient), util.inspect(buildSearchParams)]
out.constants = [DEFAULT_TOPK, DEFAULT_METRIC_TYPE, DEFAULT_DB]
out.search = buildSearchParams({ collection_name: 'books', data: [0.1, 0.2], limit: 3, params: { nprobe: 8 } }, 'vector')
out.rankers = [WeightedRanker([0.2, 0.8]), RRFRanker(60)]
out.f16 = [...f32ArrayToF16Bytes([1.5, -2, 0.25])]
out.time = hybridtsToUnixtime('429642767925248000')
out.names = [HttpClient.name, HttpClient.length, buildSearchParams.name, buildSearchParams.length]
try { new WeightedRanker([1]) } catch (e) { out.newArrow = e.constructor.name }

// The official HTTP client, made through milvus-native's HttpClient, against a real server.
const seen = []
const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: JSON.parse(body || '{}') })
    if (req.url.endsWith('/collections/has')) {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ code: 0, data: { has: true } }))
    } else {
      res.statusCode = 503
      res.end('down for maintenance')
    }
  })
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = server.address().port
const client = new HttpClient({ endpoint: 'http://127.0.0.1:' + port, token: 'root:Milvus', database: 'db1' })
out.client = [client instanceof HttpClient, client instanceof HttpBaseClient, Object.getPrototypeOf(client) === HttpClient.prototype, client.baseURL.replace(port, 'PORT')]
out.has = await client.hasCollection({ collectionName: 'books' })
out.failure = await client.listCollections().then(
  () => 'resolved',
  (e) => ({ instance: e instanceof HttpError, error: e instanceof Error, name: e.name, status: e.status, message: e.message.replace(port, 'PORT') })
)
await new Promise((resolve) => server.close(resolve))
out.seen = seen

// A storage whose class extends LocalStorage, and a schema of DataType values, in a BulkWriter.
const written = []
class Recording extends LocalStorage {
  async write(local, remote) {
    written.push(path.relative(dir, local).split(path.sep).slice(1).join('/'))
    return super.write(local, remote)
  }
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-bulk-'))
const storage = new Recording()
const writer = new BulkWriter({
  schema: {
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
      { name: 'title', data_type: DataType.VarChar, max_length: 8 },
    ],
  },
  storage,
  localPath: dir,
})
await writer.append({ id: 1, vector: [0.5, 1], title: 'a' })
await writer.append({ id: 2, vector: [1.5, 2], title: 'b' })
out.badRow = await writer.append({ id: 3, vector: [1], title: 'c' }).then(() => 'accepted', (e) => e.message)
await writer.close()
out.bulk = {
  storage: [storage instanceof LocalStorage, storage instanceof Recording],
  rows: writer.totalRowCount,
  written,
  files: writer.batchFiles.flat().map((f) => fs.readFileSync(f, 'utf8')),
}
fs.rmSync(dir, { recursive: true, force: true })

const req = createRequire(import.meta.url)
out.proxies = [DataType, buildSearchParams, HttpClient, VectorDataTypes].map((v) => util.types.isProxy(v))
out.sdkLoaded = Object.keys(req.cache).some((k) => k.includes(${JSON.stringify(SDK)}))
console.log(JSON.stringify(out))
`

function run(importLine) {
  const src = APP.replace('IMPORT', importLine)
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, `app failed (${r.status} ${r.signal}):\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

test('an ES module app gets from milvus-native what it gets from the official package', () => {
  const native = run(`import { ${NAMES.join(', ')} } from 'milvus-native'`)
  const official = run(`const { ${NAMES.join(', ')} } = createRequire(import.meta.url)(${JSON.stringify(SDK)})`)
  // milvus-native's were proxies (and loaded the SDK once used); the official ones were not.
  assert.deepEqual(native.proxies, [true, true, true, true])
  assert.deepEqual(official.proxies, [false, false, false, false])
  assert.equal(native.sdkLoaded, true)
  delete native.proxies
  delete official.proxies
  assert.deepEqual(native, official)
  // What the app saw is what it says (an equal failure of both would not pass unnoticed).
  assert.deepEqual([native.enums.DataType.Int64, native.enums.DataType.FloatVector, native.enums.MetricType.COSINE], [5, 101, 'COSINE'])
  assert.deepEqual(native.entries.slice(0, 2), [['0', 'None'], ['1', 'Bool']])
  assert.deepEqual(native.kinds, ['object', 'function', 'function', true, 'number'])
  assert.equal(native.constants[0], 100)
  assert.equal(native.search.anns_field, 'vector')
  assert.deepEqual(native.rankers[0], { strategy: 'weighted', params: { weights: [0.2, 0.8] } })
  assert.equal(native.newArrow, 'TypeError')
  assert.deepEqual(native.client, [true, true, true, 'http://127.0.0.1:PORT/v2'])
  assert.deepEqual(native.has, { code: 0, data: { has: true } })
  assert.deepEqual(native.failure, {
    instance: true,
    error: true,
    name: 'HttpError',
    status: 503,
    message: native.failure.message,
  })
  assert.match(native.failure.message, /^HTTP 503 .*down for maintenance/)
  assert.deepEqual(
    native.seen.map((s) => [s.method, s.url, s.auth]),
    [
      ['POST', '/v2/vectordb/collections/has', 'Bearer root:Milvus'],
      ['POST', '/v2/vectordb/collections/list', 'Bearer root:Milvus'],
    ]
  )
  assert.deepEqual(native.seen[0].body, { collectionName: 'books', dbName: 'db1' })
  assert.deepEqual(native.bulk.storage, [true, true])
  assert.equal(native.bulk.rows, 2)
  assert.deepEqual(native.bulk.written, ['chunk_0/data.json'])
  assert.deepEqual(JSON.parse(native.bulk.files[0]).rows, [
    { id: 1, vector: [0.5, 1], title: 'a' },
    { id: 2, vector: [1.5, 2], title: 'b' },
  ])
  assert.notEqual(native.badRow, 'accepted')
})

test('every official export has its official kind, value, name and keys', () => {
  const official = require(SDK)
  const m = require('..')
  assert.equal(surface.version, require(`${SDK}/package.json`).version, 'run `node scripts/official-surface.js`')
  const own = new Set(Object.keys(require('../core.js')))
  const values = Object.keys(surface.values)
  assert.ok(values.length >= 30, `${values.length} values`)
  for (const name of surface.exports) {
    if (own.has(name)) continue
    const v = m[name]
    const o = official[name]
    assert.equal(typeof v, typeof o, name)
    if (values.includes(name)) {
      assert.equal(surface.values[name], o, name)
      assert.equal(v, o, name)
      continue
    }
    assert.ok(util.types.isProxy(v), name)
    assert.equal(Array.isArray(v), Array.isArray(o), name)
    assert.deepEqual(Reflect.ownKeys(v), Reflect.ownKeys(o), name)
    assert.equal(Object.getPrototypeOf(v), Object.getPrototypeOf(o), name)
    if (typeof o === 'function') {
      assert.equal(v.name, o.name, name)
      assert.equal(v.length, o.length, name)
      assert.equal(v.prototype, o.prototype, name)
      assert.equal('prototype' in v, 'prototype' in o, name)
    } else if (Object.getPrototypeOf(o) === Object.prototype || Array.isArray(o)) {
      // (not `logger`, a winston stream, which is circular)
      assert.equal(JSON.stringify(v), JSON.stringify(o), name)
    }
    assert.equal(util.inspect(v, { depth: 0 }), util.inspect(o, { depth: 0 }), name)
    // One proxy per name.
    assert.equal(m[name], v, name)
  }
})

test('the proxies forward reflection and keep the Proxy invariants', () => {
  const official = require(SDK)
  const { HighlightType, HttpError, TLS_MODE, RANKER_TYPE, VolumeType } = require('..')
  // A class's `prototype` is non-configurable and read-only: reported as it is.
  assert.deepEqual(Object.getOwnPropertyDescriptor(HttpError, 'prototype'), Object.getOwnPropertyDescriptor(official.HttpError, 'prototype'))
  assert.ok(new official.HttpError('m', 500, 'x', 'u') instanceof HttpError)
  assert.equal({} instanceof HttpError, false)
  // Writes reach the official object.
  TLS_MODE.EXTRA = 'extra'
  assert.equal(official.TLS_MODE.EXTRA, 'extra')
  assert.ok(delete TLS_MODE.EXTRA)
  assert.equal('EXTRA' in official.TLS_MODE, false)
  // A property defined non-configurable through the proxy is reported so (the stand-in follows).
  Object.defineProperty(RANKER_TYPE, 'FIXED', { value: 'fixed', enumerable: true })
  assert.deepEqual(Object.getOwnPropertyDescriptor(RANKER_TYPE, 'FIXED'), { value: 'fixed', writable: false, enumerable: true, configurable: false })
  assert.equal(Reflect.deleteProperty(RANKER_TYPE, 'FIXED'), false)
  // Frozen through the proxy: the official object is frozen, and the proxy answers as frozen.
  Object.freeze(HighlightType)
  assert.ok(Object.isFrozen(official.HighlightType))
  assert.ok(Object.isFrozen(HighlightType))
  assert.deepEqual(Object.keys(HighlightType), Object.keys(official.HighlightType))
  assert.throws(() => {
    HighlightType.NEW = 1
  }, TypeError)
  // The prototype of a proxied object can be changed, as the official one's.
  const proto = { extra() { return 'x' } }
  Object.setPrototypeOf(VolumeType, proto)
  assert.equal(Object.getPrototypeOf(official.VolumeType), proto)
  assert.equal(VolumeType.extra(), 'x')
})

test('an installed SDK whose export differs in kind from the generated list fails on first use, naming it', () => {
  const official = require(SDK)
  const { lazyExports } = require('../lib/lazy-exports.js')
  // The list as another 3.x might have it, over the installed SDK.
  const other = { version: '3.9.9', objects: 'MetricType', arrays: 'DataType', constructors: 'WeightedRanker', functions: 'HttpClient NotThere', values: {} }
  const get = lazyExports(other, (name) => official[name])
  assert.equal(get('MetricType').COSINE, 'COSINE')
  const uses = {
    DataType: () => get('DataType').Int64,
    WeightedRanker: () => get('WeightedRanker')([1]),
    HttpClient: () => get('HttpClient')({}),
    NotThere: () => get('NotThere')(),
  }
  for (const [name, use] of Object.entries(uses)) {
    assert.throws(use, (e) => {
      assert.equal(e.code, 'ERR_MILVUS_SDK_MISMATCH')
      assert.ok(e.message.includes(`\`${name}\``) && e.message.includes('3.9.9'), e.message)
      return true
    })
  }
})
