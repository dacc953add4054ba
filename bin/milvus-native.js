#!/usr/bin/env node
'use strict'
// The `milvus-native` command line: make, list, describe, pin and restore snapshots, and follow
// restore jobs. It never reports success unless the server's status said Success, and a server
// without the snapshot API (older than Milvus 3.0) gets one clear line and a non-zero exit.

const { parseArgs } = require('node:util')
const { MilvusClient, RestoreSnapshotState } = require('..')
const { version: VERSION } = require('../package.json')

// Exit codes, documented in --help and README.md.
const EXIT = { ok: 0, failed: 1, timeout: 2, error: 3, usage: 64, interrupted: 130 }

const CONNECTION = {
  address: { type: 'string' },
  token: { type: 'string' },
  database: { type: 'string' },
  timeout: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'server-name': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

const CONNECTION_HELP = `Connection and output:
  --address HOST:PORT   Milvus address (env MILVUS_ADDRESS, default localhost:19530)
  --token TOKEN         user:password or API key (env MILVUS_TOKEN)
  --database NAME       database (default "default")
  --timeout MS|TOKEN    per-call timeout: milliseconds or a token such as 10s (default 15s)
  --ca PATH             CA certificate (PEM) to verify the server: turns TLS on
  --cert PATH --key PATH  client certificate and key for mutual TLS
  --server-name NAME    name to verify in the server certificate
  --json                machine-readable output: one JSON document on stdout
  -h, --help            this help
Put -- before a negative number: milvus-native state -- -1`

const WAIT_OPTIONS = { interval: { type: 'string' }, 'wait-timeout': { type: 'string' } }
const DB = { db: { type: 'string' } }

const COMMANDS = {
  create: {
    usage: 'create <collection> <snapshot> [--db NAME] [--description TEXT] [--protect SECONDS]',
    about: 'Create a snapshot of a collection (createSnapshot). --protect: compaction protection, 0-604800 s.',
    options: { ...DB, description: { type: 'string' }, protect: { type: 'string' } },
    positionals: ['collection', 'snapshot'],
    run: create,
  },
  drop: {
    usage: 'drop <collection> <snapshot> [--db NAME]',
    about: 'Drop a snapshot (dropSnapshot). Dropping a snapshot that does not exist succeeds.',
    options: DB,
    positionals: ['collection', 'snapshot'],
    run: drop,
  },
  snapshots: {
    usage: 'snapshots <collection> [--db NAME]',
    about: 'List the snapshots of a collection (listSnapshots).',
    options: DB,
    positionals: ['collection'],
    run: snapshots,
  },
  describe: {
    usage: 'describe <collection> <snapshot> [--db NAME]',
    about: 'Describe one snapshot (describeSnapshot).',
    options: DB,
    positionals: ['collection', 'snapshot'],
    run: describe,
  },
  pin: {
    usage: 'pin <collection> <snapshot> [--db NAME] [--ttl SECONDS]',
    about: "Pin a snapshot's data so it is not garbage-collected (pinSnapshotData); prints the pin id.",
    options: { ...DB, ttl: { type: 'string' } },
    positionals: ['collection', 'snapshot'],
    run: pin,
  },
  unpin: {
    usage: 'unpin <pin_id>',
    about: 'Release a pin (unpinSnapshotData). Releasing an unknown pin succeeds.',
    positionals: ['pin_id'],
    run: unpin,
  },
  restore: {
    usage: 'restore <snapshot> --from COLLECTION --to COLLECTION [--from-db NAME] [--to-db NAME] [--wait]',
    about: 'Restore a snapshot into a new collection (restoreSnapshot); --wait then waits for the job.',
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'from-db': { type: 'string' },
      'to-db': { type: 'string' },
      wait: { type: 'boolean' },
      ...WAIT_OPTIONS,
    },
    positionals: ['snapshot'],
    run: restore,
  },
  state: {
    usage: 'state <job_id>',
    about: 'Print the state of a restore job (getRestoreSnapshotState).',
    positionals: ['job_id'],
    run: state,
  },
  wait: {
    usage: 'wait <job_id> [--interval MS] [--wait-timeout MS]',
    about: 'Wait for a restore job to finish, with a progress bar on a terminal (waitForRestoreSnapshot).',
    options: WAIT_OPTIONS,
    positionals: ['job_id'],
    run: (client, args) => wait(client, args.positionals[0], args.values),
  },
  jobs: {
    usage: 'jobs [--db NAME] [--collection NAME]',
    about: 'List restore jobs, optionally of one target database or collection (listRestoreSnapshotJobs).',
    options: { ...DB, collection: { type: 'string' } },
    positionals: [],
    run: jobs,
  },
}

