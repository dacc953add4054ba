'use strict'
// The `milvus-native` command line (issue 4, point 5), run as a child process against
// milvus-sim: exit codes (0 ok / Completed, 1 Failed, 2 wait timed out, 3 other error, 64 bad
// usage), --json output parsed and compared with what the library resolves, one line per change
// when stdout is not a terminal, --help per command, MILVUS_ADDRESS / MILVUS_TOKEN, and the
// progress bar on a real terminal (tmux, else a python pty).

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile, execFileSync, spawnSync } = require('node:child_process')
const { MilvusClient } = require('..')
const { startSim, genCerts } = require('./helpers/sim')

const BIN = path.resolve(__dirname, '..', 'bin', 'milvus-native.js')
const TOKEN = 'root:Milvus'
const STUCK = '77' // a fixture job stuck in Executing
const FIXTURES = { [STUCK]: { info: { job_id: STUCK, snapshot_name: 's', db_name: 'default', collection_name: 't', state: 2, progress: 40 } } }
// Restores: Pending 50 ms, then 3 segments over 300 ms.
const ARGS = [
  '--collection', 'default/books',
  '--collection', 'analytics/logs',
  '--tick-ms', '50', '--restore-ms', '300', '--segments', '3',
  '--fail-snapshot', 'bad=disk on fire',
  '--auth', TOKEN,
]

let sim
let client
// A second simulator whose restores take long enough (Pending 200 ms, then 3 segments over
// 1.5 s) for a freshly started CLI process to see them progress.
let slow
let slowClient
let done // a completed job: { job_id, target }
let failed // a failed job id

before(async () => {
  sim = await startSim({ args: ARGS, fixtures: FIXTURES, record: true })
  client = new MilvusClient({ address: sim.address, token: TOKEN })
  for (const snapshot_name of ['good', 'bad']) {
    assert.equal((await client.createSnapshot({ collection_name: 'books', snapshot_name, description: `${snapshot_name} one` })).code, 0)
  }
  assert.equal((await client.createSnapshot({ collection_name: 'logs', db_name: 'analytics', snapshot_name: 'weekly' })).code, 0)
  const ok = await client.restoreSnapshot({ snapshot_name: 'good', source_collection_name: 'books', target_collection_name: 'done1' })
  const bad = await client.restoreSnapshot({ snapshot_name: 'bad', source_collection_name: 'books', target_collection_name: 'failed1' })
  await client.waitForRestoreSnapshot({ job_id: ok.job_id, interval: 10 })
  await assert.rejects(client.waitForRestoreSnapshot({ job_id: bad.job_id, interval: 10 }), { code: 'RESTORE_FAILED' })
  done = { job_id: ok.job_id, target: 'done1' }
  failed = bad.job_id

  slow = await startSim({ args: ['--collection', 'default/books', '--tick-ms', '200', '--restore-ms', '1500', '--segments', '3'] })
  slowClient = new MilvusClient({ address: slow.address })
  assert.equal((await slowClient.createSnapshot({ collection_name: 'books', snapshot_name: 'good' })).code, 0)
})

after(async () => {
  await Promise.all([client && client.closeConnection(), slowClient && slowClient.closeConnection()])
  await Promise.all([sim && sim.stop(), slow && slow.stop()])
})

/** A restore on the slow simulator; resolves to its job id. */
async function slowRestore(target) {
  const res = await slowClient.restoreSnapshot({ snapshot_name: 'good', source_collection_name: 'books', target_collection_name: target })
  assert.equal(res.status.code, 0, res.status.reason)
  return res.job_id
}

/** The environment of a child: no inherited MILVUS_*, then `env`. */
function childEnv(env) {
  const out = { ...process.env }
  delete out.MILVUS_ADDRESS
  delete out.MILVUS_TOKEN
  delete out.MILVUS_NATIVE_LOG
  return { ...out, ...env }
}

/** Runs the CLI; by default MILVUS_ADDRESS / MILVUS_TOKEN point at the sim. */
function cli(args, { env = { MILVUS_ADDRESS: sim.address, MILVUS_TOKEN: TOKEN }, timeout = 20000 } = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv(env), timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : `killed (${err.signal})`) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

