"""The library's log callback (``wasinn_set_log_callback``) from Python.

    wasinn.set_log_callback(lambda level, msg: print(level, msg), wasinn.LOG_DEBUG)
    wasinn.set_log_callback(None)   # back to WASINN_LOG (stderr) or nothing

The callback may be called from any thread (the one doing the work), concurrently; ctypes takes
the GIL for it. An exception it raises is printed by ctypes and otherwise ignored. It must not call
``set_log_callback`` itself.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Callable, Optional

from . import _ffi
from ._core import _check

LOG_OFF = 0
LOG_ERROR = 1
LOG_WARN = 2
LOG_INFO = 3
LOG_DEBUG = 4

_lock = threading.Lock()
_current: Optional[ctypes._CFuncPtr] = None  # the ctypes thunk in use: kept alive while the library may call it


def set_log_callback(callback: Optional[Callable[[int, str], None]], max_level: int = LOG_DEBUG) -> None:
    """Sends the library's messages up to ``max_level`` (``LOG_ERROR`` .. ``LOG_DEBUG``) to
    ``callback(level, message)``; ``None`` restores the default (``WASINN_LOG`` to stderr)."""
    global _current
    lib = _ffi.load_library()
    with _lock:
        if callback is None:
            _check(lib.wasinn_set_log_callback(_ffi.LogFn(), None, 0), "wasinn_set_log_callback")
            _current = None
            return

        def thunk(level: int, message: ctypes._Pointer, length: int, _user_data: Optional[int]) -> None:
            callback(int(level), ctypes.string_at(message, length).decode("utf-8", "replace"))

        fn = _ffi.LogFn(thunk)
        _check(lib.wasinn_set_log_callback(fn, None, max_level), "wasinn_set_log_callback")
        # Replaced only after the library stopped using the previous thunk.
        _current = fn
