'use strict'
// "An address that never answers" (SPEC §7.15): a listening socket that never accepts, whose
// accept queue is full, so the kernel drops every further SYN and a connect hangs until its
// deadline. Python's socket.listen(0) without accept() gives that (Node accepts on its own).
// The Python child exits when its stdin closes, so a test that dies leaves no orphan.

const { spawn } = require('node:child_process')
const net = require('node:net')

const SCRIPT = [
  'import socket, sys',
  's = socket.socket()',
  "s.bind(('127.0.0.1', 0))",
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()',
].join('\n')

function connects(port, ms) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    const timer = setTimeout(() => done(false), ms)
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    function done(ok) {
      clearTimeout(timer)
      resolve({ ok, socket: s })
    }
  })
}

/** @returns {Promise<{ port: number, address: string, close(): void }>} */
async function startBlackhole() {
  const py = spawn('python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    py.once('error', reject)
    py.once('exit', (code) => reject(new Error(`blackhole helper exited (${code})`)))
    py.stdout.setEncoding('utf8')
    py.stdout.once('data', (d) => resolve(Number(String(d).trim())))
  })
  py.removeAllListeners('exit')
  // Fill the accept queue (backlog 0 holds one), then prove a further connect hangs.
  const sockets = []
  const first = await connects(port, 2000)
  sockets.push(first.socket)
  if (!first.ok) throw new Error('blackhole: the first connect should complete')
  const probe = await connects(port, 300)
  sockets.push(probe.socket)
  if (probe.ok) throw new Error('blackhole: a connect beyond the backlog completed; SYNs are not dropped here')
  for (const s of sockets) s.on('error', () => {})
  return {
    port,
    address: `127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy()
      py.stdin.end()
      py.kill()
    },
  }
}

/** A port nothing listens on (bound then closed). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

module.exports = { startBlackhole, freePort }
