"""Where an OpenVINO load of the 2-input Add goes, per step and per CPU-plugin setting.

One load = what the openvino plugin does per `wasinn_graph_load` of an ONNX model
(`read_model` from memory, `compile_model` on the CPU at `INFERENCE_PRECISION_HINT=f32`,
`create_infer_request`), then one inference and the frees. The settings are interleaved: every
round runs each of them once, so a change in the machine's load hits all of them alike. Figures:
process CPU time (every thread) per load, mean over the rounds, in ms. The first round is a
warm-up and not counted. docs/stress.md has the figures measured here.

usage: python bench/openvino_load_cost.py [ROUNDS]   (in the venv: the openvino, onnx, numpy wheels)
       ONLY=none,cache_dir ...                        (a subset of the settings)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
import openvino as ov
from onnx import TensorProto, helper


def add_model() -> bytes:
    """sum = a + b, f32 [2, 3] (the model of tests/load_loop.rs's cycle mode)."""
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 3]) for n in ("a", "b", "sum")]
    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["sum"])], "add", io[:2], io[2:])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def cpu() -> float:
    return time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    model = add_model()
    core = ov.Core()
    core.set_property("CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    cache = tempfile.mkdtemp(prefix="wasinn-ov-cache-")
    settings = {
        "none": {},
        "latency": {"PERFORMANCE_HINT": "LATENCY"},
        "streams1": {"NUM_STREAMS": "1"},
        "threads1": {"INFERENCE_NUM_THREADS": "1"},
        "streams1_threads1": {"NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": "1"},
        "no_pinning": {"ENABLE_CPU_PINNING": "NO"},
        "snippets_off": {"SNIPPETS_MODE": "DISABLE"},
        "cache_dir": {"CACHE_DIR": cache},
    }
    if os.environ.get("ONLY"):
        settings = {k: v for k, v in settings.items() if k in os.environ["ONLY"].split(",")}
    print(f"openvino {ov.get_version()}, {len(os.sched_getaffinity(0))} CPUs in the affinity mask, {rounds} rounds")
    print("CPU plugin defaults:", ", ".join(
        f"{k}={core.get_property('CPU', k)}"
        for k in ("PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS", "ENABLE_CPU_PINNING", "INFERENCE_PRECISION_HINT")
    ))
    steps = ["read", "compile", "request", "infer", "free"]
    totals = {name: dict.fromkeys(steps + ["total"], 0.0) for name in settings}
    a = np.zeros((2, 3), np.float32)
    for r in range(rounds + 1):
        for name, props in settings.items():
            t = {}
            start = cpu()
            m = core.read_model(model)
            t["read"] = cpu()
            compiled = core.compile_model(m, "CPU", props)
            t["compile"] = cpu()
            request = compiled.create_infer_request()
            t["request"] = cpu()
            out = request.infer([a, a])
            assert float(np.asarray(out[0]).sum()) == 0.0
            t["infer"] = cpu()
            del out, request, compiled, m
            t["free"] = cpu()
            if r == 0:
                continue
            prev = start
            for s in steps:
                totals[name][s] += t[s] - prev
                prev = t[s]
            totals[name]["total"] += prev - start
    print(f"{'setting':<18}" + "".join(f"{s:>9}" for s in steps + ["total"]) + "   (CPU ms per load)")
    for name, tot in totals.items():
        print(f"{name:<18}" + "".join(f"{tot[s] * 1000 / rounds:9.2f}" for s in steps + ["total"]))
    for f in os.listdir(cache):
        os.remove(os.path.join(cache, f))
    os.rmdir(cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