const EXIT_HELP = `Exit codes: 0 success, 1 restore job Failed, 2 wait timed out, 3 other error (Milvus error
status, server without snapshots, connection, deadline), 64 bad usage, 130 interrupted (Ctrl-C; 143 on SIGTERM).`

function mainHelp() {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.about}`)
  return `Usage: milvus-native <command> [options]

Commands:
${lines.join('\n')}
  help [<command>]
  --version

${CONNECTION_HELP}

${EXIT_HELP}
Run "milvus-native help <command>" or "milvus-native <command> --help" for one command.`
}

function commandHelp(name) {
  const c = COMMANDS[name]
  return `Usage: milvus-native ${c.usage}\n\n${c.about}\n\n${CONNECTION_HELP}\n\n${EXIT_HELP}`
}

class UsageError extends Error {}

/** An error the CLI reports with a code of its own (see README: errors in --json). */
class CliError extends Error {
  constructor(code, message, extra = {}) {
    super(message)
    this.cliCode = code
    this.extra = extra
  }
}

// ---- output ----------------------------------------------------------------------------

/** Colours only on a terminal, and never when NO_COLOR is set to something (no-color.org). */
function colours(stream) {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR
}
const SGR = { red: 31, green: 32, yellow: 33, bold: 1 }
function paint(stream, colour, text) {
  return colours(stream) ? `\x1b[${SGR[colour]}m${text}\x1b[0m` : text
}

function stateText(s) {
  const colour = s === RestoreSnapshotState.RestoreSnapshotCompleted ? 'green' : s === RestoreSnapshotState.RestoreSnapshotFailed ? 'red' : 'yellow'
  return paint(process.stdout, colour, String(s))
}

/**
 * A Unix-millisecond or Milvus hybrid timestamp (physical ms << 18) as ISO 8601 UTC; '-' for 0.
 * Timestamps in --json stay the raw decimal strings the library resolves.
 */
function iso(value) {
  let n
  try {
    n = BigInt(value)
  } catch {
    return String(value)
  }
  if (n <= 0n) return '-'
  if (n > 10n ** 15n) n >>= 18n // a hybrid timestamp: milliseconds in the high bits
  const d = new Date(Number(n))
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString()
}

function describeInfo(i) {
  const took = i.state === RestoreSnapshotState.RestoreSnapshotCompleted ? `, took ${i.time_cost} ms` : ''
  const why = i.reason ? `, reason: ${i.reason}` : ''
  return `job ${i.job_id}: ${stateText(i.state)} ${i.progress}% (${i.snapshot_name} -> ${i.db_name}.${i.collection_name}, started ${iso(i.start_time)}${took}${why})`
}

function print(values, json, text) {
  process.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text + '\n')
}

// ---- checks of what the server said -----------------------------------------------------

const NOT_SUPPORTED = 'this server does not support snapshots (Milvus 3.0 or later needed)'

/** The reply must carry a status that says Success; anything else is an error, never success. */
function checkStatus(reply, method) {
  const status = reply && typeof reply === 'object' && 'status' in reply ? reply.status : reply
  if (!status || typeof status !== 'object' || typeof status.code !== 'number') {
    // Only a server we do not understand answers without a status (requireMilvus3 turns
    // UNIMPLEMENTED into an error before we get here).
    throw new CliError('BAD_REPLY', `the server's ${method} reply has no status; ${NOT_SUPPORTED}?`)
  }
  if (status.code !== 0 || (status.error_code !== undefined && status.error_code !== 'Success')) {
    throw new CliError('MILVUS_STATUS', `${status.reason || status.error_code} (Milvus status code ${status.code})`, { status })
  }
  return status
}

