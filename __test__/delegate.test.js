'use strict'
// Issue 17, at run time: the methods milvus-native does not serve natively go to an official
// client made on first use with the user's configuration (lib/delegate.js).
// - the list they are defined from (lib/official-surface.js) is the installed SDK's surface;
// - native methods never load the official SDK (child processes, require.cache);
// - the delegate gets the configuration (credentials, database, use()), closeConnection closes it;
// - without the SDK installed (a copy of this package in a temporary project), snapshot calls
//   work, delegated ones fail with an error naming the method and the package to install, and
//   a snapshot-only TypeScript app compiles against `milvus-native/core`.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const surface = require('../lib/delegate.js').surfaceNames()
const { MilvusClient } = require('..')

const root = path.join(__dirname, '..')
const SDK = '@zilliz/milvus2-sdk-node'
const HEAVY = /node_modules[\\/](@zilliz|@grpc|protobufjs|@shanghaikid)[\\/]/

let sim
before(async () => {
  sim = await startSim({
    args: ['--auth', 'ann:secret', '--collection', 'db1/a', '--collection', 'db2/books', '--tick-ms', '10', '--restore-ms', '50'],
    record: true,
  })
})
after(async () => {
  if (sim) await sim.stop()
})

/** Runs a script in a fresh Node; resolves with its last stdout line as JSON. */
function child(args, cwd = root) {
  const env = { ...process.env }
  delete env.NODE_PATH
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, `child failed (${r.status} ${r.signal}):\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

test('lib/official-surface.js is what scripts/official-surface.js makes from the installed SDK', async () => {
  const { generate, OUT } = require('../scripts/official-surface.js')
  const { text, done } = generate()
  await done
  assert.equal(fs.readFileSync(OUT, 'utf8'), text, 'run `node scripts/official-surface.js`')
  // The official client's 169 prototype methods are all listed, as public or internal.
  const { MilvusClient: Official } = require(SDK)
  const listed = new Set([...surface.methods, ...surface.internal])
  let count = 0
  for (let p = Official.prototype; p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor') continue
      count++
      assert.ok(listed.has(name), name)
    }
  }
  assert.ok(count >= 169, `${count} prototype methods`)
})

test('every public method and property of the official client is on MilvusClient, and is a function where it is one', () => {
  const c = new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true })
  for (const name of surface.methods) assert.equal(typeof c[name], 'function', name)
  for (const name of surface.properties) assert.ok(name in c, name)
  for (const name of surface.sync) assert.equal(typeof c[name], 'function', name)
  // Private and protected members are the official client's business: not delegated.
  for (const name of surface.internal) assert.equal(c[name], undefined, name)
  assert.ok(surface.internal.includes('metadata'))
  // The same function on every lookup and every client, named as the official method.
  assert.equal(c.hasCollection, new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true }).hasCollection)
  assert.equal(c.hasCollection.name, 'hasCollection')
  assert.ok('hasCollection' in c && 'serverInfo' in c && !('metadata' in c))
})

test('a snapshot-only app never loads the official SDK (CommonJS, ESM, and milvus-native/core as ESM)', () => {
  const script = (load, tag) => `
${load}
const c = new MilvusClient({ address: ${JSON.stringify(sim.address)}, username: 'ann', password: 'secret', database: 'db2' })
const main = async () => {
  await c.connectPromise
  await c.getVersion()
  await c.checkHealth()
  await c.use({ db_name: 'db2' })
  await c.createSnapshot({ collection_name: 'books', snapshot_name: '${tag}' })
  const { job_id } = await c.restoreSnapshot({ snapshot_name: '${tag}', source_collection_name: 'books', target_collection_name: 'books_${tag}' })
  await c.waitForRestoreSnapshot({ job_id, interval: 10 })
  await c.getRestoreSnapshotState({ job_id })
  await c.listSnapshots({ collection_name: 'books' })
  await c.listRestoreSnapshotJobs()
  void Object.keys(m)
  void typeof c.hasCollection
  await c.closeConnection()
  console.log(JSON.stringify(Object.keys(req.cache).filter((k) => ${HEAVY}.test(k))))
}
main().catch((e) => { console.error(e); process.exit(1) })
`
  const cjs = child(['-e', script("const m = require('milvus-native'); const { MilvusClient } = m; const req = require", 'cjs')])
  assert.deepEqual(cjs, [])
  const esm = child([
    '--input-type=module',
    '-e',
    script(
      "import * as m from 'milvus-native/core'; import { MilvusClient } from 'milvus-native/core'; import { createRequire } from 'node:module'; const req = createRequire(import.meta.url)",
      'esm'
    ),
  ])
  assert.deepEqual(esm, [])
  // The ES module entry of milvus-native binds every official export at import, a reference to
  // an object or a function too (lib/lazy-exports.js): none of that loads the SDK.
  const esmFull = child([
    '--input-type=module',
    '-e',
    script(
      "import * as m from 'milvus-native'; import { MilvusClient, DataType, MetricType, HttpClient, buildSearchParams, DEFAULT_TOPK } from 'milvus-native'; import { createRequire } from 'node:module'; const req = createRequire(import.meta.url); void [DataType, MetricType, HttpClient, buildSearchParams, DEFAULT_TOPK, typeof DataType, { ...m }]",
      'esmfull'
    ),
  ])
  assert.deepEqual(esmFull, [])
  // So does CommonJS destructuring of them.
  const cjsNames = child(['-e', script("const m = require('milvus-native'); const { MilvusClient, DataType, buildSearchParams, DEFAULT_TOPK } = m; void { ...m }; const req = require", 'cjsnames')])
  assert.deepEqual(cjsNames, [])
  // The check can fail: the first delegated call loads it, and so does the first use of an export.
  const used = child([
    '--input-type=module',
    '-e',
    "import { DataType } from 'milvus-native'; import { createRequire } from 'node:module'; const req = createRequire(import.meta.url); const before = Object.keys(req.cache).some((k) => k.includes('@zilliz')); void DataType.Int64; console.log(JSON.stringify([before, Object.keys(req.cache).some((k) => k.includes('@zilliz'))]))",
  ])
  assert.deepEqual(used, [false, true])
  const loaded = child([
    '-e',
    `const { MilvusClient } = require('milvus-native')
const c = new MilvusClient({ address: ${JSON.stringify(sim.address)}, __SKIP_CONNECT__: true })
c.hasCollection({ collection_name: 'x' }).catch(() => {}).finally(async () => {
  await c.closeConnection()
  console.log(JSON.stringify(Object.keys(require.cache).some((k) => k.includes('${SDK}'))))
})`,
  ])
  assert.equal(loaded, true)
})

test('the delegate gets the credentials, the database and use(), and closeConnection closes it', async () => {
  const seen = sim.records().length
  const c = new MilvusClient({ address: sim.address, username: 'ann', password: 'secret', database: 'db1', timeout: 5000 })
  // A use() before the delegate exists carries over.
  await c.use({ db_name: 'db2' })
  assert.equal((await c.hasCollection({ collection_name: 'books' })).value, true)
  // A use() once it exists too.
  await c.use({ db_name: 'db1' })
  assert.equal((await c.hasCollection({ collection_name: 'books' })).value, false)
  assert.equal((await c.hasCollection({ collection_name: 'a' })).value, true)
  // Properties are the delegate's.
  assert.equal(typeof c.clientId, 'string')
  assert.equal(c.timeout, 5000)
  const { CONNECT_STATUS } = require(SDK)
  assert.equal(await c.closeConnection(), CONNECT_STATUS.SHUTDOWN)
  assert.equal(c.connectStatus, CONNECT_STATUS.SHUTDOWN)

  const calls = sim
    .records()
    .slice(seen)
    // The official hasCollection asks DescribeCollection.
    .filter((r) => r.method === 'DescribeCollection')
  assert.deepEqual(
    calls.map((r) => [r.headers.dbname, r.request.collection_name, r.outcome]),
    [
      ['db2', 'books', 'ok'],
      ['db1', 'books', 'ok'],
      ['db1', 'a', 'ok'],
    ]
  )
  const auth = Buffer.from('ann:secret').toString('base64')
  for (const r of calls) assert.equal(r.headers.authorization, auth)
})

test('the positional constructor form is delegated too; wrong credentials reject the call, and the delegate\'s failed handshake is never an unhandled rejection', async () => {
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    const c = new MilvusClient(sim.address, false, 'ann', 'wrong')
    await assert.rejects(c.hasCollection({ collection_name: 'books' }), (e) => {
      assert.match(String(e.message), /UNAUTHENTICATED|auth/i)
      return true
    })
    // The delegate's own handshake fails around the same time; give it a moment to settle.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await c.closeConnection()
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  assert.deepEqual(unhandled.map(String), [])
})

test('after closeConnection, a delegated call that never made its delegate fails as the native ones do', async () => {
  const c = new MilvusClient({ address: sim.address, __SKIP_CONNECT__: true })
  await c.closeConnection()
  await assert.rejects(c.hasCollection({ collection_name: 'books' }), { code: 'ERR_CLIENT_CLOSED' })
  assert.throws(() => c.session(), { code: 'ERR_CLIENT_CLOSED' })
  await assert.rejects(c.getRestoreSnapshotState({ job_id: 1 }), { code: 'ERR_CLIENT_CLOSED' })
})

// ---- without the official SDK ---------------------------------------------------------

/** A project whose node_modules has a copy of this package (its `files`) and no @zilliz. */
function projectWithoutSdk() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-nosdk-'))
  const pkgDir = path.join(dir, 'node_modules', 'milvus-native')
  fs.mkdirSync(pkgDir, { recursive: true })
  const pkg = require('../package.json')
  const entries = [...pkg.files, 'package.json', ...fs.readdirSync(root).filter((f) => f.endsWith('.node'))]
  for (const entry of entries) {
    const from = path.join(root, entry)
    if (!fs.existsSync(from)) continue
    fs.cpSync(from, path.join(pkgDir, entry), { recursive: true })
  }
  // Node's types, as a user's project has them (not the SDK).
  fs.symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir')
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  return dir
}

let noSdk
test('without the official SDK installed', async (t) => {
  noSdk = projectWithoutSdk()
  t.after(() => fs.rmSync(noSdk, { recursive: true, force: true }))
  await t.test('the SDK cannot be resolved from the project', () => {
    const out = child(['-e', `let r; try { r = require.resolve('${SDK}') } catch (e) { r = e.code } console.log(JSON.stringify(r))`], noSdk)
    assert.equal(out, 'MODULE_NOT_FOUND')
  })

  await t.test('native calls work; delegated methods, properties and exports fail naming the method and the package', () => {
    const out = child(
      [
        '-e',
        `
const m = require('milvus-native')
const c = new m.MilvusClient({ address: ${JSON.stringify(sim.address)}, username: 'ann', password: 'secret' })
const caught = (f) => { try { const v = f(); return { returned: typeof v } } catch (e) { return { code: e.code, message: e.message } } }
const main = async () => {
  const out = {}
  out.native = (await c.getRestoreSnapshotState({ job_id: 1 })).status.code
  out.type = typeof c.hasCollection
  const p = c.hasCollection({ collection_name: 'books' })
  out.isPromise = p instanceof Promise
  out.async = await p.then(() => 'resolved', (e) => ({ code: e.code, message: e.message }))
  out.sync = caught(() => c.session())
  out.property = caught(() => c.serverInfo)
  out.exportType = typeof m.DataType
  out.export = caught(() => m.DataType.Int64)
  out.call = caught(() => m.buildSearchParams({}))
  out.value = m.DEFAULT_TOPK
  out.keys = Object.keys(m).includes('DataType')
  out.closed = await c.closeConnection()
  console.log(JSON.stringify(out))
}
main().catch((e) => { console.error(e); process.exit(1) })
`,
      ],
      noSdk
    )
    assert.notEqual(out.native, undefined)
    assert.equal(out.type, 'function')
    assert.equal(out.isPromise, true)
    const install = `npm install ${SDK}`
    assert.equal(out.async.code, 'ERR_MILVUS_SDK_MISSING')
    assert.ok(out.async.message.includes('MilvusClient.hasCollection()') && out.async.message.includes(install), out.async.message)
    assert.equal(out.sync.code, 'ERR_MILVUS_SDK_MISSING', 'session() is synchronous: it throws')
    assert.ok(out.sync.message.includes('MilvusClient.session()'), out.sync.message)
    assert.equal(out.property.code, 'ERR_MILVUS_SDK_MISSING')
    assert.ok(out.property.message.includes('MilvusClient.serverInfo'), out.property.message)
    // Reading an export gives its proxy; using it throws (numbers and strings are values).
    assert.equal(out.exportType, 'object')
    assert.equal(out.export.code, 'ERR_MILVUS_SDK_MISSING')
    assert.ok(out.export.message.includes('`DataType`') && out.export.message.includes(install), out.export.message)
    assert.equal(out.call.code, 'ERR_MILVUS_SDK_MISSING')
    assert.ok(out.call.message.includes('`buildSearchParams`'), out.call.message)
    assert.equal(out.value, 100)
    assert.equal(out.keys, true)
    assert.equal(out.closed, 5)
  })

  await t.test('ESM: both entries load; using an official export throws the missing-SDK error', () => {
    const out = child(
      [
        '--input-type=module',
        '-e',
        `
import util from 'node:util'
import { MilvusClient, DataType, RestoreSnapshotState, HttpClient, HttpError, buildSearchParams, VectorDataTypes, DEFAULT_TOPK, DEFAULT_METRIC_TYPE } from 'milvus-native'
import * as core from 'milvus-native/core'
const caught = (f) => { try { return { returned: f() } } catch (e) { return { code: e.code, message: e.message } } }
const c = new MilvusClient({ address: ${JSON.stringify(sim.address)}, username: 'ann', password: 'secret' })
const r = await c.getRestoreSnapshotState({ job_id: 1 })
await c.closeConnection()
console.log(JSON.stringify({
  same: MilvusClient === core.MilvusClient,
  kinds: [typeof DataType, typeof HttpClient, typeof buildSearchParams, Array.isArray(VectorDataTypes)],
  values: [DEFAULT_TOPK, DEFAULT_METRIC_TYPE],
  state: RestoreSnapshotState.RestoreSnapshotCompleted,
  code: r.status.code,
  uses: [
    caught(() => DataType.Int64),
    caught(() => Object.keys(DataType)),
    caught(() => buildSearchParams({})),
    caught(() => new HttpClient({})),
    caught(() => ({}) instanceof HttpError),
    caught(() => VectorDataTypes.length),
  ],
  inspect: util.inspect(DataType),
}))
`,
      ],
      noSdk
    )
    assert.equal(out.same, true)
    assert.deepEqual(out.kinds, ['object', 'function', 'function', true])
    assert.deepEqual(out.values, [100, 'COSINE'])
    assert.equal(out.state, 'RestoreSnapshotCompleted')
    assert.equal(typeof out.code, 'number')
    const names = ['DataType', 'DataType', 'buildSearchParams', 'HttpClient', 'HttpError', 'VectorDataTypes']
    assert.equal(out.uses.length, names.length)
    out.uses.forEach((use, i) => {
      assert.equal(use.code, 'ERR_MILVUS_SDK_MISSING', JSON.stringify(use))
      assert.ok(use.message.includes(`\`${names[i]}\``) && use.message.includes(`npm install ${SDK}`), use.message)
    })
    assert.equal(out.inspect, `[DataType: ${SDK} is not installed]`)
  })

  await t.test('a snapshot-only TypeScript app compiles against milvus-native/core (and not against milvus-native)', () => {
    const app = (entry) => `
import { MilvusClient, RestoreSnapshotState, type GetRestoreSnapshotStateResponse } from '${entry}'

const client = new MilvusClient({ address: 'localhost:19530', token: 'root:Milvus' })
const { job_id } = await client.restoreSnapshot({ snapshot_name: 's', source_collection_name: 'a', target_collection_name: 'b' })
const res: GetRestoreSnapshotStateResponse = await client.getRestoreSnapshotState({ job_id })
if (res.info?.state === RestoreSnapshotState.RestoreSnapshotCompleted) console.log(res.info.progress)
// @ts-expect-error delegated methods are not declared by milvus-native/core
if (entry === 'milvus-native/core') await client.hasCollection({ collection_name: 'b' })
await client.closeConnection()
`
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const compile = (file) => {
      const opts = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node']
      return spawnSync(process.execPath, [tsc, ...opts, file], { cwd: noSdk, encoding: 'utf8', timeout: 120_000 })
    }
    fs.writeFileSync(path.join(noSdk, 'core-app.mts'), app('milvus-native/core').replace("if (entry === 'milvus-native/core') ", ''))
    const ok = compile('core-app.mts')
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`)
    // skipLibCheck is off (the default): core.d.ts itself was checked.
    fs.writeFileSync(path.join(noSdk, 'full-app.mts'), app('milvus-native').replace(/\/\/ @ts-expect-error.*\n.*\n/, ''))
    const full = compile('full-app.mts')
    assert.notEqual(full.status, 0)
    assert.match(full.stdout, new RegExp(`index\\.d\\.ts.*Cannot find module '${SDK.replace('/', '\\/')}'`))
  })
})
