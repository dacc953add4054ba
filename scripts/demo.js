'use strict'
// `npm run demo`: start the bundled simulator, snapshot a collection, restore it, wait for the
// restore with the CLI's progress bar, print the final getRestoreSnapshotState, stop.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`)
}

// Build what is missing (npm install has normally built the addon already).
function ensureBuilt() {
  const addon = fs.readdirSync(ROOT).some((f) => f.endsWith('.node'))
  if (!addon) run('npx', ['napi', 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'])
  // Always through cargo (a no-op when up to date): a stale simulator may lack a flag used below.
  run('cargo', ['build', '-p', 'milvus-sim', '--release'])
  return path.join(ROOT, 'target', 'release', 'milvus-sim')
}

function startSim(bin) {
  const args = ['--exit-on-stdin-eof', '--port', '0', '--collection', 'default/books', '--restore-ms', '4000', '--segments', '8', '--tick-ms', '250']
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (chunk) => {
      out += chunk
      const m = /LISTENING (\d+)/.exec(out)
      if (m) resolve({ proc, address: `127.0.0.1:${m[1]}` })
    })
    proc.once('exit', (code) => reject(new Error(`milvus-sim exited early (code ${code})`)))
  })
}

function cli(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'milvus-native.js'), ...args], { stdio: 'inherit' })
    child.once('exit', (code) => resolve(code))
  })
}

async function main() {
  const bin = ensureBuilt()
  const { MilvusClient } = require('..')
  const { proc, address } = await startSim(bin)
  console.log(`milvus-sim listening on ${address} (collection default/books)\n`)
  const client = new MilvusClient({ address, token: 'root:Milvus' })
  try {
    const created = await client.createSnapshot({ collection_name: 'books', snapshot_name: 'nightly' })
    console.log(`createSnapshot books/nightly -> ${created.error_code}`)
    const restored = await client.restoreSnapshot({
      snapshot_name: 'nightly',
      source_collection_name: 'books',
      target_collection_name: 'books_restored',
    })
    console.log(`restoreSnapshot -> job ${restored.job_id}\n`)
    const code = await cli(['wait', restored.job_id, '--address', address, '--interval', '200'])
    if (code !== 0) throw new Error(`milvus-native wait exited with ${code}`)
    const state = await client.getRestoreSnapshotState({ job_id: restored.job_id })
    console.log('\ngetRestoreSnapshotState:')
    console.log(JSON.stringify(state, null, 2))
    // The rest of MilvusClient, through the same client: these two are the official SDK's
    // (delegated, loaded on this first use); the simulator serves the collection RPCs.
    const has = await client.hasCollection({ collection_name: 'books_restored' })
    console.log(`\nhasCollection books_restored -> ${has.value}`)
    const described = await client.describeCollection({ collection_name: 'books_restored' })
    const fields = described.schema.fields.map((f) => `${f.name} ${f.data_type}${f.is_primary_key ? ' (primary key)' : ''}`)
    console.log(`describeCollection books_restored -> ${described.status.error_code}: ${fields.join(', ')}`)
  } finally {
    await client.closeConnection()
    proc.stdin.end()
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`)
  process.exitCode = 1
})