function need(reply, field, method, check) {
  if (!reply || !check(reply[field])) {
    throw new CliError('BAD_REPLY', `the server's ${method} reply has no valid ${field}`)
  }
}

// ---- commands ---------------------------------------------------------------------------

function where(v, collection) {
  return v.db ? `${v.db}.${collection}` : collection
}

async function create(client, args) {
  const [collection_name, snapshot_name] = args.positionals
  const v = args.values
  const status = checkStatus(
    await client.createSnapshot({
      collection_name,
      snapshot_name,
      db_name: v.db,
      description: v.description,
      compaction_protection_seconds: v.protect,
    }),
    'createSnapshot'
  )
  print(v, { status }, `snapshot ${snapshot_name} of ${where(v, collection_name)} created`)
  return EXIT.ok
}

async function drop(client, args) {
  const [collection_name, snapshot_name] = args.positionals
  const v = args.values
  const status = checkStatus(await client.dropSnapshot({ collection_name, snapshot_name, db_name: v.db }), 'dropSnapshot')
  print(v, { status }, `snapshot ${snapshot_name} of ${where(v, collection_name)} dropped`)
  return EXIT.ok
}

async function snapshots(client, args) {
  const res = await client.listSnapshots({ collection_name: args.positionals[0], db_name: args.values.db })
  const status = checkStatus(res, 'listSnapshots')
  need(res, 'snapshots', 'listSnapshots', Array.isArray)
  print(args.values, { status, snapshots: res.snapshots }, res.snapshots.length ? res.snapshots.join('\n') : 'no snapshots')
  return EXIT.ok
}

async function describe(client, args) {
  const [collection_name, snapshot_name] = args.positionals
  const res = await client.describeSnapshot({ collection_name, snapshot_name, db_name: args.values.db })
  checkStatus(res, 'describeSnapshot')
  need(res, 'partition_names', 'describeSnapshot', Array.isArray)
  const text = [
    `snapshot ${res.name} of ${res.collection_name}`,
    `  created: ${iso(res.create_ts)}`,
    `  partitions: ${res.partition_names.join(', ') || '-'}`,
    `  description: ${res.description || '-'}`,
    `  location: ${res.s3_location || '-'}`,
  ].join('\n')
  print(args.values, res, text)
  return EXIT.ok
}

async function pin(client, args) {
  const [collection_name, snapshot_name] = args.positionals
  const v = args.values
  const res = await client.pinSnapshotData({ collection_name, snapshot_name, db_name: v.db, ttl_seconds: v.ttl })
  const status = checkStatus(res, 'pinSnapshotData')
  need(res, 'pin_id', 'pinSnapshotData', (id) => typeof id === 'string' && id !== '0')
  print(v, { status, pin_id: res.pin_id }, `pin ${res.pin_id} holds snapshot ${snapshot_name} of ${where(v, collection_name)}`)
  return EXIT.ok
}

async function unpin(client, args) {
  const pin_id = args.positionals[0]
  const status = checkStatus(await client.unpinSnapshotData({ pin_id }), 'unpinSnapshotData')
  print(args.values, { status }, `pin ${pin_id} released`)
  return EXIT.ok
}

async function state(client, args) {
  const res = await client.getRestoreSnapshotState({ job_id: args.positionals[0] })
  const status = checkStatus(res, 'getRestoreSnapshotState')
  need(res, 'info', 'getRestoreSnapshotState', (i) => i && typeof i === 'object')
  print(args.values, { status, info: res.info }, describeInfo(res.info))
  return res.info.state === RestoreSnapshotState.RestoreSnapshotFailed ? EXIT.failed : EXIT.ok
}

