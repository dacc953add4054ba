#!/usr/bin/env bash
# The targets that cannot run here: does the addon crate (default features) compile for them?
# Debian 12 x64, as root; not part of `npm test`. Results: docs/PLATFORMS.md.
#
#   musl (x86_64 / aarch64-unknown-linux-musl)   napi build -x (zig): a full, linked build
#   macOS (x86_64 / aarch64-apple-darwin)        napi build -x (zig): a full, linked build, not
#                                                stripped: rustc strips Mach-O files with
#                                                `rust-objcopy`, which Debian's rustc-web lacks;
#                                                MACOSX_DEPLOYMENT_TARGET set (zig's default: 15.0)
#   Windows (x86_64-pc-windows-msvc)             cargo check, twice:
#     a. with Debian's clang-cl 19 as the C compiler: ring's build script needs the MSVC C
#        runtime headers (assert.h, ...), which are not installable here, so this is expected to
#        fail; the error is printed;
#     b. with a stand-in C compiler that only creates empty objects: `cargo check` links
#        nothing, so this type-checks every Rust crate, ours included, for the MSVC target.
#
# Usage: bash scripts/platforms/other-targets.sh [musl] [macos] [windows]   (default: all three)
# Environment: WORK=/var/tmp/milvus-native-targets, REF=HEAD, NICE=10.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$here" rev-parse --show-toplevel)
WORK=${WORK:-/var/tmp/milvus-native-targets}
REF=${REF:-HEAD}
NICE=${NICE:-10}
SRC=$WORK/src
WHAT=("$@")
[ ${#WHAT[@]} -gt 0 ] || WHAT=(musl macos windows)
[ "$(id -u)" = 0 ] || { echo "run as root (apt-get)" >&2; exit 64; }
mkdir -p "$WORK"
OUT=$WORK/results-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
log() { printf '\n== %s  %s\n' "$(date +%T)" "$*"; }

pkgs=(rustc-web cargo-web rust-web-src python3-venv git clang-19 llvm-19 file)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
export PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
if [ ! -x "$WORK/zig/bin/cargo-zigbuild" ]; then
  python3 -m venv "$WORK/zig" && "$WORK/zig/bin/pip" install -q cargo-zigbuild==0.24.1 ziglang==0.17.1
fi

commit=$(git -C "$REPO" rev-parse "$REF^{commit}")
if [ -d "$SRC" ] && [ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null)" != "$commit" ]; then
  git -C "$REPO" worktree remove --force "$SRC" 2>/dev/null || rm -rf "$SRC"
  git -C "$REPO" worktree prune
fi
[ -d "$SRC" ] || git -C "$REPO" worktree add --detach "$SRC" "$commit" >/dev/null
cd "$SRC"
[ -d node_modules ] || nice -n "$NICE" npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1

summary=$OUT/summary.txt
echo "commit $commit, $(rustc -V)" >"$summary"

zig_build() { # triple [VAR=value...]
  local t0 rc triple=$1
  shift
  t0=$(date +%s)
  nice -n "$NICE" env PATH="$WORK/zig/bin:$PATH" "$@" npx napi build --platform --release --target "$triple" -x \
    --target-dir "$WORK/target" --output-dir "$OUT/$triple" --no-js --dts "$OUT/$triple/binding.d.ts" \
    -- -Zbuild-std=std,panic_unwind >"$OUT/build-$triple.log" 2>&1
  rc=$?
  local node
  node=$(ls "$OUT/$triple"/*.node 2>/dev/null | head -1)
  {
    echo "$triple: napi build -x exit $rc in $(($(date +%s) - t0)) s${node:+, $(basename "$node") $(stat -c %s "$node") bytes, $(file -b "$node" | cut -d, -f1-2)}"
    [ $rc = 0 ] || grep -E '^error' "$OUT/build-$triple.log" | head -5 | sed 's/^/  /'
    # No libuv function may be imported (napi_get_uv_event_loop is a Node-API function).
    if [ -n "$node" ]; then
      local nm=(llvm-nm-19 -u)
      file -b "$node" | grep -q '^ELF' && nm=(llvm-nm-19 -D -u) # stripped ELF: the dynamic table
      "${nm[@]}" "$node" >"$OUT/$triple/undefined-symbols.txt"
      echo "  imports: $(grep -cE '(^| )_?napi_' "$OUT/$triple/undefined-symbols.txt") napi_*, $(grep -cE '(^| )_?uv_' "$OUT/$triple/undefined-symbols.txt") uv_*, $(grep -vcE '(^| )_?napi_' "$OUT/$triple/undefined-symbols.txt") other"
    fi
  } | tee -a "$summary"
}

for w in "${WHAT[@]}"; do
  case $w in
  musl)
    log musl
    zig_build x86_64-unknown-linux-musl
    zig_build aarch64-unknown-linux-musl
    ;;
  macos)
    log macOS
    # Without MACOSX_DEPLOYMENT_TARGET, zig writes minos 15.0 (rustc's defaults: 10.12 / 11.0).
    zig_build x86_64-apple-darwin CARGO_PROFILE_RELEASE_STRIP=false MACOSX_DEPLOYMENT_TARGET=10.13
    zig_build aarch64-apple-darwin CARGO_PROFILE_RELEASE_STRIP=false MACOSX_DEPLOYMENT_TARGET=11.0
    ;;
  windows)
    log "Windows MSVC, cargo check with clang-cl"
    mkdir -p "$WORK/bin"
    ln -sfn /usr/lib/llvm-19/bin/clang "$WORK/bin/clang-cl"
    ln -sfn /usr/lib/llvm-19/bin/llvm-lib "$WORK/bin/llvm-lib"
    t0=$(date +%s)
    nice -n "$NICE" env PATH="$WORK/bin:$PATH" CC_x86_64_pc_windows_msvc=clang-cl AR_x86_64_pc_windows_msvc=llvm-lib \
      cargo check --target x86_64-pc-windows-msvc -Zbuild-std=std,panic_unwind -p milvus-native \
      --target-dir "$WORK/target-check" >"$OUT/check-windows-clang-cl.log" 2>&1
    rc=$?
    {
      echo "x86_64-pc-windows-msvc, clang-cl: cargo check exit $rc in $(($(date +%s) - t0)) s"
      grep -E '^error|fatal error' "$OUT/check-windows-clang-cl.log" | sed 's/^warning: //' | sort -u | head -4 | sed 's/^/  /'
    } | tee -a "$summary"

    log "Windows MSVC, cargo check with a stand-in C compiler"
    mkdir -p "$WORK/stub"
    cat >"$WORK/stub/cc-stub" <<'EOF'
#!/bin/sh
# cargo check links nothing: stand in for cl/lib by creating the output files only.
for a in "$@"; do
  case "$a" in
    -Fo*) : > "${a#-Fo}" ;;
    /OUT:*|-out:*|-OUT:*) : > "${a#*:}" ;;
  esac
done
exit 0
EOF
    chmod +x "$WORK/stub/cc-stub"
    ln -sfn cc-stub "$WORK/stub/clang-cl"
    ln -sfn cc-stub "$WORK/stub/llvm-lib"
    t0=$(date +%s)
    nice -n "$NICE" env PATH="$WORK/stub:$PATH" CC_x86_64_pc_windows_msvc=clang-cl AR_x86_64_pc_windows_msvc=llvm-lib \
      cargo check --target x86_64-pc-windows-msvc -Zbuild-std=std,panic_unwind -p milvus-native \
      --target-dir "$WORK/target-check-stub" >"$OUT/check-windows-stub.log" 2>&1
    rc=$?
    {
      echo "x86_64-pc-windows-msvc, C stubbed: cargo check exit $rc in $(($(date +%s) - t0)) s, $(grep -c '^warning' "$OUT/check-windows-stub.log") warnings"
      grep -E -A6 '^error' "$OUT/check-windows-stub.log" | head -40 | sed 's/^/  /'
    } | tee -a "$summary"
    ;;
  *) echo "unknown: $w (musl, macos, windows)" >&2 ;;
  esac
done
echo "results in $OUT"
