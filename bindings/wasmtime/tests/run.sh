#!/usr/bin/env bash
# bindings/wasmtime/tests/run.sh PREFIX MODEL_DIR WORK: the wasmtime layer of scripts/test.sh.
#   PREFIX     a libwasinn install with the wasmtime glue (scripts/install.sh --wasmtime-root)
#   MODEL_DIR  the C tests' generated models (add.onnx)
#   WORK       scratch directory (emptied)
# Runs: the instance/teardown check (two instances in one store and in two stores, a trap after
# compute, 1,000 instantiations); the crate-mirror guest, the Rust wasi-nn 0.6 crate guest and the
# wasmedge-wasi-nn 0.8 crate guest (WasmEdge profile) in wasinn-wasmtime-run, each against its
# exact expected stdout; the TFLite image-classifier guest (WAMR numbering) on tract and openvino
# against LiteRT (bindings/wasm3/guest/run-tflite.sh); the host's exit codes and trap report; the C++ example on wasmtime.hh;
# a pkg-config consumer. (magika by name and by bytes on every backend runs through
# scripts/demo.sh, whose host is wasinn-wasmtime-run.) Prints "check: N passed, M failed" last.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
source "$repo/scripts/common.sh"
prefix="$(cd "$1" && pwd)"; models="$(cd "$2" && pwd)"; work="$3"
rm -rf "$work"; mkdir -p "$work"; work="$(cd "$work" && pwd)"
root="$(sed -n 's/^wasmtime_root=//p' "$prefix/lib/pkgconfig/wasinn-wasmtime.pc")"
host="$prefix/bin/wasinn-wasmtime-run"
guests="$repo/bindings/wasm3/guest"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }

log "wasmtime: instance and teardown check (1,000 instantiations)"
cmake -S "$repo/bindings/wasmtime" -B "$work/check-build" -DWASMTIME_ROOT="$root" \
  -DCMAKE_PREFIX_PATH="$prefix" -DWASINN_WASMTIME_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$work/check-build" --target wasinn-wasmtime-check --parallel 2 >/dev/null
if "$work/check-build/wasinn-wasmtime-check" "$models/add.onnx" 1000 | tee "$work/check.txt"; then
  ok "instance/teardown check"
else
  bad "instance/teardown check"
fi

# $1 name, $2 dir, $3 expected file, then the host's arguments
expect_stdout() {
  local name="$1" dir="$2" expected="$3"; shift 3
  if (cd "$dir" && "$host" "$@" >out.txt 2>err.txt) && diff -u "$expected" "$dir/out.txt"; then
    ok "$name: $(wc -l < "$expected") expected lines"
  else
    cat "$dir/err.txt" >&2; bad "$name: output differs from $expected"
  fi
}

log "wasmtime: crate-mirror guest (wasinn_crate_mirror.c)"
d="$work/mirror"
"$PY" "$guests/crate_mirror_cases.py" "$d"
"$guests/build.sh" "$d/mirror.wasm" wasinn_crate_mirror.c >/dev/null
mapfile -t args < "$d/args.txt"
expect_stdout "crate-mirror guest" "$d" "$d/expected.txt" --dir . --nn-preload "$(cat "$d/preload.txt")" mirror.wasm "${args[@]}"

log "wasmtime: the Rust guest built with the wasi-nn 0.6 crate"
rust_status=0
"$guests/build-rust.sh" rust-wasi-nn "$d/rust.wasm" "$repo/target/wasm-guests" >/dev/null || rust_status=$?
if [ "$rust_status" = 0 ]; then
  # the crate drops the size the host writes on too_large: no "needed N bytes" lines
  grep -v ': needed ' "$d/expected.txt" > "$d/expected-rust.txt"
  expect_stdout "wasi-nn 0.6 crate guest" "$d" "$d/expected-rust.txt" --dir . --nn-preload "$(cat "$d/preload.txt")" rust.wasm "${args[@]}"
  e="$work/wasmedge"
  "$PY" "$guests/wasmedge_cases.py" "$e"
  "$guests/build-rust.sh" rust-wasmedge-wasi-nn "$e/guest.wasm" "$repo/target/wasm-guests" >/dev/null
  mapfile -t eargs < "$e/args.txt"
  expect_stdout "wasmedge-wasi-nn 0.8 crate guest (--profile wasmedge)" "$e" "$e/expected.txt" \
    --dir . --profile wasmedge --nn-preload "$(cat "$e/preload.txt")" guest.wasm "${eargs[@]}"
