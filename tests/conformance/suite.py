"""The ONNX backend node test suite as data: cases, their inputs and expected outputs, and the
comparison rules every path (a backend called natively, or through libwasinn) is judged by.

A case is a directory of the `onnx` wheel (`onnx/backend/test/data/node/<case>/`) holding
`model.onnx` and `test_data_set_N/{input,output}_K.pb`. Values are loaded the way ONNX's own
backend test runner loads them: by the graph's declared type, a `TensorProto` as a numpy array
(`ml_dtypes` dtypes for bfloat16, the float8/float4 types and the 4- and 2-bit integers; an
object array of `bytes` for strings), a `SequenceProto` as a list, an `OptionalProto` as its
element or None. `compare` is the only judge: the same function decides for every path.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, TypeProto, numpy_helper

# ----------------------------------------------------------------------------------- tolerances --

# Per element type: (rtol, atol) for |actual - expected| <= atol + rtol * |expected|, NaN equal
# to NaN, infinities equal only to the same infinity. fp32/fp64 use the ONNX backend test runner's
# own defaults (onnx/backend/test/loader: rtol 1e-3, atol 1e-7; no node case overrides them).
# fp16 and bf16 allow two units in the last place at 1.0 on top of that, since a backend may round
# intermediates in the narrow type where the reference rounded once. The 8-, 6- and 4-bit floats
# are compared exactly (after decoding): their only producers in the suite are Cast and
# QuantizeLinear, whose results are defined bit for bit. Integers, bool and strings: exact.
FLOAT_TOLERANCES: Dict[str, Tuple[float, float]] = {
    "float64": (1e-3, 1e-7),
    "float32": (1e-3, 1e-7),
    "float16": (2e-3, 1e-7),
    "bfloat16": (1.6e-2, 1e-7),
}
EXACT_FLOATS = {
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn",
}


def node_root() -> str:
    """The node suite shipped in the installed `onnx` wheel."""
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def list_cases(root: Optional[str] = None) -> List[str]:
    root = root or node_root()
    return sorted(c for c in os.listdir(root) if os.path.isfile(os.path.join(root, c, "model.onnx")))


# ----------------------------------------------------------------------------------------- values --

@dataclass
class Port:
    """One graph input or output: its name, declared type and the value of the test data set."""

    name: str
    type: TypeProto
    value: Any  # np.ndarray, list (sequence), None / value (optional)

    @property
    def kind(self) -> str:
        """tensor, sequence, optional, map or sparse_tensor: the declared value kind."""
        return self.type.WhichOneof("value") or "undefined"


@dataclass
class Case:
    name: str
    dir: str
    model_bytes: bytes
    inputs: List[Port]
    outputs: List[Port]
    data_sets: int = 1
    file: str = "model.onnx"

    @property
    def model_path(self) -> str:
        return os.path.join(self.dir, self.file)


# How each declared value kind is stored in a .pb file and turned into a value (as ONNX's runner does).
_LOADERS = {
    "tensor_type": (TensorProto, numpy_helper.to_array),
    "sequence_type": (onnx.SequenceProto, numpy_helper.to_list),
    "optional_type": (onnx.OptionalProto, numpy_helper.to_optional),
    "map_type": (onnx.MapProto, numpy_helper.to_dict),
}


def _load_value(path: str, type_proto: TypeProto) -> Any:
    kind = type_proto.WhichOneof("value")
    if kind not in _LOADERS:
        raise ValueError("%s: values of kind %s cannot be loaded" % (path, kind))
    proto_class, convert = _LOADERS[kind]
    proto = proto_class()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return convert(proto)


def load_case(name: str, root: Optional[str] = None, data_set: int = 0) -> Case:
    """The case's model and its data set `data_set` (every node case has exactly one)."""
    root = root or node_root()
    case_dir = os.path.join(root, name)
    with open(os.path.join(case_dir, "model.onnx"), "rb") as f:
        model_bytes = f.read()
    model = onnx.load_from_string(model_bytes)
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    ds = os.path.join(case_dir, "test_data_set_%d" % data_set)
    n_in = len([f for f in os.listdir(ds) if f.startswith("input_")])
    n_out = len([f for f in os.listdir(ds) if f.startswith("output_")])
    # The runner feeds input_K to the K-th graph input; missing trailing inputs stay unset
    # (optional inputs), exactly as ONNX's runner does.
    inputs = [Port(graph_inputs[k].name, graph_inputs[k].type,
                   _load_value(os.path.join(ds, "input_%d.pb" % k), graph_inputs[k].type)) for k in range(n_in)]
    outputs = [Port(model.graph.output[k].name, model.graph.output[k].type,
                    _load_value(os.path.join(ds, "output_%d.pb" % k), model.graph.output[k].type))
               for k in range(n_out)]
    sets = len([d for d in os.listdir(case_dir) if d.startswith("test_data_set_")])
    return Case(name, case_dir, model_bytes, inputs, outputs, sets)


