#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds once (debug profile,
# dependencies optimised), then runs every layer: Rust, header check, C (ctest), the ABI checks
# (SONAME, exported symbols), the C tests again under valgrind and under ASan+UBSan, the consumer
# projects (CMake, pkg-config), the WAMR glue compile check, the wasmtime C API glue and its host
# (wasinn-wasmtime-run: instances, teardown, every guest), the TFLite image-classifier guest built
# against WAMR's header (WAMR numbering; LiteRT's scores) in wasm3, wasinn-wasmtime-run, wasmtime-py,
# WAMR and WasmEdge, wasi:nn (WIT) components in the same
# host (error table and RapidOCR's classifier per backend against onnxruntime's Python session,
# use-after-drop traps, the list<u8> limit, ASan+UBSan and valgrind, WIT vs witx cost), Python (pytest, including the wasmtime-py
# host on the native glue running real guests on every backend), the per-call benchmark (native vs
# Python glue; figures, no assertion on times), the ONNX conformance runner (node suite and real
# models per backend, against the committed figures), the real guests in wasm3 0.5.0 (with its
# sandbox, also under ASan), the magika guest in wasinn-wasmtime-run on every backend (the C witx guest and the WIT component), libwasinn's
# WasmEdge plugin in the real wasmedge (guests, hostile guests), real WAMR built from source (fast
# and classic interpreter) running every guest, the llama chat guests (C and wasmedge-wasi-nn 0.8) in
# wasm3 and wasinn-wasmtime-run against llama-cpp-python, the benchmarks run once (criterion's test mode, the
# bench guest for 2 iterations vs native OpenVINO: checksums, no timing), and the README's marked snippets.
# Exits non-zero on the first failing layer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"

ensure_apt
ensure_venv
# Old ONNX Runtime / OpenVINO libraries for tests/old_vendor.rs (cached in build/old-vendor; a
# download of ~78 MB the first time, nothing after).
ensure_old_vendor_libs || echo "SKIPPED: old vendor libraries could not be downloaded: tests/old_vendor.rs will skip"

declare -a SUMMARY=()

mkdir -p build
# Builds that need nothing from the Rust layer start now, at the lowest priority, so they take the
# core the test layers leave idle (many layers run one process at a time) instead of adding their
# own time to the run; each layer that needs one waits for it (bg_wait) and fails with its log if
# it failed. Each builds exactly what its layer's own command builds, so that command is then a
# no-op: libllama (tests/llamacpp/setup.sh, library only: the venv is left to the foreground),
# the WasmEdge runtime (bindings/wasmedge/build-wasmedge.sh, cached in build/wasmedge), the fuzz
# targets (fuzz/run.sh's build) and the remote plugin (plugins/remote, library and unit tests).
# Each runs in a process group of its own (setsid: not a group leader here, so it does not fork),
# so that the layer waiting for one can raise it back to nice 0 over the others (as root; else it
# stays at 19) and the exit trap can stop whatever is still building.
# A new session is also a new scheduler autogroup where kernel.sched_autogroup_enabled is 1 (as
# on these machines): CPU is then shared equally between autogroups and a process's own nice only
# counts inside its group, so `nice -n 19` alone left each background build an equal share beside
# the tests (the Rust layer took 1511 s instead of ~700). The job therefore also sets its
# autogroup's nice to 19 (/proc/self/autogroup; a no-op where autogroups are off), and bg_wait
# sets it back to 0 with the process's own.
declare -A BG_PID=() BG_T0=()
bg_start() {
  local name="$1"; shift
  BG_T0[$name]=$SECONDS
  setsid bash -c '{ [ -w /proc/self/autogroup ] && echo 19 > /proc/self/autogroup; } 2>/dev/null; exec nice -n 19 "$@"' \
    bg "$@" > "build/bg-$name.log" 2>&1 &
  BG_PID[$name]=$!
}
bg_wait() {
  local name="$1" t=$SECONDS
  renice -n 0 -g "${BG_PID[$name]}" >/dev/null 2>&1 || true
  { echo 0 > "/proc/${BG_PID[$name]}/autogroup"; } 2>/dev/null || true
  wait "${BG_PID[$name]}" || { tail -40 "build/bg-$name.log" >&2; echo "FAILED: the background build '$name' (build/bg-$name.log)" >&2; exit 1; }
  SUMMARY+=("background build $name: done $((SECONDS - BG_T0[$name]))s after its start, waited $((SECONDS - t))s")
}
bg_stop() { local p; for p in "${BG_PID[@]}"; do kill -- "-$p" 2>/dev/null || true; done; }
trap bg_stop EXIT
ensure_apt libspdlog-dev   # the WasmEdge build's (without it its configure clones fmt and spdlog)
LLAMACPP_DOWNLOAD_ONLY=1 tests/llamacpp/setup.sh "$PY"   # in the foreground: pip is slow at nice 19 (see the script)
bg_start llamacpp env LLAMACPP_BUILD_ONLY=1 tests/llamacpp/setup.sh "$PY"
wasmedge_archive="${WASINN_WASMEDGE_ARCHIVE:-$(ls "$REPO"/../shared/runtimes/wasmedge-*.tar.gz 2>/dev/null | head -1 || true)}"
[ -z "$wasmedge_archive" ] || bg_start wasmedge bindings/wasmedge/build-wasmedge.sh "$wasmedge_archive" "$REPO/build/wasmedge"
bg_start fuzz env WASINN_FUZZ_BUILD_ONLY=1 fuzz/run.sh
bg_start remote bash -c 'cargo build -q --manifest-path plugins/remote/Cargo.toml --target-dir "$0/target/remote" --lib &&
  cargo test -q --manifest-path plugins/remote/Cargo.toml --target-dir "$0/target/remote" --lib --no-run' "$REPO"

