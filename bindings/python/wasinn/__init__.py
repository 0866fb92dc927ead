"""wasinn: Python bindings (ctypes) for libwasinn, the host side of wasi-nn.

    import numpy as np, wasinn
    with wasinn.Graph.load(open("add.onnx", "rb").read(), "onnx", "cpu") as g:
        print(g.inputs)                       # [('a', dtype('float32'), (2, 3)), ...]
        with g.create_execution_context() as ctx:
            ctx.set_input("a", np.ones((2, 3), np.float32))
            ctx.set_input(1, np.ones((2, 3), np.float32))
            ctx.compute()
            print(ctx.get_output("sum"))
            print(ctx.compute_named({"a": ..., "b": ...}))   # {'sum': array(...)}

The library is found through ``WASINN_LIB`` (file or directory), then beside this package, then
the system loader (``libwasinn.so.0``); see :mod:`wasinn._ffi`. Failures raise a
:class:`WasinnError` subclass per status code carrying the library's detailed message. Dtypes map
one to one to tensor types, float16 included; bfloat16 travels as raw ``uint16`` bits (see
:mod:`wasinn._types`, :func:`bf16_to_float32`, :func:`float32_to_bf16`).
"""

from ._version import __version__
from ._ffi import LibraryNotFound, library_path, load_library
from ._types import (
    Encoding,
    Status,
    Target,
    TensorType,
    WitxProfile,
    bf16_to_float32,
    dtype_of,
    float32_to_bf16,
    tensor_type_of,
)
from .errors import (
    Busy,
    ContextFull,
    EndOfSequence,
    Exhausted,
    InvalidArgument,
    InvalidEncoding,
    MissingMemory,
    NotFound,
    Panic,
    PromptTooLong,
    RuntimeError_,
    Security,
    TooLarge,
    UnsupportedOperation,
    WasinnError,
    error_class,
)
from ._core import (
    ExecutionContext,
    Graph,
    Registry,
    TensorInfo,
    add_bytes,
    add_files,
    last_error_message,
    last_error_status,
    preload,
    registry_add_bytes,
    registry_add_files,
    registry_preload,
    registry_remove,
    status_str,
    version,
)
from ._log import LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_OFF, LOG_WARN, set_log_callback

import types as _types

__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and not isinstance(_v, _types.ModuleType)] + ["__version__"]
