'use strict'
// Starts milvus-sim on port 0 for a test. The child's stdin is a pipe and --exit-on-stdin-eof is
// passed, so the simulator exits when the test process dies, even without stop().

const { spawn, execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..', '..')

function simBin() {
  if (process.env.MILVUS_SIM_BIN) return process.env.MILVUS_SIM_BIN
  const bin = path.join(REPO, 'target', 'debug', 'milvus-sim')
  // A fresh clone running one test file directly: build it (cargo serialises parallel builds).
  if (!fs.existsSync(bin)) {
    execFileSync('cargo', ['build', '-p', 'milvus-sim'], { cwd: REPO, stdio: ['ignore', 2, 2] })
  }
  return bin
}

/**
 * @param {{ args?: string[], fixtures?: object, record?: boolean,
 *           tls?: { cert: string, key: string, clientCa?: string } }} [options]
 * @returns {Promise<{ port: number, address: string, recordPath: string | undefined,
 *   records(): object[], stop(): Promise<void>, proc: import('node:child_process').ChildProcess }>}
 */
async function startSim({ args = [], fixtures, record = false, tls } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-sim-'))
  // With the flag the simulator exits when this pipe closes, i.e. with the test process.
  const argv = ['--exit-on-stdin-eof', ...args]
  if (fixtures !== undefined) {
    const file = path.join(dir, 'fixtures.json')
    fs.writeFileSync(file, JSON.stringify(fixtures))
    argv.push('--fixtures', file)
  }
  const recordPath = record ? path.join(dir, 'record.jsonl') : undefined
  if (recordPath) argv.push('--record', recordPath)
  if (tls) {
    argv.push('--tls-cert', tls.cert, '--tls-key', tls.key)
    if (tls.clientCa) argv.push('--tls-client-ca', tls.clientCa)
  }

  const proc = spawn(simBin(), argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (chunk) => {
    stderr += chunk
  })

  const port = await new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk) => {
      out += chunk
      const m = /^LISTENING (\d+)\r?\n/m.exec(out)
      if (m) {
        cleanup()
        resolve(Number(m[1]))
      }
    }
    const onExit = (code, signal) => {
      cleanup()
      reject(new Error(`milvus-sim exited early (code ${code}, signal ${signal}): ${stderr.trim()}`))
    }
    const onError = (err) => {
      cleanup()
      reject(new Error(`cannot start milvus-sim (${simBin()}): ${err.message}`))
    }
    function cleanup() {
      proc.stdout.off('data', onData)
      proc.off('exit', onExit)
      proc.off('error', onError)
    }
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', onData)
    proc.once('exit', onExit)
    proc.once('error', onError)
  })
  // Keep draining stdout so the child never blocks on a full pipe.
  proc.stdout.resume()

  const exited = new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })

  return {
    port,
    address: `127.0.0.1:${port}`,
    recordPath,
    proc,
    records() {
      if (!recordPath || !fs.existsSync(recordPath)) return []
      return fs
        .readFileSync(recordPath, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line))
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin.end()
        proc.kill('SIGTERM')
      }
      await exited
    },
  }
}

/** Writes a throwaway CA and certificates into dir (see sim/README.md); resolves to their paths. */
function genCerts(dir) {
  fs.mkdirSync(dir, { recursive: true })
  return new Promise((resolve, reject) => {
    execFile(simBin(), ['gen-certs', '--out', dir], (err, _stdout, stderr) => {
      if (err) return reject(new Error(`milvus-sim gen-certs failed: ${stderr || err.message}`))
      const p = (f) => path.join(dir, f)
      resolve({
        ca: p('ca.pem'),
        caKey: p('ca.key'),
        serverCert: p('server.pem'),
        serverKey: p('server.key'),
        serverNoSanCert: p('server-nosan.pem'),
        serverNoSanKey: p('server-nosan.key'),
        clientCert: p('client.pem'),
        clientKey: p('client.key'),
      })
    })
  })
}

module.exports = { startSim, genCerts, simBin }
