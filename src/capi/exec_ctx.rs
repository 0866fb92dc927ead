//! Execution contexts: setting inputs, computing, reading outputs, and the WIT-style
//! `compute_named`.
//!
//! A context is an `Arc<Mutex<ExecContext>>`: the handle table's lock is held only for the lookup,
//! then the context's own lock serializes calls on that one context, so concurrent calls on the
//! same context wait for each other while other contexts (and graphs) run in parallel. A context
//! holds its graph alive, whatever happens to the graph's handle.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use crate::capi::ffi::{self, boundary};
use crate::capi::graph::{self, wasinn_graph_t};
use crate::capi::outputs::{self, wasinn_outputs_t};
use crate::capi::status::wasinn_status_t;
use crate::capi::tensor::{self, wasinn_named_tensor_t, wasinn_tensor_t};
use crate::capi::IDS;
use crate::core::error::{Error, Result};
use crate::core::graph::ExecContext;
use crate::core::handles::HandleTable;
use crate::core::tensor::{OutputRef, TensorRef, MAX_RANK};

/// An execution context handle: one inference session of a graph. 0 is never a valid handle, and
/// a freed handle is never reused; a graph handle is never a valid context handle.
#[allow(non_camel_case_types)]
pub type wasinn_exec_ctx_t = u64;

static CONTEXTS: LazyLock<HandleTable<Mutex<ExecContext>>> = LazyLock::new(|| HandleTable::new("execution context"));

/// The context behind a handle (the table lock is held only for the lookup).
pub(crate) fn context(handle: wasinn_exec_ctx_t) -> Result<Arc<Mutex<ExecContext>>> {
    CONTEXTS.get(handle)
}

/// Creates an execution context for `graph` and returns its handle in `*out_ctx`.
///
/// The context keeps the graph alive: freeing the graph handle afterwards does not affect it.
/// Ownership: the caller owns the new handle and releases it with `wasinn_exec_ctx_free`.
/// `*out_ctx` is written only on success. Thread safety: may be called from any thread; many
/// contexts may be created from one graph concurrently.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_ctx` or an unknown or
/// freed graph handle; `RUNTIME_ERROR` when the backend fails; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `out_ctx` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_new(
    graph: wasinn_graph_t,
    out_ctx: *mut wasinn_exec_ctx_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_ctx, "out_ctx") }?;
        let ctx = graph::graph(graph)?.init_execution_context()?;
        *out = CONTEXTS.insert(&IDS, Arc::new(Mutex::new(ctx)))?;
        Ok(())
    })
}

/// Releases an execution context handle. A call running on the context in another thread
/// finishes normally; the context is destroyed when it returns.
///
/// Thread safety: may be called from any thread; the caller must not use the handle afterwards
/// (a freed handle is never reused, so a stale use fails cleanly with `INVALID_ARGUMENT`).
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for an unknown or already freed handle;
/// `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_exec_ctx_free(ctx: wasinn_exec_ctx_t) -> wasinn_status_t {
    boundary(|| CONTEXTS.remove(ctx).map(drop))
}

/// Copies `*tensor` into input `index` of the context.
///
/// The tensor is validated (known type, `data_len` the type's size for `dims` without overflow:
/// product(dims) * element size, packed bytes for the 4- and 2-bit types, well-framed elements
/// for strings; rank at most 32) and its data copied before the call returns; a failed call leaves
/// the input unset. Ownership: `tensor` and what it points to are borrowed during the call only.
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `tensor`, NULL `dims` with a
/// non-zero rank, NULL `data` with a non-zero `data_len`, an unknown type, a wrong data length,
/// an unknown or freed handle or an index out of range; `UNSUPPORTED_OPERATION` when the backend
/// does not accept the type or shape; `RUNTIME_ERROR`; `PANIC`.
///
/// # Safety
/// `tensor` must be valid for reads, its `dims` for `rank` values and `data` for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_set_input(
    ctx: wasinn_exec_ctx_t,
    index: usize,
    tensor: *const wasinn_tensor_t,
) -> wasinn_status_t {
    boundary(|| {
        let mut dims = [0usize; MAX_RANK];
        // SAFETY: caller contract.
        let tensor = unsafe { tensor::tensor_ref(ffi::arg_ref(tensor, "tensor")?, &mut dims) }?;
        context(ctx)?.lock().set_input(index, &tensor)
    })
}

