"""Exceptions: one :class:`WasinnError` subclass per status code, carrying the code and the
library's detailed message (``wasinn_last_error_message``, read on the failing thread)."""

from __future__ import annotations

from typing import Optional, Type

from ._types import Status


class WasinnError(Exception):
    """A libwasinn call failed. ``status`` is the code, ``message`` the library's explanation."""

    status: Optional[int] = None

    def __init__(self, status: int, message: str = "", function: str = "") -> None:
        self.status = status
        self.message = message
        self.function = function
        try:
            name = Status(status).name.lower()
        except ValueError:
            name = "status %d" % status
        text = "%s: %s" % (function, name) if function else name
        if message:
            text += ": " + message
        super().__init__(text)


class InvalidArgument(WasinnError, ValueError):
    pass


class InvalidEncoding(WasinnError):
    pass


class MissingMemory(WasinnError):
    pass


class Busy(WasinnError):
    pass


class RuntimeError_(WasinnError, RuntimeError):
    """The backend failed (status RUNTIME_ERROR); the trailing underscore avoids shadowing the
    builtin, which this class also derives from."""


class UnsupportedOperation(WasinnError):
    pass


class TooLarge(WasinnError):
    pass


class NotFound(WasinnError, LookupError):
    pass


class EndOfSequence(WasinnError):
    """Streaming: generation has ended (compute_single produced no piece)."""


class ContextFull(WasinnError):
    """The backend's context window is full."""


class PromptTooLong(WasinnError):
    """The prompt does not fit the backend's context window."""


class Panic(WasinnError):
    """A bug in libwasinn or a backend, caught at the C boundary."""


class Security(WasinnError):
    pass


class Exhausted(WasinnError):
    pass


_BY_STATUS = {
    Status.INVALID_ARGUMENT: InvalidArgument,
    Status.INVALID_ENCODING: InvalidEncoding,
    Status.MISSING_MEMORY: MissingMemory,
    Status.BUSY: Busy,
    Status.RUNTIME_ERROR: RuntimeError_,
    Status.UNSUPPORTED_OPERATION: UnsupportedOperation,
    Status.TOO_LARGE: TooLarge,
    Status.NOT_FOUND: NotFound,
    Status.END_OF_SEQUENCE: EndOfSequence,
    Status.CONTEXT_FULL: ContextFull,
    Status.PROMPT_TOO_LONG: PromptTooLong,
    Status.PANIC: Panic,
    Status.SECURITY: Security,
    Status.EXHAUSTED: Exhausted,
}
for _status, _cls in _BY_STATUS.items():
    _cls.status = _status


def error_class(status: int) -> Type[WasinnError]:
    """The exception class for a status code (WasinnError for codes this module does not know)."""
    return _BY_STATUS.get(status, WasinnError)
