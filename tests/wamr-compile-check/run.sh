#!/usr/bin/env bash
# tests/wamr-compile-check/run.sh PREFIX MODEL OUTDIR
#
# The WAMR glue (bindings/wamr/) cannot be built against WAMR here (no registry carries its
# sources), so this compiles it with -Wall -Wextra -Werror against the stub wasm_export.h beside
# this script (declarations only, as WAMR documents them: a compile check, not WAMR), compiles its
# header as C++, and runs fake_wamr.c, which calls the registered natives the way WAMR would, on
# fake module instances, once plainly and once under valgrind. PREFIX is an installed libwasinn,
# MODEL c-tests' add.onnx.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
[ $# -eq 3 ] || { echo "usage: $0 PREFIX MODEL OUTDIR" >&2; exit 2; }
prefix="$(cd "$1" && pwd)"
model="$2"
out="$3"
mkdir -p "$out"
inc=(-I"$here" -I"$repo/bindings/wamr" -I"$prefix/include")
# No -pedantic: WAMR's NativeSymbol stores function pointers as void * (POSIX, not ISO C).
cc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L "${inc[@]}" \
  "$repo/bindings/wamr/wasinn_wamr.c" "$here/fake_wamr.c" -o "$out/fake_wamr" \
  -L"$prefix/lib" -lwasinn -Wl,-rpath,"$prefix/lib" -lpthread -ldl
printf '#include "wasinn_wamr.h"\n#include "wasm_export.h"\n' > "$out/h.cpp"
c++ -std=c++11 -Wall -Wextra -Werror "${inc[@]}" -fsyntax-only "$out/h.cpp"
echo "compiled bindings/wamr/wasinn_wamr.c (C11) and wasinn_wamr.h (C++11) against the stub"
"$out/fake_wamr" "$model"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect "$out/fake_wamr" "$model" > /dev/null
echo "valgrind: no errors, no definite/indirect leaks"
echo "check: wamr glue ok"
