"""The Python side of tests/run-wit.sh.

  wit_models.py WORK CONFORMANCE_DIR CLS_MODEL
      writes WORK/add1.onnx (a + b -> sum, f32[1]), WORK/greater1.onnx (a > b -> gt, a bool output),
      WORK/addn.onnx (the Add on f32[n], n symbolic), WORK/cls.onnx (a copy of RapidOCR's
      classifier, for `load` by bytes), WORK/cls-input.f32 (four 48x192 page-like crops, two turned
      180 degrees, normalised as RapidOCR normalises) and WORK/cls-ref.npy (onnxruntime's Python
      session on that input: the reference).
  wit_models.py --compare CLS_MODEL REF.npy GUEST_OUT WHAT
      exit 0 when the guest's `run` output has the reference's labels (rapidocr's own
      ClsPostProcess, label_list of its config.yaml) and every probability within 1e-4.
  wit_models.py --cost COST.txt
      one "cost: ..." line per workload: the medians of each round, witx and WIT, and the ratio of
      the medians of the rounds' medians (interleaved rounds on a loaded machine: the ratio is the
      figure to read).
"""

import importlib.util
import pathlib
import re
import shutil
import statistics
import sys

import numpy as np


def _models(work: pathlib.Path, conformance: str, cls_model: str) -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    def save(name, node, inputs, output, out_type=TensorProto.FLOAT, dims=(1,)):
        vi = lambda n, t=TensorProto.FLOAT: helper.make_tensor_value_info(n, t, list(dims))  # noqa: E731
        g = helper.make_graph([helper.make_node(node, inputs, [output])], name,
                              [vi(n) for n in inputs], [vi(output, out_type)])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
                  str(work / f"{name}.onnx"))

    save("add1", "Add", ["a", "b"], "sum")
    save("greater1", "Greater", ["a", "b"], "gt", TensorProto.BOOL)
    save("addn", "Add", ["a", "b"], "sum", dims=("n",))
    shutil.copy(cls_model, work / "cls.onnx")
    sys.path.insert(0, conformance)
    from real_models import _text_image  # the conformance runner's OCR-like inputs

    x = _text_image(4, 48, 192, 32, np.random.default_rng(13))
    x[2:] = x[:2, :, ::-1, ::-1]
    x.astype("<f4").tofile(work / "cls-input.f32")
    sess = ort.InferenceSession(cls_model, providers=["CPUExecutionProvider"])
    np.save(work / "cls-ref.npy", sess.run(None, {"x": x})[0])


def _compare(cls_model: str, ref_path: str, out_path: str, what: str) -> int:
    utils = pathlib.Path(cls_model).parent.parent / "ch_ppocr_cls" / "utils.py"
    spec = importlib.util.spec_from_file_location("rapidocr_cls_utils", utils)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # rapidocr's package __init__ needs opencv; this file does not
    post = mod.ClsPostProcess(["0", "180"])
    ref = np.load(ref_path)
    lines = [line.split() for line in open(out_path) if line.startswith("output ")]
    if len(lines) != 1 or lines[0][2] != "Fp32":
        print(f"cls {what}: expected one Fp32 output, got {lines}")
        return 1
    got = np.array([float(v) for v in lines[0][4:]], np.float32)
    if got.size != ref.size:
        print(f"cls {what}: {got.size} values, expected {ref.size}")
        return 1
    got = got.reshape(ref.shape)
    want_labels = [label for label, _ in post(ref)]
    got_labels = [label for label, _ in post(got)]
    diff = float(np.abs(got - ref).max())
    print(f"cls {what}: labels {got_labels} (onnxruntime Python: {want_labels}), max |diff| {diff:.1e}")
    return 0 if got_labels == want_labels and diff <= 1e-4 else 1


def _cost(path: str) -> int:
    pat = re.compile(r"^(witx|wit) (add \d+|magika): .*median ([0-9.]+) us")
    runs = {}
    for line in open(path):
        m = pat.match(line)
        if m:
            runs.setdefault(m.group(2), {}).setdefault(m.group(1), []).append(float(m.group(3)))
    for what, by in runs.items():
        witx, wit = by.get("witx", []), by.get("wit", [])
        if not witx or not wit:
            continue
        mx, mw = statistics.median(witx), statistics.median(wit)
        fmt = lambda v: "/".join(f"{x:.1f}" for x in v)  # noqa: E731
        print(f"cost: {what}: witx {mx:.1f} us, WIT {mw:.1f} us per inference (median of round medians "
              f"witx {fmt(witx)}, WIT {fmt(wit)}): WIT/witx {mw / mx:.2f}")
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "--compare":
        sys.exit(_compare(*a[1:5]))
    if a[0] == "--cost":
        sys.exit(_cost(a[1]))
    _models(pathlib.Path(a[0]), a[1], a[2])
