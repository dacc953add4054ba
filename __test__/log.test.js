'use strict'
// The debug log: one stderr line per call attempt (method, attempt, gRPC code, ms), switched on
// by `logLevel: 'debug'` or MILVUS_NATIVE_LOG=debug, silent otherwise.

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { startSim } = require('./helpers/sim')

const ROOT = path.resolve(__dirname, '..')

// Runs a child that makes one good call and one that fails twice (UNAVAILABLE, retried).
function child(address, { env = {}, logLevel } = {}) {
  const script = `
    const { MilvusClient } = require(${JSON.stringify(ROOT)})
    const c = new MilvusClient({ address: ${JSON.stringify(address)}, __SKIP_CONNECT__: true,
      retryDelay: 1, maxRetries: 1, ${logLevel ? `logLevel: ${JSON.stringify(logLevel)}` : ''} })
    ;(async () => {
      await c.getRestoreSnapshotState({ job_id: 1 })
      await c.getRestoreSnapshotState({ job_id: 9 }).catch(() => {})
      process.stdout.write('done')
    })()
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, MILVUS_NATIVE_LOG: '', ...env }, timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(err) : resolve({ stdout, stderr })
    )
  })
}

const fixtures = {
  1: { info: { job_id: '1', state: 3, progress: 100 } },
  9: { fault: { code: 14, message: 'down' } },
}

test('debug log: one line per attempt with method, attempt, code and ms; silent when off', async (t) => {
  const sim = await startSim({ fixtures })
  t.after(() => sim.stop())

  const quiet = await child(sim.address)
  assert.equal(quiet.stdout, 'done')
  assert.equal(quiet.stderr, '')

  for (const opts of [{ logLevel: 'debug' }, { env: { MILVUS_NATIVE_LOG: 'debug' } }]) {
    const { stdout, stderr } = await child(sim.address, opts)
    assert.equal(stdout, 'done')
    const lines = stderr.trim().split('\n')
    assert.equal(lines.length, 3, stderr)
    assert.match(lines[0], /^\[milvus-native\] GetRestoreSnapshotState attempt=1 code=0 \d+ms$/)
    assert.match(lines[1], /^\[milvus-native\] GetRestoreSnapshotState attempt=1 code=14 \d+ms$/)
    assert.match(lines[2], /^\[milvus-native\] GetRestoreSnapshotState attempt=2 code=14 \d+ms$/)
  }

  const info = await child(sim.address, { logLevel: 'info' })
  assert.equal(info.stderr, '')
})
