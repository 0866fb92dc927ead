//! The exported `wasinn_witx_*` host functions: one per `wasi_ephemeral_nn` import, ready to be
//! registered by a runtime's glue (wasm3, WAMR, WasmEdge plugins...).
//!
//! Conventions shared by every import function below:
//! - `inst` is a `wasinn_witx_instance_t` from `wasinn_witx_instance_new`; NULL gives
//!   `invalid_argument` (1 in every profile).
//! - `mem`/`mem_len` is the guest's linear memory (memory 0) as it is at the time of the call.
//!   It is borrowed only during the call and no pointer into it is kept, so the runtime may grow or
//!   move the memory between calls. `mem` may be NULL only when `mem_len` is 0.
//! - All other arguments are the guest's raw i32 arguments. Every guest range is bounds-checked
//!   (64-bit arithmetic) and integers are accessed unaligned little-endian.
//! - The return value is the guest errno in the instance's profile numbering (see `glue::profile`);
//!   0 is success. Out-pointers are written only on success, except `get_output`'s
//!   `bytes_written_ptr` on `too_large`. On failure the detailed reason is available on the calling
//!   thread through `wasinn_last_error_message`; success clears it.
//! - Thread safety: an instance may be used from several threads at once (e.g. WAMR guest threads);
//!   calls on different execution contexts run in parallel, calls on the same context are
//!   serialised. `wasinn_witx_instance_free` must not race with other calls on the instance.
//! - No panic crosses the boundary: a bug becomes `runtime_error`.

use std::os::raw::c_char;

use crate::capi::ffi;
use crate::capi::limits::{self, wasinn_limits_t};
use crate::capi::status::wasinn_status_t;
use crate::core::error::{Error, Result, Status};
use crate::glue::instance::WitxInstance;

/// Opaque per-guest-instance state of the `wasi_ephemeral_nn` glue (C name
/// `wasinn_witx_instance_t`): created by `wasinn_witx_instance_new`, freed by
/// `wasinn_witx_instance_free`.
#[allow(non_camel_case_types)]
pub type wasinn_witx_instance_t = WitxInstance;
use crate::glue::memory::GuestMemory;
use crate::glue::profile::Profile;

fn finish(profile: Profile, result: Result<()>) -> i32 {
    match result {
        Ok(()) => {
            ffi::clear_last_error();
            i32::from(profile.errno(Status::Success))
        }
        Err(e) => {
            let errno = i32::from(profile.errno(e.status));
            ffi::set_last_error(e);
            errno
        }
    }
}

