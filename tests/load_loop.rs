//! Memory per load, through the C API alone: on every backend (built-in tract, the onnxruntime and
//! openvino plugins), 200 cycles of load / exec_ctx_new / set_input / compute / get_output / free
//! of magika's model (from the venv's `magika` package) and of a 2-input Add, after a warm-up; on
//! the litert plugin (TFLite only) the same with a TFLite Add and mediapipe's BlazeFace
//! (`face_detection_short_range.tflite`, from the venv's `mediapipe` package).
//! The process's RSS may not grow by more than 8 MB over the 200 cycles (the OpenVINO plugin used
//! to leak ~3.4 MB per magika load). Prints start / after warm-up / end RSS per backend and model.
//!
//! The cycle mode (`cycles_keep_rss_flat_per_backend`, ignored by a plain `cargo test`, run by its
//! own layer of scripts/test.sh with `--ignored`): `WASINN_CYCLES` (default 5,000) cycles of the
//! Add model per backend (the TFLite Add on litert; `WASINN_CYCLE_BACKENDS=tract,onnxruntime:5000,openvino:1000`: the
//! backends, each with its own count or the default), RSS sampled every 1/20 of the run after a
//! warm-up (a tenth of the count, at most 300 cycles); the least-squares slope of those samples
//! times the cycle count may not exceed `MAX_FITTED_GROWTH_BYTES`, nor the end the warm-up RSS by
//! `MAX_GROWTH_KB`. `WASINN_CYCLES=100000` is the long run (docs/stress.md has its figures;
//! `WASINN_CYCLE_PROGRESS=1` prints each sample as it is taken).
//!
//! One test function per run: RSS is per process, so nothing else may run beside the loops. The plugins
//! and their vendor libraries are found as in `tests/cross_backend.rs` (`WASINN_VENV` or `.venv`);
//! a missing plugin, vendor library or magika package fails the test.

mod common;
#[path = "common/tflite.rs"]
mod tflite;

use std::ffi::CString;
use std::path::Path;

use common::*;
use wasinn::capi::*;

const WARM_UP: usize = 30;
const CYCLES: usize = 200;
const MAX_GROWTH_KB: u64 = 8 * 1024;

extern "C" {
    /// glibc: returns the free memory at the top of the heaps to the system.
    fn malloc_trim(pad: usize) -> i32;
}

/// The process's RSS in KB, after giving free heap memory back to the system, so that what the
/// allocator happens to keep cached (it trims at unpredictable moments: +-10 MB jumps were seen
/// between two loops) does not count as growth.
fn rss_kb() -> u64 {
    // SAFETY: no arguments to get wrong; glibc's malloc_trim may be called at any time.
    unsafe { malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("VmRSS value")
}

fn magika_model() -> Vec<u8> {
    let lib = venv().join("lib");
    let model = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/common.sh ensure_venv creates the venv)", lib.display()))
        .flatten()
        .map(|py| py.path().join("site-packages/magika/models/standard_v3_3/model.onnx"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no magika package in {} (scripts/requirements.txt installs it)", lib.display()));
    std::fs::read(model).expect("magika model")
}

fn venv_file(relative: &str) -> Vec<u8> {
    let lib = venv().join("lib");
    let path = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/common.sh ensure_venv creates the venv)", lib.display()))
        .flatten()
        .map(|py| py.path().join("site-packages").join(relative))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no {relative} in {} (scripts/requirements*.txt install it)", lib.display()));
    std::fs::read(path).expect("model")
}

/// Registers this workspace's litert plugin (built if missing); fails unless it is accepted.
/// (After `add_vendor_plugins`, which sets `WASINN_PYTHON_SITE_PACKAGES`, where it finds
/// libLiteRt.so.)
fn add_litert_plugin() {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("libwasinn_backend_litert.so");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo).args(["build", "-p", "wasinn-backend-litert"]).status().expect("cargo");
        assert!(status.success(), "cargo build -p wasinn-backend-litert failed");
    }
    let c = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { wasinn_plugin_add_path(c.as_ptr()) }, WASINN_STATUS_SUCCESS, "{}", path.display());
}

/// The encoding of the models a backend's loops run.
fn encoding_of(backend: &str) -> u32 {
    if backend == "litert" {
        WASINN_ENCODING_TENSORFLOWLITE
    } else {
        WASINN_ENCODING_ONNX
    }
}

