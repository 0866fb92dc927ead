"""Execution contexts: inputs/outputs by index and name, dtype round trips, compute_named,
errors as exceptions, the too-small-buffer retry."""

import numpy as np
import pytest
from onnx import helper

import wasinn
from conftest import add_model, identity_model, make_model

# Every element type tract computes with, as numpy dtypes (bf16 is tested separately).
DTYPES = [np.float16, np.float32, np.float64, np.uint8, np.int8, np.int32, np.int64,
          np.uint16, np.int16, np.uint32, np.uint64, np.bool_]


def sample(dtype, shape):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt == np.bool_:
        return (np.arange(n) % 3 == 0).reshape(shape)
    if dt.kind == "f":
        return (np.arange(n, dtype=np.float64) * 1.25 - 3).astype(dt).reshape(shape)
    info = np.iinfo(dt)
    vals = np.array([info.min, info.max, 0, 1, info.max // 3, info.min // 5 if info.min else 7], dtype=dt)
    return np.resize(vals, n).reshape(shape)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_identity_round_trip(dtype):
    x = sample(dtype, (2, 3))
    with wasinn.Graph.load(identity_model(dtype)) as g:
        assert g.inputs == [("x", np.dtype(dtype), (2, 3))]
        assert g.inputs[0].tensor_type == wasinn.tensor_type_of(dtype)
        with g.create_execution_context() as ctx:
            ctx.set_input(0, x)
            ctx.compute()
            for key in (0, "y"):
                y = ctx.get_output(key)
                assert y.dtype == np.dtype(dtype) and y.shape == (2, 3)
                np.testing.assert_array_equal(y, x)
            out = ctx.compute_named({"x": x})
            assert list(out) == ["y"]
            assert out["y"].dtype == np.dtype(dtype)
            np.testing.assert_array_equal(out["y"], x)


def test_dtype_mapping_is_one_to_one():
    for t in wasinn.TensorType:
        dt = wasinn.dtype_of(t)
        if t in (wasinn.TensorType.BF16, wasinn.TensorType.UNKNOWN):
            continue
        assert wasinn.tensor_type_of(dt) == t
    assert wasinn.dtype_of(wasinn.TensorType.BF16) == np.uint16
    assert wasinn.tensor_type_of(np.uint16) == wasinn.TensorType.U16
    assert wasinn.tensor_type_of(np.dtype(">f4")) == wasinn.TensorType.FP32
    with pytest.raises(ValueError):
        wasinn.tensor_type_of(np.complex64)


def test_bf16_helpers():
    f = np.array([1.0, -2.5, 3.140625, 0.0, np.inf, 1e-3], dtype=np.float32)
    bits = wasinn.float32_to_bf16(f)
    assert bits.dtype == np.uint16
    back = wasinn.bf16_to_float32(bits)
    np.testing.assert_allclose(back, f, rtol=2 ** -8)
    np.testing.assert_array_equal(back[:5], f[:5])  # exactly representable
    assert np.isnan(wasinn.bf16_to_float32(wasinn.float32_to_bf16(np.array([np.nan], np.float32))))[0]


def test_bf16_input_needs_two_byte_elements(add_graph):
    with add_graph.create_execution_context() as ctx:
        with pytest.raises(wasinn.InvalidArgument, match="2-byte"):
            ctx.set_input(0, np.ones((2, 3), np.float32), tensor_type=wasinn.TensorType.BF16)


def test_non_contiguous_and_big_endian_inputs(add_graph):
    a = np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]  # a strided view
    assert not a.flags.c_contiguous
    b = np.arange(6, dtype=">f4").reshape(2, 3)
    with add_graph.create_execution_context() as ctx:
        ctx.set_input("a", a)
        ctx.set_input("b", b)
        ctx.compute()
        np.testing.assert_array_equal(ctx.get_output(0), a + b.astype(np.float32))


def test_add_by_index_and_name(add_graph):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.full((2, 3), 0.5, np.float32)
    with add_graph.create_execution_context() as ctx:
        ctx.set_input(0, a)
        ctx.set_input("b", b)
        ctx.compute()
        np.testing.assert_array_equal(ctx.get_output(0), a + b)
        np.testing.assert_array_equal(ctx.get_output("sum"), a + b)
        assert list(ctx.get_outputs()) == ["sum"]
        assert ctx.get_output_bytes(0) == (a + b).tobytes()
        # compute_named in the same context, then plain compute again
        out = ctx.compute_named({"b": a, "a": a})
        np.testing.assert_array_equal(out["sum"], a + a)


def test_too_small_buffer_is_retried(add_graph):
    a = np.ones((2, 3), np.float32)
    with add_graph.create_execution_context() as ctx:
        ctx.set_input(0, a)
        ctx.set_input(1, a)
        ctx.compute()
        for hint in (0, 1, 23):
            assert ctx.get_output_bytes(0, size_hint=hint) == (a + a).tobytes()
            assert ctx.get_output_bytes("sum", size_hint=hint) == (a + a).tobytes()
        assert ctx.get_output_bytes(0, size_hint=1 << 16) == (a + a).tobytes()


def test_too_large_is_an_exception_at_the_c_level(add_graph):
    # The binding retries; the raw call reports TOO_LARGE with the needed size.
    import ctypes
    lib = wasinn.load_library()
    a = np.ones((2, 3), np.float32)
    with add_graph.create_execution_context() as ctx:
        ctx.set_input(0, a)
        ctx.set_input(1, a)
        ctx.compute()
        needed = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(4)
        assert lib.wasinn_exec_ctx_get_output(ctx.handle, 0, ctypes.cast(buf, ctypes.c_void_p), 4,
                                              ctypes.byref(needed)) == wasinn.Status.TOO_LARGE
        assert needed.value == 24
        e = wasinn.error_class(wasinn.Status.TOO_LARGE)(wasinn.Status.TOO_LARGE, wasinn.last_error_message())
        assert isinstance(e, wasinn.TooLarge) and e.message


def test_errors_map_to_exceptions(add_graph):
    with add_graph.create_execution_context() as ctx:
        with pytest.raises(wasinn.InvalidArgument) as e:
            ctx.set_input(0, np.ones((3, 3), np.float32))  # wrong shape
        assert e.value.status == wasinn.Status.INVALID_ARGUMENT and e.value.message
        with pytest.raises(wasinn.NotFound) as e:
            ctx.set_input("nope", np.ones((2, 3), np.float32))
        assert "nope" in str(e.value)
        with pytest.raises(wasinn.InvalidArgument):
            ctx.set_input(7, np.ones((2, 3), np.float32))
        with pytest.raises(wasinn.InvalidArgument):
            ctx.set_input(0, np.ones((2, 3, 1), np.float32))  # wrong rank
        with pytest.raises(wasinn.InvalidArgument):
            ctx.set_input(-1, np.ones((2, 3), np.float32))
        with pytest.raises(ValueError):
            ctx.set_input(0, np.ones((2, 3), np.complex64))
        ctx.set_input(0, np.ones((2, 3), np.float32))
        ctx.set_input(1, np.ones((2, 3), np.float32))
        ctx.compute()
        with pytest.raises(wasinn.NotFound):
            ctx.get_output("nope")
        with pytest.raises(wasinn.InvalidArgument):
            ctx.get_output(3)
        with pytest.raises(wasinn.NotFound):
            ctx.compute_named({"zzz": np.ones((2, 3), np.float32)})
    with pytest.raises(wasinn.InvalidArgument, match="closed"):
        ctx.compute()


def test_missing_input_is_a_runtime_error_not_a_crash(add_graph):
    with add_graph.create_execution_context() as ctx:
        ctx.set_input(0, np.ones((2, 3), np.float32))
        with pytest.raises(wasinn.WasinnError):
            ctx.compute()


def test_multiple_outputs_and_scalars():
    data = make_model(
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
         helper.make_node("Cast", ["x"], ["c"], to=9)],  # to bool
        [("x", np.float32, [4])],
        [("s", np.float32, []), ("c", np.bool_, [4])])
    x = np.array([0, 1.5, 0, -2], np.float32)
    with wasinn.Graph.load(data) as g, g.create_execution_context() as ctx:
        assert g.outputs[0] == ("s", np.float32, ())
        out = ctx.compute_named({"x": x})
        assert list(out) == ["s", "c"]
        assert out["s"].shape == () and out["s"] == np.float32(-0.5)
        np.testing.assert_array_equal(out["c"], x != 0)
        ctx.set_input(0, x)
        ctx.compute()
        assert ctx.get_output(0).shape == ()
        np.testing.assert_array_equal(ctx.get_output(1), x != 0)


def test_large_output_shape():
    shape = (2, 3, 4, 5, 1, 2, 1, 3, 2)  # rank 9 > the binding's first guess of 8
    with wasinn.Graph.load(identity_model(np.int32, shape)) as g, g.create_execution_context() as ctx:
        assert g.inputs[0].shape == shape
        x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
        ctx.set_input(0, x)
        ctx.compute()
        assert ctx.output_shape(0) == shape
        np.testing.assert_array_equal(ctx.get_output(0), x)


def test_bf16_input_reaches_the_backend_as_bf16(add_graph):
    bits = wasinn.float32_to_bf16(np.ones((2, 3), np.float32))
    with add_graph.create_execution_context() as ctx:
        if add_graph.backend_name == "tract":
            # tract has no bf16 tensors: the tensor type arrived intact and was refused as such.
            with pytest.raises(wasinn.UnsupportedOperation, match="bf16"):
                ctx.set_input(0, bits, tensor_type=wasinn.TensorType.BF16)
        else:
            ctx.set_input(0, bits, tensor_type=wasinn.TensorType.BF16)