// What Ctrl-C must undo and say while a command runs (see onInterrupt).
const running = { bar: null, jobId: null, restoring: null, values: null }

async function wait(client, jobId, values, extra = {}) {
  const bar = !values.json && process.stdout.isTTY ? progressBar(jobId) : null
  running.bar = bar
  running.jobId = jobId
  let info
  try {
    info = await client.waitForRestoreSnapshot({
      job_id: jobId,
      interval: values.interval,
      timeout: values['wait-timeout'],
      onProgress: (i) => {
        if (bar) bar.update(i.progress, { state: String(i.state).replace('RestoreSnapshot', '') })
        else if (!values.json) process.stdout.write(describeInfo(i) + '\n')
      },
      // An outage is waited through, not silently: one line on stderr per failed poll (above
      // the bar, which is on stderr too and redraws below it).
      onPollError: (e, { failures, retryInMs }) => {
        const line = `${paint(process.stderr, 'yellow', 'milvus-native:')} poll failed (${failures} in a row): ${e.message}; next poll in ${retryInMs} ms`
        process.stderr.write(`${bar ? '\r\x1b[K' : ''}${line}\n`)
      },
    })
  } catch (e) {
    if (e.name !== 'RestoreSnapshotError') throw e
    const detail = { job_id: String(jobId), status: e.status, info: e.info }
    if (e.code === 'RESTORE_FAILED') throw new CliError('RESTORE_FAILED', e.message, detail)
    if (e.code === 'RESTORE_TIMEOUT') throw new CliError('RESTORE_TIMEOUT', e.message, detail)
    throw new CliError('MILVUS_STATUS', e.message, detail)
  } finally {
    if (bar) bar.stop()
    running.bar = null
  }
  // The document carries the final reply as the server sent it, status included.
  const res = await client.getRestoreSnapshotState({ job_id: jobId })
  const status = checkStatus(res, 'getRestoreSnapshotState')
  const final = res.info || info
  // In plain mode the last progress line already said Completed.
  if (values.json) print(values, { status, ...extra, info: final }, '')
  else if (bar) print(values, null, describeInfo(final))
  running.jobId = null
  return EXIT.ok
}

function progressBar(jobId) {
  const cliProgress = require('cli-progress')
  const bar = new cliProgress.SingleBar(
    {
      format: `restore ${jobId} [{bar}] {percentage}% | {state}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic
  )
  bar.start(100, 0, { state: 'Pending' })
  return bar
}

async function jobs(client, args) {
  const res = await client.listRestoreSnapshotJobs({ db_name: args.values.db, collection_name: args.values.collection })
  const status = checkStatus(res, 'listRestoreSnapshotJobs')
  need(res, 'jobs', 'listRestoreSnapshotJobs', Array.isArray)
  print(args.values, { status, jobs: res.jobs }, res.jobs.length ? res.jobs.map(describeInfo).join('\n') : 'no restore jobs')
  return EXIT.ok
}

async function restore(client, args) {
  const v = args.values
  running.restoring = v.to
  const res = await client.restoreSnapshot({
    snapshot_name: args.positionals[0],
    source_collection_name: v.from,
    target_collection_name: v.to,
    source_db_name: v['from-db'],
    target_db_name: v['to-db'],
  })
  const status = checkStatus(res, 'restoreSnapshot')
  need(res, 'job_id', 'restoreSnapshot', (id) => typeof id === 'string' && id !== '0')
  running.restoring = null
  if (!v.wait) {
    print(v, { status, job_id: res.job_id }, `restore job ${res.job_id} started`)
    return EXIT.ok
  }
  if (!v.json) process.stdout.write(`restore job ${res.job_id} started\n`)
  return wait(client, res.job_id, v, { job_id: res.job_id })
}

// ---- Ctrl-C -----------------------------------------------------------------------------

function followCommand(jobId) {
  const v = running.values || {}
  const flags = ['address', 'database'].filter((f) => v[f]).map((f) => ` --${f} ${v[f]}`)
  return `milvus-native wait ${jobId}${flags.join('')}`
}

/** Restores the terminal, says what goes on on the server, exits 130 (143 on SIGTERM). */
function onInterrupt(signal) {
  if (running.bar) {
    running.bar.stop()
    running.bar = null
  }
  // cli-progress hid the cursor on its stream; show it again whatever happened.
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h')
  if (process.stdout.isTTY) process.stdout.write('\x1b[?25h')
  let message = 'interrupted'
  if (running.jobId !== null) {
    message = `interrupted: restore job ${running.jobId} goes on running on the server; follow it with: ${followCommand(running.jobId)}`
  } else if (running.restoring !== null) {
    message = `interrupted: the restore into ${running.restoring} may have started on the server; see: milvus-native jobs --collection ${running.restoring}`
  }
  report(new CliError('INTERRUPTED', message, running.jobId !== null ? { job_id: String(running.jobId) } : {}), jsonWanted)
  process.exit(signal === 'SIGTERM' ? 143 : EXIT.interrupted)
}

// ---- arguments --------------------------------------------------------------------------

function nonNegative(name, text) {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a non-negative number of milliseconds, got "${text}"`)
  }
  return n
}

