#!/usr/bin/env bash
# Build a C guest: bindings/wasm3/guest/build.sh [out.wasm [source.c]]
#   source.c defaults to magika.c (the magika guest); wasinn_crate_mirror.c is the guest that
#   mirrors the wasi-nn 0.6 crate's calls, hostile.c the hostile guest. A relative source is looked
#   up beside this script. Extra compiler flags: CFLAGS_WASM (e.g. -DHOSTILE_WASMEDGE_EXTRAS).
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32 (or any
# clang with a wasm32-wasi sysroot: set CC and WASI_SYSROOT).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/magika.wasm}"
src="${2:-magika.c}"
case "$src" in /*) ;; *) src="$here/$src" ;; esac
cc="${CC_WASM:-clang}"
args=(--target=wasm32-wasi -O2 -Wall -Wextra)
# shellcheck disable=SC2206 # word splitting of the flags is intended
args+=(${CFLAGS_WASM:-})
if [ -n "${WASI_SYSROOT:-}" ]; then args+=(--sysroot="$WASI_SYSROOT"); fi
mkdir -p "$(dirname "$out")"
"$cc" "${args[@]}" -o "$out" "$src"
echo "$out"
