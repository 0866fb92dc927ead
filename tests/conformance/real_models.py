"""Real models from PyPI packages through libwasinn on each backend, against the backend's own
Python API on the same inputs.

Models (nothing downloaded at test time, see ../shared/DEPENDENCIES.md): magika's file-type
model; RapidOCR's PP-OCRv4 detection and recognition and its text-direction classifier
(`rapidocr-onnxruntime`); every Silero VAD variant in `silero-vad`; ONNX Runtime's sample models
(`onnxruntime/datasets`). Inputs are deterministic (seeded) and shaped like real use: byte
features for magika, page-like images with dark strokes for OCR (normalised as RapidOCR does), a
noisy tone for VAD. Each output's range is recorded, so a check on all-zero outputs would show.

For each (model, backend): libwasinn loads the model pinned to the backend and computes; the
backend's Python API (the same reference as the node suite: `paths.NATIVE`) computes on the same
inputs; the result is the largest |libwasinn - native| over every output element (`max_diff`),
which must not exceed 1e-5. A model a backend cannot load or run is reported with the error
libwasinn returned (`unsupported`, or `error` when it was not a clean UNSUPPORTED_OPERATION); an
output that is not a tensor (logreg_iris's sequence of maps) is listed in `skipped_outputs` with
libwasinn's reason, and the tensor outputs beside it are still compared.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import paths  # noqa: E402
import suite  # noqa: E402

TOLERANCE = 1e-5


def _site() -> str:
    import onnxruntime
    return os.path.dirname(os.path.dirname(onnxruntime.__file__))


def _text_image(n: int, h: int, w: int, glyph: int, rng: np.random.Generator) -> np.ndarray:
    """n images like what the OCR models see: dark glyph-like strokes (3 px wide, in cells of
    `glyph` px) in lines on a white page, normalised as RapidOCR normalises ((x/255-0.5)/0.5), so
    that the detector and recogniser produce real activations rather than all-background."""
    out = np.ones((n, 3, h, w), np.float32)
    tops = range(max(2, (h - glyph) // 2), h - glyph, 2 * glyph) if h < 3 * glyph else range(glyph, h - glyph, 2 * glyph)
    for k in range(n):
        page = np.ones((h, w), np.float32)
        for top in tops:
            x, cell = 8, max(4, int(glyph * 0.7))
            while x < w - cell - 8:
                for _ in range(3):
                    if rng.random() < 0.5:
                        r = top + int(rng.integers(0, glyph - 3))
                        page[r:r + 3, x:x + cell] = 0.0
                    else:
                        c = x + int(rng.integers(0, cell - 3))
                        page[top:top + glyph, c:c + 3] = 0.0
                x += cell + int(rng.integers(3, 8)) + (glyph if rng.random() < 0.1 else 0)
        out[k] = page
    return (out - 0.5) / 0.5


def _tone(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / 16000.0
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)).astype(np.float32)


def models() -> List[Tuple[str, str, Dict[str, np.ndarray]]]:
    """(name, path, inputs by name), inputs made with a fixed seed."""
    sp = _site()
    rng = np.random.default_rng(20261201)
    state = np.zeros((2, 1, 128), np.float32)
    sr = np.array(16000, np.int64)
    img = lambda *shape: (rng.standard_normal(shape) * 0.5).astype(np.float32)  # noqa: E731
    return [
        ("magika standard_v3_3", "magika/models/standard_v3_3/model.onnx",
         {"bytes": rng.integers(0, 257, (4, 2048)).astype(np.int32)}),
        ("rapidocr PP-OCRv4 det", "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
         {"x": _text_image(1, 320, 320, 20, rng)}),
        ("rapidocr PP-OCRv4 rec", "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
         {"x": _text_image(1, 48, 320, 32, rng)}),
        ("rapidocr mobile v2.0 cls", "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
         {"x": _text_image(2, 48, 192, 32, rng)}),
        ("silero_vad", "silero_vad/data/silero_vad.onnx", {"input": _tone(512, rng)[None], "state": state, "sr": sr}),
        ("silero_vad_16k_op15", "silero_vad/data/silero_vad_16k_op15.onnx",
         {"input": _tone(512, rng)[None], "state": state, "sr": sr}),
        ("silero_vad_16k_sequence", "silero_vad/data/silero_vad_16k_sequence.onnx",
         {"input": _tone(4 * 576, rng).reshape(4, 576), "h": np.zeros((1, 1, 128), np.float32),
          "c": np.zeros((1, 1, 128), np.float32)}),
        ("silero_vad_half", "silero_vad/data/silero_vad_half.onnx", {"input": _tone(512, rng)[None], "state": state}),
        ("silero_vad_op18_ifless", "silero_vad/data/silero_vad_op18_ifless.onnx",
         {"input": _tone(512, rng)[None], "sr": sr, "state": state}),
        ("silero_vad_openvino_16k", "silero_vad/data/silero_vad_openvino_16k.onnx",
         {"input": _tone(576, rng)[None], "state": state}),
        ("onnxruntime mul_1", "onnxruntime/datasets/mul_1.onnx", {"X": img(3, 2)}),
        ("onnxruntime sigmoid", "onnxruntime/datasets/sigmoid.onnx", {"x": img(3, 4, 5)}),
        ("onnxruntime logreg_iris", "onnxruntime/datasets/logreg_iris.onnx", {"float_input": img(3, 2) + 4}),
    ] if sp else []


def _case(name: str, path: str, inputs: Dict[str, np.ndarray]) -> suite.Case:
    """A `suite.Case` holding the model's declared inputs (with the given values) and outputs
    (no expected values: the native run is the reference)."""
    import onnx
    full = os.path.join(_site(), path)
    with open(full, "rb") as f:
        data = f.read()
    model = onnx.load_from_string(data)
    inits = {i.name for i in model.graph.initializer}
    ins = [suite.Port(i.name, i.type, inputs[i.name]) for i in model.graph.input if i.name not in inits]
    outs = [suite.Port(o.name, o.type, None) for o in model.graph.output]
    return suite.Case(name, os.path.dirname(full), data, ins, outs, file=os.path.basename(full))


def _run_wasinn(case: suite.Case, backend: str) -> Tuple[List[Optional[np.ndarray]], List[str]]:
    """Outputs (None for one libwasinn refused to return, with the reason in the second list)."""
    import wasinn
    outs: List[Optional[np.ndarray]] = []
    skipped: List[str] = []
    with wasinn.Graph.load(case.model_bytes, "onnx", "cpu", backend=backend) as g, g.create_execution_context() as ctx:
        for p in case.inputs:
            ctx.set_input(p.name, p.value)
        ctx.compute()
        for o in case.outputs:
            try:
                outs.append(ctx.get_output(o.name))
            except wasinn.UnsupportedOperation as e:
                outs.append(None)
                skipped.append("%s: %s" % (o.name, e))
    return outs, skipped


def run_one(name: str, path: str, inputs: Dict[str, np.ndarray], backend: str) -> Dict[str, Any]:
    """Both paths on one model. `status`: pass / fail (both ran, outputs differ beyond 1e-5 or in
    structure) / unsupported (libwasinn refused with UNSUPPORTED_OPERATION) / error (any other
    libwasinn failure); `native` says whether the backend's own API ran the model, so a
    libwasinn refusal of a model the backend runs natively is visible as a loss."""
    import wasinn
    case = _case(name, path, inputs)
    res: Dict[str, Any] = {"model": name, "path": path, "backend": backend}
    t0 = time.perf_counter()
    got: Optional[List[Optional[np.ndarray]]] = None
    try:
        got, skipped = _run_wasinn(case, backend)
        res["wasinn_seconds"] = round(time.perf_counter() - t0, 3)
        if skipped:
            res["skipped_outputs"] = skipped
    except wasinn.UnsupportedOperation as e:
        res.update(status="unsupported", detail=str(e)[:400])
    except Exception as e:  # noqa: BLE001
        res.update(status="error", detail=("%s: %s" % (type(e).__name__, e))[:400])
    try:
        ref = paths.NATIVE[backend](case)
        res["native"] = "ran"
    except Exception as e:  # noqa: BLE001
        res.update(native="failed", native_detail=("%s: %s" % (type(e).__name__, e))[:300])
        if got is not None:
            res.update(status="pass", max_diff=None, outputs_compared=0)  # nothing to compare against
        return res
    if got is None:
        return res
    diffs = []
    lo, hi = math.inf, -math.inf
    for o, a, b in zip(case.outputs, got, ref):
        if a is None:
            continue
        if a.size and a.dtype.kind in "fiu":
            lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
        d = suite.max_abs_diff(np.asarray(b), a)
        if d is None:
            res.update(status="fail", detail="output %r: %s %s vs native %s %s" % (
                o.name, a.dtype, a.shape, np.asarray(b).dtype, np.asarray(b).shape))
            return res
        diffs.append(d)
    res["max_diff"] = max(diffs) if diffs else None
    if lo <= hi:
        res["output_range"] = [lo, hi]
    res["outputs_compared"] = len(diffs)
    res["status"] = "pass" if diffs and max(diffs) <= TOLERANCE else "fail"
    return res


def losses(results: List[Dict[str, Any]]) -> List[str]:
    """Models a backend runs natively that libwasinn does not run, or runs differently."""
    return ["%s on %s: %s" % (r["model"], r["backend"], r.get("detail", r["status"]))
            for r in results if r.get("native") == "ran" and r["status"] != "pass"]


def run_all(backends: List[str]) -> List[Dict[str, Any]]:
    out = []
    for backend in backends:
        for name, path, inputs in models():
            r = run_one(name, path, inputs, backend)
            out.append(r)
            print("%-12s %-26s %-12s native %-6s %s" % (
                backend, name, r["status"], r.get("native"),
                "max |diff| %.3g" % r["max_diff"] if r.get("max_diff") is not None else r.get("detail", "")[:100]),
                flush=True)
    return out
