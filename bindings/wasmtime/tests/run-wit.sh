#!/usr/bin/env bash
# bindings/wasmtime/tests/run-wit.sh PREFIX WORK: the wasi:nn (WIT) component checks of
# scripts/test.sh, in wasinn-wasmtime-run (docs/wit.md says what each one shows):
#   - the wit-bindgen component guest (guest/rust-wit-nn, wasm32-wasip2) is built;
#   - on tract, onnxruntime and openvino (WASINN_BACKEND pins each load):
#     - its `errors` mode: each error path gives the error-code of the table in docs/wit.md (parsed
#       from there, one column per backend) and a non-empty `data` message;
#     - RapidOCR's text-direction classifier by bytes (`load`) and by preloaded name
#       (`load-by-name`), against onnxruntime's Python session on the same input, labelled by
#       rapidocr's own ClsPostProcess; (magika by name on every backend: scripts/demo.sh with
#       WASINN_DEMO_WIT=1, against magika's Python API);
#   - resources a guest exits without dropping are freed when its store is deleted;
#   - a tensor and a graph used after their drop, and a forged handle: the component model's trap
#     (exit 134, "unknown handle index"), the host survives and reports it;
#   - the largest list<u8> a host call takes (wasmtime's hostcall fuel): 2,796,201 bytes pass,
#     2,796,202 trap with wasmtime's reason;
#   - the glue and the host built with AddressSanitizer + UBSan, and the host under valgrind
#     memcheck, running the component's error paths, leak mode and the classifier (tests/wit-memcheck.sh);
#   - the cost, WIT vs witx side by side, interleaved (guest-timed medians; figures, no assertion).
# Prints "check: N passed, M failed" last.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
source "$repo/scripts/common.sh"
prefix="$(cd "$1" && pwd)"; work="$2"
rm -rf "$work"; mkdir -p "$work"; work="$(cd "$work" && pwd)"
host="$prefix/bin/wasinn-wasmtime-run"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
export WASINN_PYTHON_SITE_PACKAGES="$VENV" # the plugins' vendor libraries: the venv's wheels

log "WIT: the installed wasinn_wasmtime_wit.h alone, as C11 and C++17, against wasmtime's headers"
root="$(sed -n 's/^wasmtime_root=//p' "$prefix/lib/pkgconfig/wasinn-wasmtime.pc")"
printf '#include <wasinn_wasmtime_wit.h>\n#include <wasinn_wasmtime_wit.h>\nint main(void) { return 0; }\n' > "$work/h.c"
cp "$work/h.c" "$work/h.cpp"
if cc -std=c11 -Wall -Wextra -Werror -I"$prefix/include" -isystem "$root/include" -c "$work/h.c" -o "$work/h.o" \
   && c++ -std=c++17 -Wall -Wextra -Werror -I"$prefix/include" -isystem "$root/include" -c "$work/h.cpp" -o "$work/h.o"; then
  ok "wasinn_wasmtime_wit.h compiles alone (C11, C++17)"
else
  bad "wasinn_wasmtime_wit.h does not compile alone"
fi

log "WIT: building the wit-bindgen component guest (wasm32-wasip2) and the witx bench guest"
"$here/../guest/build-component.sh" "$work/wit.wasm" "$repo/target/wasm-guests" >/dev/null
"$repo/bindings/wasm3/guest/build.sh" "$work/witx_bench.wasm" "$repo/bindings/wasmtime/bench/witx_bench.c" >/dev/null
cls_model="$("$PY" -c 'import onnxruntime, pathlib; print(pathlib.Path(onnxruntime.__file__).parent.parent / "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx")')"
magika="$(magika_model)"
"$PY" "$here/wit_models.py" "$work" "$repo/tests/conformance" "$cls_model"
cd "$work"

# The error-path table of docs/wit.md (between its wit-errors markers): case -> expected result on
# each backend ("ok" when the call succeeds); the guest prints "NAME: ErrorCode::X: message".
table_col() { # BACKEND -> "case expected" lines
  local col
  case "$1" in tract) col=4 ;; onnxruntime) col=5 ;; openvino) col=6 ;; esac
  sed -n '/<!-- wit-errors: begin -->/,/<!-- wit-errors: end -->/p' "$repo/docs/wit.md" \
    | grep -E '^\| `[a-z-]+` \|' \
    | awk -F'|' -v c="$col" '{ n = $2; w = $c; gsub(/[` ]/, "", n); gsub(/[` ]/, "", w); print n, w }'
}
camel() { echo "$1" | sed -E 's/(^|-)([a-z])/\U\2/g'; } # not-found -> NotFound

