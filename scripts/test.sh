#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds once (debug profile,
# dependencies optimised), then runs every layer: Rust, header check, C (ctest), the ABI checks
# (SONAME, exported symbols), the C tests again under valgrind and under ASan+UBSan, the consumer
# projects (CMake, pkg-config), the WAMR glue compile check, Python (pytest, including the
# wasmtime-py host running real guests) and the real wasm guest in wasm3. Exits non-zero on the
# first failing layer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"

ensure_apt
ensure_venv

STAGE="$REPO/build/stage"
declare -a SUMMARY=()

mkdir -p build
log "Rust: build and test (workspace)"
cargo build --workspace --all-targets
cargo test --workspace 2>&1 | tee build/rust-tests.log
SUMMARY+=("rust: $(grep -E '^test result:' build/rust-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')")

log "header: include/wasinn.h is what cbindgen generates from the sources"
cargo run -q -p gen-header -- --check

log "install the debug build into $STAGE"
rm -rf "$STAGE"
scripts/install.sh "$STAGE" --profile debug

log "C tests (find_package(wasinn), -Wall -Wextra -Werror, ctest)"
cmake -S c-tests -B build/c-tests -DCMAKE_PREFIX_PATH="$STAGE" -DPython3_EXECUTABLE="$PY" >/dev/null
cmake --build build/c-tests -j2 >/dev/null
(cd build/c-tests && ctest --output-on-failure) 2>&1 | tee build/c-tests.log
SUMMARY+=("c: $(grep -E 'tests passed' build/c-tests.log | tail -1)")

# Each step below records its duration in the summary (CI's budget is 90 minutes in all).
t0=$SECONDS
log "ABI: SONAME of the installed library is libwasinn.so.0"
soname="$(readelf -d "$STAGE/lib/libwasinn.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
[ "$soname" = "libwasinn.so.0" ] || { echo "SONAME is '${soname:-<none>}', expected libwasinn.so.0" >&2; exit 1; }
[ "$(readlink "$STAGE/lib/libwasinn.so.0")" = "$(basename "$(readlink -f "$STAGE/lib/libwasinn.so")")" ] \
  || { echo "libwasinn.so.0 does not link to the real library file" >&2; exit 1; }
echo "SONAME: $soname"
log "ABI: exported symbols equal abi/libwasinn.symbols (scripts/check-symbols.sh)"
scripts/check-symbols.sh "$STAGE/lib/libwasinn.so" 2>&1 | tee build/abi.log
SUMMARY+=("abi: SONAME $soname, $(grep -oE '[0-9]+ exported symbols match' build/abi.log) ($((SECONDS - t0))s)")

t0=$SECONDS
log "C tests under valgrind memcheck (no definite/indirect leaks, no invalid accesses)"
cmake -S c-tests -B build/c-tests-valgrind -DCMAKE_PREFIX_PATH="$STAGE" -DPython3_EXECUTABLE="$PY" \
  -DWASINN_VALGRIND=ON -DWASINN_TEST_STATIC=OFF >/dev/null
cmake --build build/c-tests-valgrind -j2 >/dev/null
(cd build/c-tests-valgrind && ctest -R '_valgrind$' --output-on-failure) 2>&1 | tee build/c-tests-valgrind.log
SUMMARY+=("c valgrind: $(grep -E 'tests passed' build/c-tests-valgrind.log | tail -1) ($((SECONDS - t0))s)")

t0=$SECONDS
log "C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S c-tests -B build/c-tests-sanitize -DCMAKE_PREFIX_PATH="$STAGE" -DPython3_EXECUTABLE="$PY" \
  -DWASINN_SANITIZE=ON >/dev/null
cmake --build build/c-tests-sanitize -j2 >/dev/null
(cd build/c-tests-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure) 2>&1 | tee build/c-tests-sanitize.log
SUMMARY+=("c asan+ubsan: $(grep -E 'tests passed' build/c-tests-sanitize.log | tail -1) ($((SECONDS - t0))s)")

t0=$SECONDS
log "consumers: CMake (find_package, moved prefix), pkg-config, headers alone as C and C++"
scripts/check-consumers.sh "$STAGE" build/c-tests/models/add.onnx build/consumers 2>&1 | tee build/consumers.log
SUMMARY+=("consumers: $(tail -1 build/consumers.log) ($((SECONDS - t0))s)")

t0=$SECONDS
log "WAMR glue: compile check against a stub wasm_export.h, driven by a fake runtime (+ valgrind)"
tests/wamr-compile-check/run.sh "$STAGE" build/c-tests/models/add.onnx build/wamr-check 2>&1 | tee build/wamr-check.log
SUMMARY+=("wamr glue: $(grep -E '^check: [0-9]+ failed' build/wamr-check.log), $(tail -1 build/wamr-check.log) ($((SECONDS - t0))s)")

t0=$SECONDS
log "Python binding (ctypes) tests, and the wasmtime-py host (python -m wasinn run) with real guests"
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
WASINN_LIB="$STAGE/lib/libwasinn.so.0" "$PY" -m pytest -q bindings/python/tests 2>&1 | tee build/python-tests.log
SUMMARY+=("python: $(tail -1 build/python-tests.log) ($((SECONDS - t0))s)")

log "real guest: C guest compiled to wasm32-wasi, run by wasm3 through libwasinn"
WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 scripts/demo.sh 2>&1 | tee build/guest-tests.log
SUMMARY+=("guest (tract): $(grep -E '^check:' build/guest-tests.log | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}')")

# The same guest, unchanged, on each plugin backend. WASINN_BACKEND pins every load to that
# backend (no silent fallback to tract); the plugins find their vendor libraries in the venv's wheels.
for backend in onnxruntime openvino; do
  log "real guest on the $backend plugin"
  WASINN_BACKEND=$backend WASINN_PLUGIN_PATH="$REPO/target/debug" WASINN_PYTHON_SITE_PACKAGES="$VENV" \
    WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 scripts/demo.sh 2>&1 | tee "build/guest-$backend.log"
  SUMMARY+=("guest ($backend): $(grep -E '^check:' "build/guest-$backend.log" | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}')")
done

log "summary"
printf '%s\n' "${SUMMARY[@]}"