def non_tensor_ports(case: Case) -> List[str]:
    """Inputs/outputs whose values are not tensors (sequences, maps, empty optionals): wasi-nn and
    the C API exchange tensors only, so such a case is outside what any wasi-nn host can express.
    An optional tensor that holds a value is exchanged as that tensor."""
    out = []
    for what, ports in (("input", case.inputs), ("output", case.outputs)):
        for p in ports:
            if p.kind == "tensor_type":
                continue
            if p.kind == "optional_type" and p.type.optional_type.elem_type.HasField("tensor_type"):
                if p.value is not None:
                    continue
                out.append("%s %r is an empty optional" % (what, p.name))
                continue
            kind = p.kind.replace("_type", "")
            out.append("%s %r is a%s %s" % (what, p.name, "n" if kind[0] in "aeiou" else "", kind))
    return out


def element_types(case: Case) -> List[str]:
    """ONNX element type names of the case's tensor inputs and outputs."""
    names = set()
    for p in case.inputs + case.outputs:
        if p.kind == "tensor_type":
            names.add(TensorProto.DataType.Name(p.type.tensor_type.elem_type))
    return sorted(names)


# ------------------------------------------------------------------------------------- comparison --

def _dtype_name(arr: np.ndarray) -> str:
    return "string" if arr.dtype == object else arr.dtype.name


def compare_tensor(expected: np.ndarray, actual: Any, where: str) -> Optional[str]:
    """None when `actual` matches `expected` under the rules above, else why not."""
    if not isinstance(actual, np.ndarray):
        return "%s: expected a tensor, got %s" % (where, type(actual).__name__)
    et, at = _dtype_name(expected), _dtype_name(actual)
    if et != at:
        return "%s: element type %s, expected %s" % (where, at, et)
    if tuple(actual.shape) != tuple(expected.shape):
        return "%s: shape %s, expected %s" % (where, tuple(actual.shape), tuple(expected.shape))
    if expected.size == 0:
        return None
    if et == "string":
        a = [x.encode() if isinstance(x, str) else bytes(x) for x in actual.ravel()]
        e = [x.encode() if isinstance(x, str) else bytes(x) for x in expected.ravel()]
        bad = [i for i, (x, y) in enumerate(zip(a, e)) if x != y]
        return None if not bad else "%s: %d of %d strings differ (first at %d: %r, expected %r)" % (
            where, len(bad), len(e), bad[0], a[bad[0]], e[bad[0]])
    if et in FLOAT_TOLERANCES or et in EXACT_FLOATS:
        rtol, atol = FLOAT_TOLERANCES.get(et, (0.0, 0.0))
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        nan_a, nan_e = np.isnan(a), np.isnan(e)
        with np.errstate(invalid="ignore", over="ignore"):
            close = (a == e) | (np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e)))
        ok = np.where(nan_e | nan_a, nan_e & nan_a, close)
        if ok.all():
            return None
        bad = np.flatnonzero(~ok)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a - e)
        finite = diff[np.isfinite(diff)]
        return "%s: %d of %d values differ beyond rtol %g atol %g (max abs diff %s; first at %d: %r, expected %r)" % (
            where, bad.size, e.size, rtol, atol, ("%.3g" % finite.max()) if finite.size else "nan/inf",
            int(bad[0]), float(a.ravel()[bad[0]]), float(e.ravel()[bad[0]]))
    # integers and bool: exact
    ok = np.asarray(actual == expected)
    if ok.all():
        return None
    bad = np.flatnonzero(~ok)
    return "%s: %d of %d values differ (first at %d: %r, expected %r)" % (
        where, bad.size, expected.size, int(bad[0]), actual.ravel()[bad[0]].item(), expected.ravel()[bad[0]].item())


