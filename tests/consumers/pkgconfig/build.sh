#!/usr/bin/env bash
# A consumer of an installed libwasinn built with pkg-config alone (the same program as the CMake
# consumer, ../cmake/main.c):
#
#   PKG_CONFIG_PATH=/opt/wasinn/lib/pkgconfig tests/consumers/pkgconfig/build.sh OUT
#
# The .pc file carries no rpath (that is the consumer's choice); the program records the libdir
# pkg-config reports so it runs without LD_LIBRARY_PATH.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUT}"
cc="${CC:-cc}"
libdir="$(pkg-config --variable=libdir wasinn)"
# shellcheck disable=SC2046 # word splitting of the flags is intended
"$cc" -std=c11 -Wall -Wextra -Werror -o "$out" "$here/../cmake/main.c" \
  $(pkg-config --cflags --libs wasinn) -Wl,-rpath,"$libdir"
echo "$out"
