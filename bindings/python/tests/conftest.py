"""Shared fixtures: the library must load (a missing library fails every test with a clear message,
it never skips), and ONNX models are built here with the `onnx` helper into pytest's tmp_path."""

import itertools
import os

import numpy as np
import pytest

import wasinn

import onnx  # a test dependency: absent means failing, not skipping
from onnx import helper

OPSET = 13
IR_VERSION = 8
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# The wasmtime-host tests start `python -m wasinn` in other working directories: a relative
# WASINN_LIB (e.g. build/stage/lib/libwasinn.so.0 from the repository root) must still name the
# same library there.
if os.environ.get("WASINN_LIB") and not os.path.isabs(os.environ["WASINN_LIB"]):
    os.environ["WASINN_LIB"] = os.path.abspath(os.environ["WASINN_LIB"])


@pytest.fixture(autouse=True, scope="session")
def library():
    error = None
    try:
        return wasinn.load_library()
    except wasinn.LibraryNotFound as e:
        error = str(e)
    # Outside the except block, so the report is this message alone.
    pytest.fail("libwasinn is required for these tests (build it with `cargo build` and set "
                "WASINN_LIB=<repo>/target/debug/libwasinn.so):\n%s" % error, pytrace=False)


def make_model(nodes, inputs, outputs, initializers=()):
    """Serialized ONNX bytes. inputs/outputs: (name, numpy dtype or TensorProto elem type, shape)."""
    def vi(name, dtype, shape):
        elem = dtype if isinstance(dtype, int) else helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return helper.make_tensor_value_info(name, elem, shape)

    graph = helper.make_graph(list(nodes), "g", [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="wasinn-py-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString()


def add_model():
    return make_model([helper.make_node("Add", ["a", "b"], ["sum"])],
                      [("a", np.float32, [2, 3]), ("b", np.float32, [2, 3])], [("sum", np.float32, [2, 3])])


def identity_model(dtype, shape=(2, 3)):
    return make_model([helper.make_node("Identity", ["x"], ["y"])],
                      [("x", dtype, list(shape))], [("y", dtype, list(shape))])


@pytest.fixture
def model_file(tmp_path):
    """Writes model bytes to a file in tmp_path and returns its path."""
    counter = itertools.count()

    def write(data, name=None):
        path = tmp_path / (name or "model%d.onnx" % next(counter))
        path.write_bytes(data)
        return str(path)

    return write


@pytest.fixture
def add_graph():
    with wasinn.Graph.load(add_model()) as g:
        yield g


_names = itertools.count()


@pytest.fixture
def unique_name(request):
    """A registry name no other test uses (the registry is process-wide)."""
    return lambda: "%s-%d" % (request.node.name, next(_names))
