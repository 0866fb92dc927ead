//! libwasinn's data-path contract, proved with the counters of `wasinn_stats_get`, on every
//! backend (built-in tract, the onnxruntime and openvino plugins) through the C API:
//! - steady state (same shapes): per inference exactly input bytes copied in and output bytes
//!   copied out, and no tensor-sized buffer allocated by libwasinn;
//! - outputs kept across computes (the plugins write into the previous run's output tensors once
//!   the shapes are known fixed) always hold the latest result, also after a shape change;
//! - the contexts of one graph run on two threads at once, each getting its own results
//!   (the onnxruntime plugin shares one session between them, unlocked);
//! - the OpenVINO plugin's CPU inference precision (`WASINN_OPENVINO_PRECISION`), in a child
//!   process per value: shown in the backend listing's version text and the `WASINN_LOG=info`
//!   acceptance line, honoured by a MatMul's result, and a bad value rejects the plugin; the same
//!   for its CPU streams (`WASINN_OPENVINO_STREAMS`).
//!
//! The counters are process-wide: the tests of this file take one lock so that no other test's
//! calls are counted. The plugins and their vendor libraries are found as in
//! `tests/cross_backend.rs` (`WASINN_VENV` or `.venv`); a missing one fails the test.

mod common;

use std::ffi::CString;
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::*;
use wasinn::capi::*;

const BACKENDS: [&str; 3] = ["tract", "onnxruntime", "openvino"];

/// Serialises the tests of this file (process-wide counters) and registers the plugins once.
fn setup() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    static PLUGINS: OnceLock<()> = OnceLock::new();
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    PLUGINS.get_or_init(add_vendor_plugins);
    guard
}

fn stats() -> wasinn_stats_t {
    let mut s = wasinn_stats_t::default();
    // SAFETY: a valid out-pointer of the size given.
    assert_eq!(unsafe { wasinn_stats_get(&mut s, size_of::<wasinn_stats_t>()) }, WASINN_STATUS_SUCCESS);
    s
}

fn load(model: &[u8], backend: &str) -> wasinn_graph_t {
    let name = CString::new(backend).unwrap();
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let mut g = 0;
    // SAFETY: valid buffer, name and out-pointer.
    let status = unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, name.as_ptr(), &mut g) };
    assert_eq!(status, WASINN_STATUS_SUCCESS, "load on {backend}");
    g
}

fn new_ctx(g: wasinn_graph_t) -> wasinn_exec_ctx_t {
    let mut ctx = 0;
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { wasinn_exec_ctx_new(g, &mut ctx) }, WASINN_STATUS_SUCCESS);
    ctx
}

/// One inference of `sum = a + b` on `ctx`, the result read into `out` (resized to fit).
fn add_once(ctx: wasinn_exec_ctx_t, dims: &[u32], a: &[f32], b: &[f32], out: &mut Vec<u8>) -> Vec<f32> {
    let (a, b) = (f32_bytes(a), f32_bytes(b));
    // SAFETY: views valid for the calls; `out` valid for its length.
    unsafe {
        for (i, data) in [&a, &b].into_iter().enumerate() {
            let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: dims.as_ptr(), rank: dims.len(), data: data.as_ptr(), data_len: data.len() };
            assert_eq!(wasinn_exec_ctx_set_input(ctx, i, &t), WASINN_STATUS_SUCCESS, "set_input {i}");
        }
        assert_eq!(wasinn_exec_ctx_compute(ctx), WASINN_STATUS_SUCCESS, "compute");
        out.resize(a.len(), 0);
        let mut len = 0;
        assert_eq!(wasinn_exec_ctx_get_output(ctx, 0, out.as_mut_ptr().cast(), out.len(), &mut len), WASINN_STATUS_SUCCESS);
        assert_eq!(len, a.len());
    }
    f32_from(out)
}

fn free(g: wasinn_graph_t, ctxs: &[wasinn_exec_ctx_t]) {
    for &c in ctxs {
        assert_eq!(wasinn_exec_ctx_free(c), WASINN_STATUS_SUCCESS);
    }
    assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
}

