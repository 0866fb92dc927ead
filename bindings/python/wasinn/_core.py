"""Graph, ExecutionContext and registry helpers over the C API.

Ownership: each Python object owns one C handle and frees it exactly once, from ``close()``, the
context-manager exit or ``__del__`` (whichever comes first; the others are no-ops). A context keeps
its Graph object referenced, and the library keeps the model alive for a live context anyway, so
closing a graph while contexts run is safe. Objects are not meant to be shared between threads
while one of them is closing; distinct contexts of one graph compute in parallel (the GIL is released
during every C call).
"""

from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_char, c_float, c_int64, c_size_t, c_uint8, c_uint32, POINTER

import numpy as np
import numpy.typing as npt

from . import _ffi
from ._ffi import Buffer, NamedTensor, Tensor, load_library
from ._types import (PACKED_BITS, Encoding, Status, Target, TensorType, _coerce, decode_elements, dtype_of,
                     encode_elements, tensor_type_of)
from .errors import InvalidArgument, error_class

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

BytesLike = Union[bytes, bytearray, memoryview]
Builders = Union[BytesLike, Sequence[BytesLike]]  # one model buffer, or several (OpenVINO: xml + weights)
EncodingLike = Union[Encoding, int, str]  # the enum, its value, or its name ("onnx")
TargetLike = Union[Target, int, str]
TensorTypeLike = Union[TensorType, int]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Key = Union[int, str]  # an input/output index or name
Shape = Tuple[Optional[int], ...]  # None: a dynamic dimension
InputValue = Union[npt.ArrayLike, Tuple[npt.ArrayLike, TensorTypeLike]]
_C = TypeVar("_C", bound="_Closeable")

RANK_UNKNOWN = ctypes.c_size_t(-1).value  # WASINN_RANK_UNKNOWN (SIZE_MAX)


def _check(status: int, function: str) -> None:
    if status != Status.SUCCESS:
        raise error_class(status)(status, last_error_message(), function)


def _call(name: str, *args: Any) -> None:
    _check(getattr(load_library(), name)(*args), name)


def last_error_message() -> str:
    """This thread's last error message ('' after a success)."""
    lib = load_library()
    n = lib.wasinn_last_error_message(None, 0)
    if n == 0:
        return ""
    buf = ctypes.create_string_buffer(n + 1)
    lib.wasinn_last_error_message(buf, n + 1)
    return buf.value.decode("utf-8", "replace")


def last_error_status() -> Union[Status, int]:
    """This thread's last status (``Status.SUCCESS`` after a success)."""
    code = load_library().wasinn_last_error_status()
    try:
        return Status(code)
    except ValueError:
        return code


def version() -> str:
    """The loaded library's version string."""
    return load_library().wasinn_version().decode()


def status_str(status: int) -> str:
    """The library's static description of a status code."""
    return load_library().wasinn_status_str(int(status)).decode()


def _name_arg(name: Union[str, BytesLike]) -> Tuple[Any, int, Any]:
    """(pointer, length) for a (pointer, length) name argument; keeps the bytes alive via the pointer."""
    raw = name.encode("utf-8") if isinstance(name, str) else bytes(name)
    buf = ctypes.create_string_buffer(raw, len(raw)) if raw else ctypes.create_string_buffer(1)
    return ctypes.cast(buf, POINTER(c_char)), len(raw), buf


def _byte_buffers(builders: Builders) -> Tuple[Any, int, List[Any]]:
    """A wasinn_buffer_t array over `builders` (bytes-like or a list of them) plus keep-alives."""
    if isinstance(builders, (bytes, bytearray, memoryview)):
        builders = [builders]
    builders = [bytes(b) if not isinstance(b, bytes) else b for b in builders]
    arr = (Buffer * max(1, len(builders)))()
    keep = []
    for i, b in enumerate(builders):
        cbuf = ctypes.create_string_buffer(b, len(b)) if b else ctypes.create_string_buffer(1)
        keep.append(cbuf)
        arr[i].data = ctypes.cast(cbuf, POINTER(c_uint8))
        arr[i].len = len(b)
    return arr, len(builders), keep


