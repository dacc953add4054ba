'use strict'
// Portability (SPEC §7 item 18, issue 15 point 2): the same scenario (runtimes/scenario.cjs:
// both constructor forms, every method, waits with progress, abort and timeout, a refused
// connection) gives the same normalized results under Bun, Deno, Node 22 and Node 24 as under
// the Node 20 running this file, and each runtime exits by itself, with code 0, soon after.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')
const { freePort } = require('./helpers/blackhole')
const { bunCommand, denoCommand, nodeCommand, NODE_VERSIONS, NODE_UNSUPPORTED } = require('./helpers/runtimes')

const SCENARIO = path.join(__dirname, 'runtimes', 'scenario.cjs')
// A bound for hangs, not a timing. This VM's page cache is reclaimed within minutes, and with the
// disk busy a cold start of Bun's or Deno's ~100 MB binary has taken seconds: in two fresh-clone
// CI runs (3 Dec) Deno's bare start-up took 0.07 s and 4 s, and this scenario 1.7 s and over 20 s.
const EXIT_WITHIN_MS = 90_000
// Once its line is out nothing is left to do: a longer wait means something keeps it alive.
const LINGER_MS = 3_000
const STUCK_JOB = '4480'

// Each runtime snapshots and restores its own collection, so runs cannot see each other's
// snapshots or jobs. Restores are quick but slow enough (300 ms Pending, 600 ms Executing) for a
// 20 ms poll to see every state even on a loaded machine.
const RUNTIMES = ['node20', 'bun', 'deno', 'node22', 'node24']
const SIM_ARGS = [...RUNTIMES.flatMap((r) => ['--collection', `default/books_${r}`]), '--tick-ms', '300', '--restore-ms', '600']
const FIXTURES = {
  [STUCK_JOB]: {
    info: { job_id: STUCK_JOB, snapshot_name: 'stuck', db_name: 'default', collection_name: 'stuck_target', state: 'RestoreSnapshotExecuting', progress: 40, start_time: '1760000000000' },
  },
}

let sim
let closedAddress
test.before(async () => {
  sim = await startSim({ args: SIM_ARGS, fixtures: FIXTURES })
  closedAddress = `127.0.0.1:${await freePort()}`
})
test.after(() => sim && sim.stop())

/**
 * Runs the scenario with `{ cmd, args }`; resolves to { code, signal, stdout, stderr, ms,
 * lingerMs } (lingerMs: from its first complete output line to its exit). A child still alive
 * after EXIT_WITHIN_MS is killed and reported as `signal: 'SIGKILL'`, `hung: true`.
 */
function runScenario({ cmd, args }, runtime) {
  const env = {
    ...process.env,
    MILVUS_SIM_ADDRESS: sim.address,
    MILVUS_SIM_COLLECTION: `books_${runtime}`,
    MILVUS_STUCK_JOB: STUCK_JOB,
    MILVUS_CLOSED_ADDRESS: closedAddress,
    // Keep stderr to what the scenario writes: no colours, update notices or prompts.
    NO_COLOR: '1',
    DENO_NO_UPDATE_CHECK: '1',
    DENO_NO_PROMPT: '1',
  }
  delete env.NODE_TEST_CONTEXT // set by `node --test`; the Node children are not test files
  const t0 = Date.now()
  const child = spawn(cmd, [...args, SCENARIO], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let lineAt
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (d) => {
    stdout += d
    if (lineAt === undefined && stdout.includes('\n')) lineAt = Date.now()
  })
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    let hung = false
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, EXIT_WITHIN_MS)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`cannot start ${cmd}: ${e.message}`))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const end = Date.now()
      resolve({ code, signal, hung, stdout, stderr, ms: end - t0, lingerMs: lineAt === undefined ? undefined : end - lineAt })
    })
  })
}

/** Asserts a clean, natural exit with exactly one JSON line; returns the parsed line. */
function assertCleanRun(r, t, runtime) {
  t.diagnostic(`${runtime}: ${r.ms} ms in all, exited ${r.lingerMs} ms after its output`)
  assert.equal(r.hung, false, `${runtime} did not exit within ${EXIT_WITHIN_MS} ms; stdout: ${r.stdout}; stderr: ${r.stderr}`)
  assert.equal(r.signal, null, `${runtime} was killed by ${r.signal}; stderr: ${r.stderr}`)
  assert.equal(r.code, 0, `${runtime} exited with code ${r.code}; stderr: ${r.stderr}`)
  assert.equal(r.stderr, '', `${runtime} wrote to stderr`)
  assert.ok(r.lingerMs < LINGER_MS, `${runtime} stayed alive ${r.lingerMs} ms after its output`)
  const lines = r.stdout.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `${runtime} printed ${lines.length} lines: ${r.stdout}`)
  return JSON.parse(lines[0])
}

