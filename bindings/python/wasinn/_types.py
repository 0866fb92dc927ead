"""The C API's enums and the numpy dtype <-> tensor type mapping.

Values mirror include/wasinn.h; tests/test_library.py parses the header and fails on any
difference, so these copies cannot drift silently.

bfloat16: numpy has no bf16 dtype. A BF16 tensor is exchanged as its raw bits in a ``uint16``
array: outputs of type BF16 come back as ``uint16`` (use :func:`bf16_to_float32`), and a BF16 input
is given as a ``uint16`` array with ``tensor_type=TensorType.BF16`` (see :func:`float32_to_bf16`).
A plain ``uint16`` array without that override is a U16 tensor.
"""

from __future__ import annotations

import enum
from typing import Optional, Type, TypeVar, Union

import numpy as np
import numpy.typing as npt


class Status(enum.IntEnum):
    SUCCESS = 0
    INVALID_ARGUMENT = 1
    INVALID_ENCODING = 2
    MISSING_MEMORY = 3
    BUSY = 4
    RUNTIME_ERROR = 5
    UNSUPPORTED_OPERATION = 6
    TOO_LARGE = 7
    NOT_FOUND = 8
    PANIC = 1000
    SECURITY = 1001
    EXHAUSTED = 1002


class TensorType(enum.IntEnum):
    FP16 = 0
    FP32 = 1
    FP64 = 2
    BF16 = 3
    U8 = 4
    I32 = 5
    I64 = 6
    I8 = 100
    U16 = 101
    I16 = 102
    U32 = 103
    U64 = 104
    BOOL = 105
    UNKNOWN = 0xFFFFFFFF


class Encoding(enum.IntEnum):
    OPENVINO = 0
    ONNX = 1
    TENSORFLOW = 2
    PYTORCH = 3
    TENSORFLOWLITE = 4
    GGML = 5
    AUTODETECT = 6


class Target(enum.IntEnum):
    CPU = 0
    GPU = 1
    TPU = 2
    AUTO = 100


class WitxProfile(enum.IntEnum):
    SPEC = 0
    WAMR = 1
    WASMEDGE = 2


_TO_DTYPE = {
    TensorType.FP16: np.dtype(np.float16),
    TensorType.FP32: np.dtype(np.float32),
    TensorType.FP64: np.dtype(np.float64),
    TensorType.BF16: np.dtype(np.uint16),  # raw bits, see the module doc
    TensorType.U8: np.dtype(np.uint8),
    TensorType.I32: np.dtype(np.int32),
    TensorType.I64: np.dtype(np.int64),
    TensorType.I8: np.dtype(np.int8),
    TensorType.U16: np.dtype(np.uint16),
    TensorType.I16: np.dtype(np.int16),
    TensorType.U32: np.dtype(np.uint32),
    TensorType.U64: np.dtype(np.uint64),
    TensorType.BOOL: np.dtype(np.bool_),
}
# BF16 is never inferred from a dtype: uint16 means U16 unless the caller says otherwise.
_FROM_DTYPE = {dt: t for t, dt in _TO_DTYPE.items() if t != TensorType.BF16}


def dtype_of(tensor_type: Union[TensorType, int]) -> Optional[np.dtype]:
    """The numpy dtype holding elements of ``tensor_type`` (``uint16`` bits for BF16), or None."""
    try:
        return _TO_DTYPE[TensorType(tensor_type)]
    except (ValueError, KeyError):
        return None


def tensor_type_of(dtype: npt.DTypeLike) -> TensorType:
    """The tensor type for a numpy dtype (any byte order); ValueError when there is none."""
    dt = np.dtype(dtype)
    t = _FROM_DTYPE.get(dt.newbyteorder("=") if dt.byteorder not in ("=", "|") else dt)
    if t is None:
        raise ValueError("numpy dtype %s has no wasi-nn tensor type" % dt)
    return t


_E = TypeVar("_E", bound=enum.IntEnum)


def _coerce(enum_cls: Type[_E], value: Union[_E, int, str], what: str) -> int:
    if isinstance(value, str):
        try:
            return enum_cls[value.upper()]
        except KeyError:
            raise ValueError("unknown %s %r" % (what, value)) from None
    return int(value)  # unknown numbers go to the library, which reports them


def bf16_to_float32(bits: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Widens raw bfloat16 bits (a uint16 array) to float32, exactly."""
    bits = np.asarray(bits, dtype=np.uint16)
    return (bits.astype(np.uint32) << 16).view(np.float32)


def float32_to_bf16(values: npt.ArrayLike) -> npt.NDArray[np.uint16]:
    """Narrows float32 values to raw bfloat16 bits (round to nearest even; NaN stays NaN)."""
    f = np.ascontiguousarray(values, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(f)
    if nan.any():
        rounded = np.where(nan, ((u >> 16) | 0x40).astype(np.uint16), rounded)
    return rounded