for backend in tract onnxruntime openvino; do
  export WASINN_BACKEND=$backend
  log "WIT on $backend: error paths (the table of docs/wit.md)"
  if "$host" --dir . wit.wasm errors add1.onnx greater1.onnx > "errors-$backend.txt" 2> errors.err; then
    ok "$backend: errors mode ran (exit 0)"
  else
    cat errors.err >&2; bad "$backend: errors mode exited non-zero"
  fi
  cat "errors-$backend.txt"
  rows=0
  while read -r name want; do
    rows=$((rows + 1))
    line="$(grep -E "^$name: " "errors-$backend.txt" || true)"
    if [ "$want" = ok ]; then
      [ "$line" = "$name: ok" ] && ok "$backend: $name: ok" || bad "$backend: $name: expected ok, got '$line'"
    else
      [[ "$line" =~ ^$name:\ ErrorCode::$(camel "$want"):\ .+ ]] && ok "$backend: $name: $want with a message" \
        || bad "$backend: $name: expected $want and a message, got '$line'"
    fi
  done < <(table_col "$backend")
  cases="$(grep -cE '^[a-z-]+: ' "errors-$backend.txt" || true)"
  [ "$rows" -gt 10 ] && [ "$rows" = "$cases" ] && ok "$backend: the table has a row for each of the guest's $cases cases" \
    || bad "$backend: the table has $rows rows, the guest printed $cases cases"
  # the context kept its graph after the graph's drop, and computed 1.5 + 1.5 = 3 (0x40400000)
  grep -qx '  outputs 1 first sum \[0, 0, 64, 64\]' "errors-$backend.txt" && ok "$backend: compute after graph drop: sum = 3" \
    || bad "$backend: compute after graph drop: wrong outputs"

  log "WIT on $backend: RapidOCR's classifier, by bytes and by preloaded name, vs onnxruntime's Python session"
  for how in bytes name; do
    if [ "$how" = bytes ]; then
      set -- wit.wasm run --bytes cls.onnx x 4,3,48,192 cls-input.f32
    else
      set -- --nn-preload "cls:onnx:cpu:$cls_model" wit.wasm run cls x 4,3,48,192 cls-input.f32
    fi
    if "$host" --dir . "$@" > "cls-$backend-$how.txt" 2> cls.err \
       && "$PY" "$here/wit_models.py" --compare "$cls_model" cls-ref.npy "cls-$backend-$how.txt" "$backend by $how"; then
      ok "$backend: RapidOCR cls by $how: the labels and probabilities of onnxruntime's Python session"
    else
      cat "cls-$backend-$how.txt" cls.err >&2; bad "$backend: RapidOCR cls by $how"
    fi
  done
done
export WASINN_BACKEND=tract

log "WIT: resources the guest did not drop are freed with its store"
WASINN_WASMTIME_REPORT_LIVE=1 "$host" --dir . wit.wasm leak add1.onnx > leak.txt 2> leak.err || true
grep -q 'live wasi:nn resources: 4 before the store.s deletion, 0 after' leak.err \
  && ok "4 undropped resources freed at store deletion" || { cat leak.txt leak.err >&2; bad "undropped resources"; }

log "WIT: a handle used after its drop, or forged, traps in the guest, not in the host"
for what in tensor graph forged; do
  rc=0
  "$host" --dir . wit.wasm use-after-drop "$what" add1.onnx > uad.txt 2> uad.err || rc=$?
  if [ "$rc" = 134 ] && grep -q 'unknown handle index' uad.err && ! grep -q 'still running' uad.txt; then
    ok "$what handle: component-model trap, exit 134"
  else
    cat uad.txt uad.err >&2; bad "$what handle: exit $rc"
  fi
done

log "WIT: the largest list<u8> one host call takes (wasmtime's hostcall fuel: 128 MiB, 48 per element)"
# [constructor]tensor(dimensions: list<u32> (1 element), ty, data: list<u8>): (1 + n) x 48 <= 2^27
for n in 2796201 2796202; do
  rc=0
  "$host" wit.wasm tensor-bytes "$n" > tb.txt 2> tb.err || rc=$?
  if [ "$n" = 2796201 ]; then
    grep -qx "tensor-bytes $n: ok" tb.txt && ok "a $n-byte tensor in and out" || { cat tb.err >&2; bad "a $n-byte tensor"; }
  else
    [ "$rc" = 134 ] && grep -q 'fuel allocated for hostcalls has been exhausted' tb.err \
      && ok "a $n-byte tensor: wasmtime's hostcall-fuel trap" || { cat tb.txt tb.err >&2; bad "a $n-byte tensor: exit $rc"; }
  fi
done

log "WIT: the glue and the host under AddressSanitizer + UBSan and under valgrind memcheck"
asan_rc=0
"$here/wit-memcheck.sh" "$prefix" "$work/memcheck" "$work" > memcheck.txt 2>&1 || asan_rc=$?
[ "$asan_rc" = 0 ] || cat memcheck.txt >&2
while read -r line; do ok "${line#ok: }"; done < <(grep '^ok: ' memcheck.txt)
while read -r line; do bad "${line#FAILED: }"; done < <(grep '^FAILED: ' memcheck.txt)
[ "$asan_rc" = 0 ] || bad "wit-memcheck.sh exited $asan_rc"

log "WIT vs witx cost, interleaved (guest-timed medians on tract; figures, not a test)"
# 1-element Add; the 4.9 MB Add (612,500 f32 per input: 2.45 MB each, 4.9 MB in per inference,
# under the 2,796,201-byte list<u8> limit of one WIT call); magika by preloaded name. Three rounds,
# witx then WIT in each.
pre=(--nn-preload "magika:onnx:cpu:$magika")
: > cost.txt
for round in 1 2 3; do
  "$host" --dir . witx_bench.wasm add add1.onnx 2000 >> cost.txt
  "$host" --dir . wit.wasm bench-add add1.onnx 2000 >> cost.txt
  "$host" --dir . witx_bench.wasm add addn.onnx 3 612500 >> cost.txt
  "$host" --dir . wit.wasm bench-add addn.onnx 3 612500 >> cost.txt
  "$host" --dir . "${pre[@]}" witx_bench.wasm magika magika 5 >> cost.txt
  "$host" --dir . "${pre[@]}" wit.wasm bench-magika magika 5 >> cost.txt
done
cat cost.txt
"$PY" "$here/wit_models.py" --cost cost.txt | tee cost-summary.txt
[ "$(grep -c '^cost: ' cost-summary.txt)" = 3 ] && ok "cost figures (3 workloads x 3 rounds)" || bad "cost figures missing"

echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