/// Runs one import: resolves the instance and the memory, catches panics, maps the status.
fn witx_call(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    f: impl FnOnce(&WitxInstance, &mut GuestMemory<'_>) -> Result<()>,
) -> i32 {
    // SAFETY: NULL is checked; otherwise the pointer comes from wasinn_witx_instance_new and is
    // not freed during the call (caller contract). Only shared references are formed.
    let Some(inst) = (unsafe { inst.cast_const().as_ref() }) else {
        return finish(Profile::Spec, Err(Error::invalid("the witx instance is NULL")));
    };
    let result = ffi::catch(|| {
        // SAFETY: `mem` is valid for `mem_len` bytes during the call (caller contract).
        let mut mem = unsafe { GuestMemory::from_raw(mem, mem_len) }?;
        f(inst, &mut mem)
    });
    finish(inst.profile(), result)
}

/// Creates the glue state of one guest instance (its own graph and context handle tables).
///
/// `profile` is `WASINN_WITX_PROFILE_SPEC`, `WASINN_WITX_PROFILE_WAMR` (WAMR 2.4 and later),
/// `WASINN_WITX_PROFILE_WASMEDGE` or `WASINN_WITX_PROFILE_WAMR_2_1` (WAMR 2.1-2.3): the numbering
/// of encodings, tensor types and errnos the guest was compiled for (`wasinn_witx_profile_from_name`
/// maps the names "spec", "wamr", "wasmedge", "wamr-2.1"). Errnos returned by the `wasinn_witx_*`
/// import functions are in that numbering; the errno lists below use the spec (witx) names, which
/// WasmEdge and WAMR 2.4+ share (WAMR numbers encodings in WIT order: ggml 5, autodetect 6).
/// WAMR 2.1-2.3 numbers errnos `success` 0 then the WIT error-code order (invalid_argument 1,
/// invalid_encoding 2, timeout 3, runtime_error 4, unsupported_operation 5, too_large 6,
/// not_found 7, security 8), has no `missing_memory` (out-of-bounds ranges are `invalid_argument`
/// there) and gets `security` where witx profiles get `unsupported_operation` for a model
/// referencing host files; its tensor types are in WIT order (bf16 3, u8 4, i32 5, i64 6).
/// Internal bugs (caught panics) and exhausted handle ids are `runtime_error` in every profile.
///
/// On success `*out` receives an instance owned by the caller, to be freed with
/// `wasinn_witx_instance_free`. Handle ids are u32, start at 1 and are never reused; a handle is
/// valid only on the instance that issued it. The instance may be used from several threads at
/// once (calls on different execution contexts run in parallel, calls on one context serialise).
/// Returns a `wasinn_status_t`: `WASINN_STATUS_INVALID_ARGUMENT` for an unknown profile or a NULL
/// `out` (then `*out` is untouched).
///
/// # Safety
/// `out` must be NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_instance_new(profile: u32, out: *mut *mut wasinn_witx_instance_t) -> wasinn_status_t {
    ffi::boundary(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { ffi::arg_out(out, "out") }?;
        let profile = Profile::from_raw(profile)?;
        *out = Box::into_raw(Box::new(WitxInstance::new(profile)));
        Ok(())
    })
}

/// Writes the instance's limits (the process default when it was created, unless set since with
/// `wasinn_witx_instance_set_limits`) into `*out`; the caller sets `out->struct_size` first.
/// Returns `WASINN_STATUS_INVALID_ARGUMENT` for a NULL argument or a too-small `struct_size`
/// (nothing written). Thread-safe.
///
/// # Safety
/// `inst` must be NULL or a live instance; `out` NULL or valid for reads and writes of
/// `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_instance_get_limits(
    inst: *const wasinn_witx_instance_t,
    out: *mut wasinn_limits_t,
) -> wasinn_status_t {
    ffi::boundary(|| {
        // SAFETY: forwarded contract.
        let inst = unsafe { ffi::arg_ref(inst, "inst") }?;
        // SAFETY: forwarded contract.
        unsafe { limits::write(out, &inst.limits()) }
    })
}

/// Sets the limits of one glue instance (one guest instance): its later calls are checked against
/// them, each excess refused with the profile's `too_large` errno; handles already published stay
/// valid even above a lowered count. `limits` is borrowed for the call. Returns
/// `WASINN_STATUS_INVALID_ARGUMENT` for a NULL argument, a too-small `struct_size` or a `max_rank`
/// above 32 (nothing changed). Thread-safe (a call running concurrently sees the old or the new
/// limits).
///
/// # Safety
/// `inst` must be NULL or a live instance; `limits` NULL or valid for reads of
/// `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_instance_set_limits(
    inst: *mut wasinn_witx_instance_t,
    limits: *const wasinn_limits_t,
) -> wasinn_status_t {
    ffi::boundary(|| {
        // SAFETY: forwarded contract; only a shared reference is formed.
        let inst = unsafe { ffi::arg_ref(inst.cast_const(), "inst") }?;
        // SAFETY: forwarded contract.
        let l = unsafe { limits::read(limits) }?;
        inst.set_limits(l)
    })
}

