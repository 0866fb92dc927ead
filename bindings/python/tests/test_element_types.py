"""The library-extension element types in the binding: the packing of the 4- and 2-bit types and the
string framing against onnx's own serializer (an independent reference), dtype inference from
ml_dtypes and string arrays, and round trips through the library (tract: strings and rank-0
tensors)."""

import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasinn
from wasinn._types import decode_elements, encode_elements
from conftest import make_model

PACKED = [
    (wasinn.TensorType.I4, ml_dtypes.int4, range(-8, 8)),
    (wasinn.TensorType.U4, ml_dtypes.uint4, range(0, 16)),
    (wasinn.TensorType.I2, ml_dtypes.int2, range(-2, 2)),
    (wasinn.TensorType.U2, ml_dtypes.uint2, range(0, 4)),
]
FLOATS = [
    (wasinn.TensorType.FP8_E4M3FN, ml_dtypes.float8_e4m3fn),
    (wasinn.TensorType.FP8_E4M3FNUZ, ml_dtypes.float8_e4m3fnuz),
    (wasinn.TensorType.FP8_E5M2, ml_dtypes.float8_e5m2),
    (wasinn.TensorType.FP8_E5M2FNUZ, ml_dtypes.float8_e5m2fnuz),
    (wasinn.TensorType.FP8_E8M0, ml_dtypes.float8_e8m0fnu),
    (wasinn.TensorType.FP4_E2M1, ml_dtypes.float4_e2m1fn),
]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("ttype,dtype,values", PACKED, ids=lambda x: getattr(x, "name", None))
def test_packed_integers_match_onnx_packing(ttype, dtype, values, n):
    arr = np.resize(np.array(list(values), dtype=np.int64), n).astype(dtype)
    data = encode_elements(arr, ttype)
    assert data == numpy_helper.from_array(arr).raw_data
    assert len(data) == (n * (4 if ttype in (wasinn.TensorType.I4, wasinn.TensorType.U4) else 2) + 7) // 8
    back = decode_elements(data, ttype, n)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back.astype(np.int64), arr.astype(np.int64))


@pytest.mark.parametrize("ttype,dtype", FLOATS, ids=lambda x: getattr(x, "name", None))
def test_small_floats_match_onnx_bytes(ttype, dtype):
    arr = np.array([0.0, 0.5, 1.0, 2.0, 4.0, -1.5 if "e8m0" not in np.dtype(dtype).name else 8.0, 6.0],
                   dtype=np.float32).astype(dtype)
    assert wasinn.tensor_type_of(arr.dtype) == ttype
    assert wasinn.dtype_of(ttype) == np.dtype(dtype)
    data = encode_elements(arr, ttype)
    assert data == numpy_helper.from_array(arr).raw_data
    back = decode_elements(data, ttype, arr.size)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back.view(np.uint8), arr.view(np.uint8))


def test_string_framing():
    arr = np.array(["ab", "", "\u00e9t\u00e9"], dtype=object)
    data = encode_elements(arr, wasinn.TensorType.STRING)
    assert data == b"\x02\x00\x00\x00ab" + b"\x00\x00\x00\x00" + b"\x05\x00\x00\x00" + "\u00e9t\u00e9".encode()
    back = decode_elements(data, wasinn.TensorType.STRING, 3)
    assert back.dtype == object and list(back) == [b"ab", b"", "\u00e9t\u00e9".encode()]
    for dt in ("U3", "S3", object):
        assert wasinn.tensor_type_of(np.dtype(dt)) == wasinn.TensorType.STRING
    assert wasinn.tensor_type_of(ml_dtypes.bfloat16) == wasinn.TensorType.BF16


def test_strings_round_trip_through_tract():
    model = make_model([helper.make_node("Identity", ["x"], ["y"])],
                       [("x", TensorProto.STRING, [2, 2])], [("y", TensorProto.STRING, [2, 2])])
    x = np.array([["hello", ""], ["\u00e9t\u00e9", "a b"]])
    with wasinn.Graph.load(model, backend="tract") as g:
        assert g.inputs[0].tensor_type == wasinn.TensorType.STRING
        assert g.inputs[0].dtype == np.dtype(object)
        with g.create_execution_context() as ctx:
            ctx.set_input("x", x)
            ctx.compute()
            y = ctx.get_output("y")
            assert ctx.output_type(0) == wasinn.TensorType.STRING
            assert y.shape == (2, 2) and y.dtype == object
            assert y.tolist() == [[b"hello", b""], ["\u00e9t\u00e9".encode(), b"a b"]]
            # The same through the one-call path (wasinn_outputs_get).
            out = ctx.compute_named({"x": np.array([[b"1", b"22"], [b"333", b""]], dtype=object)})
            assert out["y"].tolist() == [[b"1", b"22"], [b"333", b""]]
            with pytest.raises(wasinn.InvalidArgument, match="UTF-8"):
                ctx.set_input("x", np.array([[b"\xff", b""], [b"", b""]], dtype=object))
            with pytest.raises(wasinn.InvalidArgument, match="str or bytes"):
                ctx.set_input("x", np.ones((2, 2), np.float32), tensor_type=wasinn.TensorType.STRING)


def test_rank_0_tensors_stay_rank_0():
    # np.ascontiguousarray turns a 0-d array into shape (1,); the binding must not.
    model = make_model([helper.make_node("Identity", ["x"], ["y"])], [("x", np.float32, [])], [("y", np.float32, [])])
    with wasinn.Graph.load(model, backend="tract") as g, g.create_execution_context() as ctx:
        ctx.set_input(0, np.array(2.5, np.float32))
        ctx.compute()
        y = ctx.get_output(0)
        assert y.shape == () and y.dtype == np.float32 and float(y) == 2.5
        assert ctx.compute_named({"x": np.float32(-1.0)})["y"].shape == ()


def test_named_backend_is_used_without_fallback():
    model = make_model([helper.make_node("Identity", ["x"], ["y"])], [("x", np.float32, [2])], [("y", np.float32, [2])])
    with wasinn.Graph.load(model, backend="tract") as g:
        assert g.backend_name == "tract"
    with pytest.raises(wasinn.NotFound, match="no-such-backend"):
        wasinn.Graph.load(model, backend="no-such-backend")
