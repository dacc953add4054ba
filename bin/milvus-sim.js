#!/usr/bin/env node
'use strict'
// `npx milvus-sim ...`: runs the prebuilt simulator of this platform's package with the same
// arguments, stdio, exit code and signals (see `milvus-sim --help`).

const { spawn } = require('node:child_process')
const { simPath } = require('../sim.js')

let bin
try {
  bin = simPath()
} catch (e) {
  console.error(e.message)
  process.exit(127)
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true })
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig)
  })
}
child.on('error', (e) => {
  console.error(`milvus-sim: cannot run ${bin}: ${e.message}`)
  process.exit(127)
})
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  } else process.exit(code)
})