/// Frees an instance and every graph and execution-context handle it still holds (graphs also
/// referenced elsewhere, e.g. by the named-model registry, stay alive there). NULL is a no-op.
///
/// # Safety
/// `inst` must be NULL or come from `wasinn_witx_instance_new`, not yet freed, and no other call
/// may be using it.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_instance_free(inst: *mut wasinn_witx_instance_t) {
    if inst.is_null() {
        return;
    }
    // A backend's drop panicking must not unwind into C; the instance is gone either way.
    let _ = ffi::catch(|| {
        // SAFETY: owned pointer from Box::into_raw (caller contract).
        drop(unsafe { Box::from_raw(inst) });
        Ok(())
    });
}

/// Looks up a compat profile by its short name: `"spec"`, `"wamr"` (WAMR 2.4 and later),
/// `"wamr-2.1"` (WAMR 2.1-2.3 guests) or `"wasmedge"`, the names the hosts' `--profile` options
/// take, so host programs need no table of their own.
///
/// `name` is a NUL-terminated UTF-8 string borrowed for the call. On success writes the
/// `WASINN_WITX_PROFILE_*` value at `*profile_out`. Returns `WASINN_STATUS_INVALID_ARGUMENT` for
/// an unknown name (the message lists the known ones), a name that is not UTF-8, or a NULL
/// argument; `*profile_out` is then untouched. Thread-safe.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `profile_out` NULL or valid for a u32 write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_profile_from_name(name: *const c_char, profile_out: *mut u32) -> wasinn_status_t {
    ffi::boundary(|| {
        // SAFETY: forwarded contract.
        let name = unsafe { ffi::arg_cstr(name, "name") }?;
        // SAFETY: forwarded contract.
        let out = unsafe { ffi::arg_out(profile_out, "profile_out") }?;
        *out = Profile::from_name(name)?.raw();
        Ok(())
    })
}

/// The errno a guest of `profile` (a `WASINN_WITX_PROFILE_*` value) receives for `status`, as the
/// `wasinn_witx_*` functions return it: e.g. for a host glue that fails before it can call them
/// (an instance that could not be created) and must still answer in the guest's numbering.
///
/// An unknown `profile` is answered in the spec (witx) numbering; an unknown `status` (not a
/// `WASINN_STATUS_*` value) is treated as `WASINN_STATUS_RUNTIME_ERROR`, so the result is always a
/// valid errno of some profile (spec `runtime_error` 5 when both are unknown). Pure function, no
/// error state is touched; thread-safe.
#[no_mangle]
pub extern "C" fn wasinn_witx_profile_errno(profile: u32, status: wasinn_status_t) -> i32 {
    let profile = Profile::from_raw(profile).unwrap_or(Profile::Spec);
    let status = Status::from_code(status).unwrap_or(Status::RuntimeError);
    i32::from(profile.errno(status))
}

/// `wasi_ephemeral_nn.load(builder_ptr, builder_len, encoding, target, graph_out_ptr)`.
///
/// Conventions of every `wasinn_witx_*` import function: `inst` comes from
/// `wasinn_witx_instance_new` (NULL gives `invalid_argument`); `mem`/`mem_len` is the guest's
/// memory 0 as it is now, borrowed only for the duration of the call (no pointer into it is kept,
/// so it may grow or move between calls; NULL only with `mem_len` 0); the other arguments are the
/// guest's raw i32s; every guest range is bounds-checked in 64-bit arithmetic and integers are
/// read unaligned little-endian; out-pointers are written only on success (except `get_output`'s
/// needed size on `too_large`). The return value is the guest errno in the instance's profile
/// numbering, 0 on success; on failure `wasinn_last_error_message` on the calling thread tells
/// why, and success clears it. Callable from several threads at once on the same instance.
///
/// Reads `builder_len` `graph_builder`s (8 bytes each: ptr u32, len u32) at `builder_ptr`, loads
/// the model from those guest bytes (copied by the backend during the call; models referencing
/// host files, e.g. ONNX external data, are refused) and writes the new graph handle (u32) at
/// `graph_out_ptr`.
///
/// Errnos (spec numbering): `invalid_encoding` for an unknown encoding number, a format the bytes
/// do not match, or no backend for the encoding; `invalid_argument` for an unknown target or zero
/// builders; `missing_memory` for any range outside `mem`; `unsupported_operation` for a target
/// no backend offers or a model referencing host files; `runtime_error` when the backend fails.
///
/// # Safety
/// `inst` as in `wasinn_witx_instance_free`; `mem` valid for reads and writes of `mem_len` bytes
/// during the call.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wasinn_witx_load(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    builder_ptr: u32,
    builder_len: u32,
    encoding: u32,
    target: u32,
    graph_out_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.load(m, builder_ptr, builder_len, encoding, target, graph_out_ptr))
}

