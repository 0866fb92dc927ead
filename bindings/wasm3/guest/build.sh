#!/usr/bin/env bash
# Build the magika guest: bindings/wasm3/guest/build.sh [out.wasm]
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32 (or any
# clang with a wasm32-wasi sysroot: set CC and WASI_SYSROOT).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/magika.wasm}"
cc="${CC_WASM:-clang}"
args=(--target=wasm32-wasi -O2 -Wall -Wextra)
if [ -n "${WASI_SYSROOT:-}" ]; then args+=(--sysroot="$WASI_SYSROOT"); fi
mkdir -p "$(dirname "$out")"
"$cc" "${args[@]}" -o "$out" "$here/magika.c"
echo "$out"
