//! Graphs: loading models (from bytes or from the registry), introspection, release.
//!
//! A graph handle owns one reference to a shared [`Graph`]: freeing the handle drops that
//! reference only, so execution contexts made from it (and other handles to the same registry
//! model) keep working. Graphs are immutable and used concurrently without any lock.

use std::ffi::c_char;
use std::sync::{Arc, LazyLock};

use crate::capi::ffi::{self, boundary};
use crate::capi::status::wasinn_status_t;
use crate::capi::tensor::{self, wasinn_buffer_t, WASINN_TENSOR_TYPE_UNKNOWN};
use crate::capi::IDS;
use crate::core::backend::{Dim, IoInfo};
use crate::core::error::{Error, Result};
use crate::core::graph::Graph;
use crate::core::handles::HandleTable;
use crate::core::loader;
use crate::core::registry::Registry;
use crate::core::types::{Encoding, Target};

/// OpenVINO IR: two builders, the XML then the weights.
pub const WASINN_ENCODING_OPENVINO: u32 = 0;
/// ONNX protobuf: one builder.
pub const WASINN_ENCODING_ONNX: u32 = 1;
/// TensorFlow.
pub const WASINN_ENCODING_TENSORFLOW: u32 = 2;
/// PyTorch.
pub const WASINN_ENCODING_PYTORCH: u32 = 3;
/// TensorFlow Lite flatbuffer.
pub const WASINN_ENCODING_TENSORFLOWLITE: u32 = 4;
/// GGML.
pub const WASINN_ENCODING_GGML: u32 = 5;
/// Detect the encoding from the bytes (ONNX, OpenVINO IR and TFLite are recognised).
pub const WASINN_ENCODING_AUTODETECT: u32 = 6;
/// A model on an inference server (Open Inference Protocol, the `remote` plugin; library
/// extension). Only registry entries made by the host use it (`name:remote:target:URL`):
/// `wasinn_graph_load` with this encoding is `WASINN_STATUS_UNSUPPORTED_OPERATION`.
pub const WASINN_ENCODING_REMOTE: u32 = 100;

/// The CPU.
pub const WASINN_TARGET_CPU: u32 = 0;
/// A GPU; never silently replaced by the CPU.
pub const WASINN_TARGET_GPU: u32 = 1;
/// A TPU; never silently replaced by the CPU.
pub const WASINN_TARGET_TPU: u32 = 2;
/// Whatever the chosen backend prefers (library extension).
pub const WASINN_TARGET_AUTO: u32 = 100;

/// Reported as the rank by `wasinn_graph_input_shape` / `wasinn_graph_output_shape` when the
/// model does not declare even the rank of a tensor. Equal to `SIZE_MAX`.
pub const WASINN_RANK_UNKNOWN: usize = usize::MAX;

const _: () = {
    assert!(WASINN_ENCODING_OPENVINO == Encoding::Openvino as u32);
    assert!(WASINN_ENCODING_ONNX == Encoding::Onnx as u32);
    assert!(WASINN_ENCODING_TENSORFLOW == Encoding::Tensorflow as u32);
    assert!(WASINN_ENCODING_PYTORCH == Encoding::Pytorch as u32);
    assert!(WASINN_ENCODING_TENSORFLOWLITE == Encoding::Tensorflowlite as u32);
    assert!(WASINN_ENCODING_GGML == Encoding::Ggml as u32);
    assert!(WASINN_ENCODING_AUTODETECT == Encoding::Autodetect as u32);
    assert!(WASINN_ENCODING_REMOTE == Encoding::Remote as u32);
    assert!(WASINN_TARGET_CPU == Target::Cpu as u32);
    assert!(WASINN_TARGET_GPU == Target::Gpu as u32);
    assert!(WASINN_TARGET_TPU == Target::Tpu as u32);
    assert!(WASINN_TARGET_AUTO == Target::Auto as u32);
};

/// The C name and value of the constant for `encoding` (exhaustive).
pub fn encoding_constant(encoding: Encoding) -> (&'static str, u32) {
    match encoding {
        Encoding::Openvino => ("WASINN_ENCODING_OPENVINO", WASINN_ENCODING_OPENVINO),
        Encoding::Onnx => ("WASINN_ENCODING_ONNX", WASINN_ENCODING_ONNX),
        Encoding::Tensorflow => ("WASINN_ENCODING_TENSORFLOW", WASINN_ENCODING_TENSORFLOW),
        Encoding::Pytorch => ("WASINN_ENCODING_PYTORCH", WASINN_ENCODING_PYTORCH),
        Encoding::Tensorflowlite => ("WASINN_ENCODING_TENSORFLOWLITE", WASINN_ENCODING_TENSORFLOWLITE),
        Encoding::Ggml => ("WASINN_ENCODING_GGML", WASINN_ENCODING_GGML),
        Encoding::Autodetect => ("WASINN_ENCODING_AUTODETECT", WASINN_ENCODING_AUTODETECT),
        Encoding::Remote => ("WASINN_ENCODING_REMOTE", WASINN_ENCODING_REMOTE),
    }
}

