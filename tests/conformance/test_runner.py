"""The conformance runner's own rules, on synthetic data: the comparator rejects what it must
(wrong type, shape, values beyond the tolerance, NaN mismatches, string changes), and `check`
fails when a loss appears or a pass disappears. Run by scripts/test.sh with pytest."""

import argparse
import json
import math

import ml_dtypes
import numpy as np
import pytest

import conformance
import suite


def test_float_tolerances():
    e = np.array([1.0, 0.0, np.nan, np.inf, -2.5], np.float32)
    assert suite.compare_tensor(e, e.copy(), "y") is None
    near = e.copy()
    near[0] = 1.0009  # within 1e-3 relative
    assert suite.compare_tensor(e, near, "y") is None
    far = e.copy()
    far[0] = 1.002
    assert "differ beyond" in suite.compare_tensor(e, far, "y")
    tiny = e.copy()
    tiny[1] = 1e-6  # atol is 1e-7
    assert suite.compare_tensor(e, tiny, "y")
    for bad in (0.0, -np.inf):
        t = e.copy()
        t[2] = bad
        assert suite.compare_tensor(e, t, "y"), "a NaN must stay NaN"
        t = e.copy()
        t[3] = bad
        assert suite.compare_tensor(e, t, "y"), "an infinity must stay the same infinity"


def test_types_shapes_and_exact_kinds():
    e = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert "element type" in suite.compare_tensor(e, e.astype(np.int32), "y")
    assert "shape" in suite.compare_tensor(e, e.reshape(3, 2), "y")
    assert "shape" in suite.compare_tensor(np.array(1.0, np.float32), np.array([1.0], np.float32), "y")
    off = e.copy()
    off[1, 2] += 1
    assert "values differ" in suite.compare_tensor(e, off, "y")
    f8 = np.array([0.5, 1.0], ml_dtypes.float8_e4m3fn)
    assert suite.compare_tensor(f8, f8.copy(), "y") is None
    assert suite.compare_tensor(f8, np.array([0.5, 1.125], ml_dtypes.float8_e4m3fn), "y"), "float8 is exact"
    s = np.array([b"a", b"bc"], dtype=object)
    assert suite.compare_tensor(s, np.array([b"a", b"bc"], dtype=object), "y") is None
    assert "strings differ" in suite.compare_tensor(s, np.array([b"a", b"bd"], dtype=object), "y")


def test_sequences_and_optionals():
    a = np.ones(2, np.float32)
    assert suite.compare_value([a, a], [a, a], "y") is None
    assert "sequence of 1" in suite.compare_value([a, a], [a], "y")
    assert suite.compare_value(None, None, "y") is None
    assert suite.compare_value(None, a, "y")


def test_max_abs_diff():
    a = np.array([1.0, np.nan], np.float32)
    assert suite.max_abs_diff(a, a.copy()) == 0.0
    assert suite.max_abs_diff(a, np.array([1.5, np.nan], np.float32)) == 0.5
    assert math.isinf(suite.max_abs_diff(a, np.array([1.0, 0.0], np.float32)))
    assert suite.max_abs_diff(a, a.astype(np.float64)) is None


def _doc(wasinn_status):
    results = {"test_a": {"native": {"status": "pass"}, "wasinn": {"status": wasinn_status}},
               "test_b": {"native": {"status": "fail"}, "wasinn": {"status": "pass"}}}
    return {"suite": {"onnx": "1.22.0", "cases": 2, "filter": None}, "backends": ["tract"], "seconds": 1,
            "results": {"tract": results}, "case_info": {"test_a": {"non_tensor": [], "types": ["FLOAT"]},
                                                        "test_b": {"non_tensor": [], "types": ["FLOAT"]}}}


def test_check_fails_on_a_new_loss_or_a_lost_pass(tmp_path, monkeypatch, capsys):
    expected = {"backends": {"tract": {"losses": 0, "loss_cases": [], "wasinn_pass": 2, "native_pass": 1}},
                "real_models": {"pass": ["m on tract"], "losses": 0}}
    exp = tmp_path / "expected.json"
    exp.write_text(json.dumps(expected))
    monkeypatch.setattr(conformance, "EXPECTED", str(exp))
    real = tmp_path / "real.json"
    real.write_text(json.dumps([{"model": "m", "backend": "tract", "status": "pass", "native": "ran",
                                 "max_diff": 0.0}]))
    results = tmp_path / "results.json"

    def check(doc):
        results.write_text(json.dumps(doc))
        return conformance.check(argparse.Namespace(results=str(results), real_results=str(real)))

    assert check(_doc("pass")) == 0
    assert check(_doc("fail")) == 1
    assert "1 losses, the committed figure is 0; new: test_a" in capsys.readouterr().out
    real.write_text(json.dumps([{"model": "m", "backend": "tract", "status": "unsupported", "native": "ran",
                                 "detail": "nope"}]))
    assert check(_doc("pass")) == 1
    out = capsys.readouterr().out
    assert "real model m on tract no longer passes" in out and "real models: 1 losses" in out
    filtered = _doc("pass")
    filtered["suite"]["filter"] = "test_a*"
    assert check(filtered) == 1, "a filtered run never passes the check"
