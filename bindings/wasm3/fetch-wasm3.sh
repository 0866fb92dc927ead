#!/usr/bin/env bash
# Obtain wasm3 0.5.0's C sources from a package registry and print the path of the directory that
# holds them (the value for -DWASM3_SOURCE_DIR).
#
# usage: bindings/wasm3/fetch-wasm3.sh [work-dir]
#   work-dir defaults to build/wasm3 (relative to the repo root; build/ is scratch, never committed).
# env:   PYTHON   the Python whose pip downloads (default: the project venv, else python3)
# Progress goes to stderr; stdout is only the path.
#
# The PyPI sdist of pywasm3 0.5.0 ships wasm3 0.5.0's core sources (wasm3/*.c, *.h, no WASI and no
# CMakeLists: host/CMakeLists.txt builds them, host/wasi.c is the host's own WASI). It is pinned by
# its sha256 and extracted only into work-dir. (The wasm3-sys crate, the newest on crates.io, still
# bundles wasm3 0.4.7, which cannot run current rustc guests: see README.md.)
#
# One change is made to the extracted m3_compile.c: call_indirect's table index is read as the
# LEB128 u32 it is since the reference-types proposal, not as a one-byte "reserved" field. LLVM
# (rustc's wasm32-wasip1 std since reference-types became a default feature) writes it as a
# 5-byte padded LEB for relocation, which wasm3 0.5.0 rejects with "LEB encoded value overflow".
# Only table 0 is accepted, as before.
set -euo pipefail

PYWASM3_VERSION=0.5.0
PYWASM3_SHA256=5a47c8a39f7f6ae71b3316b2e5d86c9d0db6e771a65f09a86e4d4aa3a19aefcc

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$repo_root/build/wasm3}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
src="$work/pywasm3-$PYWASM3_VERSION/wasm3"

if [ ! -f "$src/wasm3.h" ]; then
  py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if [ -x "$repo_root/.venv/bin/python" ]; then py="$repo_root/.venv/bin/python"; else py=python3; fi
  fi
  sdist="$work/pywasm3-$PYWASM3_VERSION.tar.gz"
  if [ ! -f "$sdist" ]; then
    echo "fetch-wasm3: pip download pywasm3==$PYWASM3_VERSION (sdist)" >&2
    "$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
      "pywasm3==$PYWASM3_VERSION" -d "$work" >&2
  fi
  if ! echo "$PYWASM3_SHA256  $sdist" | sha256sum -c --quiet - >&2; then
    echo "fetch-wasm3: $sdist does not have the pinned sha256" >&2
    rm -f "$sdist"
    exit 1
  fi
  tar -xzf "$sdist" -C "$work" "pywasm3-$PYWASM3_VERSION/wasm3" "pywasm3-$PYWASM3_VERSION/LICENSE"
  "$py" - "$src/m3_compile.c" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = """    i8 reserved;
_   (ReadLEB_i7 (& reserved, & o->wasm, o->wasmEnd));

    _throwif ("function call type index out of range", typeIndex >= o->module->numFuncTypes);"""
new = """    u32 tableIndex;  /* libwasinn fetch-wasm3.sh: a LEB128 u32, possibly padded */
_   (ReadLEB_u32 (& tableIndex, & o->wasm, o->wasmEnd));
    _throwif ("call_indirect: only table 0 is supported", tableIndex != 0);

    _throwif ("function call type index out of range", typeIndex >= o->module->numFuncTypes);"""
if text.count(old) != 1:
    sys.exit("fetch-wasm3: m3_compile.c: call_indirect's table index read not found (other wasm3 sources?)")
open(path, "w").write(text.replace(old, new))
PY
fi
if ! grep -q 'libwasinn fetch-wasm3.sh' "$src/m3_compile.c"; then
  echo "fetch-wasm3: $src/m3_compile.c lacks the call_indirect fix (remove $work and run again)" >&2
  exit 1
fi
if ! grep -q "#define M3_VERSION *\"$PYWASM3_VERSION\"" "$src/wasm3.h"; then
  echo "fetch-wasm3: $src does not hold wasm3 $PYWASM3_VERSION" >&2
  exit 1
fi
echo "$src"