/// The C name and value of the constant for `target` (exhaustive).
pub fn target_constant(target: Target) -> (&'static str, u32) {
    match target {
        Target::Cpu => ("WASINN_TARGET_CPU", WASINN_TARGET_CPU),
        Target::Gpu => ("WASINN_TARGET_GPU", WASINN_TARGET_GPU),
        Target::Tpu => ("WASINN_TARGET_TPU", WASINN_TARGET_TPU),
        Target::Auto => ("WASINN_TARGET_AUTO", WASINN_TARGET_AUTO),
    }
}

/// A graph handle: a loaded model. 0 is never a valid handle, and a freed handle is never reused.
#[allow(non_camel_case_types)]
pub type wasinn_graph_t = u64;

static GRAPHS: LazyLock<HandleTable<Graph>> = LazyLock::new(|| HandleTable::new("graph"));

/// The graph behind a handle (the table lock is held only for the lookup).
pub(crate) fn graph(handle: wasinn_graph_t) -> Result<Arc<Graph>> {
    GRAPHS.get(handle)
}

/// Publishes `graph` under a new handle.
pub(crate) fn insert(graph: Arc<Graph>) -> Result<wasinn_graph_t> {
    GRAPHS.insert(&IDS, graph)
}

/// Loads a model from bytes and returns a new graph handle in `*out_graph`.
///
/// `builders` points at `n_builders` buffers (ONNX: one; OpenVINO IR: XML then weights);
/// `encoding` is a `WASINN_ENCODING_*` value and `target` a `WASINN_TARGET_*` value. Models loaded
/// from bytes may not reference host files (ONNX external data is refused with
/// `WASINN_STATUS_SECURITY`).
///
/// Ownership: the bytes are borrowed only during the call (copied or parsed before it returns);
/// the caller owns the new handle and releases it with `wasinn_graph_free`.
/// `*out_graph` is written only on success.
/// Thread safety: may be called from any thread; loading holds no global lock.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer (a NULL `builders` is
/// allowed only with `n_builders` 0, which is still refused as "no builders"), an unknown
/// encoding or target; `INVALID_ENCODING` when the bytes are not a valid model or no backend
/// serves the encoding; `UNSUPPORTED_OPERATION` when no backend runs it on the target;
/// `SECURITY`; `RUNTIME_ERROR`; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `builders` must be valid for `n_builders` buffers, each valid for its `len` bytes;
/// `out_graph` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_load(
    builders: *const wasinn_buffer_t,
    n_builders: usize,
    encoding: u32,
    target: u32,
    out_graph: *mut wasinn_graph_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_graph, "out_graph") }?;
        // SAFETY: caller contract.
        let views = unsafe { tensor::buffers(builders, n_builders) }?;
        tensor::check_model_limit(&views)?;
        let encoding = Encoding::try_from(encoding)?;
        let target = Target::try_from(target)?;
        let graph = loader::load(&views, encoding, target, None)?;
        *out = insert(graph)?;
        Ok(())
    })
}

/// Returns in `*out_graph` a new handle to the model registered as `name` in the host's model
/// registry (see `wasinn_registry_add_files`, `wasinn_registry_preload` and the
/// `WASINN_NN_PRELOAD` environment variable).
///
/// `name` is `name_len` bytes of UTF-8, not necessarily NUL-terminated. Every call returns a new
/// handle to the same shared graph: the model is loaded once, never reloaded or copied.
///
/// Ownership: `name` is borrowed during the call; the caller owns the new handle and releases it
/// with `wasinn_graph_free` (which does not unregister the model). `*out_graph` is written only on
/// success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL pointer or a name that is not
/// UTF-8; `NOT_FOUND` when no model has that name; a load error (`INVALID_ENCODING`,
/// `RUNTIME_ERROR`, ...) when a lazily loaded model fails to load; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `name` must be valid for `name_len` bytes; `out_graph` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_load_by_name(
    name: *const c_char,
    name_len: usize,
    out_graph: *mut wasinn_graph_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_graph, "out_graph") }?;
        // SAFETY: caller contract.
        let name = unsafe { ffi::arg_name(name, name_len, "name") }?;
        let graph = Registry::global().get(name)?;
        *out = insert(graph)?;
        Ok(())
    })
}

