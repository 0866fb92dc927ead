#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds once (debug profile,
# dependencies optimised), then runs every layer: Rust, header check, C (ctest), the ABI checks
# (SONAME, exported symbols), the C tests again under valgrind and under ASan+UBSan, the consumer
# projects (CMake, pkg-config), the WAMR glue compile check, the wasmtime C API glue and its host
# (wasinn-wasmtime-run: instances, teardown, every guest), wasi:nn (WIT) components in the same
# host (error paths, use-after-drop traps, WIT vs witx cost), Python (pytest, including the wasmtime-py
# host on the native glue running real guests on every backend), the per-call benchmark (native vs
# Python glue; figures, no assertion on times), the ONNX conformance runner (node suite and real
# models per backend, against the committed figures), the magika guest in wasinn-wasmtime-run on
# every backend (the C witx guest and the WIT component) and in wasm3, and the README's marked snippets. Exits non-zero on the first
# failing layer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"

ensure_apt
ensure_venv

declare -a SUMMARY=()

mkdir -p build
log "Rust: build and test (workspace)"
cargo build --workspace --all-targets
cargo test --workspace 2>&1 | tee build/rust-tests.log
SUMMARY+=("rust: $(grep -E '^test result:' build/rust-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')")

log "header: include/wasinn.h is what cbindgen generates from the sources"
cargo run -q -p gen-header -- --check

log "wasmtime's C API (the wheel's library + the wasmtime-c-api-impl crate's headers)"
WASMTIME_ROOT_DIR="$(bindings/wasmtime/fetch-wasmtime.sh "$REPO/build/wasmtime-root" "$PY")"
log "install the debug build into $STAGE, with the wasmtime glue"
rm -rf "$STAGE"
scripts/install.sh "$STAGE" --profile debug --wasmtime-root "$WASMTIME_ROOT_DIR"

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

# The Rust guests built with the real wasi-nn crates need the wasm32-wasip1 target: install it when
# the toolchain server can be reached, and then require them (no silent skip).
if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 \
   || timeout 180 rustup target add wasm32-wasip1 >/dev/null 2>&1; then
  export WASINN_REQUIRE_RUST_GUEST=1
else
  echo "note: rustup could not install wasm32-wasip1; the Rust wasi-nn crate guest tests will be SKIPPED" >&2
fi

t0=$SECONDS
log "wasmtime C API glue: instances and teardown, every guest in wasinn-wasmtime-run, C++ example"
bindings/wasmtime/tests/run.sh "$STAGE" build/c-tests/models build/wasmtime-tests 2>&1 | tee build/wasmtime-tests.log
SUMMARY+=("wasmtime glue + wasinn-wasmtime-run: $(tail -1 build/wasmtime-tests.log) ($((SECONDS - t0))s)")
SUMMARY+=("wasmtime $(grep -oE '^teardown: .*' build/wasmtime-tests.log)")

t0=$SECONDS
log "wasi:nn (WIT) components in wasinn-wasmtime-run: error paths, use after drop, WIT vs witx cost"
bindings/wasmtime/tests/run-wit.sh "$STAGE" build/wit-tests 2>&1 | tee build/wit-tests.log
SUMMARY+=("wasi:nn WIT components (errors, traps): $(tail -1 build/wit-tests.log) ($((SECONDS - t0))s)")
while IFS= read -r line; do SUMMARY+=("WIT vs witx cost (debug libwasinn, tract, shared machine) $line"); done \
  < <(grep -E '^(wit|witx): ' build/wit-tests.log)

t0=$SECONDS
log "Python binding (ctypes) tests, and the wasmtime-py host (python -m wasinn run) with real guests"
install_binding
WASINN_LIB="$STAGE/lib/libwasinn.so.0" "$PY" -m pytest -q bindings/python/tests 2>&1 | tee build/python-tests.log
SUMMARY+=("python: $(tail -1 build/python-tests.log) ($((SECONDS - t0))s)")

# A benchmark, not a test: figures for the notes, asserting only that the sums are right.
t0=$SECONDS
log "per-call cost: 1-element Add through the native glue vs the pure-Python glue (wasmtime-py)"
WASINN_LIB="$STAGE/lib/libwasinn.so.0" WASINN_BACKEND=tract "$PY" bindings/wasmtime/bench/percall.py 2000 3 \
  2>&1 | tee build/percall.log
while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep '^per-call: ' build/percall.log)
SUMMARY+=("per-call benchmark: debug libwasinn, shared machine ($((SECONDS - t0))s)")

# The ONNX node suite and real models through libwasinn vs each backend's own Python API: fails
# when a backend's losses rise above (or its passes fall below) tests/conformance/expected.json.
# In a subshell: its environment (the plugins' vendor libraries) must not reach the later layers,
# whose tract runs rely on the plugins being unavailable.
t0=$SECONDS
(
  conformance_env
  "$PY" -m pytest -q tests/conformance/test_runner.py 2>&1 | tee build/conformance-runner-tests.log
  run_conformance 2>&1 | tee build/conformance.log
  "$PY" tests/conformance/conformance.py check 2>&1 | tee build/conformance-check.log
)
grep -q '^conformance check: passed' build/conformance-check.log
SUMMARY+=("conformance: $(grep -E '^(tract|onnxruntime|openvino) ' build/conformance-check.log | awk '{printf "%s%s %s/%s pass, %s losses", (NR>1?"; ":""), $1, $11, $3, $24}'); $(grep '^real models' build/conformance-check.log); runner self-tests: $(tail -1 build/conformance-runner-tests.log) ($((SECONDS - t0))s)")

