//! `wasinn_stats_get`: the process-wide data-path counters of [`crate::core::stats`] for C
//! callers (tests proving the one-copy-each-way contract, hosts watching it in production).

use crate::capi::ffi::{self, boundary};
use crate::capi::status::wasinn_status_t;
use crate::core::error::Error;
use crate::core::stats;

/// Process-wide counters of libwasinn's data path since the library was loaded (C name
/// `wasinn_stats_t`). Every field only grows; subtract two snapshots to measure an interval.
/// Fields are only ever appended (the size passed to `wasinn_stats_get` says how many the
/// caller knows).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct wasinn_stats {
    /// Successful `set_input` calls, through every API (C, witx glue, named compute).
    pub set_input_calls: u64,
    /// Successful `compute` calls and `compute_single` steps.
    pub compute_calls: u64,
    /// Outputs copied out to callers (`get_output`, `get_output_single`, and each output of a named
    /// compute).
    pub get_output_calls: u64,
    /// Tensor bytes given to backends by successful `set_input` calls; each is copied once, by
    /// the backend, into its own input storage.
    pub bytes_in: u64,
    /// Tensor bytes copied from backends' output storage into callers' buffers.
    pub bytes_out: u64,
    /// Tensor-sized buffers libwasinn allocated on the data path (an input tensor made for a new
    /// type or shape, an owned copy of an output in a named compute). Zero per inference in
    /// steady state through `set_input` + `compute` + `get_output`. Allocations inside a plugin's
    /// vendor library are not seen here.
    pub tensor_allocs: u64,
    /// Bytes of those buffers.
    pub tensor_alloc_bytes: u64,
}

impl wasinn_stats {
    /// The counters now: what [`wasinn_stats_get`] writes, for Rust callers.
    pub fn now() -> Self {
        let s = stats::snapshot();
        wasinn_stats {
            set_input_calls: s.set_input_calls,
            compute_calls: s.compute_calls,
            get_output_calls: s.get_output_calls,
            bytes_in: s.bytes_in,
            bytes_out: s.bytes_out,
            tensor_allocs: s.tensor_allocs,
            tensor_alloc_bytes: s.tensor_alloc_bytes,
        }
    }

    /// What each counter grew by from `earlier` (a snapshot taken before this one) to `self`.
    /// Saturating: snapshots passed in the wrong order give zeros, never a wrapped count.
    pub fn since(&self, earlier: &Self) -> Self {
        wasinn_stats {
            set_input_calls: self.set_input_calls.saturating_sub(earlier.set_input_calls),
            compute_calls: self.compute_calls.saturating_sub(earlier.compute_calls),
            get_output_calls: self.get_output_calls.saturating_sub(earlier.get_output_calls),
            bytes_in: self.bytes_in.saturating_sub(earlier.bytes_in),
            bytes_out: self.bytes_out.saturating_sub(earlier.bytes_out),
            tensor_allocs: self.tensor_allocs.saturating_sub(earlier.tensor_allocs),
            tensor_alloc_bytes: self.tensor_alloc_bytes.saturating_sub(earlier.tensor_alloc_bytes),
        }
    }
}

/// C name of [`wasinn_stats`].
#[allow(non_camel_case_types)]
pub type wasinn_stats_t = wasinn_stats;

/// Writes the current counters to `*out`: the first `out_size` bytes of a `wasinn_stats_t`
/// (pass `sizeof(wasinn_stats_t)`; a caller built against an older, shorter struct gets only the
/// fields it knows).
///
/// Thread-safe and lock-free: each counter is read atomically (relaxed), so while other threads
/// run inferences the fields are each exact but not one consistent set. Counting costs a few
/// relaxed atomic adds per call; there is no switch to turn it off.
///
/// Returns `WASINN_STATUS_SUCCESS`; `WASINN_STATUS_INVALID_ARGUMENT` when `out` is NULL or
/// `out_size` is smaller than the first version of the struct (56 bytes: seven `uint64_t`), and
/// then `*out` is untouched.
///
/// # Safety
/// `out` must be NULL or valid for writes of `out_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_stats_get(out: *mut wasinn_stats_t, out_size: usize) -> wasinn_status_t {
    boundary(|| {
        const V1_SIZE: usize = 7 * 8;
        if out_size < V1_SIZE {
            return Err(Error::invalid(format!("out_size {out_size} is smaller than the {V1_SIZE} bytes of wasinn_stats_t v1")));
        }
        // SAFETY: caller contract (NULL checked here).
        let out = unsafe { ffi::arg_out(out.cast::<u8>(), "out") }?;
        let c = wasinn_stats::now();
        let n = out_size.min(size_of::<wasinn_stats>());
        // SAFETY: `out` is valid for `out_size >= n` bytes (caller contract); `c` is plain data
        // of at least `n` bytes; the regions are distinct.
        unsafe { std::ptr::copy_nonoverlapping(std::ptr::from_ref(&c).cast::<u8>(), std::ptr::from_mut(out), n) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_short_sizes_are_refused_and_snapshots_grow() {
        // SAFETY: NULL / valid pointers as documented.
        unsafe {
            assert_eq!(wasinn_stats_get(std::ptr::null_mut(), size_of::<wasinn_stats>()), 1);
            let mut s = wasinn_stats { set_input_calls: 77, ..Default::default() };
            assert_eq!(wasinn_stats_get(&mut s, 55), 1);
            assert_eq!(s.set_input_calls, 77, "untouched on failure");
            assert_eq!(wasinn_stats_get(&mut s, size_of::<wasinn_stats>()), 0);
            let first = s;
            stats::record_input(5);
            assert_eq!(wasinn_stats_get(&mut s, size_of::<wasinn_stats>()), 0);
            assert!(s.set_input_calls > first.set_input_calls && s.bytes_in >= first.bytes_in + 5);
        }
    }
}
