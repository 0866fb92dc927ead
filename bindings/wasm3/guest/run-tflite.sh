#!/usr/bin/env bash
# The TFLite image-classifier guest (tflite_classify.c, built against WAMR's own header) in one
# host: the single runner the hosts' layers go through, so the case and its checks exist once
# (tflite_cases.py) and a host only says how it is invoked.
#
#   run-tflite.sh NAME WORK BACKENDS HOST_CMD...
#     NAME      the host's name in the output lines
#     WORK      scratch; WORK/case holds the guest, the model, the image and LiteRT's expected
#               values, built once (build-tflite.sh) and reused by the next host run with that WORK
#     BACKENDS  comma-separated backends that load TFLite: tract, openvino (pinned with
#               WASINN_BACKEND; the plugins find their vendor libraries through
#               WASINN_PYTHON_SITE_PACKAGES)
#     HOST_CMD  the host's command; the runner appends
#               --profile P --dir . tflite_classify.wasm [SEP] classifier.tflite labels.txt image.ppm
# Runs the guest under --profile wamr on each backend (tensorflowlite 4 and autodetect 6 both
# classify, as LiteRT does within 1e-5), then once under --profile spec on the first backend, where
# WAMR's autodetect number 6 is no encoding (invalid_encoding): the profile is really applied.
# env: TFLITE_ARGS_SEP  a word between the guest and its arguments (`--` for python -m wasinn run)
#      PY               a Python with numpy, flatbuffers, ai-edge-litert (default: the project venv)
#      CI=true          a guest that cannot be built here (no WAMR header) fails instead of SKIPPED
# Prints the checker's lines per run and last "tflite guest NAME: N runs passed, M failed (...)";
# exits 1 on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
name="$1"; work="$(mkdir -p "$2" && cd "$2" && pwd)"
IFS=, read -r -a backends <<< "$3"
shift 3
host=("$@")
[[ "${host[0]}" != */* ]] || host[0]="$(cd "$(dirname "${host[0]}")" && pwd)/$(basename "${host[0]}")"
py="${PY:-$repo/.venv/bin/python}"
sep=()
[ -z "${TFLITE_ARGS_SEP:-}" ] || sep=("$TFLITE_ARGS_SEP")

c="$work/case"
if [ ! -f "$c/expected.json" ] || [ "$here/tflite_classify.c" -nt "$c/tflite_classify.wasm" ] \
   || [ "$here/tflite_cases.py" -nt "$c/expected.json" ]; then
  rm -rf "$c"
  rc=0
  "$here/build-tflite.sh" "$c" "$py" >"$work/build-tflite.log" 2>&1 || rc=$?
  if [ "$rc" = 3 ] && [ "${CI:-}" != true ]; then
    cat "$work/build-tflite.log" >&2
    echo "tflite guest $name: SKIPPED (no WAMR guest header to build it against)"
    exit 0
  elif [ "$rc" != 0 ]; then
    cat "$work/build-tflite.log" >&2
    echo "FAIL: building the TFLite guest case (build-tflite.sh exit $rc)" >&2
    exit 1
  fi
fi

out="$work/$name"; rm -rf "$out"; mkdir -p "$out"
passed=0 failed=0
declare -a notes=()
# run_one PROFILE BACKEND AUTODETECT_ERRNO
run_one() {
  local profile="$1" backend="$2" want="$3" log="$out/$2-$1.txt" rc=0
  (cd "$c" && WASINN_BACKEND="$backend" "${host[@]}" --profile "$profile" --dir . tflite_classify.wasm \
     "${sep[@]}" classifier.tflite labels.txt image.ppm >"$log" 2>"$log.err") || rc=$?
  if [ "$rc" -eq 0 ] && "$py" "$here/tflite_cases.py" check "$c" "$log" --autodetect "$want" \
       --name "$name --profile $profile, $backend" >"$log.check"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL tflite guest $name $backend --profile $profile (exit $rc)"
    cat "$log.check" 2>/dev/null || true
    tail -5 "$log.err"
  fi
  grep '^tflite guest (' "$log.check" 2>/dev/null || true
  local counts
  counts="$(sed -n 's/^check: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log.check" 2>/dev/null || true)"
  if [ -n "$counts" ]; then notes+=("$backend --profile $profile ${counts% *}/$(( ${counts% *} + ${counts#* } ))")
  else notes+=("$backend --profile $profile not checked"); fi
}
for backend in "${backends[@]}"; do run_one wamr "$backend" success; done
run_one spec "${backends[0]}" invalid_encoding
echo "tflite guest $name: $passed runs passed, $failed failed (checks: $(IFS=,; echo "${notes[*]}" | sed 's/,/, /g'); LiteRT top-1 $(sed -n 's/.*"top1": \([0-9]*\).*/\1/p' "$c/expected.json"))"
[ "$failed" -eq 0 ]