/// Derives a new graph from `graph` with a backend configuration applied and returns its handle
/// in `*out_graph`: the new graph shares `graph`'s loaded model (the backend does not load or copy
/// it again; a multi-GB GGUF model stays loaded once) and runs with `config`, `config_len` bytes
/// of JSON (UTF-8, not NUL-terminated), e.g. the llama.cpp plugin's `{"ctx-size": 2048,
/// "n-predict": 128}` (unknown keys ignored). This is the C form of the witx
/// `load_by_name_with_config`: `wasinn_graph_load_by_name` then `wasinn_graph_derive`.
///
/// Ownership: `config` is borrowed during the call only; the caller owns the new handle and
/// releases it with `wasinn_graph_free`, independently of `graph` (either may be freed first: the
/// backend keeps the shared model alive while any graph or context uses it). `*out_graph` is
/// written only on success. Thread safety: may be called from any thread, concurrently with other
/// calls on `graph`.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_graph`, a NULL `config`
/// with a non-zero `config_len`, an unknown or freed handle, or a configuration the backend
/// refuses (bad JSON or value; the last error message says which); `TOO_LARGE` when `config_len`
/// exceeds the process's `max_config_bytes` limit; `UNSUPPORTED_OPERATION` when the graph's
/// backend takes no configuration (every built-in backend; plugins without the ABI v3
/// `graph_derive` entry); `RUNTIME_ERROR`; `EXHAUSTED`; `PANIC`.
///
/// # Safety
/// `config` must be NULL (with `config_len` 0) or valid for `config_len` bytes; `out_graph`
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_derive(
    graph: wasinn_graph_t,
    config: *const u8,
    config_len: usize,
    out_graph: *mut wasinn_graph_t,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_graph, "out_graph") }?;
        // SAFETY: caller contract.
        let config = unsafe { ffi::arg_slice(config, config_len, "config") }?;
        crate::core::limits::Limits::process().check_config(u64::try_from(config.len()).unwrap_or(u64::MAX))?;
        let derived = self::graph(graph)?.derive(config)?;
        *out = insert(derived)?;
        Ok(())
    })
}

/// Releases a graph handle. The model itself lives on while execution contexts made from it (or
/// other handles to the same registry model) exist.
///
/// Thread safety: may be called from any thread; the caller must not use the handle afterwards
/// (a freed handle is never reused, so a stale use fails cleanly with `INVALID_ARGUMENT`).
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for an unknown or already freed handle;
/// `PANIC`.
#[no_mangle]
pub extern "C" fn wasinn_graph_free(graph: wasinn_graph_t) -> wasinn_status_t {
    boundary(|| GRAPHS.remove(graph).map(drop))
}

fn io(graph: wasinn_graph_t, inputs: bool) -> Result<(Arc<Graph>, usize)> {
    let g = self::graph(graph)?;
    let n = if inputs { g.inputs().len() } else { g.outputs().len() };
    Ok((g, n))
}

fn io_info(graph: &Graph, inputs: bool, index: usize) -> Result<&IoInfo> {
    let (list, what) = if inputs { (graph.inputs(), "input") } else { (graph.outputs(), "output") };
    list.get(index).ok_or_else(|| {
        Error::invalid(format!("{what} index {index} out of range (the model has {} {what}s)", list.len()))
    })
}

unsafe fn count(graph: wasinn_graph_t, out_count: *mut usize, inputs: bool) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_count, "out_count") }?;
        *out = io(graph, inputs)?.1;
        Ok(())
    })
}

unsafe fn name(
    graph: wasinn_graph_t,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
    inputs: bool,
) -> wasinn_status_t {
    boundary(|| {
        let g = self::graph(graph)?;
        let info = io_info(&g, inputs, index)?;
        // SAFETY: caller contract.
        unsafe { ffi::copy_out_cstr(&info.name, buf, buf_len, out_len) }
    })
}

unsafe fn ty(graph: wasinn_graph_t, index: usize, out_type: *mut u32, inputs: bool) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out = unsafe { ffi::arg_out(out_type, "out_type") }?;
        let g = self::graph(graph)?;
        let info = io_info(&g, inputs, index)?;
        *out = info.ty.map_or(WASINN_TENSOR_TYPE_UNKNOWN, |t| t as u32);
        Ok(())
    })
}

