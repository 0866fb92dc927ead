#!/usr/bin/env bash
# bindings/wasmtime/tests/wit-memcheck.sh PREFIX BUILD WORK: memory checks of the WIT glue, run by
# tests/run-wit.sh in its WORK directory (the component wit.wasm, add1.onnx, greater1.onnx,
# cls.onnx, cls-input.f32 there):
#   - the glue (wasinn_wasmtime.c, wasinn_wasmtime_wit.c) and wasinn-wasmtime-run built with
#     AddressSanitizer + UndefinedBehaviorSanitizer (no recovery, LeakSanitizer on) in BUILD, against
#     PREFIX's libwasinn: the component's error paths, its leak mode (resources freed with the
#     store), the classifier by bytes, a use-after-drop trap and the hostcall-fuel trap;
#   - the installed host under valgrind memcheck on the error paths: no invalid access anywhere,
#     0 bytes definitely or indirectly lost (wasmtime's own uninitialised-branch reports inside
#     libwasmtime.so are suppressed by tests/wasmtime.supp, which says why).
# Prints "ok: ..." / "FAILED: ..." lines; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$(cd "$1" && pwd)"; mkdir -p "$2"; build="$(cd "$2" && pwd)"; work="$(cd "$3" && pwd)"
root="$(sed -n 's/^wasmtime_root=//p' "$prefix/lib/pkgconfig/wasinn-wasmtime.pc")"
failed=0
ok() { echo "ok: $*"; }
bad() { failed=1; echo "FAILED: $*"; }

cmake -S "$here/.." -B "$build" -DWASMTIME_ROOT="$root" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build "$build" --target wasinn-wasmtime-run --parallel 2 >/dev/null
asan_host="$build/wasinn-wasmtime-run"
cd "$work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export WASINN_BACKEND=tract
# the glue is what is checked: the plugins' vendor libraries stay out (onnxruntime and OpenVINO are
# not built for sanitizers; OpenVINO's TBB dlopens with RTLD_DEEPBIND, which ASan refuses), so
# discovery rejects both plugins and every load is tract's
unset WASINN_PYTHON_SITE_PACKAGES VIRTUAL_ENV WASINN_ORT_LIB ORT_DYLIB_PATH WASINN_OPENVINO_LIB OPENVINO_INSTALL_DIR

# $1 what, $2 expected exit code, then the host's arguments
asan_run() {
  local what="$1" want="$2" rc=0; shift 2
  "$asan_host" "$@" > asan.out 2> asan.err || rc=$?
  if [ "$rc" = "$want" ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' asan.err; then
    ok "asan+ubsan: $what (exit $rc, no report)"
  else
    tail -40 asan.err; bad "asan+ubsan: $what: exit $rc"
  fi
}
asan_run "error paths" 0 --dir . wit.wasm errors add1.onnx greater1.onnx
grep -q '^compute-again: ok' asan.out || bad "asan+ubsan: error paths: incomplete output"
WASINN_WASMTIME_REPORT_LIVE=1 asan_run "undropped resources freed with the store" 0 --dir . wit.wasm leak add1.onnx
grep -q 'live wasi:nn resources: 4 before the store.s deletion, 0 after' asan.err || bad "asan+ubsan: leak mode: resources not freed"
asan_run "RapidOCR cls by bytes" 0 --dir . wit.wasm run --bytes cls.onnx x 4,3,48,192 cls-input.f32
asan_run "tensor used after drop (trap)" 134 --dir . wit.wasm use-after-drop tensor add1.onnx
asan_run "list<u8> over the hostcall fuel (trap)" 134 wit.wasm tensor-bytes 2796202

rc=0
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
  --suppressions="$here/wasmtime.supp" --error-exitcode=99 \
  "$prefix/bin/wasinn-wasmtime-run" --dir . wit.wasm errors add1.onnx greater1.onnx > vg.out 2> vg.err || rc=$?
if [ "$rc" = 0 ] && grep -q '^compute-again: ok' vg.out; then
  ok "valgrind memcheck: error paths: no error, 0 bytes definitely or indirectly lost"
else
  tail -60 vg.err; bad "valgrind memcheck: error paths: exit $rc"
fi
exit "$failed"
