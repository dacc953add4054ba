#!/usr/bin/env node
'use strict'
// `prepare`: inside the repository (a clone, or npm installing from a git URL) the addon is
// built from source (SPEC §7 item 1). That needs Rust: say so first, instead of the napi CLI's
// "cargo metadata failed to run". Registry installs never run this: the published manifest has
// no `prepare` (scripts/release-files.js) and the binary comes in a platform package.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..')

const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
if (cargo.error || cargo.status !== 0) {
  console.error(
    [
      '',
      'milvus-native: building from source requires Rust, and `cargo` was not found on PATH.',
      '  Installing from a git URL or a checkout builds the native addon (prebuilt binaries come',
      '  only with `npm install milvus-native` from the npm registry).',
      '  Install Rust (stable, 1.88 or later) from https://rustup.rs, open a new shell so that',
      '  `cargo --version` works, and run the install again.',
      '',
    ].join('\n')
  )
  process.exit(1)
}

let cli
try {
  cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json', { paths: [REPO] })), 'dist', 'cli.js')
} catch {
  console.error('milvus-native: building from source needs the napi CLI (@napi-rs/cli, a devDependency): run `npm install` without --omit=dev.')
  process.exit(1)
}
const args = ['build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts', ...process.argv.slice(2)]
const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, stdio: 'inherit' })
process.exit(r.status === null ? 1 : r.status)
