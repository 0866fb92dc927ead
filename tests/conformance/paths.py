"""The ways a case is run: each backend through its own Python API (the reference, "native"),
and each backend through libwasinn's C API (the Python ctypes binding, "wasinn").

Every runner takes a loaded `suite.Case` and returns the outputs in graph output order, as the
values `suite.compare_outputs` judges (numpy arrays with the ONNX element type's dtype). A runner
raises `Unsupported` when the path refuses the case cleanly (an operator, element type or value
kind it does not handle) and any other exception for a failure.

Native paths use each library the way its documentation shows, with the settings libwasinn's
plugins use, so that a difference is the wrapper's and not a configuration's:
- onnxruntime: an `InferenceSession` on the CPU provider with default session options. Element
  types numpy lacks (bfloat16, float8, int4/uint4, int2/uint2, float4) go in as `OrtValue`s
  built from their raw ONNX bytes and come out through `OrtValue.data_ptr()` (ORT's Python
  `numpy()` cannot return them).
- openvino: `Core.compile_model` on CPU with `INFERENCE_PRECISION_HINT=f32`, the precision the
  libwasinn plugin uses by default (see ../shared/DEPENDENCIES.md), inputs as `ov.Tensor`s of the
  model's element types.
- tract: the `tract` wheel (same tract version as the built-in backend): the model loaded, each
  input's fact set from the given value, `into_model().into_runnable().run(...)`. The wheel
  exchanges numpy numeric and bool arrays only.
"""

from __future__ import annotations

import ctypes
import math
import os
from typing import Any, Dict, List, Optional

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import suite


class Unsupported(Exception):
    """The path refuses the case cleanly (what it says)."""


# ---------------------------------------------------------------------------- raw ONNX element bits --

def raw_bytes(arr: np.ndarray) -> bytes:
    """The little-endian raw bytes ONNX stores for `arr` (sub-byte types packed two or four per
    byte, the first element in the low bits), from onnx's own serializer."""
    return numpy_helper.from_array(arr).raw_data


def from_raw(elem_type: int, dims: List[int], raw: bytes) -> np.ndarray:
    """An array (ONNX's dtype for `elem_type`) from raw bytes as ONNX stores them."""
    t = helper.make_tensor("t", elem_type, dims, raw, raw=True)
    return numpy_helper.to_array(t)


def onnx_elem_type(arr: np.ndarray) -> int:
    if arr.dtype == object:
        return TensorProto.STRING
    return helper.np_dtype_to_tensor_dtype(arr.dtype)


def byte_size(elem_type: int, n: int) -> int:
    if elem_type in (TensorProto.INT4, TensorProto.UINT4, TensorProto.FLOAT4E2M1):
        return (n + 1) // 2
    if elem_type in (TensorProto.INT2, TensorProto.UINT2):
        return (n + 3) // 4
    return n * helper.tensor_dtype_to_np_dtype(elem_type).itemsize


# ----------------------------------------------------------------------------------- onnxruntime --

_NUMPY_NATIVE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                 "uint32", "uint64", "bool"}


