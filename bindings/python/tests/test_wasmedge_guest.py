"""The guest built with the `wasmedge-wasi-nn` 0.8 crate (what LlamaEdge-style guests use) in the
wasmtime-py host under the WasmEdge profile.

It imports WasmEdge's extra functions (load_by_name_with_config, unload, compute_single,
get_output_single, fini_single), so it only links in a host that registers them all. Models,
arguments and the exact expected stdout come from bindings/wasm3/guest/wasmedge_cases.py, which
every other host's test uses too.
"""

import os
import subprocess
import sys

import pytest

import wasmtime  # noqa: F401  (a test dependency: absent means failing, not skipping)

from conftest import REPO_ROOT
from test_crate_mirror_guest import GUEST_DIR, _wasip1_target_installed

sys.path.insert(0, GUEST_DIR)
import wasmedge_cases as cases  # noqa: E402


@pytest.fixture(scope="module")
def guest_dir(tmp_path_factory):
    if not _wasip1_target_installed():
        assert not os.environ.get("WASINN_REQUIRE_RUST_GUEST"), "wasm32-wasip1 target missing"
        pytest.skip("the Rust target wasm32-wasip1 is not installed (rustup target add wasm32-wasip1)")
    d = tmp_path_factory.mktemp("wasmedge-guest")
    r = subprocess.run([os.path.join(GUEST_DIR, "build-rust.sh"), "rust-wasmedge-wasi-nn", str(d / "guest.wasm"),
                        os.path.join(REPO_ROOT, "target", "wasm-guests")], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    cases.write(str(d))
    return d


def run_host(d, guest_args, profile="wasmedge", preload=True):
    args = [sys.executable, "-m", "wasinn", "run", "guest.wasm", "--dir", ".", "--profile", profile]
    if preload:
        args += ["--nn-preload", cases.preload_spec(str(d))]
    return subprocess.run(args + ["--"] + guest_args, cwd=d, capture_output=True, text=True, timeout=600)


def test_every_step_prints_exactly_the_expected_output(guest_dir):
    r = run_host(guest_dir, cases.guest_args())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == cases.expected_lines()


def test_the_spec_profile_misreads_nothing_the_crate_sends_here(guest_dir):
    # The crate's numbering for these steps (onnx 1, cpu 0, f32 1, u8 3, i64 5, errnos 1/7/8) is
    # the witx one, so the spec profile gives the same answers; only the encodings above 5 differ.
    r = run_host(guest_dir, cases.guest_args(), profile="spec")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == cases.expected_lines()


def test_name_without_preload_is_not_found(guest_dir):
    r = run_host(guest_dir, ["name:" + cases.NAME], preload=False)
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "name: FAIL build_from_cache: NotFound (8)"
