#!/usr/bin/env bash
# bindings/wasmtime/tests/run-wit.sh PREFIX WORK: the wasi:nn (WIT) component checks of
# scripts/test.sh, in wasinn-wasmtime-run, on tract (WASINN_BACKEND=tract):
#   - the wit-bindgen component guest (guest/rust-wit-nn, wasm32-wasip2) is built;
#   - its `errors` mode: each error path gives the error-code of the table in
#     bindings/wasmtime/README.md ("Components") and a non-empty `data` message;
#   - resources a guest exits without dropping are freed when its store is deleted;
#   - a tensor and a graph used after their drop: the component model's trap (exit 134, "unknown
#     handle index"), the host survives and reports it;
#   - the largest tensor-data a host call takes (wasmtime's hostcall fuel): 2.7 MB passes, 2.9 MB
#     traps with wasmtime's reason;
#   - the per-inference cost of the 1-element Add through WIT and through witx, side by side
#     (guest-timed; figures only, no assertion on them).
# (magika by name and by bytes on every backend: scripts/demo.sh with WASINN_DEMO_WIT=1.)
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
export WASINN_BACKEND=tract

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

log "WIT: building the wit-bindgen component guest (wasm32-wasip2)"
"$here/../guest/build-component.sh" "$work/wit.wasm" "$repo/target/wasm-guests" >/dev/null
"$PY" - "$work/add1.onnx" "$work/greater1.onnx" <<'EOF'
import sys
import onnx
from onnx import TensorProto, helper
vi = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1])
g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["sum"])], "add1", [vi("a"), vi("b")], [vi("sum")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), sys.argv[1])
g = helper.make_graph([helper.make_node("Greater", ["a", "b"], ["gt"])], "gt1", [vi("a"), vi("b")],
                      [helper.make_tensor_value_info("gt", TensorProto.BOOL, [1])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), sys.argv[2])
EOF
cd "$work"

log "WIT: error paths (tract)"
# name -> expected error-code (ok: succeeds); the guest prints "NAME: ErrorCode::X: message"
cat > expected-codes.txt <<'EOF'
load-bad-encoding InvalidEncoding
load-garbage InvalidEncoding
load-by-name-unknown NotFound
missing-input-fresh-context InvalidArgument
compute-after-graph-drop ok
unknown-input-name NotFound
wrong-type RuntimeError
wrong-size InvalidArgument
wrong-dims InvalidArgument
missing-input ok
no-inputs ok
huge-dims InvalidArgument
compute-again ok
bool-output UnsupportedOperation
EOF
if "$host" --dir . wit.wasm errors add1.onnx greater1.onnx > errors.txt 2> errors.err; then
  ok "errors mode ran (exit 0)"
else
  cat errors.err >&2; bad "errors mode exited non-zero"
fi
cat errors.txt
while read -r name want; do
  line="$(grep -E "^$name: " errors.txt || true)"
  if [ "$want" = ok ]; then
    [ "$line" = "$name: ok" ] && ok "$name: ok" || bad "$name: expected ok, got '$line'"
  else
    [[ "$line" =~ ^$name:\ ErrorCode::$want:\ .+ ]] && ok "$name: $want with a message" \
      || bad "$name: expected $want and a message, got '$line'"
  fi
done < expected-codes.txt
# the context kept its graph after the graph's drop, and computed 1.5 + 1.5 = 3 (0x40400000)
grep -qx '  outputs 1 first sum \[0, 0, 64, 64\]' errors.txt && ok "compute after graph drop: sum = 3" \
  || bad "compute after graph drop: wrong outputs"

log "WIT: resources the guest did not drop are freed with its store"
WASINN_WASMTIME_REPORT_LIVE=1 "$host" --dir . wit.wasm leak add1.onnx > leak.txt 2> leak.err || true
grep -q 'live wasi:nn resources: 4 before the store.s deletion, 0 after' leak.err \
  && ok "4 undropped resources freed at store deletion" || { cat leak.txt leak.err >&2; bad "undropped resources"; }

log "WIT: use after drop traps in the guest, not in the host"
for what in tensor graph; do
  rc=0
  "$host" --dir . wit.wasm use-after-drop "$what" add1.onnx > uad.txt 2> uad.err || rc=$?
  if [ "$rc" = 134 ] && grep -q 'unknown handle index' uad.err && ! grep -q 'still running' uad.txt; then
    ok "$what used after drop: component-model trap, exit 134"
  else
    cat uad.txt uad.err >&2; bad "$what used after drop: exit $rc"
  fi
done

log "WIT: the largest list<u8> one host call takes (wasmtime's hostcall fuel: 128 MiB, 48 per element)"
for n in 2700000 2900000; do
  rc=0
  "$host" wit.wasm tensor-bytes "$n" > tb.txt 2> tb.err || rc=$?
  if [ "$n" = 2700000 ]; then
    grep -qx "tensor-bytes $n: ok" tb.txt && ok "a $n-byte tensor in and out" || { cat tb.err >&2; bad "a $n-byte tensor"; }
  else
    [ "$rc" = 134 ] && grep -q 'fuel allocated for hostcalls has been exhausted' tb.err \
      && ok "a $n-byte tensor: wasmtime's hostcall-fuel trap" || { cat tb.txt tb.err >&2; bad "a $n-byte tensor: exit $rc"; }
  fi
done

log "WIT vs witx: 1-element Add, guest-timed (a figure, not a test)"
"$repo/bindings/wasm3/guest/build.sh" witx_add.wasm "$repo/bindings/wasmtime/bench/witx_add.c" >/dev/null
"$host" --dir . witx_add.wasm add1.onnx 20000 | tee cost.txt
"$host" --dir . wit.wasm bench-add add1.onnx 20000 | tee -a cost.txt
[ "$(grep -c 'us per inference' cost.txt)" = 2 ] && ok "cost figures" || bad "cost figures missing"

echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
