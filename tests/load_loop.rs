//! Memory per load, through the C API alone: on every backend (built-in tract, the onnxruntime and
//! openvino plugins), 200 cycles of load / exec_ctx_new / set_input / compute / get_output / free
//! of magika's model (from the venv's `magika` package) and of a 2-input Add, after a warm-up.
//! The process's RSS may not grow by more than 8 MB over the 200 cycles (the OpenVINO plugin used
//! to leak ~3.4 MB per magika load). Prints start / after warm-up / end RSS per backend and model.
//!
//! One test function: RSS is per process, so nothing else may run beside the loops. The plugins
//! and their vendor libraries are found as in `tests/cross_backend.rs` (`WASINN_VENV` or `.venv`);
//! a missing plugin, vendor library or magika package fails the test.

mod common;

use std::ffi::CString;

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
fn cycle(model: &[u8], backend: &CString) {
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let mut g = 0;
    // SAFETY: valid buffers and out-pointers throughout.
    unsafe {
        assert_eq!(
            wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, backend.as_ptr(), &mut g),
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
    let models = [("add", add_f32_model(&[2, 3])), ("magika", magika_model())];
    let mut failures = Vec::new();
    for backend in ["tract", "onnxruntime", "openvino"] {
        let name = CString::new(backend).unwrap();
        for (model_name, model) in &models {
            let start = rss_kb();
            for _ in 0..WARM_UP {
                cycle(model, &name);
            }
            let warm = rss_kb();
            for _ in 0..CYCLES {
                cycle(model, &name);
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