function show(r) {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`
}

/** Exit code and parsed stdout of a --json run. */
async function json(args, code = 0, options) {
  const r = await cli([...args, '--json'], options)
  assert.equal(r.code, code, show(r))
  let doc
  assert.doesNotThrow(() => {
    doc = JSON.parse(r.stdout)
  }, `stdout is not one JSON document:\n${show(r)}`)
  return doc
}

async function freshRestore(snapshot, target) {
  const res = await client.restoreSnapshot({ snapshot_name: snapshot, source_collection_name: 'books', target_collection_name: target })
  assert.equal(res.status.code, 0, res.status.reason)
  return res.job_id
}

// Human output: timestamps as ISO 8601 (UTC).
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z'
const INFO_LINE = new RegExp(`^job (\\d+): (RestoreSnapshot\\w+) (\\d+)% \\((\\S*) -> (\\S*)\\.(\\S*), started (${ISO})(, took (\\d+) ms)?(, reason: (.*))?\\)$`)

test('state: plain line, --json equal to getRestoreSnapshotState, exit 0', async () => {
  const r = await cli(['state', done.job_id])
  assert.equal(r.code, 0, show(r))
  assert.equal(r.stderr, '')
  const m = INFO_LINE.exec(r.stdout.trim())
  assert.ok(m, `unexpected line: ${r.stdout}`)
  assert.deepEqual([m[1], m[2], m[3], m[4], m[5], m[6]], [done.job_id, 'RestoreSnapshotCompleted', '100', 'good', 'default', 'done1'])
  assert.ok(Number(m[9]) > 0, 'took N ms')
  const doc = await json(['state', done.job_id])
  // Human output: ISO 8601; --json: the raw Unix-ms string.
  assert.equal(m[7], new Date(Number(doc.info.start_time)).toISOString())
  assert.match(doc.info.start_time, /^\d{13}$/)
  assert.deepEqual(doc, await client.getRestoreSnapshotState({ job_id: done.job_id }))
  assert.equal(JSON.stringify(doc), JSON.stringify(await client.getRestoreSnapshotState({ job_id: done.job_id })))
})

test('state: a Failed job exits 1 and shows the reason; an unknown job exits 3', async () => {
  const r = await cli(['state', failed])
  assert.equal(r.code, 1, show(r))
  assert.match(r.stdout, /RestoreSnapshotFailed .*reason: disk on fire\)/)
  const doc = await json(['state', failed], 1)
  assert.equal(doc.info.state, 'RestoreSnapshotFailed')
  assert.equal(doc.info.reason, 'disk on fire')

  const unknown = await cli(['state', '424242'])
  assert.equal(unknown.code, 3, show(unknown))
  assert.equal(unknown.stdout, '')
  assert.match(unknown.stderr, /restore job not found: jobID=424242/)
  assert.match(unknown.stderr, /2101/)
})

test('wait: exit 0 on Completed, one line per change when stdout is not a terminal', async () => {
  const job = await slowRestore('wait_plain')
  const r = await cli(['wait', job, '--interval', '10'], { env: { MILVUS_ADDRESS: slow.address } })
  assert.equal(r.code, 0, show(r))
  assert.doesNotMatch(r.stdout, /\u2588|\u2591|\x1b\[/, 'no bar or escape codes when not a terminal')
  const lines = r.stdout.trim().split('\n')
  const parsed = lines.map((l) => {
    const m = INFO_LINE.exec(l)
    assert.ok(m, `unexpected line: ${l}`)
    return { job: m[1], state: m[2], progress: Number(m[3]) }
  })
  for (const p of parsed) assert.equal(p.job, job)
  const keys = parsed.map((p) => `${p.state} ${p.progress}`)
  assert.deepEqual(keys, [...new Set(keys)], 'a line repeats')
  assert.equal(keys.at(-1), 'RestoreSnapshotCompleted 100')
  assert.ok(keys.includes('RestoreSnapshotExecuting 33') && keys.includes('RestoreSnapshotExecuting 66'), keys.join(', '))
  for (let i = 1; i < parsed.length; i++) assert.ok(parsed[i].progress >= parsed[i - 1].progress, keys.join(', '))
  const states = parsed.map((p) => p.state).filter((st, i, all) => i === 0 || all[i - 1] !== st)
  assert.deepEqual(states, [...new Set(states)], 'a state came back')
})

test('wait --json: { status, info }, the same shape as state --json, equal to what the library reports', async () => {
  const job = await freshRestore('good', 'wait_json')
  const doc = await json(['wait', job, '--interval', '10'])
  assert.deepEqual(Object.keys(doc), ['status', 'info'])
  assert.equal(doc.info.state, 'RestoreSnapshotCompleted')
  assert.equal(doc.info.progress, 100)
  assert.deepEqual(doc, await client.getRestoreSnapshotState({ job_id: job }))
  assert.deepEqual(doc.info, await client.waitForRestoreSnapshot({ job_id: job, interval: 10 }))
})

test('wait: exit 1 on Failed (reason shown; --json carries code, info)', async () => {
  const job = await freshRestore('bad', 'wait_bad')
  const r = await cli(['wait', job, '--interval', '10'])
  assert.equal(r.code, 1, show(r))
  assert.match(r.stderr, /failed: disk on fire/)
  const { error } = await json(['wait', job, '--interval', '10'], 1)
  assert.equal(error.code, 'RESTORE_FAILED')
  assert.match(error.message, /disk on fire/)
  assert.equal(error.info.state, 'RestoreSnapshotFailed')
  assert.equal(error.info.job_id, job)
  assert.equal(error.job_id, job)
  assert.equal(error.status.code, 0)
})

test('wait: exit 2 when --wait-timeout passes (job stuck in Executing)', async () => {
  const t0 = Date.now()
  const r = await cli(['wait', STUCK, '--wait-timeout', '300', '--interval', '50'])
  assert.equal(r.code, 2, show(r))
  assert.match(r.stderr, /did not finish within 300 ms/)
  assert.ok(Date.now() - t0 < 10000)
  const { error } = await json(['wait', STUCK, '--wait-timeout', '200', '--interval', '50'], 2)
  assert.equal(error.code, 'RESTORE_TIMEOUT')
  assert.equal(error.info.state, 'RestoreSnapshotExecuting')
  assert.equal(error.info.progress, 40)
})

test('wait: exit 3 on an unknown job (--json carries status 2101)', async () => {
  const r = await cli(['wait', '424242', '--interval', '10'])
  assert.equal(r.code, 3, show(r))
  assert.match(r.stderr, /restore job not found/)
  const { error } = await json(['wait', '424242', '--interval', '10'], 3)
  assert.equal(error.code, 'MILVUS_STATUS')
  assert.equal(error.status.code, 2101)
  assert.equal(error.info, null)
})

test('jobs: all, filtered by collection and by database, none', async () => {
  const all = await json(['jobs'])
  assert.deepEqual(all, await client.listRestoreSnapshotJobs())
  assert.ok(all.jobs.length >= 2)
  const plain = await cli(['jobs'])
  assert.equal(plain.code, 0, show(plain))
  const lines = plain.stdout.trim().split('\n')
  assert.equal(lines.length, all.jobs.length)
  assert.deepEqual(lines.map((l) => INFO_LINE.exec(l)[1]), all.jobs.map((j) => j.job_id))

  const one = await json(['jobs', '--collection', 'done1'])
  assert.deepEqual(one.jobs.map((j) => j.job_id), [done.job_id])
  assert.deepEqual(one, await client.listRestoreSnapshotJobs({ collection_name: 'done1' }))
  const byDb = await json(['jobs', '--db', 'default'])
  assert.equal(byDb.jobs.length, (await client.listRestoreSnapshotJobs({ db_name: 'default' })).jobs.length)
  const none = await cli(['jobs', '--db', 'analytics'])
  assert.equal(none.code, 0, show(none))
  assert.equal(none.stdout.trim(), 'no restore jobs')
  assert.deepEqual((await json(['jobs', '--collection', 'nothing_here'])).jobs, [])
})

test('snapshots: names, --json equal to listSnapshots, --db, unknown collection exits 3', async () => {
  const r = await cli(['snapshots', 'books'])
  assert.equal(r.code, 0, show(r))
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['bad', 'good'])
  assert.deepEqual(await json(['snapshots', 'books']), await client.listSnapshots({ collection_name: 'books' }))
  assert.deepEqual((await json(['snapshots', 'logs', '--db', 'analytics'])).snapshots, ['weekly'])
  const missing = await cli(['snapshots', 'nope'])
  assert.equal(missing.code, 3, show(missing))
  assert.match(missing.stderr, /collection not found\[database=default\]\[collection=nope\]/)
})

test('describe: text, --json equal to describeSnapshot, unknown snapshot exits 3', async () => {
  const r = await cli(['describe', 'books', 'good'])
  assert.equal(r.code, 0, show(r))
  assert.match(r.stdout, /^snapshot good of books$/m)
  assert.match(r.stdout, /description: good one/)
  assert.match(r.stdout, /partitions: _default/)
  const doc = await json(['describe', 'books', 'good'])
  assert.deepEqual(doc, await client.describeSnapshot({ collection_name: 'books', snapshot_name: 'good' }))
  assert.equal(doc.name, 'good')
  assert.equal((await json(['describe', 'logs', 'weekly', '--db', 'analytics'])).collection_name, 'logs')
  const ghost = await cli(['describe', 'books', 'ghost'])
  assert.equal(ghost.code, 3, show(ghost))
  assert.match(ghost.stderr, /snapshot not found/)
})

test('restore: job started; --wait to Completed (exit 0) or Failed (exit 1); --json', async () => {
  const started = await json(['restore', 'good', '--from', 'books', '--to', 'r_nowait'])
  assert.equal(started.status.code, 0)
  assert.match(started.job_id, /^[1-9]\d*$/)
  assert.deepEqual((await client.listRestoreSnapshotJobs({ collection_name: 'r_nowait' })).jobs.map((j) => j.job_id), [started.job_id])

  const plain = await cli(['restore', 'good', '--from', 'books', '--to', 'r_wait', '--wait', '--interval', '10'])
  assert.equal(plain.code, 0, show(plain))
  const lines = plain.stdout.trim().split('\n')
  const m = /^restore job (\d+) started$/.exec(lines[0])
  assert.ok(m, lines[0])
  assert.match(lines.at(-1), new RegExp(`^job ${m[1]}: RestoreSnapshotCompleted 100% \\(good -> default\\.r_wait, started ${ISO}, took \\d+ ms\\)$`))

  const doc = await json(['restore', 'good', '--from', 'books', '--to', 'r_json', '--wait', '--interval', '10'])
  assert.deepEqual(Object.keys(doc), ['status', 'job_id', 'info'])
  assert.equal(doc.info.job_id, doc.job_id)
  assert.equal(doc.info.state, 'RestoreSnapshotCompleted')
  assert.equal(doc.info.collection_name, 'r_json')

  const cross = await json(['restore', 'weekly', '--from', 'logs', '--from-db', 'analytics', '--to', 'logs_copy', '--to-db', 'default', '--wait', '--interval', '10'])
  assert.equal(cross.info.db_name, 'default')
  assert.equal(cross.info.collection_name, 'logs_copy')

  const bad = await cli(['restore', 'bad', '--from', 'books', '--to', 'r_bad', '--wait', '--interval', '10'])
  assert.equal(bad.code, 1, show(bad))
  assert.match(bad.stderr, /disk on fire/)

  const exists = await cli(['restore', 'good', '--from', 'books', '--to', 'books'])
  assert.equal(exists.code, 3, show(exists))
  assert.match(exists.stderr, /target collection books already exists/)
})

const COMMANDS = {
  create: 'create <collection> <snapshot>',
  drop: 'drop <collection> <snapshot>',
  pin: 'pin <collection> <snapshot>',
  unpin: 'unpin <pin_id>',
  state: 'state <job_id>',
  wait: 'wait <job_id>',
  jobs: 'jobs [--db NAME] [--collection NAME]',
  snapshots: 'snapshots <collection>',
  describe: 'describe <collection> <snapshot>',
  restore: 'restore <snapshot> --from COLLECTION --to COLLECTION',
}

/** Record lines of calls the sim received at or after `since` (Unix ms). */
function receivedSince(since) {
  return sim.records().filter((r) => r.t_ms >= since)
}

test('--help: the program and each command, exit 0, nothing sent', async () => {
  const since = Date.now()
  const top = await cli(['--help'])
  assert.equal(top.code, 0, show(top))
  for (const usage of Object.values(COMMANDS)) assert.ok(top.stdout.includes(usage), `top help lacks "${usage}"`)
  assert.match(top.stdout, /MILVUS_ADDRESS/)
  assert.match(top.stdout, /64/)
  const runs = Object.entries(COMMANDS).flatMap(([name, usage]) =>
    ['--help', '-h'].map(async (flag) => ({ name, usage, flag, r: await cli([name, flag]) })),
  )
  for (const { name, usage, flag, r } of await Promise.all(runs)) {
    {
      assert.equal(r.code, 0, `${name} ${flag}: ${show(r)}`)
      assert.ok(r.stdout.startsWith(`Usage: milvus-native ${usage}`), `${name} ${flag}: ${r.stdout.split('\n')[0]}`)
      assert.match(r.stdout, /--address/)
      assert.match(r.stdout, /--json/)
    }
  }
  assert.deepEqual(receivedSince(since), [])
})

test('usage errors exit 64 with a message on stderr, nothing on stdout, nothing sent', async () => {
  const since = Date.now()
  const cases = [
    [],
    ['bogus'],
    ['state'],
    ['state', '1', '2'],
    ['describe', 'books'],
    ['snapshots'],
    ['state', '1', '--nope'],
    ['restore', 'good', '--from', 'books'],
    ['restore', 'good', '--to', 'x'],
    ['wait', '1', '--interval', 'abc'],
    ['wait', '1', '--wait-timeout', '-5'],
    ['state', '1', '--address'],
  ]
  const results = await Promise.all(cases.map((args) => cli(args)))
  for (const [i, args] of cases.entries()) {
    const r = results[i]
    assert.equal(r.code, 64, `${JSON.stringify(args)}: ${show(r)}`)
    if (args.length === 0) {
      // No command: the usage text (on stdout, as --help prints it).
      assert.match(r.stdout + r.stderr, /Usage: milvus-native <command>/)
      continue
    }
    assert.match(r.stderr, /^milvus-native: /, JSON.stringify(args))
    assert.equal(r.stdout, '', `${JSON.stringify(args)} wrote to stdout`)
  }
  // `restore` without --to and a bad --interval are found after the client is made, so a
  // Connect handshake may have started; no snapshot RPC may have been sent.
  assert.deepEqual(receivedSince(since).map((r) => r.method).filter((m) => m !== 'Connect'), [], 'a usage error reached the server')
})

test(
  'bad values of a job id or a flag are usage errors too (exit 64, not 3)',
  async () => {
    const cases = [
      [['state', 'abc'], /<job_id> must be an integer/],
      [['wait', '77', '--interval', '0'], /--interval must be at least 1 ms/],
      // The library's option names come out as the flags that set them.
      [['state', '77', '--timeout', 'zz'], /^milvus-native: --timeout "zz" is not a time token/],
      [['state', '77', '--ca', '/missing.pem'], /^milvus-native: --ca "\/missing\.pem" cannot be read/],
    ]
    for (const [args, want] of cases) {
      const r = await cli(args)
      assert.equal(r.code, 64, `${JSON.stringify(args)}: ${show(r)}`)
      assert.match(r.stderr, want)
    }
  },
)

test(
  '--json with a Milvus error status still prints one JSON document (as wait --json does)',
  async () => {
    const doc = await json(['state', '424242'], 3)
    assert.deepEqual(doc.error.code, 'MILVUS_STATUS')
    assert.equal(doc.error.status.code, 2101)
    assert.match(doc.error.message, /restore job not found: jobID=424242/)
    const missing = await json(['snapshots', 'nope'], 3)
    assert.equal(missing.error.status.code, 100)
  },
)

test('MILVUS_ADDRESS and MILVUS_TOKEN from the environment; flags win over them', async () => {
  // Both from the environment (the default of cli()).
  assert.equal((await cli(['state', done.job_id])).code, 0)
  // Flags only.
  const flags = await cli(['state', done.job_id, '--address', sim.address, '--token', TOKEN], { env: {} })
  assert.equal(flags.code, 0, show(flags))
  // --address over a dead MILVUS_ADDRESS, --token over a wrong MILVUS_TOKEN.
  const over = await cli(['state', done.job_id, '--address', sim.address, '--token', TOKEN], {
    env: { MILVUS_ADDRESS: '127.0.0.1:1', MILVUS_TOKEN: 'root:wrong' },
  })
  assert.equal(over.code, 0, show(over))
  // The token is really sent: without it the server refuses (gRPC 16), exit 3.
  const none = await cli(['state', done.job_id], { env: { MILVUS_ADDRESS: sim.address } })
  assert.equal(none.code, 3, show(none))
  assert.match(none.stderr, /16 UNAUTHENTICATED: missing authorization in header/)
  const wrong = await cli(['state', done.job_id], { env: { MILVUS_ADDRESS: sim.address, MILVUS_TOKEN: 'root:wrong' } })
  assert.equal(wrong.code, 3, show(wrong))
  assert.match(wrong.stderr, /16 UNAUTHENTICATED: auth check failure/)
  const auth = sim.records().filter((r) => r.headers.authorization === Buffer.from(TOKEN).toString('base64'))
  assert.ok(auth.length > 0)
})

test('--database sets the dbname header; an unreachable address exits 3 with 14 UNAVAILABLE', async () => {
  const doc = await json(['snapshots', 'logs', '--database', 'analytics'])
  assert.deepEqual(doc.snapshots, ['weekly'])
  const last = sim.records().filter((r) => r.method === 'ListSnapshots').at(-1)
  assert.equal(last.headers.dbname, 'analytics')
  const r = await cli(['state', '1', '--address', '127.0.0.1:1', '--timeout', '2000'], { env: {} })
  assert.equal(r.code, 3, show(r))
  assert.match(r.stderr, /14 UNAVAILABLE/)
})

test('wait against an unreachable server says each failed poll on stderr, then exits 2 at --wait-timeout', async () => {
  const r = await cli(['wait', '1', '--address', '127.0.0.1:1', '--interval', '100', '--wait-timeout', '1500'], { env: {} })
  assert.equal(r.code, 2, show(r))
  const lines = r.stderr.split('\n').filter((l) => l.includes('poll failed'))
  assert.equal(lines.length >= 2, true, show(r))
  assert.match(lines[0], /^milvus-native: poll failed \(1 in a row\): 14 UNAVAILABLE: .+; next poll in 100 ms$/)
  assert.match(lines[1], /^milvus-native: poll failed \(2 in a row\): 14 UNAVAILABLE: .+; next poll in 200 ms$/)
  assert.match(r.stderr, /did not finish within 1500 ms; the last poll failed: 14 UNAVAILABLE/)
  // --json keeps stdout one document: the poll lines go to stderr only.
  const doc = await cli(['wait', '1', '--address', '127.0.0.1:1', '--interval', '100', '--wait-timeout', '500', '--json'], { env: {} })
  assert.equal(doc.code, 2, show(doc))
  assert.equal(JSON.parse(doc.stdout).error.code, 'RESTORE_TIMEOUT')
  assert.match(doc.stderr, /poll failed \(1 in a row\)/)
})

test('TLS paths: --ca (one-way), --cert/--key (mutual), --server-name', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-tls-'))
  const certs = await genCerts(dir)
  const oneWay = await startSim({ tls: { cert: certs.serverCert, key: certs.serverKey } })
  const mutual = await startSim({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } })
  try {
    // An answer from the server (unknown job: exit 3 with its status) proves the handshake.
    const viaCa = await cli(['state', '5', '--address', `localhost:${oneWay.port}`, '--ca', certs.ca], { env: {} })
    assert.equal(viaCa.code, 3, show(viaCa))
    assert.match(viaCa.stderr, /restore job not found: jobID=5/)
    const named = await cli(['state', '5', '--address', `127.0.0.1:${oneWay.port}`, '--ca', certs.ca, '--server-name', 'localhost'], { env: {} })
    assert.match(named.stderr, /restore job not found: jobID=5/, show(named))
    // Without the CA the server is not trusted: a transport error, no status.
    const plain = await cli(['state', '5', '--address', `localhost:${oneWay.port}`, '--timeout', '3000'], { env: {} })
    assert.equal(plain.code, 3, show(plain))
    assert.match(plain.stderr, /^milvus-native: 14 UNAVAILABLE/m)
    // Mutual TLS: with the client certificate it answers; without, the server refuses.
    const both = await cli(['state', '5', '--address', `localhost:${mutual.port}`, '--ca', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey], { env: {} })
    assert.match(both.stderr, /restore job not found: jobID=5/, show(both))
    const noCert = await cli(['state', '5', '--address', `localhost:${mutual.port}`, '--ca', certs.ca, '--timeout', '3000'], { env: {} })
    assert.equal(noCert.code, 3, show(noCert))
    assert.doesNotMatch(noCert.stderr, /restore job not found/)
    // An unreadable --ca is reported before anything is sent.
    const missing = await cli(['state', '5', '--address', `localhost:${oneWay.port}`, '--ca', path.join(dir, 'nope.pem')], { env: {} })
    assert.notEqual(missing.code, 0, show(missing))
    assert.match(missing.stderr, /nope\.pem|rootCertPath/)
  } finally {
    await Promise.all([oneWay.stop(), mutual.stop()])
  }
})

// ---- a real terminal -------------------------------------------------------------------

function has(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const TMUX = has('tmux', ['-V'])
const PYTHON_PTY = has('python3', ['-c', 'import pty'])

// The bar as cli-progress draws it with shades_classic: full blocks, then light shades.
const BAR = /restore (\d+) \[([\u2588\u2591]{10,})\] (\d+)% \| (\w+)/

/** A shell command line that runs the CLI against the slow simulator. */
function commandLine(args) {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`
  return [process.execPath, BIN, ...args, '--address', slow.address].map(q).join(' ')
}

