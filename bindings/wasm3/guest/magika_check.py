#!/usr/bin/env python3
"""Checks the magika guest's output against the magika Python package itself.

    magika_check.py OUTPUT FILE...   OUTPUT: the guest's stdout ("path: label (score S)" lines),
                                     FILE...: the sample files it was given (run from their
                                     directory); every label must equal python-magika's and the
                                     file extension's, every score be within 1e-3 of python-magika's.

Prints one line per file and "check: N passed, M failed"; exits 1 on any mismatch. Used by
scripts/demo.sh (wasm3) and tests/wamr/run.sh (WAMR).
"""
import re, sys
from magika import Magika

out_path, files = sys.argv[1], sys.argv[2:]
expected_by_ext = {".py": "python", ".c": "c", ".json": "json", ".html": "html",
                   ".sh": "shell", ".png": "png", ".txt": "txt"}
got = {}
for line in open(out_path):
    m = re.match(r"^(.*): (\S+) \((?:score ([0-9.]+)|no model.*)\)$", line.rstrip("\n"))
    if m:
        got[m.group(1)] = (m.group(2), float(m.group(3)) if m.group(3) else None)
mg = Magika()
bad = 0
for f in files:
    pred = mg.identify_path(f).prediction
    ref_label = str(pred.output.label) if str(pred.dl.label) == "undefined" else str(pred.dl.label)
    ref_score = None if str(pred.dl.label) == "undefined" else pred.score
    g = got.get(f)
    ok = g is not None and g[0] == ref_label and (
        (g[1] is None and ref_score is None)
        or (g[1] is not None and ref_score is not None and abs(g[1] - ref_score) <= 1e-3))
    ext = f[f.rfind("."):]
    want = expected_by_ext.get(ext)
    sane = g is not None and g[0] == want
    status = "ok" if ok and sane else "MISMATCH"
    bad += status != "ok"
    print(f"  {f:22} guest={g[0] if g else '-':8} python-magika={ref_label:8} "
          f"score={'-' if not g or g[1] is None else f'{g[1]:.3f}'}/"
          f"{'-' if ref_score is None else f'{ref_score:.3f}'}  expected={want}  {status}")
print(f"check: {len(files) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
