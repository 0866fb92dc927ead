#!/usr/bin/env python3
"""Checks the magika guest's output against the magika python package on the same files.

    check-magika.py GUEST_OUTPUT FILE...

Each FILE must appear in the guest's output with the label python-magika gives it (and, for the
bundled samples/ files, the label its extension implies) and a score within 1e-3 of python-magika's; prints one line per file and
"check: N passed, M failed"; exits 1 on any mismatch. Run it in the directory the guest ran in
(FILE paths as the guest printed them). Used by scripts/demo.sh and every host's magika test.
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
    # the bundled samples have known types; a user's files are compared with magika alone
    want = expected_by_ext.get(ext) if f.startswith("samples/") else None
    sane = g is not None and (want is None or g[0] == want)
    status = "ok" if ok and sane else "MISMATCH"
    bad += status != "ok"
    print(f"  {f:22} guest={g[0] if g else '-':8} python-magika={ref_label:8} "
          f"score={'-' if not g or g[1] is None else f'{g[1]:.3f}'}/"
          f"{'-' if ref_score is None else f'{ref_score:.3f}'}  expected={want or '-'}  {status}")
print(f"check: {len(files) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
