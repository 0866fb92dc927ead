"""wasi-nn for people who embed wasmtime-py: the native glue (``libwasinn_wasmtime.so``) on the
very ``libwasmtime`` that wasmtime-py loaded.

    import wasmtime, wasinn.wasmtime
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasinn.wasmtime.define(linker, "spec")     # every wasi_ephemeral_nn import, in C
    instance = linker.instantiate(store, module)

Every wasi-nn call then runs wasmtime -> C trampoline -> libwasinn with no Python in between.
Each guest instance gets its own handles, freed when its ``wasmtime.Store`` is deleted (see
``bindings/wasmtime/wasinn_wasmtime.h``).

The glue library is found through ``WASINN_WASMTIME_LIB``, else beside the loaded libwasinn
(``scripts/install.sh --wasmtime-root`` installs it there). It records no wasmtime dependency:
loading it first makes wasmtime-py's library global, so the glue's wasmtime symbols bind to that
library instance. Both are checked before anything is defined: the glue must call the same
``wasmtime_linker_define_func_unchecked`` wasmtime-py calls, and must have been compiled against
the headers of the wasmtime version wasmtime-py is; a mismatch raises :class:`GlueMismatch`.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import threading
from typing import Any, Dict, Optional, Union

from ._ffi import library_path, load_library
from ._types import WitxProfile

ENV_VAR = "WASINN_WASMTIME_LIB"
GLUE_NAME = "libwasinn_wasmtime.so.0"
# The library's names (wasinn_witx_profile_from_name; test_library.py checks they agree).
PROFILES: Dict[str, WitxProfile] = {"spec": WitxProfile.SPEC, "wamr": WitxProfile.WAMR,
                                    "wamr-2.1": WitxProfile.WAMR_2_1, "wasmedge": WitxProfile.WASMEDGE}

_glue: Optional[ctypes.CDLL] = None
_lock = threading.Lock()


class GlueMismatch(RuntimeError):
    """The native glue cannot serve this wasmtime-py: another library instance or version."""


def _wasmtime_ffi() -> Any:
    try:
        from wasmtime import _ffi
    except ImportError as e:
        raise ImportError("wasinn.wasmtime needs the 'wasmtime' package: pip install 'wasinn[wasmtime]' "
                          "(or wasmtime==50.0.1)") from e
    return _ffi


def glue_path() -> str:
    """Where the glue library is looked for (``WASINN_WASMTIME_LIB``, else beside libwasinn)."""
    return os.environ.get(ENV_VAR) or os.path.join(os.path.dirname(library_path()), GLUE_NAME)


def load_glue() -> ctypes.CDLL:
    """The glue library bound to wasmtime-py's libwasmtime (loaded and checked once)."""
    global _glue
    if _glue is not None:
        return _glue
    with _lock:
        if _glue is not None:
            return _glue
        wffi = _wasmtime_ffi()
        load_library()  # libwasinn first: the glue's libwasinn.so.0 is then this very library
        wasmtime_path = wffi.dll._name
        # Promote wasmtime-py's own library (already loaded: RTLD_NOLOAD) to the global scope,
        # where the glue's undefined wasmtime symbols are looked up.
        ctypes.CDLL(wasmtime_path, mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
        path = glue_path()
        try:
            glue = ctypes.CDLL(path)
        except OSError as e:
            raise GlueMismatch("the wasmtime glue %s cannot be loaded (%s); install it with "
                               "scripts/install.sh PREFIX --wasmtime-root DIR, or set %s" % (path, e, ENV_VAR)) from e
        glue.wasinn_wasmtime_define.restype = ctypes.c_void_p
        glue.wasinn_wasmtime_define.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        glue.wasinn_wasmtime_live_instances.restype = ctypes.c_size_t
        glue.wasinn_wasmtime_live_instances.argtypes = []
        glue.wasinn_wasmtime_header_version.restype = ctypes.c_char_p
        glue.wasinn_wasmtime_header_version.argtypes = []
        glue.wasinn_wasmtime_api_probe.restype = ctypes.c_void_p
        glue.wasinn_wasmtime_api_probe.argtypes = []

        ours = glue.wasinn_wasmtime_api_probe()
        theirs = ctypes.cast(wffi.dll.wasmtime_linker_define_func_unchecked, ctypes.c_void_p).value
        if ours != theirs:
            raise GlueMismatch("%s is bound to another libwasmtime than wasmtime-py's %s "
                               "(wasmtime_linker_define_func_unchecked at %#x, not %#x)"
                               % (path, wasmtime_path, ours or 0, theirs or 0))
        built = glue.wasinn_wasmtime_header_version().decode()
        have = importlib.metadata.version("wasmtime")
        if built != have:
            raise GlueMismatch("%s was compiled against wasmtime %s's headers, but wasmtime-py is %s: "
                               "rebuild the glue (scripts/install.sh --wasmtime-root) for this version"
                               % (path, built, have))
        _glue = glue
        return glue


def _profile(profile: Union[str, WitxProfile, int]) -> int:
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError("unknown profile %r (spec, wamr or wasmedge)" % profile)
        return int(PROFILES[profile])
    return int(profile)


def define(linker: Any, profile: Union[str, WitxProfile, int] = "spec") -> None:
    """Defines every ``wasi_ephemeral_nn`` import in a ``wasmtime.Linker`` through the native glue
    (``wasinn_wasmtime_define``). ``profile``: ``"spec"``, ``"wamr"``, ``"wasmedge"`` or a
    :class:`WitxProfile`. Raises ``wasmtime.WasmtimeError`` when wasmtime refuses a definition
    (e.g. already defined), :class:`GlueMismatch` when the glue cannot serve this wasmtime-py."""
    glue = load_glue()
    wffi = _wasmtime_ffi()
    err = glue.wasinn_wasmtime_define(ctypes.cast(linker.ptr(), ctypes.c_void_p), _profile(profile))
    if err:
        import wasmtime

        raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(err, ctypes.POINTER(wffi.wasmtime_error_t)))


def live_instances() -> int:
    """Per-instance wasi-nn states alive in the process (0 once their stores are deleted)."""
    return int(load_glue().wasinn_wasmtime_live_instances())
