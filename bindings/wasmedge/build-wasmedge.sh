#!/usr/bin/env bash
# Builds the real `wasmedge` tool (interpreter, no LLVM, none of WasmEdge's own plugins) from a
# WasmEdge source archive, for the tests of the libwasinn WasmEdge plugin. Never commits or copies
# WasmEdge's sources: they are extracted under the build directory.
#
#   build-wasmedge.sh ARCHIVE BUILD_DIR
#
# Prints the build directory on its last stdout line: the tool is tools/wasmedge/wasmedge (its
# RUNPATH finds lib/api/libwasmedge.so relative to itself), the C API headers are in include/api
# (include/api/wasmedge/wasmedge.h, generated ones included). Only these two targets are built,
# nothing is installed. A build whose archive sha256 and flags are unchanged is reused (stamp file).
# Needs cmake, a C++17 compiler and libspdlog-dev (without it WasmEdge's configure step clones fmt
# and spdlog from GitHub).
set -euo pipefail
archive="$1"
out="$(mkdir -p "$2" && cd "$2" && pwd)"

FLAGS=(-DCMAKE_BUILD_TYPE=Release -DWASMEDGE_USE_LLVM=OFF -DWASMEDGE_BUILD_PLUGINS=OFF
       -DWASMEDGE_BUILD_TESTS=OFF -DWASMEDGE_BUILD_SHARED_LIB=ON -DWASMEDGE_BUILD_STATIC_LIB=OFF)
sha="$(sha256sum "$archive" | cut -d' ' -f1)"
key="$(printf '%s %s\n' "$sha" "${FLAGS[*]}" | sha256sum | cut -c1-16)"
bld="$out/build-$key"
stamp="$bld/.wasinn-stamp"
if [ -f "$stamp" ] && [ -x "$bld/tools/wasmedge/wasmedge" ]; then
  echo "wasmedge: reusing $bld (archive sha256 $sha, same flags)" >&2
  echo "$bld"
  exit 0
fi

src="$out/src-$key"
rm -rf "$src" "$bld"
mkdir -p "$src"
tar xzf "$archive" -C "$src" --strip-components=1
start=$SECONDS
cmake -S "$src" -B "$bld" -G "Unix Makefiles" "${FLAGS[@]}" >"$out/configure.log" 2>&1 \
  || { tail -40 "$out/configure.log" >&2; exit 1; }
# Only the tool and the shared library it links (not every target of the tree).
cmake --build "$bld" --target wasmedge -j"${WASINN_BUILD_JOBS:-2}" >"$out/build.log" 2>&1 \
  || { tail -40 "$out/build.log" >&2; exit 1; }
echo "wasmedge: built in $((SECONDS - start))s (archive sha256 $sha)" | tee "$out/build-time.txt" >&2
printf '%s\n%s\n' "$sha" "${FLAGS[*]}" > "$stamp"
echo "$bld"
