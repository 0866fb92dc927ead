"""TensorFlow Lite conformance: real .tflite models from PyPI packages plus small models written
here with the TFLite flatbuffer schema, through libwasinn on every backend that loads TFLite,
against the backend's own Python API on the same inputs.

Models: the 14 task models in `mediapipe==0.10.14` (`mediapipe/modules/*/*.tflite`; installed
with --no-deps, only for the files), and the generated ones below (written with
`ai_edge_litert.schema_py_generated`, the schema's own Python object API: f32, i32, f16 and
per-tensor quantized u8/i8 tensors).

Backends and their references:
- tract (built in, tract-tflite): tract has no Python TFLite API, so the reference is LiteRT's
  interpreter (`ai_edge_litert.interpreter.Interpreter`); a model tract-tflite cannot translate
  must be refused with UNSUPPORTED_OPERATION naming the operator.
- openvino (plugin): OpenVINO's Python API (`Core.read_model(path)`, `compile_model(..., "CPU",
  {"INFERENCE_PRECISION_HINT": "f32"})`, the plugin's default), on the same file.
- litert (plugin, plugins/litert: LiteRT's C API in the wheel's libLiteRt.so): LiteRT's Python
  interpreter, on the same bytes; a model the interpreter runs that the plugin does not is a loss.

Comparison: same shapes; floats within 1e-5 (max |libwasinn - reference|), integer
(quantized) outputs exactly. A **loss** is a model the backend's own API runs that libwasinn on
that backend does not run to a match (for tract, whose only TFLite path is libwasinn's, the
column is what LiteRT runs that tract does not, as information, not a loss).

Usage: tflite.py run OUT.json; tflite.py check OUT.json (fails on any loss or mismatch);
tflite.py markdown OUT.json (the docs/conformance.md section); tflite.py write-generated DIR (the
generated models as DIR/NAME.tflite); tflite.py bench MODEL[,MODEL...] [N [OUT.md]]
(libwasinn vs the backend called directly, N interleaved pairs; figures only; OUT.md: the
BENCHMARKS.md section, written by bench/extra/tflite.sh).
"""

from __future__ import annotations

import glob
import json
import os
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

import numpy as np

TOLERANCE = 1e-5
# Generated models with an operator tract-tflite 0.23.9 lacks: tract must refuse them naming it.
TRACT_LACKS = {"gen_cast_f16": "CAST"}
# Generated models tract-tflite 0.23.9 translates but computes differently from LiteRT: the cell is
# "differs" with the measured max difference, never hidden. Not a loss: libwasinn returns what
# tract-tflite's own Rust API computes for the same model (asserted by tests/tflite_backend.rs,
# `a_float_mean_is_what_tract_tflite_itself_computes`), so the difference is tract's, not the wrapper's.
TRACT_DIFFERS = {"gen_mean_f32": "tract-tflite 0.23.9 rounds the results of a float MEAN to integers"}


# ---------------------------------------------------------------------------------------------
# Generated models.

