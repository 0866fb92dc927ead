#!/usr/bin/env bash
# The TFLite image-classifier guest and its case, for every host's layer:
#   bindings/wasm3/guest/build-tflite.sh OUTDIR [PYTHON]
# Builds OUTDIR/tflite_classify.wasm from tflite_classify.c against WAMR's own guest header
# (wasi_ephemeral_nn.h: the WAMR numbering), then writes the case with tflite_cases.py setup
# (classifier.tflite, labels.txt, image.ppm, expected.json from LiteRT's interpreter). Run the guest
# in OUTDIR as: HOST --profile wamr --dir . tflite_classify.wasm classifier.tflite labels.txt image.ppm
# and check its stdout with: tflite_cases.py check OUTDIR STDOUT [--autodetect ERRNO] [--name WHAT].
# WAMR's header: WAMR_NN_INCLUDE (a directory holding wasi_ephemeral_nn.h), else extracted from the
# pinned WAMR archive in ../shared/runtimes (the one tests/wamr/run.sh builds). Without either it
# prints SKIPPED and exits 3, so callers can tell "cannot build here" from a failure.
# PYTHON: a Python with numpy, flatbuffers and ai-edge-litert (default: the project venv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$1"
py="${2:-${PYTHON:-$repo/.venv/bin/python}}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
archive_name="wamr-2.4.1-289-g646b5a9bc"
archive="$repo/../shared/runtimes/$archive_name.tar.gz"
inc="${WAMR_NN_INCLUDE:-}"
if [ -z "$inc" ]; then
  if [ ! -f "$archive" ]; then
    echo "SKIPPED: the TFLite guest needs WAMR's wasi_ephemeral_nn.h: $archive is missing (or set WAMR_NN_INCLUDE)" >&2
    exit 3
  fi
  inc="$out/wamr-include/$archive_name/core/iwasm/libraries/wasi-nn/include"
  if [ ! -f "$inc/wasi_ephemeral_nn.h" ]; then
    rm -rf "$out/wamr-include"
    mkdir -p "$out/wamr-include"
    tar -xzf "$archive" -C "$out/wamr-include" --wildcards "$archive_name/core/iwasm/libraries/wasi-nn/include/*"
  fi
fi
[ -f "$inc/wasi_ephemeral_nn.h" ] || { echo "no wasi_ephemeral_nn.h in $inc" >&2; exit 1; }
CFLAGS_WASM="-Werror -isystem $inc" "$here/build.sh" "$out/tflite_classify.wasm" tflite_classify.c >/dev/null
"$py" "$here/tflite_cases.py" setup "$out"