t0=$SECONDS
log "Rust: build and test (workspace)"
cargo build --workspace --all-targets
# The load loops (tests/load_loop.rs, ~2.5 min) run as their own layer below.
# The llamacpp tests run in their own layer below, after llama.cpp is built (here they skip).
WASINN_LLAMACPP_LIB=/nonexistent/libllama.so \
  cargo test --workspace -- --skip rss_stays_flat_over_200_loads_per_backend 2>&1 | tee build/rust-tests.log
if grep -q '^SKIPPED: too_old_vendor_libraries' build/rust-tests.log; then
  SUMMARY+=("old vendor libraries (tests/old_vendor.rs): SKIPPED (no download)")
else
  SUMMARY+=("old vendor libraries (tests/old_vendor.rs): ONNX Runtime 1.16.3 and OpenVINO 2024.6.0 listed as too old, loads on tract (in the rust count)")
fi
SUMMARY+=("rust: $(grep -E '^test result:' build/rust-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}') ($((SECONDS - t0))s, build included)")

# 200 load/compute/free cycles of magika and a 2-input Add per backend through the C API (on
# litert: a TFLite Add and mediapipe's BlazeFace): RSS may not grow by more than 8 MB after a
# warm-up (the OpenVINO plugin used to leak 3.4 MB per load).
log "load loops: RSS per backend and model over 200 loads (tests/load_loop.rs)"
t0=$SECONDS
cargo test -q --workspace --test load_loop -- --nocapture 2>&1 | tee build/load-loop.log
grep -q '^test result: ok. 1 passed' build/load-loop.log
SUMMARY+=("load loops: $(grep -E '^load loop: ' build/load-loop.log | sed -E 's/^load loop: ([a-z]+ [a-z]+): .* \(([^,]+), .*$/\1 \2/' | paste -sd ';' | sed 's/;/; /g') over 200 loads ($((SECONDS - t0))s)")

# The cycle mode of the same test: many load / context / compute / free cycles of the Add model per
# backend, RSS sampled 20 times; fails when the least-squares slope x cycles exceeds 2 MB or the
# RSS grew 8 MB (the 100,000-cycle figures are in docs/stress.md; OpenVINO's load is ~20x
# tract's and ORT's ~3x, hence fewer cycles; litert runs the TFLite Add, 10,000 cycles in ~4 s).
log "cycle loop: RSS slope over ${WASINN_CYCLE_BACKENDS:=tract:10000,onnxruntime:5000,openvino:200,litert:10000} cycles (tests/load_loop.rs)"
t0=$SECONDS
WASINN_CYCLE_BACKENDS="$WASINN_CYCLE_BACKENDS" cargo test -q --workspace --test load_loop -- --ignored --nocapture 2>&1 \
  | tee build/cycle-loop.log
grep -q '^test result: ok. 1 passed' build/cycle-loop.log
SUMMARY+=("cycle loop: $(grep -E '^cycle loop: [a-z]+: [0-9]+ cycles' build/cycle-loop.log | sed -E 's/^cycle loop: ([a-z]+): ([0-9]+) cycles .* end ([0-9.]+ MB) \(([^)]+)\), slope ([^,]+),.*$/\1 \2 cycles \4 (end \3, \5)/' | paste -sd ';' | sed 's/;/; /g') ($((SECONDS - t0))s)")