def _string_out(fn: Any, *args: Any) -> str:
    """Calls a (…, char *buf, size_t buf_len, size_t *out_len) function, growing the buffer once."""
    out_len = c_size_t(0)
    buf = ctypes.create_string_buffer(64)
    status = fn(*args, buf, len(buf), byref(out_len))
    if status == Status.TOO_LARGE and out_len.value + 1 > len(buf):
        buf = ctypes.create_string_buffer(out_len.value + 1)
        status = fn(*args, buf, len(buf), byref(out_len))
    _check(status, fn.__name__)
    return buf.raw[: out_len.value].decode("utf-8")


def _tensor_arg(array: npt.ArrayLike, tensor_type: Optional[TensorTypeLike] = None) -> Tuple[Tensor, Tuple[Any, Any]]:
    """A wasinn_tensor_t view over `array` plus the objects that must stay alive during the call.
    Byte-sized element types are passed from the array's own memory (C order, native byte order;
    copied only when the array is not already so); the packed types and strings are encoded."""
    arr = np.asarray(array)
    if tensor_type is None:
        ttype = tensor_type_of(arr.dtype)
    else:
        ttype = TensorType(tensor_type)
        want = dtype_of(ttype)
        if want is None:
            raise InvalidArgument(Status.INVALID_ARGUMENT, "tensor type %s has no element layout" % ttype.name)
        if ttype != TensorType.STRING and arr.dtype.itemsize != want.itemsize:
            raise InvalidArgument(Status.INVALID_ARGUMENT, "a %s tensor needs %d-byte elements, the array has %s"
                                  % (ttype.name, want.itemsize, arr.dtype))
    if any(d > 0xFFFFFFFF for d in arr.shape):
        raise InvalidArgument(Status.INVALID_ARGUMENT, "dimension larger than 2^32-1 in %s" % (arr.shape,))
    if ttype == TensorType.STRING or ttype in PACKED_BITS:
        if ttype == TensorType.STRING and arr.dtype.kind not in "USO":
            raise InvalidArgument(Status.INVALID_ARGUMENT, "a STRING tensor needs str or bytes elements, not %s"
                                  % arr.dtype)
        buf = np.frombuffer(encode_elements(np.asarray(arr, order="C"), ttype), np.uint8)
    else:
        # C order, native byte order: the library reads the bytes as they are. (np.asarray keeps a
        # rank-0 array rank 0, unlike np.ascontiguousarray.)
        native = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in ("=", "|") else arr.dtype
        buf = np.asarray(arr, dtype=native, order="C")
    dims = (c_uint32 * max(1, arr.ndim))(*arr.shape)
    t = Tensor()
    t.type = int(ttype)
    t.dims = ctypes.cast(dims, POINTER(c_uint32))
    t.rank = arr.ndim
    t.data = buf.ctypes.data_as(POINTER(c_uint8))
    t.data_len = buf.nbytes
    return t, (buf, dims)


def _array_from(tensor_type: TensorTypeLike, dims: Sequence[int], data: bytes) -> npt.NDArray[Any]:
    """An ndarray (owning its memory) from a tensor type, a dims sequence and the C API's bytes."""
    try:
        ttype = TensorType(tensor_type)
    except ValueError:
        ttype = None
    if ttype is None or dtype_of(ttype) is None:
        raise InvalidArgument(Status.INVALID_ARGUMENT, "output has unsupported tensor type %d" % tensor_type)
    shape = tuple(int(d) for d in dims)
    count = int(np.prod(shape, dtype=np.int64))
    arr = decode_elements(data, ttype, count)
    if arr.size == count:
        arr = arr.reshape(shape)
    return arr.copy() if not arr.flags.writeable else arr


def _coerce_encoding(encoding: EncodingLike) -> int:
    return _coerce(Encoding, encoding, "encoding")


def _coerce_target(target: TargetLike) -> int:
    return _coerce(Target, target, "target")


