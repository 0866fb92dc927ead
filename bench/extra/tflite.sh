#!/usr/bin/env bash
# scripts/bench.sh hook: the "TensorFlow Lite" section of BENCHMARKS.md on stdout.
# 1. tests/conformance/tflite.py bench, pinned to one core, on libwasinn from $WASINN_BENCH_PREFIX
#    (default build/bench/prefix, the release install bench.sh makes; build/stage for a debug one):
#    the Python binding vs LiteRT's / OpenVINO's Python APIs.
# 2. The tract rows in Rust: wasinn-bench-tflite (crates/wasinn-bench) on each generated model tract
#    loads, libwasinn's C API vs tract-tflite called directly, in-process, interleaved; from
#    $CARGO_TARGET_DIR/$WASINN_BENCH_PROFILE (bench.sh passes its profile; default debug, the test
#    build) or $WASINN_TFLITE_BENCH_BIN.
# Models: the generated ones tract also runs, and three mediapipe models (litert, openvino).
# WASINN_BENCH_QUICK=1: 5 pairs instead of 200 (Rust side: 10x the pairs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cd "$REPO"
prefix="${WASINN_BENCH_PREFIX:-$REPO/build/bench/prefix}"
export WASINN_LIB="$prefix/lib/libwasinn.so.0" WASINN_PYTHON_SITE_PACKAGES="$VENV"
n=$([ -n "${WASINN_BENCH_QUICK:-}" ] && echo 5 || echo "${WASINN_TFLITE_BENCH_PAIRS:-200}")
tract_models=(gen_add_u8_quant gen_fc_softmax_f32 gen_conv_relu_f32)
models="$(IFS=,; echo "${tract_models[*]}"),face_detection_short_range,hand_landmark_lite,selfie_segmentation"
bin="${WASINN_TFLITE_BENCH_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/${WASINN_BENCH_PROFILE:-debug}/wasinn-bench-tflite}"
[ -x "$bin" ] || { echo "tflite.sh: $bin not found (cargo build -p wasinn-bench)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
taskset -c 1 "$PY" tests/conformance/tflite.py bench "$models" "$n" "$tmp/python.md" >&2
"$PY" tests/conformance/tflite.py write-generated "$tmp/models"
cat "$tmp/python.md"
echo
echo "### tract: libwasinn's C API vs tract-tflite called directly (Rust, in-process)"
echo
echo "\`wasinn-bench-tflite\` (crates/wasinn-bench), $((n * 10)) interleaved pairs a model, medians, pinned to one core: one inference = every input copied in, compute, output 0 copied out; \`C API\`: \`wasinn_exec_ctx_set_input\` + \`_compute\` + \`_get_output\` on the built-in tract backend, \`direct\`: tract-tflite 0.23.9's optimised plan and run state made once (the crate libwasinn uses); both outputs byte-identical before timing. Build: $(basename "$(dirname "$bin")") profile of \`$(basename "$bin")\` (libwasinn statically linked)."
echo
echo "| model | C API (us) | tract-tflite direct (us) | C API / direct | C API - direct (us) |"
echo "|---|---:|---:|---:|---:|"
for m in "${tract_models[@]}"; do
  line="$(taskset -c 1 "$bin" "$tmp/models/$m.tflite" $((n * 10)))"
  echo "tflite bench $m tract (Rust): $line" >&2
  c="$(sed -E 's/.*capi_ms=([0-9.]+).*/\1/' <<< "$line")"
  d="$(sed -E 's/.*direct_ms=([0-9.]+).*/\1/' <<< "$line")"
  awk -v m="$m" -v c="$c" -v d="$d" 'BEGIN { printf "| %s | %.1f | %.1f | %.2f | %+.1f |\n", m, c * 1000, d * 1000, c / d, (c - d) * 1000 }'
done