def run_onnxruntime_native(case: suite.Case) -> List[Any]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(case.model_bytes, so, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - ORT raises its own classes by status
        text = str(e)
        if "NOT_IMPLEMENTED" in text or "Could not find an implementation" in text:
            raise Unsupported("onnxruntime: %s" % text.strip()[:300]) from None
        raise
    feeds: Dict[str, Any] = {}
    if not any(_numpy_lacks(p.value) for p in case.inputs) and not any(_exotic_decl(o) for o in case.outputs):
        results = sess.run([o.name for o in case.outputs], {p.name: p.value for p in case.inputs})
        return [_ort_plain(r) for r in results]
    # Types numpy lacks go in as OrtValues of their raw ONNX bytes, and come out through
    # OrtValues (ORT returns float8 as uint8, bf16 as uint16, the packed types not at all).
    for p in case.inputs:
        v = p.value
        if _numpy_lacks(v):
            et = onnx_elem_type(v)
            # ORT copies the tensor's byte size (ceil(n*bits/8)) from the start of the buffer and
            # takes the shape from the array: hand it the packed bytes in an array of that shape.
            holder = np.zeros(max(v.size, 1) * max(v.dtype.itemsize, 1), np.uint8)
            raw = np.frombuffer(raw_bytes(v), np.uint8)
            holder[: raw.size] = raw
            holder = holder[: v.size * v.dtype.itemsize].view(_uint_of(v.dtype.itemsize)).reshape(v.shape)
            feeds[p.name] = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(holder, et)
        elif isinstance(v, np.ndarray):
            feeds[p.name] = ort.OrtValue.ortvalue_from_numpy(v)
        else:
            raise Unsupported("onnxruntime native: a %s input beside element types numpy lacks" % p.kind)
    outs = sess.run_with_ort_values([o.name for o in case.outputs], feeds)
    return [_ort_value(o) for o in outs]


def _numpy_lacks(v: Any) -> bool:
    """A numeric array of an element type numpy itself lacks (an ml_dtypes dtype)."""
    return isinstance(v, np.ndarray) and v.dtype != object and v.dtype.name not in _NUMPY_NATIVE


def _exotic_decl(port: suite.Port) -> bool:
    if port.kind != "tensor_type":
        return False
    et = port.type.tensor_type.elem_type
    return et in suite.ONNX_DTYPES or et == 0


def _uint_of(itemsize: int) -> type:
    return {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[itemsize]


def _ort_plain(r: Any) -> Any:
    if isinstance(r, np.ndarray) and r.dtype.kind == "U":
        return np.array([x.encode() for x in r.ravel()], dtype=object).reshape(r.shape)
    if isinstance(r, np.ndarray) and r.dtype == object:
        return np.array([x.encode() if isinstance(x, str) else x for x in r.ravel()], dtype=object).reshape(r.shape)
    if isinstance(r, list):
        return [_ort_plain(x) for x in r]
    return r


_ORT_TYPES = {
    "tensor(bfloat16)": TensorProto.BFLOAT16,
    "tensor(float8e4m3fn)": TensorProto.FLOAT8E4M3FN,
    "tensor(float8e4m3fnuz)": TensorProto.FLOAT8E4M3FNUZ,
    "tensor(float8e5m2)": TensorProto.FLOAT8E5M2,
    "tensor(float8e5m2fnuz)": TensorProto.FLOAT8E5M2FNUZ,
    "tensor(float8e8m0)": TensorProto.FLOAT8E8M0,
    "tensor(float4e2m1)": TensorProto.FLOAT4E2M1,
    "tensor(int4)": TensorProto.INT4,
    "tensor(uint4)": TensorProto.UINT4,
    "tensor(int2)": TensorProto.INT2,
    "tensor(uint2)": TensorProto.UINT2,
}


def _ort_value(v: Any) -> Any:
    if not v.is_tensor():
        raise Unsupported("onnxruntime native: a non-tensor output next to exotic element types")
    et = _ORT_TYPES.get(v.data_type())
    if et is None:
        return _ort_plain(v.numpy())
    shape = list(v.shape())
    n = int(np.prod(shape, dtype=np.int64))
    raw = ctypes.string_at(v.data_ptr(), byte_size(et, n)) if n else b""
    return from_raw(et, shape, raw)


# -------------------------------------------------------------------------------------- openvino --

_OV_CORE = None


def _ov_core() -> Any:
    global _OV_CORE
    if _OV_CORE is None:
        import openvino as ov
        _OV_CORE = ov.Core()
    return _OV_CORE


_OV_FROM_ONNX = {
    TensorProto.BFLOAT16: "bf16", TensorProto.FLOAT8E4M3FN: "f8e4m3", TensorProto.FLOAT8E5M2: "f8e5m2",
    TensorProto.FLOAT8E8M0: "f8e8m0", TensorProto.FLOAT4E2M1: "f4e2m1", TensorProto.INT4: "i4",
    TensorProto.UINT4: "u4", TensorProto.UINT2: "u2",
}
_ONNX_FROM_OV = {v: k for k, v in _OV_FROM_ONNX.items()}


def run_openvino_native(case: suite.Case) -> List[Any]:
    import openvino as ov

    core = _ov_core()
    try:
        model = core.read_model(case.model_path)
        compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    except Exception as e:  # noqa: BLE001
        text = str(e)
        if "not supported" in text.lower() or "no conversion rule" in text.lower() or "unsupported" in text.lower():
            raise Unsupported("openvino: %s" % text.strip()[:300]) from None
        raise
    req = compiled.create_infer_request()
    # By name: OpenVINO drops inputs the graph never reads (CastLike's second input, say). A
    # parameter feeding a result directly may carry the result's name instead (Dropout in
    # inference is an identity): with as many parameters as values, position decides.
    by_name = {p.name: p for p in case.inputs}
    ports = list(compiled.inputs)
    for i, port in enumerate(ports):
        p = next((by_name[n] for n in port.get_names() if n in by_name), None)
        if p is None and len(ports) == len(case.inputs):
            p = case.inputs[i]
        if p is None:
            raise RuntimeError("openvino input %s has no value in the test data" % sorted(port.get_names()))
        if not isinstance(p.value, np.ndarray):
            raise Unsupported("openvino native: input %r is a %s" % (p.name, p.kind))
        req.set_tensor(port, _ov_tensor(ov, p.value))
    req.infer()
    outs = []
    for o in case.outputs:
        if o.kind != "tensor_type":
            raise Unsupported("openvino native: output %r is a %s" % (o.name, o.kind))
        port = next((q for q in compiled.outputs if o.name in q.get_names()), None)
        if port is None and len(compiled.outputs) == len(case.outputs):
            port = compiled.outputs[case.outputs.index(o)]
        if port is None:
            raise RuntimeError("openvino has no output named %r" % o.name)
        outs.append(_from_ov(req.get_tensor(port)))
    return outs


_OV_NUMPY = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16", "int32": "i32",
             "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "bool": "boolean"}


def _ov_tensor(ov: Any, v: np.ndarray) -> Any:
    if v.dtype == object:
        strings = np.array([x.decode("utf-8", "surrogateescape") if isinstance(x, bytes) else x for x in v.ravel()])
        return ov.Tensor(strings.reshape(v.shape))
    name = _OV_FROM_ONNX.get(onnx_elem_type(v)) or _OV_NUMPY.get(v.dtype.name)
    if name is None:
        raise Unsupported("openvino native: no OpenVINO element type for %s" % v.dtype.name)
    # A tensor of the model's element type and the value's exact shape (rank 0 included), filled
    # with the raw ONNX bytes.
    t = ov.Tensor(getattr(ov.Type, name), ov.Shape(list(v.shape)))
    raw = np.frombuffer(raw_bytes(v), np.uint8)
    dst = t.data.reshape(-1).view(np.uint8)
    if dst.size < raw.size:
        raise RuntimeError("openvino tensor holds %d bytes, %d needed" % (dst.size, raw.size))
    dst[: raw.size] = raw
    return t


def _from_ov(t: Any) -> np.ndarray:
    et_name = t.element_type.get_type_name()
    shape = list(t.shape)
    if et_name == "string":
        return np.array([x for x in t.bytes_data], dtype=object).reshape(shape)
    onnx_et = _ONNX_FROM_OV.get(et_name)
    if onnx_et is None:
        return np.array(t.data, copy=True)
    n = int(np.prod(shape, dtype=np.int64))
    raw = t.data.reshape(-1).view(np.uint8).tobytes()[: byte_size(onnx_et, n)]
    return from_raw(onnx_et, shape, raw)


# ----------------------------------------------------------------------------------------- tract --

_TRACT_DT = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16",
             "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
             "uint64": "u64", "bool": "bool"}


def run_tract_native(case: suite.Case) -> List[Any]:
    import tract

    for p in case.inputs:
        v = p.value
        if not isinstance(v, np.ndarray):
            raise Unsupported("tract native: input %r is a %s" % (p.name, p.kind))
        if v.dtype.name not in _TRACT_DT:
            raise Unsupported("tract native: the tract wheel exchanges no %s tensors"
                              % ("string" if v.dtype == object else v.dtype.name))
    for o in case.outputs:
        if o.kind != "tensor_type":
            raise Unsupported("tract native: output %r is a %s" % (o.name, o.kind))
    model = tract.onnx().load(case.model_path)
    for i, p in enumerate(case.inputs):
        dims = ",".join(str(d) for d in p.value.shape)
        spec = "%s,%s" % (dims, _TRACT_DT[p.value.dtype.name]) if dims else _TRACT_DT[p.value.dtype.name]
        model.set_input_fact(i, spec)
    runnable = model.into_model().into_runnable()
    results = runnable.run([p.value for p in case.inputs])
    return [r.to_numpy() for r in results]


# ---------------------------------------------------------------------------------------- wasinn --

def run_wasinn(case: suite.Case, backend: str) -> List[Any]:
    """The case through libwasinn's C API on `backend`, inputs and outputs by name."""
    import wasinn

    non_tensor = suite.non_tensor_ports(case)
    try:
        graph = wasinn.Graph.load(case.model_bytes, "onnx", "cpu", backend=backend)
    except wasinn.UnsupportedOperation as e:
        raise Unsupported("libwasinn: %s" % e) from None
    with graph:
        if non_tensor:
            # Loading must work (or fail cleanly) all the same; the values cannot be exchanged.
            raise Unsupported("outside the wasi-nn tensor model: " + "; ".join(non_tensor))
        with graph.create_execution_context() as ctx:
            try:
                for p in case.inputs:
                    ctx.set_input(p.name, p.value)
                ctx.compute()
                outs = []
                for o in case.outputs:
                    out = ctx.get_output(o.name)
                    if ctx.output_type(graph.output_names.index(o.name)) == wasinn.TensorType.BF16:
                        out = out.view(suite.ONNX_DTYPES[TensorProto.BFLOAT16])  # the binding's raw bits
                    outs.append(out)
                return outs
            except wasinn.UnsupportedOperation as e:
                raise Unsupported("libwasinn: %s" % e) from None


NATIVE = {"onnxruntime": run_onnxruntime_native, "openvino": run_openvino_native, "tract": run_tract_native}
BACKENDS = ("tract", "onnxruntime", "openvino")