t0=$SECONDS
log "header: include/wasinn.h is what cbindgen generates from the sources"
cargo run -q -p gen-header -- --check
SUMMARY+=("header: include/wasinn.h matches cbindgen ($((SECONDS - t0))s)")

t0=$SECONDS
log "wasmtime's C API (the wheel's library + the wasmtime-c-api-impl crate's headers)"
WASMTIME_ROOT_DIR="$(bindings/wasmtime/fetch-wasmtime.sh "$REPO/build/wasmtime-root" "$PY")"
log "install the debug build into $STAGE, with the wasmtime glue"
rm -rf "$STAGE"
scripts/install.sh "$STAGE" --profile debug --wasmtime-root "$WASMTIME_ROOT_DIR"
SUMMARY+=("wasmtime C API root + debug install into build/stage ($((SECONDS - t0))s)")

t0=$SECONDS
log "C tests (find_package(wasinn), -Wall -Wextra -Werror, ctest)"
cmake -S c-tests -B build/c-tests -DCMAKE_PREFIX_PATH="$STAGE" -DPython3_EXECUTABLE="$PY" >/dev/null
cmake --build build/c-tests -j2 >/dev/null
(cd build/c-tests && ctest --output-on-failure) 2>&1 | tee build/c-tests.log
SUMMARY+=("c: $(grep -E 'tests passed' build/c-tests.log | tail -1) ($((SECONDS - t0))s)")

# 8 threads racing loads, contexts, computes and frees (shared graph, own graphs, a graph and a
# context that other threads replace and free during the calls) for 20 s per backend, a watchdog
# failing a stall, every output compared with the single-threaded run (c-tests/stress.c); then
# the same on tract and onnxruntime for 8 s each, built with ThreadSanitizer (the C side;
# docs/stress.md says what TSan covers and what it cannot here).
t0=$SECONDS
log "stress: ${WASINN_STRESS_SECONDS:-20}s per backend, 8 threads (c-tests/stress.c), then under ThreadSanitizer"
(
  export WASINN_PYTHON_SITE_PACKAGES="$VENV"
  build/c-tests/stress build/c-tests/models/add.onnx "${WASINN_STRESS_SECONDS:-20}" tract,onnxruntime,openvino
  ensure_apt libclang-rt-dev   # clang's sanitizer runtimes (libclang_rt.tsan)
  cmake -S c-tests -B build/c-tests-tsan -DCMAKE_PREFIX_PATH="$STAGE" -DPython3_EXECUTABLE="$PY" \
    -DCMAKE_C_COMPILER=clang -DWASINN_TSAN=ON -DWASINN_TEST_STATIC=OFF >/dev/null
  cmake --build build/c-tests-tsan -j2 --target stress threads >/dev/null
  # OpenVINO cannot load under a sanitizer (its TBB is dlopened with RTLD_DEEPBIND): hidden here.
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$REPO/c-tests/tsan.supp" \
         WASINN_OPENVINO_LIB=/nonexistent/libopenvino_c.so
  build/c-tests-tsan/threads build/c-tests/models/add.onnx
  build/c-tests-tsan/stress build/c-tests/models/add.onnx 8 tract,onnxruntime | sed 's/^stress /stress (tsan) /'
) 2>&1 | tee build/stress.log
while IFS= read -r line; do SUMMARY+=("$(sed -E 's/ \(own-ctx.*\), ([0-9]+ outputs)/, \1/' <<< "$line")"); done < <(grep -E '^stress (\(tsan\) )?[a-z]+: ' build/stress.log)
SUMMARY+=("stress layer: $((SECONDS - t0))s")

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
SUMMARY+=("$(grep -E '^tflite guest wasinn-wasmtime-run: ' build/wasmtime-tests.log) (in the wasmtime glue's count)")

t0=$SECONDS
log "wasi:nn (WIT) components in wasinn-wasmtime-run: error table and RapidOCR per backend, traps, ASan/valgrind, WIT vs witx cost"
bindings/wasmtime/tests/run-wit.sh "$STAGE" build/wit-tests 2>&1 | tee build/wit-tests.log
SUMMARY+=("wasi:nn WIT components (error table + RapidOCR cls on tract/onnxruntime/openvino, traps, asan+ubsan, valgrind): $(tail -1 build/wit-tests.log) ($((SECONDS - t0))s)")
while IFS= read -r line; do SUMMARY+=("WIT vs witx (debug libwasinn, tract, shared machine) $line"); done \
  < <(grep -E '^cost: ' build/wit-tests.log)