def compare_value(expected: Any, actual: Any, where: str) -> Optional[str]:
    """Tensors, sequences (same length, element by element) and optionals (both empty, or both
    holding matching values)."""
    if isinstance(expected, np.ndarray):
        return compare_tensor(expected, actual, where)
    if isinstance(expected, list):
        if not isinstance(actual, (list, tuple)):
            return "%s: expected a sequence, got %s" % (where, type(actual).__name__)
        if len(actual) != len(expected):
            return "%s: sequence of %d, expected %d" % (where, len(actual), len(expected))
        for i, (e, a) in enumerate(zip(expected, actual)):
            why = compare_value(e, a, "%s[%d]" % (where, i))
            if why:
                return why
        return None
    if expected is None:
        return None if actual is None else "%s: expected an empty optional, got a value" % where
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return "%s: map keys differ" % where
        for k in expected:
            why = compare_value(np.asarray(expected[k]), np.asarray(actual[k]), "%s[%r]" % (where, k))
            if why:
                return why
        return None
    return "%s: cannot compare values of type %s" % (where, type(expected).__name__)


def compare_outputs(case: Case, actual: List[Any]) -> Optional[str]:
    """Outputs are matched by position (output_K.pb is the K-th graph output)."""
    if len(actual) != len(case.outputs):
        return "%d outputs, expected %d" % (len(actual), len(case.outputs))
    for port, a in zip(case.outputs, actual):
        why = compare_value(port.value, a, "output %r" % port.name)
        if why:
            return why
    return None


def max_abs_diff(a: Any, b: Any) -> Optional[float]:
    """Largest |a - b| over two outputs of the same structure (0.0 when bit-identical, inf when
    a NaN/inf pattern or a non-numeric element differs); None when the structures differ."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or _dtype_name(a) != _dtype_name(b):
            return None
        if a.size == 0:
            return 0.0
        if a.dtype == object:
            return 0.0 if all(x == y for x, y in zip(a.ravel(), b.ravel())) else math.inf
        x, y = a.astype(np.float64), b.astype(np.float64)
        nx, ny = np.isnan(x), np.isnan(y)
        if (nx != ny).any():
            return math.inf
        x, y = x[~nx], y[~ny]
        same = x == y
        if same.all():
            return 0.0
        d = np.abs(x[~same] - y[~same])
        return float(d.max()) if np.isfinite(d).all() else math.inf
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return None
        diffs = [max_abs_diff(x, y) for x, y in zip(a, b)]
        return None if any(d is None for d in diffs) else max(diffs, default=0.0)
    if a is None and b is None:
        return 0.0
    return None


# ml_dtypes dtypes by ONNX element type (for the paths that carry raw bits).
ONNX_DTYPES = {
    TensorProto.BFLOAT16: np.dtype(ml_dtypes.bfloat16),
    TensorProto.FLOAT8E4M3FN: np.dtype(ml_dtypes.float8_e4m3fn),
    TensorProto.FLOAT8E4M3FNUZ: np.dtype(ml_dtypes.float8_e4m3fnuz),
    TensorProto.FLOAT8E5M2: np.dtype(ml_dtypes.float8_e5m2),
    TensorProto.FLOAT8E5M2FNUZ: np.dtype(ml_dtypes.float8_e5m2fnuz),
    TensorProto.FLOAT8E8M0: np.dtype(ml_dtypes.float8_e8m0fnu),
    TensorProto.FLOAT4E2M1: np.dtype(ml_dtypes.float4_e2m1fn),
    TensorProto.INT4: np.dtype(ml_dtypes.int4),
    TensorProto.UINT4: np.dtype(ml_dtypes.uint4),
    TensorProto.INT2: np.dtype(ml_dtypes.int2),
    TensorProto.UINT2: np.dtype(ml_dtypes.uint2),
}
