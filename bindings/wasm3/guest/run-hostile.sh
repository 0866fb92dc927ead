#!/usr/bin/env bash
# The hostile guests in one host: the single runner every host of the project goes through, so the
# cases and their expected errnos exist once (in hostile.c and hostile-nomem.wat, which check
# themselves) and a host only says how it is invoked.
#
#   run-hostile.sh NAME WORK PROFILES BACKENDS HOST_CMD...
#     NAME      the host's name in the output lines
#     WORK      scratch; WORK/guest holds the guests and the model, built once and reused by the
#               next host run with the same WORK
#     PROFILES  comma-separated numberings, each passed as the host's --profile and as the guest's
#               first argument: spec, wasmedge, wamr, wamr-2.1
#     BACKENDS  comma-separated: tract, onnxruntime, openvino (pinned with WASINN_BACKEND; the
#               plugins find their vendor libraries through WASINN_PYTHON_SITE_PACKAGES)
#     HOST_CMD  the host's command; the runner appends
#               --profile P --dir . --nn-preload m:onnx:cpu:add.onnx GUEST [SEP] ARGS...
# env: HOSTILE_ARGS_SEP   a word between the guest and its arguments (`--` for python -m wasinn run)
#      HOSTILE_NOMEM      `run` (default): the memory-less guest runs as a command and must exit 0
#                         (every call answered missing_memory); `refused:REGEX`: the runtime itself
#                         refuses to load a memory-less module importing wasi_ephemeral_nn, with a
#                         message matching REGEX, before the glue is ever called (WAMR)
#      PY                 a Python with onnx (builds the model; default the project venv)
# Prints one line per run and last "hostile NAME: N cases passed, M failed (...)"; exits 1 on any
# failure. The guest is built with the WasmEdge extras (every host of the project serves them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
name="$1"; work="$(mkdir -p "$2" && cd "$2" && pwd)"
IFS=, read -r -a profiles <<< "$3"
IFS=, read -r -a backends <<< "$4"
shift 4
host=("$@")
[[ "${host[0]}" != */* ]] || host[0]="$(cd "$(dirname "${host[0]}")" && pwd)/$(basename "${host[0]}")"
py="${PY:-$repo/.venv/bin/python}"
sep=()
[ -z "${HOSTILE_ARGS_SEP:-}" ] || sep=("$HOSTILE_ARGS_SEP")
nomem="${HOSTILE_NOMEM:-run}"

g="$work/guest"
if [ ! -f "$g/hostile.wasm" ] || [ "$here/hostile.c" -nt "$g/hostile.wasm" ] \
   || [ "$here/hostile-nomem.wat" -nt "$g/nomem.wasm" ]; then
  rm -rf "$g"; mkdir -p "$g"
  "$py" "$here/crate_mirror_cases.py" "$g/cases" >/dev/null   # its add.onnx: a + b, f32 [2,3]
  cp "$g/cases/add.onnx" "$g/add.onnx"
  CFLAGS_WASM=-DHOSTILE_WASMEDGE_EXTRAS "$here/build.sh" "$g/hostile.wasm" hostile.c >/dev/null
  wat2wasm "$here/hostile-nomem.wat" -o "$g/nomem.wasm"
fi

out="$work/$name"; rm -rf "$out"; mkdir -p "$out"
cases_passed=0 cases_failed=0 runs_failed=0
declare -a per_backend=()
for backend in "${backends[@]}"; do
  b_passed=0
  for profile in "${profiles[@]}"; do
    log="$out/$backend-$profile.txt" rc=0
    (cd "$g" && WASINN_BACKEND="$backend" "${host[@]}" --profile "$profile" --dir . \
       --nn-preload m:onnx:cpu:add.onnx hostile.wasm "${sep[@]}" "$profile" add.onnx m \
       >"$log" 2>"$log.err") || rc=$?
    counts="$(tail -1 "$log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')"
    p="${counts% *}" f="${counts#* }"
    if [ -z "$counts" ] || [ "$rc" -ne 0 ] || [ "$f" != 0 ]; then
      echo "FAIL hostile $name $backend --profile $profile: exit $rc, $(tail -1 "$log")"
      grep '^FAIL' "$log" || true
      tail -5 "$log.err"
      runs_failed=$((runs_failed + 1))
      [ -z "$counts" ] || cases_failed=$((cases_failed + f))
      [ -n "$counts" ] || cases_failed=$((cases_failed + 1))
    fi
    [ -z "$counts" ] || { cases_passed=$((cases_passed + p)); b_passed=$((b_passed + p)); }
    echo "hostile $name $backend --profile $profile: $(tail -1 "$log") (exit $rc)"
  done
  # the guest without a memory: every range is missing_memory (spec numbering: 3), no trap
  rc=0
  (cd "$g" && WASINN_BACKEND="$backend" "${host[@]}" --profile spec nomem.wasm >"$out/$backend-nomem.txt" 2>&1) || rc=$?
  case "$nomem" in
    run)
      if [ "$rc" -eq 0 ]; then what="5/5 calls missing_memory"; b_passed=$((b_passed + 5)); cases_passed=$((cases_passed + 5))
      else what="FAIL (exit $rc)"; runs_failed=$((runs_failed + 1)); cases_failed=$((cases_failed + 5)); cat "$out/$backend-nomem.txt"; fi ;;
    refused:*)
      if [ "$rc" -ne 0 ] && grep -qE "${nomem#refused:}" "$out/$backend-nomem.txt"; then what="refused by the runtime's loader (as expected)"
      else what="FAIL: expected the runtime to refuse it (exit $rc)"; runs_failed=$((runs_failed + 1)); cat "$out/$backend-nomem.txt"; fi ;;
  esac
  echo "hostile $name $backend no-memory guest: $what"
  per_backend+=("$backend $b_passed")
done
echo "hostile $name: $cases_passed cases passed, $cases_failed failed ($(IFS=,; echo "${per_backend[*]}" | sed 's/,/, /g'); profiles $(IFS=,; echo "${profiles[*]}"))"
[ "$runs_failed" -eq 0 ]