fn inputs(n: usize, seed: usize) -> (Vec<f32>, Vec<f32>) {
    ((0..n).map(|i| (i + seed) as f32).collect(), (0..n).map(|i| (seed * 1000) as f32 - i as f32 * 0.5).collect())
}

#[test]
fn steady_state_copies_each_byte_once_and_allocates_no_tensor() {
    let _g = setup();
    const ELEMS: usize = 1000;
    const ITERS: u64 = 20;
    let model = add_f32_model(&[1, ELEMS as i64]);
    for backend in BACKENDS {
        let g = load(&model, backend);
        let ctx = new_ctx(g);
        let mut out = Vec::new();
        for seed in 0..3 {
            let (a, b) = inputs(ELEMS, seed);
            add_once(ctx, &[1, ELEMS as u32], &a, &b, &mut out);
        }
        let before = stats();
        for seed in 0..ITERS as usize {
            let (a, b) = inputs(ELEMS, seed + 10);
            let got = add_once(ctx, &[1, ELEMS as u32], &a, &b, &mut out);
            // Reused output tensors must hold this run's result, not the last one's.
            let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
            assert_eq!(got, want, "{backend}: iteration {seed}");
        }
        let after = stats();
        let bytes = (ELEMS * 4) as u64;
        assert_eq!(
            after.since(&before),
            wasinn_stats_t {
                set_input_calls: 2 * ITERS,
                compute_calls: ITERS,
                get_output_calls: ITERS,
                bytes_in: 2 * bytes * ITERS,
                bytes_out: bytes * ITERS,
                tensor_allocs: 0,
                tensor_alloc_bytes: 0,
            },
            "{backend}: data-path counters over {ITERS} inferences"
        );
        println!("data path: {backend}: {ITERS} inferences of a {ELEMS}-element Add: {} bytes in, {} bytes out, 0 tensor allocations", 2 * bytes * ITERS, bytes * ITERS);
        free(g, &[ctx]);
    }
}

#[test]
fn kept_outputs_follow_shape_changes() {
    let _g = setup();
    let model = ModelBuilder::new()
        .input("a", Elem::Float, &[sym("N")])
        .input("b", Elem::Float, &[sym("N")])
        .node("Add", &["a", "b"], &["sum"])
        .output("sum", Elem::Float, &[sym("N")])
        .into_bytes();
    for backend in BACKENDS {
        let g = load(&model, backend);
        let ctx = new_ctx(g);
        let mut out = Vec::new();
        for (round, n) in [3usize, 3, 5, 5, 2, 3].into_iter().enumerate() {
            let (a, b) = inputs(n, round);
            let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
            assert_eq!(add_once(ctx, &[n as u32], &a, &b, &mut out), want, "{backend}: round {round}, N = {n}");
        }
        free(g, &[ctx]);
    }
    // Fixed shapes: the plugins keep their output tensors; two contexts never share them.
    let model = add_f32_model(&[4]);
    for backend in BACKENDS {
        let g = load(&model, backend);
        let (c1, c2) = (new_ctx(g), new_ctx(g));
        let (mut o1, mut o2) = (Vec::new(), Vec::new());
        for round in 0..4 {
            let (a, b) = inputs(4, round);
            let r1 = add_once(c1, &[4], &a, &b, &mut o1);
            let r2 = add_once(c2, &[4], &b, &b, &mut o2);
            // c1's result read again after c2 computed: still c1's.
            let mut again = vec![0u8; 16];
            let mut len = 0;
            // SAFETY: valid buffer and out-pointer.
            assert_eq!(unsafe { wasinn_exec_ctx_get_output(c1, 0, again.as_mut_ptr().cast(), 16, &mut len) }, WASINN_STATUS_SUCCESS);
            assert_eq!(f32_from(&again), r1, "{backend}: round {round}");
            assert_eq!(r1, a.iter().zip(&b).map(|(x, y)| x + y).collect::<Vec<f32>>(), "{backend}: round {round}");
            assert_eq!(r2, b.iter().map(|y| y + y).collect::<Vec<f32>>(), "{backend}: round {round}");
        }
        free(g, &[c1, c2]);
    }
}

