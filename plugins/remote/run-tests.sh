#!/usr/bin/env bash
# The remote plugin's test layer: builds the plugin (its own workspace, into target/remote), runs its
# unit tests, installs the real Triton server (PyPI nvidia-pytriton, in build/triton-venv), then
# plugins/remote/tests against it on 127.0.0.1 (pytest; the server is started and stopped there).
#
# usage: plugins/remote/run-tests.sh [PREFIX]
#   PREFIX: an installed libwasinn (scripts/install.sh ... --wasmtime-root), whose
#   lib/libwasinn.so.0, onnxruntime plugin and bin/wasinn-wasmtime-run are used; default: the
#   debug build in target/debug and the demo's host in target/demo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cd "$REPO"
ensure_venv

t0=$SECONDS
log "remote plugin: build and unit tests (plugins/remote, its own workspace)"
cargo build -q --manifest-path plugins/remote/Cargo.toml --target-dir "$REPO/target/remote" --lib
cargo test -q --manifest-path plugins/remote/Cargo.toml --target-dir "$REPO/target/remote" --lib 2>&1 | tee build/remote-unit.log
grep -q '^test result: ok' build/remote-unit.log
echo "remote build: $((SECONDS - t0))s"

t0=$SECONDS
TRITON_VENV="${WASINN_TRITON_VENV:-$REPO/build/triton-venv}"
stamp="$TRITON_VENV/.wasinn-requirements"
if ! echo "nvidia-pytriton==0.7.0" | cat scripts/requirements-triton.txt - | cmp -s - "$stamp"; then
  log "installing Triton (nvidia-pytriton 0.7.0) into $TRITON_VENV"
  "$(dirname "$(readlink -f "$PY")")/python3" -m venv "$TRITON_VENV"
  "$TRITON_VENV/bin/python" -m pip install -q --disable-pip-version-check -r scripts/requirements-triton.txt
  "$TRITON_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps nvidia-pytriton==0.7.0
  echo "nvidia-pytriton==0.7.0" | cat scripts/requirements-triton.txt - > "$stamp"
fi
# The scripted gRPC server's grpcio (tests/test_protocol_grpc.py), into the test venv.
if ! cmp -s plugins/remote/tests/requirements-grpc.txt "$VENV/.wasinn-remote-grpc"; then
  "$PY" -m pip install -q --disable-pip-version-check --no-deps -r plugins/remote/tests/requirements-grpc.txt
  cp plugins/remote/tests/requirements-grpc.txt "$VENV/.wasinn-remote-grpc"
fi
echo "triton install: $((SECONDS - t0))s"

prefix="${1:-}"
if [ -n "$prefix" ]; then
  lib="$prefix/lib/libwasinn.so.0" ort="$prefix/lib/libwasinn_backend_onnxruntime.so" host="$prefix/bin/wasinn-wasmtime-run"
else
  lib="$REPO/target/debug/libwasinn.so" ort="$REPO/target/debug/libwasinn_backend_onnxruntime.so" host="$REPO/target/demo/wasinn-wasmtime-run"
fi
demo=""
[ -f target/demo/magika.wasm ] && demo="$REPO/target/demo"
[ -x "$host" ] || host=""

log "remote plugin against the real Triton on 127.0.0.1 (pytest plugins/remote/tests)"
WASINN_LIB="$lib" WASINN_PLUGIN_PATH="$REPO/target/remote/debug/libwasinn_backend_remote.so:$ort" \
  WASINN_PYTHON_SITE_PACKAGES="$VENV" WASINN_TRITON_VENV="$TRITON_VENV" \
  WASINN_WASMTIME_RUN="$host" WASINN_DEMO_DIR="$demo" PYTHONPATH="$REPO/bindings/python:$REPO/plugins/remote/tests" \
  "$PY" -m pytest -q -s plugins/remote/tests 2>&1 | tee build/remote-tests.log
grep -qE '^[0-9]+ passed' <(tail -1 build/remote-tests.log | sed 's/^=* //')

# A benchmark, not a test: per-request cost on Triton over loopback vs the local backends.
log "remote plugin: loopback overhead per request (plugins/remote/bench/overhead.py)"
WASINN_LIB="$lib" WASINN_PLUGIN_PATH="$REPO/target/remote/debug/libwasinn_backend_remote.so:$ort" \
  WASINN_PYTHON_SITE_PACKAGES="$VENV" WASINN_TRITON_VENV="$TRITON_VENV" \
  PYTHONPATH="$REPO/bindings/python:$REPO/plugins/remote/tests" \
  "$PY" plugins/remote/bench/overhead.py "${WASINN_REMOTE_BENCH_N:-100}" 3
