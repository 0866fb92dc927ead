"""The C API's enums, the numpy dtype <-> tensor type mapping and the element codecs.

Values mirror include/wasinn.h; tests/test_library.py parses the header and fails on any
difference, so these copies cannot drift silently.

bfloat16: numpy has no bf16 dtype. A BF16 tensor is exchanged as its raw bits in a ``uint16``
array: outputs of type BF16 come back as ``uint16`` (use :func:`bf16_to_float32`), and a BF16 input
is given as a ``uint16`` array with ``tensor_type=TensorType.BF16`` (see :func:`float32_to_bf16`),
or as an ``ml_dtypes.bfloat16`` array. A plain ``uint16`` array without that override is a U16
tensor.

The float8, float4 and 4-/2-bit integer types (library extensions): inputs and outputs are
``ml_dtypes`` arrays (``float8_e4m3fn``, ``int4``...) when the ``ml_dtypes`` package is installed,
one element per array item; without it, outputs come back as ``uint8`` (float8: the raw bits; the
packed types: one element's bits per item) and inputs are given that way with ``tensor_type=``.
The packed types travel packed (two or four elements per byte, the first in the low bits, as ONNX
packs them); the packing happens here, on the way in and out.

Strings (STRING): inputs are numpy arrays of ``str`` (encoded as UTF-8) or ``bytes`` (kind ``U``,
``S`` or ``object``); outputs are ``object`` arrays of ``bytes``. On the wire each element is a
little-endian uint32 length followed by its bytes.
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, TypeVar, Union

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
    END_OF_SEQUENCE = 100
    CONTEXT_FULL = 101
    PROMPT_TOO_LONG = 102
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
    FP8_E4M3FN = 106
    FP8_E4M3FNUZ = 107
    FP8_E5M2 = 108
    FP8_E5M2FNUZ = 109
    FP8_E8M0 = 110
    FP4_E2M1 = 111
    U4 = 112
    I4 = 113
    U2 = 114
    I2 = 115
    STRING = 116
    UNKNOWN = 0xFFFFFFFF


class Encoding(enum.IntEnum):
    OPENVINO = 0
    ONNX = 1
    TENSORFLOW = 2
    PYTORCH = 3
    TENSORFLOWLITE = 4
    GGML = 5
    AUTODETECT = 6
    REMOTE = 100


class Target(enum.IntEnum):
    CPU = 0
    GPU = 1
    TPU = 2
    AUTO = 100


class WitxProfile(enum.IntEnum):
    """Numbering of a witx guest (``WASINN_WITX_PROFILE_*``): WAMR is WAMR 2.4 and later, WAMR_2_1
    WAMR 2.1-2.3."""
    SPEC = 0
    WAMR = 1
    WASMEDGE = 2
    WAMR_2_1 = 3


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

# Bits per element of the packed types.
PACKED_BITS = {TensorType.FP4_E2M1: 4, TensorType.U4: 4, TensorType.I4: 4, TensorType.U2: 2, TensorType.I2: 2}
_SIGNED_PACKED = (TensorType.I4, TensorType.I2)
# Types numpy lacks, by their ml_dtypes name (one byte per item in ml_dtypes).
_ML_DTYPES = {
    TensorType.FP8_E4M3FN: "float8_e4m3fn", TensorType.FP8_E4M3FNUZ: "float8_e4m3fnuz",
    TensorType.FP8_E5M2: "float8_e5m2", TensorType.FP8_E5M2FNUZ: "float8_e5m2fnuz",
    TensorType.FP8_E8M0: "float8_e8m0fnu", TensorType.FP4_E2M1: "float4_e2m1fn",
    TensorType.U4: "uint4", TensorType.I4: "int4", TensorType.U2: "uint2", TensorType.I2: "int2",
}


def _ml_dtypes() -> Optional[Dict[TensorType, np.dtype]]:
    """ml_dtypes' dtypes by tensor type, or None when the package is not installed."""
    global _ML_CACHE
    if _ML_CACHE is None:
        try:
            import ml_dtypes
        except ImportError:
            _ML_CACHE = {}
        else:
            _ML_CACHE = {t: np.dtype(getattr(ml_dtypes, n)) for t, n in _ML_DTYPES.items()}
            _ML_CACHE[TensorType.BF16] = np.dtype(ml_dtypes.bfloat16)
    return _ML_CACHE or None


