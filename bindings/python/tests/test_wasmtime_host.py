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

import wasmtime  # a test dependency: absent means failing, not skipping

from conftest import REPO_ROOT, add_model

GUEST_DIR = os.path.join(REPO_ROOT, "bindings", "wasm3", "guest")


def run_host(args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "wasinn", "run"] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=env)


def backend_env(backend):
    """The environment pinning every load to `backend` (no silent fallback); the plugins find their
    vendor libraries in the test venv's wheels."""
    env = dict(os.environ, WASINN_BACKEND=backend)
    if backend != "tract":
        env["WASINN_PYTHON_SITE_PACKAGES"] = os.environ.get("WASINN_PYTHON_SITE_PACKAGES") or sys.prefix
    return env


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


# every backend on the native glue; the pure-Python glue (--python-glue) on tract
@pytest.mark.parametrize("backend,glue", [("tract", "native"), ("onnxruntime", "native"),
                                          ("openvino", "native"), ("tract", "python")])
@pytest.mark.parametrize("mode", ["preload", "bytes"])
def test_magika_guest_matches_the_magika_package(magika_guest, mode, backend, glue):
    d = magika_guest
    if mode == "preload":  # the host registers the model, the guest calls load_by_name
        args = ["magika.wasm", "--nn-preload", "magika:onnx:cpu:%s" % (d / "model.onnx"), "--dir", "."]
        guest = ["magika", "labels.txt"]
    else:  # the guest reads the model through WASI and hands its bytes to load
        args = ["magika.wasm", "--dir", "."]
        guest = ["--bytes", "model.onnx", "labels.txt"]
    if glue == "python":
        args.append("--python-glue")
    env = backend_env(backend)
    env["WASINN_LOG"] = "info"  # the backend each load used, on stderr
    r = run_host(args + ["--"] + guest + SAMPLES, cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert "backend %s (named by WASINN_BACKEND)" % backend in r.stderr, r.stderr
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


def test_native_glue_is_bound_to_wasmtime_pys_library():
    """The glue calls the very wasmtime_linker_define_func_unchecked wasmtime-py calls, and each
    guest instance's state goes with its store."""
    import ctypes
    import gc

    from wasmtime import _ffi as wffi

    import wasinn.wasmtime as native

    glue = native.load_glue()
    assert glue.wasinn_wasmtime_api_probe() == ctypes.cast(
        wffi.dll.wasmtime_linker_define_func_unchecked, ctypes.c_void_p).value
    assert native.live_instances() == 0
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    native.define(linker, "spec")
    with pytest.raises(wasmtime.WasmtimeError):
        native.define(linker, "spec")  # already defined: wasmtime's own error
    module = wasmtime.Module(engine, WAT_CALL % {"name": "compute", "params": "i32", "args": "(i32.const 5)"})
    store = wasmtime.Store(engine)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())
    instances = [linker.instantiate(store, module) for _ in range(3)]
    for inst in instances:
        with pytest.raises(wasmtime.ExitTrap) as e:
            inst.exports(store)["_start"](store)
        assert e.value.code == 1  # invalid_argument: no such context
    assert native.live_instances() == 3
    del instances, inst, store, e  # the ExitTrap traceback holds the frames too
    gc.collect()
    assert native.live_instances() == 0


def test_native_glue_refuses_another_wasmtime_version(monkeypatch):
    import wasinn.wasmtime as native

    monkeypatch.setattr(native, "_glue", None)
    monkeypatch.setattr(native.importlib.metadata, "version", lambda name: "49.0.0")
    with pytest.raises(native.GlueMismatch, match="compiled against wasmtime 50.0.1's headers, but wasmtime-py is 49.0.0"):
        native.load_glue()


@pytest.mark.parametrize("glue", ["native", "python"])
def test_handles_of_another_instance_are_refused(tmp_path, glue):
    """Foreign handles: two guest instances alive at once in this process (two stores, as the host
    gives each guest), each on its own glue instance. Handle numbers coincide (both start at 1),
    so B using A's graph number must reach nothing of A's: B has no graph yet (invalid_argument),
    and B's unload of its own graph 1 leaves A's graph 1 working."""
    import wasinn
    from wasinn.wasmtime_host import WitxGlue

    model = tmp_path / "add.onnx"
    model.write_bytes(add_model())
    name = "foreign-" + glue[0]  # 9 bytes, one per test (the registry is per process)
    wasinn.registry_preload("%s:onnx:cpu:%s" % (name, model))
    wat = open(os.path.join(REPO_ROOT, "bindings", "wasmedge", "tests", "handles.wat")).read()
    engine = wasmtime.Engine()
    # the guest names model "m" (1 byte at 16): here `name` (9 bytes)
    call = "(call $load_by_name (i32.const 16) (i32.const 1)"
    assert call in wat
    wat = wat.replace('"m"', '"%s"' % name).replace(call, "(call $load_by_name (i32.const 16) (i32.const 9)")
    module = wasmtime.Module(engine, wat)
    glues = []

    def instance():
        store, linker = wasmtime.Store(engine), wasmtime.Linker(engine)
        if glue == "native":
            wasinn.wasmtime.define(linker, "spec")
        else:
            glues.append(WitxGlue())
            glues[-1].define(linker)
        exports = linker.instantiate(store, module).exports(store)
        return lambda name, *args: exports[name](store, *args)

    try:
        a, b = instance(), instance()
        ga = a("load_named")
        assert ga == 1, ga
        assert b("init", ga) == 1      # A's graph is not B's: invalid_argument
        assert a("init", ga) == 0      # ... and still A's
        gb = b("load_named")
        assert gb == ga                # the same number, another graph
        assert b("unload", gb) == 0
        assert b("unload", gb) == 1    # stale in B
        assert a("init", ga) == 0      # A's graph untouched by B's unload
        assert a("unload", 12345) == 1  # forged
    finally:
        for g in glues:
            g.close()