#[test]
fn contexts_of_one_graph_compute_on_two_threads() {
    let _g = setup();
    const ELEMS: usize = 4096;
    let model = add_f32_model(&[ELEMS as i64]);
    for backend in BACKENDS {
        let g = load(&model, backend);
        let ctxs = [new_ctx(g), new_ctx(g)];
        std::thread::scope(|s| {
            for (t, &ctx) in ctxs.iter().enumerate() {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for round in 0..100 {
                        let (a, b) = inputs(ELEMS, round * 2 + t);
                        let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
                        assert_eq!(add_once(ctx, &[ELEMS as u32], &a, &b, &mut out), want, "{backend}: thread {t}, round {round}");
                    }
                });
            }
        });
        free(g, &ctxs);
    }
}

// ---------------------------------------------------------------------------------------------
// The OpenVINO plugin's CPU inference precision (`WASINN_OPENVINO_PRECISION`), as hosts see it.
// The plugin reads the variable once per process, so each value runs in a child process (this
// test binary, running only `openvino_precision_child`).

/// Marks the child process (its value is irrelevant).
const PRECISION_CHILD: &str = "WASINN_TEST_PRECISION_CHILD";
/// An input element that f32 holds exactly and bf16 and f16 round to 1.0 (`1 + 2^-12`).
const FINE: f32 = 1.0 + 1.0 / 4096.0;

type TextFn = unsafe extern "C" fn(usize, *mut std::ffi::c_char, usize, *mut usize) -> wasinn_status_t;

fn backend_text(f: TextFn, index: usize) -> String {
    let mut buf = vec![0 as std::ffi::c_char; 1024];
    let mut len = 0;
    // SAFETY: a buffer of the length given and a valid out-pointer.
    assert_eq!(unsafe { f(index, buf.as_mut_ptr(), buf.len(), &mut len) }, WASINN_STATUS_SUCCESS);
    // SAFETY: NUL-terminated on success.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_owned()
}

/// In the child: the openvino plugin's listing entry, and when it is available the result of
/// `y = x @ [1, 1]` for `x = [1 + 2^-12, 0]` (a MatMul, which OpenVINO's CPU plugin runs at the
/// inference precision), printed for the parent.
#[test]
#[ignore = "run by openvino_precision_is_validated_and_listed in a child process"]
fn openvino_precision_child() {
    assert!(std::env::var_os(PRECISION_CHILD).is_some(), "run by openvino_precision_is_validated_and_listed");
    add_vendor_plugins();
    let mut n = 0;
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { wasinn_backend_count(&mut n) }, WASINN_STATUS_SUCCESS);
    let index = (0..n)
        .find(|&i| backend_text(wasinn_backend_path, i).ends_with("libwasinn_backend_openvino.so"))
        .expect("the openvino plugin is listed");
    let mut status = u32::MAX;
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { wasinn_backend_status(index, &mut status) }, WASINN_STATUS_SUCCESS);
    println!("precision child: status {status}");
    println!("precision child: version {}", backend_text(wasinn_backend_version, index));
    println!("precision child: reason {}", backend_text(wasinn_backend_reason, index));
    if status != WASINN_BACKEND_STATUS_AVAILABLE {
        return;
    }
    let model = ModelBuilder::new()
        .input("x", Elem::Float, &[dim(1), dim(2)])
        .initializer(f32_tensor("w", &[2, 1], &[1.0, 1.0]))
        .node("MatMul", &["x", "w"], &["y"])
        .output("y", Elem::Float, &[dim(1), dim(1)])
        .into_bytes();
    let g = load(&model, "openvino");
    let ctx = new_ctx(g);
    let x = f32_bytes(&[FINE, 0.0]);
    let dims = [1u32, 2];
    let mut y = [0u8; 4];
    let mut len = 0;
    // SAFETY: views valid for the calls, `y` valid for 4 bytes.
    unsafe {
        let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: dims.as_ptr(), rank: 2, data: x.as_ptr(), data_len: x.len() };
        assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_compute(ctx), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_get_output(ctx, 0, y.as_mut_ptr().cast(), 4, &mut len), WASINN_STATUS_SUCCESS);
    }
    println!("precision child: y {:e}", f32::from_le_bytes(y));
    free(g, &[ctx]);
}