_ML_CACHE: Optional[Dict[TensorType, np.dtype]] = None


def dtype_of(tensor_type: Union[TensorType, int]) -> Optional[np.dtype]:
    """The numpy dtype holding elements of ``tensor_type`` (``uint16`` bits for BF16; ``object``
    for STRING; the ``ml_dtypes`` dtype, else ``uint8``, for the float8/float4/4-/2-bit types), or
    None for an unknown type."""
    try:
        t = TensorType(tensor_type)
    except ValueError:
        return None
    if t in _TO_DTYPE:
        return _TO_DTYPE[t]
    if t == TensorType.STRING:
        return np.dtype(object)
    if t in _ML_DTYPES:
        ml = _ml_dtypes()
        return ml[t] if ml else np.dtype(np.uint8)
    return None


def tensor_type_of(dtype: npt.DTypeLike) -> TensorType:
    """The tensor type for a numpy dtype (any byte order; ``ml_dtypes`` dtypes included; ``U``/``S``
    string dtypes and ``object`` (arrays of str or bytes) are STRING); ValueError when there is
    none."""
    dt = np.dtype(dtype)
    t = _FROM_DTYPE.get(dt.newbyteorder("=") if dt.byteorder not in ("=", "|") else dt)
    if t is not None:
        return t
    if dt.kind in "USO":
        return TensorType.STRING
    for tt, mdt in (_ml_dtypes() or {}).items():
        if dt == mdt:
            return tt
    raise ValueError("numpy dtype %s has no wasi-nn tensor type" % dt)


def encode_elements(arr: np.ndarray, tensor_type: TensorType) -> bytes:
    """The C API's bytes for ``arr`` holding elements of ``tensor_type`` (packing the 4- and 2-bit
    types, length-prefixing strings); ``arr`` is C-ordered."""
    if tensor_type == TensorType.STRING:
        out = bytearray()
        for x in arr.ravel():
            b = x.encode("utf-8") if isinstance(x, str) else bytes(x)
            out += len(b).to_bytes(4, "little") + b
        return bytes(out)
    bits = PACKED_BITS.get(tensor_type)
    if bits is None:
        return arr.tobytes()
    per = 8 // bits
    codes = arr.reshape(-1).view(np.uint8) & ((1 << bits) - 1)
    codes = np.concatenate([codes, np.zeros((-codes.size) % per, np.uint8)]).reshape(-1, per)
    packed = np.zeros(codes.shape[0], np.uint8)
    for i in range(per):
        packed |= codes[:, i] << (bits * i)
    return packed.tobytes()


def decode_elements(data: bytes, tensor_type: TensorType, count: int) -> np.ndarray:
    """A flat array of ``count`` elements of ``tensor_type`` from the C API's bytes (see
    :func:`dtype_of` for the dtype)."""
    if tensor_type == TensorType.STRING:
        items = []
        pos = 0
        for _ in range(count):
            n = int.from_bytes(data[pos:pos + 4], "little")
            items.append(bytes(data[pos + 4:pos + 4 + n]))
            pos += 4 + n
        arr = np.empty(count, dtype=object)
        arr[:] = items
        return arr
    dtype = dtype_of(tensor_type)
    assert dtype is not None
    bits = PACKED_BITS.get(tensor_type)
    if bits is None:
        return np.frombuffer(data, dtype=dtype)[:count]
    raw = np.frombuffer(data, np.uint8)
    mask = (1 << bits) - 1
    codes = np.stack([(raw >> (bits * i)) & mask for i in range(8 // bits)], axis=1).reshape(-1)[:count]
    if dtype == np.uint8:
        return codes.copy()
    if tensor_type in _SIGNED_PACKED:
        # Sign-extend the two's complement code, then convert the value.
        return ((codes.astype(np.int8) ^ (1 << (bits - 1))) - (1 << (bits - 1))).astype(dtype)
    if tensor_type == TensorType.FP4_E2M1:
        return codes.view(dtype)  # ml_dtypes holds the 4-bit code in the low bits
    return codes.astype(dtype)


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
