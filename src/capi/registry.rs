//! The host's registry of named models, served by `wasinn_graph_load_by_name` (and to guests by
//! the witx glue's `load_by_name`).
//!
//! Only the host adds entries (here, or through `WASINN_NN_PRELOAD`): a guest names a registry
//! key, never a file path. Models are loaded when added, so the host sees errors at once, and
//! every `load_by_name` shares the one loaded graph.

use std::ffi::c_char;
use std::path::PathBuf;

use crate::capi::ffi::{self, boundary};
use crate::capi::status::wasinn_status_t;
use crate::capi::tensor::{self, wasinn_buffer_t};
use crate::core::error::Error;
use crate::core::registry::{PreloadSpec, Registry};
use crate::core::types::{Encoding, Target};

/// Registers the model files `paths` under `name` and loads them now.
///
/// `name` and each of the `n_paths` `paths` are NUL-terminated UTF-8 strings (ONNX: one file;
/// OpenVINO IR: XML then weights); `encoding` is a `WASINN_ENCODING_*` and `target` a
/// `WASINN_TARGET_*` value. Models read from files may reference files beside them (e.g. ONNX
/// external data). A failed add leaves nothing registered.
/// `WASINN_ENCODING_GGML` takes exactly one path, a GGUF file that libwasinn does not read: the
/// backend (the llama.cpp plugin) is given the path and opens the file itself, so a multi-GB model
/// is never copied and no model-size limit applies (the file must exist: else `NOT_FOUND`).
/// Ownership: the strings are borrowed during the call only.
/// Thread safety: may be called from any thread; other registry models stay usable meanwhile.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer, a string that is not
/// UTF-8, an empty name, a name already registered, no paths, an unknown encoding or target;
/// `NOT_FOUND` when a file cannot be read; `INVALID_ENCODING`, `UNSUPPORTED_OPERATION`,
/// `RUNTIME_ERROR` when loading fails; `PANIC`.
///
/// # Safety
/// `name` must be a valid NUL-terminated string; `paths` valid for `n_paths` pointers, each to a
/// valid NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasinn_registry_add_files(
    name: *const c_char,
    encoding: u32,
    target: u32,
    paths: *const *const c_char,
    n_paths: usize,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_cstr(name, "name") }?;
        // SAFETY: caller contract.
        let list = unsafe { ffi::arg_slice(paths, n_paths, "paths") }?;
        let paths = list
            .iter()
            .enumerate()
            // SAFETY: caller contract.
            .map(|(i, &p)| unsafe { ffi::arg_cstr(p, &format!("paths[{i}]")) }.map(PathBuf::from))
            .collect::<Result<Vec<_>, Error>>()?;
        let encoding = Encoding::try_from(encoding)?;
        let target = Target::try_from(target)?;
        Registry::global().add_files(name, encoding, target, paths)
    })
}

/// Registers model bytes under `name` (a NUL-terminated UTF-8 string) and loads them now.
///
/// `builders` points at `n_builders` buffers, copied before the call returns. As for
/// `wasinn_graph_load`, models from bytes may not reference host files. A failed add leaves
/// nothing registered. Ownership: everything is borrowed during the call only.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer, an empty or already
/// registered name, no builders, an unknown encoding or target; `INVALID_ENCODING`,
/// `UNSUPPORTED_OPERATION`, `SECURITY`, `RUNTIME_ERROR` when loading fails; `PANIC`.
///
/// # Safety
/// `name` must be a valid NUL-terminated string; `builders` valid for `n_builders` buffers, each
/// valid for its `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_registry_add_bytes(
    name: *const c_char,
    encoding: u32,
    target: u32,
    builders: *const wasinn_buffer_t,
    n_builders: usize,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_cstr(name, "name") }?;
        // SAFETY: caller contract.
        let views = unsafe { tensor::buffers(builders, n_builders) }?;
        let encoding = Encoding::try_from(encoding)?;
        let target = Target::try_from(target)?;
        Registry::global().add_bytes(name, encoding, target, views.iter().map(|b| b.to_vec()).collect())
    })
}

/// Registers and loads the models of `spec`, a NUL-terminated string of one or more
/// `name:encoding:target:path[:path...]` items separated by `;` (WasmEdge's `--nn-preload` form;
/// encoding and target names such as `onnx`, `cpu` are case-insensitive; empty items are ignored).
///
/// Items are added in order and the call stops at the first failure: the items before it stay
/// registered. Ownership: `spec` is borrowed during the call only. Thread safety: may be called
/// from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL or non-UTF-8 `spec`, a spec with
/// no item, a malformed item or a name already registered; otherwise the status of
/// `wasinn_registry_add_files` for the failing item; `PANIC`.
///
/// # Safety
/// `spec` must be a valid NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasinn_registry_preload(spec: *const c_char) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let spec = unsafe { ffi::arg_cstr(spec, "spec") }?;
        let items = PreloadSpec::parse_list(spec);
        if items.is_empty() {
            return Err(Error::invalid("the preload spec has no item (expected name:encoding:target:path[:path...])"));
        }
        items.into_iter().try_for_each(|item| Registry::global().add_spec(item?))
    })
}

/// Unregisters the model called `name` (a NUL-terminated UTF-8 string). Graph handles and
/// contexts already made from it keep working; later `wasinn_graph_load_by_name` calls fail with
/// `NOT_FOUND`.
///
/// Ownership: `name` is borrowed during the call only. Thread safety: may be called from any
/// thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL or non-UTF-8 `name`;
/// `NOT_FOUND` when no model has that name; `PANIC`.
///
/// # Safety
/// `name` must be a valid NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasinn_registry_remove(name: *const c_char) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_cstr(name, "name") }?;
        Registry::global().remove(name)
    })
}
