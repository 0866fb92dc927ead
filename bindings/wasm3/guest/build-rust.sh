#!/usr/bin/env bash
# Build a Rust guest crate of this directory for wasm32-wasip1:
#   bindings/wasm3/guest/build-rust.sh CRATE_DIR OUT.wasm [TARGET_DIR]
# CRATE_DIR is rust-wasi-nn (the wasi-nn 0.6 crate) or rust-wasmedge-wasi-nn (wasmedge-wasi-nn 0.8),
# relative to this script or absolute. Exits 3 (and says SKIPPED) when the wasm32-wasip1 target is
# not installed and cannot be added, so callers can tell "cannot build here" from a build failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$1"; out="$2"
case "$crate" in /*) ;; *) crate="$here/$crate" ;; esac
target_dir="${3:-$(dirname "$out")/cargo-target}"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  if ! timeout 180 rustup target add wasm32-wasip1 >/dev/null 2>&1; then
    echo "SKIPPED: the Rust guest $crate needs the wasm32-wasip1 target (rustup target add wasm32-wasip1 failed)" >&2
    exit 3
  fi
fi
# A host RUSTFLAGS (e.g. -C target-cpu=native) must not reach the wasm build.
env -u RUSTFLAGS cargo build -q --release --locked --target wasm32-wasip1 --manifest-path "$crate/Cargo.toml" --target-dir "$target_dir"
name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$crate/Cargo.toml" | head -1)"
mkdir -p "$(dirname "$out")"
cp "$target_dir/wasm32-wasip1/release/$name.wasm" "$out"
echo "$out"
