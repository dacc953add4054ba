'use strict'
// Starts a milvus-lite 3.2.2 server (from the venv of ./pyenv.js) on a free port for a test:
// a real Milvus-protocol server nobody here wrote. Like startSim, the child dies with the test
// process: its stdin is a pipe that a watchdog in the child reads to EOF.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { ensurePyEnv, VENV } = require('./pyenv')

/** A port that was free a moment ago (bound on 127.0.0.1 port 0, then released). */
async function freePort() {
  const server = net.createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Runs the milvus-lite CLI, exiting when the parent closes our stdin.
const WATCHDOG = `
import os, sys, threading
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from milvus_lite.cmdline import main
sys.argv = ['milvus-lite'] + sys.argv[1:]
sys.exit(main())
`

function liteCommand(python, args) {
  // Prefer the watchdog (dies with us); fall back to the console script if the module moved.
  const check = spawnSync(python, ['-c', 'import milvus_lite.cmdline as c; assert callable(c.main)'])
  if (check.status === 0) return [python, ['-c', WATCHDOG, ...args]]
  return [path.join(VENV, 'bin', 'milvus-lite'), args]
}

/**
 * @returns {Promise<{ port: number, address: string, dataDir: string, stop(): Promise<void> }>}
 */
async function startLite({ readyTimeoutMs = 60000 } = {}) {
  const python = ensurePyEnv()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-lite-'))
  const port = await freePort()
  const [cmd, argv] = liteCommand(python, ['server', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)])
  const proc = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (d) => (err += d))
  const exited = new Promise((resolve) => proc.once('exit', resolve))

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`milvus-lite did not report listening within ${readyTimeoutMs} ms: ${out}${err}`))
    }, readyTimeoutMs)
    const onData = (d) => {
      out += d
      if (/listening/i.test(out)) {
        clearTimeout(timer)
        proc.stdout.off('data', onData)
        resolve()
      }
    }
    proc.stdout.on('data', onData)
    proc.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`milvus-lite exited early (code ${code}, signal ${signal}): ${out}${err}`))
    })
  })
  proc.stdout.resume()

  return {
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin.end()
        proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

module.exports = { startLite, freePort }
