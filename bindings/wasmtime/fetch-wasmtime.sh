#!/usr/bin/env bash
# Assemble a WASMTIME_ROOT (include/ + lib/, the layout of wasmtime's C API release archives) from
# what the registries here provide, and print its path:
#   lib/libwasmtime.so  -> the C API library the PyPI `wasmtime` wheel ships
#                          (wasmtime/linux-x86_64/_libwasmtime.so, a symlink into the venv, so a
#                          host built against this root and wasmtime-py load the very same file)
#   include/            the headers of the crates.io package `wasmtime-c-api-impl` (same version),
#                       with wasmtime/conf.h made from conf.h.in (every `#cmakedefine X` -> `#define X`:
#                       the wheel is built with all features)
#
# usage: bindings/wasmtime/fetch-wasmtime.sh [ROOT [PYTHON]]
#   ROOT defaults to build/wasmtime-root; PYTHON (default: the test venv's) must have the wheel
#   installed (scripts/requirements.txt pins it). Progress goes to stderr; stdout is only the path.
set -euo pipefail

WASMTIME_VERSION="${WASMTIME_VERSION:-50.0.1}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root="${1:-$repo/build/wasmtime-root}"
py="${2:-$repo/.venv/bin/python}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"

lib="$("$py" - "$WASMTIME_VERSION" <<'PY'
import importlib.metadata, pathlib, sys
import wasmtime
have = importlib.metadata.version("wasmtime")
if have != sys.argv[1]:
    sys.exit("fetch-wasmtime: the wasmtime wheel is %s, expected %s" % (have, sys.argv[1]))
print(pathlib.Path(wasmtime.__file__).parent / "linux-x86_64" / "_libwasmtime.so")
PY
)"
[ -f "$lib" ] || { echo "fetch-wasmtime: $lib not found" >&2; exit 1; }

# A throwaway crate whose only purpose is to make cargo download wasmtime-c-api-impl (never built).
work="$root/.fetch"
mkdir -p "$work"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "wasinn-wasmtime-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[dependencies]
wasmtime-c-api-impl = "=${WASMTIME_VERSION}"

[workspace]
TOML
: > "$work/lib.rs"
echo "fetch-wasmtime: cargo fetch wasmtime-c-api-impl $WASMTIME_VERSION" >&2
cargo fetch -q --manifest-path "$work/Cargo.toml" >&2
crate="$(cargo metadata -q --format-version 1 --manifest-path "$work/Cargo.toml" | "$py" -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "wasmtime-c-api-impl":
        print(os.path.dirname(p["manifest_path"]))
        break
')"
[ -f "$crate/include/wasmtime.h" ] || { echo "fetch-wasmtime: no include/wasmtime.h in '$crate'" >&2; exit 1; }

rm -rf "$root/include" "$root/lib"
mkdir -p "$root/lib"
cp -R "$crate/include" "$root/include"
sed 's/^#cmakedefine \(.*\)$/#define \1/' "$crate/include/wasmtime/conf.h.in" > "$root/include/wasmtime/conf.h"
rm -f "$root/include/wasmtime/conf.h.in"
ln -s "$lib" "$root/lib/libwasmtime.so"
grep -q "#define WASMTIME_VERSION \"$WASMTIME_VERSION\"" "$root/include/wasmtime.h" \
  || { echo "fetch-wasmtime: the headers are not wasmtime $WASMTIME_VERSION" >&2; exit 1; }
echo "$root"
