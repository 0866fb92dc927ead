#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds once (debug profile,
# dependencies optimised), then runs every layer: Rust, header check, C (ctest), Python (pytest)
# and the real wasm guest in wasm3. Exits non-zero on the first failing layer.
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

log "Python binding (ctypes) tests"
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
WASINN_LIB="$STAGE/lib/libwasinn.so.0" "$PY" -m pytest -q bindings/python/tests 2>&1 | tee build/python-tests.log
SUMMARY+=("python: $(tail -1 build/python-tests.log)")

log "real guest: C guest compiled to wasm32-wasi, run by wasm3 through libwasinn"
WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 scripts/demo.sh 2>&1 | tee build/guest-tests.log
SUMMARY+=("guest: $(grep -E '^check:' build/guest-tests.log | awk '{p+=$2; f+=$4} END {print p" passed, "f" failed"}')")

log "summary"
printf '%s\n' "${SUMMARY[@]}"