// Node 20's results are the reference the other runtimes are compared with; its own test checks
// they are right, so that a scenario broken the same way everywhere cannot pass.
let reference
function referenceRun() {
  reference ??= runScenario({ cmd: process.execPath, args: [] }, 'node20')
  return reference
}

test(`node ${process.versions.node} (the reference)`, async (t) => {
  const out = assertCleanRun(await referenceRun(), t, 'node20')
  const ok = out.createSnapshot
  assert.equal(ok.code, 0)
  assert.equal(out.connect_object.status.code, 0)
  assert.equal(out.connect_positional.identifier, '<int64>')
  assert.deepEqual(out.config_positional, { address: sim.address })
  assert.equal(out.getVersion.version, 'v3.0.0')
  assert.equal(out.checkHealth.isHealthy, true)
  assert.deepEqual(out.listSnapshots.snapshots, ['nightly'])
  assert.equal(out.describeSnapshot.description, 'runtime suite')
  assert.equal(out.pinSnapshotData.pin_id, '<int64>')
  assert.deepEqual(out.unpinSnapshotData, ok)
  assert.equal(out.restoreSnapshot.job_id, '<int64>')
  assert.equal(out.getRestoreSnapshotState.info.collection_name, '<collection>_restored')
  assert.equal(out.unknownJob.status.code, 2101)
  assert.equal(out.unknownJob.info, null)
  const wait = out.waitForRestoreSnapshot
  assert.deepEqual(wait.states, ['RestoreSnapshotPending', 'RestoreSnapshotExecuting', 'RestoreSnapshotCompleted'])
  assert.deepEqual([wait.progressNeverDecreases, wait.lastProgressIsFinal], [true, true])
  assert.equal(wait.final.progress, 100)
  assert.equal(wait.final.time_cost, '900') // --tick-ms + --restore-ms
  assert.deepEqual(out.listRestoreSnapshotJobs.jobs, [wait.final])
  assert.deepEqual(out.dropSnapshot, ok)
  assert.deepEqual(out.listSnapshotsAfterDrop.snapshots, [])
  assert.deepEqual(out.abort, {
    isError: true,
    name: 'AbortError',
    code: 'ABORT_ERR',
    message: 'The operation was aborted',
    isAbortError: true,
    progressCalls: 1,
  })
  assert.equal(out.abortCauseIsReason, true)
  assert.equal(out.timeout.isRestoreSnapshotError, true)
  assert.equal(out.timeout.code, 'RESTORE_TIMEOUT')
  assert.equal(out.timeout.info.state, 'RestoreSnapshotExecuting')
  assert.equal(out.timeout.settledInTime, true)
  for (const refused of [out.refusedConnect, out.refusedCall]) {
    assert.equal(refused.code, 14)
    assert.match(refused.message, /^14 UNAVAILABLE: .*Connection refused/)
  }
})

const OTHERS = [
  { runtime: 'bun', command: async () => bunCommand() },
  { runtime: 'deno', command: async () => denoCommand() },
  ...Object.keys(NODE_VERSIONS).map((major) => ({
    runtime: `node${major}`,
    command: () => nodeCommand(major),
    label: `node ${NODE_VERSIONS[major]}`,
    skip: NODE_UNSUPPORTED,
  })),
]

for (const { runtime, command, label = runtime, skip } of OTHERS) {
  test(`${label}: same results as node ${process.versions.node}, natural exit`, { skip }, async (t) => {
    const ref = await referenceRun()
    assert.ok(ref.code === 0 && ref.stdout !== '', 'the Node reference run failed (see its test)')
    const out = assertCleanRun(await runScenario(await command(), runtime), t, runtime)
    assert.deepEqual(out, JSON.parse(ref.stdout))
  })
}

test('deno without --allow-ffi: the error names the permission, not npm', async () => {
  const { cmd } = denoCommand()
  const script = `require(${JSON.stringify(path.resolve(__dirname, '..'))})`
  const { execFile } = require('node:child_process')
  const fs = require('node:fs')
  const os = require('node:os')
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deno-ffi-')), 'load.cjs')
  fs.writeFileSync(file, script)
  const { code, stderr } = await new Promise((resolve) => {
    execFile(cmd, ['run', '--allow-read', '--allow-env', file], { timeout: EXIT_WITHIN_MS }, (error, _stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stderr })
    )
  })
  assert.notEqual(code, 0)
  assert.match(stderr, /milvus-native needs Deno's --allow-ffi permission to load its native addon/)
})