t0=$SECONDS
log "Python binding (ctypes) tests, and the wasmtime-py host (python -m wasinn run) with real guests"
install_binding
WASINN_LIB="$STAGE/lib/libwasinn.so.0" "$PY" -m pytest -q bindings/python/tests 2>&1 | tee build/python-tests.log
SUMMARY+=("python: $(tail -1 build/python-tests.log) ($((SECONDS - t0))s)")

# The TFLite image-classifier guest, built against WAMR's own header (WAMR's numbering), in the
# wasmtime-py host on the native and on the Python glue (bindings/wasm3/guest/run-tflite.sh):
# --profile wamr on tract and openvino against LiteRT's scores, then --profile spec (refused).
t0=$SECONDS
log "TFLite classifier guest in the wasmtime-py host (both glues; tract, openvino)"
(
  export PY WASINN_LIB="$STAGE/lib/libwasinn.so.0" WASINN_PYTHON_SITE_PACKAGES="$VENV" TFLITE_ARGS_SEP=--
  bindings/wasm3/guest/run-tflite.sh wasmtime-py build/tflite-guest tract,openvino "$PY" -m wasinn run
  bindings/wasm3/guest/run-tflite.sh wasmtime-py-python-glue build/tflite-guest tract,openvino "$PY" -m wasinn run --python-glue
) 2>&1 | tee build/tflite-wasmtime-py.log
while IFS= read -r line; do SUMMARY+=("$line ($((SECONDS - t0))s for both)"); done \
  < <(grep -E '^tflite guest wasmtime-py[a-z-]*: ' build/tflite-wasmtime-py.log)

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

# TensorFlow Lite: mediapipe's 14 models and small generated ones through libwasinn on tract,
# openvino and litert vs LiteRT's interpreter / OpenVINO's Python API; fails on any loss or wrong
# value, or when one of the three backends is missing.
t0=$SECONDS
log "TensorFlow Lite conformance: libwasinn (tract, openvino, litert) vs LiteRT and OpenVINO (tests/conformance/tflite.py)"
(
  conformance_env
  "$PY" tests/conformance/tflite.py run build/tflite-conformance.json 2>&1 | tee build/tflite.log
  "$PY" tests/conformance/tflite.py check build/tflite-conformance.json 2>&1 | tee build/tflite-check.log
)
grep -q '^tflite conformance check: passed' build/tflite-check.log
SUMMARY+=("tflite conformance: $(grep -E '^tflite [a-z]+: ' build/tflite-check.log | sed 's/^tflite //' | paste -sd ';' | sed 's/;/; /g') ($((SECONDS - t0))s)")

# The TFLite benchmark cannot rot (nothing is timed here): bench/extra/tflite.sh, the BENCHMARKS.md
# hook, for one interleaved pair a model and backend on the staged debug build and 10 pairs of the
# Rust tract-direct comparison (target/debug/wasinn-bench-tflite, built above) (~5 s); it must
# print a row for every backend (tract, openvino, litert) and the 3 Rust tract rows.
t0=$SECONDS
log "TensorFlow Lite benchmark: bench/extra/tflite.sh, one pair a model and backend (no timing)"
WASINN_BENCH_PREFIX="$STAGE" WASINN_TFLITE_BENCH_PAIRS=1 bench/extra/tflite.sh > build/tflite-bench.md 2> build/tflite-bench.log
for b in tract openvino litert; do grep -q "^| [a-z0-9_]* | $b | " build/tflite-bench.md; done
[ "$(grep -cE '^\| gen_[a-z0-9_]+ \| [0-9.]+ \| [0-9.]+ \| ' build/tflite-bench.md)" = 3 ]
SUMMARY+=("tflite bench: $(grep -c '^| [a-z0-9_]* | [a-z]* | [0-9]' build/tflite-bench.md) model/backend rows (Python) and $(grep -cE '^\| gen_[a-z0-9_]+ \| [0-9.]+ \| [0-9.]+ \| ' build/tflite-bench.md) tract C API vs tract-tflite rows (Rust) ran once ($((SECONDS - t0))s)")

# The fuzz targets (fuzz/, see the README's "Fuzzing"): a short run of each from its generated
# seeds and kept reproducers, failing on any crash, hang, out-of-memory or broken property. A
# plain stable `cargo build` of the fuzz workspace, in its own target/fuzz-build/ (never mixed with
# the main build: see fuzz/run.sh).
t0=$SECONDS
log "fuzz: each target for ${WASINN_FUZZ_SECONDS:-15}s (fuzz/run.sh)"
bg_wait fuzz
fuzz/run.sh "${WASINN_FUZZ_SECONDS:-15}" 2>&1 | tee build/fuzz.log
SUMMARY+=("fuzz: $(grep -c ': no crash$' build/fuzz.log) targets without a finding, $(grep -oE '^fuzz [a-z]+: [0-9?]+ execs' build/fuzz.log | sed 's/^fuzz //' | paste -sd, - | sed 's/,/, /g'); $(grep -oE '^fuzz build: .*' build/fuzz.log) ($((SECONDS - t0))s)")

