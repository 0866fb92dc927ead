//! The fixed cost of one inference through the `wasinn_witx_*` glue, for profiling: a model
//! (by default a 1-element f32 Add, `sum = a + b`) loaded from a byte-vector guest memory, then
//! `ITERS` x (set_input a, set_input b, compute, get_output), each call checked. Prints the heap
//! allocations libwasinn (and the built-in tract) made per inference, counted by this program's
//! global allocator (a plugin's and its vendor library's own mallocs are not seen here; the
//! page-fault count covers them), the minor page faults, the `wasinn_stats_get` counters, and the wall time per inference (noisy on a shared machine:
//! instruction counts come from running it under callgrind, see below).
//!
//! ```sh
//! WASINN_BACKEND_PREFERENCE=openvino WASINN_PYTHON_SITE_PACKAGES=.venv \
//!   cargo run --release --example percall -- [ITERS] [ELEMENTS]
//! valgrind --tool=callgrind --toggle-collect='wasinn_witx_set_input' --toggle-collect='wasinn_witx_compute' \
//!   --toggle-collect='wasinn_witx_get_output' target/release/examples/percall 2000   # Ir / 2000 = per inference
//! ```
//!
//! `ELEMENTS` (default 1) sets the Add's size (1225000 elements: the 4.9 MB-in / 4.9 MB-out case).

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use wasinn::glue::witx::*;

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn put_u32(mem: &mut [u8], at: usize, v: u32) {
    mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Minor page faults of the whole process so far.
fn minor_faults() -> i64 {
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) }, 0);
    u.ru_minflt
}

