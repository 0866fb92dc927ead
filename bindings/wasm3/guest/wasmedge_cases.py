#!/usr/bin/env python3
"""Models, arguments and the exact expected output of the wasmedge-wasi-nn 0.8 crate guest.

The guest (rust-wasmedge-wasi-nn/) runs under the WasmEdge profile in every host the project
ships; each host's test runs it in a directory this script fills:

    wasmedge_cases.py DIR     writes DIR/*.onnx, DIR/args.txt (one guest argument a line),
                              DIR/preload.txt (the --nn-preload spec, relative to DIR) and
                              DIR/expected.txt (the guest's exact stdout); run the guest in DIR
                              with its directory preopened as "."

Needs the `onnx` package (a test dependency).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crate_mirror_cases  # noqa: E402  (same models: add, u8/i64 identities)

NAME = "wasmedge-add"  # the name the host preloads add.onnx under
MODELS = ("add.onnx", "ident_u8.onnx", "ident_i64.onnx")
SUM = "11.5 22.5 33.5 44.5 55.5 66.5"
NEG_SUM = "9.5 18.5 27.5 36.5 45.5 54.5"


def guest_args():
    return ["bytes:add.onnx", "name:" + NAME, "config:" + NAME, "single:add.onnx", "unload:add.onnx",
            "missing:no-such-model", "ident:u8:ident_u8.onnx", "ident:i64:ident_i64.onnx"]


def preload_spec(model_dir="."):
    return "%s:onnx:cpu:%s" % (NAME, os.path.join(model_dir, "add.onnx"))


def expected_lines():
    single = ["single: 24 bytes, sum = " + SUM] + [
        "single: %s on a backend that does not stream -> UnsupportedOperation (6)" % f
        for f in ("compute_single", "get_output_single", "fini_single")
    ] + ["single: 24 bytes, sum = " + NEG_SUM]
    return ([
        "bytes: 24 bytes, sum = " + SUM,
        "name: 24 bytes, sum = " + SUM,
        "config: 24 bytes, sum = " + SUM,
    ] + single + [
        "unload: unload again -> InvalidArgument (1)",
        "unload: init_execution_context after unload -> InvalidArgument (1)",
        "unload: 24 bytes, sum = " + NEG_SUM,
        "missing: build_from_cache of an unknown name -> NotFound (8)",
        "ident: u8 identity wrote 6 bytes, equal to the input: yes",
        "ident: i64 identity wrote 48 bytes, equal to the input: yes",
        "done: 0 failures",
    ])


def write(directory):
    os.makedirs(directory, exist_ok=True)
    all_models = crate_mirror_cases.models()
    for name in MODELS:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(all_models[name])
    with open(os.path.join(directory, "args.txt"), "w") as f:
        f.write("\n".join(guest_args()) + "\n")
    with open(os.path.join(directory, "preload.txt"), "w") as f:
        f.write(preload_spec() + "\n")
    with open(os.path.join(directory, "expected.txt"), "w") as f:
        f.write("\n".join(expected_lines()) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: wasmedge_cases.py DIR")
    write(sys.argv[1])