class TensorInfo(tuple):
    """``(name, dtype, shape)`` of a graph input or output. ``dtype`` is a numpy dtype (``uint16``
    for BF16, None for a type numpy cannot hold), ``shape`` a tuple with ``None`` for a dynamic
    dimension, or None when even the rank is unknown. The attribute ``tensor_type`` is the exact
    :class:`TensorType` (it tells BF16 from U16)."""

    tensor_type: TensorTypeLike

    def __new__(cls, name: str, dtype: Optional[np.dtype], shape: Optional[Shape],
                tensor_type: TensorTypeLike) -> TensorInfo:
        self = tuple.__new__(cls, (name, dtype, shape))
        self.tensor_type = tensor_type
        return self

    @property
    def name(self) -> str:
        return self[0]

    @property
    def dtype(self) -> Optional[np.dtype]:
        return self[1]

    @property
    def shape(self) -> Optional[Shape]:
        return self[2]

    def __repr__(self) -> str:
        return "TensorInfo(name=%r, dtype=%r, shape=%r, tensor_type=%r)" % (
            self.name, self.dtype, self.shape, self.tensor_type)


class _Closeable:
    """Context-manager and finalizer protocol shared by every object owning a C resource: the
    subclass's ``close()`` frees it (and must be idempotent)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Interpreter shutdown may already have torn down modules: never raise from here.
        try:
            self.close()
        except Exception:
            pass


class _Handle(_Closeable):
    """Owns one C handle; `_free_fn` is the name of the function that frees it."""

    _free_fn: Optional[str] = None
    _what = "object"
    _handle: Optional[int] = None

    def _h(self) -> int:
        if self._handle is None:
            raise InvalidArgument(Status.INVALID_ARGUMENT, "this %s is closed" % self._what)
        return self._handle

    @property
    def handle(self) -> int:
        """The C handle (an int), for passing to other C code."""
        return self._h()

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        """Frees the C handle now; later calls on this object raise InvalidArgument."""
        handle, self._handle = self._handle, None
        if handle is not None:
            _call(self._free_fn, handle)


class Graph(_Handle):
    """A loaded model (``wasinn_graph_t``)."""

    _free_fn = "wasinn_graph_free"
    _what = "Graph"

    def __init__(self, handle: int) -> None:
        """Wraps an existing handle (taking ownership); use :meth:`load` or :meth:`load_by_name`."""
        self._handle = int(handle)
        self._inputs: Optional[List[TensorInfo]] = None
        self._outputs: Optional[List[TensorInfo]] = None

    @classmethod
    def load(cls, builders: Builders, encoding: EncodingLike = Encoding.ONNX,
             target: TargetLike = Target.CPU, backend: Optional[str] = None) -> Graph:
        """Loads a model from bytes (or a list of byte strings, e.g. OpenVINO's xml + weights).
        ``encoding``/``target`` take the enums, their int values or names (``"onnx"``).
        ``backend`` names the backend to use (``"tract"``, ``"onnxruntime"``...; no fallback:
        its own error is raised); None picks one by the preference order."""
        arr, n, keep = _byte_buffers(builders)
        out = _ffi.graph_t(0)
        if backend is None:
            _call("wasinn_graph_load", arr, n, _coerce_encoding(encoding), _coerce_target(target), byref(out))
        else:
            _call("wasinn_graph_load_with_backend", arr, n, _coerce_encoding(encoding), _coerce_target(target),
                  backend.encode("utf-8"), byref(out))
        del keep
        return cls(out.value)

    @classmethod
    def load_file(cls, paths: Union[PathLike, Sequence[PathLike]], encoding: EncodingLike = Encoding.ONNX,
                  target: TargetLike = Target.CPU) -> Graph:
        """Loads a model from one file or a list of files (read here, handed over as bytes)."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        data = []
        for p in paths:
            with open(p, "rb") as f:
                data.append(f.read())
        return cls.load(data, encoding, target)

    @classmethod
    def load_by_name(cls, name: Union[str, BytesLike]) -> Graph:
        """The model registered as ``name`` in the host registry (see :func:`registry_add_files`)."""
        ptr, n, keep = _name_arg(name)
        out = _ffi.graph_t(0)
        _call("wasinn_graph_load_by_name", ptr, n, byref(out))
        del keep
        return cls(out.value)

    def _count(self, fn: str) -> int:
        n = c_size_t(0)
        _call(fn, self._h(), byref(n))
        return n.value

    def _shape(self, fn: str, index: int) -> Optional[Shape]:
        lib = load_library()
        f = getattr(lib, fn)
        rank = c_size_t(0)
        dims = (c_int64 * 8)()
        status = f(self._h(), index, dims, 8, byref(rank))
        if status == Status.TOO_LARGE and rank.value != RANK_UNKNOWN and rank.value > 8:
            dims = (c_int64 * rank.value)()
            status = f(self._h(), index, dims, rank.value, byref(rank))
        _check(status, fn)
        if rank.value == RANK_UNKNOWN:
            return None
        return tuple(None if d < 0 else int(d) for d in dims[: rank.value])

    def _type(self, fn: str, index: int) -> TensorTypeLike:
        t = c_uint32(0)
        _call(fn, self._h(), index, byref(t))
        try:
            return TensorType(t.value)
        except ValueError:
            return t.value

    def _infos(self, kind: str) -> List[TensorInfo]:
        lib = load_library()
        infos = []
        for i in range(self._count("wasinn_graph_%s_count" % kind)):
            name = _string_out(getattr(lib, "wasinn_graph_%s_name" % kind), self._h(), i)
            ttype = self._type("wasinn_graph_%s_type" % kind, i)
            shape = self._shape("wasinn_graph_%s_shape" % kind, i)
            infos.append(TensorInfo(name, dtype_of(ttype), shape, ttype))
        return infos

    @property
    def inputs(self) -> List[TensorInfo]:
        """``[(name, dtype, shape), ...]`` of the inputs, as :class:`TensorInfo`."""
        if self._inputs is None:
            self._inputs = self._infos("input")
        return list(self._inputs)

    @property
    def outputs(self) -> List[TensorInfo]:
        """``[(name, dtype, shape), ...]`` of the outputs, as :class:`TensorInfo`."""
        if self._outputs is None:
            self._outputs = self._infos("output")
        return list(self._outputs)

    def quantization(self, kind: str, index: int) -> Optional[Tuple[float, int]]:
        """``(scale, zero_point)`` of input (``kind="input"``) or output (``"output"``) ``index``
        when the model quantizes it per tensor (real value = scale * (q - zero_point)), else None."""
        if kind not in ("input", "output"):
            raise ValueError("kind is 'input' or 'output'")
        q, scale, zp = c_uint32(0), c_float(0.0), c_int64(0)
        _call("wasinn_graph_%s_quantization" % kind, self._h(), index, byref(q), byref(scale), byref(zp))
        return (scale.value, zp.value) if q.value else None

    @property
    def input_names(self) -> List[str]:
        return [i.name for i in self.inputs]

    @property
    def output_names(self) -> List[str]:
        return [o.name for o in self.outputs]

    @property
    def backend_name(self) -> str:
        """The name of the backend serving this graph (e.g. ``"tract"``)."""
        return _string_out(load_library().wasinn_graph_backend_name, self._h())

    def create_execution_context(self) -> ExecutionContext:
        """A new :class:`ExecutionContext` on this graph."""
        return ExecutionContext(self)

    init_execution_context = create_execution_context

    def __repr__(self) -> str:
        return "<wasinn.Graph %s>" % ("closed" if self.closed else "handle=%d" % self._handle)


class ExecutionContext(_Handle):
    """Inputs, compute and outputs of one inference stream over a graph (``wasinn_exec_ctx_t``).
    Not thread-safe itself; use one context per thread."""

    _free_fn = "wasinn_exec_ctx_free"
    _what = "ExecutionContext"

    def __init__(self, graph: Graph) -> None:
        if not isinstance(graph, Graph):
            raise TypeError("ExecutionContext needs a Graph")
        out = _ffi.exec_ctx_t(0)
        _call("wasinn_exec_ctx_new", graph._h(), byref(out))
        self._handle = out.value
        self.graph = graph  # keeps the Graph object around
        try:
            # Names resolve outputs to indices for type/shape queries, even after graph.close().
            self._output_names = graph.output_names
        except BaseException:
            self.close()
            raise

    def set_input(self, key: Key, array: npt.ArrayLike, tensor_type: Optional[TensorTypeLike] = None) -> None:
        """Sets input ``key`` (an index or a name) from an array (copied during the call). The tensor
        type follows the dtype unless ``tensor_type`` is given (needed for BF16: pass the raw bits as
        uint16 with ``tensor_type=TensorType.BF16``)."""
        t, keep = _tensor_arg(array, tensor_type)
        if isinstance(key, str):
            ptr, n, kn = _name_arg(key)
            _call("wasinn_exec_ctx_set_input_by_name", self._h(), ptr, n, byref(t))
        else:
            _call("wasinn_exec_ctx_set_input", self._h(), _index(key), byref(t))
        del keep

    def compute(self) -> None:
        """Runs the graph on the inputs set so far."""
        _call("wasinn_exec_ctx_compute", self._h())

    def output_type(self, index: int) -> TensorTypeLike:
        """The TensorType of output ``index`` after compute."""
        t = c_uint32(0)
        _call("wasinn_exec_ctx_output_type", self._h(), _index(index), byref(t))
        try:
            return TensorType(t.value)
        except ValueError:
            return t.value

    def output_shape(self, index: int) -> Tuple[int, ...]:
        """The concrete shape of output ``index`` after compute."""
        f = load_library().wasinn_exec_ctx_output_shape
        rank = c_size_t(0)
        dims = (c_uint32 * 8)()
        status = f(self._h(), _index(index), dims, 8, byref(rank))
        if status == Status.TOO_LARGE and rank.value > 8:
            dims = (c_uint32 * rank.value)()
            status = f(self._h(), _index(index), dims, rank.value, byref(rank))
        _check(status, "wasinn_exec_ctx_output_shape")
        return tuple(int(d) for d in dims[: rank.value])

    def _output_index(self, key: Key) -> int:
        if not isinstance(key, str):
            return _index(key)
        if key in self._output_names:
            return self._output_names.index(key)
        # Let the library report it (NotFound with its own message).
        self.get_output_bytes(key, 0)
        raise AssertionError("unreachable: output %r resolved by the library but not by the graph" % key)

    def get_output_bytes(self, key: Key, size_hint: Optional[int] = None) -> bytes:
        """The raw bytes of output ``key`` (index or name). Starts with ``size_hint`` bytes (default:
        what type and shape say) and retries once with the size the library reports as needed."""
        lib = load_library()
        if isinstance(key, str):
            ptr, n, keep = _name_arg(key)
            fn, name = lib.wasinn_exec_ctx_get_output_by_name, "wasinn_exec_ctx_get_output_by_name"
            args = (self._h(), ptr, n)
        else:
            fn, name = lib.wasinn_exec_ctx_get_output, "wasinn_exec_ctx_get_output"
            args = (self._h(), _index(key))
        if size_hint is None:
            size_hint = 4096
        out_len = c_size_t(0)
        buf = np.empty(max(1, size_hint), dtype=np.uint8)
        status = fn(*args, buf.ctypes.data, size_hint, byref(out_len))
        if status == Status.TOO_LARGE and out_len.value > size_hint:
            buf = np.empty(max(1, out_len.value), dtype=np.uint8)
            status = fn(*args, buf.ctypes.data, out_len.value, byref(out_len))
        _check(status, name)
        return buf[: out_len.value].tobytes()

    def get_output(self, key: Key) -> npt.NDArray[Any]:
        """Output ``key`` (index or name) as an ndarray with the output's dtype and shape."""
        index = self._output_index(key)
        ttype = self.output_type(index)
        shape = self.output_shape(index)
        if dtype_of(ttype) is None:
            raise InvalidArgument(Status.INVALID_ARGUMENT, "output %r has unsupported tensor type %r" % (key, ttype))
        count = int(np.prod(shape, dtype=np.int64))
        bits = PACKED_BITS.get(TensorType(ttype))
        if ttype == TensorType.STRING:
            expected = None  # the library reports the size: one retry at most
        elif bits is not None:
            expected = (count * bits + 7) // 8
        else:
            expected = count * dtype_of(ttype).itemsize
        data = self.get_output_bytes(key if isinstance(key, str) else index, expected)
        return _array_from(ttype, shape, data)

    def get_outputs(self) -> Dict[str, npt.NDArray[Any]]:
        """Every output, as ``{name: ndarray}`` in the graph's output order."""
        return {name: self.get_output(i) for i, name in enumerate(self._output_names)}

    def compute_named(self, inputs: Mapping[str, InputValue]) -> Dict[str, npt.NDArray[Any]]:
        """Sets the inputs given as ``{name: array}`` (or ``{name: (array, tensor_type)}``), computes
        and returns ``{name: ndarray}`` for every output, in one library call."""
        items = list(inputs.items())
        arr = (NamedTensor * max(1, len(items)))()
        keep = []
        for i, (name, value) in enumerate(items):
            if isinstance(value, tuple) and len(value) == 2:
                value, ttype = value
            else:
                ttype = None
            t, k = _tensor_arg(value, ttype)
            ptr, n, kn = _name_arg(name)
            keep.extend((k, kn))
            arr[i].name = ptr
            arr[i].name_len = n
            arr[i].tensor = t
        outs = _ffi.outputs_t(0)
        _call("wasinn_exec_ctx_compute_named", self._h(), arr, len(items), byref(outs))
        del keep
        try:
            return _read_outputs(outs.value)
        finally:
            _call("wasinn_outputs_free", outs.value)

    def __repr__(self) -> str:
        return "<wasinn.ExecutionContext %s>" % ("closed" if self.closed else "handle=%d" % self._handle)


def _index(key: Union[int, Any]) -> int:
    index = int(key)
    if index < 0:
        raise InvalidArgument(Status.INVALID_ARGUMENT, "negative index %d" % index)
    return index


def _read_outputs(handle: int) -> Dict[str, npt.NDArray[Any]]:
    n = c_size_t(0)
    _call("wasinn_outputs_count", handle, byref(n))
    result = {}
    for i in range(n.value):
        name_ptr = POINTER(c_char)()
        name_len = c_size_t(0)
        t = Tensor()
        _call("wasinn_outputs_get", handle, i, byref(name_ptr), byref(name_len), byref(t))
        name = ctypes.string_at(name_ptr, name_len.value).decode("utf-8") if name_len.value else ""
        dims = [t.dims[j] for j in range(t.rank)]
        data = ctypes.string_at(t.data, t.data_len) if t.data_len else b""
        result[name] = _array_from(t.type, dims, data)
    return result


# ------------------------------------------------------------------ registry --

def registry_add_files(name: str, paths: Union[PathLike, Sequence[PathLike]], encoding: EncodingLike = Encoding.ONNX,
                       target: TargetLike = Target.CPU) -> None:
    """Registers model file(s) under ``name`` for :meth:`Graph.load_by_name` (loaded now)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    raw = [os.fsencode(p) for p in paths]
    arr = (ctypes.c_char_p * max(1, len(raw)))(*raw)
    _call("wasinn_registry_add_files", name.encode("utf-8"), _coerce_encoding(encoding), _coerce_target(target),
          arr, len(raw))


def registry_add_bytes(name: str, builders: Builders, encoding: EncodingLike = Encoding.ONNX,
                       target: TargetLike = Target.CPU) -> None:
    """Registers model bytes under ``name`` (copied; loaded now)."""
    arr, n, keep = _byte_buffers(builders)
    _call("wasinn_registry_add_bytes", name.encode("utf-8"), _coerce_encoding(encoding), _coerce_target(target),
          arr, n)
    del keep


def registry_preload(spec: str) -> None:
    """Registers models from ``name:encoding:target:path[:path...]`` specs separated by ``;``."""
    _call("wasinn_registry_preload", spec.encode("utf-8"))


def registry_remove(name: str) -> None:
    """Unregisters ``name``; graphs already loaded from it stay usable."""
    _call("wasinn_registry_remove", name.encode("utf-8"))


# Short aliases matching the brief's "Registry helpers".
add_files = registry_add_files
add_bytes = registry_add_bytes
preload = registry_preload


class Registry:
    """The host registry of named models, as static methods (same as the module functions)."""

    add_files = staticmethod(registry_add_files)
    add_bytes = staticmethod(registry_add_bytes)
    preload = staticmethod(registry_preload)
    remove = staticmethod(registry_remove)