unsafe fn shape(
    graph: wasinn_graph_t,
    index: usize,
    dims: *mut i64,
    max_dims: usize,
    out_rank: *mut usize,
    inputs: bool,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let out_rank = unsafe { ffi::arg_out(out_rank, "out_rank") }?;
        let g = self::graph(graph)?;
        let info = io_info(&g, inputs, index)?;
        let Some(declared) = &info.dims else {
            *out_rank = WASINN_RANK_UNKNOWN;
            return Ok(());
        };
        let values = declared
            .iter()
            .map(|d| match *d {
                Dim::Fixed(n) => {
                    i64::try_from(n).map_err(|_| Error::too_large(format!("dimension {n} does not fit in int64_t")))
                }
                Dim::Dynamic => Ok(-1),
            })
            .collect::<Result<Vec<i64>>>()?;
        *out_rank = values.len();
        if max_dims < values.len() {
            return Err(Error::too_large(format!("dims holds {max_dims} values but the rank is {}", values.len())));
        }
        // SAFETY: caller contract.
        let dims = unsafe { ffi::arg_slice_mut(dims, max_dims, "dims") }?;
        dims[..values.len()].copy_from_slice(&values);
        Ok(())
    })
}

/// Writes the number of inputs the model declares to `*out_count`.
///
/// Written only on success. Thread safety: may be called from any thread, concurrently with any
/// use of the graph.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_count` or an unknown or
/// freed handle; `PANIC`.
///
/// # Safety
/// `out_count` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_input_count(graph: wasinn_graph_t, out_count: *mut usize) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { count(graph, out_count, true) }
}

/// Writes the number of outputs the model declares to `*out_count`.
///
/// Written only on success. Thread safety: may be called from any thread, concurrently with any
/// use of the graph.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_count` or an unknown or
/// freed handle; `PANIC`.
///
/// # Safety
/// `out_count` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_output_count(graph: wasinn_graph_t, out_count: *mut usize) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { count(graph, out_count, false) }
}

/// Copies the name of input `index` into `buf` as a NUL-terminated UTF-8 string.
///
/// `*out_len` (when `out_len` is not NULL) receives the name's length excluding the NUL whenever
/// the graph and index are valid, even when the buffer is too small, so a caller may query with
/// `buf` NULL and `buf_len` 0 and retry with `*out_len + 1` bytes. `buf` is written only on success.
/// Ownership: `buf` is owned by the caller. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1` (nothing written);
/// `INVALID_ARGUMENT` for an unknown or freed handle, an index out of range, or a NULL `buf` with
/// a large enough `buf_len`; `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_input_name(
    graph: wasinn_graph_t,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { name(graph, index, buf, buf_len, out_len, true) }
}

/// Copies the name of output `index` into `buf` as a NUL-terminated UTF-8 string.
///
/// Same contract as `wasinn_graph_input_name`: `*out_len` (when non-NULL) receives the length
/// excluding the NUL even when the buffer is too small; `buf` is written only on success.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1`;
/// `INVALID_ARGUMENT` for an unknown or freed handle, an index out of range, or a NULL `buf` with
/// a large enough `buf_len`; `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_output_name(
    graph: wasinn_graph_t,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { name(graph, index, buf, buf_len, out_len, false) }
}

/// Writes the declared element type of input `index` (a `WASINN_TENSOR_TYPE_*` value) to
/// `*out_type`: `WASINN_TENSOR_TYPE_UNKNOWN` when the model leaves it unknown or the type is not
/// representable (e.g. complex numbers).
///
/// Written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_type`, an unknown or
/// freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `out_type` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_input_type(
    graph: wasinn_graph_t,
    index: usize,
    out_type: *mut u32,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { ty(graph, index, out_type, true) }
}

/// Writes the declared element type of output `index` to `*out_type`, as
/// `wasinn_graph_input_type` does for inputs.
///
/// Written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL `out_type`, an unknown or
/// freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `out_type` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_output_type(
    graph: wasinn_graph_t,
    index: usize,
    out_type: *mut u32,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { ty(graph, index, out_type, false) }
}

/// Writes the declared shape of input `index`: its rank to `*out_rank` and its dimensions to
/// `dims[0..rank]`, with -1 for a dimension known only at run time.
///
/// When the model does not declare the rank, `*out_rank` is `WASINN_RANK_UNKNOWN` (`SIZE_MAX`),
/// nothing is written to `dims` and the call succeeds. When `max_dims` is smaller than the rank,
/// `*out_rank` is still set (so the caller can retry) and `dims` is not written. `dims` may be
/// NULL when `max_dims` is 0. Ownership: `dims` is owned by the caller.
/// Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `max_dims` is smaller than the rank (or a
/// dimension does not fit in `int64_t`); `INVALID_ARGUMENT` for a NULL `out_rank`, a NULL `dims`
/// with a non-zero `max_dims`, an unknown or freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `dims` must be NULL or valid for writes of `max_dims` values; `out_rank` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_input_shape(
    graph: wasinn_graph_t,
    index: usize,
    dims: *mut i64,
    max_dims: usize,
    out_rank: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { shape(graph, index, dims, max_dims, out_rank, true) }
}

