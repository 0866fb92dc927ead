//! Backends and plugins: the backend listing, adding plugin paths, the backend preference and
//! loading a graph with an explicitly named backend. A thin wrapper over
//! [`crate::backends::plugin::discovery`] and [`crate::core::loader`].
//!
//! The listing holds the built-in backends first, then every plugin candidate in discovery order
//! (accepted or rejected). It is addressed by index, and every call takes a fresh snapshot of it:
//! the listing only grows (candidates are never removed or reordered, and plugins are never
//! unloaded), but a `wasinn_plugin_add_path` on any thread may insert entries ahead of those found
//! later from `WASINN_PLUGIN_PATH` or beside libwasinn at first use, so indices are meaningful for
//! the current listing only. Callers enumerating the listing while another thread adds paths should
//! take `wasinn_backend_count` first and treat the entries as a snapshot.

use std::ffi::{c_char, CStr};
use std::path::Path;

use crate::capi::ffi::{self, boundary};
use crate::capi::graph::{encoding_constant, insert, target_constant, wasinn_graph_t};
use crate::capi::status::wasinn_status_t;
use crate::capi::tensor::{self, wasinn_buffer_t};
use crate::core::error::{Error, Result};
use crate::core::loader::{self, LoadOptions};
use crate::backends::plugin::discovery::{self as plugins, BackendEntry, BackendStatus};
use crate::core::types::{Encoding, Target};

/// The backend can load models.
pub const WASINN_BACKEND_STATUS_AVAILABLE: u32 = 0;
/// A plugin candidate that was rejected (wrong ABI version, missing entry symbol, vendor library
/// not found, duplicate name, ...); `wasinn_backend_reason` says why. It is never used for loading.
pub const WASINN_BACKEND_STATUS_REJECTED: u32 = 1;

/// The C value of a backend status (exhaustive).
pub fn backend_status_constant(status: BackendStatus) -> u32 {
    match status {
        BackendStatus::Available => WASINN_BACKEND_STATUS_AVAILABLE,
        BackendStatus::Rejected => WASINN_BACKEND_STATUS_REJECTED,
    }
}

/// Entry `index` of a fresh snapshot of the listing, or `InvalidArgument`.
fn entry(index: usize) -> Result<BackendEntry> {
    let mut list = plugins::list();
    let n = list.len();
    if index >= n {
        return Err(Error::invalid(format!("backend index {index} out of range (the listing has {n} entries)")));
    }
    Ok(list.swap_remove(index))
}

/// Copies one text field of entry `index` out with [`ffi::copy_out_cstr`].
unsafe fn text(
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
    field: fn(&BackendEntry) -> String,
) -> wasinn_status_t {
    boundary(|| {
        let e = entry(index)?;
        // SAFETY: caller contract.
        unsafe { ffi::copy_out_cstr(&field(&e), buf, buf_len, out_len) }
    })
}

/// Writes the values of a list field of entry `index` to `out[0..n]`.
unsafe fn values(
    index: usize,
    out: *mut u32,
    max: usize,
    out_n: *mut usize,
    field: fn(&BackendEntry) -> Vec<u32>,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out_n = unsafe { ffi::arg_out(out_n, "out_n") }?;
        let e = entry(index)?;
        let list = field(&e);
        *out_n = list.len();
        if max < list.len() {
            return Err(Error::too_large(format!("out holds {max} values but {} are needed", list.len())));
        }
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_slice_mut(out, max, "out") }?;
        out[..list.len()].copy_from_slice(&list);
        Ok(())
    })
}

/// Writes the number of entries in the backend listing to `*out_count`: the built-in backends,
/// the accepted plugins and the rejected plugin candidates.
///
/// The first call (like the first model load) discovers the plugins of `WASINN_PLUGIN_PATH` and
/// the directory beside libwasinn. The count is a snapshot: it grows when plugin paths are added
/// (`wasinn_plugin_add_path`), never shrinks. Written only on success.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_count`; `PANIC`.
///
/// # Safety
/// `out_count` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_count(out_count: *mut usize) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_count, "out_count") }?;
        *out = plugins::list().len();
        Ok(())
    })
}

/// Copies the name of backend `index` (e.g. `"tract"`; for a rejected candidate that never
/// said its name, its file name) into `buf` as a NUL-terminated UTF-8 string.
///
/// `index` refers to the current listing (see `wasinn_backend_count`; indices of entries found
/// later may shift after `wasinn_plugin_add_path`). Buffer contract as `wasinn_graph_input_name`:
/// `*out_len` (when `out_len` is not NULL) receives the length excluding the NUL whenever the
/// index is valid, even when the buffer is too small, so a caller may query with `buf` NULL and
/// `buf_len` 0 and retry with `*out_len + 1` bytes; `buf` is written only on success.
/// Ownership: `buf` is owned by the caller. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1` (nothing written);
/// `INVALID_ARGUMENT` for an index out of range or a NULL `buf` with a large enough `buf_len`;
/// `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_name(
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { text(index, buf, buf_len, out_len, |e| e.name.clone()) }
}

