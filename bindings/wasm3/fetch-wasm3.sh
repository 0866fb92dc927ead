#!/usr/bin/env bash
# Obtain wasm3's C sources (0.4.7, as bundled in the `wasm3-sys` crate that
# `wasm3 = "0.3.1"` depends on) using cargo only, and print the path of
# wasm3's `source` directory (the value for -DWASM3_SOURCE_DIR).
#
# usage: bindings/wasm3/fetch-wasm3.sh [work-dir]
#   work-dir defaults to target/wasm3-fetch (relative to the repo root).
# Progress goes to stderr; stdout is only the path.
set -euo pipefail

WASM3_SYS_VERSION="${WASM3_SYS_VERSION:-0.3.0}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$repo_root/target/wasm3-fetch}"
mkdir -p "$work/src"
work="$(cd "$work" && pwd)"

# A throwaway crate whose only purpose is to make cargo download wasm3-sys.
# The empty [workspace] table keeps it out of any enclosing workspace.
cat > "$work/Cargo.toml" <<TOML
[package]
name = "wasinn-wasm3-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
wasm3-sys = { version = "=${WASM3_SYS_VERSION}", default-features = false }

[workspace]
TOML
: > "$work/src/lib.rs"

echo "fetch-wasm3: cargo fetch wasm3-sys ${WASM3_SYS_VERSION}" >&2
cargo fetch --manifest-path "$work/Cargo.toml" >&2

manifest="$(cargo metadata --format-version 1 --manifest-path "$work/Cargo.toml" \
  | python3 -c '
import json, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p["name"] == "wasm3-sys":
        print(p["manifest_path"])
        break
')"
if [ -z "$manifest" ]; then
  echo "fetch-wasm3: wasm3-sys not found in cargo metadata" >&2
  exit 1
fi

src="$(dirname "$manifest")/wasm3/source"
if [ ! -f "$src/wasm3.h" ] || [ ! -f "$src/m3_api_wasi.c" ]; then
  echo "fetch-wasm3: $src does not look like wasm3's source dir" >&2
  exit 1
fi
echo "$src"
