#!/usr/bin/env bash
# Regenerates docs/conformance.md and the committed figures tests/conformance/expected.json:
# the ONNX node suite (onnx wheel) and the real models through libwasinn on tract, onnxruntime and
# openvino, each against the backend's own Python API (tests/conformance/conformance.py).
# Then the TensorFlow Lite models on every backend that loads them (tests/conformance/tflite.py),
# appended to docs/conformance.md.
#
# usage: scripts/conformance.sh           (installs what it needs; builds the debug workspace)
# env:   WASINN_CONFORMANCE_NO_BUILD=1    use the build already installed in build/stage (test.sh)
# Review the diff of both files before committing them: a figure that got worse is a regression
# to fix, not a number to commit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"
ensure_apt
ensure_venv

if [ -z "${WASINN_CONFORMANCE_NO_BUILD:-}" ]; then
  log "cargo build --workspace (debug, dependencies optimised)"
  cargo build --workspace --all-targets
  rm -rf "$STAGE"
  scripts/install.sh "$STAGE" --profile debug >/dev/null
fi
install_binding
conformance_env
run_conformance
log "docs/conformance.md and tests/conformance/expected.json"
"$PY" tests/conformance/conformance.py report --update-expected
log "docs/conformance.md: the TensorFlow Lite section (tests/conformance/tflite.py)"
"$PY" tests/conformance/tflite.py run build/tflite-conformance.json
"$PY" tests/conformance/tflite.py check build/tflite-conformance.json
{ echo; "$PY" tests/conformance/tflite.py markdown build/tflite-conformance.json; } >> docs/conformance.md
