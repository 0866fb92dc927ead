#!/usr/bin/env python3
"""Writes the small ONNX models the C tests load, built with the `onnx` package (nothing is
downloaded): usage `gen_models.py OUTDIR`.

  add.onnx       a: f32[2,3], b: f32[2,3]            -> sum = a + b          f32[2,3]
  multi_io.onnx  x: f32[2,2], k: i64[3]              -> k2 = k + k  i64[3],  x2 = x * x  f32[2,2]
                 (outputs deliberately listed i64 first: indices follow the model, not the types)
  dynamic.onnx   x: f32[N,4] (symbolic batch "N")    -> y = -x               f32[N,4]
  strings.onnx   x: string[3]                        -> y = Identity(x)      string[3]
"""
import os
import sys

try:
    import onnx
    from onnx import TensorProto, helper
except ImportError as e:  # a clear message instead of a traceback in the build log
    sys.exit(f"gen_models.py: the 'onnx' Python package is required ({e}); "
             f"interpreter: {sys.executable}")

# A conservative opset / IR version every backend of interest reads.
OPSET = 13
IR_VERSION = 8


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="libwasinn-c-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)  # never leave a half-written model for a parallel test run


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: gen_models.py OUTDIR")
    out = argv[1]
    os.makedirs(out, exist_ok=True)

    f32 = TensorProto.FLOAT
    i64 = TensorProto.INT64
    vi = helper.make_tensor_value_info

    save(helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])], "add",
        [vi("a", f32, [2, 3]), vi("b", f32, [2, 3])],
        [vi("sum", f32, [2, 3])]), os.path.join(out, "add.onnx"))

    save(helper.make_graph(
        [helper.make_node("Add", ["k", "k"], ["k2"]),
         helper.make_node("Mul", ["x", "x"], ["x2"])], "multi_io",
        [vi("x", f32, [2, 2]), vi("k", i64, [3])],
        [vi("k2", i64, [3]), vi("x2", f32, [2, 2])]), os.path.join(out, "multi_io.onnx"))

    save(helper.make_graph(
        [helper.make_node("Neg", ["x"], ["y"])], "dynamic",
        [vi("x", f32, ["N", 4])],
        [vi("y", f32, ["N", 4])]), os.path.join(out, "dynamic.onnx"))

    save(helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "strings",
        [vi("x", TensorProto.STRING, [3])],
        [vi("y", TensorProto.STRING, [3])]), os.path.join(out, "strings.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
