#!/usr/bin/env python3
"""Conformance runner: the ONNX backend node test suite (the `onnx` wheel's
`onnx/backend/test/data/node`) through libwasinn's C API on each backend, and through each
backend's own Python API as the reference.

    python tests/conformance/conformance.py run    [--backends tract,onnxruntime,openvino] [--jobs N]
                                                   [--cases PATTERN] [--results FILE]
    python tests/conformance/conformance.py real   [--real-results FILE]    # real_models.py
    python tests/conformance/conformance.py check  [--results FILE] [--real-results FILE]
    python tests/conformance/conformance.py report [--results FILE] [--real-results FILE]
                                                   [--doc docs/conformance.md] [--update-expected]

`check` compares a run with the figures committed in tests/conformance/expected.json.
`scripts/conformance.sh` runs run, real and report --update-expected (the one command that
regenerates the committed doc and figures); `scripts/test.sh` runs run, real and check.

Each (case, backend) pair is one task for a worker process (`worker` sub-command): it runs the
native path, then the libwasinn path, and compares both to the expected outputs and to each
other. A worker that crashes or hangs is killed and replaced; the path it was running is recorded
as `crash` or `timeout` (a crash in the native path is retried for the libwasinn path alone in a
fresh worker, so one cannot hide the other).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import select
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

EXPECTED = os.path.join(HERE, "expected.json")
DOC = os.path.join(REPO, "docs", "conformance.md")
TASK_TIMEOUT = 300.0  # seconds for one case on one backend, both paths

# Statuses of one path on one case. `pass` and `fail` (wrong values, types or shapes) mean it
# ran; `unsupported` means the path refused cleanly (an operator, element type or value kind it
# does not handle: UNSUPPORTED_OPERATION from libwasinn); `error` any other refusal or exception;
# `crash` and `timeout` a dead or stuck worker process.
STATUSES = ("pass", "fail", "unsupported", "error", "crash", "timeout")


# ------------------------------------------------------------------------------------------ worker --

def _classify(fn: Any, case: Any) -> Tuple[Dict[str, Any], Optional[List[Any]]]:
    import paths
    import suite

    t0 = time.perf_counter()
    outputs = None
    try:
        outputs = fn(case)
        why = suite.compare_outputs(case, outputs)
        res = {"status": "pass"} if why is None else {"status": "fail", "detail": why}
    except paths.Unsupported as e:
        res = {"status": "unsupported", "detail": str(e)}
    except Exception as e:  # noqa: BLE001 - every failure is data here
        import wasinn
        if isinstance(e, wasinn.UnsupportedOperation):
            res = {"status": "unsupported", "detail": str(e)}
        else:
            res = {"status": "error", "detail": "%s: %s" % (type(e).__name__, str(e).strip())}
        outputs = None
    res["seconds"] = round(time.perf_counter() - t0, 4)
    if "detail" in res:
        res["detail"] = res["detail"][:600]
    return res, outputs


def worker() -> None:
    """Reads tasks (JSON lines) from stdin, writes one JSON line per finished path to stdout."""
    import paths
    import suite

    out = sys.stdout
    sys.stdout = sys.stderr  # anything a library prints must not corrupt the protocol
    for line in sys.stdin:
        task = json.loads(line)
        name, backend, which = task["case"], task["backend"], task["paths"]
        try:
            case = suite.load_case(name)
        except Exception as e:  # noqa: BLE001
            for p in which:
                out.write(json.dumps({"case": name, "backend": backend, "path": p, "status": "error",
                                      "detail": "cannot load the case: %s" % e}) + "\n")
            out.write(json.dumps({"case": name, "backend": backend, "done": True}) + "\n")
            out.flush()
            continue
        got: Dict[str, Any] = {}
        for p in which:
            fn = paths.NATIVE[backend] if p == "native" else (lambda c, b=backend: paths.run_wasinn(c, b))
            res, outputs = _classify(fn, case)
            got[p] = outputs
            res.update({"case": name, "backend": backend, "path": p})
            out.write(json.dumps(res) + "\n")
            out.flush()
        cross = None
        if got.get("native") is not None and got.get("wasinn") is not None:
            diffs = [suite.max_abs_diff(a, b) for a, b in zip(got["native"], got["wasinn"])]
            cross = None if any(d is None for d in diffs) else max(diffs, default=0.0)
            cross = "inf" if cross is not None and math.isinf(cross) else cross
        out.write(json.dumps({"case": name, "backend": backend, "done": True, "cross": cross,
                              "compared": len(got) == 2 and None not in got.values()}) + "\n")
        out.flush()


# ------------------------------------------------------------------------------------ orchestrator --

class Worker:
    def __init__(self, env: Dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=HERE,
                                     bufsize=0)
        self.buf = b""
        self.task: Optional[Dict[str, Any]] = None
        self.started = 0.0

    def send(self, task: Dict[str, Any]) -> None:
        self.task = task
        self.started = time.monotonic()
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(task) + "\n").encode())
        self.proc.stdin.flush()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()


def run(args: argparse.Namespace) -> int:
    import suite

    backends = args.backends.split(",")
    cases = suite.list_cases()
    if args.cases:
        pats = args.cases.split(",")
        cases = [c for c in cases if any(fnmatch.fnmatch(c, p) for p in pats)]
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", "")
    env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env["PYTHONPATH"] else "")
    queue = [{"case": c, "backend": b, "paths": args.paths.split(",")} for b in backends for c in cases]
    results: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for t in queue:
        results[(t["case"], t["backend"])] = {}
    workers: List[Worker] = []
    pending = list(queue)
    total = len(pending)
    done = 0
    t_start = time.monotonic()
    last_report = t_start

    def finish_path(w: Worker, status: str, detail: str) -> None:
        nonlocal done
        task = w.task
        assert task is not None
        r = results[(task["case"], task["backend"])]
        missing = [p for p in task["paths"] if p not in r]
        if missing:
            first = missing[0]
            r[first] = {"status": status, "detail": detail, "seconds": round(time.monotonic() - w.started, 2)}
            rest = missing[1:]
            if rest:
                # Retry the paths not reached yet in a fresh worker: a native crash must not hide
                # the libwasinn result (or the reverse).
                pending.insert(0, {"case": task["case"], "backend": task["backend"], "paths": rest})
            else:
                done += 1
        else:
            done += 1
        w.task = None

    while pending or any(w.task for w in workers):
        while len(workers) < args.jobs and pending:
            workers.append(Worker(env))
        for w in workers:
            if w.task is None and pending:
                w.send(pending.pop(0))
        busy = [w for w in workers if w.task is not None]
        if not busy:
            continue
        fds = {w.proc.stdout.fileno(): w for w in busy}  # type: ignore[union-attr]
        ready, _, _ = select.select(list(fds), [], [], 1.0)
        now = time.monotonic()
        for fd in ready:
            w = fds[fd]
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                code = w.proc.wait()
                finish_path(w, "crash", "the worker process died (exit status %s)" % code)
                workers.remove(w)
                continue
            w.buf += chunk
            while b"\n" in w.buf and w.task is not None:
                line, w.buf = w.buf.split(b"\n", 1)
                msg = json.loads(line)
                key = (msg["case"], msg["backend"])
                if msg.get("done"):
                    if "cross" in msg:
                        results[key]["cross"] = msg["cross"]
                        results[key]["compared"] = msg.get("compared", False)
                    w.task = None
                    done += 1
                else:
                    results[key][msg["path"]] = {k: msg[k] for k in ("status", "detail", "seconds") if k in msg}
        for w in list(workers):
            if w.task is not None and now - w.started > TASK_TIMEOUT:
                w.kill()
                finish_path(w, "timeout", "no result within %.0f s" % TASK_TIMEOUT)
                workers.remove(w)
        if now - last_report > 30:
            last_report = now
            print("conformance: %d/%d tasks, %.0f s" % (done, total, now - t_start), file=sys.stderr, flush=True)
    for w in workers:
        assert w.proc.stdin is not None
        w.proc.stdin.close()
        w.proc.wait()
    elapsed = time.monotonic() - t_start
    doc = {
        "versions": _versions(),
        "suite": {"onnx": _onnx_version(), "cases": len(cases),
                  "filter": ";".join(x for x in (args.cases, "" if args.paths == "native,wasinn" else args.paths) if x) or None},
        "backends": backends,
        "seconds": round(elapsed, 1),
        "results": {b: {c: results[(c, b)] for c in cases} for b in backends},
        "case_info": _case_info(cases),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(doc, f, indent=0, sort_keys=True)
    print("conformance: %d tasks in %.0f s -> %s" % (total, elapsed, args.results), file=sys.stderr)
    for line in summary_lines(doc):
        print(line)
    return 0


def _onnx_version() -> str:
    import onnx
    return onnx.__version__


def _versions() -> Dict[str, str]:
    """Versions of everything a figure depends on (the reference libraries and libwasinn)."""
    import numpy
    import onnxruntime
    import openvino
    import tract
    import wasinn
    return {"libwasinn": wasinn.version(), "onnx": _onnx_version(), "onnxruntime": onnxruntime.__version__,
            "openvino": openvino.get_version().split("-")[0], "tract": tract.version(), "numpy": numpy.__version__}


def _case_info(cases: List[str]) -> Dict[str, Dict[str, Any]]:
    import suite
    info = {}
    for c in cases:
        try:
            case = suite.load_case(c)
            info[c] = {"non_tensor": suite.non_tensor_ports(case), "types": suite.element_types(case)}
        except Exception as e:  # noqa: BLE001
            info[c] = {"non_tensor": [], "types": [], "load_error": str(e)}
    return info


# ------------------------------------------------------------------------------------------ summary --

def tally(doc: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Per backend: native and libwasinn status counts, losses (native pass, libwasinn not),
    gains (libwasinn pass, native not) and how the two paths' outputs compare."""
    out = {}
    for b in doc["backends"]:
        res = doc["results"][b]
        native = Counter(r.get("native", {}).get("status", "missing") for r in res.values())
        wasinn = Counter(r.get("wasinn", {}).get("status", "missing") for r in res.values())
        losses = sorted(c for c, r in res.items()
                        if r.get("native", {}).get("status") == "pass" and r.get("wasinn", {}).get("status") != "pass")
        gains = sorted(c for c, r in res.items()
                       if r.get("wasinn", {}).get("status") == "pass" and r.get("native", {}).get("status") != "pass")
        both = [c for c, r in res.items() if r.get("compared")]
        identical = [c for c in both if res[c].get("cross") == 0.0]
        diffs = [res[c]["cross"] for c in both if res[c].get("cross") not in (0.0, None, "inf")]
        non_tensor = [c for c in res if doc["case_info"].get(c, {}).get("non_tensor")]
        out[b] = {
            "cases": len(res), "native": dict(native), "wasinn": dict(wasinn),
            "native_pass": native.get("pass", 0), "wasinn_pass": wasinn.get("pass", 0),
            "losses": losses, "gains": gains, "both_ran": len(both), "identical": len(identical),
            "max_cross_diff": max(diffs) if diffs else 0.0,
            "non_identical": sorted(c for c in both if res[c].get("cross") != 0.0),
            "non_tensor": sorted(non_tensor),
        }
    return out