def _model(tensors, ops, inputs, outputs) -> bytes:
    """tensors: (name, TensorType, shape, quant (scale, zp) or None, data bytes or None);
    ops: (BuiltinOperator, inputs, outputs, (options type, options) or None)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version = 3
    m.buffers = [s.BufferT()]
    sg = s.SubGraphT()
    sg.tensors = []
    for name, ty, shape, quant, data in tensors:
        t = s.TensorT()
        t.name, t.type, t.shape = name, ty, list(shape)
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = list(data)
            m.buffers.append(b)
            t.buffer = len(m.buffers) - 1
        if quant is not None:
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint = [quant[0]], [quant[1]]
            t.quantization = q
        sg.tensors.append(t)
    codes: List[int] = []
    sg.operators = []
    for code, ins, outs, options in ops:
        if code not in codes:
            codes.append(code)
        op = s.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = codes.index(code), list(ins), list(outs)
        if options is None:
            # ADD, MUL and FULLY_CONNECTED get their default options table, as converters write
            # it (OpenVINO's frontend requires it: "Chosen Builtin Option is not accessible").
            options = _default_options(s, code)
        if options is not None:
            op.builtinOptionsType, op.builtinOptions = options
        sg.operators.append(op)
    sg.inputs, sg.outputs = list(inputs), list(outputs)
    m.subgraphs = [sg]
    m.operatorCodes = []
    for code in codes:
        oc = s.OperatorCodeT()
        oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
        m.operatorCodes.append(oc)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _default_options(s, code):
    table = {s.BuiltinOperator.ADD: ("AddOptions", s.AddOptionsT),
             s.BuiltinOperator.MUL: ("MulOptions", s.MulOptionsT),
             s.BuiltinOperator.FULLY_CONNECTED: ("FullyConnectedOptions", s.FullyConnectedOptionsT)}
    if code not in table:
        return None
    name, cls = table[code]
    return getattr(s.BuiltinOptions, name), cls()


def generated_models() -> Dict[str, bytes]:
    from ai_edge_litert import schema_py_generated as s
    T, Op = s.TensorType, s.BuiltinOperator
    rng = np.random.default_rng(16)
    w = rng.standard_normal((8, 16)).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    conv_w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)  # OHWI
    conv_b = rng.standard_normal(4).astype(np.float32)
    conv_opts = s.Conv2DOptionsT()
    conv_opts.padding, conv_opts.strideW, conv_opts.strideH = s.Padding.SAME, 1, 1
    conv_opts.fusedActivationFunction = s.ActivationFunctionType.RELU
    softmax = s.SoftmaxOptionsT()
    softmax.beta = 1.0
    reducer = s.ReducerOptionsT()
    reducer.keepDims = True
    qu8, qi8 = (0.05, 128), (0.1, -3)
    return {
        "gen_add_f32": _model(
            [("a", T.FLOAT32, [2, 3], None, None), ("b", T.FLOAT32, [2, 3], None, None),
             ("sum", T.FLOAT32, [2, 3], None, None)],
            [(Op.ADD, [0, 1], [2], None)], [0, 1], [2]),
        "gen_fc_softmax_f32": _model(
            [("x", T.FLOAT32, [1, 16], None, None), ("w", T.FLOAT32, [8, 16], None, w.tobytes()),
             ("bias", T.FLOAT32, [8], None, bias.tobytes()), ("h", T.FLOAT32, [1, 8], None, None),
             ("probs", T.FLOAT32, [1, 8], None, None)],
            [(Op.FULLY_CONNECTED, [0, 1, 2], [3], None),
             (Op.SOFTMAX, [3], [4], (s.BuiltinOptions.SoftmaxOptions, softmax))], [0], [4]),
        "gen_conv_relu_f32": _model(
            [("image", T.FLOAT32, [1, 8, 8, 3], None, None),
             ("filter", T.FLOAT32, [4, 3, 3, 3], None, conv_w.tobytes()),
             ("features", T.FLOAT32, [1, 8, 8, 4], None, None),
             ("conv_bias", T.FLOAT32, [4], None, conv_b.tobytes())],
            [(Op.CONV_2D, [0, 1, 3], [2], (s.BuiltinOptions.Conv2DOptions, conv_opts))], [0], [2]),
        "gen_mul_i32": _model(
            [("a", T.INT32, [4], None, None), ("b", T.INT32, [4], None, None), ("p", T.INT32, [4], None, None)],
            [(Op.MUL, [0, 1], [2], None)], [0, 1], [2]),
        "gen_add_u8_quant": _model(
            [("x", T.UINT8, [1, 16], qu8, None), ("y", T.UINT8, [1, 16], qu8, None),
             ("z", T.UINT8, [1, 16], qu8, None)],
            [(Op.ADD, [0, 1], [2], None)], [0, 1], [2]),
        "gen_add_i8_quant": _model(
            [("x", T.INT8, [1, 16], qi8, None), ("y", T.INT8, [1, 16], qi8, None),
             ("z", T.INT8, [1, 16], qi8, None)],
            [(Op.ADD, [0, 1], [2], None)], [0, 1], [2]),
        "gen_mean_f32": _model(
            [("image", T.FLOAT32, [1, 4, 4, 3], None, None),
             ("axes", T.INT32, [2], None, np.array([1, 2], dtype=np.int32).tobytes()),
             ("pooled", T.FLOAT32, [1, 1, 1, 3], None, None)],
            [(Op.MEAN, [0, 1], [2], (s.BuiltinOptions.ReducerOptions, reducer))], [0], [2]),
        "gen_cast_f16": _model(
            [("x", T.FLOAT32, [6], None, None), ("h", T.FLOAT16, [6], None, None)],
            [(Op.CAST, [0], [1], None)], [0], [1]),
    }


def mediapipe_models() -> Dict[str, str]:
    # Located, not imported: importing mediapipe needs opencv, which --no-deps leaves out.
    import importlib.util
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("tflite: mediapipe==0.10.14 is not installed (scripts/requirements-nodeps.txt)")
    root = list(spec.submodule_search_locations)[0]
    return {os.path.splitext(os.path.basename(p))[0]: p
            for p in sorted(glob.glob(os.path.join(root, "modules", "*", "*.tflite")))}


# ---------------------------------------------------------------------------------------------
# Inputs and references.

def _inputs(details: List[Dict[str, Any]]) -> List[np.ndarray]:
    """Deterministic inputs in each input's real range: images in [0, 1) (mediapipe's float
    models take normalised images), integers over their whole range."""
    rng = np.random.default_rng(1234)
    out = []
    for d in details:
        dt, shape = np.dtype(d["dtype"]), tuple(int(x) for x in d["shape"])
        if dt.kind == "f":
            out.append(rng.random(shape, dtype=np.float32).astype(dt))
        else:
            info = np.iinfo(dt)
            lo, hi = max(info.min, -1000), min(info.max, 1000)
            out.append(rng.integers(lo, hi, size=shape, endpoint=True).astype(dt))
    return out


def _last_line(e: Any) -> str:
    """The last non-empty line of an exception's (or a message's) text: OpenVINO's start with the
    C++ source location and end with the reason and blank lines."""
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(e).__name__


def litert_reference(data: bytes):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=data, num_threads=1)
    it.allocate_tensors()
    ins, outs = it.get_input_details(), it.get_output_details()
    values = _inputs(ins)
    for d, v in zip(ins, values):
        it.set_tensor(d["index"], v)
    it.invoke()
    return ins, values, [it.get_tensor(d["index"]).copy() for d in outs]


def openvino_reference(path: str, values: List[np.ndarray]):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    res = compiled(values)
    return [np.asarray(res[o]) for o in compiled.outputs]


def openvino_compiles(path: str) -> str:
    """OpenVINO's Python API on a model there are no inputs for: whether it reads and compiles it."""
    import openvino as ov
    try:
        core = ov.Core()
        core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        return "compiles (not run: no inputs, LiteRT cannot run it)"
    except Exception as e:  # noqa: BLE001
        return f"error: {_last_line(e)[:200]}"


