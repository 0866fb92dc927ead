#!/usr/bin/env bash
# scripts/check-consumers.sh PREFIX MODEL WORKDIR
#
# Builds and runs the consumer projects of tests/consumers/ against an installed libwasinn, the way
# an adopter would:
#   1. the install prefix is copied to WORKDIR/moved-prefix and the CMake consumer is copied to
#      WORKDIR/cmake-src, then built with find_package(wasinn) against the copy only (the package
#      is relocatable); the program must resolve libwasinn.so.0 inside the moved prefix;
#   2. the pkg-config consumer, built with `cc $(pkg-config --cflags --libs wasinn)` against the
#      moved prefix's wasinn.pc;
#   3. plugin discovery beside the installed library: tests/consumers/discovery lists the backends
#      and requires the onnxruntime and openvino plugins AVAILABLE from the moved prefix's lib/
#      (found with dladdr; WASINN_PLUGIN_PATH is unset), then runs add.onnx on onnxruntime by name.
#      The plugins find their vendor libraries through WASINN_PYTHON_SITE_PACKAGES (default: the
#      test venv, $VENV of scripts/common.sh);
#   4. every installed header, alone, as C99, C11 and C++ (-Wall -Wextra -Werror -pedantic).
# MODEL is c-tests' add.onnx. Exits non-zero on the first failure.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 3 ] || { echo "usage: $0 PREFIX MODEL WORKDIR" >&2; exit 2; }
prefix="$(cd "$1" && pwd)"
model="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
work="$3"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# Hard links when possible: the debug archive is large, and a link is a different path all the same.
moved="$work/moved-prefix"
cp -al "$prefix" "$moved" 2>/dev/null || { rm -rf "$moved"; cp -a "$prefix" "$moved"; }

echo "--- cmake consumer (find_package(wasinn) against $moved)"
cp -a "$repo/tests/consumers/cmake" "$work/cmake-src"
cmake -S "$work/cmake-src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$moved" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
resolved="$(ldd "$work/cmake-build/wasinn-consumer" | awk '$1 == "libwasinn.so.0" {print $3}')"
case "$resolved" in
  "$moved"/lib/*) echo "libwasinn.so.0 => $resolved" ;;
  *) echo "check-consumers: the CMake consumer resolves libwasinn.so.0 to '$resolved', not inside $moved" >&2; exit 1 ;;
esac
"$work/cmake-build/wasinn-consumer" "$model"

echo "--- pkg-config consumer (PKG_CONFIG_PATH=$moved/lib/pkgconfig)"
PKG_CONFIG_PATH="$moved/lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
  "$repo/tests/consumers/pkgconfig/build.sh" "$work/pkgconfig-consumer" >/dev/null
resolved="$(ldd "$work/pkgconfig-consumer" | awk '$1 == "libwasinn.so.0" {print $3}')"
case "$resolved" in
  "$moved"/lib/*) echo "libwasinn.so.0 => $resolved" ;;
  *) echo "check-consumers: the pkg-config consumer resolves libwasinn.so.0 to '$resolved'" >&2; exit 1 ;;
esac
"$work/pkgconfig-consumer" "$model"

echo "--- plugin discovery beside $moved/lib/libwasinn.so"
cc -std=c11 -Wall -Wextra -Werror -I"$moved/include" -o "$work/discovery" \
  "$repo/tests/consumers/discovery/main.c" -L"$moved/lib" -lwasinn -Wl,-rpath,"$moved/lib"
resolved="$(ldd "$work/discovery" | awk '$1 == "libwasinn.so.0" {print $3}')"
case "$resolved" in
  "$moved"/lib/*) echo "libwasinn.so.0 => $resolved" ;;
  *) echo "check-consumers: the discovery check resolves libwasinn.so.0 to '$resolved'" >&2; exit 1 ;;
esac
site="${WASINN_PYTHON_SITE_PACKAGES:-$(source "$repo/scripts/common.sh" && echo "$VENV")}"
env -u WASINN_PLUGIN_PATH -u WASINN_BACKEND -u WASINN_BACKEND_PREFERENCE WASINN_PYTHON_SITE_PACKAGES="$site" \
  "$work/discovery" "$moved/lib" "$model"

echo "--- installed headers alone as C and C++"
n=0
for h in "$moved"/include/*.h; do
  name="$(basename "$h")"
  # a runtime's glue header needs that runtime's headers: the wasmtime layer of scripts/test.sh
  # compiles wasinn_wasmtime.h (C11, C++17) against wasmtime's, and tests/run-wit.sh
  # wasinn_wasmtime_wit.h
  case "$name" in wasinn_wasmtime.h|wasinn_wasmtime_wit.h) continue ;; esac
  printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' "$name" "$name" > "$work/h.c"
  cp "$work/h.c" "$work/h.cpp"
  for std in c99 c11; do
    cc -std="$std" -Wall -Wextra -Werror -pedantic -I"$moved/include" -c "$work/h.c" -o "$work/h.o"
  done
  c++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$moved/include" -c "$work/h.cpp" -o "$work/h.o"
  n=$((n + 1))
done
echo "$n header(s) compile alone as C99, C11 and C++11"
echo "check: consumers ok"