t0=$SECONDS
log "real guest: the magika C guest in wasm3 (the interpreter host) through libwasinn"
WASINN_DEMO_HOST=wasm3 WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 scripts/demo.sh 2>&1 | tee build/guest-wasm3.log
SUMMARY+=("magika guest in wasm3 (tract, by name and by bytes): $(grep -E '^check:' build/guest-wasm3.log | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}') ($((SECONDS - t0))s)")

# The second C guest (calls shaped like the wasi-nn 0.6 crate's) in the wasm3 host demo.sh just
# built; its models, arguments and exact expected stdout come from crate_mirror_cases.py (the
# pytest runs the same guest in the wasmtime-py host).
log "crate-mirror guest (wasinn_crate_mirror.c) in wasm3: exact expected output"
mirror="$REPO/build/crate-mirror"
rm -rf "$mirror"
"$PY" bindings/wasm3/guest/crate_mirror_cases.py "$mirror"
bindings/wasm3/guest/build.sh "$mirror/mirror.wasm" wasinn_crate_mirror.c >/dev/null
mapfile -t mirror_args < "$mirror/args.txt"
if ! (cd "$mirror" && "$REPO/target/demo/host-build/wasinn-wasm3-run" --nn-preload "$(cat preload.txt)" \
        mirror.wasm "${mirror_args[@]}" >out.txt 2>err.txt) \
   || ! diff -u "$mirror/expected.txt" "$mirror/out.txt"; then
  cat "$mirror/err.txt" >&2
  echo "crate-mirror guest in wasm3: output differs from $mirror/expected.txt" >&2
  exit 1
fi
SUMMARY+=("crate-mirror guest (wasm3): $(wc -l < "$mirror/expected.txt") expected lines match")

# The magika guest in the demo's host, wasinn-wasmtime-run, on tract and then, unchanged, on each
# plugin backend. WASINN_BACKEND pins every load to that
# backend (no silent fallback to tract). The plugins are found beside the installed libwasinn.so
# (dladdr; no WASINN_PLUGIN_PATH) and find their vendor libraries in the venv's wheels.
# The onnxruntime run also has WASINN_LOG=debug: the host's stderr (in its log) must show plugin
# discovery and the backend selection of its loads.
for backend in tract onnxruntime openvino; do
  t0=$SECONDS
  log "real guest: magika in wasinn-wasmtime-run on $backend"
  wasinn_log=""
  [ "$backend" = onnxruntime ] && wasinn_log=debug
  WASINN_LOG=$wasinn_log WASINN_BACKEND=$backend WASINN_PYTHON_SITE_PACKAGES="$VENV" \
    WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 WASINN_DEMO_WIT=1 scripts/demo.sh 2>&1 | tee "build/guest-$backend.log"
  SUMMARY+=("magika guest in wasinn-wasmtime-run ($backend, by name and by bytes; C witx guest + WIT component): $(grep -E '^check:' "build/guest-$backend.log" | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}') ($((SECONDS - t0))s)")
done

log "WASINN_LOG=debug: discovery and selection lines on the wasmtime host's stderr"
logf=build/guest-onnxruntime.log
for pattern in \
  '^wasinn: debug: plugins: examining candidate .*/libwasinn_backend_onnxruntime\.so$' \
  '^wasinn: info: plugins: candidate .*/libwasinn_backend_onnxruntime\.so: accepted: backend onnxruntime ' \
  '^wasinn: info: plugins: discovery done: ' \
  '^wasinn: info: load: encoding onnx, target cpu: backend onnxruntime \(named by WASINN_BACKEND\)$' \
  '^wasinn: info: load: the onnxruntime backend loaded the onnx model in [0-9.]+ ms$'; do
  grep -qE "$pattern" "$logf" || { echo "no line matching /$pattern/ in $logf" >&2; exit 1; }
done
if grep -q '^wasinn: ' build/guest-openvino.log; then
  echo "wasinn: log lines without WASINN_LOG set" >&2; exit 1
fi
SUMMARY+=("WASINN_LOG=debug: $(grep -c '^wasinn: ' "$logf") log lines, discovery and selection present")

# The README's marked snippets (install, CMake, pkg-config, Python, the wasmtime-py host on the
# magika guest demo.sh built in target/demo, the witx glue and WAMR snippets) run as documented.
log "README snippets (scripts/check-readme.sh)"
PREFIX="$STAGE" scripts/check-readme.sh 2>&1 | tee build/readme.log
SUMMARY+=("readme: $(tail -1 build/readme.log)")

log "summary"
printf '%s\n' "${SUMMARY[@]}"
