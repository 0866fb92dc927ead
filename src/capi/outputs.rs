//! Output lists: the named outputs returned by the WIT-style `wasinn_exec_ctx_compute_named`.
//!
//! A list is immutable once published, so `wasinn_outputs_get` hands out pointers into it that stay
//! valid until the list's handle is freed; reading needs no lock beyond the table lookup.

use std::ffi::c_char;
use std::sync::{Arc, LazyLock};

use crate::capi::ffi::{self, boundary};
use crate::capi::status::wasinn_status_t;
use crate::capi::tensor::wasinn_tensor_t;
use crate::capi::IDS;
use crate::core::error::{Error, Result};
use crate::core::handles::HandleTable;
use crate::core::tensor::Tensor;

/// An output list handle, made by `wasinn_exec_ctx_compute_named`. 0 is never a valid handle, and
/// a freed handle is never reused.
#[allow(non_camel_case_types)]
pub type wasinn_outputs_t = u64;

struct Output {
    /// The name followed by a NUL (the name itself may be any UTF-8).
    name: Vec<u8>,
    ty: u32,
    dims: Vec<u32>,
    data: Vec<u8>,
}

/// The published form of a compute_named result. Raw pointers into it are handed to C.
pub(crate) struct OutputList(Vec<Output>);

static OUTPUTS: LazyLock<HandleTable<OutputList>> = LazyLock::new(|| HandleTable::new("output list"));

/// Converts dimensions to the C API's `uint32_t`, or `TooLarge`.
pub(crate) fn dims_u32(dims: &[usize]) -> Result<Vec<u32>> {
    dims.iter()
        .map(|&d| u32::try_from(d).map_err(|_| Error::too_large(format!("output dimension {d} exceeds UINT32_MAX"))))
        .collect()
}

/// Publishes the outputs of a compute as a new list.
pub(crate) fn insert(results: Vec<(String, Tensor)>) -> Result<wasinn_outputs_t> {
    let list = results
        .into_iter()
        .map(|(name, t)| {
            let mut name = name.into_bytes();
            name.push(0);
            Ok(Output { name, ty: t.ty as u32, dims: dims_u32(&t.dims)?, data: t.data })
        })
        .collect::<Result<Vec<_>>>()?;
    OUTPUTS.insert(&IDS, Arc::new(OutputList(list)))
}

fn or_null<T>(v: &[T]) -> *const T {
    if v.is_empty() {
        std::ptr::null()
    } else {
        v.as_ptr()
    }
}

/// Writes the number of outputs in the list to `*out_count`.
///
/// Written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_count` or an unknown or
/// freed handle; `PANIC`.
///
/// # Safety
/// `out_count` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_outputs_count(outputs: wasinn_outputs_t, out_count: *mut usize) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_count, "out_count") }?;
        *out = OUTPUTS.get(outputs)?.0.len();
        Ok(())
    })
}

/// Describes output `index` of the list: its name (`*out_name`, `*out_name_len` bytes of UTF-8,
/// also NUL-terminated) and its tensor (`*out_tensor`: type, dims, rank, data, data_len).
///
/// Ownership: every pointer written is borrowed from the list and stays valid until
/// `wasinn_outputs_free` on it; never free or write through them. `dims` is NULL when the rank is
/// 0 and `data` is NULL when `data_len` is 0. The outputs are written only on success.
/// Thread safety: may be called from any thread, concurrently; the caller must not free the list
/// while another thread still uses pointers from it.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer, an unknown or freed
/// handle or an index out of range; `PANIC`.
///
/// # Safety
/// `out_name`, `out_name_len` and `out_tensor` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_outputs_get(
    outputs: wasinn_outputs_t,
    index: usize,
    out_name: *mut *const c_char,
    out_name_len: *mut usize,
    out_tensor: *mut wasinn_tensor_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let (out_name, out_name_len, out_tensor) = unsafe {
            (
                ffi::arg_out(out_name, "out_name")?,
                ffi::arg_out(out_name_len, "out_name_len")?,
                ffi::arg_out(out_tensor, "out_tensor")?,
            )
        };
        let list = OUTPUTS.get(outputs)?;
        let o = list.0.get(index).ok_or_else(|| {
            Error::invalid(format!("output index {index} out of range (the list has {} outputs)", list.0.len()))
        })?;
        // The pointers stay valid after `list` (a clone) drops: the table holds the list until
        // wasinn_outputs_free, and its buffers never move.
        *out_name = o.name.as_ptr().cast::<c_char>();
        *out_name_len = o.name.len() - 1;
        *out_tensor = wasinn_tensor_t {
            r#type: o.ty,
            dims: or_null(&o.dims),
            rank: o.dims.len(),
            data: or_null(&o.data),
            data_len: o.data.len(),
        };
        Ok(())
    })
}

/// Releases an output list and everything `wasinn_outputs_get` pointed into.
///
/// Thread safety: may be called from any thread; the caller must not use the handle or pointers
/// from it afterwards (a freed handle is never reused, so a stale handle fails cleanly).
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for an unknown or already freed handle;
/// `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_outputs_free(outputs: wasinn_outputs_t) -> wasinn_status_t {
    boundary(|| OUTPUTS.remove(outputs).map(drop))
}