/// Whether this CPU has bf16 instructions (then OpenVINO's CPU default is bf16).
fn cpu_has_bf16() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .split_whitespace()
        .any(|flag| flag == "avx512_bf16" || flag == "amx_bf16")
}

/// The child's report: (status, version, reason, y), and its `WASINN_LOG=info` stderr, with
/// `WASINN_OPENVINO_PRECISION` set to `value` (`None`: unset) and `WASINN_OPENVINO_STREAMS` unset.
fn precision_child(value: Option<&str>) -> ((u32, String, String, Option<f32>), String) {
    openvino_child(&[("WASINN_OPENVINO_PRECISION", value), ("WASINN_OPENVINO_STREAMS", None)])
}

/// [`precision_child`] with any of the plugin's variables set (`Some`) or removed (`None`).
fn openvino_child(vars: &[(&str, Option<&str>)]) -> ((u32, String, String, Option<f32>), String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "openvino_precision_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PRECISION_CHILD, "1")
        .env("WASINN_LOG", "info");
    for &(name, value) in vars {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().expect("run the child");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "child for {vars:?} failed:\n{stdout}\n{stderr}");
    let field = |name: &str| {
        stdout
            .lines()
            // The harness may print "test ... " ahead of the child's first line.
            .find_map(|l| l.split_once("precision child: ")?.1.strip_prefix(name)?.strip_prefix([' ']).or(Some("")).map(str::to_owned))
    };
    let status = field("status").unwrap_or_else(|| panic!("no status in:\n{stdout}")).parse().unwrap();
    let report = (status, field("version").unwrap(), field("reason").unwrap(), field("y").map(|y| y.parse().unwrap()));
    (report, stderr)
}

#[test]
fn openvino_precision_is_validated_and_listed() {
    let bf16 = cpu_has_bf16();
    if !bf16 {
        println!("openvino precision: this CPU has no avx512_bf16/amx_bf16: bf16 and default are expected to run at f32");
    }
    let own_default = if bf16 { "bf16" } else { "f32" };
    // (value, the source named in the version text, the precision expected; None: OpenVINO's
    // call, e.g. f16 is honoured only on CPUs with f16 arithmetic)
    let cases: [(Option<&str>, &str, Option<&str>); 6] = [
        (None, "libwasinn's default", Some("f32")),
        (Some(""), "libwasinn's default", Some("f32")),
        (Some("f32"), "WASINN_OPENVINO_PRECISION=f32", Some("f32")),
        (Some("BF16"), "WASINN_OPENVINO_PRECISION=bf16", Some(own_default)),
        (Some("default"), "OpenVINO's default", Some(own_default)),
        (Some("f16"), "WASINN_OPENVINO_PRECISION=f16", None),
    ];
    for (value, source, want) in cases {
        let ((status, version, reason, got), stderr) = precision_child(value);
        assert_eq!(status, WASINN_BACKEND_STATUS_AVAILABLE, "{value:?}: {reason}");
        // "... CPU precision <p> (<source>), ..."
        let shown = version
            .split_once("CPU precision ")
            .and_then(|(_, rest)| rest.split_once(&format!(" ({source})")))
            .map(|(p, _)| p.to_owned())
            .unwrap_or_else(|| panic!("{value:?}: version text {version:?} lacks \"CPU precision <p> ({source})\""));
        if let Some(want) = want {
            assert_eq!(shown, want, "{value:?}: {version}");
        }
        // The WASINN_LOG=info line of the plugin's acceptance says the same.
        let line = stderr
            .lines()
            .find(|l| l.contains("accepted: backend openvino"))
            .unwrap_or_else(|| panic!("{value:?}: no acceptance line in:\n{stderr}"));
        assert!(line.contains(&format!("CPU precision {shown} ({source})")), "{value:?}: {line}");
        // And the model ran at the precision shown: f32 keeps 1 + 2^-12, bf16 and f16 round it.
        let got = got.expect("the child ran the model");
        let expected = match shown.as_str() {
            "f32" => FINE,
            "bf16" | "f16" => 1.0,
            other => panic!("{value:?}: unexpected precision {other:?}"),
        };
        assert_eq!(got, expected, "{value:?}: x @ [1, 1] at {shown}");
        println!("openvino precision {value:?}: {version}; x @ [1, 1] = {got:e}");
    }
    // A value the plugin does not know rejects it, the reason naming the value and the choices.
    let ((status, _, reason, got), stderr) = precision_child(Some("fp32"));
    assert_eq!(status, WASINN_BACKEND_STATUS_REJECTED);
    assert!(reason.contains("WASINN_OPENVINO_PRECISION=\"fp32\"") && reason.contains("use f32 (the default), bf16, f16, or default"), "{reason}");
    assert!(got.is_none());
    assert!(stderr.lines().any(|l| l.contains("rejected") && l.contains("WASINN_OPENVINO_PRECISION=\"fp32\"")), "{stderr}");
    println!("openvino precision \"fp32\": rejected: {reason}");
}

