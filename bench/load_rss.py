"""Load time and peak RSS per real model and backend: libwasinn's C API vs the backend called
directly, each load in a process of its own (`wasinn-bench-load`), interleaved (per round, every
model x backend x way once), pinned like bench/whole.py. Figures: medians over rounds.

usage: python bench/load_rss.py BIN OUT.json [ROUNDS]   (WASINN_BENCH_MODELS, WASINN_PYTHON_SITE_PACKAGES set)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

MODELS = ["magika", "rapidocr-det", "rapidocr-rec", "rapidocr-cls", "silero-vad", "mobilenetv2"]
BACKENDS = ["tract", "onnxruntime", "openvino"]


def main() -> int:
    binary, out = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    pin = (["nice", "-n", "-5"] if os.geteuid() == 0 else []) + ["taskset", "-c", "1"]
    raw = {}
    for r in range(rounds):
        for m in MODELS:
            for b in BACKENDS:
                if m == "silero-vad" and b in ("tract", "openvino"):
                    continue  # tract 0.23.9 has no ONNX If operator; OpenVINO's ONNX frontend cannot convert it
                for way in ("direct", "capi"):
                    p = subprocess.run(pin + [binary, way, b, m], capture_output=True, text=True)
                    line = [l for l in p.stdout.splitlines() if l.startswith("load ")]
                    if p.returncode != 0 or not line:
                        print(f"{m} {b} {way}: exit {p.returncode}: {p.stderr[-1500:]}", file=sys.stderr)
                        return 1
                    rec = {k: float(v) for k, v in (kv.split("=") for kv in line[0].split()[1:])}
                    raw.setdefault(m, {}).setdefault(b, {}).setdefault(way, []).append(rec)
                    print(f"round {r} {m} {b} {way}: load {rec['ms']:.1f} ms, maxrss {rec['maxrss_kb'] / 1024:.1f} MB", flush=True)
    summary = {m: {b: {w: {k: statistics.median(x[k] for x in runs) for k in runs[0]} for w, runs in ws.items()}
                   for b, ws in bs.items()} for m, bs in raw.items()}
    with open(out, "w") as f:
        json.dump({"summary": summary, "rounds": rounds, "pinned": " ".join(pin)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