// The bar must end full: the last onProgress (Completed 100) reaches the CLI before the wait
// resolves and the bar stops (it once came after, leaving the bar at e.g. "66% | Executing").

/** Runs `wait` in a detached tmux session; resolves { job, code, frames, screen } (memoized). */
let tmuxRun
function runUnderTmux() {
  tmuxRun ??= (async () => {
    const job = await slowRestore('tty_tmux')
    const socket = `milvus-native-cli-test-${process.pid}`
    const tmux = (...a) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' })
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-tty-')), 'exit')
    // The shell records the exit code, then keeps the pane open to be captured.
    const started = tmux(
      'new-session', '-d', '-x', '120', '-y', '30', '-s', 'wait',
      `${commandLine(['wait', job, '--interval', '20'])}; echo $? > '${marker}'; sleep 60`,
    )
    assert.equal(started.status, 0, started.stderr)
    try {
      const frames = []
      const deadline = Date.now() + 15000
      while (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') === '') {
        assert.ok(Date.now() < deadline, `wait did not finish; screen:\n${frames.at(-1)}`)
        const shot = tmux('capture-pane', '-p', '-t', 'wait')
        if (shot.status === 0) frames.push(shot.stdout)
        await new Promise((r) => setTimeout(r, 15))
      }
      const screen = tmux('capture-pane', '-p', '-t', 'wait').stdout
      return { job, code: fs.readFileSync(marker, 'utf8').trim(), frames: [...frames, screen], screen }
    } finally {
      tmux('kill-server')
    }
  })()
  return tmuxRun
}

