#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds once (debug profile,
# dependencies optimised), then runs every layer: Rust, header check, C (ctest), the ABI checks
# (SONAME, exported symbols), the C tests again under valgrind and under ASan+UBSan, the consumer
# projects (CMake, pkg-config), the WAMR glue compile check, the wasmtime C API glue and its host
# (wasinn-wasmtime-run: instances, teardown, every guest), wasi:nn (WIT) components in the same
# host (error paths, use-after-drop traps, WIT vs witx cost), Python (pytest, including the wasmtime-py
# host on the native glue running real guests on every backend), the per-call benchmark (native vs
# Python glue; figures, no assertion on times), the ONNX conformance runner (node suite and real
# models per backend, against the committed figures), the real guests in wasm3 0.5.0 (with its
# sandbox, also under ASan), the magika guest in wasinn-wasmtime-run on every backend (the C witx guest and the WIT component), libwasinn's
# WasmEdge plugin in the real wasmedge (guests, hostile guests), real WAMR built from source (fast
# and classic interpreter) running every guest, and the README's marked snippets.
# Exits non-zero on the first failing layer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"

ensure_apt
ensure_venv

declare -a SUMMARY=()

mkdir -p build
t0=$SECONDS
log "Rust: build and test (workspace)"
cargo build --workspace --all-targets
# The load loops (tests/load_loop.rs, ~2.5 min) run as their own layer below.
cargo test --workspace -- --skip rss_stays_flat_over_200_loads_per_backend 2>&1 | tee build/rust-tests.log
SUMMARY+=("rust: $(grep -E '^test result:' build/rust-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}') ($((SECONDS - t0))s, build included)")

# 200 load/compute/free cycles of magika and a 2-input Add per backend through the C API: RSS may
# not grow by more than 8 MB after a warm-up (the OpenVINO plugin used to leak 3.4 MB per load).
log "load loops: RSS per backend and model over 200 loads (tests/load_loop.rs)"
t0=$SECONDS
cargo test -q --workspace --test load_loop -- --nocapture 2>&1 | tee build/load-loop.log
grep -q '^test result: ok. 1 passed' build/load-loop.log
SUMMARY+=("load loops: $(grep -E '^load loop: ' build/load-loop.log | sed -E 's/^load loop: ([a-z]+ [a-z]+): .* \(([^,]+), .*$/\1 \2/' | paste -sd ';' | sed 's/;/; /g') over 200 loads ($((SECONDS - t0))s)")

t0=$SECONDS
log "header: include/wasinn.h is what cbindgen generates from the sources"
cargo run -q -p gen-header -- --check
SUMMARY+=("header: include/wasinn.h matches cbindgen ($((SECONDS - t0))s)")

# The fuzz targets (fuzz/, see the README's "Fuzzing"): a short run of each from its generated
# seeds and kept reproducers, failing on any crash, hang, out-of-memory or broken property. A
# plain stable `cargo build` of the fuzz workspace that reuses the dependencies built above.
t0=$SECONDS
log "fuzz: each target for ${WASINN_FUZZ_SECONDS:-15}s (fuzz/run.sh)"
fuzz/run.sh "${WASINN_FUZZ_SECONDS:-15}" 2>&1 | tee build/fuzz.log
SUMMARY+=("fuzz: $(grep -c ': no crash$' build/fuzz.log) targets without a finding, $(grep -oE '^fuzz [a-z]+: [0-9?]+ execs' build/fuzz.log | sed 's/^fuzz //' | paste -sd, - | sed 's/,/, /g'); $(grep -oE '^fuzz build: .*' build/fuzz.log) ($((SECONDS - t0))s)")

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
  BACKENDS=tract,onnxruntime,openvino GUEST_BACKENDS=tract,onnxruntime \
    WASINN_PYTHON_SITE_PACKAGES="$VENV" bindings/wasm3/test-guests.sh "$wasm3_host" build/wasm3-guests
) 2>&1 | tee build/wasm3-guests.log
SUMMARY+=("wasm3 guests: $(tail -1 build/wasm3-guests.log | sed 's/^wasm3 guests: //') ($((SECONDS - t0))s)")
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

# The README's marked snippets (install, CMake, pkg-config, Python, the wasmtime-py host on the
# magika guest demo.sh built in target/demo, the witx glue and WAMR snippets) run as documented.
t0=$SECONDS
log "README snippets (scripts/check-readme.sh)"
PREFIX="$STAGE" scripts/check-readme.sh 2>&1 | tee build/readme.log
SUMMARY+=("readme: $(tail -1 build/readme.log) ($((SECONDS - t0))s)")
SUMMARY+=("total: ${SECONDS}s")

log "summary"
printf '%s\n' "${SUMMARY[@]}"
