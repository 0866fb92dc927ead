"""A wasi-nn host in Python: wasmtime-py runs the guest, libwasinn serves ``wasi_ephemeral_nn``.

    python -m wasinn run guest.wasm [--nn-preload name:onnx:cpu:model.onnx]... [--dir DIR[::GUEST]]
                                    [--profile spec|wamr|wamr-2.1|wasmedge] [-- guest args...]

or from Python::

    from wasinn.wasmtime_host import run
    exit_code = run("guest.wasm", ["arg1"], preloads=["magika:onnx:cpu:model.onnx"], dirs=["."])

Needs the optional dependency ``wasmtime`` (``pip install 'wasinn[wasmtime]'``, pinned in
scripts/requirements.txt). The guest gets full WASI from wasmtime (argv, preopened directories,
the host's stdin/stdout/stderr). Each ``wasi_ephemeral_nn`` import is a thin trampoline: it looks
the guest's ``memory`` export up on every call (``memory.grow`` may move or enlarge it) and hands
its base pointer and length with the raw i32 arguments to the library's ``wasinn_witx_*`` glue,
which does every bounds check and copy. So the decoding logic is the library's, shared with the
wasm3 and WAMR glue, never reimplemented here.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any, Callable, Dict, Iterable, NoReturn, Optional, Sequence, Tuple, Union

from ._ffi import WitxInstance, load_library
from ._core import _Closeable, _check, registry_preload
from ._types import WitxProfile

try:
    import wasmtime
except ImportError:  # optional dependency: the rest of the package works without it
    wasmtime = None

MODULE = "wasi_ephemeral_nn"
# errno missing_memory: the guest exports no linear memory called "memory".
_MISSING_MEMORY = 3

# import name -> (number of i32 params, library function). Every import returns one i32 errno.
# The first nine are what the spec, WAMR and WasmEdge guests import; the last three are WasmEdge's
# single-output variants, harmless to define for other guests (unused definitions are ignored).
IMPORTS: Dict[str, Tuple[int, str]] = {
    "load": (5, "wasinn_witx_load"),
    "load_by_name": (3, "wasinn_witx_load_by_name"),
    "load_by_name_with_config": (5, "wasinn_witx_load_by_name_with_config"),
    "init_execution_context": (2, "wasinn_witx_init_execution_context"),
    "set_input": (3, "wasinn_witx_set_input"),
    "compute": (1, "wasinn_witx_compute"),
    "get_output": (5, "wasinn_witx_get_output"),
    "unload": (1, "wasinn_witx_unload"),
    "finalize_execution_context": (1, "wasinn_witx_finalize_execution_context"),
    "compute_single": (1, "wasinn_witx_compute_single"),
    "get_output_single": (5, "wasinn_witx_get_output_single"),
    "fini_single": (1, "wasinn_witx_fini_single"),
}

# The library's names (wasinn_witx_profile_from_name; test_library.py checks they agree).
PROFILES: Dict[str, WitxProfile] = {"spec": WitxProfile.SPEC, "wamr": WitxProfile.WAMR,
                                    "wamr-2.1": WitxProfile.WAMR_2_1, "wasmedge": WitxProfile.WASMEDGE}


def _require_wasmtime() -> None:
    if wasmtime is None:
        raise ImportError("the wasmtime host needs the 'wasmtime' package: pip install 'wasinn[wasmtime]' "
                          "(or wasmtime==50.0.1)")


class WitxGlue(_Closeable):
    """One ``wasinn_witx_instance_t``: the handle tables of one guest instance. Close it (or use it
    as a context manager) when the guest instance goes away; its graphs and contexts go with it."""

    def __init__(self, profile: Union[WitxProfile, int] = WitxProfile.SPEC) -> None:
        lib = load_library()
        inst = ctypes.POINTER(WitxInstance)()
        _check(lib.wasinn_witx_instance_new(int(profile), ctypes.byref(inst)), "wasinn_witx_instance_new")
        self._lib = lib
        self._inst = inst

    def close(self) -> None:
        if self._inst:
            self._lib.wasinn_witx_instance_free(self._inst)
            self._inst = ctypes.POINTER(WitxInstance)()

    def define(self, linker: wasmtime.Linker) -> None:
        """Defines every ``wasi_ephemeral_nn`` import in a ``wasmtime.Linker``."""
        _require_wasmtime()
        i32 = wasmtime.ValType.i32()
        for name, (nparams, symbol) in IMPORTS.items():
            ty = wasmtime.FuncType([i32] * nparams, [i32])
            linker.define_func(MODULE, name, ty, self._trampoline(getattr(self._lib, symbol)), access_caller=True)

    def _trampoline(self, fn: Callable[..., int]) -> Callable[..., int]:
        def call(caller: wasmtime.Caller, *args: int) -> int:
            memory = caller.get("memory")
            if not isinstance(memory, wasmtime.Memory):
                return _MISSING_MEMORY
            # wasm passes i32; the glue takes the same bits as u32 (pointers and lengths).
            return fn(self._inst, memory.data_ptr(caller), memory.data_len(caller),
                      *(a & 0xFFFFFFFF for a in args))
        return call


def run(wasm: Union[str, os.PathLike[str]], args: Iterable[Any] = (), preloads: Iterable[str] = (),
        dirs: Iterable[str] = (), profile: Union[str, WitxProfile, int] = "spec",
        argv0: Optional[str] = None) -> int:
    """Runs the WASI command ``wasm`` (a path) with ``args``; returns its exit code.

    ``preloads``: ``name:encoding:target:path[:path...]`` specs registered before the guest starts
    (the guest opens them with ``load_by_name``). ``dirs``: host directories to preopen, each
    ``HOST`` (seen by the guest under the same path) or ``HOST::GUEST``.
    """
    _require_wasmtime()
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError("unknown profile %r (%s)" % (profile, ", ".join(sorted(PROFILES))))
        profile = PROFILES[profile]
    for spec in preloads:
        registry_preload(spec)

    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, os.fspath(wasm))
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [argv0 if argv0 is not None else os.fspath(wasm)] + [str(a) for a in args]
    for d in dirs:
        host, sep, guest = d.partition("::")
        wasi.preopen_dir(host, guest if sep else host)
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store.set_wasi(wasi)

    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    with WitxGlue(profile) as glue:
        glue.define(linker)
        instance = linker.instantiate(store, module)
        start = instance.exports(store).get("_start")
        if start is None:
            raise ValueError("%s exports no _start: not a WASI command" % wasm)
        try:
            start(store)
        except wasmtime.ExitTrap as e:
            return e.code
        return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m wasinn run ...``; returns the process exit code."""
    import argparse

    argv = list(sys.argv[1:] if argv is None else argv)
    guest_args = []
    if "--" in argv:
        cut = argv.index("--")
        argv, guest_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(
        prog="python -m wasinn",
        description="Run a wasi_ephemeral_nn guest in wasmtime-py with libwasinn as its wasi-nn.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a WASI command module",
                       usage="python -m wasinn run guest.wasm [options] [-- guest args...]")
    p.add_argument("wasm", help="the guest module (.wasm)")
    p.add_argument("--nn-preload", action="append", default=[], metavar="NAME:ENCODING:TARGET:PATH",
                   help="register a model the guest can open with load_by_name (repeatable)")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                   help="preopen a host directory for the guest (repeatable)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="spec",
                   help="numbering of the witx enums the guest was built with (default: spec)")
    ns = parser.parse_args(argv)
    try:
        return run(ns.wasm, guest_args, preloads=ns.nn_preload, dirs=ns.dir, profile=ns.profile)
    except ImportError as e:
        print("python -m wasinn: %s" % e, file=sys.stderr)
        return 2


def main_run() -> NoReturn:
    """The ``wasinn-wasmtime-run`` console script: ``python -m wasinn run`` under a shorter name."""
    sys.exit(main(["run"] + sys.argv[1:]))
