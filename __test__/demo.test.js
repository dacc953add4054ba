'use strict'
// `npm run demo` (issue 4, point 6; the README's main command): exits 0 having started milvus-sim,
// snapshotted and restored a collection, waited for the restore, and printed the final
// getRestoreSnapshotState object (state RestoreSnapshotCompleted); it stops the simulator; on a
// terminal the wait shows the progress bar.

const test = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const path = require('node:path')
const { execFile, execFileSync } = require('node:child_process')

const ROOT = path.resolve(__dirname, '..')
const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

function run(cmd, args) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : `killed (${err.signal})`) : 0, stdout, stderr })
    })
  })
}

/** The JSON object printed after the "getRestoreSnapshotState:" line. */
function finalObject(out) {
  const text = out.replace(/\r/g, '')
  const at = text.indexOf('getRestoreSnapshotState:\n')
  assert.ok(at >= 0, `no "getRestoreSnapshotState:" in the output:\n${text}`)
  const rest = text.slice(at + 'getRestoreSnapshotState:\n'.length)
  const end = rest.indexOf('\n}')
  assert.ok(end >= 0, `no JSON object after the label:\n${rest}`)
  return JSON.parse(rest.slice(0, end + 2))
}

function portRefused(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })
}

// The demo builds the release simulator itself (a no-op when up to date); in a fresh clone that
// build takes minutes, so it is done here first and the 60 s bound covers only the demo's run.
execFileSync('cargo', ['build', '--release', '-p', 'milvus-sim'], { cwd: ROOT, stdio: ['ignore', 2, 2] })

// Both runs start at once: the demo mostly waits for its simulated restore.
const piped = run('npm', ['run', '--silent', 'demo'])
const hasPty = (() => {
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const onPty = hasPty
  ? run('python3', ['-c', 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)', process.execPath, path.join(ROOT, 'scripts', 'demo.js')])
  : null

test('npm run demo exits 0 and prints the final getRestoreSnapshotState object, Completed', async () => {
  const r = await piped
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`)
  const out = r.stdout
  const listening = /milvus-sim listening on 127\.0\.0\.1:(\d+)/.exec(out)
  assert.ok(listening, out)
  assert.match(out, /createSnapshot books\/nightly -> Success/)
  const job = /restoreSnapshot -> job (\d+)/.exec(out)
  assert.ok(job, out)

  const res = finalObject(out)
  assert.deepEqual(Object.keys(res), ['status', 'info'])
  assert.deepEqual(res.status, OK)
  assert.deepEqual(Object.keys(res.info), [
    'job_id', 'snapshot_name', 'db_name', 'collection_name', 'state', 'progress', 'reason', 'start_time', 'time_cost',
  ])
  assert.equal(res.info.job_id, job[1])
  assert.equal(res.info.state, 'RestoreSnapshotCompleted')
  assert.equal(res.info.progress, 100)
  assert.equal(res.info.snapshot_name, 'nightly')
  assert.equal(res.info.collection_name, 'books_restored')
  assert.ok(Number(res.info.time_cost) > 0, res.info.time_cost)
  // Then the same client's delegated hasCollection / describeCollection see the restored collection.
  assert.match(out, /hasCollection books_restored -> true\n/)
  assert.match(out, /describeCollection books_restored -> Success: id Int64 \(primary key\), vector FloatVector\n/)

  // Not a terminal: the wait printed one line per change, ending Completed.
  const lines = out.split('\n').filter((l) => l.startsWith(`job ${job[1]}: `))
  assert.ok(lines.length >= 2, out)
  assert.match(lines.at(-1), /RestoreSnapshotCompleted 100%/)

  // The simulator was stopped (it has up to 2 s to drain).
  const deadline = Date.now() + 3000
  while (!(await portRefused(Number(listening[1])))) {
    assert.ok(Date.now() < deadline, `milvus-sim still listening on ${listening[1]} after the demo exited`)
    await new Promise((r) => setTimeout(r, 100))
  }
})

test('on a terminal (python pty) the demo waits with the progress bar', { skip: !hasPty && 'python3 with the pty module is not available' }, async () => {
  const r = await onPty
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`)
  const bars = [...r.stdout.matchAll(/restore (\d+) \[([\u2588\u2591]{10,})\] (\d+)% \| (\w+)/g)]
  assert.ok(bars.length >= 2, `no progress bar drawn:\n${JSON.stringify(r.stdout)}`)
  assert.ok(bars.some((m) => Number(m[3]) > 0 && Number(m[3]) < 100), 'the bar was never drawn part-way')
  assert.doesNotMatch(r.stdout, /RestoreSnapshotExecuting \d+%/, 'plain progress lines on a terminal')
  assert.equal(finalObject(r.stdout).info.state, 'RestoreSnapshotCompleted')
})
