#!/usr/bin/env node
'use strict'
// The `milvus-native` command line: look at and wait for snapshot restores.

const { parseArgs } = require('node:util')
const { MilvusClient, RestoreSnapshotState } = require('..')

// Exit codes, documented in --help.
const EXIT = { ok: 0, failed: 1, timeout: 2, error: 3, usage: 64 }

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

const CONNECTION_HELP = `Connection:
  --address HOST:PORT   Milvus address (env MILVUS_ADDRESS, default localhost:19530)
  --token TOKEN         user:password or API key (env MILVUS_TOKEN)
  --database NAME       database (default "default")
  --timeout MS|TOKEN    per-call timeout: milliseconds or a token such as 10s (default 15s)
  --ca PATH             CA certificate (PEM) to verify the server: turns TLS on
  --cert PATH --key PATH  client certificate and key for mutual TLS
  --server-name NAME    name to verify in the server certificate
  --json                machine-readable output (one JSON document)
  -h, --help            this help`

const COMMANDS = {
  state: {
    usage: 'state <job_id>',
    about: 'Print the state of a restore job (getRestoreSnapshotState).',
    positionals: 1,
    run: state,
  },
  wait: {
    usage: 'wait <job_id> [--interval MS] [--wait-timeout MS]',
    about: 'Wait for a restore job to finish, with a progress bar on a terminal.',
    options: { interval: { type: 'string' }, 'wait-timeout': { type: 'string' } },
    positionals: 1,
    run: (client, args) => wait(client, args.positionals[0], args.values),
  },
  jobs: {
    usage: 'jobs [--db NAME] [--collection NAME]',
    about: 'List restore jobs, optionally of one target database or collection.',
    options: { db: { type: 'string' }, collection: { type: 'string' } },
    positionals: 0,
    run: jobs,
  },
  snapshots: {
    usage: 'snapshots <collection> [--db NAME]',
    about: 'List the snapshots of a collection.',
    options: { db: { type: 'string' } },
    positionals: 1,
    run: snapshots,
  },
  describe: {
    usage: 'describe <collection> <snapshot> [--db NAME]',
    about: 'Describe one snapshot.',
    options: { db: { type: 'string' } },
    positionals: 2,
    run: describe,
  },
  restore: {
    usage: 'restore <snapshot> --from COLLECTION --to COLLECTION [--from-db NAME] [--to-db NAME] [--wait]',
    about: 'Restore a snapshot into a new collection; --wait then waits for the job.',
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'from-db': { type: 'string' },
      'to-db': { type: 'string' },
      wait: { type: 'boolean' },
      interval: { type: 'string' },
      'wait-timeout': { type: 'string' },
    },
    positionals: 1,
    run: restore,
  },
}

function mainHelp() {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.about}`)
  return `Usage: milvus-native <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${CONNECTION_HELP}\n
Exit codes: 0 success (job Completed), 1 job Failed, 2 wait timed out, 3 other error
(Milvus error status, connection, deadline), 64 bad usage.
Run "milvus-native <command> --help" for one command.`
}

class UsageError extends Error {}

function number(name, text) {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number of milliseconds`)
  return n
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
  })
}

function print(values, json, text) {
  process.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text + '\n')
}

// A Milvus error status is a resolved reply: report it and exit non-zero.
function checkStatus(status) {
  if (status && status.code !== 0) {
    const e = new Error(`${status.reason} (Milvus status code ${status.code})`)
    e.status = status
    throw e
  }
}

function describeInfo(i) {
  const took = i.state === RestoreSnapshotState.RestoreSnapshotCompleted ? `, took ${i.time_cost} ms` : ''
  const why = i.reason ? `, reason: ${i.reason}` : ''
  return `job ${i.job_id}: ${i.state} ${i.progress}% (${i.snapshot_name} -> ${i.db_name}.${i.collection_name}${took}${why})`
}

async function state(client, args) {
  const res = await client.getRestoreSnapshotState({ job_id: args.positionals[0] })
  checkStatus(res.status)
  print(args.values, res, describeInfo(res.info))
  if (res.info.state === RestoreSnapshotState.RestoreSnapshotFailed) return EXIT.failed
  return EXIT.ok
}

