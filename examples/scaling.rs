//! Contexts of one graph on N threads, and what each extra context costs in memory, through the
//! C API on each backend, for docs/per-call-cost.md (figures, no assertion: a benchmark, never a
//! test). Per backend: magika's model (from the venv's `magika` package) loaded once; N = 1 then
//! N = 2 contexts, each on its own thread running `ITERS` x (set_input, compute, get_output);
//! prints inferences per second and the N = 2 / N = 1 ratio. Then `EXTRA` more contexts, one
//! inference each: RSS growth per context against the model file's size (its weights).
//!
//! ```sh
//! WASINN_PYTHON_SITE_PACKAGES=.venv cargo run --example scaling -- [ITERS] [BACKEND...]
//! ```
//!
//! The backends keep their own thread defaults (ONNX Runtime and OpenVINO size their pools to the
//! machine's cores), so on a machine with fewer free cores than N x threads the ratio says more
//! about the machine than about libwasinn.

#[path = "../tests/common/mod.rs"]
mod common;

use std::ffi::CString;
use std::time::Instant;

use wasinn::capi::*;

const EXTRA: usize = 8;

extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

fn rss_kb() -> u64 {
    // SAFETY: glibc's malloc_trim may be called at any time.
    unsafe { malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn magika_model() -> Vec<u8> {
    let lib = common::venv().join("lib");
    let model = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .flatten()
        .map(|py| py.path().join("site-packages/magika/models/standard_v3_3/model.onnx"))
        .find(|p| p.is_file())
        .expect("magika in the venv (scripts/requirements.txt)");
    std::fs::read(model).unwrap()
}

/// The inputs of `g`: type, dims (dynamic ones as 1) and zero bytes.
fn zero_inputs(g: wasinn_graph_t) -> Vec<(u32, Vec<u32>, Vec<u8>)> {
    let mut n = 0;
    // SAFETY: valid out-pointers throughout.
    unsafe {
        assert_eq!(wasinn_graph_input_count(g, &mut n), 0);
        (0..n)
            .map(|i| {
                let mut ty = 0;
                assert_eq!(wasinn_graph_input_type(g, i, &mut ty), 0);
                let mut dims = [0i64; 8];
                let mut rank = 0;
                assert_eq!(wasinn_graph_input_shape(g, i, dims.as_mut_ptr(), 8, &mut rank), 0);
                let dims: Vec<u32> = dims[..rank].iter().map(|&d| u32::try_from(d).unwrap_or(1)).collect();
                let size = match ty {
                    WASINN_TENSOR_TYPE_U8 => 1,
                    WASINN_TENSOR_TYPE_FP16 => 2,
                    WASINN_TENSOR_TYPE_FP64 | WASINN_TENSOR_TYPE_I64 => 8,
                    _ => 4,
                };
                let count: usize = dims.iter().map(|&d| d as usize).product();
                (ty, dims, vec![0u8; count * size])
            })
            .collect()
    }
}

fn infer(ctx: wasinn_exec_ctx_t, inputs: &[(u32, Vec<u32>, Vec<u8>)], out: &mut [u8]) {
    // SAFETY: views valid for the calls.
    unsafe {
        for (i, (ty, dims, data)) in inputs.iter().enumerate() {
            let t = wasinn_tensor_t { r#type: *ty, dims: dims.as_ptr(), rank: dims.len(), data: data.as_ptr(), data_len: data.len() };
            assert_eq!(wasinn_exec_ctx_set_input(ctx, i, &t), 0);
        }
        assert_eq!(wasinn_exec_ctx_compute(ctx), 0);
        let mut len = 0;
        assert_eq!(wasinn_exec_ctx_get_output(ctx, 0, out.as_mut_ptr().cast(), out.len(), &mut len), 0);
    }
}

fn new_ctx(g: wasinn_graph_t) -> wasinn_exec_ctx_t {
    let mut c = 0;
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { wasinn_exec_ctx_new(g, &mut c) }, 0);
    c
}

/// Inferences per second of `n` contexts on `n` threads, `iters` each.
fn throughput(g: wasinn_graph_t, inputs: &[(u32, Vec<u32>, Vec<u8>)], n: usize, iters: usize) -> f64 {
    let ctxs: Vec<wasinn_exec_ctx_t> = (0..n).map(|_| new_ctx(g)).collect();
    let mut out = vec![0u8; 1 << 16];
    for &c in &ctxs {
        infer(c, inputs, &mut out);
    }
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for &c in &ctxs {
            s.spawn(move || {
                let mut out = vec![0u8; 1 << 16];
                for _ in 0..iters {
                    infer(c, inputs, &mut out);
                }
            });
        }
    });
    let rate = (n * iters) as f64 / t0.elapsed().as_secs_f64();
    for c in ctxs {
        assert_eq!(wasinn_exec_ctx_free(c), 0);
    }
    rate
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iters: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let mut backends: Vec<String> = args.iter().skip(2).cloned().collect();
    if backends.is_empty() {
        backends = ["tract", "onnxruntime", "openvino"].map(String::from).to_vec();
    }
    common::add_vendor_plugins();
    let model = magika_model();
    for backend in backends {
        let name = CString::new(backend.as_str()).unwrap();
        let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
        let mut g = 0;
        // SAFETY: valid buffer, name, out-pointer.
        let status = unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, name.as_ptr(), &mut g) };
        assert_eq!(status, 0, "load on {backend}");
        let inputs = zero_inputs(g);
        let one = throughput(g, &inputs, 1, iters);
        let two = throughput(g, &inputs, 2, iters);
        println!("scaling: {backend} magika: N=1 {one:.0}/s, N=2 {two:.0}/s: {:.2}x", two / one);

        let first = new_ctx(g);
        let mut out = vec![0u8; 1 << 16];
        infer(first, &inputs, &mut out);
        let before = rss_kb();
        let extra: Vec<wasinn_exec_ctx_t> = (0..EXTRA).map(|_| new_ctx(g)).collect();
        for &c in &extra {
            infer(c, &inputs, &mut out);
        }
        let after = rss_kb();
        let per_ctx = (after as f64 - before as f64) / EXTRA as f64;
        println!(
            "memory: {backend} magika: {per_ctx:+.0} KB RSS per extra context (after one inference each; {EXTRA} contexts), model file {} KB: {:.1}% of it",
            model.len() / 1024,
            100.0 * per_ctx * 1024.0 / model.len() as f64
        );
        for c in extra.into_iter().chain([first]) {
            assert_eq!(wasinn_exec_ctx_free(c), 0);
        }
        assert_eq!(wasinn_graph_free(g), 0);
    }
}