/// The process's RSS in KB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `load_by_name` of a model preloaded in the host's registry: wall time per call and RSS growth
/// over 1000 calls (each a new graph handle sharing the one loaded graph: no weights copied).
///
/// # Safety
/// `inst` a live instance.
unsafe fn load_by_name(model: &[u8], mem: &mut [u8], inst: *mut wasinn_witx_instance_t) {
    const CALLS: u32 = 1000;
    let name = std::ffi::CString::new("percall-model").unwrap();
    let b = wasinn::capi::wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    // SAFETY: valid name and buffer.
    let status = unsafe { wasinn::capi::wasinn_registry_add_bytes(name.as_ptr(), wasinn::capi::WASINN_ENCODING_ONNX, wasinn::capi::WASINN_TARGET_CPU, &b, 1) };
    assert_eq!(status, 0, "registry add");
    // The name at 0, the graph out-pointer after it (the model bytes are not needed any more).
    let len = name.as_bytes().len();
    mem[..len].copy_from_slice(name.as_bytes());
    let out = len.next_multiple_of(4) as u32;
    let (m, n) = (mem.as_mut_ptr(), mem.len());
    // SAFETY: `mem` valid for its length.
    unsafe {
        assert_eq!(wasinn_witx_load_by_name(inst, m, n, 0, len as u32, out), 0, "load_by_name");
        let rss0 = rss_kb();
        let t0 = std::time::Instant::now();
        for _ in 0..CALLS {
            assert_eq!(wasinn_witx_load_by_name(inst, m, n, 0, len as u32, out), 0);
        }
        let dt = t0.elapsed();
        println!(
            "load_by_name of a preloaded model: {:.3} us each (wall, noisy), RSS {:+} KB over {CALLS} calls (model {} bytes)",
            dt.as_secs_f64() * 1e6 / f64::from(CALLS),
            rss_kb() as i64 - rss0 as i64,
            model.len()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iters: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20000);
    let elems: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let model = common::add_f32_model(&[elems as i64]);
    let bytes = elems * 4;

    // Guest memory: [model][builder 8][graph 4][ctx 4][written 4][dims 4][tensor a 20][tensor b 20][a][b][out]
    let model_at = 0usize;
    let fixed = model.len().next_multiple_of(8);
    let (builder, graph_at, ctx_at, written_at, dims_at, ta, tb) =
        (fixed, fixed + 8, fixed + 12, fixed + 16, fixed + 20, fixed + 24, fixed + 44);
    let a_at = (fixed + 64).next_multiple_of(64);
    let (b_at, out_at) = (a_at + bytes, a_at + 2 * bytes);
    let mut mem = vec![0u8; out_at + bytes];
    mem[model_at..model.len()].copy_from_slice(&model);
    put_u32(&mut mem, builder, model_at as u32);
    put_u32(&mut mem, builder + 4, model.len() as u32);
    put_u32(&mut mem, dims_at, elems as u32);
    for (t, data) in [(ta, a_at), (tb, b_at)] {
        put_u32(&mut mem, t, dims_at as u32);
        put_u32(&mut mem, t + 4, 1);
        mem[t + 8] = 1; // fp32
        put_u32(&mut mem, t + 12, data as u32);
        put_u32(&mut mem, t + 16, bytes as u32);
    }
    for i in 0..elems {
        mem[a_at + 4 * i..a_at + 4 * i + 4].copy_from_slice(&1.5f32.to_le_bytes());
        mem[b_at + 4 * i..b_at + 4 * i + 4].copy_from_slice(&2.0f32.to_le_bytes());
    }

    let mut inst = std::ptr::null_mut();
    // SAFETY: valid out-pointer; `mem` is valid for its length for every call below.
    unsafe {
        assert_eq!(wasinn_witx_instance_new(0, &mut inst), 0);
        let (m, n) = (mem.as_mut_ptr(), mem.len());
        assert_eq!(wasinn_witx_load(inst, m, n, builder as u32, 1, 1, 0, graph_at as u32), 0, "load");
        let graph = u32::from_le_bytes(mem[graph_at..graph_at + 4].try_into().unwrap());
        assert_eq!(wasinn_witx_init_execution_context(inst, m, n, graph, ctx_at as u32), 0);
        let ctx = u32::from_le_bytes(mem[ctx_at..ctx_at + 4].try_into().unwrap());
        let run = |count: u64| {
            for _ in 0..count {
                assert_eq!(wasinn_witx_set_input(inst, m, n, ctx, 0, ta as u32), 0);
                assert_eq!(wasinn_witx_set_input(inst, m, n, ctx, 1, tb as u32), 0);
                assert_eq!(wasinn_witx_compute(inst, m, n, ctx), 0);
                assert_eq!(wasinn_witx_get_output(inst, m, n, ctx, 0, out_at as u32, bytes as u32, written_at as u32), 0);
            }
        };
        run(10); // warm up: plans, first-shape allocations
        let a0 = ALLOCS.load(Ordering::Relaxed);
        let s0 = wasinn::core::stats::snapshot();
        let f0 = minor_faults();
        let t0 = std::time::Instant::now();
        run(iters);
        let dt = t0.elapsed();
        let faults = minor_faults() - f0;
        let allocs = ALLOCS.load(Ordering::Relaxed) - a0;
        let s = wasinn::core::stats::snapshot().since(&s0);
        let out = f32::from_le_bytes(mem[out_at..out_at + 4].try_into().unwrap());
        assert_eq!(out, 3.5);
        println!(
            "{iters} inferences of a {elems}-element f32 Add: {:.3} us each (wall, noisy), {:.2} Rust heap allocations each",
            dt.as_secs_f64() * 1e6 / iters as f64,
            allocs as f64 / iters as f64
        );
        println!(
            "per inference: {:.2} page faults (minor, whole process), {} bytes copied in, {} out ({} in + {} out expected), {:.2} tensor-sized allocations by libwasinn",
            faults as f64 / iters as f64,
            s.bytes_in / iters,
            s.bytes_out / iters,
            2 * bytes,
            bytes,
            s.tensor_allocs as f64 / iters as f64
        );
        load_by_name(&model, &mut mem, inst);
        wasinn_witx_instance_free(inst);
    }
}