elif [ "$rust_status" = 3 ] && [ -z "${CI:-}" ]; then
  echo "SKIPPED: the Rust crate guests (no wasm32-wasip1 target on this machine)" >&2
else
  bad "the Rust guests could not be built"
fi

log "wasmtime: the TFLite image-classifier guest (WAMR's numbering) on tract and openvino"
# bindings/wasm3/guest/run-tflite.sh: --profile wamr on each backend against LiteRT's scores, then
# --profile spec, where WAMR's autodetect number is refused. The openvino plugin finds its vendor
# libraries in the venv's wheels.
if WASINN_PYTHON_SITE_PACKAGES="$VENV" "$guests/run-tflite.sh" wasinn-wasmtime-run "$work/tflite" tract,openvino "$host" \
     | tee "$work/tflite.txt"; then
  if grep -q '^tflite guest wasinn-wasmtime-run: SKIPPED' "$work/tflite.txt"; then echo "SKIPPED: the TFLite guest" >&2
  else ok "$(tail -1 "$work/tflite.txt")"; fi
else
  bad "the TFLite guest: $(tail -1 "$work/tflite.txt")"
fi

log "wasmtime: the host's exit codes and trap report"
cat > "$work/exit7.wat" <<'WAT'
(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 7))))
WAT
cat > "$work/trap.wat" <<'WAT'
(module (import "wasi_ephemeral_nn" "compute" (func $c (param i32) (result i32)))
  (memory (export "memory") 1) (func (export "_start") (drop (call $c (i32.const 1))) unreachable))
WAT
st=0; "$host" "$work/exit7.wat" || st=$?
[ "$st" = 7 ] && ok "guest exit code 7 is the host's" || bad "exit code $st, expected 7"
st=0; "$host" "$work/trap.wat" 2>"$work/trap.err" || st=$?
if [ "$st" = 134 ] && grep -q "^wasinn-wasmtime-run: guest trapped: " "$work/trap.err" \
   && grep -q "wasm trap: wasm .unreachable. instruction executed" "$work/trap.err"; then
  ok "a trap: exit 134 and wasmtime's message ($(grep 'wasm trap:' "$work/trap.err" | sed 's/^ *//'))"
else
  cat "$work/trap.err" >&2; bad "trap: exit $st"
fi
# --env, --dir HOST::GUEST (and nothing else visible), argv, the exit code of main
mkdir -p "$work/wasi/data"
echo "hello from the preopen" > "$work/wasi/data/f.txt"
"$guests/build.sh" "$work/wasi/wasi.wasm" "$here/wasi_guest.c" >/dev/null
printf '%s\n' "argv[0] = wasi.wasm" "argv[1] = /data/f.txt" "argv[2] = $work/wasi/data/f.txt" \
  "WASINN_TEST = a=b c" "/data/f.txt: hello from the preopen" "$work/wasi/data/f.txt: cannot open" > "$work/wasi/expected.txt"
st=0; (cd "$work/wasi" && "$host" --env "WASINN_TEST=a=b c" --dir "$work/wasi/data::/data" wasi.wasm \
  /data/f.txt "$work/wasi/data/f.txt" > out.txt) || st=$?
if [ "$st" = 3 ] && diff -u "$work/wasi/expected.txt" "$work/wasi/out.txt"; then
  ok "--env, --dir HOST::GUEST (the host path itself stays invisible), argv, exit code 3 from main"
else
  bad "WASI options (exit $st)"
fi
st=0; "$host" --profile nope x.wasm 2>/dev/null || st=$?
[ "$st" = 2 ] && ok "unknown profile is a usage error" || bad "unknown profile: exit $st"

log "wasmtime: C++ example on wasmtime.hh, built with pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
c++ -std=c++17 -Wall -Wextra -Werror -o "$work/cpp-example" "$repo/bindings/wasmtime/examples/cpp/main.cpp" \
  $(pkg-config --cflags --libs wasinn-wasmtime) -Wl,-rpath,"$prefix/lib:$root/lib"
if (cd "$work" && ./cpp-example "$models/add.onnx") | tee "$work/cpp.txt" && grep -q '^sum = 2 4 6 8 10 12$' "$work/cpp.txt"; then
  ok "C++ example (wasmtime.hh, pkg-config wasinn-wasmtime)"
else
  bad "C++ example"
fi

echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