const NO_TMUX = !TMUX && 'tmux is not installed (the python pty tests cover the bar)'

test('wait on a terminal (tmux): a live bar drawn in place, exit 0, summary line', { skip: NO_TMUX }, async () => {
  const { job, code, frames, screen } = await runUnderTmux()
  assert.equal(code, '0', screen)
  const bar = BAR.exec(screen)
  assert.ok(bar, `no progress bar on the screen:\n${screen}`)
  assert.equal(bar[1], job)
  assert.match(screen, new RegExp(`job ${job}: RestoreSnapshotCompleted 100%`))
  // Drawn in place: one bar line on the screen, not one per update.
  assert.equal(screen.split('\n').filter((l) => BAR.test(l)).length, 1, screen)
  assert.doesNotMatch(screen, /RestoreSnapshotExecuting/, 'plain progress lines on a terminal')
  // It was live: the frames show it filling while Executing.
  const drawn = frames.map((f) => BAR.exec(f)).filter(Boolean)
  const executing = drawn.filter((m) => m[4] === 'Executing' && Number(m[3]) > 0 && Number(m[3]) < 100)
  assert.ok(executing.length > 0, `never saw the bar part-way while Executing in ${frames.length} frames`)
  assert.ok(executing.every((m) => m[2].includes('\u2588') && m[2].includes('\u2591')), 'a partial bar shows filled and unfilled cells')
  const seen = drawn.map((m) => Number(m[3]))
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `the bar went back: ${seen.join(', ')}`)
})

