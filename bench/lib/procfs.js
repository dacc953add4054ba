'use strict'
// What the bench reads from /proc: another process's CPU time (the simulator's, during a
// window) and RSS, and the machine's description for RESULTS.md.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')

let clockTicks
function clkTck() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** User + system CPU milliseconds of a live process (all its threads), or null once it is gone. */
function cpuMs(pid) {
  let text
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // `comm` (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clkTck()
}

/**
 * CPU milliseconds of the whole machine, all cores, from the first line of /proc/stat: `run`,
 * what ran here (every process, interrupts included), and `steal`, what the hypervisor gave
 * other guests while this one wanted to run.
 */
function machineCpuMs() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const ms = (ticks) => (ticks * 1000) / clkTck()
    return { run: ms(f[0] + f[1] + f[2] + f[5] + f[6]), steal: ms(f[7] || 0) }
  } catch {
    return null
  }
}

/** Busy CPU milliseconds of the whole machine, steal included. */
function machineBusyMs() {
  const c = machineCpuMs()
  return c === null ? null : c.run + c.steal
}

/** VmRSS and VmHWM (peak) in MB, or null once the process is gone. */
function memMb(pid) {
  let text
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const kb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
    return m ? Number(m[1]) / 1024 : null
  }
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

function threadCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length
  } catch {
    return null
  }
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd()
  } catch {
    return null
  }
}

function machine() {
  let cpuModel = null
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))
    cpuModel = m && m[1].trim()
  } catch {}
  return {
    nproc: os.availableParallelism(),
    cpu_model: cpuModel || (os.cpus()[0] && os.cpus()[0].model) || 'unknown',
    node: process.version,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    rustc: run('rustc', ['--version']),
    free_h: run('free', ['-h']),
    loadavg_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
    clk_tck: clkTck(),
  }
}

module.exports = { cpuMs, machineBusyMs, machineCpuMs, memMb, threadCount, machine }