/// `wasi_ephemeral_nn.load_by_name(name_ptr, name_len, graph_out_ptr)`.
///
/// The name (`name_len` bytes, no NUL terminator, UTF-8) is a key of the host's named-model
/// registry (`WASINN_NN_PRELOAD` or the registry API), never a file path. Every call returns a new
/// handle to the registry's shared graph (no reload). Errnos: `not_found` for an unknown name,
/// `invalid_argument` for a name that is not UTF-8, `missing_memory` for ranges outside `mem`.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_load_by_name(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    name_ptr: u32,
    name_len: u32,
    graph_out_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.load_by_name(m, name_ptr, name_len, graph_out_ptr))
}

/// `wasi_ephemeral_nn.load_by_name_with_config(name_ptr, name_len, config_ptr, config_len,
/// graph_out_ptr)` (WasmEdge, WAMR). As `wasinn_witx_load_by_name`, with `config_len` bytes of
/// JSON at `config_ptr` (UTF-8, not NUL-terminated; checked against `mem` and the instance's
/// `max_config_bytes`). When `config_len` > 0 and the model's backend derives graphs (the
/// llama.cpp plugin: `ctx-size`, `n-predict`, ...), the new handle is a graph sharing the
/// registry's loaded model with the config applied (never a reload), unloaded independently; a
/// config the backend refuses is `invalid_argument`. A backend that takes no configuration (every
/// built-in one) ignores the content and the handle is the shared registry graph.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wasinn_witx_load_by_name_with_config(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    name_ptr: u32,
    name_len: u32,
    config_ptr: u32,
    config_len: u32,
    graph_out_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| {
        i.load_by_name_with_config(m, name_ptr, name_len, config_ptr, config_len, graph_out_ptr)
    })
}

/// `wasi_ephemeral_nn.init_execution_context(graph, ctx_out_ptr)`: writes a new context handle
/// (u32) at `ctx_out_ptr`. The context keeps its graph alive even after `unload`. Errnos:
/// `invalid_argument` for a graph handle this instance does not hold (never issued, unloaded, or
/// from another instance); `missing_memory` when `ctx_out_ptr` is outside `mem`.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_init_execution_context(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    graph: u32,
    ctx_out_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.init_execution_context(m, graph, ctx_out_ptr))
}

/// `wasi_ephemeral_nn.set_input(ctx, index, tensor_ptr)`.
///
/// Decodes the 20-byte wasm32 `tensor` at `tensor_ptr` (dims ptr/len, type in byte 8 only, data
/// ptr/len) and copies the data into the backend's input `index` during the call. Errnos:
/// `invalid_argument` for an unknown context, an out-of-range index, an unknown tensor type, a rank
/// above 32, or data whose length is not product(dims) * element size (overflow included);
/// `missing_memory` for the tensor, dims or data outside `mem`; `unsupported_operation` for an
/// element type the model's input does not take.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_set_input(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
    index: u32,
    tensor_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.set_input(m, ctx, index, tensor_ptr))
}

/// `wasi_ephemeral_nn.compute(ctx)`. Errnos: `invalid_argument` for an unknown context or when an
/// input was never set; `runtime_error` when the backend fails. `mem` is not accessed.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_compute(inst: *mut wasinn_witx_instance_t, mem: *mut u8, mem_len: usize, ctx: u32) -> i32 {
    witx_call(inst, mem, mem_len, |i, _| i.compute(ctx))
}

