"""Loading and introspection of graphs; handle lifetimes."""

import gc

import numpy as np
import pytest
from onnx import TensorProto, helper

import wasinn
from conftest import add_model, make_model


def test_introspection(add_graph):
    assert add_graph.inputs == [("a", np.float32, (2, 3)), ("b", np.float32, (2, 3))]
    assert add_graph.outputs == [("sum", np.float32, (2, 3))]
    name, dtype, shape = add_graph.inputs[0]
    assert (name, dtype, shape) == ("a", np.dtype(np.float32), (2, 3))
    assert add_graph.inputs[0].tensor_type == wasinn.TensorType.FP32
    assert add_graph.input_names == ["a", "b"]
    assert add_graph.output_names == ["sum"]
    assert add_graph.backend_name


def test_dynamic_and_mixed_types():
    data = make_model(
        [helper.make_node("Cast", ["x"], ["n"], to=TensorProto.INT64), helper.make_node("Neg", ["x"], ["y"])],
        [("x", np.float32, ["batch", 4])],
        [("n", np.int64, ["batch", 4]), ("y", np.float32, ["batch", 4])])
    with wasinn.Graph.load(data, "onnx", "cpu") as g:
        assert g.inputs == [("x", np.float32, (None, 4))]
        assert g.outputs == [("n", np.int64, (None, 4)), ("y", np.float32, (None, 4))]
        with g.create_execution_context() as ctx:
            x = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
            ctx.set_input("x", x)
            ctx.compute()
            n, y = ctx.get_output(0), ctx.get_output("y")
            assert n.dtype == np.int64 and n.shape == (3, 4)
            np.testing.assert_array_equal(n, x.astype(np.int64))
            np.testing.assert_array_equal(y, -x)
            assert ctx.output_shape(1) == (3, 4)
            assert ctx.output_type(0) == wasinn.TensorType.I64


def test_load_list_of_builders_and_enum_forms():
    for enc, tgt in [(wasinn.Encoding.ONNX, wasinn.Target.CPU), (1, 0), ("onnx", "cpu"), ("ONNX", "CPU")]:
        with wasinn.Graph.load([add_model()], enc, tgt) as g:
            assert len(g.inputs) == 2
    with pytest.raises(ValueError):
        wasinn.Graph.load(add_model(), "no-such-encoding")


def test_load_file(model_file):
    with wasinn.Graph.load_file(model_file(add_model())) as g:
        assert g.output_names == ["sum"]


def test_bad_models_and_arguments():
    with pytest.raises(wasinn.InvalidEncoding) as e:
        wasinn.Graph.load(b"definitely not onnx")
    assert e.value.status == wasinn.Status.INVALID_ENCODING
    assert e.value.message  # the library's detailed text
    assert e.value.message in str(e.value)
    with pytest.raises(wasinn.InvalidArgument) as e:
        wasinn.Graph.load(add_model(), encoding=77)
    assert "77" in e.value.message
    with pytest.raises(wasinn.InvalidArgument):
        wasinn.Graph.load(add_model(), target=77)
    with pytest.raises(wasinn.InvalidArgument):
        wasinn.Graph.load([])


def test_close_is_idempotent_and_use_after_close_raises():
    g = wasinn.Graph.load(add_model())
    handle = g.handle
    g.close()
    g.close()
    assert g.closed
    with pytest.raises(wasinn.InvalidArgument, match="closed"):
        g.inputs
    with pytest.raises(wasinn.InvalidArgument, match="closed"):
        g.create_execution_context()
    # The stale handle itself is rejected by the library.
    with pytest.raises(wasinn.InvalidArgument):
        wasinn.Graph(handle).close()


def test_del_frees_and_context_keeps_graph_alive():
    g = wasinn.Graph.load(add_model())
    ctx = g.create_execution_context()
    g.close()  # the context still holds the model
    ctx.set_input(0, np.ones((2, 3), np.float32))
    ctx.set_input(1, np.ones((2, 3), np.float32))
    ctx.compute()
    np.testing.assert_array_equal(ctx.get_output(0), np.full((2, 3), 2, np.float32))
    # get_output by name still works after the graph object is closed (the library resolves it).
    np.testing.assert_array_equal(ctx.get_output("sum"), np.full((2, 3), 2, np.float32))
    del ctx, g
    gc.collect()


def test_handles_are_distinct():
    with wasinn.Graph.load(add_model()) as g1, wasinn.Graph.load(add_model()) as g2:
        assert g1.handle != g2.handle
        with g1.create_execution_context() as c1, g1.create_execution_context() as c2:
            assert c1.handle != c2.handle