t0=$SECONDS
log "real guest: the magika C guest in wasm3 (the interpreter host) through libwasinn"
WASINN_DEMO_HOST=wasm3 WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 scripts/demo.sh 2>&1 | tee build/guest-wasm3.log
SUMMARY+=("magika guest in wasm3 (tract, by name and by bytes): $(grep -E '^check:' build/guest-wasm3.log | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}') ($((SECONDS - t0))s)")

# The wasm3 layer: wasm3 0.5.0 (PyPI sdist) built with the host's confined WASI against the staged
# debug libwasinn, then every real guest in it with its exact expected output
# (bindings/wasm3/test-guests.sh): magika by name and by bytes on each backend, the crate-mirror C
# guest and the guests built with the wasi-nn 0.6 and wasmedge-wasi-nn 0.8 crates on tract and
# onnxruntime (openvino computes their i64 cases as i32), and the sandbox
# probe (paths out of --dir, symlinks out, inherited descriptors). In a subshell: the plugins'
# vendor libraries must not reach the later layers.
t0=$SECONDS
log "wasm3 0.5.0: build the host, run the real guests (bindings/wasm3/test-guests.sh)"
(
  export PYTHON="$PY"   # fetch-wasm3.sh's pip, test-guests.sh's onnx and magika
  wasm3_host="$(bindings/wasm3/build-host.sh "$STAGE" build/wasm3-host)"
  BACKENDS=tract,onnxruntime,openvino GUEST_BACKENDS=tract,onnxruntime TFLITE_BACKENDS=tract,openvino \
    WASINN_PYTHON_SITE_PACKAGES="$VENV" bindings/wasm3/test-guests.sh "$wasm3_host" build/wasm3-guests
) 2>&1 | tee build/wasm3-guests.log
SUMMARY+=("wasm3 guests: $(tail -1 build/wasm3-guests.log | sed 's/^wasm3 guests: //') ($((SECONDS - t0))s)")
SUMMARY+=("$(grep -E '^tflite guest wasm3: ' build/wasm3-guests.log) (in the wasm3 guests' count)")
# The same guests (tract) in the host built with AddressSanitizer: the host's WASI and the glue
# must not read or write out of bounds or leak, whatever the guest passes (valgrind cannot run it:
# it lacks the openat2 syscall the sandbox rests on).
t0=$SECONDS
log "wasm3 0.5.0 host under AddressSanitizer: the same guests on tract"
(
  export PYTHON="$PY"
  wasm3_asan="$(bindings/wasm3/build-host.sh "$STAGE" build/wasm3-host-asan \
                  "-DCMAKE_C_FLAGS=-fsanitize=address -fno-omit-frame-pointer")"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 bindings/wasm3/test-guests.sh "$wasm3_asan" build/wasm3-guests-asan
) 2>&1 | tee build/wasm3-guests-asan.log
SUMMARY+=("wasm3 guests (asan): $(tail -1 build/wasm3-guests-asan.log | sed 's/^wasm3 guests: //') ($((SECONDS - t0))s)")

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

# libwasinn as a WasmEdge plugin in the real `wasmedge`, built from ../shared/runtimes (cached in
# build/wasmedge while the archive and flags are unchanged): the guests above, the hostile guests,
# --nn-preload, two plugins named wasi_nn, handles across VMs, on tract and both plugin backends.
t0=$SECONDS
log "WasmEdge: the libwasinn plugin in the real wasmedge (bindings/wasmedge/run-tests.sh)"
[ -z "$wasmedge_archive" ] || bg_wait wasmedge
bindings/wasmedge/run-tests.sh "$STAGE" target/demo build/wasmedge-tests 2>&1 | tee build/wasmedge.log
while IFS= read -r line; do SUMMARY+=("${line#summary: }"); done < <(grep '^summary: ' build/wasmedge.log)
SUMMARY+=("wasmedge layer: $((SECONDS - t0))s")

