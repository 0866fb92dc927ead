"""Bench setup: writes every model the benchmarks run, its inputs and a manifest into OUT_DIR.

Nothing here is committed: the generated models (a 1-element Add, a 4.9 MB-in / 4.9 MB-out Add,
a MobileNetV2-shaped network with random weights) are made with the `onnx` package, the real ones
come from the venv's packages (magika, rapidocr-onnxruntime, silero-vad), copied beside them. Every model also gets an
OpenVINO IR (f32 weights, static input shapes) through the openvino wheel, for the whole-program
runs (the wasmtime CLI's wasi-nn takes IR only; `-` where the converter fails). Inputs are seeded, shaped like real use, written
as raw little-endian bytes.

manifest.tsv, one model a line, tab-separated:
  name  onnx  ir_xml  ir_bin  inputs  outputs  tract
inputs: `type:dims:file` items joined by `,` (type f32|i32|i64, dims like 1x3x48x192 or `-` for a
scalar); outputs: the output count; tract: `yes`, or why tract cannot run the model.

usage: python bench/setup.py OUT_DIR [--quick]   (--quick: skip the IR, for the test layer)
"""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TYPES = {np.float32: "f32", np.int32: "i32", np.int64: "i64"}


def _add(n: int) -> onnx.ModelProto:
    """sum = x + c, x and sum f32[n] (c an initializer): one tensor in, one out."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])
    s = helper.make_tensor_value_info("sum", TensorProto.FLOAT, [n])
    c = numpy_helper.from_array(np.full(n, 2.0, np.float32), "c")
    g = helper.make_graph([helper.make_node("Add", ["x", "c"], ["sum"])], "add", [x], [s], [c])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def _mobilenet_v2(rng: np.random.Generator) -> onnx.ModelProto:
    """MobileNetV2 (1.0, 224x224, 1000 classes) with batch norms folded into conv biases and
    random He-scaled weights: 3.5 M parameters, the same layers and FLOPs as the real network."""
    nodes, inits = [], []
    counter = [0]

    def name(p: str) -> str:
        counter[0] += 1
        return f"{p}{counter[0]}"

    def conv(x: str, cin: int, cout: int, k: int, stride: int, groups: int = 1, relu6: bool = True) -> str:
        w = (rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / (cin // groups * k * k))).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
        wn, bn, out = name("w"), name("b"), name("conv")
        inits.extend([numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)])
        nodes.append(helper.make_node("Conv", [x, wn, bn], [out], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[k // 2] * 4, group=groups))
        if not relu6:
            return out
        r = name("relu6")
        nodes.append(helper.make_node("Clip", [out, "zero", "six"], [r]))
        return r

    inits.extend([numpy_helper.from_array(np.array(0, np.float32), "zero"),
                  numpy_helper.from_array(np.array(6, np.float32), "six")])
    x = conv("input", 3, 32, 3, 2)
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = conv(x, cin, hidden, 1, 1) if t != 1 else x
            y = conv(y, hidden, hidden, 3, stride, groups=hidden)
            y = conv(y, hidden, c, 1, 1, relu6=False)
            if stride == 1 and cin == c:
                r = name("res")
                nodes.append(helper.make_node("Add", [x, y], [r]))
                y = r
            x, cin = y, c
    x = conv(x, cin, 1280, 1, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"]))
    nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], axis=1))
    fw = (rng.standard_normal((1000, 1280)) * np.sqrt(1.0 / 1280)).astype(np.float32)
    inits.extend([numpy_helper.from_array(fw, "fc_w"), numpy_helper.from_array(np.zeros(1000, np.float32), "fc_b")])
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1))
    g = helper.make_graph(nodes, "mobilenet_v2", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def _image(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """A page-like normalised image: white with dark strokes, as RapidOCR feeds its models."""
    img = np.ones(shape, np.float32)
    h, w = shape[-2], shape[-1]
    for _ in range(max(4, h * w // 400)):
        r, c = int(rng.integers(0, h - 3)), int(rng.integers(0, w - 12))
        img[..., r:r + 3, c:c + 12] = 0.0
    return (img - 0.5) / 0.5


def _site() -> str:
    import magika
    return os.path.dirname(os.path.dirname(magika.__file__))


def models(rng: np.random.Generator):
    """(name, onnx path or ModelProto, [input arrays in model order], output count, tract)."""
    sp = _site()
    t = np.arange(512) / 16000.0
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(512)).astype(np.float32)[None]
    n = 4_900_000 // 4
    return [
        ("add-1", _add(1), [np.ones(1, np.float32)], 1, "yes"),
        ("add-4.9MB", _add(n), [rng.standard_normal(n).astype(np.float32)], 1, "yes"),
        ("magika", f"{sp}/magika/models/standard_v3_3/model.onnx", [rng.integers(0, 257, (1, 2048)).astype(np.int32)], 1, "yes"),
        ("rapidocr-det", f"{sp}/rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx", [_image(rng, 1, 3, 320, 320)], 1, "yes"),
        ("rapidocr-rec", f"{sp}/rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx", [_image(rng, 1, 3, 48, 320)], 1, "yes"),
        ("rapidocr-cls", f"{sp}/rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", [_image(rng, 1, 3, 48, 192)], 1, "yes"),
        ("silero-vad", f"{sp}/silero_vad/data/silero_vad.onnx",
         [tone, np.zeros((2, 1, 128), np.float32), np.array(16000, np.int64)], 2,
         "no: tract 0.23.9 has no ONNX If operator"),
        ("mobilenetv2", _mobilenet_v2(rng), [_image(rng, 1, 3, 224, 224)], 1, "yes"),
    ]


def _ir(onnx_path: str, shapes, xml: str) -> None:
    import openvino as ov
    m = ov.convert_model(onnx_path, input=shapes)
    ov.save_model(m, xml, compress_to_fp16=False)   # f32 weights, as in the ONNX file


def main() -> int:
    out = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261202)
    lines = []
    for name, model, inputs, n_out, tract in models(rng):
        # Every model lives in OUT_DIR (the packaged ones copied), so one --dir serves a guest.
        path = f"{out}/{name}.onnx"
        if isinstance(model, str):
            shutil.copyfile(model, path)
        else:
            onnx.save(model, path)
        specs, shapes = [], []
        for k, arr in enumerate(inputs):
            f = f"{out}/{name}.in{k}.bin"
            arr.tofile(f)
            dims = "x".join(str(d) for d in arr.shape) or "-"
            specs.append(f"{TYPES[arr.dtype.type]}:{dims}:{f}")
            shapes.append(list(arr.shape))
        xml = binf = "-"
        if not quick:
            try:
                _ir(path, shapes, f"{out}/{name}.xml")
                xml, binf = f"{out}/{name}.xml", f"{out}/{name}.bin"
            except Exception as e:  # silero-vad: OpenVINO's converter fails on its If with static shapes
                print(f"bench setup: no IR for {name}: {str(e).splitlines()[-1][:200]}", file=sys.stderr)
        lines.append("\t".join([name, path, xml, binf, ",".join(specs), str(n_out), tract]))
    with open(f"{out}/manifest.tsv", "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"bench setup: {len(lines)} models in {out}/manifest.tsv" + (" (no IR: --quick)" if quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
