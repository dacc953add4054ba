'use strict'
// The CLI against servers without the snapshot API (issue 14, point 2): milvus-lite 3.2.2 (a
// real Milvus-protocol server older than the snapshot RPCs: they answer UNIMPLEMENTED) and a
// real HTTP/2 server (node:http2) that answers every request with HTTP 404. Every command exits
// 3 with one clear line, never a TypeError and never a success message; --json prints
// { error: { code: 'NOT_SUPPORTED', message } }.

const test = require('node:test')
const assert = require('node:assert/strict')
const http2 = require('node:http2')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { startLite } = require('./helpers/lite')

const BIN = path.resolve(__dirname, '..', 'bin', 'milvus-native.js')
const LINE = 'milvus-native: this server does not support snapshots (Milvus 3.0 or later needed)\n'

// Every command that talks to the server, with valid arguments.
const COMMANDS = [
  ['create', 'books', 'nightly'],
  ['drop', 'books', 'nightly'],
  ['snapshots', 'books'],
  ['describe', 'books', 'nightly'],
  ['pin', 'books', 'nightly', '--ttl', '60'],
  ['unpin', '5'],
  ['restore', 'nightly', '--from', 'books', '--to', 'x'],
  ['restore', 'nightly', '--from', 'books', '--to', 'x', '--wait'],
  ['state', '1'],
  ['wait', '1', '--interval', '10'],
  ['jobs'],
  ['jobs', '--collection', 'books'],
]

function cli(args, address) {
  const env = { ...process.env, MILVUS_ADDRESS: address }
  delete env.MILVUS_TOKEN
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : `killed (${err.signal})`) : 0, stdout, stderr })
    })
  })
}

const show = (args, r) => `${args.join(' ')}: exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`

async function everyCommandRefuses(address) {
  const runs = await Promise.all(
    COMMANDS.flatMap((args) => [
      cli(args, address).then((r) => ({ args, r, json: false })),
      cli([...args, '--json'], address).then((r) => ({ args, r, json: true })),
    ])
  )
  for (const { args, r, json } of runs) {
    assert.equal(r.code, 3, show(args, r))
    assert.equal(r.stderr, LINE, show(args, r))
    if (!json) {
      assert.equal(r.stdout, '', show(args, r))
      continue
    }
    const doc = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(doc), ['error'], show(args, r))
    assert.equal(doc.error.code, 'NOT_SUPPORTED', show(args, r))
    assert.equal(doc.error.message, 'this server does not support snapshots (Milvus 3.0 or later needed)')
  }
}

test('milvus-lite (no snapshot RPCs): every command exits 3 with one clear line', { timeout: 15 * 60 * 1000 }, async () => {
  const lite = await startLite()
  try {
    await everyCommandRefuses(lite.address)
  } finally {
    await lite.stop()
  }
})

for (const body of ['', 'not found']) {
  test(`an HTTP/2 server answering 404 (${body ? 'with' : 'without'} a body): every command exits 3 with one clear line`, async () => {
    const server = http2.createServer()
    const paths = new Set()
    server.on('stream', (stream, headers) => {
      paths.add(headers[':path'])
      stream.respond({ ':status': 404, 'content-type': 'text/plain' })
      stream.end(body)
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      await everyCommandRefuses(`127.0.0.1:${server.address().port}`)
      // The requests did reach it (the gRPC paths of the snapshot RPCs).
      assert.ok(paths.has('/milvus.proto.milvus.MilvusService/GetRestoreSnapshotState'), [...paths].join(', '))
      assert.ok(paths.has('/milvus.proto.milvus.MilvusService/CreateSnapshot'), [...paths].join(', '))
    } finally {
      server.close()
    }
  })
}