# Real WAMR (tests/wamr/run.sh): built from ../shared/runtimes' archive (or WAMR_SOURCE_DIR) with
# the shipped host bindings/wamr/host, fast and classic interpreter, each running the magika guest
# demo.sh built (every backend, by bytes and by name), the crate-mirror and Rust crate guests, guests
# built against WAMR's own headers (wasi_ephemeral_nn and the legacy wasi_nn), two instances at
# once and a threaded guest. One summary line per interpreter.
t0=$SECONDS
log "real WAMR: fast and classic interpreter with every guest (tests/wamr/run.sh)"
WASINN_PYTHON_SITE_PACKAGES="$VENV" PY="$PY" tests/wamr/run.sh "$STAGE" target/demo build/wamr 2>&1 | tee build/wamr.log
while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep -E '^wamr (fast-interp|classic-interp|no-libc-wasi)|^wamr: SKIPPED' build/wamr.log)
SUMMARY+=("wamr layer: $(tail -1 build/wamr.log | sed 's/^wamr: //') ($((SECONDS - t0))s)")

# The hostile guests (bindings/wasm3/guest/hostile.c with the WasmEdge extras, hostile-nomem.wat)
# in every other host the project ships, through one runner (run-hostile.sh: the cases and their
# errnos live in the guest), reusing the hosts built above: wasm3, wasinn-wasmtime-run, the
# wasmtime-py host on the native and on the Python glue, WAMR fast and classic interpreter; each on
# every backend, under the host's own numbering and WAMR 2.1's (the other errno table). WasmEdge
# runs the same guest in its layer above.
t0=$SECONDS
log "hostile guests in wasm3, wasinn-wasmtime-run, wasmtime-py (both glues), WAMR (bindings/wasm3/guest/run-hostile.sh)"
(
  export PY WASINN_PYTHON_SITE_PACKAGES="$VENV" WASINN_LIB="$STAGE/lib/libwasinn.so.0"
  run=bindings/wasm3/guest/run-hostile.sh; all=tract,onnxruntime,openvino; w=build/hostile
  $run wasm3 $w spec,wamr-2.1 $all build/wasm3-host/wasinn-wasm3-run
  $run wasinn-wasmtime-run $w spec,wamr-2.1 $all "$STAGE/bin/wasinn-wasmtime-run"
  HOSTILE_ARGS_SEP=-- $run wasmtime-py $w spec,wamr-2.1 $all "$PY" -m wasinn run
  HOSTILE_ARGS_SEP=-- $run wasmtime-py-python-glue $w spec,wamr-2.1 $all "$PY" -m wasinn run --python-glue
  for v in fast classic; do
    if [ -x "build/wamr/build-$v/host/wamr-nn-run" ]; then
      HOSTILE_NOMEM='refused:a module with WASI apis must export memory' \
        $run "wamr-$v" $w wamr,wamr-2.1 $all "build/wamr/build-$v/host/wamr-nn-run"
    elif [ "${CI:-}" = true ]; then echo "FAILED: no WAMR $v host (the WAMR layer must build it in CI)" >&2; exit 1
    else echo "hostile wamr-$v: SKIPPED (the WAMR layer was skipped: no WAMR sources)"; fi
  done
  # Foreign handles in wasm3 (two runtimes in one process, each with its own glue instance; the
  # other hosts' two-instance checks are in their layers: wasmtime check.c, pytest, WAMR, WasmEdge)
  wat2wasm bindings/wasmedge/tests/handles.wat -o $w/guest/handles.wasm
  (cd $w/guest && "$REPO/build/wasm3-host/wasinn-wasm3-two-instances" handles.wasm m:onnx:cpu:add.onnx) \
    >build/hostile-wasm3-two.log 2>&1 || { cat build/hostile-wasm3-two.log; exit 1; }
  echo "hostile wasm3-foreign-handles: $(tail -1 build/hostile-wasm3-two.log) (two runtimes, one glue instance each)"
  # A guest run under valgrind memcheck: the hostile guest in the JIT host on tract (the plugins'
  # vendor libraries out of reach: they are not valgrind-clean themselves). No invalid
  # access and no definitely or indirectly lost byte; --smc-check=all for wasmtime's JIT code.
  # (The wasm3 host cannot run under this valgrind: its sandbox needs openat2, which valgrind 3.19
  # does not know; it runs under ASan in its layer.)
  (cd $w/guest && env -u WASINN_PYTHON_SITE_PACKAGES -u VIRTUAL_ENV valgrind --smc-check=all --error-exitcode=99 --leak-check=full \
     --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
     --suppressions="$REPO/bindings/wasmtime/tests/valgrind.supp" "$STAGE/bin/wasinn-wasmtime-run" \
     --dir . --nn-preload m:onnx:cpu:add.onnx hostile.wasm spec add.onnx m) >build/hostile-valgrind.log 2>&1 \
    || { tail -40 build/hostile-valgrind.log; echo "FAILED: the hostile guest under valgrind" >&2; exit 1; }
  echo "valgrind guest run (hostile guest in wasinn-wasmtime-run, tract): $(grep -E '^[0-9]+ passed' build/hostile-valgrind.log);" \
       "$(grep -oE '(definitely|indirectly) lost: [0-9,]+ bytes' build/hostile-valgrind.log | paste -sd, | sed 's/,/, /')," \
       "$(grep -oE 'ERROR SUMMARY: [0-9]+ errors' build/hostile-valgrind.log)"
) 2>&1 | tee build/hostile.log
while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep -E '^(hostile [a-z0-9-]+|valgrind guest run .*): ' build/hostile.log)
SUMMARY+=("hostile guests layer: $((SECONDS - t0))s")