/// `WASINN_OPENVINO_STREAMS`: each value in a child process (the plugin reads it once), shown in
/// the listing's version text and the acceptance log line; the model computes at every accepted
/// value; anything else rejects the plugin with a reason naming the value.
#[test]
fn openvino_streams_are_validated_and_listed() {
    let cases: [(Option<&str>, Option<&str>); 5] = [
        // (value, the version text's "CPU streams ..." part; None: OpenVINO's default count)
        (None, None),
        (Some(""), None),
        (Some("2"), Some("CPU streams 2 (WASINN_OPENVINO_STREAMS=2)")),
        (Some(" 1 "), Some("CPU streams 1 (WASINN_OPENVINO_STREAMS=1)")),
        (Some("Auto"), Some("CPU streams auto (WASINN_OPENVINO_STREAMS=auto)")),
    ];
    for (value, want) in cases {
        let ((status, version, reason, got), stderr) =
            openvino_child(&[("WASINN_OPENVINO_STREAMS", value), ("WASINN_OPENVINO_PRECISION", None)]);
        assert_eq!(status, WASINN_BACKEND_STATUS_AVAILABLE, "{value:?}: {reason}");
        let shown = version
            .split_once("CPU streams ")
            .and_then(|(_, rest)| rest.split_once("), "))
            .map(|(s, _)| format!("CPU streams {s})"))
            .unwrap_or_else(|| panic!("{value:?}: version text {version:?} lacks \"CPU streams ...\""));
        match want {
            Some(want) => assert_eq!(shown, want, "{value:?}: {version}"),
            // Unset: OpenVINO's own count for the CPU, a number (1 under its latency hint).
            None => {
                let count = shown.strip_prefix("CPU streams ").and_then(|s| s.strip_suffix(" (OpenVINO's default)"));
                assert!(count.is_some_and(|c| c.parse::<u32>().is_ok()), "{value:?}: {shown}");
            }
        }
        let line = stderr
            .lines()
            .find(|l| l.contains("accepted: backend openvino"))
            .unwrap_or_else(|| panic!("{value:?}: no acceptance line in:\n{stderr}"));
        assert!(line.contains(&shown), "{value:?}: {line}");
        // The model computes (at libwasinn's default precision, f32) with the streams asked for.
        assert_eq!(got, Some(FINE), "{value:?}: x @ [1, 1]");
        println!("openvino streams {value:?}: {shown}");
    }
    for bad in ["0", "-1", "two", "4097"] {
        let ((status, _, reason, got), stderr) =
            openvino_child(&[("WASINN_OPENVINO_STREAMS", Some(bad)), ("WASINN_OPENVINO_PRECISION", None)]);
        assert_eq!(status, WASINN_BACKEND_STATUS_REJECTED, "{bad}");
        assert!(reason.contains(&format!("WASINN_OPENVINO_STREAMS={bad:?}")) && reason.contains("from 1 to 4096"), "{reason}");
        assert!(got.is_none());
        assert!(stderr.lines().any(|l| l.contains("rejected") && l.contains("WASINN_OPENVINO_STREAMS=")), "{stderr}");
        println!("openvino streams {bad:?}: rejected: {reason}");
    }
}
