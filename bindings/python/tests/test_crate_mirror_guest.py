"""A second real guest in the wasmtime-py host: wasinn_crate_mirror.c.

It calls wasi_ephemeral_nn the way a Rust guest built with the `wasi-nn` crate 0.6.x does
(GraphBuilder::build_from_bytes / build_from_cache, set_input with the crate's repr(C) tensor,
get_output returning bytes written), built with Debian's clang so no Rust wasm target is needed.
Models, guest arguments and the exact expected stdout come from
bindings/wasm3/guest/crate_mirror_cases.py, which scripts/test.sh also uses for the wasm3 run.
"""

import os
import subprocess
import sys

import pytest

import wasmtime  # noqa: F401  (a test dependency: absent means failing, not skipping)

from conftest import REPO_ROOT

GUEST_DIR = os.path.join(REPO_ROOT, "bindings", "wasm3", "guest")
sys.path.insert(0, GUEST_DIR)
import crate_mirror_cases as cases  # noqa: E402


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A directory holding wasinn_crate_mirror.wasm and the models its steps read."""
    d = tmp_path_factory.mktemp("crate-mirror")
    subprocess.run([os.path.join(GUEST_DIR, "build.sh"), str(d / "mirror.wasm"), "wasinn_crate_mirror.c"],
                   check=True, capture_output=True)
    cases.write(str(d))
    return d


def run_host(d, guest_args, preload=True):
    args = [sys.executable, "-m", "wasinn", "run", "mirror.wasm", "--dir", "."]
    if preload:
        args += ["--nn-preload", cases.preload_spec(str(d))]
    return subprocess.run(args + ["--"] + guest_args, cwd=d, capture_output=True, text=True, timeout=600)


def expected_lines(step):
    return [l for l in cases.expected_stdout().splitlines() if l.startswith(step + ":")]


def test_every_step_prints_exactly_the_expected_output(mirror):
    r = run_host(mirror, cases.guest_args())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == cases.expected_stdout()


@pytest.mark.parametrize("step", ["bytes", "autodetect"])
def test_load_from_bytes(mirror, step):
    # onnx (1) and autodetect (5) in the crate's (witx) numbering: load, two inputs, too_large with
    # the needed size written and the buffer untouched, retry, out-of-range output index, rerun.
    r = run_host(mirror, ["%s:add.onnx" % step], preload=False)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[:-1] == expected_lines(step)
    assert "%s: get_output into 4 bytes -> too_large (7)" % step in lines
    assert "%s: needed 24 bytes, buffer untouched: yes" % step in lines
    assert "%s: sum = 11.5 22.5 33.5 44.5 55.5 66.5" % step in lines
    assert "%s: get_output index 1 (model has 1 output) -> invalid_argument (1)" % step in lines


def test_build_from_cache_uses_the_host_preload(mirror):
    r = run_host(mirror, ["cache:" + cases.CACHE_NAME, "missing:no-such-model"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[:-1] == expected_lines("cache") + expected_lines("missing")
    # without the preload, the same name is not_found and the guest reports its failure
    r = run_host(mirror, ["cache:" + cases.CACHE_NAME], preload=False)
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "cache: FAIL build_from_cache: not_found (8)"


def test_multi_output_model(mirror):
    r = run_host(mirror, ["multi:multi.onnx"], preload=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[:-1] == expected_lines("multi")
    assert "multi: output 0 (32 bytes) x+x = 2 -4 6 17179869184" in r.stdout


@pytest.mark.parametrize("ty", sorted(cases.IDENT_TYPES))
def test_identity_per_tensor_type(mirror, ty):
    r = run_host(mirror, ["ident:%s:ident_%s.onnx" % (ty, ty)], preload=False)
    assert r.returncode == 0, r.stdout + r.stderr
    (line,) = [l for l in expected_lines("ident") if l.startswith("ident: %s " % ty)]
    assert r.stdout.splitlines() == [line, "done: 0 failures"]


def test_guest_runs_through_the_run_api(mirror, capfd):
    """run() in this process (not a subprocess): the exit code is the guest's."""
    from wasinn.wasmtime_host import run

    cwd = os.getcwd()
    os.chdir(mirror)
    try:
        code = run("mirror.wasm", ["bytes:add.onnx", "ident:i64:ident_i64.onnx"], dirs=["."])
    finally:
        os.chdir(cwd)
    out = capfd.readouterr().out
    assert code == 0, out
    assert out.splitlines() == expected_lines("bytes") + [
        l for l in expected_lines("ident") if l.startswith("ident: i64 ")] + ["done: 0 failures"]


# The real crate, when this machine can build it: bindings/wasm3/guest/rust-wasi-nn (wasi-nn 0.6.0,
# wasm32-wasip1). Optional because `rustup target add wasm32-wasip1` is a toolchain download CI
# machines may not get; the C mirror above is what always runs. (The wasm3 layer of scripts/test.sh
# runs this guest too: bindings/wasm3/test-guests.sh.)
RUST_GUEST_DIR = os.path.join(GUEST_DIR, "rust-wasi-nn")


def _wasip1_target_installed():
    import shutil

    if not shutil.which("cargo") or not shutil.which("rustc"):
        return False
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True).stdout.strip()
    return os.path.isdir(os.path.join(sysroot, "lib", "rustlib", "wasm32-wasip1"))


@pytest.fixture(scope="module")
def rust_guest(mirror):
    if not _wasip1_target_installed():
        # scripts/test.sh installs the target and sets WASINN_REQUIRE_RUST_GUEST=1 when that
        # worked: then a missing target is a failure, never a silent skip.
        assert not os.environ.get("WASINN_REQUIRE_RUST_GUEST"), "wasm32-wasip1 target missing"
        pytest.skip("the Rust target wasm32-wasip1 is not installed (rustup target add wasm32-wasip1); "
                    "the C mirror of the crate's calls ran instead")
    out = os.path.join(REPO_ROOT, "target", "wasm-guests", "wasinn-rust-guest.wasm")
    r = subprocess.run([os.path.join(GUEST_DIR, "build-rust.sh"), "rust-wasi-nn", out,
                        os.path.join(REPO_ROOT, "target", "wasm-guests")],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return out


def test_rust_guest_built_with_the_wasi_nn_crate(mirror, rust_guest):
    """The same steps through the real crate print what the C mirror prints, except the "needed N
    bytes" lines: the crate's get_output drops the size the host writes on too_large."""
    args = [sys.executable, "-m", "wasinn", "run", rust_guest, "--dir", ".",
            "--nn-preload", cases.preload_spec(str(mirror)), "--"] + cases.guest_args()
    r = subprocess.run(args, cwd=mirror, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    expected = [l for l in cases.expected_stdout().splitlines() if ": needed " not in l]
    assert r.stdout.splitlines() == expected
