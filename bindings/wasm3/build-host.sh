#!/usr/bin/env bash
# Build wasinn-wasm3-run (wasm3 0.5.0 from fetch-wasm3.sh, the host's confined WASI, the glue)
# against an installed libwasinn, and print the host's path.
#
# usage: bindings/wasm3/build-host.sh PREFIX BUILD_DIR [CMAKE_ARG...]
#   PREFIX     a libwasinn install prefix (scripts/install.sh), found with find_package(wasinn)
#   BUILD_DIR  CMake build directory; wasm3's sources go to BUILD_DIR/wasm3-src
#   CMAKE_ARG  passed on to cmake, e.g. -DCMAKE_C_FLAGS=-fsanitize=address
# Progress goes to stderr; stdout is only the path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$(cd "$1" && pwd)"
build="$2"
shift 2
mkdir -p "$build"
build="$(cd "$build" && pwd)"
src="$("$here/fetch-wasm3.sh" "$build/wasm3-src")"
cmake -S "$here/host" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWASM3_SOURCE_DIR="$src" \
      -DCMAKE_PREFIX_PATH="$prefix" "$@" >&2
cmake --build "$build" --parallel 2 >&2
echo "$build/wasinn-wasm3-run"
