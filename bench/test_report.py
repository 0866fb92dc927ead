"""bench/report.py's parsing and verdicts (pytest; scripts/test.sh's benches layer runs it): what
BENCHMARKS.md says met or missed must follow from the figures, so the parsers and the target rules
are checked here on small made-up logs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

OV = "0.1.0 (openvino 2026.4.1-1, CPU precision f32 (libwasinn's default), CPU streams {}, /v/libopenvino_c.so.2641)"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def threads_line(label, n1, n2, scaling, ctx, version=None, direct=None, third=None, direct_rates=None):
    line = (f"{label} threads n=1 per_s={n1} threads n=2 per_s={n2} threads scaling={scaling} "
            f"ctx_rss_kb={ctx} weights_kb=3000" + (f" direct_ctx_rss_kb={direct}" if direct is not None else "")
            + (f" direct_n1_per_s={direct_rates[0]} direct_n2_per_s={direct_rates[1]} direct_scaling={direct_rates[1] / direct_rates[0]:.3f}"
               if direct_rates else "")
            + (f" third_ctx_rss_kb={third}" if third is not None else ""))
    return line + (f" threads version={version}" if version is not None else "") + "\n"


def test_threads_labels_come_from_the_plugins_version_text(tmp_path):
    log = write(tmp_path, "threads.log",
                threads_line("tract", 100, 200, 2.0, 0, "0.23.9", direct=10)
                + threads_line("openvino", 270, 250, 0.93, 0, OV.format("1 (OpenVINO's default)"), direct=0, direct_rates=(260.0, 255.0))
                + threads_line("openvino-2-streams", 160, 360, 2.24, 6292, OV.format("2 (WASINN_OPENVINO_STREAMS=2)"), direct=6292, third=4)
                + threads_line("openvino", 270, 250, 0.93, 0, OV.format("4 (OpenVINO's default)"))
                + threads_line("onnxruntime", 190, 380, 1.96, 100))
    rows = report.threads(log)
    assert [r["backend"] for r in rows] == [
        "tract", "openvino, CPU streams 1 (OpenVINO's default)", "openvino, CPU streams 2 (`WASINN_OPENVINO_STREAMS=2`)",
        "openvino, CPU streams 4 (OpenVINO's default)", "onnxruntime"]
    assert rows[2]["rates"] == [160.0, 360.0] and rows[2]["scaling"] == 2.24
    assert rows[2]["direct_ctx_rss_kb"] == 6292 and rows[4]["direct_ctx_rss_kb"] is None
    assert rows[2]["third_ctx_rss_kb"] == 4 and rows[0]["third_ctx_rss_kb"] is None
    # The backend's own throughput on the same two threads (newer logs), beside libwasinn's.
    assert rows[1]["direct_rates"] == [260.0, 255.0] and rows[1]["direct_scaling"] == 0.981 and rows[2]["direct_scaling"] is None
    r = row(report.targets({}, {}, {}, log, []), "openvino, CPU streams 1 (OpenVINO's default): 2 contexts")
    assert "0.93x (the backend alone: 0.98x)" in r and r.endswith("| **missed** |")
    # A line without the version (an older log) keeps its label as it is.
    assert report.threads(write(tmp_path, "old.log", threads_line("openvino-2-streams", 1, 2, 2.0, 0)))[0]["backend"] == "openvino-2-streams"


def test_interleaved_lines_are_parsed(tmp_path):
    crit = tmp_path / "criterion"
    crit.mkdir()
    (crit / "interleaved.log").write_text(
        "interleaved tract/magika: rounds 31 batch 3 direct_us 11000.5 capi_us 11050.1 witx_us 11020.0 "
        "capi_ratio 1.0045 capi_q1 0.9950 capi_q3 1.0120 witx_ratio 1.0018 witx_q1 0.9900 witx_q3 1.0100 "
        "again_ratio 1.0210 again_q1 1.0100 again_q3 1.0300\n"
        "something else\n")
    i = report.interleaved(str(crit))
    assert list(i) == ["tract/magika"]
    assert i["tract/magika"]["capi_ratio"] == 1.0045 and i["tract/magika"]["batch"] == 3
    assert i["tract/magika"]["again_ratio"] == 1.021
    assert report.interleaved(str(tmp_path / "none")) == {}


def row(rows, start):
    hits = [r for r in rows if r.startswith("| " + start)]
    assert len(hits) == 1, (start, rows)
    return hits[0]


def test_capi_target_is_judged_on_the_interleaved_ratio(tmp_path):
    crit = {"tract/magika": {"direct": 100.0, "capi": 117.0, "witx": 101.0}}
    inter = {"tract/magika": {"capi_ratio": 1.004, "capi_q1": 0.99, "capi_q3": 1.01}}
    rows = report.targets(crit, inter, {}, str(tmp_path / "none"), [])
    r = row(rows, "tract: C API / direct <= 1.01")
    assert "interleaved" in r and "magika 1.004 (1.170)" in r and r.endswith("| **met** |")
    # Over 1.01: still missed, with the control's ratio (a second direct instance) beside it.
    inter["tract/magika"].update(capi_ratio=1.03, again_ratio=1.028)
    r = row(report.targets(crit, inter, {}, str(tmp_path / "none"), []), "tract: C API / direct <= 1.01")
    assert "magika 1.030 (1.170; direct again 1.028)" in r and r.endswith("| **missed** |")
    # Pooled over several loads a way: the sets named, the first loads' ratio beside criterion's.
    inter["tract/magika"].update(sets=4.0, capi_ratio=1.004, capi_first=1.021)
    r = row(report.targets(crit, inter, {}, str(tmp_path / "none"), []), "tract: C API / direct <= 1.01")
    assert "over 4 loads of each way" in r and "magika 1.004 (1.170; first loads 1.021)" in r and r.endswith("| **met** |")
    assert "each way loaded 4 times" in report.interleaved_text(inter) and "second instance" in report.interleaved_text({})
    # Without interleaved figures, criterion's ratio is judged.
    r = row(report.targets(crit, {}, {}, str(tmp_path / "none"), []), "tract: C API / direct <= 1.01")
    assert "criterion medians" in r and "magika 1.170" in r and r.endswith("| **missed** |")


def test_every_shipped_host_is_judged_on_every_model(tmp_path):
    host = lambda us: {"median_us": us}  # noqa: E731
    whole = {
        "add-1": {"native-f32": host(2.5), "jit-openvino-f32": host(2.9), "wamr-openvino-f32": host(3.1)},
        "add-4.9MB": {"native-f32": {"median_us": 900.0, "memcpy_in_us": 300.0}, "wasm3-openvino-f32": host(1150.0),
                      "wamr-openvino-f32": host(1250.0)},
        "magika": {"native-f32": host(5000.0), "python-openvino-f32": host(5050.0), "wamr-openvino-f32": host(5200.0)},
    }
    rows = report.targets({}, {}, whole, str(tmp_path / "none"), [])
    assert row(rows, "jit-openvino-f32: 1-element Add").endswith("| **met** |")
    assert row(rows, "wamr-openvino-f32: 1-element Add").endswith("| **missed** |")
    assert row(rows, "wasm3-openvino-f32: 4.9 MB Add").endswith("| **met** |")
    assert row(rows, "wamr-openvino-f32: 4.9 MB Add").endswith("| **missed** |")
    # With native's in-loop copy, that is the bound (the memcpy sum is still shown).
    whole["add-4.9MB"]["native-f32-copy-in"] = host(1260.0)
    rows = report.targets({}, {}, whole, str(tmp_path / "none"), [])
    r = row(rows, "wamr-openvino-f32: 4.9 MB Add")
    assert "1250 us vs 1260 us (native copying its input in the loop; native 900 + 300 us (memcpy) = 1200 us)" in r, r
    assert r.endswith("| **met** |")
    whole["add-4.9MB"]["native-f32-copy-in"] = host(1240.0)
    assert row(report.targets({}, {}, whole, str(tmp_path / "none"), []), "wamr-openvino-f32: 4.9 MB Add").endswith("| **missed** |")
    # With per-round paired ratios to that bound, those are judged (the medians printed after them).
    whole["add-4.9MB"]["wamr-openvino-f32"]["paired"] = {"native-f32-copy-in": {"median": 0.998, "q1": 0.99, "q3": 1.0}}
    r = row(report.targets({}, {}, whole, str(tmp_path / "none"), []), "wamr-openvino-f32: 4.9 MB Add")
    assert "paired" in r and "| 0.998; the medians over all rounds: 1250 us vs 1240 us" in r and r.endswith("| **met** |"), r
    whole["add-4.9MB"]["wamr-openvino-f32"]["paired"]["native-f32-copy-in"]["median"] = 1.002
    assert row(report.targets({}, {}, whole, str(tmp_path / "none"), []), "wamr-openvino-f32: 4.9 MB Add").endswith("| **missed** |")
    assert row(rows, "python-openvino-f32: real models").endswith("| **met** |")
    r = row(rows, "wamr-openvino-f32: real models")
    assert "magika 1.040" in r and r.endswith("| **missed** |")
    assert not [r for r in rows if r.startswith("| jit-openvino-f32: real models")]


def test_threads_targets_name_the_backend_alone(tmp_path):
    log = write(tmp_path, "threads.log",
                threads_line("openvino-2-streams", 160, 360, 2.24, 6292, OV.format("2 (WASINN_OPENVINO_STREAMS=2)"), direct=6292, third=4))
    rows = report.targets({}, {}, {}, log, [])
    assert row(rows, "openvino, CPU streams 2 (`WASINN_OPENVINO_STREAMS=2`): 2 contexts").endswith("| **met** |")
    r = row(rows, "openvino, CPU streams 2 (`WASINN_OPENVINO_STREAMS=2`): a 2nd context")
    assert "the backend alone: 6.1 MB" in r and r.endswith("| **missed** |")
    # The 3rd context (both streams already paid for) is judged on its own row.
    r = row(rows, "openvino, CPU streams 2 (`WASINN_OPENVINO_STREAMS=2`): a 3rd context")
    assert "0.0 MB vs 2.9 MB" in r and r.endswith("| **met** |")


def test_whole_programs_pair_each_host_with_the_reference_of_its_round():
    import whole
    runs = lambda *us: [{"round": r, "median_us": u} for r, u in enumerate(us)]  # noqa: E731
    # The machine drifts between rounds (100 -> 200 us); the host is 2% over native in every round.
    p = whole.paired(runs(102.0, 204.0, 153.0), runs(100.0, 200.0, 150.0))
    assert abs(p["median"] - 1.02) < 1e-12 and p["rounds"] == 3 and abs(p["q1"] - 1.02) < 1e-12
    # A round the reference did not run is not paired; one round gives that round's ratio.
    assert whole.paired([{"round": 5, "median_us": 1.0}], runs(1.0)) is None
    assert whole.paired(runs(110.0), runs(100.0))["median"] == 1.1


def test_real_model_targets_are_judged_on_the_paired_ratio(tmp_path):
    def host(us, paired=None):
        return {"median_us": us, **({"paired": {"native-f32": {"median": paired, "q1": paired - 0.01, "q3": paired + 0.01}}} if paired else {})}
    whole = {"magika": {"native-f32": host(5000.0), "wasm3-openvino-f32": host(5200.0, 1.012),
                        "wamr-openvino-f32": host(5050.0, 1.025), "native-f32-again": host(5010.0, 1.001),
                        "native-f32-copy-in": host(5100.0, 1.018)}}
    rows = report.targets({}, {}, whole, str(tmp_path / "none"), [])
    r = row(rows, "wasm3-openvino-f32: real models")
    # The ratio of the medians (1.040) is printed, the paired one (1.012) judged.
    assert "paired" in r and "magika 1.012 (1.040)" in r and r.endswith("| **met** |"), r
    # What the one copy in costs native on its own is printed beside the figures (not judged).
    assert "native copying its input in the loop: magika 1.018" in r
    assert row(rows, "wamr-openvino-f32: real models").endswith("| **missed** |")
    # The control is not a host the targets judge.
    assert not [r for r in rows if r.startswith("| native-f32-again")]
    assert report.paired_cell(whole["magika"], "wasm3-openvino-f32") == "1.012 (1.002-1.022) [1.040]"
    assert report.paired_cell(whole["magika"], "jit-openvino-f32") == "-"
