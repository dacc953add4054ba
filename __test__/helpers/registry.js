'use strict'
// A throwaway npm registry for a test: verdaccio (a devDependency) in a child process, on
// 127.0.0.1 and a port the kernel picks, with its own storage in a temp dir and no uplinks, so
// nothing it serves comes from, or goes to, anywhere else. Anyone may publish (no login).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const SERVER = `
const { runServer } = require('verdaccio')
runServer(process.argv[1]).then((app) => {
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write('LISTENING ' + server.address().port + '\\n')
  })
  // The registry dies with its parent (the test), even when the test is killed.
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}, (e) => {
  console.error(e)
  process.exit(1)
})
`

/** @returns {Promise<{ url: string, port: number, dir: string, npmrc: string, stop(): Promise<void> }>} */
async function startRegistry() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvus-native-registry-'))
  const config = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
      '    max_users: -1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      'log: { type: stdout, format: json, level: error }',
      '',
    ].join('\n')
  )
  const root = path.join(__dirname, '..', '..')
  const proc = spawn(process.execPath, ['-e', SERVER, config], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (c) => {
    stderr += c
  })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`verdaccio did not start within 60 s: ${stderr}`)), 60_000)
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (c) => {
      out += c
      const m = /^LISTENING (\d+)$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`verdaccio exited (code ${code}): ${stderr}`))
    })
  })
  proc.stdout.resume()
  const url = `http://127.0.0.1:${port}/`
  // npm wants a credential for publish; verdaccio lets anyone publish here, so any token does.
  const npmrc = path.join(dir, 'npmrc')
  fs.writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=local-test-registry\n`)
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  return {
    url,
    port,
    dir,
    npmrc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      await exited
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

module.exports = { startRegistry }
