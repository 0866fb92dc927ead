#!/usr/bin/env bash
# scripts/bench.sh hook: the "TensorFlow Lite" section of BENCHMARKS.md on stdout.
# tests/conformance/tflite.py bench, pinned to one core, on libwasinn from $WASINN_BENCH_PREFIX
# (default build/bench/prefix, the release install bench.sh makes; build/stage for a debug one).
# Models: the generated ones tract also runs, and three mediapipe models (litert, openvino).
# WASINN_BENCH_QUICK=1: 5 pairs instead of 200.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cd "$REPO"
prefix="${WASINN_BENCH_PREFIX:-$REPO/build/bench/prefix}"
export WASINN_LIB="$prefix/lib/libwasinn.so.0" WASINN_PYTHON_SITE_PACKAGES="$VENV"
n=$([ -n "${WASINN_BENCH_QUICK:-}" ] && echo 5 || echo "${WASINN_TFLITE_BENCH_PAIRS:-200}")
models=gen_add_u8_quant,gen_fc_softmax_f32,gen_conv_relu_f32,face_detection_short_range,hand_landmark_lite,selfie_segmentation
md="$(mktemp)"
taskset -c 1 "$PY" tests/conformance/tflite.py bench "$models" "$n" "$md" >&2
cat "$md"
rm -f "$md"
