#!/usr/bin/env python3
"""The case of the TFLite image-classifier guest (tflite_classify.c), and its checker.

    tflite_cases.py setup OUTDIR
        writes OUTDIR/classifier.tflite, labels.txt, image.ppm and expected.json

    tflite_cases.py check OUTDIR GUEST_STDOUT [--autodetect ERRNO-NAME] [--name WHAT]
        compares the guest's output with expected.json; one line per check, then
        "check: N passed, M failed"; exits 1 on any failure

The model: no .tflite image classifier ships in a package of the venv (mediapipe 0.10.14's 14
models are detectors, landmarkers and segmenters, and tract-tflite does not load them), so this
writes one with the TFLite flatbuffer schema (the helper of tests/conformance/tflite.py):
a small MobileNet-shaped float network with seeded weights, f32[1,64,64,3] image in [0,1] ->
CONV_2D 3x3/2 (RELU) -> DEPTHWISE_CONV_2D 3x3 (RELU6) -> CONV_2D 1x1 (RELU) -> AVERAGE_POOL_2D
(global) -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX -> f32[1,10] scores. (Not MEAN for the global
pooling: tract-tflite 0.23.9 rounds a float MEAN's results to integers, 3.5 -> 4, so tract would
not match LiteRT.) Its labels are "class-0".."class-9" (the
weights are random: the classes mean nothing). The image: a deterministic 64x64 picture (a
gradient with a disc and a square), written as a binary PPM that the guest decodes itself.

The expected values come from LiteRT's interpreter (ai_edge_litert) on the same model and the same
f32 pixels (byte / 255, as the guest computes them): the top-1 index and label, every score and
the checksums within 1e-5 (per score; the sums within 1e-5 x the number of classes), and the
FNV-1a of the input tensor's bytes exactly (the guest's decoding is the reference's).
The autodetect load answers `success` under the WAMR profile (encoding 6) with the same top-1 and
scores within 1e-5 of the tensorflowlite run; under a profile that numbers 6 otherwise (spec: no
such encoding; WasmEdge: ggml) the checker is told which errno to expect with --autodetect.
"""

from __future__ import annotations

import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TOLERANCE = 1e-5
N_CLASSES = 10
SIZE = 64


