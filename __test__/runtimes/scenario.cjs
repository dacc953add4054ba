'use strict'
// One pass over the whole public surface, run unchanged by Node, Bun and Deno
// (__test__/runtimes.test.js compares their output with Node 20's). It prints ONE JSON line in
// which everything that differs from run to run (ids, times, identifiers) is replaced by its
// shape, then ends without closeConnection() or process.exit: the runtime must exit by itself.
//
// Environment: MILVUS_SIM_ADDRESS (a milvus-sim with MILVUS_SIM_COLLECTION seeded, restores
// quick), MILVUS_STUCK_JOB (a fixture job stuck in Executing), MILVUS_CLOSED_ADDRESS (refused).

const path = require('node:path')
const { MilvusClient, AbortError, RestoreSnapshotError } = require(path.resolve(__dirname, '..', '..'))

// Anything escaping the checks below must show in the exit code, in every runtime.
process.on('unhandledRejection', (e) => {
  console.error('UNHANDLED REJECTION', e)
  process.exitCode = 3
})

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const address = env('MILVUS_SIM_ADDRESS')
const collection = env('MILVUS_SIM_COLLECTION')
const stuckJob = env('MILVUS_STUCK_JOB')
const closedAddress = env('MILVUS_CLOSED_ADDRESS')

// Run-specific values become their shape; the fields that must be stable stay as they are.
const ID = /^[1-9]\d*$/
const shape = (v, re) => (typeof v === 'string' && re.test(v) ? '<int64>' : `<bad: ${JSON.stringify(v)}>`)
function jobInfo(info) {
  if (!info) return info
  return { ...info, job_id: shape(info.job_id, ID), start_time: shape(info.start_time, ID) }
}

// The rejection of p, reduced to the fields users test; a resolution is recorded as such.
async function rejection(p, fields) {
  try {
    return { resolved: await p }
  } catch (e) {
    const out = { isError: e instanceof Error }
    for (const f of fields) out[f] = e[f]
    return out
  }
}