/// Writes the declared shape of output `index`, as `wasinn_graph_input_shape` does for inputs
/// (-1 for a dynamic dimension, `WASINN_RANK_UNKNOWN` for an unknown rank, `*out_rank` set even
/// on `TOO_LARGE`). Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `max_dims` is smaller than the rank;
/// `INVALID_ARGUMENT` for a NULL `out_rank`, a NULL `dims` with a non-zero `max_dims`, an unknown
/// or freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `dims` must be NULL or valid for writes of `max_dims` values; `out_rank` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_output_shape(
    graph: wasinn_graph_t,
    index: usize,
    dims: *mut i64,
    max_dims: usize,
    out_rank: *mut usize,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { shape(graph, index, dims, max_dims, out_rank, false) }
}

unsafe fn quantization(
    graph: wasinn_graph_t,
    index: usize,
    out_quantized: *mut u32,
    out_scale: *mut f32,
    out_zero_point: *mut i64,
    inputs: bool,
) -> wasinn_status_t {
    boundary(|| {
        // SAFETY: caller contract.
        let quantized = unsafe { ffi::arg_out(out_quantized, "out_quantized") }?;
        // SAFETY: caller contract.
        let scale = unsafe { ffi::arg_out(out_scale, "out_scale") }?;
        // SAFETY: caller contract.
        let zero_point = unsafe { ffi::arg_out(out_zero_point, "out_zero_point") }?;
        let g = self::graph(graph)?;
        let q = io_info(&g, inputs, index)?.quant;
        *quantized = u32::from(q.is_some());
        *scale = q.map_or(0.0, |q| q.scale);
        *zero_point = q.map_or(0, |q| q.zero_point);
        Ok(())
    })
}

/// Writes the per-tensor quantization that the model declares for input `index`: `*out_quantized`
/// is 1 when the input's integer values `q` stand for `scale * (q - zero_point)` (TFLite's
/// u8/i8 tensors), with `*out_scale` and `*out_zero_point` set; otherwise it is 0 and so are
/// they. The tensor data stays the integer values (`wasinn_graph_input_type`); the caller quantizes.
/// 0 also when the tensor is quantized per axis or the backend does not report quantization
/// (plugins report it through the plugin ABI's optional version-2 entry `graph_io_quantization`:
/// the LiteRT plugin does; version-1 plugins and OpenVINO do not).
///
/// Written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL out-pointer, an unknown or
/// freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `out_quantized`, `out_scale` and `out_zero_point` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_input_quantization(
    graph: wasinn_graph_t,
    index: usize,
    out_quantized: *mut u32,
    out_scale: *mut f32,
    out_zero_point: *mut i64,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { quantization(graph, index, out_quantized, out_scale, out_zero_point, true) }
}

/// Writes the per-tensor quantization of output `index`, as `wasinn_graph_input_quantization`
/// does for inputs (dequantize the output's integer values as `scale * (q - zero_point)`).
///
/// Written only on success. Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a NULL out-pointer, an unknown or
/// freed handle or an index out of range; `PANIC`.
///
/// # Safety
/// `out_quantized`, `out_scale` and `out_zero_point` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_output_quantization(
    graph: wasinn_graph_t,
    index: usize,
    out_quantized: *mut u32,
    out_scale: *mut f32,
    out_zero_point: *mut i64,
) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    unsafe { quantization(graph, index, out_quantized, out_scale, out_zero_point, false) }
}

/// Copies the name of the backend that loaded the graph (e.g. `"tract"`) into `buf` as a
/// NUL-terminated string, with the same buffer contract as `wasinn_graph_input_name`
/// (`*out_len`, when non-NULL, always receives the length excluding the NUL once the graph is
/// known). Thread safety: may be called from any thread.
///
/// Returns `WASINN_STATUS_SUCCESS`; `TOO_LARGE` when `buf_len < *out_len + 1`;
/// `INVALID_ARGUMENT` for an unknown or freed handle or a NULL `buf` with a large enough
/// `buf_len`; `PANIC`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn wasinn_graph_backend_name(
    graph: wasinn_graph_t,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> wasinn_status_t {
    boundary(|| {
        let g = self::graph(graph)?;
        // SAFETY: caller contract.
        unsafe { ffi::copy_out_cstr(g.backend(), buf, buf_len, out_len) }
    })
}
