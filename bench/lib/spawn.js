'use strict'
// Running one measured child: `@@BENCH {json}` lines on its stdout are events (window markers)
// or its result; a child that outlives its time limit is killed (by its pid) and reported.

const { spawn } = require('node:child_process')
const { performance } = require('node:perf_hooks')

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: object, timeoutMs: number, onEvent?: (e: object) => void,
 *           exitGraceMs?: number, expectResult?: boolean }} o  exitGraceMs: after the result,
 *           how long the child may take to exit by itself before it is killed (`killedBy`).
 */
function runChild(cmd, args, { env, timeoutMs, onEvent, exitGraceMs = 10000, expectResult = true }) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const childEnv = { ...process.env, ...env }
    // An undefined value removes the variable.
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k]
    const proc = spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let stderr = ''
    let result = null
    let error = null
    let killedBy = null
    let graceTimer = null
    const lines = []
    const kill = (why) => {
      killedBy = why
      proc.kill('SIGKILL')
    }
    const timer = setTimeout(() => kill(`timeout after ${timeoutMs} ms`), timeoutMs)
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (chunk) => {
      out += chunk
      let nl
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        if (!line.startsWith('@@BENCH ')) {
          lines.push(line)
          continue
        }
        const msg = JSON.parse(line.slice(8))
        if (msg.event && onEvent) onEvent(msg)
        if (msg.result) {
          result = msg.result
          result.result_at_ms = performance.now() - t0
          graceTimer = setTimeout(() => kill('did not exit by itself'), exitGraceMs)
        }
        if (msg.error) error = msg.error
      }
    })
    proc.stderr.setEncoding('utf8')
    proc.stderr.on('data', (c) => {
      if (stderr.length < 20000) stderr += c
    })
    proc.on('error', (e) => {
      error = `cannot spawn ${cmd}: ${e.message}`
    })
    proc.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(graceTimer)
      const wallMs = performance.now() - t0
      if (!error && killedBy) error = `${cmd} ${args.slice(0, 3).join(' ')}: ${killedBy}`
      if (!error && code !== 0) error = `exit code ${code} signal ${signal}: ${stderr.trim().slice(-2000)}`
      if (!error && !result && expectResult) error = `no result: ${stderr.trim().slice(-2000)}`
      resolve({ result, error, wallMs, stdout: lines, stderr, pid: proc.pid, killedBy })
    })
    if (onEvent) onEvent({ event: 'spawned', pid: proc.pid })
  })
}

module.exports = { runChild }