/// `wasi_ephemeral_nn.get_output(ctx, index, out_ptr, out_max_bytes, bytes_written_ptr)`.
///
/// Copies output `index` of the last successful compute into `[out_ptr, out_ptr + out_max_bytes)`
/// and writes its byte size (u32) at `bytes_written_ptr`. When the output is larger than
/// `out_max_bytes`, returns `too_large` after writing the needed size at `bytes_written_ptr`
/// (WasmEdge's behaviour, so a guest can retry) and writes nothing to the buffer. Other errnos:
/// `invalid_argument` for an unknown context, an out-of-range index, or no successful compute
/// yet; `missing_memory` when the buffer or `bytes_written_ptr` is outside `mem`.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wasinn_witx_get_output(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
    index: u32,
    out_ptr: u32,
    out_max_bytes: u32,
    bytes_written_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.get_output(m, ctx, index, out_ptr, out_max_bytes, bytes_written_ptr))
}

/// `wasi_ephemeral_nn.unload(graph)` (WasmEdge): releases the graph handle; contexts created from
/// it keep working until finalized. Errnos: `invalid_argument` for a handle this instance does not
/// hold (a second unload included). `mem` is not accessed.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_unload(inst: *mut wasinn_witx_instance_t, mem: *mut u8, mem_len: usize, graph: u32) -> i32 {
    witx_call(inst, mem, mem_len, |i, _| i.unload(graph))
}

/// `wasi_ephemeral_nn.finalize_execution_context(ctx)` (WasmEdge): releases the context handle.
/// Errnos: `invalid_argument` for a handle this instance does not hold. `mem` is not accessed.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_finalize_execution_context(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, _| i.finalize_execution_context(ctx))
}

/// `wasi_ephemeral_nn.compute_single(ctx)` (WasmEdge streaming): one step of a streaming backend
/// (the llama.cpp plugin): the first call after `set_input` evaluates the prompt and produces the
/// first piece, each further call the next. Errnos: `end_of_sequence` (WasmEdge and WAMR 2.4
/// profiles: 100; spec and WAMR 2.1: `not_found`) once generation has ended, `context_full` (101;
/// else `too_large`) and `prompt_too_long` (102; else `too_large`) where they apply;
/// `unsupported_operation` (the message names the backend) for a backend that does not stream;
/// `invalid_argument` for an unknown context or a required input never set. `mem` is not accessed.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_compute_single(inst: *mut wasinn_witx_instance_t, mem: *mut u8, mem_len: usize, ctx: u32) -> i32 {
    witx_call(inst, mem, mem_len, |i, _| i.compute_single(ctx))
}

/// `wasi_ephemeral_nn.get_output_single(ctx, index, out_ptr, out_max_bytes, bytes_written_ptr)`
/// (WasmEdge streaming): output `index` of the last `compute_single` step (for llama.cpp: 0 the
/// last piece's bytes, 1 the metadata JSON), with `wasinn_witx_get_output`'s buffer rules
/// (`too_large` after writing the needed size when the buffer is smaller). Errnos as
/// `wasinn_witx_get_output`, `invalid_argument` also before a successful `compute_single`, and
/// `unsupported_operation` for a backend that does not stream.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wasinn_witx_get_output_single(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
    index: u32,
    out_ptr: u32,
    out_max_bytes: u32,
    bytes_written_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.get_output_single(m, ctx, index, out_ptr, out_max_bytes, bytes_written_ptr))
}

/// `wasi_ephemeral_nn.fini_single(ctx)` (WasmEdge streaming): ends the stream and resets the
/// context for the next prompt; success with no stream open. Errnos: `invalid_argument` for an
/// unknown context; `unsupported_operation` (naming the backend) for a backend that does not
/// stream. `mem` is not accessed.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_witx_fini_single(inst: *mut wasinn_witx_instance_t, mem: *mut u8, mem_len: usize, ctx: u32) -> i32 {
    witx_call(inst, mem, mem_len, |i, _| i.fini_single(ctx))
}