def classifier() -> bytes:
    sys.path.insert(0, os.path.join(REPO, "tests", "conformance"))
    from tflite import _model  # the conformance runner's flatbuffer writer
    from ai_edge_litert import schema_py_generated as s

    T, Op = s.TensorType, s.BuiltinOperator
    rng = np.random.default_rng(1616)

    def conv_options(stride, act, depthwise=False):
        o = s.DepthwiseConv2DOptionsT() if depthwise else s.Conv2DOptionsT()
        o.padding, o.strideW, o.strideH, o.fusedActivationFunction = s.Padding.SAME, stride, stride, act
        if depthwise:
            o.depthMultiplier = 1
        return (s.BuiltinOptions.DepthwiseConv2DOptions if depthwise else s.BuiltinOptions.Conv2DOptions), o

    def f32(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w1, b1 = f32(16, 3, 3, 3, scale=0.5), f32(16, scale=0.1)        # OHWI
    w2, b2 = f32(1, 3, 3, 16, scale=0.5), f32(16, scale=0.1)        # depthwise: 1HWO
    w3, b3 = f32(32, 1, 1, 16, scale=0.4), f32(32, scale=0.1)
    w4, b4 = f32(N_CLASSES, 32, scale=0.6), f32(N_CLASSES, scale=0.1)
    pool = s.Pool2DOptionsT()
    pool.padding, pool.strideW, pool.strideH = s.Padding.VALID, 1, 1
    pool.filterWidth = pool.filterHeight = SIZE // 2
    new_shape = np.array([1, 32], dtype=np.int32)
    reshape = s.ReshapeOptionsT()
    reshape.newShape = [1, 32]
    softmax = s.SoftmaxOptionsT()
    softmax.beta = 1.0
    A = s.ActivationFunctionType
    tensors = [
        ("image", T.FLOAT32, [1, SIZE, SIZE, 3], None, None),                 # 0
        ("conv1/w", T.FLOAT32, list(w1.shape), None, w1.tobytes()),           # 1
        ("conv1/b", T.FLOAT32, [16], None, b1.tobytes()),                     # 2
        ("conv1", T.FLOAT32, [1, SIZE // 2, SIZE // 2, 16], None, None),      # 3
        ("dw/w", T.FLOAT32, list(w2.shape), None, w2.tobytes()),              # 4
        ("dw/b", T.FLOAT32, [16], None, b2.tobytes()),                        # 5
        ("dw", T.FLOAT32, [1, SIZE // 2, SIZE // 2, 16], None, None),         # 6
        ("pw/w", T.FLOAT32, list(w3.shape), None, w3.tobytes()),              # 7
        ("pw/b", T.FLOAT32, [32], None, b3.tobytes()),                        # 8
        ("pw", T.FLOAT32, [1, SIZE // 2, SIZE // 2, 32], None, None),         # 9
        ("pooled", T.FLOAT32, [1, 1, 1, 32], None, None),                     # 10
        ("shape", T.INT32, [2], None, new_shape.tobytes()),                   # 11
        ("features", T.FLOAT32, [1, 32], None, None),                         # 12
        ("fc/w", T.FLOAT32, list(w4.shape), None, w4.tobytes()),              # 13
        ("fc/b", T.FLOAT32, [N_CLASSES], None, b4.tobytes()),                 # 14
        ("logits", T.FLOAT32, [1, N_CLASSES], None, None),                    # 15
        ("scores", T.FLOAT32, [1, N_CLASSES], None, None),                    # 16
    ]
    ops = [
        (Op.CONV_2D, [0, 1, 2], [3], conv_options(2, A.RELU)),
        (Op.DEPTHWISE_CONV_2D, [3, 4, 5], [6], conv_options(1, A.RELU6, depthwise=True)),
        (Op.CONV_2D, [6, 7, 8], [9], conv_options(1, A.RELU)),
        (Op.AVERAGE_POOL_2D, [9], [10], (s.BuiltinOptions.Pool2DOptions, pool)),
        (Op.RESHAPE, [10, 11], [12], (s.BuiltinOptions.ReshapeOptions, reshape)),
        (Op.FULLY_CONNECTED, [12, 13, 14], [15], None),
        (Op.SOFTMAX, [15], [16], (s.BuiltinOptions.SoftmaxOptions, softmax)),
    ]
    return _model(tensors, ops, [0], [16])


def picture() -> np.ndarray:
    """A deterministic 64x64 RGB picture: a diagonal gradient, a disc and a square."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    img = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    img[..., 0] = (x * 4) % 256
    img[..., 1] = (y * 3 + 40) % 256
    img[..., 2] = ((x + y) * 2) % 256
    disc = (x - 40) ** 2 + (y - 24) ** 2 < 13 ** 2
    img[disc] = (230, 40, 30)
    img[8:24, 6:22] = (20, 200, 60)
    return img


def fnv1a32(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def setup(outdir: str) -> None:
    from ai_edge_litert.interpreter import Interpreter

    os.makedirs(outdir, exist_ok=True)
    model = classifier()
    with open(os.path.join(outdir, "classifier.tflite"), "wb") as f:
        f.write(model)
    labels = [f"class-{k}" for k in range(N_CLASSES)]
    with open(os.path.join(outdir, "labels.txt"), "w") as f:
        f.write("".join(label + "\n" for label in labels))
    img = picture()
    with open(os.path.join(outdir, "image.ppm"), "wb") as f:
        f.write(b"P6\n# tflite_cases.py\n%d %d\n255\n" % (SIZE, SIZE) + img.tobytes())
    pixels = (img.astype(np.float32) / np.float32(255.0))[None]
    it = Interpreter(model_content=model, num_threads=1)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], pixels)
    it.invoke()
    scores = it.get_tensor(it.get_output_details()[0]["index"])[0].astype(np.float64)
    order = np.argsort(-scores)
    # the top-1 must be clear of the runner-up, or 1e-5 differences could flip it
    if scores[order[0]] - scores[order[1]] < 1e-3:
        raise SystemExit(f"tflite_cases: top-1 {order[0]} is within 1e-3 of {order[1]}: change the seed")
    expected = {
        "top1": int(order[0]), "label": labels[int(order[0])], "scores": [float(v) for v in scores],
        "sum": float(scores.sum()), "weighted": float(sum((k + 1) * v for k, v in enumerate(scores))),
        "input_fnv1a32": f"0x{fnv1a32(pixels.tobytes()):08x}", "input_shape": [1, SIZE, SIZE, 3],
        "reference": "ai_edge_litert.interpreter.Interpreter (num_threads=1)",
    }
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"tflite case: {outdir}: classifier.tflite ({len(model)} bytes), image.ppm {SIZE}x{SIZE}, "
          f"LiteRT top-1 {expected['top1']} {expected['label']} ({scores[order[0]]:.6f})")


def check(outdir: str, out_path: str, autodetect: str, name: str) -> int:
    exp = json.load(open(os.path.join(outdir, "expected.json")))
    text = open(out_path).read()
    results = []

    def ok(what, cond, detail=""):
        results.append(bool(cond))
        print(f"  {'ok' if cond else 'FAIL'}: {what}{': ' + detail if detail else ''}")

    def find(pattern):
        return re.search(pattern, text, re.M)

    ok("load as tensorflowlite (4): success", find(r"^load as tensorflowlite \(4\): success$"))
    m = find(r"^input: image\.ppm (\d+)x(\d+), f32\[([0-9,]+)\], fnv1a32 (0x[0-9a-f]{8})$")
    ok("input tensor as LiteRT's (shape, fnv1a32 of its bytes)",
       m and [int(v) for v in m.group(3).split(",")] == exp["input_shape"] and m.group(4) == exp["input_fnv1a32"],
       m.group(0) if m else "no input line")
    m = find(r"^top-1: (\d+) (\S+) \(score ([0-9.]+)\)$")
    ok(f"top-1 {exp['top1']} {exp['label']} as LiteRT's",
       m and int(m.group(1)) == exp["top1"] and m.group(2) == exp["label"]
       and abs(float(m.group(3)) - exp["scores"][exp["top1"]]) <= TOLERANCE + 5e-7,
       m.group(0) if m else "no top-1 line")
    got = {int(k): float(v) for k, v in re.findall(r"^score (\d+): (\S+)$", text, re.M)}
    n = len(exp["scores"])
    diff = max((abs(got[k] - exp["scores"][k]) for k in got if k < n), default=float("inf"))
    ok(f"{n} scores within {TOLERANCE} of LiteRT's", sorted(got) == list(range(n)) and diff <= TOLERANCE,
       f"{len(got)} scores, max |diff| {diff:.3g}")
    m = find(r"^checksum: sum (\S+), weighted (\S+)$")
    ok("checksums (sum, weighted sum of the scores) as LiteRT's",
       m and abs(float(m.group(1)) - exp["sum"]) <= n * TOLERANCE
       and abs(float(m.group(2)) - exp["weighted"]) <= n * n * TOLERANCE,
       m.group(0) if m else "no checksum line")
    ok(f"load as autodetect (6): {autodetect}", find(rf"^load as autodetect \(6\): {re.escape(autodetect)}$"))
    m = find(r"^autodetect top-1: (\d+) (\S+), max \|diff\| from the tensorflowlite run: (\S+)$")
    if autodetect == "success":
        ok("autodetect: same top-1, scores within 1e-5 of the tensorflowlite run",
           m and int(m.group(1)) == exp["top1"] and float(m.group(3)) <= TOLERANCE, m.group(0) if m else "no line")
    else:
        ok("autodetect: no classification after the refused load", m is None)
    passed, failed = sum(results), len(results) - sum(results)
    print(f"tflite guest ({name}): top-1 {exp['top1']} {exp['label']}, max |diff| vs LiteRT {diff:.2g}, "
          f"autodetect {autodetect}: {passed} passed, {failed} failed")
    print(f"check: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv) -> int:
    if len(argv) >= 2 and argv[0] == "setup" and len(argv) == 2:
        setup(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "check":
        autodetect, name = "success", os.path.basename(argv[2])
        rest = argv[3:]
        while rest:
            if rest[0] == "--autodetect" and len(rest) > 1:
                autodetect, rest = rest[1], rest[2:]
            elif rest[0] == "--name" and len(rest) > 1:
                name, rest = rest[1], rest[2:]
            else:
                break
        if not rest:
            return check(argv[1], argv[2], autodetect, name)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