test('wait on a terminal (tmux): the bar ends full, 100% | Completed', { skip: NO_TMUX }, async () => {
  const { screen } = await runUnderTmux()
  const bar = BAR.exec(screen)
  assert.ok(bar, `no progress bar on the screen:\n${screen}`)
  assert.match(bar[2], /^\u2588+$/, `bar not full:\n${screen}`)
  assert.equal(bar[3], '100')
  assert.equal(bar[4], 'Completed')
})

/** Runs `wait` under python3's pty.spawn; resolves { job, code, out } (memoized). */
let ptyRun
function runUnderPty() {
  ptyRun ??= (async () => {
    const job = await slowRestore('tty_pty')
    const script = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)'
    return new Promise((resolve) => {
      execFile(
        'python3',
        ['-c', script, process.execPath, BIN, 'wait', job, '--interval', '20', '--address', slow.address],
        { encoding: 'utf8', timeout: 20000, env: childEnv({ COLUMNS: '120', LINES: '30' }) },
        (err, out, stderr) => resolve({ job, code: err ? err.code : 0, out, stderr }),
      )
    })
  })()
  return ptyRun
}

const NO_PTY = !PYTHON_PTY && 'python3 with the pty module is not available'

test('wait on a pty (python3 pty.spawn): the bar is redrawn in place as the job progresses', { skip: NO_PTY }, async () => {
  const { job, code, out, stderr } = await runUnderPty()
  assert.equal(code, 0, `${out}\n${stderr}`)
  // Redrawn with cursor control, not one line per change as on a pipe.
  assert.match(out, /\x1b\[/, 'no terminal control sequences')
  assert.doesNotMatch(out, /^job \d+: RestoreSnapshotExecuting/m, 'plain progress lines on a terminal')
  const bars = [...out.matchAll(new RegExp(BAR.source, 'g'))]
  assert.ok(bars.length >= 3, `expected several bar redraws:\n${JSON.stringify(out)}`)
  assert.ok(bars.every((m) => m[1] === job))
  assert.ok(bars.some((m) => m[4] === 'Executing' && Number(m[3]) > 0 && Number(m[3]) < 100), 'never drawn part-way')
  // On a terminal the state is coloured (green for Completed).
  assert.match(out, new RegExp(`job ${job}: \x1b\\[32mRestoreSnapshotCompleted\x1b\\[0m 100%`))
})

test('wait on a pty: the last bar drawn is 100% | Completed', { skip: NO_PTY }, async () => {
  const { out } = await runUnderPty()
  const last = [...out.matchAll(new RegExp(BAR.source, 'g'))].at(-1)
  assert.ok(last, JSON.stringify(out))
  assert.equal(last[3], '100')
  assert.equal(last[4], 'Completed')
})

// ---- create, drop, pin, unpin; --version, help; -- before negative numbers (issue 14) ------

test('create, describe, drop: a snapshot made and removed from the command line', async () => {
  const made = await cli(['create', 'books', 'cli_made', '--description', 'from the CLI', '--protect', '60'])
  assert.equal(made.code, 0, show(made))
  assert.equal(made.stdout, 'snapshot cli_made of books created\n')
  const described = await client.describeSnapshot({ collection_name: 'books', snapshot_name: 'cli_made' })
  assert.equal(described.status.code, 0)
  assert.equal(described.description, 'from the CLI')
  const rec = sim.records().filter((r) => r.method === 'CreateSnapshot').at(-1)
  assert.equal(rec.request.compaction_protection_seconds, '60')
  // Human output: created as ISO 8601; --json keeps the raw create_ts.
  const text = await cli(['describe', 'books', 'cli_made'])
  assert.match(text.stdout, new RegExp(`^  created: ${ISO}$`, 'm'))
  assert.ok(text.stdout.includes(`created: ${new Date(Number(described.create_ts)).toISOString()}`), text.stdout)
  assert.equal((await json(['describe', 'books', 'cli_made'])).create_ts, described.create_ts)

  const again = await json(['create', 'books', 'cli_made'], 3)
  assert.equal(again.error.code, 'MILVUS_STATUS')
  assert.equal(again.error.status.code, 1100)
  assert.match(again.error.message, /snapshot name cli_made already exists/)
  const badProtect = await json(['create', 'books', 'cli_x', '--protect', '604801'], 3)
  assert.match(badProtect.error.message, /compaction_protection_seconds should be in range/)
  const inDb = await json(['create', 'logs', 'cli_db', '--db', 'analytics'])
  assert.deepEqual(Object.keys(inDb), ['status'])
  assert.deepEqual((await client.listSnapshots({ collection_name: 'logs', db_name: 'analytics' })).snapshots.sort(), ['cli_db', 'weekly'])

  const dropped = await cli(['drop', 'books', 'cli_made'])
  assert.equal(dropped.code, 0, show(dropped))
  assert.equal(dropped.stdout, 'snapshot cli_made of books dropped\n')
  assert.ok(!(await client.listSnapshots({ collection_name: 'books' })).snapshots.includes('cli_made'))
  assert.equal((await cli(['drop', 'logs', 'cli_db', '--db', 'analytics'])).code, 0)
  const noCollection = await json(['drop', 'nope', 'x'], 3)
  assert.equal(noCollection.error.status.code, 100)
})

test('pin and unpin: the pin id printed, then released; bad ttl and unknown snapshot refused', async () => {
  const r = await cli(['pin', 'books', 'good', '--ttl', '120'])
  assert.equal(r.code, 0, show(r))
  const m = /^pin (\d+) holds snapshot good of books\n$/.exec(r.stdout)
  assert.ok(m, r.stdout)
  const rec = sim.records().filter((x) => x.method === 'PinSnapshotData').at(-1)
  assert.equal(rec.request.ttl_seconds, '120')
  const doc = await json(['pin', 'books', 'good'])
  assert.deepEqual(Object.keys(doc), ['status', 'pin_id'])
  assert.match(doc.pin_id, /^[1-9]\d*$/)
  assert.notEqual(doc.pin_id, m[1])

  const un = await cli(['unpin', m[1]])
  assert.equal(un.code, 0, show(un))
  assert.equal(un.stdout, `pin ${m[1]} released\n`)
  assert.equal(sim.records().filter((x) => x.method === 'UnpinSnapshotData').at(-1).request.pin_id, m[1])
  assert.deepEqual(Object.keys(await json(['unpin', doc.pin_id])), ['status'])

  const ghost = await json(['pin', 'books', 'ghost'], 3)
  assert.match(ghost.error.message, /snapshot not found/)
  const ttl = await json(['pin', 'books', 'good', '--ttl', '2592001'], 3)
  assert.match(ttl.error.message, /ttl_seconds should be in range/)
})

test('--version, help <command>, <command> --help; unknown help topics are usage errors', async () => {
  const { version } = require('../package.json')
  const v = await cli(['--version'])
  assert.equal(v.code, 0, show(v))
  assert.equal(v.stdout, `milvus-native ${version}\n`)
  assert.deepEqual(await json(['--version']), { version })
  for (const [name, usage] of Object.entries(COMMANDS)) {
    const viaHelp = await cli(['help', name])
    assert.equal(viaHelp.code, 0, show(viaHelp))
    assert.ok(viaHelp.stdout.startsWith(`Usage: milvus-native ${usage}`), `help ${name}: ${viaHelp.stdout.split('\n')[0]}`)
    assert.equal(viaHelp.stdout, (await cli([name, '--help'])).stdout)
  }
  const top = await cli(['help'])
  assert.equal(top.code, 0)
  assert.match(top.stdout, /^Usage: milvus-native <command>/)
  const unknown = await cli(['help', 'bogus'])
  assert.equal(unknown.code, 64, show(unknown))
  assert.match(unknown.stderr, /no help for "bogus"/)
})

test('-- before a negative number; a bad id is a usage error in CLI terms', async () => {
  const neg = await cli(['state', '--', '-1'])
  assert.equal(neg.code, 3, show(neg))
  assert.match(neg.stderr, /restore job not found: jobID=-1/)
  const noDash = await cli(['state', '-1'])
  assert.equal(noDash.code, 64, show(noDash))
  assert.match(noDash.stderr, /"-1" looks like a negative number: put -- before it, e.g. milvus-native state -- -1/)
  for (const [args, want] of [
    [['state', 'abc'], /<job_id> must be an integer \(int64\), got "abc"/],
    [['wait', '9223372036854775808'], /<job_id> must be an integer \(int64\), got "9223372036854775808"/],
    [['unpin', '1.5'], /<pin_id> must be an integer \(int64\), got "1.5"/],
    [['describe', 'books', ''], /<snapshot> must not be empty/],
    [['pin', 'books', 'good', '--ttl', '-5'], /looks like a negative number/],
    [['pin', 'books', 'good', '--ttl', '1h'], /--ttl must be a whole number of seconds, got "1h"/],
    [['create', 'books', 'x', '--protect', 'soon'], /--protect must be a whole number of seconds/],
  ]) {
    const r = await cli(args)
    assert.equal(r.code, 64, show(r))
    assert.match(r.stderr, want)
    // The library's field names (job_id: ..., "is missing") do not leak through.
    assert.doesNotMatch(r.stderr, /job_id:|is missing|TypeError/)
  }
})

test('--json: one documented shape per command; errors are { error: { code, message } }, code never null', async () => {
  const job = await freshRestore('good', 'shape_job')
  await client.waitForRestoreSnapshot({ job_id: job, interval: 10 })
  const pinned = await client.pinSnapshotData({ collection_name: 'books', snapshot_name: 'good' })
  // The shapes of README.md's "Command line" section.
  const shapes = [
    [['create', 'books', 'shape_snap'], ['status']],
    [['snapshots', 'books'], ['status', 'snapshots']],
    [['describe', 'books', 'shape_snap'], ['status', 'name', 'description', 'collection_name', 'partition_names', 'create_ts', 's3_location']],
    [['pin', 'books', 'shape_snap'], ['status', 'pin_id']],
    [['unpin', pinned.pin_id], ['status']],
    [['restore', 'shape_snap', '--from', 'books', '--to', 'shape_r'], ['status', 'job_id']],
    [['restore', 'shape_snap', '--from', 'books', '--to', 'shape_rw', '--wait', '--interval', '10'], ['status', 'job_id', 'info']],
    [['state', job], ['status', 'info']],
    [['wait', job], ['status', 'info']],
    [['jobs'], ['status', 'jobs']],
    [['drop', 'books', 'shape_snap'], ['status']],
  ]
  for (const [args, keys] of shapes) {
    const doc = await json(args)
    assert.deepEqual(Object.keys(doc).sort(), [...keys].sort(), args.join(' '))
    assert.equal(doc.status.code, 0, args.join(' '))
    assert.equal(doc.status.error_code, 'Success', args.join(' '))
  }
  const errors = [
    [['state', 'abc'], 64, 'USAGE'],
    [['bogus'], 64, 'USAGE'],
    [['state', '424242'], 3, 'MILVUS_STATUS'],
    [['wait', STUCK, '--wait-timeout', '100', '--interval', '20'], 2, 'RESTORE_TIMEOUT'],
    [['wait', failed], 1, 'RESTORE_FAILED'],
    [['state', '1'], 3, 'GRPC', { env: { MILVUS_ADDRESS: sim.address } }],
    [['state', '1', '--address', '127.0.0.1:1', '--timeout', '2000'], 3, 'GRPC', { env: {} }],
  ]
  for (const [args, exit, code, options] of errors) {
    const doc = await json(args, exit, options)
    assert.deepEqual(Object.keys(doc), ['error'], args.join(' '))
    assert.equal(doc.error.code, code, args.join(' '))
    assert.equal(typeof doc.error.message, 'string')
    assert.notEqual(doc.error.message, '')
    if (code === 'GRPC') assert.equal(typeof doc.error.grpc_code, 'number')
  }
})

// ---- colours, Ctrl-C: a pseudo-terminal (python3's pty module) -----------------------------

// Runs the CLI on a pty; with `interruptOn`, sends Ctrl-C (\x03, turned into SIGINT by the
// terminal) once the output matches it. Prints { code, out, sent } as JSON.
const PTY_SCRIPT = `
import json, os, pty, re, select, sys, time
interrupt_on = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
sent = False
deadline = time.time() + 20
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if interrupt_on and not sent and re.search(interrupt_on.encode(), out):
        os.write(fd, b'\\x03')
        sent = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'out': out.decode('utf8', 'replace'), 'sent': sent}))
`

function onPty(args, { interruptOn = '', env = {} } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      ['-c', PTY_SCRIPT, interruptOn, process.execPath, BIN, ...args],
      { encoding: 'utf8', timeout: 30000, env: childEnv({ COLUMNS: '120', LINES: '30', ...env }) },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)))
    )
  })
}

