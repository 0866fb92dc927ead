#!/usr/bin/env python3
"""Models, arguments and the exact expected output of the wasinn_crate_mirror.c guest.

One source for both runs of that guest: the pytest (bindings/python/tests/test_crate_mirror_guest.py,
wasmtime-py host) and bindings/wasm3/test-guests.sh (wasm3 host). Usage from a shell:

    crate_mirror_cases.py DIR     writes DIR/*.onnx, DIR/args.txt (one guest argument a line),
                                  DIR/preload.txt (the --nn-preload spec, relative to DIR) and
                                  DIR/expected.txt (the guest's exact stdout); run the guest in DIR.

Needs the `onnx` package (a test dependency).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

OPSET = 13
IR_VERSION = 8
CACHE_NAME = "mirror-add"  # the name the host preloads the add model under (build_from_cache)
IDENT_TYPES = {"f16": TensorProto.FLOAT16, "f32": TensorProto.FLOAT, "f64": TensorProto.DOUBLE,
               "u8": TensorProto.UINT8, "i32": TensorProto.INT32, "i64": TensorProto.INT64}


def _model(nodes, inputs, outputs):
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(nodes, "g", [vi(*i) for i in inputs], [vi(*o) for o in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="wasinn-crate-mirror")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString()


def models():
    """file name -> serialized ONNX model."""
    f32 = TensorProto.FLOAT
    out = {
        # a + b, f32 [2,3]
        "add.onnx": _model([helper.make_node("Add", ["a", "b"], ["sum"])],
                           [("a", f32, [2, 3]), ("b", f32, [2, 3])], [("sum", f32, [2, 3])]),
        # x: i64 [2,2], y: f32 [3] -> x+x, y*y, float(x)
        "multi.onnx": _model([helper.make_node("Add", ["x", "x"], ["twice"]),
                              helper.make_node("Mul", ["y", "y"], ["sq"]),
                              helper.make_node("Cast", ["x"], ["fx"], to=f32)],
                             [("x", TensorProto.INT64, [2, 2]), ("y", f32, [3])],
                             [("twice", TensorProto.INT64, [2, 2]), ("sq", f32, [3]), ("fx", f32, [2, 2])]),
    }
    for name, elem in IDENT_TYPES.items():
        out["ident_%s.onnx" % name] = _model([helper.make_node("Identity", ["x"], ["y"])],
                                             [("x", elem, [2, 3])], [("y", elem, [2, 3])])
    return out


def guest_args():
    """The guest's arguments (paths relative to the directory the models are in)."""
    return (["bytes:add.onnx", "autodetect:add.onnx", "cache:" + CACHE_NAME, "missing:no-such-model",
              "multi:multi.onnx"]
            + ["ident:%s:ident_%s.onnx" % (t, t) for t in IDENT_TYPES])


def preload_spec(model_dir="."):
    return "%s:onnx:cpu:%s" % (CACHE_NAME, os.path.join(model_dir, "add.onnx"))


def _add_lines(step):
    return [
        step + ": get_output before compute -> invalid_argument (1)",
        step + ": set_input with 5 of 6 elements -> invalid_argument (1)",
        step + ": set_input index 2 (model has 2 inputs) -> invalid_argument (1)",
        step + ": get_output into 4 bytes -> too_large (7)",
        step + ": needed 24 bytes, buffer untouched: yes",
        step + ": get_output 0 wrote 24 bytes",
        step + ": sum = 11.5 22.5 33.5 44.5 55.5 66.5",
        step + ": get_output index 1 (model has 1 output) -> invalid_argument (1)",
        step + ": sum = 9.5 18.5 27.5 36.5 45.5 54.5",
    ]


def expected_stdout():
    lines = _add_lines("bytes") + _add_lines("autodetect") + _add_lines("cache")
    lines += [
        "missing: build_from_cache of an unknown name -> not_found (8)",
        "multi: output 0 (32 bytes) x+x = 2 -4 6 17179869184",
        "multi: output 1 (12 bytes) y*y = 2.25 4 0.0625",
        "multi: output 2 (16 bytes) float(x) = 1 -2 3 8.58993e+09",
        "multi: get_output 1 into 8 bytes -> too_large (7)",
        "multi: needed 12 bytes",
        "multi: get_output index 3 (model has 3 outputs) -> invalid_argument (1)",
        "ident: f16 identity wrote 12 bytes, equal to the input: yes, values"
        " 0x3c00 0xc000 0x3800 0x0000 0x7bff 0x3555",
        "ident: f32 identity wrote 24 bytes, equal to the input: yes, values 1 -2.5 0.125 0 3e+38 -1e-30",
        "ident: f64 identity wrote 48 bytes, equal to the input: yes, values 1 -2.5 0.1 0 1e+300 -1e-300",
        "ident: u8 identity wrote 6 bytes, equal to the input: yes, values 0 1 127 128 254 255",
        "ident: i32 identity wrote 24 bytes, equal to the input: yes, values"
        " -2147483648 -1 0 1 42 2147483647",
        "ident: i64 identity wrote 48 bytes, equal to the input: yes, values"
        " -9223372036854775808 -1 0 1 1099511627776 9223372036854775807",
        "done: 0 failures",
    ]
    return "\n".join(lines) + "\n"


def write(model_dir):
    os.makedirs(model_dir, exist_ok=True)
    for name, data in models().items():
        with open(os.path.join(model_dir, name), "wb") as f:
            f.write(data)
    with open(os.path.join(model_dir, "args.txt"), "w") as f:
        f.write("\n".join(guest_args()) + "\n")
    with open(os.path.join(model_dir, "preload.txt"), "w") as f:
        f.write(preload_spec() + "\n")
    with open(os.path.join(model_dir, "expected.txt"), "w") as f:
        f.write(expected_stdout())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: crate_mirror_cases.py DIR")
    write(sys.argv[1])
