'use strict'
// Issue 17 against a real Milvus-protocol server nobody here wrote (milvus-lite, see
// lite.test.js): one script, run through the official SDK and through milvus-native's
// MilvusClient (whose collection and data methods are delegated to the official client), must
// give the same resolved values and the same rejections, step by step.
//
// Normalised, because they may differ from one run to the next on a real Milvus: server-allocated
// numbers (any field whose name says id/ID/ts/timestamp and whose value is an int64 above 2^40,
// i.e. collection ids and hybrid timestamps). milvus-lite 3.2.2 happens to reply 0 or small
// numbers there, so nothing is rewritten against it today. Primary keys are the script's own
// (no autoID), so rows, ids and scores compare exactly. Rejections compare name, message, code.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient: Official, DataType: OfficialDataType } = require('@zilliz/milvus2-sdk-node')
const Native = require('..')
const { startLite } = require('./helpers/lite')

let lite
test.before(async () => {
  lite = await startLite()
}, { timeout: 15 * 60 * 1000 })
test.after(async () => {
  if (lite) await lite.stop()
})

const DIM = 4
const rows = Array.from({ length: 12 }, (_, i) => ({
  id: i + 1,
  title: `book ${i + 1}`,
  year: 1990 + i,
  vector: Array.from({ length: DIM }, (_, j) => Math.round(Math.cos(i + j) * 1000) / 1000),
}))

// `DataType` comes from the package under test: milvus-native re-exports the official one.
function script({ MilvusClient, DataType }, address, name) {
  const steps = []
  const step = async (label, call) => {
    try {
      steps.push([label, 'resolved', await call()])
    } catch (e) {
      steps.push([label, 'rejected', { name: e && e.name, message: e && e.message, code: e && e.code }])
    }
  }
  return (async () => {
    const client = new MilvusClient({ address })
    try {
      await step('createCollection', () =>
        client.createCollection({
          collection_name: name,
          fields: [
            { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
            { name: 'title', data_type: DataType.VarChar, max_length: 64 },
            { name: 'year', data_type: DataType.Int64 },
            { name: 'vector', data_type: DataType.FloatVector, dim: DIM },
          ],
        })
      )
      await step('hasCollection', () => client.hasCollection({ collection_name: name }))
      await step('describeCollection', () => client.describeCollection({ collection_name: name }))
      await step('insert', () => client.insert({ collection_name: name, data: rows }))
      await step('insert with a bad row', () => client.insert({ collection_name: name, data: [{ id: 99, title: 'x' }] }))
      await step('flush', () => client.flushSync({ collection_names: [name] }))
      await step('createIndex', () =>
        client.createIndex({ collection_name: name, field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' })
      )
      await step('loadCollection', () => client.loadCollection({ collection_name: name }))
      await step('search', () =>
        client.search({
          collection_name: name,
          data: [rows[3].vector],
          limit: 3,
          output_fields: ['title', 'year'],
          consistency_level: 'Strong',
        })
      )
      await step('query', () =>
        client.query({
          collection_name: name,
          filter: 'year >= 1995',
          output_fields: ['id', 'title'],
          consistency_level: 'Strong',
        })
      )
      await step('count', () => client.count({ collection_name: name, consistency_level: 'Strong' }))
      await step('delete', () => client.delete({ collection_name: name, filter: 'id in [1, 2, 3]' }))
      await step('query after delete', () =>
        client.query({ collection_name: name, filter: 'id < 5', output_fields: ['id'], consistency_level: 'Strong' })
      )
      await step('query with a bad filter', () => client.query({ collection_name: name, filter: 'no_such_field > 1' }))
      await step('search an unknown collection', () => client.search({ collection_name: `${name}_nope`, data: [rows[0].vector] }))
      await step('describe an unknown collection', () => client.describeCollection({ collection_name: `${name}_nope` }))
      await step('showCollections', () => client.showCollections())
      await step('releaseCollection', () => client.releaseCollection({ collection_name: name }))
      await step('dropCollection', () => client.dropCollection({ collection_name: name }))
      await step('hasCollection after drop', () => client.hasCollection({ collection_name: name }))
    } finally {
      await client.closeConnection()
    }
    return steps
  })()
}

const BIG = 2n ** 40n
// Server-allocated numbers: int64 strings (or numbers) above 2^40 under an id/time-like key.
function normalise(value, key = '') {
  if (Array.isArray(value)) return value.map((v) => normalise(v, key))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]))
  }
  const idLike = /(^|_)(id|ids|ts)$|ID|timestamp/i.test(key)
  if (idLike && (typeof value === 'string' || typeof value === 'number') && /^\d+$/.test(String(value)) && BigInt(value) > BIG) {
    return '<allocated>'
  }
  return value
}

test('the same script through the official SDK and through milvus-native gives the same results', { timeout: 300_000 }, async () => {
  // One collection name: each run creates it and drops it at the end.
  const official = await script({ MilvusClient: Official, DataType: OfficialDataType }, lite.address, 'books')
  const native = await script(Native, lite.address, 'books')
  assert.equal(native.length, official.length)
  for (let i = 0; i < official.length; i++) {
    const [label] = official[i]
    assert.deepStrictEqual(normalise(native[i]), normalise(official[i]), label)
  }
  // The script did what it says (so an equal failure of both would not pass unnoticed).
  const got = Object.fromEntries(native.map(([label, outcome, value]) => [label, { outcome, value }]))
  assert.equal(got.createCollection.value.error_code, 'Success')
  assert.equal(got.hasCollection.value.value, true)
  assert.equal(got.insert.value.insert_cnt, String(rows.length))
  assert.equal(got.loadCollection.value.error_code, 'Success')
  assert.equal(got.search.value.results[0].title, rows[3].title)
  assert.deepEqual(got.query.value.data.map((r) => Number(r.id)).sort((a, b) => a - b), [6, 7, 8, 9, 10, 11, 12])
  assert.deepEqual(got['query after delete'].value.data.map((r) => Number(r.id)), [4])
  assert.equal(got['hasCollection after drop'].value.value, false)
  const failed = native.filter(([, outcome, value]) => outcome === 'rejected' || (value && value.status && value.status.code !== 0))
  assert.ok(failed.length >= 2, `the script's bad calls should fail: ${JSON.stringify(failed)}`)
})

test('the delegated methods are the official client\'s: no SDK loaded by milvus-native until the first one', () => {
  // This file required the SDK itself; the cold-process check is in delegate.test.js. Here: the
  // delegate is an official MilvusClient, made once per milvus-native client.
  const c = new Native.MilvusClient({ address: lite.address, __SKIP_CONNECT__: true })
  assert.equal(c._official, undefined)
  return c.hasCollection({ collection_name: 'x' }).then(async () => {
    assert.ok(c._official instanceof Official)
    const first = c._official
    await c.hasCollection({ collection_name: 'y' })
    assert.equal(c._official, first)
    await c.closeConnection()
  })
})