fn elem_size(ty: u32) -> usize {
    match ty {
        WASINN_TENSOR_TYPE_U8 => 1,
        WASINN_TENSOR_TYPE_FP16 => 2,
        WASINN_TENSOR_TYPE_FP32 | WASINN_TENSOR_TYPE_I32 => 4,
        WASINN_TENSOR_TYPE_FP64 | WASINN_TENSOR_TYPE_I64 => 8,
        t => panic!("no test data for tensor type {t}"),
    }
}

/// One cycle: load on `backend`, a context, zero inputs of the declared types (dynamic dims 1),
/// compute, read every output, free everything.
fn cycle(model: &[u8], backend: &CString, encoding: u32) {
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let mut g = 0;
    // SAFETY: valid buffers and out-pointers throughout.
    unsafe {
        assert_eq!(
            wasinn_graph_load_with_backend(&b, 1, encoding, WASINN_TARGET_CPU, backend.as_ptr(), &mut g),
            WASINN_STATUS_SUCCESS,
            "load on {backend:?}"
        );
        let mut ctx = 0;
        assert_eq!(wasinn_exec_ctx_new(g, &mut ctx), WASINN_STATUS_SUCCESS);
        let mut inputs = 0;
        assert_eq!(wasinn_graph_input_count(g, &mut inputs), WASINN_STATUS_SUCCESS);
        for i in 0..inputs {
            let mut ty = 0;
            assert_eq!(wasinn_graph_input_type(g, i, &mut ty), WASINN_STATUS_SUCCESS);
            let mut dims = [0i64; 8];
            let mut rank = 0;
            assert_eq!(wasinn_graph_input_shape(g, i, dims.as_mut_ptr(), dims.len(), &mut rank), WASINN_STATUS_SUCCESS);
            let dims: Vec<u32> = dims[..rank].iter().map(|&d| u32::try_from(d).unwrap_or(1)).collect();
            let count: usize = dims.iter().map(|&d| d as usize).product();
            let data = vec![0u8; count * elem_size(ty)];
            let t = wasinn_tensor_t { r#type: ty, dims: dims.as_ptr(), rank, data: data.as_ptr(), data_len: data.len() };
            assert_eq!(wasinn_exec_ctx_set_input(ctx, i, &t), WASINN_STATUS_SUCCESS, "set_input {i}");
        }
        assert_eq!(wasinn_exec_ctx_compute(ctx), WASINN_STATUS_SUCCESS, "compute on {backend:?}");
        let mut outputs = 0;
        assert_eq!(wasinn_graph_output_count(g, &mut outputs), WASINN_STATUS_SUCCESS);
        let mut buf = vec![0u8; 1 << 16];
        for i in 0..outputs {
            let mut len = 0;
            assert_eq!(wasinn_exec_ctx_get_output(ctx, i, buf.as_mut_ptr().cast(), buf.len(), &mut len), WASINN_STATUS_SUCCESS);
            assert!(len > 0);
        }
        assert_eq!(wasinn_exec_ctx_free(ctx), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
    }
}

#[test]
fn rss_stays_flat_over_200_loads_per_backend() {
    add_vendor_plugins();
    add_litert_plugin();
    let onnx = [("add", add_f32_model(&[2, 3])), ("magika", magika_model())];
    let tflite = [
        ("add", tflite::tflite_add_f32(&[2, 3])),
        ("blazeface", venv_file("mediapipe/modules/face_detection/face_detection_short_range.tflite")),
    ];
    let mut failures = Vec::new();
    for backend in ["tract", "onnxruntime", "openvino", "litert"] {
        let name = CString::new(backend).unwrap();
        let encoding = encoding_of(backend);
        let models = if backend == "litert" { &tflite } else { &onnx };
        for (model_name, model) in models {
            let start = rss_kb();
            for _ in 0..WARM_UP {
                cycle(model, &name, encoding);
            }
            let warm = rss_kb();
            for _ in 0..CYCLES {
                cycle(model, &name, encoding);
            }
            let end = rss_kb();
            let growth = end.saturating_sub(warm);
            let signed = end as f64 - warm as f64;
            println!(
                "load loop: {backend} {model_name}: RSS start {:.1} MB, after {WARM_UP} warm-up cycles {:.1} MB, after {CYCLES} more {:.1} MB ({:+.1} MB, {:+.1} KB/cycle)",
                start as f64 / 1024.0,
                warm as f64 / 1024.0,
                end as f64 / 1024.0,
                signed / 1024.0,
                signed / CYCLES as f64
            );
            if growth > MAX_GROWTH_KB {
                failures.push(format!("{backend} {model_name}: +{growth} KB over {CYCLES} cycles"));
            }
        }
    }
    assert!(failures.is_empty(), "RSS grew by more than {MAX_GROWTH_KB} KB: {failures:?}");
}

/// The fitted growth over a run (least-squares slope x cycles) may not exceed this. RSS moves in
/// steps of ~100 KB either way between samples (the allocator's arenas; measured: docs/stress.md),
/// so a short run can only bound the slope loosely: 2 MB over 5,000 cycles catches a leak of
/// 400 B/cycle, over 100,000 cycles one of 20 B/cycle.
const MAX_FITTED_GROWTH_BYTES: f64 = 2.0 * 1024.0 * 1024.0;
const SAMPLES: usize = 20;

/// Least-squares slope of `ys` over `xs`.
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    cov / var
}

#[test]
#[ignore = "the cycle mode: run alone by scripts/test.sh (`--ignored`; RSS is per process)"]
fn cycles_keep_rss_flat_per_backend() {
    let count = |v: &str| -> usize { v.parse().expect("WASINN_CYCLES / WASINN_CYCLE_BACKENDS: cycles are a number") };
    let default_cycles = std::env::var("WASINN_CYCLES").ok().map_or(5_000, |v| count(&v));
    let backends = std::env::var("WASINN_CYCLE_BACKENDS").unwrap_or_else(|_| "tract,onnxruntime,openvino".into());
    add_vendor_plugins();
    add_litert_plugin();
    let (onnx, tflite) = (add_f32_model(&[2, 3]), tflite::tflite_add_f32(&[2, 3]));
    let mut failures = Vec::new();
    // BACKEND or BACKEND:CYCLES (OpenVINO's load is ~20x tract's: CI runs it fewer cycles)
    for item in backends.split(',') {
        let (backend, cycles) = item.split_once(':').map_or((item, default_cycles), |(b, n)| (b, count(n)));
        assert!(cycles >= SAMPLES * 10, "{backend}: at least {} cycles", SAMPLES * 10);
        let name = CString::new(backend).unwrap();
        let (model, encoding) = (if backend == "litert" { &tflite } else { &onnx }, encoding_of(backend));
        let t0 = std::time::Instant::now();
        let start = rss_kb();
        let warm_up = (cycles / 10).min(WARM_UP * 10);
        for _ in 0..warm_up {
            cycle(model, &name, encoding);
        }
        let warm = rss_kb();
        let (mut xs, mut ys) = (vec![0.0], vec![warm as f64 * 1024.0]);
        for s in 1..=SAMPLES {
            for _ in 0..cycles / SAMPLES {
                cycle(model, &name, encoding);
            }
            xs.push((s * (cycles / SAMPLES)) as f64);
            ys.push(rss_kb() as f64 * 1024.0);
            if std::env::var_os("WASINN_CYCLE_PROGRESS").is_some() {
                // long runs: each sample as it is taken (a run cut short still has its figures)
                println!("cycle loop: {backend}: after {} cycles RSS {:.1} MB ({:.0} s)", s * (cycles / SAMPLES), ys[s] / 1048576.0, t0.elapsed().as_secs_f64());
            }
        }
        let end = *ys.last().unwrap() / 1024.0;
        let per_cycle = slope(&xs, &ys);
        let growth = end - warm as f64;
        println!(
            "cycle loop: {backend}: {cycles} cycles in {:.0} s, RSS start {:.1} MB, after {warm_up} warm-up cycles {:.1} MB, end {:.1} MB ({:+.1} MB), slope {per_cycle:+.1} B/cycle, min/max {:.1}/{:.1} MB",
            t0.elapsed().as_secs_f64(),
            start as f64 / 1024.0,
            warm as f64 / 1024.0,
            end / 1024.0,
            growth / 1024.0,
            ys.iter().cloned().fold(f64::MAX, f64::min) / 1048576.0,
            ys.iter().cloned().fold(0.0, f64::max) / 1048576.0,
        );
        let kb: Vec<String> = ys.iter().map(|y| format!("{:.0}", y / 1024.0 - warm as f64)).collect();
        println!("cycle loop: {backend}: RSS samples, KB above the warm-up RSS: {}", kb.join(" "));
        if per_cycle * cycles as f64 > MAX_FITTED_GROWTH_BYTES || growth > MAX_GROWTH_KB as f64 {
            failures.push(format!("{backend}: slope {per_cycle:.1} B/cycle, {growth:+.0} KB over {cycles} cycles"));
        }
    }
    assert!(
        failures.is_empty(),
        "RSS not flat (bounds: fitted growth {MAX_FITTED_GROWTH_BYTES} B, {MAX_GROWTH_KB} KB): {failures:?}"
    );
}