/// Copies `*tensor` into the input called `name` (`name_len` bytes of UTF-8, not necessarily
/// NUL-terminated), with the same validation and copy rules as `wasinn_exec_ctx_set_input`.
///
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `NOT_FOUND` when the model has no such input;
/// `INVALID_ARGUMENT` for a NULL pointer, a name that is not UTF-8, an invalid tensor or an
/// unknown or freed handle; `UNSUPPORTED_OPERATION`; `RUNTIME_ERROR`; `PANIC`.
///
/// # Safety
/// `name` must be valid for `name_len` bytes; `tensor` as for `wasinn_exec_ctx_set_input`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_set_input_by_name(
    ctx: wasinn_exec_ctx_t,
    name: *const c_char,
    name_len: usize,
    tensor: *const wasinn_tensor_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_name(name, name_len, "name") }?;
        let mut dims = [0usize; MAX_RANK];
        // SAFETY: caller contract.
        let tensor = unsafe { tensor::tensor_ref(ffi::arg_ref(tensor, "tensor")?, &mut dims) }?;
        context(ctx)?.lock().set_input_by_name(name, &tensor)
    })
}

/// Runs the model on the inputs set so far. Every input must have been set.
///
/// Thread safety: may be called from any thread; holds only this context's lock (concurrent
/// calls on the same context wait; other contexts run in parallel).
///
/// A panic inside the backend (`PANIC`) poisons the context: from then on `set_input`, `compute`
/// and the output calls on it return `RUNTIME_ERROR` ("execution context poisoned by an earlier
/// panic"); free it and create a new one. Other contexts of the graph are not affected.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for an unknown or freed handle or when an
/// input was never set; `RUNTIME_ERROR` when the backend fails or the context is poisoned; `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_exec_ctx_compute(ctx: wasinn_exec_ctx_t) -> wasinn_status_t {
    boundary(|| context(ctx)?.lock().compute())
}

/// Runs one streaming step on a context of a streaming backend (the llama.cpp plugin): the first
/// call after `wasinn_exec_ctx_set_input` (or after `wasinn_exec_ctx_fini_single`) evaluates the
/// inputs (the prompt) and produces the first piece; each further call produces the next piece,
/// read with `wasinn_exec_ctx_get_output_single`. Every required input must have been set
/// (inputs the backend declares optional, such as llama.cpp's metadata input 1, may stay unset).
///
/// Thread safety: may be called from any thread; holds only this context's lock. A panic in the
/// backend poisons the context as for `wasinn_exec_ctx_compute`.
///
/// Returns `WASINN_STATUS_SUCCESS` when a piece was produced; `END_OF_SEQUENCE` when generation
/// has ended (end-of-sequence token or the generation limit: no piece was produced, the stream is
/// over; end it with `wasinn_exec_ctx_fini_single`); `CONTEXT_FULL` when the backend's context
/// window is full; `PROMPT_TOO_LONG` when the prompt does not fit it; `UNSUPPORTED_OPERATION`
/// when the backend does not stream (the last error message names it); `INVALID_ARGUMENT` for an
/// unknown or freed handle or a required input never set; `RUNTIME_ERROR`; `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_exec_ctx_compute_single(ctx: wasinn_exec_ctx_t) -> wasinn_status_t {
    boundary(|| context(ctx)?.lock().compute_single())
}

/// Copies the raw bytes of output `index` of the last successful `wasinn_exec_ctx_compute_single`
/// step into `buf` (for llama.cpp: index 0 the last piece's UTF-8 bytes, which may end inside a
/// multi-byte character that the next piece completes; index 1 the metadata JSON), with the
/// buffer contract of `wasinn_exec_ctx_get_output`: `*out_len` (when `out_len` is not NULL)
/// receives the size in bytes whenever the output exists, even when `buf` is too small; `buf`
/// is written only on success.
///
/// Ownership: `buf` is owned by the caller. Thread safety: may be called from any thread; calls
/// on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len` is smaller than the output
/// (nothing written, the needed size in `*out_len`); `INVALID_ARGUMENT` for an unknown or freed
/// handle, an index out of range, no successful `compute_single` step since the last
/// `set_input` / `fini_single`, or a NULL `buf` with a non-zero needed size;
/// `UNSUPPORTED_OPERATION` when the backend does not stream; `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_get_output_single(
    ctx: wasinn_exec_ctx_t,
    index: usize,
    buf: *mut c_void,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    boundary(|| {
        let ctx = context(ctx)?;
        let ctx = ctx.lock();
        // SAFETY: caller contract.
        unsafe { copy_output(ctx.output_single(index), buf, buf_len, out_len) }
    })
}