async function main() {
  const out = {}

  // Both constructor forms; the handshake's identifier differs per client.
  const client = new MilvusClient({ address })
  const positional = new MilvusClient(address)
  for (const [name, c] of [['object', client], ['positional', positional]]) {
    const conn = await c.connectPromise
    out[`connect_${name}`] = { ...conn, identifier: shape(conn.identifier, ID) }
  }
  out.config_positional = positional.config
  out.getVersion = await positional.getVersion()
  out.checkHealth = await positional.checkHealth()

  // The snapshot family, in the order a user would call it.
  const snap = { collection_name: collection, snapshot_name: 'nightly' }
  out.createSnapshot = await client.createSnapshot({ ...snap, description: 'runtime suite' })
  out.listSnapshots = await client.listSnapshots({ collection_name: collection })
  const described = await client.describeSnapshot(snap)
  // s3_location names the collection's id, which differs per collection.
  out.describeSnapshot = {
    ...described,
    create_ts: shape(described.create_ts, ID),
    s3_location: described.s3_location.replace(/\/\d+\//, '/<id>/'),
  }
  const pin = await client.pinSnapshotData({ ...snap, ttl_seconds: 60 })
  out.pinSnapshotData = { ...pin, pin_id: shape(pin.pin_id, ID) }
  out.unpinSnapshotData = await client.unpinSnapshotData({ pin_id: pin.pin_id })
  const target = `${collection}_restored`
  const restore = await client.restoreSnapshot({
    snapshot_name: 'nightly',
    source_collection_name: collection,
    target_collection_name: target,
  })
  out.restoreSnapshot = { ...restore, job_id: shape(restore.job_id, ID) }
  // Everything below needs the job: say why there is none (e.g. a rerun against the same server).
  if (restore.status.code !== 0) throw new Error(`restoreSnapshot failed: ${restore.status.reason}`)

  // Which state the job is in right now depends on timing: only its fields that do not are kept.
  const state = await client.getRestoreSnapshotState({ job_id: restore.job_id, timeout: 5000 })
  out.getRestoreSnapshotState = {
    status: state.status,
    info: {
      ...jobInfo(state.info),
      state: typeof state.info.state,
      progress: typeof state.info.progress,
      time_cost: typeof state.info.time_cost,
    },
  }
  out.unknownJob = await client.getRestoreSnapshotState({ job_id: '9000000000000000001' })

  // Waiting with onProgress: the distinct states seen, in order, and whether progress only grew.
  const seen = []
  const final = await client.waitForRestoreSnapshot({
    job_id: restore.job_id,
    interval: 20,
    timeout: 15000,
    onProgress: (info) => seen.push(info),
  })
  out.waitForRestoreSnapshot = {
    final: jobInfo(final),
    states: seen.map((i) => i.state).filter((s, i, a) => s !== a[i - 1]),
    progressNeverDecreases: seen.every((info, i) => i === 0 || info.progress >= seen[i - 1].progress),
    lastProgressIsFinal: JSON.stringify(seen[seen.length - 1]) === JSON.stringify(final),
  }
  out.listRestoreSnapshotJobs = await client.listRestoreSnapshotJobs({ collection_name: target })
  out.listRestoreSnapshotJobs.jobs = out.listRestoreSnapshotJobs.jobs.map(jobInfo)

  out.dropSnapshot = await client.dropSnapshot(snap)
  out.listSnapshotsAfterDrop = await client.listSnapshots({ collection_name: collection })

  // Aborted after the wait has polled once (so it is really under way).
  const ac = new AbortController()
  const reason = new Error('enough')
  let progressCalls = 0
  const aborted = await rejection(
    client.waitForRestoreSnapshot({
      job_id: stuckJob,
      interval: 20,
      signal: ac.signal,
      onProgress: () => {
        if (++progressCalls === 1) setTimeout(() => ac.abort(reason), 30)
      },
    }),
    ['name', 'code', 'message']
  )
  out.abort = { ...aborted, isAbortError: aborted.isError && aborted.name === 'AbortError', progressCalls }
  const abortCause = await client
    .getRestoreSnapshotState({ job_id: stuckJob, signal: AbortSignal.abort(reason) })
    .catch((e) => e instanceof AbortError && e.cause === reason)
  out.abortCauseIsReason = abortCause

  // A job that never ends: the wait's own timeout.
  const tStuck = Date.now()
  let timedOut
  try {
    await client.waitForRestoreSnapshot({ job_id: stuckJob, interval: 20, timeout: 200 })
  } catch (e) {
    timedOut = {
      isRestoreSnapshotError: e instanceof RestoreSnapshotError,
      name: e.name,
      code: e.code,
      message: e.message,
      status: e.status,
      info: e.info,
      // Settles after its 200 ms bound, well before anything like a hang.
      settledInTime: Date.now() - tStuck >= 190 && Date.now() - tStuck < 5000,
    }
  }
  out.timeout = timedOut

  // A refused connection: code 14, from the handshake and from a call. The details are tonic's
  // wording plus the retry suffix `(retried N times, Tms)`, whose T varies: digits before "ms"
  // are masked.
  const refused = new MilvusClient({ address: closedAddress })
  const mask = (r) => ({ ...r, message: r.message.replace(/\d+ms\)/, 'Tms)'), details: r.details.replace(/\d+ms\)/, 'Tms)') })
  out.refusedConnect = mask(await rejection(refused.connectPromise, ['code', 'message', 'details', 'metadata']))
  out.refusedCall = mask(await rejection(refused.getRestoreSnapshotState({ job_id: 1 }), ['code', 'message', 'details', 'metadata']))

  // Normalized text: the per-runtime collection name is the one thing left to mask.
  const json = JSON.stringify(out).split(collection).join('<collection>')
  console.log(json)
}

main().catch((e) => {
  console.error('SCENARIO FAILED', e)
  process.exitCode = 2
})
