#!/usr/bin/env node
'use strict'
// The two publish-time edits that the napi CLI does not make, shared by the release workflow
// (.github/workflows/release.yml) and `npm run pack:platforms` (scripts/pack-platforms.js):
//
//   node scripts/release-files.js sims <dir> [npm-dir]
//     Puts each prebuilt simulator found in <dir> (`milvus-sim.<platform>`, `.exe` on Windows,
//     next to the `.node` files) into its platform package, npm/<platform>/milvus-sim[.exe],
//     executable, and adds it to that package's `files`. Run after `napi artifacts`.
//   node scripts/release-files.js manifest [package.json]
//     Removes `scripts.prepare` from the main package's manifest: inside the repository it
//     builds from source (SPEC §7 item 1); a registry install needs no script at all, and npm
//     would list it as an install script it did not run.
//
// npm/<platform>/package.json themselves are written by `napi create-npm-dirs` (committed as
// napi writes them); this script only adds the simulator to the copy that is published.

const fs = require('node:fs')
const path = require('node:path')

function simFileName(platform) {
  return platform.startsWith('win32-') ? 'milvus-sim.exe' : 'milvus-sim'
}

function addSims(dir, npmDir = 'npm') {
  const added = []
  for (const platform of fs.readdirSync(npmDir).sort()) {
    const pkgFile = path.join(npmDir, platform, 'package.json')
    if (!fs.existsSync(pkgFile)) continue
    const name = simFileName(platform)
    const src = path.join(dir, platform.startsWith('win32-') ? `milvus-sim.${platform}.exe` : `milvus-sim.${platform}`)
    if (!fs.existsSync(src)) continue
    const dest = path.join(npmDir, platform, name)
    fs.copyFileSync(src, dest)
    fs.chmodSync(dest, 0o755)
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
    if (!pkg.files.includes(name)) pkg.files.push(name)
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n')
    added.push(`${platform}/${name}`)
  }
  return added
}

function publishManifest(file = 'package.json') {
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
  if (pkg.scripts) delete pkg.scripts.prepare
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n')
  return pkg
}

module.exports = { addSims, publishManifest, simFileName }

if (require.main === module) {
  const [cmd, ...args] = process.argv.slice(2)
  if (cmd === 'sims' && args[0]) {
    const added = addSims(args[0], args[1])
    console.log(added.length ? `milvus-sim added: ${added.join(', ')}` : `no milvus-sim.<platform> file in ${args[0]}`)
  } else if (cmd === 'manifest') {
    publishManifest(args[0])
    console.log(`${args[0] || 'package.json'}: scripts.prepare removed for publishing`)
  } else {
    console.error('usage: release-files.js sims <dir> [npm-dir] | manifest [package.json]')
    process.exit(64)
  }
}
