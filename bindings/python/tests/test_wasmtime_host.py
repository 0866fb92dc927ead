"""The wasmtime-py host (``python -m wasinn run``): real guests in a real runtime.

The magika guest (bindings/wasm3/guest/magika.c, built with Debian's clang for wasm32-wasi) runs on
a few files and must give the labels the magika package itself gives; small WAT guests check that
errnos pass through untouched and that a bad guest pointer is an errno, not a trap.
"""

import os
import shutil
import subprocess
import sys

import pytest

import wasmtime  # noqa: F401  (a test dependency: absent means failing, not skipping)

from conftest import REPO_ROOT, add_model

GUEST_DIR = os.path.join(REPO_ROOT, "bindings", "wasm3", "guest")


def run_host(args, cwd):
    return subprocess.run([sys.executable, "-m", "wasinn", "run"] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def magika_guest(tmp_path_factory):
    """A directory holding magika.wasm, labels.txt, model.onnx and three sample files."""
    d = tmp_path_factory.mktemp("magika")
    subprocess.run([os.path.join(GUEST_DIR, "build.sh"), str(d / "magika.wasm")], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, os.path.join(GUEST_DIR, "make-labels.py"), "-o", str(d / "labels.txt")],
                   check=True, capture_output=True)
    model = subprocess.run([sys.executable, os.path.join(GUEST_DIR, "make-labels.py"), "--print-model-path"],
                           check=True, capture_output=True, text=True).stdout.strip()
    shutil.copy(model, d / "model.onnx")
    shutil.copy(os.path.join(GUEST_DIR, "magika.c"), d / "sample.c")
    shutil.copy(os.path.join(REPO_ROOT, "bindings", "python", "wasinn", "wasmtime_host.py"), d / "sample.py")
    (d / "tiny.txt").write_text("hi\n")  # too small for the model: answered without it
    return d


SAMPLES = ["sample.c", "sample.py", "tiny.txt"]


def parse(stdout):
    out = {}
    for line in stdout.splitlines():
        name, _, rest = line.partition(": ")
        if rest:
            out[name] = rest.split(" ", 1)[0]
    return out


def expected_labels(d):
    from magika import Magika

    m = Magika()
    out = {}
    for f in SAMPLES:
        pred = m.identify_path(d / f).prediction
        out[f] = str(pred.output.label) if str(pred.dl.label) == "undefined" else str(pred.dl.label)
    return out


@pytest.mark.parametrize("mode", ["preload", "bytes"])
def test_magika_guest_matches_the_magika_package(magika_guest, mode):
    d = magika_guest
    if mode == "preload":  # the host registers the model, the guest calls load_by_name
        args = ["magika.wasm", "--nn-preload", "magika:onnx:cpu:%s" % (d / "model.onnx"), "--dir", ".",
                "--", "magika", "labels.txt"] + SAMPLES
    else:  # the guest reads the model through WASI and hands its bytes to load
        args = ["magika.wasm", "--dir", ".", "--", "--bytes", "model.onnx", "labels.txt"] + SAMPLES
    r = run_host(args, cwd=d)
    assert r.returncode == 0, r.stderr
    got = parse(r.stdout)
    assert got == expected_labels(d), r.stdout
    assert got["sample.c"] == "c" and got["sample.py"] == "python"


# A guest that calls one import with constant arguments and exits with its errno.
WAT_CALL = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_ephemeral_nn" "%(name)s" (func $nn (param %(params)s) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "no-such-model")
  (func (export "_start") (call $exit (call $nn %(args)s))))
"""


def wat_guest(tmp_path, name, args):
    path = tmp_path / ("%s.wat" % name)
    path.write_text(WAT_CALL % {"name": name, "params": " ".join(["i32"] * len(args)),
                                "args": " ".join("(i32.const %d)" % a for a in args)})
    return str(path)  # wasmtime reads WAT text as well as binary modules


def test_errno_passes_through(tmp_path):
    # unknown name -> not_found (8), the witx errno, returned to the guest unchanged
    r = run_host([wat_guest(tmp_path, "load_by_name", [16, 13, 64])], cwd=tmp_path)
    assert r.returncode == 8, r.stderr
    # unknown context handle -> invalid_argument (1)
    r = run_host([wat_guest(tmp_path, "compute", [12345])], cwd=tmp_path)
    assert r.returncode == 1, r.stderr


def test_out_of_bounds_pointer_is_an_errno_not_a_trap(tmp_path):
    # name_ptr far past the 64 KiB memory, and a graph_out_ptr straddling its end: the glue answers
    # missing_memory (3, as documented in wasinn.h) and the host process carries on.
    r = run_host([wat_guest(tmp_path, "load_by_name", [0xFFFF0000, 13, 64])], cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    r = run_host([wat_guest(tmp_path, "load_by_name", [16, 13, 65534])], cwd=tmp_path)
    assert r.returncode in (3, 8), r.stderr  # the name may be looked up first: not_found


def test_load_through_the_host_api(tmp_path):
    """run() from Python: a guest passing model bytes of add.onnx to load with the spec numbering."""
    from wasinn.wasmtime_host import run

    model = add_model()
    # builder array at 0: {ptr=64, len=n}; model bytes at 64; graph handle written at 8
    wat = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_ephemeral_nn" "load" (func $load (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\40\\00\\00\\00%(len)s")
  (data (i32.const 64) "%(bytes)s")
  (func (export "_start") (local $e i32)
    (local.set $e (call $load (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 8)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (call $exit (call $init (i32.load (i32.const 8)) (i32.const 12)))))
""" % {"len": "".join("\\%02x" % b for b in len(model).to_bytes(4, "little")),
       "bytes": "".join("\\%02x" % b for b in model)}
    path = tmp_path / "load.wat"
    path.write_text(wat)
    assert run(str(path)) == 0


@pytest.mark.parametrize("profile,errno", [("spec", 8), ("wasmedge", 8), ("wamr", 8), ("wamr-2.1", 7)])
def test_profile_numbering_of_errnos(tmp_path, profile, errno):
    # load_by_name_with_config (WasmEdge's and WAMR's import) with an unknown name: not_found is 8
    # in witx numbering (spec, WasmEdge, WAMR 2.4+) and 7 in WAMR 2.1-2.3's (success, then WIT
    # error-code order).
    guest = wat_guest(tmp_path, "load_by_name_with_config", [16, 13, 0, 0, 64])
    r = run_host([guest, "--profile", profile], cwd=tmp_path)
    assert r.returncode == errno, r.stderr


def test_wasmedge_extra_functions(tmp_path):
    # fini_single / unload / finalize_execution_context on unknown handles: invalid_argument (1)
    for name in ("fini_single", "unload", "finalize_execution_context", "compute_single"):
        r = run_host([wat_guest(tmp_path, name, [77]), "--profile", "wasmedge"], cwd=tmp_path)
        assert r.returncode == 1, (name, r.stderr)