function seconds(name, text) {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number of seconds, got "${text}"`)
  return text
}

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }
function int64(name, text) {
  if (!/^-?\d+$/.test(text) || BigInt(text) < INT64.min || BigInt(text) > INT64.max) {
    throw new UsageError(`<${name}> must be an integer (int64), got "${text}"`)
  }
  return text
}

// Client options as the command line spells them, for the library's error messages.
const FLAG_OF = {
  address: '--address',
  token: '--token',
  database: '--database',
  timeout: '--timeout',
  'tls.rootCertPath': '--ca',
  'tls.certChainPath': '--cert',
  'tls.privateKeyPath': '--key',
  'tls.serverName': '--server-name',
}

function makeClient(values) {
  const tls = {}
  if (values.ca) tls.rootCertPath = values.ca
  if (values.cert) tls.certChainPath = values.cert
  if (values.key) tls.privateKeyPath = values.key
  if (values['server-name']) tls.serverName = values['server-name']
  const timeout = values.timeout && /^\d+$/.test(values.timeout) ? Number(values.timeout) : values.timeout
  return new MilvusClient({
    address: values.address || process.env.MILVUS_ADDRESS || 'localhost:19530',
    token: values.token || process.env.MILVUS_TOKEN,
    database: values.database,
    timeout,
    tls: Object.keys(tls).length ? tls : undefined,
    // A server older than Milvus 3.0 rejects with UNIMPLEMENTED instead of resolving {}.
    requireMilvus3: true,
  })
}

function parse(command, rest) {
  const end = rest.indexOf('--')
  const options = end === -1 ? rest : rest.slice(0, end)
  const negative = options.find((a) => /^-\d/.test(a))
  if (negative !== undefined) {
    throw new UsageError(`"${negative}" looks like a negative number: put -- before it, e.g. milvus-native ${command} -- ${negative}`)
  }
  try {
    return parseArgs({ args: rest, options: { ...CONNECTION, ...COMMANDS[command].options }, allowPositionals: true })
  } catch (e) {
    throw new UsageError(e.message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''))
  }
}

let jsonWanted = false

async function main(argv) {
  const end = argv.indexOf('--')
  jsonWanted = (end === -1 ? argv : argv.slice(0, end)).includes('--json')
  const [name, ...rest] = argv
  if (!name) {
    process.stderr.write(mainHelp() + '\n')
    return EXIT.usage
  }
  if (name === '--version' || name === '-V') {
    print({ json: jsonWanted }, { version: VERSION }, `milvus-native ${VERSION}`)
    return EXIT.ok
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'))
    if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`no help for "${topic}": unknown command`)
    process.stdout.write((topic ? commandHelp(topic) : mainHelp()) + '\n')
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command "${name}"`)
  const args = parse(name, rest)
  if (args.values.help) {
    process.stdout.write(commandHelp(name) + '\n')
    return EXIT.ok
  }
  const names = command.positionals
  if (args.positionals.length !== names.length) {
    throw new UsageError(`${name} takes ${names.length ? names.map((n) => `<${n}>`).join(' ') : 'no arguments'}; usage: milvus-native ${command.usage}`)
  }
  // Everything the command line itself can check is checked before connecting.
  for (const [i, n] of names.entries()) {
    const value = args.positionals[i]
    if (n.endsWith('_id')) int64(n, value)
    else if (value === '') throw new UsageError(`<${n}> must not be empty`)
  }
  const v = args.values
  v.interval = nonNegative('interval', v.interval)
  v['wait-timeout'] = nonNegative('wait-timeout', v['wait-timeout'])
  if (v.interval === 0) throw new UsageError('--interval must be at least 1 ms')
  v.protect = seconds('protect', v.protect)
  v.ttl = seconds('ttl', v.ttl)
  if (name === 'restore' && (!v.from || !v.to)) {
    throw new UsageError('restore needs --from COLLECTION and --to COLLECTION')
  }
  running.values = v
  let client
  try {
    client = makeClient(v)
  } catch (e) {
    // The library names its options; say which flag it was.
    throw new UsageError(e.message.replace(/^The `([\w.]+)` option/, (m, option) => (FLAG_OF[option] ? `${FLAG_OF[option]}` : m)))
  }
  try {
    return await command.run(client, args)
  } catch (e) {
    // The library's validation errors are plain Errors without a code: bad usage too.
    if (e.code === undefined && e.name === 'Error' && !(e instanceof CliError)) throw new UsageError(e.message)
    throw e
  } finally {
    await client.closeConnection()
  }
}