/// WAMR's legacy `wasi_nn.load(builder_array_ptr, encoding, target, graph_out_ptr)` (module
/// `wasi_nn`, the default of WAMR's `wasi_nn.h` without `WASM_ENABLE_WASI_EPHEMERAL_NN`).
///
/// Conventions as `wasinn_witx_load` (same instance, memory, errno numbering and error message).
/// `builder_array_ptr` points at an 8-byte `graph_builder_array` `{u32 buf, u32 size}` naming
/// `size` 8-byte `graph_builder`s at `buf`; encoding and target numbers are those of the
/// instance's profile (WAMR's own numbering for `WASINN_WITX_PROFILE_WAMR` and `_WAMR_2_1`).
/// The other imports of that module (`load_by_name`, `init_execution_context`, `compute`) have
/// the `wasi_ephemeral_nn` signatures: register `wasinn_witx_*` for them. Errnos as
/// `wasinn_witx_load`; `missing_memory` also when the array record is outside `mem`.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_wasi_nn_load(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    builder_array_ptr: u32,
    encoding: u32,
    target: u32,
    graph_out_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.legacy_load(m, builder_array_ptr, encoding, target, graph_out_ptr))
}

/// WAMR's legacy `wasi_nn.set_input(ctx, index, tensor_ptr)`.
///
/// Conventions as `wasinn_witx_load`. Decodes the 12-byte legacy wasm32 `tensor` at `tensor_ptr`:
/// a u32 pointer to its `tensor_dimensions` `{u32 buf, u32 size}`, the type in byte 4 (legacy
/// numbering, whatever the profile: fp16 0, fp32 1, up8 (u8) 2, ip32 (i32) 3; bytes 5..7 are
/// padding and ignored), and a bare u32 data pointer: the data is product(dims) x element size
/// bytes (checked arithmetic), which must lie inside `mem`. Unlike WAMR's own host, which always
/// reads product(dims) x 4 bytes, the element size follows the type. Errnos: `invalid_argument`
/// for an unknown context, an out-of-range index, an unknown type, a rank above 32 or a size
/// overflow; `missing_memory` for the tensor, dimensions record, dims or data outside `mem`;
/// `unsupported_operation` for an element type the model's input does not take.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_wasi_nn_set_input(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
    index: u32,
    tensor_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.legacy_set_input(m, ctx, index, tensor_ptr))
}

/// WAMR's legacy `wasi_nn.get_output(ctx, index, out_ptr, out_size_ptr)`.
///
/// Conventions as `wasinn_witx_load`. `*out_size_ptr` (u32) is read as the capacity of the buffer
/// at `out_ptr` and, on success, overwritten with the size of output `index`; both are counted in
/// 4-byte units (fp32 elements), as WAMR's legacy ABI does ("the size here is the number of fp32,
/// not bytes" in its TensorFlow Lite backend, the only one serving that module), so the buffer is
/// `4 * capacity` bytes. The output's bytes are copied exactly; a size that is not a multiple of
/// 4 bytes is reported rounded up. When the output is larger than the buffer, the needed size
/// (same units) is written at `out_size_ptr`, nothing is written to the buffer, and the result is
/// `too_large`. Other errnos: `invalid_argument` for an unknown context, an out-of-range index or
/// no successful compute yet; `missing_memory` when `out_size_ptr` or the buffer is outside `mem`.
///
/// # Safety
/// As `wasinn_witx_load`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wasinn_wasi_nn_get_output(
    inst: *mut wasinn_witx_instance_t,
    mem: *mut u8,
    mem_len: usize,
    ctx: u32,
    index: u32,
    out_ptr: u32,
    out_size_ptr: u32,
) -> i32 {
    witx_call(inst, mem, mem_len, |i, m| i.legacy_get_output(m, ctx, index, out_ptr, out_size_ptr))
}