/// Copies the version text of backend `index` into `buf` as a NUL-terminated UTF-8 string (`""`
/// when unknown, e.g. for a candidate rejected before it said its version).
///
/// Same index and buffer contract as `wasinn_backend_name`. Thread safety: may be called from any
/// thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1`;
/// `INVALID_ARGUMENT` for an index out of range or a NULL `buf` with a large enough `buf_len`;
/// `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_version(
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { text(index, buf, buf_len, out_len, |e| e.version.clone()) }
}

/// Copies the plugin file of backend `index` (the canonical path it was opened from) into `buf`
/// as a NUL-terminated string: `""` for a built-in backend. A path that is not UTF-8 is copied
/// with its invalid bytes replaced by U+FFFD.
///
/// Same index and buffer contract as `wasinn_backend_name`. Thread safety: may be called from any
/// thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1`;
/// `INVALID_ARGUMENT` for an index out of range or a NULL `buf` with a large enough `buf_len`;
/// `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_path(
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe {
        text(index, buf, buf_len, out_len, |e| {
            e.path.as_ref().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
        })
    }
}

/// Copies why backend `index` was rejected (wrong ABI version, missing entry symbol, vendor
/// library not found, duplicate backend name, ...) into `buf` as a NUL-terminated UTF-8 string:
/// `""` when the backend is available.
///
/// Same index and buffer contract as `wasinn_backend_name`. Thread safety: may be called from any
/// thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1`;
/// `INVALID_ARGUMENT` for an index out of range or a NULL `buf` with a large enough `buf_len`;
/// `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_reason(
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { text(index, buf, buf_len, out_len, |e| e.reason.clone().unwrap_or_default()) }
}

/// Writes the status of backend `index` to `*out_status`: `WASINN_BACKEND_STATUS_AVAILABLE` or
/// `WASINN_BACKEND_STATUS_REJECTED` (see `wasinn_backend_reason`).
///
/// `index` refers to the current listing (see `wasinn_backend_count`). Written only on success.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_status` or an index out of
/// range; `PANIC`.
///
/// # Safety
/// `out_status` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_status(index: usize, out_status: *mut u32) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_status, "out_status") }?;
        *out = backend_status_constant(entry(index)?.status);
        Ok(())
    })
}

/// Writes the encodings backend `index` loads (`WASINN_ENCODING_*` values) to `out[0..n]` and
/// `n` to `*out_n`. A rejected candidate serves none (`n` is 0).
///
/// `*out_n` is written whenever `out_n` is not NULL and the index is valid, even when `max` is
/// too small, so a caller may query with `out` NULL and `max` 0 and retry; `out` is written only
/// on success and may be NULL when `max` is 0. `index` refers to the current listing (see
/// `wasinn_backend_count`). Ownership: `out` is owned by the caller.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `max < n` (nothing written to `out`);
/// `INVALID_ARGUMENT` for a NULL `out_n`, a NULL `out` with a non-zero `max`, or an index out of
/// range; `PANIC`.
///
/// # Safety
/// `out` must be NULL or valid for writes of `max` values; `out_n` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_encodings(
    index: usize,
    out: *mut u32,
    max: usize,
    out_n: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { values(index, out, max, out_n, |e| e.encodings.iter().map(|&x| encoding_constant(x).1).collect()) }
}

/// Writes the targets backend `index` runs on (`WASINN_TARGET_*` values, preferred first; the
/// first is what `WASINN_TARGET_AUTO` selects) to `out[0..n]` and `n` to `*out_n`. A rejected
/// candidate serves none (`n` is 0).
///
/// Same contract as `wasinn_backend_encodings`: `*out_n` is written even when `max` is too small;
/// `out` is written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `max < n`; `INVALID_ARGUMENT` for a NULL
/// `out_n`, a NULL `out` with a non-zero `max`, or an index out of range; `PANIC`.
///
/// # Safety
/// `out` must be NULL or valid for writes of `max` values; `out_n` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_targets(
    index: usize,
    out: *mut u32,
    max: usize,
    out_n: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { values(index, out, max, out_n, |e| e.targets.iter().map(|&x| target_constant(x).1).collect()) }
}

