"""Renders docs/conformance.md from a conformance run (`conformance.py report`). Everything in the
document comes from the results file, so regenerating it is the only way to change it."""

from __future__ import annotations

from typing import Any, Dict, List

RULES = """\
## How it is measured

**Suite.** Every case of the ONNX backend node test suite shipped in the `onnx` wheel
(`onnx/backend/test/data/node/<case>/`: `model.onnx`, `test_data_set_0/{input,output}_K.pb`; each
case has exactly one data set). Values are loaded as ONNX's own runner loads them, by the graph's
declared type: tensors as numpy arrays (`ml_dtypes` dtypes for bfloat16, float8, float4 and the
4-/2-bit integers; `bytes` objects for strings), sequences as lists, optionals as a value or None.
`input_K` feeds the K-th graph input (initializers excluded); missing trailing inputs stay unset.

**Paths.** Each case runs twice per backend, in the same worker process:
- *native*: the backend's own Python API, configured as libwasinn's plugins configure it
  (onnxruntime: `InferenceSession`, CPU provider, default options, types numpy lacks as
  `OrtValue`s of raw ONNX bytes; openvino: `compile_model(..., "CPU",
  {"INFERENCE_PRECISION_HINT": "f32"})`, the plugin's default precision; tract: the `tract`
  wheel of the same version as the built-in backend, input facts set from the values);
- *libwasinn*: the model bytes through libwasinn's C API (the ctypes binding), pinned to the
  backend with `wasinn_graph_load_with_backend`, inputs set and outputs read **by name**.

**Comparison** (`tests/conformance/suite.py`, the same function for both paths): outputs by
position; the element type and the shape must be exactly the expected ones; then

| element type | rule |
|---|---|
| float64, float32 | abs(actual - expected) <= 1e-7 + 1e-3 * abs(expected) (ONNX's runner defaults) |
| float16 | abs(actual - expected) <= 1e-7 + 2e-3 * abs(expected) |
| bfloat16 | abs(actual - expected) <= 1e-7 + 1.6e-2 * abs(expected) |
| float8 (all four), float8e8m0, float4e2m1 | exact, after decoding |
| integers (64 to 2 bits), bool, string | exact |

NaN matches NaN only, an infinity only the same infinity. Sequences match element by element
(same length), optionals when both are empty or both hold matching values.

**Statuses.** `pass`; `fail` (ran, wrong values, type or shape); `unsupported` (refused cleanly:
`UNSUPPORTED_OPERATION` from libwasinn, or the case is outside the tensor model, below);
`error` (any other refusal); `crash` / `timeout` (the worker died or took over 300 s; the
other path is then rerun alone in a fresh worker).

**Losses** are the cases a backend passes natively that it does not pass through libwasinn;
**gains** the reverse. `scripts/test.sh` fails when a backend's losses rise above, or its
libwasinn passes fall below, the figures committed in `tests/conformance/expected.json`.

**Outside the tensor model.** wasi-nn, and so libwasinn's C API, exchanges tensors only. An
optional tensor that holds a value is exchanged as that tensor (the ONNX Runtime plugin declares
such a port with the tensor's type). A case with a sequence, a map or an empty optional as a graph
input or output is still loaded through libwasinn (it must load or fail cleanly), then reported
`unsupported` with the ports that are not tensors; such cases are counted as losses where the
backend passes them natively, and listed separately.

**Identical outputs.** Where both paths ran, their outputs are also compared with each other:
"identical" means every element is bit-for-bit the same (NaN positions included).
"""