def libwasinn_run(data: bytes, backend: str, values: List[np.ndarray]):
    """The outputs, and the (scale, zero point) libwasinn reports per input and output."""
    import wasinn
    with wasinn.Graph.load(data, "tensorflowlite", "cpu", backend=backend) as g:
        quant = [g.quantization("input", i) for i in range(len(g.inputs))] + \
                [g.quantization("output", i) for i in range(len(g.outputs))]
        with g.create_execution_context() as ctx:
            for i, v in enumerate(values):
                ctx.set_input(i, v)
            ctx.compute()
            return [ctx.get_output(i) for i in range(len(g.outputs))], quant


def litert_quantization(data: bytes) -> List[Optional[tuple]]:
    """LiteRT's (scale, zero point) per input then output; None where it has none (scale 0)."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=data)
    return [(float(d["quantization"][0]), int(d["quantization"][1])) if d["quantization"][0] else None
            for d in it.get_input_details() + it.get_output_details()]


def compare(actual: List[np.ndarray], expected: List[np.ndarray]) -> Optional[str]:
    """None when they match, else why; sets the max float difference in `compare.max_diff`."""
    compare.max_diff = 0.0
    if len(actual) != len(expected):
        return f"{len(actual)} outputs, expected {len(expected)}"
    for k, (a, e) in enumerate(zip(actual, expected)):
        if a.shape != e.shape:
            return f"output {k}: shape {a.shape}, expected {e.shape}"
        if a.dtype.kind == "f" or e.dtype.kind == "f":
            diff = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64)), initial=0.0))
            compare.max_diff = max(compare.max_diff, diff)
            if not diff <= TOLERANCE:
                return f"output {k}: max |diff| {diff:.3g} > {TOLERANCE}"
        elif not np.array_equal(a, e):
            return f"output {k}: {int(np.sum(a != e))} of {a.size} integer values differ"
    return None


def _available_backends(probe: bytes) -> List[str]:
    """The backends that serve TFLite here: a load of a small model pinned to each, where only
    "no such backend" (NOT_FOUND) or "does not load tensorflowlite" (INVALID_ENCODING) mean absent."""
    import wasinn
    names = []
    for b in ("tract", "openvino", "litert"):
        try:
            wasinn.Graph.load(probe, "tensorflowlite", "cpu", backend=b).close()
            names.append(b)
        except (wasinn.NotFound, wasinn.InvalidEncoding) as e:
            print(f"tflite: backend {b} is not available: {e.message}", flush=True)
    return names


def run(out_path: str) -> None:
    import wasinn
    models: Dict[str, bytes] = {}
    files: Dict[str, str] = {}
    for name, path in mediapipe_models().items():
        models[name] = open(path, "rb").read()
        files[name] = path
    tmp = tempfile.mkdtemp(prefix="wasinn-tflite-")
    for name, data in generated_models().items():
        models[name] = data
        files[name] = os.path.join(tmp, name + ".tflite")
        with open(files[name], "wb") as f:
            f.write(data)
    backends = _available_backends(models["gen_add_f32"])
    results: Dict[str, Any] = {"backends": backends, "models": {}}
    for name, data in models.items():
        row: Dict[str, Any] = {"bytes": len(data)}
        try:
            details, values, ref_litert = litert_reference(data)
            row["litert_native"] = "pass"
            row["inputs"] = [f"{np.dtype(d['dtype']).name}{list(int(x) for x in d['shape'])}" for d in details]
        except Exception as e:  # noqa: BLE001 (the reference's own failure is data)
            row["litert_native"] = f"error: {_last_line(e)[:200]}"
            values, ref_litert = None, None
        for backend in backends:
            cell: Dict[str, Any] = {}
            ref = ref_litert
            if backend == "openvino" and values is not None:
                try:
                    ref = openvino_reference(files[name], values)
                    cell["native"] = "pass"
                except Exception as e:  # noqa: BLE001
                    cell["native"] = f"error: {_last_line(e)[:200]}"
                    ref = None
            elif backend == "openvino":
                # No inputs to run it on (LiteRT's interpreter cannot): OpenVINO's own verdict on the file.
                cell["native"] = openvino_compiles(files[name])
            else:
                cell["native"] = row["litert_native"] if backend != "tract" else "n/a (LiteRT is the reference)"
            t0 = time.perf_counter()
            try:
                got, quant = libwasinn_run(data, backend, values if values is not None else [])
                why = compare(got, ref) if ref is not None else "no reference output"
                if why is not None and backend == "tract" and name in TRACT_DIFFERS and ref is not None:
                    cell["differs"] = True
                if why is None and backend in ("tract", "litert"):
                    want = litert_quantization(data)
                    close = all((a is None) == (b is None) and (a is None or (abs(a[0] - b[0]) <= 1e-7 * abs(b[0])
                                and a[1] == b[1])) for a, b in zip(quant, want))
                    if not close:
                        why = f"quantization reported {quant}, LiteRT has {want}"
                    cell["quantized_ports"] = sum(q is not None for q in quant)
                if why is None and backend == "openvino":
                    # Not reported (plugins/openvino/README.md, "Quantized TFLite models"): check()
                    # fails if that changes, so the README and this section get updated.
                    cell["quantized_ports"] = sum(q is not None for q in quant)
                    cell["litert_quantized_ports"] = sum(q is not None for q in litert_quantization(data))
                cell["status"] = "pass" if why is None else ("differs" if cell.pop("differs", False) else "fail")
                cell["max_diff"] = compare.max_diff
                if why:
                    cell["why"] = why
            except wasinn.UnsupportedOperation as e:
                cell["status"], cell["why"] = "unsupported", e.message
            except wasinn.WasinnError as e:
                cell["status"], cell["why"] = "error", f"{type(e).__name__}: {e.message}"
            cell["seconds"] = round(time.perf_counter() - t0, 3)
            native_ok = cell["native"] == "pass" or (backend == "tract" and row["litert_native"] == "pass")
            cell["loss"] = backend != "tract" and native_ok and cell["status"] != "pass"
            row[backend] = cell
            print(f"{name:40s} {backend:9s} {cell['status']:12s} {cell.get('max_diff', '')!s:10.10s} "
                  f"{cell.get('why', '')[:140]}", flush=True)
        results["models"][name] = row
    import ai_edge_litert
    import openvino
    results["versions"] = {"libwasinn": wasinn.version(), "openvino": openvino.__version__,
                           "ai-edge-litert": getattr(ai_edge_litert, "__version__", "2.3.0"),
                           "mediapipe": "0.10.14 (models only)"}
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


def check(path: str) -> int:
    res = json.load(open(path))
    bad = []
    for name, row in res["models"].items():
        for b in res["backends"]:
            cell = row[b]
            if cell["status"] == "fail":
                bad.append(f"{name} on {b}: wrong values: {cell.get('why')}")
            if cell["loss"]:
                bad.append(f"{name} on {b}: a loss ({cell['status']}: {cell.get('why', '')[:200]})")
            if cell["status"] == "differs" and not (b == "tract" and name in TRACT_DIFFERS):
                bad.append(f"{name} on {b}: an unexpected difference: {cell.get('why')}")
            if b == "tract" and name in TRACT_DIFFERS and cell["status"] != "differs":
                bad.append(f"{name} on tract: expected the known difference ({TRACT_DIFFERS[name]}), got "
                           f"{cell['status']}: update TRACT_DIFFERS")
            if b == "openvino" and cell.get("quantized_ports"):
                bad.append(f"{name} on openvino: the plugin now reports quantization ({cell['quantized_ports']} ports): "
                           "update plugins/openvino/README.md and this runner")
            if cell["status"] == "error":
                bad.append(f"{name} on {b}: refused with a status other than UNSUPPORTED_OPERATION: {cell['why'][:200]}")
            if b == "tract" and row["litert_native"] == "pass" and name.startswith("gen_") and name not in TRACT_DIFFERS:
                lacks = TRACT_LACKS.get(name)
                if lacks is None and cell["status"] != "pass":
                    bad.append(f"{name} on tract: a generated model tract-tflite supports did not pass")
                if lacks is not None and (cell["status"] != "unsupported" or lacks not in cell.get("why", "")):
                    bad.append(f"{name} on tract: expected UNSUPPORTED_OPERATION naming {lacks}, got {cell}")
    for b in res["backends"]:
        st = [r[b]["status"] for r in res["models"].values()]
        losses = sum(1 for r in res["models"].values() if r[b]["loss"])
        known = f"{st.count('differs')} differs (known), " if st.count("differs") else ""
        print(f"tflite {b}: {st.count('pass')}/{len(st)} pass, {known}{st.count('unsupported')} unsupported, {losses} losses")
    missing = [b for b in ("tract", "openvino", "litert") if b not in res["backends"]]
    if missing:
        bad.append(f"tract, openvino and litert must all be available (missing {missing}, got {res['backends']})")
    for line in bad:
        print("FAIL:", line)
    print("tflite conformance check: " + ("passed" if not bad else f"FAILED ({len(bad)})"))
    return 1 if bad else 0


def _short(native: str) -> str:
    """A native API's result for a table cell: LiteRT's custom-operator error without its link."""
    return native.replace("See instructions: https://www.tensorflow.org/lite/guide/ops_custom ", "").replace("|", "/")


def markdown(path: str) -> str:
    res = json.load(open(path))
    bs = res["backends"]
    v = res["versions"]
    lines = ["## TensorFlow Lite models", "",
             "Generated by `tests/conformance/tflite.py` (see its docstring for the method): the 14 models in "
             "`mediapipe==0.10.14` and small generated models, through libwasinn on each backend that loads TFLite, "
             "against the backend's own Python API (tract and litert: LiteRT's interpreter). Floats within 1e-5, integers exact. "
             f"Versions: libwasinn {v['libwasinn']}, ai-edge-litert {v['ai-edge-litert']}, openvino {v['openvino']}, "
             f"mediapipe {v['mediapipe']}.", "",
             "| model | inputs | LiteRT (reference) | " + " | ".join(f"{b} (libwasinn)" for b in bs) + " |",
             "|---|---|---|" + "---|" * len(bs)]
    for name, row in res["models"].items():
        cells = []
        for b in bs:
            c = row[b]
            if c["status"] == "pass":
                q = c.get("quantized_ports")
                q = f"; {q} quantized ports as LiteRT's" if q else ""
                if b == "openvino" and c.get("litert_quantized_ports"):
                    q = f"; quantization not reported, LiteRT has {c['litert_quantized_ports']} quantized ports"
                cells.append(f"pass ({c['max_diff']:.1e}{q})" if c.get("max_diff") else f"pass (exact{q})")
            elif c["status"] == "differs":
                cells.append(f"differs (max {c['max_diff']:.2g}): {TRACT_DIFFERS.get(name, '?')}; libwasinn = tract-tflite's own API")
            else:
                why = _last_line(c.get("why") or "?").replace("|", "/")[:110]
                native = "" if b == "tract" else f"; native: {_short(c['native'])[:100]}"
                cells.append(f"{c['status']}: {why}{native}")
        lit = _short(row["litert_native"])[:100]
        lines.append(f"| {name} | {', '.join(row.get('inputs', []))} | {lit} | " + " | ".join(cells) + " |")
    lines += ["", "| backend | models | pass | differs | unsupported | fail | error | losses |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for b in bs:
        st = [r[b]["status"] for r in res["models"].values()]
        losses = sum(1 for r in res["models"].values() if r[b]["loss"])
        lines.append(f"| {b} | {len(st)} | {st.count('pass')} | {st.count('differs')} | {st.count('unsupported')} | {st.count('fail')} | "
                     f"{st.count('error')} | **{losses}** |")
    lines += ["", "A loss is a model the backend's own API runs that libwasinn on that backend does not; tract has "
              "no TFLite API of its own, so its unsupported models (operators tract-tflite lacks, named in the "
              "cell) are not losses but the built-in backend's coverage. \"differs\" (tract only): tract-tflite "
              "translates the model but computes other values than LiteRT, measured in the cell; the comparison is "
              "libwasinn's tract output against LiteRT's interpreter, and separately (tests/tflite_backend.rs) against "
              "tract-tflite's own Rust API on the same model and input, which it equals exactly: tract's result, not a "
              "loss. Quantization: for tract and litert, every port's (scale, zero point) as libwasinn reports it "
              "(`wasinn_graph_*_quantization`) equals LiteRT's `get_input_details()`/`get_output_details()` "
              "`quantization` (a mismatch fails the cell). The openvino plugin reports no quantization (every port "
              "\"not quantized\", checked here): OpenVINO's TFLite frontend turns each quantized tensor's (scale, zero point) "
              "into FakeQuantize operations inside the graph, the ports keep their u8/i8 types, and OpenVINO's C API has "
              "no call that reaches the operations behind a port (plugins/openvino/README.md, \"Quantized TFLite models\")."]
    return "\n".join(lines) + "\n"


def bench(models: List[str], repeats: int, md_out: Optional[str] = None) -> None:
    """A benchmark, not a test: the median time of one inference (set the inputs, compute, read
    output 0) through libwasinn on each backend and through the backend called directly on the
    same model and inputs (openvino: its Python API's infer request on the compiled model, f32 as
    the plugin; litert: LiteRT's Python interpreter with num_threads=1; tract has no direct TFLite
    API in Python, so LiteRT's interpreter stands beside it for scale). The two sides of a pair run
    interleaved (one call each, in turn, `repeats` times, after a warm-up), so load on the machine
    falls on both alike. Run it pinned to one core (scripts/bench.sh's hook does) so every side has
    one core whatever its thread pool. Prints one line a model and backend; with `md_out` writes
    the BENCHMARKS.md section there. Asserts nothing about times (repeats 1: a check that it runs)."""
    import openvino as ov
    import wasinn
    from ai_edge_litert.interpreter import Interpreter
    paths = mediapipe_models()
    tmp = tempfile.mkdtemp(prefix="wasinn-tflite-bench-")
    for name, data in generated_models().items():
        paths[name] = os.path.join(tmp, name + ".tflite")
        with open(paths[name], "wb") as f:
            f.write(data)

    def pair(a, b):
        """Medians of a and b called in turn `repeats` times after one warm-up call each."""
        a(), b()
        ta, tb = [], []
        for _ in range(repeats):
            for f, ts in ((a, ta), (b, tb)):
                t0 = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t0)
        return sorted(ta)[len(ta) // 2], sorted(tb)[len(tb) // 2]

    rows = []
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    for name in models:
        data = open(paths[name], "rb").read()
        _, values, _ = litert_reference(data)
        it = Interpreter(model_content=data, num_threads=1)
        it.allocate_tensors()
        ins, outs = it.get_input_details(), it.get_output_details()

        def litert():
            for d, v in zip(ins, values):
                it.set_tensor(d["index"], v)
            it.invoke()
            it.get_tensor(outs[0]["index"])
        direct = {"litert": litert}
        try:
            # The plugin's defaults: f32 precision, OpenVINO's own thread count (1 when pinned).
            core = ov.Core()
            compiled = core.compile_model(core.read_model(paths[name]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
            request = compiled.create_infer_request()
            direct["openvino"] = lambda: request.infer(values)
        except Exception as e:  # noqa: BLE001 (a model OpenVINO cannot read: no openvino row)
            print(f"tflite bench {name} openvino: OpenVINO cannot run it directly ({_last_line(e)[:120]})", flush=True)
        for backend, ref in (("tract", "litert"), ("openvino", "openvino"), ("litert", "litert")):
            if ref not in direct:
                continue
            try:
                g = wasinn.Graph.load(data, "tensorflowlite", "cpu", backend=backend)
            except wasinn.UnsupportedOperation as e:
                print(f"tflite bench {name} {backend}: unsupported ({e.message[:120]})", flush=True)
                continue
            with g, g.create_execution_context() as ctx:
                def run():
                    for i, v in enumerate(values):
                        ctx.set_input(i, v)
                    ctx.compute()
                    ctx.get_output(0)
                t, d = pair(run, direct[ref])
            rows.append((name, backend, ref, t, d))
            print(f"tflite bench {name} {backend}: libwasinn {t * 1e3:.3f} ms, {ref} direct "
                  f"{d * 1e3:.3f} ms, ratio {t / d:.2f}", flush=True)
    if md_out:
        import ai_edge_litert
        load = " ".join(open("/proc/loadavg").read().split()[:3])
        ref_name = {"litert": "LiteRT's Python interpreter (1 thread)", "openvino": "OpenVINO's Python API (f32)"}
        lines = ["## TensorFlow Lite: libwasinn vs the backend called directly", "",
                 f"`tests/conformance/tflite.py bench` ({repeats} interleaved pairs a model and backend, medians; "
                 "one inference = set every input, compute, read output 0, through the Python binding's C API "
                 "calls on one side and the backend's own Python API on the other). Pinned to one core "
                 "(`taskset -c 1`): one inference thread on every side (LiteRT's interpreter `num_threads=1`; "
                 "the litert plugin's XNNPACK and OpenVINO's pool see one core). tract has no TFLite API of its own "
                 "in Python: its rows stand beside LiteRT's interpreter for scale, not as an overhead. "
                 "On the generated models (a few microseconds of compute) the ratio is the Python binding's "
                 "per-inference cost (ctypes calls: one `set_input` a port, `compute`, `get_output`, with numpy "
                 "conversions, ~50-70 us) against LiteRT's pybind11 calls, not libwasinn's C cost (section 1 has "
                 "the C API's); the mediapipe models show what remains when the model computes for milliseconds. "
                 f"libwasinn {wasinn.version()} ({os.environ.get('WASINN_LIB', 'the default library')}), "
                 f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '2.3.0')}, openvino {ov.__version__}. "
                 f"Load average (1/5/15 min) at the start: {load_start}, at the end: {load} (a shared machine: read "
                 "the ratios, measured side by side, not the absolute times).", "",
                 "| model | backend | libwasinn (ms) | called directly | direct (ms) | ratio |",
                 "|---|---|---:|---|---:|---:|"]
        for name, backend, ref, t, d in rows:
            lines.append(f"| {name} | {backend} | {t * 1e3:.3f} | {ref_name[ref]} | {d * 1e3:.3f} | {t / d:.2f} |")
        with open(md_out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "run":
        run(path)
    elif cmd == "check":
        sys.exit(check(path))
    elif cmd == "bench":
        bench(path.split(","), int(sys.argv[3]) if len(sys.argv) > 3 else 20, sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == "write-generated":
        os.makedirs(path, exist_ok=True)
        for name, data in generated_models().items():
            with open(os.path.join(path, name + ".tflite"), "wb") as f:
                f.write(data)
    elif cmd == "markdown":
        sys.stdout.write(markdown(path))
    else:
        sys.exit(f"unknown command {cmd}")