/// Adds a plugin path: a plugin file (tried whatever its name), or a directory whose
/// `libwasinn_backend_*.so` files are tried in name order. Paths added here come before
/// `WASINN_PLUGIN_PATH` and the directory beside libwasinn, provided they are added before the
/// first model load or listing call (which discover those); the first plugin with a given backend
/// name wins, later ones are listed as rejected duplicates.
///
/// `path` is a NUL-terminated file name (any bytes but NUL; not necessarily UTF-8). Each file is
/// opened at most once per process: adding a path again adds nothing. Plugins are never unloaded.
/// Every candidate found is recorded in the listing: a file that is not a valid plugin (not a
/// shared library, no entry symbol, wrong ABI version, initialisation failure, ...) does not make
/// this call fail: it appears with `WASINN_BACKEND_STATUS_REJECTED` and a reason (see
/// `wasinn_backend_reason`). The new entries are appended to the plugin candidates found so far,
/// so existing indices stay valid, but entries discovered afterwards from the environment come
/// after them.
/// Ownership: `path` is borrowed during the call only.
/// Thread safety: may be called from any thread; discovery is serialized by an internal lock.
///
/// Returns `WASINN_STATUS_SUCCESS` (even when every candidate was rejected); `INVALID_ARGUMENT`
/// for a NULL or empty `path`; `NOT_FOUND` when the path does not exist; `PANIC`.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasinn_plugin_add_path(path: *const c_char) -> wasinn_status_t {
    boundary(|| {
        if path.is_null() {
            return Err(Error::invalid("path is NULL"));
        }
        // SAFETY: non-NULL and NUL-terminated by contract.
        let bytes = unsafe { CStr::from_ptr(path) }.to_bytes();
        if bytes.is_empty() {
            return Err(Error::invalid("path is empty"));
        }
        use std::os::unix::ffi::OsStrExt;
        plugins::add_path(Path::new(std::ffi::OsStr::from_bytes(bytes))).map(drop)
    })
}

/// Sets the backend preference for this process: `names` is a comma-separated list of backend
/// names, highest priority first (e.g. `"tract,onnxruntime"`; spaces around names are ignored).
///
/// Used when a load does not name its backend: among the available backends serving the
/// encoding, those named here come first in this order, then the others (built-ins first, then
/// plugins in discovery order). Names of backends that are not (yet) available are accepted and
/// simply match nothing. NULL, `""` or a list with no names restores the default order: the
/// `WASINN_BACKEND_PREFERENCE` environment variable (same syntax) when set, else
/// `onnxruntime,openvino,tract`. Affects loads started after the call on every thread.
/// Ownership: `names` is borrowed during the call only (the names are copied).
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` when `names` is not UTF-8; `PANIC`.
///
/// # Safety
/// `names` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_set_preference(names: *const c_char) -> wasinn_status_t {
    boundary(|| {
        let list: Vec<String> = if names.is_null() {
            Vec::new()
        } else {
            // SAFETY: non-NULL and NUL-terminated by contract.
            let s = unsafe { ffi::arg_cstr(names, "names") }?;
            s.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
        };
        loader::set_preference(if list.is_empty() { None } else { Some(list) });
        Ok(())
    })
}

/// Loads a model from bytes like `wasinn_graph_load`, with the backend named `backend` (a
/// NUL-terminated name from the listing, e.g. `"tract"`) instead of the preference order. NULL
/// or `""` selects the backend automatically, exactly as `wasinn_graph_load` does.
///
/// `builders`, `n_builders`, `encoding` and `target` are as for `wasinn_graph_load`
/// (`WASINN_ENCODING_AUTODETECT` and `WASINN_TARGET_AUTO` are resolved for the named backend).
/// There is no fallback: when the named backend fails to load the model, its error is returned.
/// Ownership: the bytes and the name are borrowed only during the call; the caller owns the new
/// handle and releases it with `wasinn_graph_free`. `*out_graph` is written only on success.
/// Thread safety: may be called from any thread; loading holds no global lock.
///
/// Returns `WASINN_STATUS_SUCCESS`; `NOT_FOUND` when no available backend has that name (unknown
/// or rejected; the message lists the available ones); `INVALID_ARGUMENT` for a NULL pointer, a
/// name that is not UTF-8, an unknown encoding or target; `INVALID_ENCODING` when the backend does
/// not load that encoding or the bytes are not a valid model; `UNSUPPORTED_OPERATION` when the
/// backend does not run on the target; `SECURITY`; `RUNTIME_ERROR`; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `builders` must be valid for `n_builders` buffers, each valid for its `len` bytes; `backend`
/// NULL or a NUL-terminated string; `out_graph` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_load_with_backend(
    builders: *const wasinn_buffer_t,
    n_builders: usize,
    encoding: u32,
    target: u32,
    backend: *const c_char,
    out_graph: *mut wasinn_graph_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_graph, "out_graph") }?;
        let backend = if backend.is_null() {
            None
        } else {
            // SAFETY: non-NULL and NUL-terminated by contract.
            Some(unsafe { ffi::arg_cstr(backend, "backend") }?).filter(|b| !b.is_empty())
        };
        // SAFETY: caller contract.
        let views = unsafe { tensor::buffers(builders, n_builders) }?;
        let encoding = Encoding::try_from(encoding)?;
        let target = Target::try_from(target)?;
        let graph = loader::load_with(&views, encoding, target, &LoadOptions { backend, model_dir: None })?;
        *out = insert(graph)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_constants_are_distinct() {
        assert_ne!(backend_status_constant(BackendStatus::Available), backend_status_constant(BackendStatus::Rejected));
    }
}
