'use strict'
// `milvus-native/sim` (issue 16, item 6) in this checkout: startSim runs cargo's build of
// milvus-sim (the installed-package case is in install.test.js), with fixtures and a record
// file, and rejects bad options with a message naming the option.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { simBin } = require('./helpers/sim.js')

// The package's own subpath, resolved through its exports (self-reference), as users write it.
const { startSim, simPath } = require('milvus-native/sim')
const { MilvusClient } = require('milvus-native')

process.env.MILVUS_SIM_BIN ??= simBin() // the checkout's build (cargo builds it if missing)

test('startSim: fixtures, record and a call; stop() ends it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'startsim-'))
  const record = path.join(dir, 'record.jsonl')
  const sim = await startSim({ fixtures: { 4471: { info: { state: 'RestoreSnapshotExecuting', progress: 40 } } }, record })
  try {
    assert.equal(sim.address, `127.0.0.1:${sim.port}`)
    assert.ok(sim.port > 0)
    const client = new MilvusClient({ address: sim.address })
    const res = await client.getRestoreSnapshotState({ job_id: '4471' })
    assert.equal(res.info.state, 'RestoreSnapshotExecuting')
    assert.equal(res.info.progress, 40)
    await client.closeConnection()
    const lines = fs.readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.ok(lines.some((l) => /GetRestoreSnapshotState/.test(l.method)), JSON.stringify(lines))
  } finally {
    await sim.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const { code, signal } = await sim.exited
  assert.ok(code !== null || signal === 'SIGTERM', `exit ${code} ${signal}`)
})

test('simPath(): MILVUS_SIM_BIN wins', () => {
  assert.equal(simPath(), process.env.MILVUS_SIM_BIN)
})

test('startSim: a flag milvus-sim rejects ends in a rejection with its message', async () => {
  await assert.rejects(startSim({ args: ['--no-such-flag'] }), /milvus-sim exited before listening \(code 2.*--no-such-flag/s)
})

test('startSim: an executable that does not exist', async () => {
  const bin = path.join(os.tmpdir(), 'no-such-dir', 'milvus-sim')
  await assert.rejects(startSim({ bin }), (e) => e.message.startsWith(`cannot start milvus-sim (${bin}): `) && /ENOENT/.test(e.message))
})

test('startSim: bad options name the option and what is accepted', async () => {
  const cases = [
    [null, /options must be an object/],
    [{ port: '1' }, /port must be an integer from 0 to 65535, got 1/],
    [{ port: 70000 }, /port must be an integer from 0 to 65535, got 70000/],
    [{ port: 1.5 }, /port must be an integer/],
    [{ host: '' }, /host must be a non-empty string/],
    [{ args: '--collection x' }, /args must be an array of strings/],
    [{ args: [1] }, /args must be an array of strings/],
    [{ fixtures: 5 }, /fixtures must be an object \(job id → reply or fault\) or a file path/],
    [{ record: true }, /record must be a file path/],
    [{ timeout: -1 }, /timeout must be a positive number of ms, got -1/],
  ]
  for (const [options, re] of cases) {
    await assert.rejects(startSim(options), (e) => e instanceof TypeError && re.test(e.message), `${JSON.stringify(options)}`)
  }
})

test("require('milvus-native') loads neither sim.js nor platform.js (no cold-start cost for apps that never use them)", () => {
  const { execFileSync } = require('node:child_process')
  const root = path.resolve(__dirname, '..')
  const src = `require('milvus-native'); console.log(JSON.stringify(Object.keys(require.cache).map((k) => require('node:path').relative(${JSON.stringify(root)}, k))))`
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', src], { cwd: root, encoding: 'utf8' }))
  assert.ok(loaded.includes('index.js') && loaded.includes('binding.js'), loaded.join(', '))
  assert.deepEqual(loaded.filter((f) => ['sim.js', 'platform.js', path.join('bin', 'milvus-sim.js')].includes(f)), [])
})
