#!/usr/bin/env bash
# Obtains llama.cpp for the llamacpp plugin and its tests, once, under build/llamacpp/ (reused on
# every later run; nothing here is committed):
#   1. the llama-cpp-python 0.3.36 sdist from PyPI (it vendors llama.cpp at ggml-org/llama.cpp@0c1e57098,
#      with the submodule's git metadata, from which ggml's CMake takes ggml_commit(): "0c1e570-dirty",
#      dirty because the sdist's files differ from that checkout's index);
#   2. libllama + libggml* shared libraries built from that vendored tree with CMake, only the
#      `llama` target and what it links (no common/tools/examples/tests/server/mtmd), Release,
#      into build/llamacpp/lib; the CPU time of that build is written to build/llamacpp/build-time.txt;
#   3. llama-cpp-python itself into the venv as the reference, WITHOUT compiling llama.cpp a second
#      time (CMAKE_ARGS=-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF): it loads our libllama.so through
#      LLAMA_CPP_LIB_PATH at import, so the plugin and the reference run the same library.
# Usage: tests/llamacpp/setup.sh PYTHON    (PYTHON: the venv's interpreter; gguf is installed there too)
#   LLAMACPP_DOWNLOAD_ONLY=1: step 1 only; LLAMACPP_BUILD_ONLY=1: steps 1-2 only (the venv untouched).
# Prints the directory holding libllama.so on its last line.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${1:?usage: setup.sh PYTHON}"
VERSION=0.3.36
OUT="$REPO/build/llamacpp"
SRC="$OUT/llama_cpp_python-$VERSION"
LIB="$OUT/lib"
mkdir -p "$OUT/dl"

if [ ! -f "$OUT/dl/llama_cpp_python-$VERSION.tar.gz" ]; then
    # pip also prepares the sdist's metadata (an isolated build environment with scikit-build-core
    # from PyPI): seconds on an idle machine, over 10 minutes at nice 19 beside a CI run, so
    # scripts/test.sh runs this step in the foreground (LLAMACPP_DOWNLOAD_ONLY=1). Into a scratch
    # directory first: a killed download never leaves a partial file under the final name.
    echo "llamacpp: downloading the llama-cpp-python $VERSION sdist (~77 MB)" >&2
    rm -rf "$OUT/dl.part"
    timeout 900 "$PY" -m pip download -q --disable-pip-version-check --no-binary :all: --no-deps \
        "llama-cpp-python==$VERSION" -d "$OUT/dl.part" >&2
    mv "$OUT/dl.part/llama_cpp_python-$VERSION.tar.gz" "$OUT/dl/"
    rm -rf "$OUT/dl.part"
fi
if [ ! -f "$SRC/vendor/llama.cpp/include/llama.h" ]; then
    tar xzf "$OUT/dl/llama_cpp_python-$VERSION.tar.gz" -C "$OUT"
fi
# LLAMACPP_DOWNLOAD_ONLY=1: stop here (the sources are in place; nothing built).
if [ -n "${LLAMACPP_DOWNLOAD_ONLY:-}" ]; then exit 0; fi

if [ ! -f "$LIB/libllama.so" ] && [ ! -f "$OUT/cmake/bin/libllama.so" ]; then
    echo "llamacpp: building libllama + ggml (Release, llama target only)" >&2
    cmake -S "$SRC/vendor/llama.cpp" -B "$OUT/cmake" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
        -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_MTMD=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_IS_DEV=OFF -DGGML_OPENMP=OFF \
        -DCMAKE_BUILD_RPATH='$ORIGIN' >&2
    /usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KB' -o "$OUT/build-time.txt" \
        nice cmake --build "$OUT/cmake" --target llama -j"$(nproc)" >&2
    echo "llamacpp: build $(cat "$OUT/build-time.txt")" >&2
fi
if [ ! -f "$LIB/libllama.so" ] && [ -f "$OUT/cmake/bin/libllama.so" ]; then
    # llama.cpp puts every shared library in <build>/bin; keep just those (with their SONAME
    # links) in lib/, where libllama's $ORIGIN run path finds libggml*.
    mkdir -p "$LIB"
    cp -a "$OUT"/cmake/bin/lib*.so* "$LIB"/
fi
[ -f "$LIB/libllama.so" ] || { echo "llamacpp: no $LIB/libllama.so after the build" >&2; exit 1; }
# LLAMACPP_BUILD_ONLY=1: stop here (scripts/test.sh builds the library in the background, beside
# other layers, and installs the reference into the venv later, when no other pip runs).
if [ -n "${LLAMACPP_BUILD_ONLY:-}" ]; then echo "$LIB"; exit 0; fi

# The reference: llama-cpp-python's Python package only (no compile of llama.cpp: LLAMA_BUILD=OFF),
# plus gguf for the test model generator. The stamp records what was installed (a recreated venv
# fails the import check and is installed again).
stamp="$OUT/.python-installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "$VERSION $PY" ] || ! LLAMA_CPP_LIB_PATH="$LIB" "$PY" -c 'import llama_cpp, gguf' 2>/dev/null; then
    echo "llamacpp: installing llama-cpp-python $VERSION (no llama.cpp compile) and gguf into the venv" >&2
    # pip builds the package in an isolated environment (scikit-build-core from PyPI); with
    # LLAMA_BUILD=OFF its CMake project compiles nothing and the package ships no library.
    CMAKE_ARGS="-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF" "$PY" -m pip install -q --disable-pip-version-check "$SRC" >&2
    "$PY" -m pip install -q --disable-pip-version-check "gguf==0.19.0" >&2
    echo "$VERSION $PY" > "$stamp"
fi
# The reference must run on this library: llama-cpp-python loads it through LLAMA_CPP_LIB_PATH.
LLAMA_CPP_LIB_PATH="$LIB" "$PY" -c '
import sys, llama_cpp
lib = llama_cpp.llama_cpp._lib._name
assert lib.startswith(sys.argv[1]), lib
' "$LIB"
echo "$LIB"
