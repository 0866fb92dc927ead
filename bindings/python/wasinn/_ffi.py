"""Finds and loads libwasinn and declares the C prototype of every exported function.

Discovery order (the first that exists wins; nothing else is tried once one is chosen):
  1. ``WASINN_LIB``: a path to the library file, or to a directory holding ``libwasinn.so.0``;
  2. beside this package (a wheel may ship ``libwasinn.so.0`` inside ``wasinn/``);
  3. the system: ``ctypes.util.find_library("wasinn")``, then ``libwasinn.so.0`` through the
     dynamic loader's usual search (``LD_LIBRARY_PATH``, ``ld.so.cache``).

The library is loaded lazily, on first use, so ``import wasinn`` never fails; a missing library
raises :class:`LibraryNotFound` naming every place that was tried. Every prototype below is declared
with ``argtypes`` and ``restype``: ctypes then checks argument types and never truncates the 64-bit
handles. ctypes releases the GIL during each call, so compute() in several threads runs in parallel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import List, Optional, Tuple
from ctypes import CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_float, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p

SONAME = "libwasinn.so.0"
ENV_VAR = "WASINN_LIB"

status_t = c_uint32
graph_t = c_uint64
exec_ctx_t = c_uint64
outputs_t = c_uint64


class Buffer(Structure):
    """``wasinn_buffer_t``: a borrowed byte range."""
    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


class Tensor(Structure):
    """``wasinn_tensor_t``: a borrowed tensor view (the library copies it during the call)."""
    _fields_ = [
        ("type", c_uint32),
        ("dims", POINTER(c_uint32)),
        ("rank", c_size_t),
        ("data", POINTER(c_uint8)),
        ("data_len", c_size_t),
    ]


class NamedTensor(Structure):
    """``wasinn_named_tensor_t``."""
    _fields_ = [("name", POINTER(c_char)), ("name_len", c_size_t), ("tensor", Tensor)]


class Limits(Structure):
    """``wasinn_limits_t``: set ``struct_size = ctypes.sizeof(Limits)`` before every call."""
    _fields_ = [
        ("struct_size", c_size_t),
        ("max_model_bytes", c_uint64),
        ("max_tensor_bytes", c_uint64),
        ("max_rank", c_uint32),
        ("max_graphs", c_uint32),
        ("max_contexts", c_uint32),
        ("max_name_bytes", c_uint32),
        ("max_config_bytes", c_uint32),
    ]


class Stats(Structure):
    """``wasinn_stats_t``: the data-path counters (pass ``ctypes.sizeof(Stats)`` as ``out_size``)."""
    _fields_ = [(name, c_uint64) for name in (
        "set_input_calls", "compute_calls", "get_output_calls", "bytes_in", "bytes_out",
        "tensor_allocs", "tensor_alloc_bytes")]


class WitxInstance(Structure):
    """Opaque ``wasinn_witx_instance_t``."""


class LibraryNotFound(OSError):
    """libwasinn could not be found or loaded."""


# ``wasinn_log_fn``: (level, message, message_len, user_data); the message is not NUL-terminated.
LogFn = CFUNCTYPE(None, c_uint32, POINTER(c_char), c_size_t, c_void_p)

_P = POINTER
_sz = c_size_t
_u32 = c_uint32
_mem = POINTER(c_uint8)
_winst = POINTER(WitxInstance)

# name: (restype, argtypes) for every function of include/wasinn.h.
PROTOTYPES = {
    "wasinn_version": (c_char_p, []),
    "wasinn_status_str": (c_char_p, [status_t]),
    "wasinn_last_error_message": (_sz, [_P(c_char), _sz]),
    "wasinn_last_error_status": (status_t, []),
    # graph
    "wasinn_graph_load": (status_t, [_P(Buffer), _sz, _u32, _u32, _P(graph_t)]),
    "wasinn_graph_load_by_name": (status_t, [_P(c_char), _sz, _P(graph_t)]),
    "wasinn_graph_derive": (status_t, [graph_t, _P(c_uint8), _sz, _P(graph_t)]),
    "wasinn_graph_free": (status_t, [graph_t]),
    "wasinn_graph_input_count": (status_t, [graph_t, _P(_sz)]),
    "wasinn_graph_output_count": (status_t, [graph_t, _P(_sz)]),
    "wasinn_graph_input_name": (status_t, [graph_t, _sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_graph_output_name": (status_t, [graph_t, _sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_graph_input_type": (status_t, [graph_t, _sz, _P(_u32)]),
    "wasinn_graph_output_type": (status_t, [graph_t, _sz, _P(_u32)]),
    "wasinn_graph_input_shape": (status_t, [graph_t, _sz, _P(c_int64), _sz, _P(_sz)]),
    "wasinn_graph_output_shape": (status_t, [graph_t, _sz, _P(c_int64), _sz, _P(_sz)]),
    "wasinn_graph_backend_name": (status_t, [graph_t, _P(c_char), _sz, _P(_sz)]),
    "wasinn_graph_input_quantization": (status_t, [graph_t, _sz, _P(_u32), _P(c_float), _P(c_int64)]),
    "wasinn_graph_output_quantization": (status_t, [graph_t, _sz, _P(_u32), _P(c_float), _P(c_int64)]),
    "wasinn_graph_load_with_backend": (status_t, [_P(Buffer), _sz, _u32, _u32, c_char_p, _P(graph_t)]),
    # backends and plugins
    "wasinn_backend_count": (status_t, [_P(_sz)]),
    "wasinn_backend_name": (status_t, [_sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_backend_version": (status_t, [_sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_backend_path": (status_t, [_sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_backend_reason": (status_t, [_sz, _P(c_char), _sz, _P(_sz)]),
    "wasinn_backend_status": (status_t, [_sz, _P(_u32)]),
    "wasinn_backend_encodings": (status_t, [_sz, _P(_u32), _sz, _P(_sz)]),
    "wasinn_backend_targets": (status_t, [_sz, _P(_u32), _sz, _P(_sz)]),
    "wasinn_plugin_add_path": (status_t, [c_char_p]),
    "wasinn_backend_set_preference": (status_t, [c_char_p]),
    # diagnostics
    "wasinn_set_log_callback": (status_t, [LogFn, c_void_p, _u32]),
    # execution context
    "wasinn_exec_ctx_new": (status_t, [graph_t, _P(exec_ctx_t)]),
    "wasinn_exec_ctx_free": (status_t, [exec_ctx_t]),
    "wasinn_exec_ctx_set_input": (status_t, [exec_ctx_t, _sz, _P(Tensor)]),
    "wasinn_exec_ctx_set_input_by_name": (status_t, [exec_ctx_t, _P(c_char), _sz, _P(Tensor)]),
    "wasinn_exec_ctx_compute": (status_t, [exec_ctx_t]),
    "wasinn_exec_ctx_get_output": (status_t, [exec_ctx_t, _sz, c_void_p, _sz, _P(_sz)]),
    "wasinn_exec_ctx_get_output_by_name": (status_t, [exec_ctx_t, _P(c_char), _sz, c_void_p, _sz, _P(_sz)]),
    "wasinn_exec_ctx_output_type": (status_t, [exec_ctx_t, _sz, _P(_u32)]),
    "wasinn_exec_ctx_output_shape": (status_t, [exec_ctx_t, _sz, _P(_u32), _sz, _P(_sz)]),
    "wasinn_exec_ctx_compute_named": (status_t, [exec_ctx_t, _P(NamedTensor), _sz, _P(outputs_t)]),
    "wasinn_exec_ctx_compute_single": (status_t, [exec_ctx_t]),
    "wasinn_exec_ctx_get_output_single": (status_t, [exec_ctx_t, _sz, c_void_p, _sz, _P(_sz)]),
    "wasinn_exec_ctx_fini_single": (status_t, [exec_ctx_t]),
    # outputs of compute_named
    "wasinn_outputs_count": (status_t, [outputs_t, _P(_sz)]),
    "wasinn_outputs_get": (status_t, [outputs_t, _sz, _P(_P(c_char)), _P(_sz), _P(Tensor)]),
    "wasinn_outputs_free": (status_t, [outputs_t]),
    # registry
    "wasinn_registry_add_files": (status_t, [c_char_p, _u32, _u32, _P(c_char_p), _sz]),
    "wasinn_registry_add_bytes": (status_t, [c_char_p, _u32, _u32, _P(Buffer), _sz]),
    "wasinn_registry_preload": (status_t, [c_char_p]),
    "wasinn_registry_remove": (status_t, [c_char_p]),
    # witx glue (for hosts written in Python, e.g. with wasmtime-py)
    "wasinn_witx_instance_new": (status_t, [_u32, _P(_winst)]),
    "wasinn_witx_instance_free": (None, [_winst]),
    "wasinn_witx_load": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32, _u32]),
    "wasinn_witx_load_by_name": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32]),
    "wasinn_witx_load_by_name_with_config": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32, _u32]),
    "wasinn_witx_init_execution_context": (c_int32, [_winst, _mem, _sz, _u32, _u32]),
    "wasinn_witx_set_input": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32]),
    "wasinn_witx_compute": (c_int32, [_winst, _mem, _sz, _u32]),
    "wasinn_witx_get_output": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32, _u32]),
    "wasinn_witx_unload": (c_int32, [_winst, _mem, _sz, _u32]),
    "wasinn_witx_finalize_execution_context": (c_int32, [_winst, _mem, _sz, _u32]),
    "wasinn_witx_compute_single": (c_int32, [_winst, _mem, _sz, _u32]),
    "wasinn_witx_get_output_single": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32, _u32]),
    "wasinn_witx_fini_single": (c_int32, [_winst, _mem, _sz, _u32]),
    "wasinn_witx_profile_from_name": (status_t, [c_char_p, _P(_u32)]),
    # WAMR's legacy wasi_nn module
    "wasinn_wasi_nn_load": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32]),
    "wasinn_wasi_nn_set_input": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32]),
    "wasinn_wasi_nn_get_output": (c_int32, [_winst, _mem, _sz, _u32, _u32, _u32, _u32]),
    "wasinn_witx_profile_errno": (c_int32, [_u32, status_t]),
    "wasinn_limits_get_default": (status_t, [_P(Limits)]),
    "wasinn_limits_set_default": (status_t, [_P(Limits)]),
    "wasinn_stats_get": (status_t, [_P(Stats), _sz]),
    "wasinn_witx_instance_get_limits": (status_t, [_winst, _P(Limits)]),
    "wasinn_witx_instance_set_limits": (status_t, [_winst, _P(Limits)]),
}


def _candidates() -> Tuple[List[Tuple[str, str]], bool]:
    """(description, path-or-name) pairs, in discovery order."""
    env = os.environ.get(ENV_VAR)
    if env:
        # An explicit choice is final: falling back to another library would hide a mistake.
        path = os.path.join(env, SONAME) if os.path.isdir(env) else env
        return [("$%s" % ENV_VAR, path)], True
    out = []
    here = os.path.dirname(os.path.abspath(__file__))
    for name in (SONAME, "libwasinn.so"):
        path = os.path.join(here, name)
        if os.path.exists(path):
            out.append(("beside the package", path))
    found = ctypes.util.find_library("wasinn")
    if found:
        out.append(("ctypes.util.find_library", found))
    out.append(("dynamic loader search", SONAME))
    return out, False


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def load_library() -> ctypes.CDLL:
    """The loaded library, with prototypes declared (loaded once per process)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        candidates, explicit = _candidates()
        tried = []
        lib = None
        for how, path in candidates:
            try:
                lib = ctypes.CDLL(path)
                break
            except OSError as e:
                tried.append("  %s: %s (%s)" % (how, path, e))
        if lib is None:
            hint = ("set %s to the path of libwasinn.so (e.g. target/debug/libwasinn.so after "
                    "`cargo build`)" % ENV_VAR)
            if explicit:
                hint = "%s points at a file that cannot be loaded" % ENV_VAR
            raise LibraryNotFound("libwasinn could not be loaded; tried:\n%s\n%s" % ("\n".join(tried), hint))
        missing = []
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
        if missing:
            raise LibraryNotFound("%s does not export %s: too old or not libwasinn"
                                  % (getattr(lib, "_name", "?"), ", ".join(missing)))
        _lib = lib
        return lib


def library_path() -> str:
    """The path of the loaded library file (resolved through /proc/self/maps when the dynamic
    loader found it by its bare name)."""
    name = load_library()._name
    if os.sep in name:
        return name
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) == 6 and os.path.basename(fields[5].strip()).startswith("libwasinn.so"):
                    return fields[5].strip()
    except OSError:
        pass
    return name