def summary_lines(doc: Dict[str, Any]) -> List[str]:
    lines = []
    for b, t in tally(doc).items():
        lines.append("%-12s cases %d | native pass %d | libwasinn pass %d fail %d unsupported %d error %d "
                     "crash %d timeout %d | losses %d gains %d | outputs identical to native %d/%d" % (
                         b, t["cases"], t["native_pass"], t["wasinn_pass"], t["wasinn"].get("fail", 0),
                         t["wasinn"].get("unsupported", 0), t["wasinn"].get("error", 0), t["wasinn"].get("crash", 0),
                         t["wasinn"].get("timeout", 0), len(t["losses"]), len(t["gains"]), t["identical"],
                         t["both_ran"]))
    return lines


def load_results(path: str) -> Dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def check(args: argparse.Namespace) -> int:
    doc = load_results(args.results)
    with open(EXPECTED) as f:
        expected = json.load(f)
    if doc["suite"].get("filter"):
        print("check: the results are from a filtered run (%s); only a full run can be checked" % doc["suite"]["filter"])
        return 1
    bad = []
    t = tally(doc)
    for b in doc["backends"]:
        want = expected["backends"].get(b)
        if want is None:
            bad.append("%s: no committed figures in %s" % (b, EXPECTED))
            continue
        got = t[b]
        if len(got["losses"]) > want["losses"]:
            new = sorted(set(got["losses"]) - set(want.get("loss_cases", [])))
            bad.append("%s: %d losses, the committed figure is %d; new: %s" % (b, len(got["losses"]), want["losses"],
                                                                               ", ".join(new) or "-"))
        if got["wasinn_pass"] < want["wasinn_pass"]:
            bad.append("%s: libwasinn passes %d cases, the committed figure is %d" % (b, got["wasinn_pass"],
                                                                                      want["wasinn_pass"]))
        for s in ("crash", "timeout"):
            if got["wasinn"].get(s, 0) > want.get("wasinn_" + s, 0):
                bad.append("%s: %d libwasinn %ses (committed: %d)" % (b, got["wasinn"][s], s, want.get("wasinn_" + s, 0)))
    for line in summary_lines(doc):
        print(line)
    real = load_results(args.real_results)
    import real_models
    want_real = expected.get("real_models", {})
    got_pass = sorted("%s on %s" % (r["model"], r["backend"]) for r in real if r["status"] == "pass")
    for pair in sorted(set(want_real.get("pass", [])) - set(got_pass)):
        r = next((r for r in real if "%s on %s" % (r["model"], r["backend"]) == pair), {})
        bad.append("real model %s no longer passes: %s %s" % (pair, r.get("status", "missing"),
                                                              r.get("detail", r.get("max_diff", ""))))
    real_losses = real_models.losses(real)
    if len(real_losses) > want_real.get("losses", 0):
        bad.append("real models: %d losses (committed: %d): %s" % (len(real_losses), want_real.get("losses", 0),
                                                                   "; ".join(real_losses)))
    diffs = [r["max_diff"] for r in real if r.get("max_diff") is not None]
    print("real models: %d of %d (model, backend) pairs pass, max |libwasinn - native| %s, %d losses" % (
        len(got_pass), len(real), ("%g" % max(diffs)) if diffs else "-", len(real_losses)))
    if bad:
        print("conformance check FAILED:\n  " + "\n  ".join(bad))
        return 1
    print("conformance check: passed (within the committed figures of %s)" % os.path.relpath(EXPECTED, REPO))
    return 0


