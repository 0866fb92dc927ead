"""The host registry: add_files, add_bytes, preload specs, load_by_name, removal."""

import numpy as np
import pytest

import wasinn
from conftest import add_model, identity_model


def run_add(g, k=1.0):
    a = np.full((2, 3), k, np.float32)
    with g.create_execution_context() as ctx:
        out = ctx.compute_named({"a": a, "b": a})
    np.testing.assert_array_equal(out["sum"], a + a)


def test_add_files_and_load_by_name_twice(model_file, unique_name):
    name = unique_name()
    wasinn.registry_add_files(name, model_file(add_model()), "onnx", "cpu")
    with wasinn.Graph.load_by_name(name) as g1, wasinn.Graph.load_by_name(name) as g2:
        assert g1.handle != g2.handle
        run_add(g1, 1)
        g1.close()
        run_add(g2, 2)
    wasinn.registry_remove(name)
    with pytest.raises(wasinn.NotFound):
        wasinn.Graph.load_by_name(name)
    with pytest.raises(wasinn.NotFound):
        wasinn.registry_remove(name)


def test_registry_class_and_aliases(model_file, unique_name):
    n1, n2 = unique_name(), unique_name()
    wasinn.Registry.add_files(n1, [model_file(add_model())])
    wasinn.add_bytes(n2, add_model())
    for n in (n1, n2):
        with wasinn.Graph.load_by_name(n) as g:
            run_add(g)
        wasinn.Registry.remove(n)


def test_preload_spec(model_file, unique_name):
    n1, n2 = unique_name(), unique_name()
    p1, p2 = model_file(add_model()), model_file(identity_model(np.int64))
    wasinn.preload("%s:onnx:cpu:%s;%s:ONNX:CPU:%s" % (n1, p1, n2, p2))
    with wasinn.Graph.load_by_name(n1) as g:
        run_add(g)
    with wasinn.Graph.load_by_name(n2) as g:
        assert g.inputs == [("x", np.int64, (2, 3))]
    for bad in ("nonsense", "x:bogus:cpu:/a.onnx", "x:onnx:npu:/a.onnx", "x:onnx:cpu"):
        with pytest.raises(wasinn.InvalidArgument):
            wasinn.registry_preload(bad)
    wasinn.registry_remove(n1)
    wasinn.registry_remove(n2)


def test_errors(unique_name, model_file):
    with pytest.raises(wasinn.NotFound) as e:
        wasinn.Graph.load_by_name("not-registered-anywhere")
    assert "not-registered-anywhere" in e.value.message
    name = unique_name()
    with pytest.raises(wasinn.NotFound):
        wasinn.registry_add_files(name, "/nonexistent/model.onnx")
    with pytest.raises(wasinn.NotFound):  # a failed add leaves nothing registered
        wasinn.Graph.load_by_name(name)
    with pytest.raises(wasinn.WasinnError):
        wasinn.registry_add_bytes(name, b"junk")
    wasinn.registry_add_bytes(name, add_model())
    with pytest.raises(wasinn.WasinnError):  # a name is registered once
        wasinn.registry_add_bytes(name, add_model())
    wasinn.registry_remove(name)
