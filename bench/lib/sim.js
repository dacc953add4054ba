'use strict'
// The simulator for the whole bench: one process, one fixture (a completed restore job), stdin a
// pipe so it exits with us.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const JOB_ID = '462000000000000777'

const FIXTURE = {
  [JOB_ID]: {
    info: {
      job_id: JOB_ID,
      snapshot_name: 'nightly',
      db_name: 'default',
      collection_name: 'books_restored',
      state: 'RestoreSnapshotCompleted',
      progress: 100,
      start_time: '1760000000000',
      time_cost: 5000,
    },
  },
}

async function startSim(bin, dir, { threads } = {}) {
  const fixtures = path.join(dir, 'fixtures.json')
  fs.writeFileSync(fixtures, JSON.stringify(FIXTURE))
  const args = ['--port', '0', '--fixtures', fixtures, '--exit-on-stdin-eof']
  if (threads) args.push('--threads', String(threads))
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (c) => {
    if (stderr.length < 20000) stderr += c
  })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.setEncoding('utf8')
    const onData = (c) => {
      out += c
      const m = /^LISTENING (\d+)\r?\n/m.exec(out)
      if (m) {
        proc.stdout.off('data', onData)
        proc.off('exit', onExit)
        resolve(Number(m[1]))
      }
    }
    const onExit = (code, signal) =>
      reject(new Error(`milvus-sim exited early (code ${code}, signal ${signal}): ${stderr.trim()}`))
    proc.stdout.on('data', onData)
    proc.once('exit', onExit)
    proc.once('error', (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)))
  })
  proc.stdout.resume()
  return {
    pid: proc.pid,
    address: `127.0.0.1:${port}`,
    jobId: JOB_ID,
    args,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
        proc.once('exit', () => {
          clearTimeout(t)
          resolve()
        })
        proc.stdin.end()
      }),
  }
}

module.exports = { startSim, JOB_ID }