# llama.cpp (plugins/llamacpp): libllama + ggml built once from the llama-cpp-python 0.3.36 sdist
# into build/llamacpp (tests/llamacpp/setup.sh: ~5 CPU-min the first time, reused after), the
# same library serving llama-cpp-python as the reference; then tests/llamacpp_plugin.rs: greedy
# tokens equal to llama-cpp-python's per prompt, streaming = compute, embeddings within 1e-5,
# config errors and bounds. Under --workspace, so tract is not rebuilt with other features.
t0=$SECONDS
log "llamacpp layer: llama.cpp build (tests/llamacpp/setup.sh) and tests/llamacpp_plugin.rs"
bg_wait llamacpp
LLAMA_LIB_DIR="$(tests/llamacpp/setup.sh "$PY" 2>&1 | tee build/llamacpp-setup.log | tail -1)"
WASINN_LLAMACPP_LIB="$LLAMA_LIB_DIR/libllama.so" cargo test -q --workspace --test llamacpp_plugin -- --nocapture --test-threads=1 2>&1 \
  | tee build/llamacpp-tests.log
grep -q '^test result: ok\.' build/llamacpp-tests.log
# (not `! grep`: set -e ignores a negated command's status)
if grep -q '^SKIPPED: llamacpp' build/llamacpp-tests.log; then echo 'FAILED: the llamacpp tests were SKIPPED' >&2; exit 1; fi
# The llama.cpp benchmark cannot rot (nothing is timed here): bench/extra/llama.sh once in its quick
# mode on the staged debug build; its tokens/s table must have its six rows (the three ways agree
# on the text, or the program exits 1).
WASINN_BENCH_QUICK=1 WASINN_BENCH_PREFIX="$STAGE" bench/extra/llama.sh > build/llama-bench.md 2> build/llama-bench.log \
  || { tail -20 build/llama-bench.log >&2; echo "FAILED: bench/extra/llama.sh (build/llama-bench.log)" >&2; exit 1; }
[ "$(grep -cE '^\| [12] .*\| (direct|compute|stream) \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \|$' build/llama-bench.md)" = 6 ] \
  || { cat build/llama-bench.md >&2; echo "FAILED: bench/extra/llama.sh printed no full table" >&2; exit 1; }
SUMMARY+=("llamacpp: $(grep -E '^test result:' build/llamacpp-tests.log | awk '{print $4" passed, "$6" failed"}'); tokens/s bench ran once (quick); $(grep -E '^llamacpp equal tokens: [0-9]+ prompts' build/llamacpp-tests.log | sed 's/^llamacpp equal tokens: //'); llama.cpp build $(cat build/llamacpp/build-time.txt 2>/dev/null || echo '?') ($((SECONDS - t0))s)")

# The llama chat guests (issue 15): bindings/wasm3/guest/llama_chat.c and rust-wasmedge-llama (the
# published wasmedge-wasi-nn 0.8 crate) in the wasm3 host and wasinn-wasmtime-run built above (not
# rebuilt), --profile wasmedge, WASINN_NN_PRELOAD=default:GGML:AUTO:<model.gguf>, the llama.cpp
# plugin through WASINN_PLUGIN_PATH: every turn streamed and computed, checked against
# llama-cpp-python's greedy replay of the same chat on the same libllama and model (prompt, reply,
# token counts, streamed == computed), an EOS-ended reply, context_full 101 / prompt_too_long 102 as
# each guest sees them, and too_large's needed size (tests/llamacpp/run-guests.sh).
# Under CI a missing llama library, model or plugin fails; elsewhere it is SKIPPED loudly.
t0=$SECONDS
log "llama chat guests (C + wasmedge-wasi-nn 0.8) in wasm3 and wasinn-wasmtime-run vs llama-cpp-python (tests/llamacpp/run-guests.sh)"
(
  # libllama + llama-cpp-python (built once, cached in build/llamacpp; a no-op when the llama layer
  # already ran it); the plugin is a workspace member, built by the Rust layer's cargo build
  if llama_lib="$(tests/llamacpp/setup.sh "$PY" 2> build/llama-guests-setup.log | tail -1)"; then
    export LLAMA_LIB_DIR="$llama_lib"
  else
    tail -20 build/llama-guests-setup.log
  fi
  PY="$PY" WASM3_HOST="$REPO/build/wasm3-host/wasinn-wasm3-run" \
    tests/llamacpp/run-guests.sh "$STAGE" build/llama-guests
) 2>&1 | tee build/llama-guests.log
SUMMARY+=("$(tail -1 build/llama-guests.log) ($((SECONDS - t0))s)")
while IFS= read -r line; do SUMMARY+=("llama guests $line"); done < <(grep -E '^(ok|FAIL): rust-[a-z0-9]+-dims-one: ' build/llama-guests.log)