// An error as the CLI reports it: { error: { code, message, ... } } on stdout with --json, one
// line on stderr always.
function classify(e) {
  if (e instanceof UsageError) return { code: 'USAGE', message: e.message, exit: EXIT.usage, extra: {} }
  if (e instanceof CliError) {
    const exit = { RESTORE_FAILED: EXIT.failed, RESTORE_TIMEOUT: EXIT.timeout, INTERRUPTED: EXIT.interrupted }[e.cliCode] ?? EXIT.error
    return { code: e.cliCode, message: e.message, exit, extra: e.extra }
  }
  // gRPC UNIMPLEMENTED (requireMilvus3), or an HTTP 404 for the method (gRPC maps 404 to
  // UNIMPLEMENTED): the server has no snapshot API.
  if (e.code === 12 || / status: 404 Not Found/.test(e.message)) {
    return { code: 'NOT_SUPPORTED', message: NOT_SUPPORTED, exit: EXIT.error, extra: { grpc_code: e.code, details: e.details } }
  }
  if (typeof e.code === 'number') return { code: 'GRPC', message: e.message, exit: EXIT.error, extra: { grpc_code: e.code } }
  if (e.code === 'ABORT_ERR') return { code: 'INTERRUPTED', message: e.message, exit: EXIT.interrupted, extra: {} }
  return { code: 'ERROR', message: e.message, exit: EXIT.error, extra: {} }
}

function report(e, json) {
  const c = classify(e)
  if (json) process.stdout.write(JSON.stringify({ error: { code: c.code, message: c.message, ...c.extra } }, null, 2) + '\n')
  const hint = c.code === 'USAGE' ? '\n(run "milvus-native --help")' : ''
  process.stderr.write(`${paint(process.stderr, 'red', 'milvus-native:')} ${c.message}${hint}\n`)
  return c.exit
}

process.on('SIGINT', () => onInterrupt('SIGINT'))
process.on('SIGTERM', () => onInterrupt('SIGTERM'))

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    process.exitCode = report(e, jsonWanted)
  }
)
