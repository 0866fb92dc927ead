//! Process-wide counters of the per-inference work libwasinn itself does: calls, tensor bytes
//! copied in and out, and tensor-sized buffers allocated. They prove the data-path contract
//! (one copy in at `set_input`, one copy out at `get_output`, no tensor-sized allocation per call
//! in steady state) in tests and let hosts watch it in production.
//!
//! Invariants: every counter only grows (wrapping after 2^64, never in practice); updates are
//! relaxed atomic adds (a few cycles each, no lock, no allocation), so a snapshot taken while other
//! threads run is a consistent value of each counter but not a consistent set. What backends copy
//! or allocate inside themselves (a vendor library's own buffers) is not seen here: the counters
//! cover libwasinn's own data path; whole-process allocations are what the C test measures.

use std::sync::atomic::{AtomicU64, Ordering};

/// One snapshot of the counters (see the field docs for what each counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Successful `set_input` calls (every API: C, witx glue, WIT, Python).
    pub set_input_calls: u64,
    /// Successful `compute` calls and `compute_single` steps.
    pub compute_calls: u64,
    /// Outputs copied out to a caller (`get_output`, `get_output_single`, and each output of a
    /// named compute).
    pub get_output_calls: u64,
    /// Tensor bytes handed to backends by successful `set_input` calls (each copied once by the
    /// backend into its own input storage).
    pub bytes_in: u64,
    /// Tensor bytes copied out of backends' output storage into callers' buffers.
    pub bytes_out: u64,
    /// Tensor-sized buffers libwasinn allocated on the data path (a backend input tensor made
    /// for a new type or shape, an owned copy of an output).
    pub tensor_allocs: u64,
    /// Bytes of those buffers.
    pub tensor_alloc_bytes: u64,
}

struct Counters {
    set_input_calls: AtomicU64,
    compute_calls: AtomicU64,
    get_output_calls: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    tensor_allocs: AtomicU64,
    tensor_alloc_bytes: AtomicU64,
}

static COUNTERS: Counters = Counters {
    set_input_calls: AtomicU64::new(0),
    compute_calls: AtomicU64::new(0),
    get_output_calls: AtomicU64::new(0),
    bytes_in: AtomicU64::new(0),
    bytes_out: AtomicU64::new(0),
    tensor_allocs: AtomicU64::new(0),
    tensor_alloc_bytes: AtomicU64::new(0),
};

fn add(counter: &AtomicU64, n: usize) {
    // usize -> u64 is lossless on every supported target.
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// A successful `set_input` of `bytes` tensor bytes.
pub fn record_input(bytes: usize) {
    add(&COUNTERS.set_input_calls, 1);
    add(&COUNTERS.bytes_in, bytes);
}

/// A successful `compute`.
pub fn record_compute() {
    add(&COUNTERS.compute_calls, 1);
}

/// An output of `bytes` bytes copied out to a caller.
pub fn record_output(bytes: usize) {
    add(&COUNTERS.get_output_calls, 1);
    add(&COUNTERS.bytes_out, bytes);
}

/// A tensor-sized buffer of `bytes` bytes allocated on the data path.
pub fn record_tensor_alloc(bytes: usize) {
    add(&COUNTERS.tensor_allocs, 1);
    add(&COUNTERS.tensor_alloc_bytes, bytes);
}

/// The counters now.
pub fn snapshot() -> Snapshot {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Snapshot {
        set_input_calls: get(&COUNTERS.set_input_calls),
        compute_calls: get(&COUNTERS.compute_calls),
        get_output_calls: get(&COUNTERS.get_output_calls),
        bytes_in: get(&COUNTERS.bytes_in),
        bytes_out: get(&COUNTERS.bytes_out),
        tensor_allocs: get(&COUNTERS.tensor_allocs),
        tensor_alloc_bytes: get(&COUNTERS.tensor_alloc_bytes),
    }
}

impl Snapshot {
    /// What happened between `earlier` and `self` (wrapping, like the counters).
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            set_input_calls: self.set_input_calls.wrapping_sub(earlier.set_input_calls),
            compute_calls: self.compute_calls.wrapping_sub(earlier.compute_calls),
            get_output_calls: self.get_output_calls.wrapping_sub(earlier.get_output_calls),
            bytes_in: self.bytes_in.wrapping_sub(earlier.bytes_in),
            bytes_out: self.bytes_out.wrapping_sub(earlier.bytes_out),
            tensor_allocs: self.tensor_allocs.wrapping_sub(earlier.tensor_allocs),
            tensor_alloc_bytes: self.tensor_alloc_bytes.wrapping_sub(earlier.tensor_alloc_bytes),
        }
    }
}