# The benchmarks cannot rot (nothing is timed here): bench/setup.py's models without IR, each
# criterion bench run once in criterion's test mode (debug profile; the three ways' outputs must
# agree), then the bench guest for 2 iterations in wasinn-wasmtime-run (staged debug build) on
# OpenVINO, tract and ONNX Runtime, its checksums compared with the native OpenVINO C program's.
t0=$SECONDS
log "benchmarks: criterion benches once each, the bench guest in wasinn-wasmtime-run vs native OpenVINO (no timing)"
mkdir -p build/bench-test
(
  export WASINN_BENCH_MODELS="$REPO/build/bench-test/models" WASINN_PYTHON_SITE_PACKAGES="$VENV"
  "$PY" bench/setup.py "$WASINN_BENCH_MODELS" --quick
  # What BENCHMARKS.md calls met or missed follows from the figures: report.py's parsers and rules.
  "$PY" -m pytest -q bench/test_report.py
  # --workspace: the feature set of the Rust layer's build above, so no dependency is rebuilt.
  cargo test -q --workspace --bench three_ways
  # The one-way binary for callgrind / perf stat (bench/analysis.md), one inference each way.
  for way in direct capi; do "${CARGO_TARGET_DIR:-$REPO/target}/debug/wasinn-bench-way" tract magika $way 1; done
  bench/build.sh build/bench-test "$VENV"
  "$PY" bench/whole.py --quick --prefix "$STAGE" --guest build/bench-test/bench.wasm --ov-native build/bench-test/ov_native \
    --models "$WASINN_BENCH_MODELS" --site "$VENV" --ov-libs "$("$PY" -c 'import openvino, os; print(os.path.dirname(openvino.__file__))')/libs" \
    --models-list add-1,add-4.9MB,magika,mobilenetv2 --out build/bench-test/whole.json
) 2>&1 | tee build/bench-test.log
SUMMARY+=("benches: report.py $(grep -E '^[0-9]+ passed' build/bench-test.log | tail -1 | cut -d' ' -f1-2), $(grep -c '^Success$' build/bench-test.log) criterion benches ran once, $(tail -1 build/bench-test.log | sed 's/^whole programs: //') ($((SECONDS - t0))s)")

# The remote plugin (plugins/remote, its own workspace) against the real Triton Inference Server
# (nvidia-pytriton's binary, in build/triton-venv) on free loopback ports: same outputs as the
# local backends, every datatype, 64 MiB, parallel contexts, timeout, unload, kill and restart,
# errors, and the magika guest by name in wasinn-wasmtime-run with its model on Triton.
t0=$SECONDS
log "remote plugin against the real Triton (plugins/remote/run-tests.sh)"
bg_wait remote
plugins/remote/run-tests.sh "$STAGE" 2>&1 | tee build/remote.log
SUMMARY+=("remote (Triton 2.51 on loopback, REST + gRPC): $(tail -1 build/remote-tests.log); $(grep -E '^remote build: ' build/remote.log) ($((SECONDS - t0))s)")
while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep -oE 'remote( overhead)?: (64 MiB|add|magika).*' build/remote.log)

# The README's marked snippets (install, CMake, pkg-config, Python, the wasmtime-py host on the
# magika guest demo.sh built in target/demo, the witx glue and WAMR snippets) run as documented.
t0=$SECONDS
log "README snippets (scripts/check-readme.sh)"
PREFIX="$STAGE" scripts/check-readme.sh 2>&1 | tee build/readme.log
SUMMARY+=("readme: $(tail -1 build/readme.log) ($((SECONDS - t0))s)")
SUMMARY+=("total: ${SECONDS}s")

log "summary"
printf '%s\n' "${SUMMARY[@]}"