def _table(tally: Dict[str, Dict[str, Any]], case_info: Dict[str, Any]) -> List[str]:
    rows = ["| backend | cases | native pass | libwasinn pass | fail | unsupported | error | crash | timeout "
            "| losses | of which non-tensor I/O | gains | outputs identical to native |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b, t in tally.items():
        w = t["wasinn"]
        nt = sum(1 for c in t["losses"] if case_info.get(c, {}).get("non_tensor"))
        rows.append("| %s | %d | %d | %d | %d | %d | %d | %d | %d | **%d** | %d | %d | %d of %d |" % (
            b, t["cases"], t["native_pass"], t["wasinn_pass"], w.get("fail", 0), w.get("unsupported", 0),
            w.get("error", 0), w.get("crash", 0), w.get("timeout", 0), len(t["losses"]), nt, len(t["gains"]),
            t["identical"], t["both_ran"]))
    return rows


def _detail(doc: Dict[str, Any], backend: str, case: str, path: str) -> str:
    r = doc["results"][backend][case].get(path, {})
    text = (r.get("detail") or "").replace("\n", " ").replace("|", "\\|")
    return "%s%s" % (r.get("status", "?"), (": " + text[:160]) if text else "")


def render(doc: Dict[str, Any], tally: Dict[str, Dict[str, Any]], real: List[Dict[str, Any]]) -> str:
    info = doc["case_info"]
    v = doc.get("versions", {})
    out = ["# Conformance: the ONNX node suite and real models through libwasinn", "",
           "Generated by `scripts/conformance.sh` (do not edit by hand) from one run of "
           "`tests/conformance/conformance.py` on this machine kind, %d s for the node suite." % doc["seconds"], "",
           "Versions: " + ", ".join("%s %s" % kv for kv in sorted(v.items())) + ".", "",
           "## Node suite: %d cases (onnx %s)" % (doc["suite"]["cases"], doc["suite"]["onnx"]), ""]
    out += _table(tally, info)
    out += ["", RULES]
    out += ["## Losses", ""]
    for b, t in tally.items():
        out.append("**%s**: %d." % (b, len(t["losses"])))
        if t["losses"]:
            out += ["", "| case | libwasinn |", "|---|---|"]
            out += ["| %s | %s |" % (c, _detail(doc, b, c, "wasinn")) for c in t["losses"]]
        out.append("")
    out += ["## Gains (pass through libwasinn, not natively)", ""]
    for b, t in tally.items():
        out.append("**%s** (%d): %s" % (b, len(t["gains"]), ", ".join(t["gains"]) or "none"))
        out.append("")
    out += ["## Outputs that differ from the native path", "",
            "Cases where both paths produced outputs that are not bit-identical (largest absolute difference; "
            "`inf` when NaN or infinity positions differ):", ""]
    for b, t in tally.items():
        rows = ["%s (%s, native %s / libwasinn %s)" % (c, doc["results"][b][c].get("cross"),
                doc["results"][b][c]["native"]["status"], doc["results"][b][c]["wasinn"]["status"])
                for c in t["non_identical"]]
        out.append("**%s**: %s" % (b, "; ".join(rows) or "none"))
        out.append("")
    nt_cases = sorted(c for c in info if info[c].get("non_tensor"))
    out += ["## Cases outside the tensor model (%d)" % len(nt_cases), "",
            "| case | ports that are not tensors | native: " + " / ".join(doc["backends"]) + " |", "|---|---|---|"]
    for c in nt_cases:
        natives = " / ".join(doc["results"][b][c].get("native", {}).get("status", "?") for b in doc["backends"])
        out.append("| %s | %s | %s |" % (c, "; ".join(info[c]["non_tensor"]), natives))
    out += ["", "## Element types", "",
            "Cases by the ONNX element types of their tensor inputs and outputs (a case counts once per type) and "
            "how many pass through libwasinn:", "",
            "| type | cases | " + " | ".join(doc["backends"]) + " |", "|---|---:|" + "---:|" * len(doc["backends"])]
    types = sorted({t for c in info for t in info[c].get("types", [])})
    for ty in types:
        cs = [c for c in info if ty in info[c].get("types", [])]
        passes = [sum(1 for c in cs if doc["results"][b][c].get("wasinn", {}).get("status") == "pass")
                  for b in doc["backends"]]
        out.append("| %s | %d | %s |" % (ty, len(cs), " | ".join(str(p) for p in passes)))
    out += ["", "## Real models", "",
            "Models shipped in PyPI packages (magika, rapidocr-onnxruntime, silero-vad, onnxruntime's datasets), "
            "run through libwasinn pinned to each backend and through the backend's own Python API on the same "
            "seeded inputs (`tests/conformance/real_models.py`). `max diff` is the largest abs(libwasinn - native) "
            "over every output element; the bound is %g." % 1e-5, "",
            "| model | backend | status | native | max diff | output range | notes |", "|---|---|---|---|---:|---|---|"]
    for r in real:
        notes = r.get("detail") or "; ".join(r.get("skipped_outputs", [])) or ""
        if r.get("native") == "failed" and not r.get("detail"):
            notes = "native: " + r.get("native_detail", "")
        md = r.get("max_diff")
        rng = r.get("output_range")
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["backend"], r["status"], r.get("native", "?"), "-" if md is None else "%g" % md,
            "%.3g .. %.3g" % tuple(rng) if rng else "-", notes.replace("\n", " ").replace("|", "\\|")[:200]))
    out.append("")
    return "\n".join(out)