async function wait(client, jobId, values) {
  const interval = values.interval
  const timeout = values['wait-timeout']
  const bar = !values.json && process.stdout.isTTY ? progressBar(jobId) : null
  try {
    const info = await client.waitForRestoreSnapshot({
      job_id: jobId,
      interval,
      timeout,
      onProgress: (i) => {
        if (bar) bar.update(i.progress, { state: i.state.replace('RestoreSnapshot', '') })
        else if (!values.json) process.stdout.write(describeInfo(i) + '\n')
      },
    })
    if (bar) bar.stop()
    // In plain mode the last progress line already said Completed.
    if (values.json || bar) print(values, info, describeInfo(info))
    return EXIT.ok
  } catch (e) {
    if (bar) bar.stop()
    if (e.name !== 'RestoreSnapshotError') throw e
    if (values.json) print(values, { error: e.message, code: e.code, status: e.status, info: e.info }, '')
    else process.stderr.write(`milvus-native: ${e.message}\n`)
    return e.code === 'RESTORE_FAILED' ? EXIT.failed : e.code === 'RESTORE_TIMEOUT' ? EXIT.timeout : EXIT.error
  }
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
  checkStatus(res.status)
  print(args.values, res, res.jobs.length ? res.jobs.map(describeInfo).join('\n') : 'no restore jobs')
  return EXIT.ok
}

async function snapshots(client, args) {
  const res = await client.listSnapshots({ collection_name: args.positionals[0], db_name: args.values.db })
  checkStatus(res.status)
  print(args.values, res, res.snapshots.length ? res.snapshots.join('\n') : 'no snapshots')
  return EXIT.ok
}

async function describe(client, args) {
  const [collection_name, snapshot_name] = args.positionals
  const res = await client.describeSnapshot({ collection_name, snapshot_name, db_name: args.values.db })
  checkStatus(res.status)
  const text = [
    `snapshot ${res.name} of ${res.collection_name}`,
    `  created: ${res.create_ts}`,
    `  partitions: ${res.partition_names.join(', ') || '-'}`,
    `  description: ${res.description || '-'}`,
    `  location: ${res.s3_location || '-'}`,
  ].join('\n')
  print(args.values, res, text)
  return EXIT.ok
}

async function restore(client, args) {
  const v = args.values
  const res = await client.restoreSnapshot({
    snapshot_name: args.positionals[0],
    source_collection_name: v.from,
    target_collection_name: v.to,
    source_db_name: v['from-db'],
    target_db_name: v['to-db'],
  })
  checkStatus(res.status)
  if (!v.wait) {
    print(v, res, `restore job ${res.job_id} started`)
    return EXIT.ok
  }
  if (!v.json) process.stdout.write(`restore job ${res.job_id} started\n`)
  return wait(client, res.job_id, v)
}

async function main(argv) {
  const [name, ...rest] = argv
  if (!name) {
    process.stderr.write(mainHelp() + '\n')
    return EXIT.usage
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n')
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command "${name}"`)
  let args
  try {
    args = parseArgs({ args: rest, options: { ...CONNECTION, ...command.options }, allowPositionals: true })
  } catch (e) {
    throw new UsageError(e.message)
  }
  if (args.values.help) {
    process.stdout.write(`Usage: milvus-native ${command.usage}\n\n${command.about}\n\n${CONNECTION_HELP}\n`)
    return EXIT.ok
  }
  if (args.positionals.length !== command.positionals) {
    throw new UsageError(`usage: milvus-native ${command.usage}`)
  }
  // Everything the command line itself can check is checked before connecting.
  const v = args.values
  v.interval = number('interval', v.interval)
  v['wait-timeout'] = number('wait-timeout', v['wait-timeout'])
  if (name === 'restore' && (!v.from || !v.to)) {
    throw new UsageError('restore needs --from COLLECTION and --to COLLECTION')
  }
  let client
  try {
    client = makeClient(v)
  } catch (e) {
    throw new UsageError(e.message)
  }
  try {
    return await command.run(client, args)
  } catch (e) {
    // The library's validation errors are plain Errors without a code: bad usage too.
    if (e.code === undefined && e.name === 'Error' && e.status === undefined) throw new UsageError(e.message)
    throw e
  } finally {
    await client.closeConnection()
  }
}

const argv = process.argv.slice(2)
main(argv).then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    const usage = e instanceof UsageError
    if (argv.includes('--json')) {
      // One JSON document on stdout whatever happened, as for a successful command.
      const doc = { error: e.message, code: usage ? 'USAGE' : e.code === undefined ? null : e.code, status: e.status || null }
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
    }
    process.stderr.write(`milvus-native: ${e.message}${usage ? '\n(run "milvus-native --help")' : ''}\n`)
    process.exitCode = usage ? EXIT.usage : EXIT.error
  }
)
