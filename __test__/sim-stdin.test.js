'use strict'
// milvus-sim behaves like a server (issue 14, point 5): with stdin at /dev/null (a shell's
// background, systemd, `docker run` without -i, a CI service) it stays up and answers, and it
// stops on SIGTERM or SIGINT. Only with --exit-on-stdin-eof does the end of its stdin stop it.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const { MilvusClient } = require('..')
const { simBin } = require('./helpers/sim')

function start(args, stdin) {
  const proc = spawn(simBin(), ['--collection', 'default/books', ...args], { stdio: [stdin, 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  const listening = new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (d) => {
      out += d
      const m = /^LISTENING (\d+)$/m.exec(out)
      if (m) resolve(`127.0.0.1:${m[1]}`)
    })
    exited.then((e) => reject(new Error(`milvus-sim exited before LISTENING: ${JSON.stringify(e)}`)))
  })
  return { proc, exited, listening }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function answers(address) {
  const client = new MilvusClient({ address })
  try {
    const res = await client.listSnapshots({ collection_name: 'books' })
    assert.equal(res.status.code, 0)
    assert.deepEqual(res.snapshots, [])
  } finally {
    await client.closeConnection()
  }
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`stdin at /dev/null: still up and answering after 1 s; ${signal} stops it (exit 0)`, async () => {
    const sim = start([], 'ignore')
    try {
      const address = await sim.listening
      await sleep(1000)
      assert.equal(sim.proc.exitCode, null, 'exited with stdin at /dev/null')
      await answers(address)
      sim.proc.kill(signal)
      assert.deepEqual(await sim.exited, { code: 0, signal: null })
    } finally {
      if (sim.proc.exitCode === null) sim.proc.kill('SIGKILL')
    }
  })
}

test('stdin a pipe that closes: up without the flag, stopped with --exit-on-stdin-eof', async () => {
  const server = start([], 'pipe')
  const child = start(['--exit-on-stdin-eof'], 'pipe')
  try {
    const [serverAddress, childAddress] = await Promise.all([server.listening, child.listening])
    await Promise.all([answers(serverAddress), answers(childAddress)])
    server.proc.stdin.end()
    child.proc.stdin.end()
    assert.deepEqual(await child.exited, { code: 0, signal: null })
    await sleep(500)
    assert.equal(server.proc.exitCode, null, 'exited on stdin EOF without --exit-on-stdin-eof')
    await answers(serverAddress)
  } finally {
    for (const s of [server, child]) if (s.proc.exitCode === null) s.proc.kill('SIGTERM')
    await Promise.all([server.exited, child.exited])
  }
})
