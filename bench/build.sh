#!/usr/bin/env bash
# Builds the whole-program benchmark's two programs into OUT_DIR: bench.wasm (the guest, Debian
# clang for wasm32-wasi) and ov_native (the OpenVINO C API called natively, against the openvino
# wheel's own headers and libopenvino_c.so, found in VENV's site-packages; rpath to the wheel).
#
# usage: bench/build.sh OUT_DIR VENV
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
venv="$2"
mkdir -p "$out"
"$here/../bindings/wasm3/guest/build.sh" "$out/bench.wasm" "$here/guest/bench.c" >/dev/null
ov="$("$venv/bin/python" -c 'import openvino, os; print(os.path.dirname(openvino.__file__))')"
lib="$(ls "$ov"/libs/libopenvino_c.so.* | head -1)"
cc -O2 -Wall -Wextra -Werror -o "$out/ov_native" "$here/native/ov_native.c" -I"$ov/include" "$lib" -Wl,-rpath,"$ov/libs"
echo "$out/bench.wasm $out/ov_native"
