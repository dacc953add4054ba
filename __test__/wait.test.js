'use strict'
// waitForRestoreSnapshot (issue 4, point 3): resolves with the final info on Completed; rejects
// with a RestoreSnapshotError carrying the last status/info on Failed (RESTORE_FAILED), on a
// Milvus error status (RESTORE_STATUS) and on its overall timeout (RESTORE_TIMEOUT, settling
// within timeout + one interval); an AbortError on abort; onProgress(info) on each change.

const test = require('node:test')
const assert = require('node:assert/strict')
const { MilvusClient, RestoreSnapshotError } = require('..')
const { startSim } = require('./helpers/sim')

const STATES = ['RestoreSnapshotPending', 'RestoreSnapshotExecuting', 'RestoreSnapshotCompleted', 'RestoreSnapshotFailed']
const OK = { extra_info: {}, error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' }

// Fixture jobs: 77 stuck in Executing at 40%, 78 stuck in Pending, 79 Executing behind a slow poll.
const FIXTURES = {
  77: { info: { job_id: '77', snapshot_name: 's', db_name: 'default', collection_name: 't', state: 2, progress: 40, start_time: '1760000000000' } },
  78: { info: { job_id: '78', state: 1, progress: 0 } },
  79: { fault: { delay_ms: 2000 }, info: { job_id: '79', state: 2, progress: 10 } },
}

const TIMING = ['--tick-ms', '60', '--restore-ms', '200', '--segments', '4']

async function withSim(fn, { args = [], fixtures = FIXTURES, timing = TIMING } = {}) {
  const sim = await startSim({ args: ['--collection', 'default/books', ...timing, ...args], fixtures, record: true })
  const client = new MilvusClient({ address: sim.address })
  try {
    await fn(client, sim)
  } finally {
    await client.closeConnection()
    await sim.stop()
  }
}

/** Snapshots books as `snapshot` and restores it to `target`; resolves to the job id. */
async function startRestore(client, snapshot = 'good', target = 'copy') {
  const created = await client.createSnapshot({ collection_name: 'books', snapshot_name: snapshot })
  assert.deepEqual(created, OK)
  const res = await client.restoreSnapshot({ snapshot_name: snapshot, source_collection_name: 'books', target_collection_name: target })
  assert.deepEqual(res.status, OK)
  return res.job_id
}

function polls(sim) {
  return sim.records().filter((r) => r.method === 'GetRestoreSnapshotState')
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Timer slack on a loaded machine (the suites share two cores).
const SLACK = 150

/** "Settles within a few ms of the abort", robust to load: the best of several rounds is. */
function assertPrompt(latencies) {
  const ms = latencies.map((t) => Math.round(t * 10) / 10)
  assert.ok(Math.min(...ms) < 15, `no abort settled within 15 ms: ${ms.join(', ')}`)
  assert.ok(Math.max(...ms) < 500, `an abort took ${Math.max(...ms)} ms: ${ms.join(', ')}`)
}

test('Completed: resolves with the final info (state Completed, progress 100, time_cost > 0)', async () => {
  await withSim(async (client) => {
    const job_id = await startRestore(client)
    const info = await client.waitForRestoreSnapshot({ job_id, interval: 10, timeout: 5000 })
    assert.deepEqual(Object.keys(info), [
      'job_id', 'snapshot_name', 'db_name', 'collection_name', 'state', 'progress', 'reason', 'start_time', 'time_cost',
    ])
    assert.equal(info.job_id, job_id)
    assert.equal(info.state, 'RestoreSnapshotCompleted')
    assert.equal(info.progress, 100)
    assert.equal(info.snapshot_name, 'good')
    assert.equal(info.collection_name, 'copy')
    assert.equal(info.db_name, 'default')
    assert.equal(info.reason, '')
    assert.match(info.time_cost, /^[1-9]\d*$/)
    assert.ok(Number(info.time_cost) > 0)
    // The same object getRestoreSnapshotState returns now.
    assert.deepEqual((await client.getRestoreSnapshotState({ job_id })).info, info)
  })
})

test('job_id as number, string and bigint; an already completed job resolves on the first poll', async () => {
  await withSim(
    async (client, sim) => {
      const job_id = await startRestore(client)
      await client.waitForRestoreSnapshot({ job_id, interval: 10 })
      for (const id of [job_id, BigInt(job_id)]) {
        const before = polls(sim).length
        const info = await client.waitForRestoreSnapshot({ job_id: id, interval: 10 })
        assert.equal(info.job_id, job_id)
        assert.equal(polls(sim).length, before + 1)
      }
      const info = await client.waitForRestoreSnapshot({ job_id: 80, interval: 10 })
      assert.equal(info.job_id, '80')
    },
    { fixtures: { ...FIXTURES, 80: { info: { job_id: '80', state: 3, progress: 100, time_cost: '5' } } } },
  )
})

test('Failed: rejects RESTORE_FAILED with the reason surfaced and .info/.status', async () => {
  await withSim(
    async (client) => {
      const job_id = await startRestore(client, 'bad', 'bad_copy')
      await assert.rejects(client.waitForRestoreSnapshot({ job_id, interval: 10, timeout: 5000 }), (e) => {
        assert.ok(e instanceof RestoreSnapshotError)
        assert.ok(e instanceof Error)
        assert.equal(e.name, 'RestoreSnapshotError')
        assert.equal(e.code, 'RESTORE_FAILED')
        assert.match(e.message, /disk on fire ✗/)
        assert.ok(e.message.includes(job_id), e.message)
        assert.equal(e.info.state, 'RestoreSnapshotFailed')
        assert.equal(e.info.reason, 'disk on fire ✗')
        assert.equal(e.info.job_id, job_id)
        assert.equal(e.info.time_cost, '0')
        assert.deepEqual(e.status, OK)
        return true
      })
    },
    { args: ['--fail-snapshot', 'bad=disk on fire ✗'] },
  )
})

test('unknown job: rejects RESTORE_STATUS carrying status code 2101, info null', async () => {
  await withSim(async (client, sim) => {
    await assert.rejects(client.waitForRestoreSnapshot({ job_id: '424242', interval: 10, timeout: 5000 }), (e) => {
      assert.ok(e instanceof RestoreSnapshotError)
      assert.equal(e.code, 'RESTORE_STATUS')
      assert.equal(e.status.code, 2101)
      assert.equal(e.status.error_code, 'UnexpectedError')
      assert.equal(e.status.reason, 'restore job not found: jobID=424242: importing data failed on server side')
      assert.equal(e.info, null)
      assert.match(e.message, /2101/)
      assert.match(e.message, /restore job not found/)
      return true
    })
    // One poll: a status error is final, not retried.
    assert.equal(polls(sim).length, 1)
  })
})

for (const [job, state] of [
  [77, 'RestoreSnapshotExecuting'],
  [78, 'RestoreSnapshotPending'],
]) {
  test(`stuck in ${state.slice(15)}: RESTORE_TIMEOUT within timeout + one interval, with the last info`, async () => {
    await withSim(async (client, sim) => {
      const timeout = 300
      const interval = 100
      const t0 = performance.now()
      await assert.rejects(client.waitForRestoreSnapshot({ job_id: job, interval, timeout }), (e) => {
        const elapsed = performance.now() - t0
        assert.ok(elapsed >= timeout - 5, `settled too early: ${elapsed} ms`)
        assert.ok(elapsed <= timeout + interval + SLACK, `settled too late: ${elapsed} ms (timeout ${timeout} + interval ${interval})`)
        assert.ok(e instanceof RestoreSnapshotError)
        assert.equal(e.code, 'RESTORE_TIMEOUT')
        assert.match(e.message, /300 ms/)
        assert.equal(e.info.state, state)
        assert.equal(e.info.job_id, String(job))
        assert.deepEqual(e.status, OK)
        return true
      })
      const n = polls(sim).length
      assert.ok(n >= 2 && n <= 5, `${n} polls in 300 ms at a 100 ms interval`)
    })
  })
}

test('a poll slower than the whole timeout still ends in RESTORE_TIMEOUT at the timeout (info null)', async () => {
  await withSim(async (client, sim) => {
    const t0 = performance.now()
    await assert.rejects(client.waitForRestoreSnapshot({ job_id: 79, interval: 50, timeout: 250 }), (e) => {
      const elapsed = performance.now() - t0
      assert.ok(elapsed >= 245 && elapsed <= 250 + 50 + SLACK, `settled after ${elapsed} ms`)
      assert.equal(e.code, 'RESTORE_TIMEOUT')
      assert.equal(e.info, null)
      return true
    })
    // The poll in flight was cut off, not left running.
    const deadline = Date.now() + 1000
    while (polls(sim).length === 0 && Date.now() < deadline) await sleep(10)
    assert.deepEqual(polls(sim).map((r) => r.outcome), ['cancelled'])
  })
})

test('abort mid-wait (between polls): AbortError with cause, settles within a few ms, polling stops', async () => {
  await withSim(async (client, sim) => {
    const latencies = []
    for (let round = 0; round < 3; round++) {
      const ac = new AbortController()
      const reason = new Error(`user pressed ctrl-c (${round})`)
      const before = polls(sim).length
      const p = client.waitForRestoreSnapshot({ job_id: 77, interval: 1000, timeout: 10000, signal: ac.signal })
      await sleep(150)
      const t0 = performance.now()
      ac.abort(reason)
      await assert.rejects(p, (e) => {
        latencies.push(performance.now() - t0)
        assert.equal(e.name, 'AbortError')
        assert.equal(e.code, 'ABORT_ERR')
        assert.equal(e.cause, reason)
        return true
      })
      assert.equal(polls(sim).length, before + 1, 'one poll, then the pause that was aborted')
    }
    assertPrompt(latencies)
    // No polling goes on after the aborts (the last wait would poll again at 1 s).
    const settled = polls(sim).length
    await sleep(1100)
    assert.equal(polls(sim).length, settled)
  })
})

test('abort mid-wait (during a slow poll): AbortError at once, the poll is cancelled on the wire', async () => {
  await withSim(async (client, sim) => {
    const latencies = []
    for (let round = 0; round < 3; round++) {
      const ac = new AbortController()
      const p = client.waitForRestoreSnapshot({ job_id: 79, interval: 10, timeout: 10000, signal: ac.signal })
      await sleep(150)
      const t0 = performance.now()
      ac.abort()
      await assert.rejects(p, (e) => {
        latencies.push(performance.now() - t0)
        assert.equal(e.name, 'AbortError')
        assert.ok(e.cause instanceof DOMException && e.cause.name === 'AbortError', `cause: ${e.cause}`)
        return true
      })
    }
    assertPrompt(latencies)
    const deadline = Date.now() + 1000
    while (polls(sim).length < 3 && Date.now() < deadline) await sleep(10)
    assert.deepEqual(polls(sim).map((r) => r.outcome), ['cancelled', 'cancelled', 'cancelled'])
  })
})

test('onProgress: states in order, progress non-decreasing, no repeated (state, progress), ends with the final info', async () => {
  await withSim(async (client) => {
    const job_id = await startRestore(client)
    const seen = []
    const info = await client.waitForRestoreSnapshot({ job_id, interval: 5, timeout: 5000, onProgress: (i) => seen.push(i) })
    await sleep(50) // whether the last call may come after the resolution is the next test's concern
    assert.ok(seen.length >= 2, `only ${seen.length} progress calls`)
    for (const i of seen) {
      assert.equal(i.job_id, job_id)
      assert.ok(STATES.includes(i.state), i.state)
    }
    for (let k = 1; k < seen.length; k++) {
      const [a, b] = [seen[k - 1], seen[k]]
      assert.ok(STATES.indexOf(b.state) >= STATES.indexOf(a.state), `state went back: ${a.state} → ${b.state}`)
      assert.ok(b.progress >= a.progress, `progress went back: ${a.progress} → ${b.progress}`)
      assert.ok(a.state !== b.state || a.progress !== b.progress, `repeated ${a.state} ${a.progress}`)
    }
    // Each state appears once as a run (never comes back), Pending may be skipped.
    const runs = seen.map((i) => i.state).filter((s, k, all) => k === 0 || all[k - 1] !== s)
    assert.deepEqual(runs, [...new Set(runs)])
    assert.deepEqual(runs.slice(-2), ['RestoreSnapshotExecuting', 'RestoreSnapshotCompleted'])
    // 4 segments, 200 ms each, polled every 5 ms: every executing step is seen.
    const steps = seen.filter((i) => i.state === 'RestoreSnapshotExecuting').map((i) => i.progress)
    assert.deepEqual(steps.filter((p) => p > 0), [25, 50, 75])
    // The last call is the final info.
    assert.deepEqual(seen.at(-1), info)
    assert.equal(seen.filter((i) => i.state === 'RestoreSnapshotCompleted').length, 1)
  }, { timing: ['--tick-ms', '60', '--restore-ms', '800', '--segments', '4'] })
})

test(
  'the final onProgress call (Completed, 100) comes before the promise resolves, and none after it',
  async () => {
    await withSim(async (client) => {
      for (let round = 0; round < 3; round++) {
        const job_id = await startRestore(client, `good${round}`, `copy${round}`)
        const seen = []
        const info = await client.waitForRestoreSnapshot({ job_id, interval: 5, timeout: 5000, onProgress: (i) => seen.push(i) })
        const atResolution = seen.map((i) => `${i.state.slice(15)} ${i.progress}`)
        assert.equal(atResolution.at(-1), 'Completed 100', `progress calls seen at resolution: ${atResolution.join(', ')}`)
        assert.deepEqual(seen.at(-1), info)
        // Nor does any report come after it.
        await sleep(30)
        assert.equal(seen.length, atResolution.length, `progress calls after the resolution: ${seen.length - atResolution.length}`)
      }
    })
  },
)

test('onProgress on a stuck job is called once (no change, no call)', async () => {
  await withSim(async (client, sim) => {
    const seen = []
    await assert.rejects(
      client.waitForRestoreSnapshot({ job_id: 77, interval: 20, timeout: 200, onProgress: (i) => seen.push(i) }),
      { code: 'RESTORE_TIMEOUT' },
    )
    assert.ok(polls(sim).length >= 5)
    assert.equal(seen.length, 1)
    assert.equal(seen[0].state, 'RestoreSnapshotExecuting')
    assert.equal(seen[0].progress, 40)
  })
})

test('an onProgress that throws neither crashes the process nor stops the wait', async () => {
  await withSim(async (client) => {
    const uncaught = []
    const onUncaught = (e) => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    try {
      const job_id = await startRestore(client)
      let calls = 0
      const info = await client.waitForRestoreSnapshot({
        job_id,
        interval: 5,
        timeout: 5000,
        onProgress: () => {
          calls++
          throw new Error('listener bug')
        },
      })
      assert.equal(info.state, 'RestoreSnapshotCompleted')
      assert.ok(calls >= 2, `onProgress called ${calls} times`)
      await sleep(20)
      assert.deepEqual(uncaught, [])
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})

test('onProgress runs in the caller\'s async context: each wait\'s callback finds its caller\'s AsyncLocalStorage store', async () => {
  const { AsyncLocalStorage } = require('node:async_hooks')
  const als = new AsyncLocalStorage()
  await withSim(async (client) => {
    const jobs = []
    for (let k = 0; k < 3; k++) jobs.push(await startRestore(client, `als${k}`, `als_copy${k}`))
    const seen = [[], [], []]
    const waits = jobs.map((job_id, k) => {
      const wait = () =>
        client.waitForRestoreSnapshot({ job_id, interval: 5, timeout: 5000, onProgress: () => seen[k].push(als.getStore()?.k ?? 'none') })
      // The third wait is made outside any store, while the others run.
      return k < 2 ? als.run({ k }, wait) : wait()
    })
    const infos = await Promise.all(waits)
    assert.deepEqual(infos.map((i) => i.state), Array(3).fill('RestoreSnapshotCompleted'))
    for (const [k, stores] of seen.entries()) {
      assert.ok(stores.length >= 2, `wait ${k}: ${stores.length} onProgress calls`)
      // The final call (Completed, reported with the settlement) too.
      assert.deepEqual(stores, Array(stores.length).fill(k < 2 ? k : 'none'), `wait ${k}'s onProgress saw stores ${stores.join(', ')}`)
    }
  }, { timing: ['--tick-ms', '30', '--restore-ms', '200', '--segments', '4'] })
})

const BAD_OPTIONS = [
  [{ interval: 0 }, 'interval'],
  [{ interval: -1 }, 'interval'],
  [{ interval: NaN }, 'interval'],
  [{ interval: Infinity }, 'interval'],
  [{ interval: 'abc' }, 'interval'],
  [{ interval: '100' }, 'interval'],
  [{ interval: 100n }, 'interval'],
  [{ interval: {} }, 'interval'],
  [{ timeout: 0 }, 'timeout'],
  [{ timeout: -1 }, 'timeout'],
  [{ timeout: NaN }, 'timeout'],
  [{ timeout: '10s' }, 'timeout'],
  [{ timeout: true }, 'timeout'],
  [{ onProgress: 5 }, 'onProgress'],
  [{ onProgress: 'log' }, 'onProgress'],
  [{ onProgress: {} }, 'onProgress'],
  [{ onPollError: 5 }, 'onPollError'],
  [{ onPollError: {} }, 'onPollError'],
]

function show(o) {
  const [[k, v]] = Object.entries(o)
  return `${k}: ${typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : Number.isNaN(v) ? 'NaN' : typeof v === 'object' ? '{}' : String(v)}`
}

test('bad interval / timeout / onProgress / onPollError values reject naming the option, before any poll', async () => {
  await withSim(async (client, sim) => {
    for (const [bad, field] of BAD_OPTIONS) {
      let p
      assert.doesNotThrow(() => {
        p = client.waitForRestoreSnapshot({ job_id: 77, ...bad })
      }, `${show(bad)} threw synchronously`)
      await assert.rejects(p, (e) => {
        assert.ok(e instanceof Error, `${show(bad)}: not an Error`)
        assert.ok(e.message.includes(`\`${field}\``), `${show(bad)}: message does not name \`${field}\`: ${e.message}`)
        if (!field.startsWith('on')) assert.match(e.message, /milliseconds/, show(bad))
        else assert.match(e.message, /function/)
        return true
      })
    }
    await assert.rejects(client.waitForRestoreSnapshot(), { message: 'The `job_id` property is missing.' })
    await assert.rejects(client.waitForRestoreSnapshot({ interval: 10 }), { message: 'The `job_id` property is missing.' })
    await sleep(30)
    assert.equal(polls(sim).length, 0)
    // null / undefined mean "the default"; a good call after all that works.
    await assert.rejects(
      client.waitForRestoreSnapshot({ job_id: 77, interval: null, timeout: 50, onProgress: null, onPollError: null }),
      { code: 'RESTORE_TIMEOUT' },
    )
  })
})

test(
  'bad option messages say what was given in JavaScript terms',
  async () => {
    await withSim(async (client) => {
      for (const [bad] of BAD_OPTIONS) {
        await assert.rejects(client.waitForRestoreSnapshot({ job_id: 77, ...bad }), (e) => {
          assert.doesNotMatch(e.message, /Number\(|Str\(|BigInt \{|Bool\(|Object|lossless/, `${show(bad)}: ${e.message}`)
          return true
        })
      }
    })
  },
)