def real(args: argparse.Namespace) -> int:
    import real_models
    out = real_models.run_all(args.backends.split(","))
    os.makedirs(os.path.dirname(os.path.abspath(args.real_results)), exist_ok=True)
    with open(args.real_results, "w") as f:
        json.dump(out, f, indent=1)
    return 0


# ------------------------------------------------------------------------------------------- report --

def report(args: argparse.Namespace) -> int:
    import real_models
    import report as rep
    doc = load_results(args.results)
    real_results = load_results(args.real_results)
    text = rep.render(doc, tally(doc), real_results)
    with open(args.doc, "w") as f:
        f.write(text)
    print("wrote %s" % args.doc)
    if args.update_expected:
        t = tally(doc)
        expected = {"suite": doc["suite"], "versions": doc.get("versions", {}), "backends": {},
                    "real_models": {"pass": sorted("%s on %s" % (r["model"], r["backend"])
                                                   for r in real_results if r["status"] == "pass"),
                                    "losses": len(real_models.losses(real_results))}}
        for b in doc["backends"]:
            expected["backends"][b] = {
                "native_pass": t[b]["native_pass"], "wasinn_pass": t[b]["wasinn_pass"],
                "losses": len(t[b]["losses"]), "loss_cases": t[b]["losses"],
                "wasinn_crash": t[b]["wasinn"].get("crash", 0), "wasinn_timeout": t[b]["wasinn"].get("timeout", 0),
            }
        with open(EXPECTED, "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote %s" % EXPECTED)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--backends", default="tract,onnxruntime,openvino")
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    r.add_argument("--cases", default="", help="comma-separated fnmatch patterns (development only)")
    r.add_argument("--paths", default="native,wasinn", help="development only: run just one path")
    r.add_argument("--results", default=os.path.join(REPO, "build", "conformance", "results.json"))
    real_default = os.path.join(REPO, "build", "conformance", "real-models.json")
    rm = sub.add_parser("real")
    rm.add_argument("--backends", default="tract,onnxruntime,openvino")
    rm.add_argument("--real-results", default=real_default)
    c = sub.add_parser("check")
    c.add_argument("--results", default=os.path.join(REPO, "build", "conformance", "results.json"))
    c.add_argument("--real-results", default=real_default)
    p = sub.add_parser("report")
    p.add_argument("--results", default=os.path.join(REPO, "build", "conformance", "results.json"))
    p.add_argument("--real-results", default=real_default)
    p.add_argument("--doc", default=DOC)
    p.add_argument("--update-expected", action="store_true")
    sub.add_parser("worker")
    args = ap.parse_args()
    if args.cmd == "worker":
        worker()
        return 0
    return {"run": run, "real": real, "check": check, "report": report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
