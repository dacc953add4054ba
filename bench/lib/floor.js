'use strict'
// The raw tonic floor: milvus-sim-load (one Channel, current-thread runtime), run under a tiny
// Python parent that reports the child's rusage from wait4 (µs CPU, maxrss), since Node cannot
// read a child's rusage and /proc/<pid>/stat is gone by the time we are told it exited.

const { runChild } = require('./spawn')

const RUSAGE = [
  'import json, resource, subprocess, sys',
  'r = subprocess.run(sys.argv[1:])',
  'u = resource.getrusage(resource.RUSAGE_CHILDREN)',
  'print("@@BENCH " + json.dumps({"event": "rusage", "user_ms": u.ru_utime * 1e3,',
  '      "sys_ms": u.ru_stime * 1e3, "maxrss_kb": u.ru_maxrss}), flush=True)',
  'sys.exit(r.returncode)',
].join('\n')

/**
 * One milvus-sim-load run. Returns its JSON line plus `cpu_ms` (user + system, whole process)
 * and `max_rss_mb`. `onEvent` sees 'spawned' (python's pid) as the window opens.
 */
async function runFloor(load, args, { timeoutMs, onEvent }) {
  let rusage = null
  const r = await runChild('python3', ['-c', RUSAGE, load, ...args], {
    timeoutMs,
    expectResult: false,
    onEvent: (e) => {
      if (e.event === 'rusage') rusage = e
      else if (onEvent) onEvent(e)
    },
  })
  const line = r.stdout.find((l) => l.startsWith('{'))
  if (!line) return { error: r.error || `milvus-sim-load printed no result: ${r.stderr.trim()}` }
  const result = JSON.parse(line)
  if (rusage) {
    result.cpu_ms = rusage.user_ms + rusage.sys_ms
    result.max_rss_mb = rusage.maxrss_kb / 1024
  }
  const error = r.error || (result.errors ? `${result.errors} gRPC errors` : null)
  return { result, error, wallMs: r.wallMs }
}

module.exports = { runFloor }
