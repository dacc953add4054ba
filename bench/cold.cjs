'use strict'
// Cold start, as a user's script: require → construct → first resolved call → exit.
// `<runtime> bench/cold.cjs <native|grpc-js|official|official-noclose> <address> <job id> <out file>`
// (Node, Bun, or `deno run -A`). The parent times spawn → exit; this writes where the time went
// (performance.now() is ms since process start) to <out file>: a file, not stdout, whose first
// use as a pipe loads Node's net and stream modules (2–3 ms that belong to neither client).
// The native client must let the process exit by itself; the official one needs
// closeConnection() (`official-noclose` checks whether it exits without it); grpc-js is closed
// as a script that owns its channel would (`client.close()`, synchronous).

const { performance } = require('node:perf_hooks')

const [kind, address, jobId, outFile] = process.argv.slice(2)
const t = { start: performance.now() }
const { MilvusClient } =
  kind === 'native'
    ? require(require('node:path').resolve(__dirname, '..'))
    : kind === 'grpc-js'
      ? require('./lib/grpc-js-client')
      : require('@zilliz/milvus2-sdk-node')
t.required = performance.now()
const client = new MilvusClient({ address })
t.constructed = performance.now()
client.getRestoreSnapshotState({ job_id: jobId }).then(
  async (r) => {
    t.first_call = performance.now()
    if (!r || !r.info || r.info.state !== 'RestoreSnapshotCompleted') {
      console.error(`unexpected reply: ${JSON.stringify(r)}`)
      process.exitCode = 1
    }
    if (kind === 'official' || kind === 'grpc-js') await client.closeConnection()
    t.closed = performance.now()
    require('node:fs').writeFileSync(outFile, JSON.stringify(t))
  },
  (e) => {
    console.error(`first call failed: ${e && e.code} ${e && e.message}`)
    process.exitCode = 1
  }
)