/// Ends the stream of a context and resets it for the next prompt (its inputs stay set: the next
/// `wasinn_exec_ctx_compute_single` starts a new stream). With no stream open it succeeds.
///
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `UNSUPPORTED_OPERATION` when the backend does not stream;
/// `INVALID_ARGUMENT` for an unknown or freed handle; `RUNTIME_ERROR`; `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_exec_ctx_fini_single(ctx: wasinn_exec_ctx_t) -> wasinn_status_t {
    boundary(|| context(ctx)?.lock().fini_single())
}

/// Copies `out` into a caller buffer; the needed size always goes to `out_len` when non-NULL.
unsafe fn copy_output(out: Result<OutputRef<'_>>, buf: *mut c_void, buf_len: usize, out_len: *mut usize) -> Result<()> {
    let data = out?.data;
    // SAFETY: forwarded contract.
    unsafe { ffi::copy_out(data, buf.cast::<u8>(), buf_len, out_len) }?;
    crate::core::stats::record_output(data.len());
    Ok(())
}

/// Copies the raw bytes of output `index` of the last successful compute into `buf`, in the
/// layout of its tensor type (see the `WASINN_TENSOR_TYPE_*` constants: packed 4- and 2-bit
/// elements, length-prefixed strings).
///
/// `*out_len` (when `out_len` is not NULL) receives the output's size in bytes whenever the
/// output exists, even when `buf` is too small, so a caller may query with `buf` NULL and
/// `buf_len` 0. `buf` is written only on success. Ownership: `buf` is owned by the caller.
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len` is smaller than the output
/// (nothing written); `INVALID_ARGUMENT` for an unknown or freed handle, an index out of range, no
/// successful compute yet, or a NULL `buf` with a non-zero needed size; `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_get_output(
    ctx: wasinn_exec_ctx_t,
    index: usize,
    buf: *mut c_void,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    boundary(|| {
        let ctx = context(ctx)?;
        let ctx = ctx.lock();
        // SAFETY: caller contract.
        unsafe { copy_output(ctx.output(index), buf, buf_len, out_len) }
    })
}

/// Copies the raw bytes of the output called `name` (`name_len` bytes of UTF-8, not necessarily
/// NUL-terminated) into `buf`, with the same buffer contract as `wasinn_exec_ctx_get_output`.
///
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE`; `NOT_FOUND` when the model has no such output;
/// `INVALID_ARGUMENT` for a NULL `name`, a name that is not UTF-8, an unknown or freed handle, no
/// successful compute yet, or a NULL `buf` with a non-zero needed size; `PANIC`.
///
/// # Safety
/// `name` must be valid for `name_len` bytes; `buf` NULL or valid for writes of `buf_len` bytes;
/// `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_get_output_by_name(
    ctx: wasinn_exec_ctx_t,
    name: *const c_char,
    name_len: usize,
    buf: *mut c_void,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_name(name, name_len, "name") }?;
        let ctx = context(ctx)?;
        let ctx = ctx.lock();
        // SAFETY: caller contract.
        unsafe { copy_output(ctx.output_by_name(name), buf, buf_len, out_len) }
    })
}

/// Writes the element type (a `WASINN_TENSOR_TYPE_*` value) of output `index` of the last
/// successful compute to `*out_type`.
///
/// Written only on success. Thread safety: may be called from any thread; calls on the same
/// context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_type`, an unknown or freed
/// handle, an index out of range or no successful compute yet; `PANIC`.
///
/// # Safety
/// `out_type` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_output_type(
    ctx: wasinn_exec_ctx_t,
    index: usize,
    out_type: *mut u32,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_type, "out_type") }?;
        let ctx = context(ctx)?;
        *out = ctx.lock().output(index)?.ty as u32;
        Ok(())
    })
}