test('colours only on a terminal, and never with NO_COLOR', { skip: NO_PTY }, async () => {
  const env = { MILVUS_ADDRESS: sim.address, MILVUS_TOKEN: TOKEN }
  const tty = await onPty(['state', done.job_id], { env })
  assert.equal(tty.code, 0, tty.out)
  assert.match(tty.out, /\x1b\[32mRestoreSnapshotCompleted\x1b\[0m/)
  const noColor = await onPty(['state', done.job_id], { env: { ...env, NO_COLOR: '1' } })
  assert.equal(noColor.code, 0, noColor.out)
  assert.doesNotMatch(noColor.out, /\x1b\[/)
  assert.match(noColor.out, /RestoreSnapshotCompleted 100%/)
  const failedTty = await onPty(['state', '424242'], { env })
  assert.equal(failedTty.code, 3)
  assert.match(failedTty.out, /\x1b\[31mmilvus-native:\x1b\[0m restore job not found/)
  // Not a terminal: no escape codes at all.
  const piped = await cli(['state', failed])
  assert.doesNotMatch(piped.stdout + piped.stderr, /\x1b/)
})

for (const via of ['wait', 'restore --wait']) {
  test(`Ctrl-C during ${via} on a terminal: cursor shown again, the job goes on, how to follow it, exit 130`, { skip: NO_PTY }, async () => {
    let job
    let args
    if (via === 'wait') {
      job = await slowRestore('ctrlc_wait')
      args = ['wait', job, '--interval', '20', '--address', slow.address]
    } else {
      args = ['restore', 'good', '--from', 'books', '--to', 'ctrlc_restore', '--wait', '--interval', '20', '--address', slow.address]
    }
    // Interrupt once the bar is drawn (the cursor is hidden then).
    const r = await onPty(args, { interruptOn: '\\] \\d+% \\|' })
    assert.ok(r.sent, `the bar never appeared:\n${JSON.stringify(r.out)}`)
    assert.equal(r.code, 130, JSON.stringify(r.out))
    if (!job) job = /restore job (\d+) started/.exec(r.out)[1]
    const hid = r.out.lastIndexOf('\x1b[?25l')
    assert.ok(hid >= 0, 'the bar hid the cursor')
    assert.ok(r.out.lastIndexOf('\x1b[?25h') > hid, `the cursor was not shown again:\n${JSON.stringify(r.out)}`)
    assert.match(r.out, new RegExp(`restore job ${job} goes on running on the server; follow it with: milvus-native wait ${job} --address ${slow.address}`))
    // And it does go on: the job completes on the server.
    const info = await slowClient.waitForRestoreSnapshot({ job_id: job, interval: 20 })
    assert.equal(info.state, 'RestoreSnapshotCompleted')
  })
}