/// Writes the actual shape of output `index` of the last successful compute: its rank to
/// `*out_rank` and its dimensions to `dims[0..rank]`.
///
/// When `max_dims` is smaller than the rank, or a dimension exceeds `UINT32_MAX`, `*out_rank` is
/// still set and `dims` is not written. `dims` may be NULL when `max_dims` is 0.
/// Ownership: `dims` is owned by the caller. Thread safety: may be called from any thread; calls
/// on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `max_dims` is smaller than the rank or a
/// dimension exceeds `UINT32_MAX`; `INVALID_ARGUMENT` for a NULL `out_rank`, a NULL `dims` with a
/// non-zero `max_dims`, an unknown or freed handle, an index out of range or no successful compute
/// yet; `PANIC`.
///
/// # Safety
/// `dims` must be NULL or valid for writes of `max_dims` values; `out_rank` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_output_shape(
    ctx: wasinn_exec_ctx_t,
    index: usize,
    dims: *mut u32,
    max_dims: usize,
    out_rank: *mut usize,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out_rank = unsafe { ffi::arg_out(out_rank, "out_rank") }?;
        let ctx = context(ctx)?;
        let ctx = ctx.lock();
        let shape = ctx.output(index)?.dims;
        *out_rank = shape.len();
        if max_dims < shape.len() {
            return Err(Error::too_large(format!("dims holds {max_dims} values but the rank is {}", shape.len())));
        }
        let values = outputs::dims_u32(shape)?;
        // SAFETY: caller contract.
        let dims = unsafe { ffi::arg_slice_mut(dims, max_dims, "dims") }?;
        dims[..values.len()].copy_from_slice(&values);
        Ok(())
    })
}

/// The WIT-style call (`graph-execution-context.compute`): sets the `n_inputs` named inputs, runs
/// the model, and returns every output, with its name, in a new library-owned output list
/// (`*out_outputs`), in model order. Each output is copied exactly once, into the list.
///
/// Inputs not named keep the value of an earlier `wasinn_exec_ctx_set_input*` call (compute fails
/// if one was never set). Each input is validated as for `wasinn_exec_ctx_set_input`; input names
/// are `name_len` bytes of UTF-8. `inputs` may be NULL when `n_inputs` is 0.
/// Ownership: `inputs` is borrowed during the call only; the caller owns the output list and
/// releases it with `wasinn_outputs_free`; `*out_outputs` is written only on success.
/// Thread safety: may be called from any thread; calls on the same context serialize.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer, an invalid tensor or
/// name, an unknown or freed handle or an input never set; `NOT_FOUND` for an unknown input name;
/// `TOO_LARGE` when an output dimension exceeds `UINT32_MAX`; `UNSUPPORTED_OPERATION`;
/// `RUNTIME_ERROR`; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `inputs` must be valid for `n_inputs` named tensors, each valid as for
/// `wasinn_exec_ctx_set_input_by_name`; `out_outputs` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_exec_ctx_compute_named(
    ctx: wasinn_exec_ctx_t,
    inputs: *const wasinn_named_tensor_t,
    n_inputs: usize,
    out_outputs: *mut wasinn_outputs_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_outputs, "out_outputs") }?;
        // SAFETY: caller contract.
        let list = unsafe { ffi::arg_slice(inputs, n_inputs, "inputs") }?;
        let mut dims = vec![[0usize; MAX_RANK]; list.len()];
        let named = list
            .iter()
            .zip(dims.iter_mut())
            .enumerate()
            .map(|(i, (t, dims))| {
                // SAFETY: caller contract.
                let name = unsafe { ffi::arg_name(t.name, t.name_len, &format!("inputs[{i}].name")) }?;
                // SAFETY: caller contract.
                let tensor = unsafe { tensor::tensor_ref(&t.tensor, dims) }?;
                Ok((name, tensor))
            })
            .collect::<Result<Vec<(&str, TensorRef<'_>)>>>()?;
        let results = context(ctx)?.lock().compute_named(&named)?;
        *out = outputs::insert(results)?;
        Ok(())
    })
}
