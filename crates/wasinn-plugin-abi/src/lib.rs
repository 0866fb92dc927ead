//! The libwasinn backend plugin ABI: `#[repr(C)]` types and constants only, no logic.
//!
//! A backend plugin is a shared library (`libwasinn_backend_<name>.so`) exporting exactly one
//! symbol, [`WASINN_BACKEND_ENTRY_SYMBOL`] (`wasinn_backend_plugin_entry`), of type
//! [`WasinnBackendEntryFn`]. The host calls it once, right after `dlopen`, with the newest ABI
//! version it speaks and a zeroed [`WasinnBackendPlugin`] table of the size it knows; the plugin
//! fills the table and returns a status.
//!
//! Rules both sides follow (C users: `include/wasinn_backend.h`, generated from this crate):
//! - Versioning: the table starts with `abi_version` and `struct_size` and only ever grows at the
//!   end; a field, once shipped, keeps its offset and meaning (const asserts below and
//!   `_Static_assert`s in `c-tests/` pin them). The plugin writes the version it implements (at
//!   most the host's, never 0) and the number of bytes it filled (at most `table_size`, at least
//!   [`WASINN_BACKEND_PLUGIN_V1_SIZE`]); the host ignores fields beyond `struct_size`.
//! - Memory: whatever a plugin allocates, the plugin frees (`graph_free`, `ctx_free`); the host
//!   never frees plugin memory and the plugin never frees host memory. Strings and errors crossing
//!   the boundary are copied by the receiver before the call returns (errors are written into a
//!   host buffer, see [`WasinnBackendError`]); borrowed pointers stay valid only as documented on
//!   each field.
//! - Plugins are never unloaded (`dlclose` is never called), so the table's static strings and
//!   function pointers stay valid for the life of the process.
//! - Function pointer types are nullable (`Option`); a v1 table has every one set; the entries
//!   added later (version 2: `graph_io_quantization`; version 3: `graph_derive` and the streaming
//!   trio `ctx_compute_single`, `ctx_get_output_single`, `ctx_fini_single`) are optional, NULL
//!   when not implemented.
//! - Panics and C++ exceptions never cross the boundary: each plugin function catches its own and
//!   returns [`WASINN_BACKEND_STATUS_PANIC`].
//! - Status, tensor type, encoding and target values are the numbers of libwasinn's C API
//!   (`wasinn.h`): WIT numbering, library extensions at 100+ (1000+ for statuses). The set of
//!   tensor types only grows; a plugin refuses a type it does not know with
//!   `INVALID_ARGUMENT` (or `UNSUPPORTED_OPERATION` when it knows the type but its vendor
//!   library cannot hold it), and the host refuses an output of a type it does not know.
//! - Tensor bytes follow the [`layout`] module (the one definition, shared by host and plugins).
//! - Threads: the entry and `load` may be called from any thread; a graph may be used from many
//!   threads at once (`graph_*`, `ctx_new`); one execution context is used by one thread at a time.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

use core::ffi::c_char;
use core::mem::{offset_of, size_of};

pub mod layout;

/// The newest plugin ABI version this crate describes (2 added
/// [`WasinnBackendPlugin::graph_io_quantization`]; 3 adds [`WasinnBackendPlugin::graph_derive`],
/// the streaming entries [`WasinnBackendPlugin::ctx_compute_single`],
/// [`WasinnBackendPlugin::ctx_get_output_single`], [`WasinnBackendPlugin::ctx_fini_single`], the
/// streaming statuses and [`WasinnBackendIoInfo::flags`]).
pub const WASINN_BACKEND_ABI_VERSION: u32 = 3;

/// The name of the one symbol a plugin exports (NUL-terminated for `dlsym`).
pub const WASINN_BACKEND_ENTRY_SYMBOL: &[u8] = b"wasinn_backend_plugin_entry\0";

/// File names the host considers plugins when it scans a directory: `<prefix><name>.so`.
pub const WASINN_BACKEND_FILE_PREFIX: &str = "libwasinn_backend_";

// Status codes (the same numbers as `wasinn_status_t`).
/// Success.
pub const WASINN_BACKEND_STATUS_SUCCESS: u32 = 0;
/// An argument was invalid (wrong length, unknown enum value, out-of-range index...).
pub const WASINN_BACKEND_STATUS_INVALID_ARGUMENT: u32 = 1;
/// The model bytes are not a valid model for the encoding.
pub const WASINN_BACKEND_STATUS_INVALID_ENCODING: u32 = 2;
/// Busy: the resource is not ready now (a remote model not ready, a call timed out); try later.
pub const WASINN_BACKEND_STATUS_BUSY: u32 = 4;
/// The backend failed while loading or computing.
pub const WASINN_BACKEND_STATUS_RUNTIME_ERROR: u32 = 5;
/// The operation, element type or target is not supported.
pub const WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION: u32 = 6;
/// A size limit was exceeded.
pub const WASINN_BACKEND_STATUS_TOO_LARGE: u32 = 7;
/// A named thing does not exist.
pub const WASINN_BACKEND_STATUS_NOT_FOUND: u32 = 8;
/// Version 3, from `ctx_compute_single` only: the stream has ended (end-of-sequence token or the
/// generation limit); no piece was produced by this call. WasmEdge's extension errno 100.
pub const WASINN_BACKEND_STATUS_END_OF_SEQUENCE: u32 = 100;
/// Version 3: the context window is full, generation cannot go on (WasmEdge's errno 101).
pub const WASINN_BACKEND_STATUS_CONTEXT_FULL: u32 = 101;
/// Version 3: the prompt does not fit the context window (WasmEdge's errno 102).
pub const WASINN_BACKEND_STATUS_PROMPT_TOO_LONG: u32 = 102;
/// A panic (or C++ exception) was caught inside the plugin.
pub const WASINN_BACKEND_STATUS_PANIC: u32 = 1000;
/// The model references host files and `model_dir` was NULL.
pub const WASINN_BACKEND_STATUS_SECURITY: u32 = 1001;

// Tensor element types (the same numbers as libwasinn's tensor types).
/// IEEE 754 half precision.
pub const WASINN_BACKEND_TENSOR_TYPE_FP16: u32 = 0;
/// IEEE 754 single precision.
pub const WASINN_BACKEND_TENSOR_TYPE_FP32: u32 = 1;
/// IEEE 754 double precision.
pub const WASINN_BACKEND_TENSOR_TYPE_FP64: u32 = 2;
/// bfloat16.
pub const WASINN_BACKEND_TENSOR_TYPE_BF16: u32 = 3;
/// Unsigned 8-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_U8: u32 = 4;
/// Signed 32-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_I32: u32 = 5;
/// Signed 64-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_I64: u32 = 6;
/// Signed 8-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_I8: u32 = 100;
/// Unsigned 16-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_U16: u32 = 101;
/// Signed 16-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_I16: u32 = 102;
/// Unsigned 32-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_U32: u32 = 103;
/// Unsigned 64-bit integer.
pub const WASINN_BACKEND_TENSOR_TYPE_U64: u32 = 104;
/// Boolean, one byte per element, 0 or 1.
pub const WASINN_BACKEND_TENSOR_TYPE_BOOL: u32 = 105;
/// 8-bit float: 4 exponent bits, 3 mantissa bits, no infinities (ONNX `FLOAT8E4M3FN`).
pub const WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN: u32 = 106;
/// 8-bit float: 4 exponent bits, 3 mantissa bits, no infinities, no negative zero (`FLOAT8E4M3FNUZ`).
pub const WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FNUZ: u32 = 107;
/// 8-bit float: 5 exponent bits, 2 mantissa bits (ONNX `FLOAT8E5M2`).
pub const WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2: u32 = 108;
/// 8-bit float: 5 exponent bits, 2 mantissa bits, no infinities, no negative zero (`FLOAT8E5M2FNUZ`).
pub const WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2FNUZ: u32 = 109;
/// 8-bit exponent-only float, a power of two (ONNX `FLOAT8E8M0`).
pub const WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0: u32 = 110;
/// 4-bit float: 2 exponent bits, 1 mantissa bit (ONNX `FLOAT4E2M1`), two elements per byte.
pub const WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1: u32 = 111;
/// Unsigned 4-bit integer, two elements per byte, the first in the low nibble.
pub const WASINN_BACKEND_TENSOR_TYPE_U4: u32 = 112;
/// Signed 4-bit integer (two's complement), two elements per byte, the first in the low nibble.
pub const WASINN_BACKEND_TENSOR_TYPE_I4: u32 = 113;
/// Unsigned 2-bit integer, four elements per byte, the first in the lowest bits.
pub const WASINN_BACKEND_TENSOR_TYPE_U2: u32 = 114;
/// Signed 2-bit integer (two's complement), four elements per byte, the first in the lowest bits.
pub const WASINN_BACKEND_TENSOR_TYPE_I2: u32 = 115;
/// Byte strings: each element a little-endian `u32` byte length followed by that many bytes.
pub const WASINN_BACKEND_TENSOR_TYPE_STRING: u32 = 116;
/// In [`WasinnBackendIoInfo::ty`]: the element type is unknown or has no libwasinn equivalent.
pub const WASINN_BACKEND_TENSOR_TYPE_UNKNOWN: u32 = 0xFFFF_FFFF;

// Graph encodings.
/// OpenVINO IR: two builders, the XML then the weights.
pub const WASINN_BACKEND_ENCODING_OPENVINO: u32 = 0;
/// ONNX protobuf: one builder.
pub const WASINN_BACKEND_ENCODING_ONNX: u32 = 1;
/// TensorFlow.
pub const WASINN_BACKEND_ENCODING_TENSORFLOW: u32 = 2;
/// PyTorch.
pub const WASINN_BACKEND_ENCODING_PYTORCH: u32 = 3;
/// TensorFlow Lite flatbuffer.
pub const WASINN_BACKEND_ENCODING_TENSORFLOWLITE: u32 = 4;
/// GGML.
pub const WASINN_BACKEND_ENCODING_GGML: u32 = 5;
/// A model on an inference server: the one builder is its endpoint URL (UTF-8), which only the
/// host's own configuration supplies; the host passes a non-NULL `model_dir` (the directory
/// relative paths in the URL's options resolve against) and never loads this encoding from bytes.
pub const WASINN_BACKEND_ENCODING_REMOTE: u32 = 100;

// Execution targets (the host never passes "auto": it resolves it to one of the plugin's targets).
/// The CPU.
pub const WASINN_BACKEND_TARGET_CPU: u32 = 0;
/// A GPU: never silently replaced by the CPU.
pub const WASINN_BACKEND_TARGET_GPU: u32 = 1;
/// A TPU: never silently replaced by the CPU.
pub const WASINN_BACKEND_TARGET_TPU: u32 = 2;

/// In [`WasinnBackendIoInfo`]: the rank is unknown.
pub const WASINN_BACKEND_RANK_UNKNOWN: i64 = -1;
/// In [`WasinnBackendIoInfo`] dims: a dimension known only at run time.
pub const WASINN_BACKEND_DIM_DYNAMIC: i64 = -1;

/// Where a plugin function reports an error message. The host owns the buffer; the plugin copies
/// its message (UTF-8, truncated to `capacity`, no NUL needed) into it and sets `len`, before
/// returning a non-zero status. The host copies it out at once.
#[repr(C)]
#[derive(Debug)]
pub struct WasinnBackendError {
    /// Host-owned buffer of `capacity` bytes.
    pub message: *mut u8,
    /// Size of `message`.
    pub capacity: usize,
    /// Bytes written (at most `capacity`); the host sets it to 0 before each call.
    pub len: usize,
}

/// A borrowed byte buffer (one graph builder).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WasinnBackendBytes {
    /// The bytes (may be NULL when `len` is 0).
    pub data: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// A borrowed tensor view. The bytes are row-major and little-endian; the 4- and 2-bit types are
/// packed two or four elements per byte, the first in the lowest bits (`ceil(n * bits / 8)`
/// bytes); a `STRING` tensor is each element's byte length as a little-endian `uint32_t` followed
/// by its bytes, nothing else (the Rust crate's `layout::check_data` is the one validity check).
///
/// As input (`ctx_set_input`): host memory, valid only during the call; the plugin copies it.
/// The host guarantees the data fits its type and dims by those rules.
/// As output (`ctx_get_output`): plugin memory, valid until the next `ctx_compute`,
/// `ctx_set_input` or `ctx_free` on the same context (from `ctx_get_output_single`: until the
/// next call of any kind on that context). The host validates the sizes before use.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WasinnBackendTensor {
    /// `rank` dimensions (may be NULL when `rank` is 0).
    pub dims: *const usize,
    /// Number of dimensions.
    pub rank: usize,
    /// Raw little-endian element bytes, row-major (may be NULL when `len` is 0).
    pub data: *const u8,
    /// Number of bytes.
    pub len: usize,
    /// Element type (`WASINN_BACKEND_TENSOR_TYPE_*`).
    pub ty: u32,
    /// Zero.
    pub reserved: u32,
}

/// What a model declares about one input or output. Plugin memory, valid while the graph lives;
/// the host copies it at once.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WasinnBackendIoInfo {
    /// The tensor's name, UTF-8, `name_len` bytes (no NUL needed).
    pub name: *const u8,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// `rank` dimensions, each a size or [`WASINN_BACKEND_DIM_DYNAMIC`] (NULL when rank <= 0).
    pub dims: *const i64,
    /// Number of dimensions, or [`WASINN_BACKEND_RANK_UNKNOWN`].
    pub rank: i64,
    /// Element type, or [`WASINN_BACKEND_TENSOR_TYPE_UNKNOWN`].
    pub ty: u32,
    /// `WASINN_BACKEND_IO_*` bits (version 3; `reserved`, always zero, before): only
    /// [`WASINN_BACKEND_IO_OPTIONAL`] is defined, the other bits are zero. The host reads the field
    /// as 0 from a plugin of ABI version 1 or 2.
    pub flags: u32,
}

/// In [`WasinnBackendIoInfo::flags`] of an input (version 3): the input is optional, the host lets
/// `ctx_compute` and `ctx_compute_single` run although it was never set (e.g. a metadata input).
/// Without it the host refuses a compute until the input was set. Meaningless on an output.
pub const WASINN_BACKEND_IO_OPTIONAL: u32 = 1;

/// A graph loaded by a plugin (opaque to the host).
pub struct WasinnBackendGraph {
    _private: [u8; 0],
}

/// An execution context created by a plugin (opaque to the host).
pub struct WasinnBackendCtx {
    _private: [u8; 0],
}

/// Loads a model. `builders`: `builders_len` buffers (host memory, copied before return).
/// `model_dir`: NUL-terminated directory the host read the model from, or NULL for bytes from a
/// guest or caller, in which case the plugin refuses any model referencing host files with
/// [`WASINN_BACKEND_STATUS_SECURITY`]. On success writes a new graph to `*graph_out`, to be freed
/// with `graph_free`.
///
/// [`WASINN_BACKEND_ENCODING_GGML`]: with `model_dir` non-NULL (a model from the host's registry
/// or preload list) the host does not read the file: `builders[0]` is the model file's path
/// (UTF-8, no NUL, absolute or relative to the host's working directory) and `model_dir` its
/// directory, so a multi-GB GGUF file is never copied; the plugin opens the file itself. With
/// `model_dir` NULL (a guest's `load`, a caller's bytes) `builders[0]` is the GGUF bytes.
pub type WasinnBackendLoadFn = Option<unsafe extern "C" fn(
    builders: *const WasinnBackendBytes,
    builders_len: usize,
    encoding: u32,
    target: u32,
    model_dir: *const c_char,
    graph_out: *mut *mut WasinnBackendGraph,
    err: *mut WasinnBackendError,
) -> u32>;

/// Frees a graph. The host calls it once, after freeing every context made from it.
pub type WasinnBackendGraphFreeFn = Option<unsafe extern "C" fn(graph: *mut WasinnBackendGraph)>;

/// Writes the number of inputs (`is_output` 0) or outputs (`is_output` 1) to `*count_out`.
pub type WasinnBackendGraphIoCountFn = Option<unsafe extern "C" fn(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    count_out: *mut usize,
    err: *mut WasinnBackendError,
) -> u32>;

/// Describes input or output `index` into `*info_out` (pointers into the graph, valid while it lives).
pub type WasinnBackendGraphIoInfoFn = Option<unsafe extern "C" fn(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    index: usize,
    info_out: *mut WasinnBackendIoInfo,
    err: *mut WasinnBackendError,
) -> u32>;

/// Creates an execution context, freed with `ctx_free`.
pub type WasinnBackendCtxNewFn = Option<unsafe extern "C" fn(
    graph: *const WasinnBackendGraph,
    ctx_out: *mut *mut WasinnBackendCtx,
    err: *mut WasinnBackendError,
) -> u32>;

/// Frees an execution context.
pub type WasinnBackendCtxFreeFn = Option<unsafe extern "C" fn(ctx: *mut WasinnBackendCtx)>;

/// Copies `*tensor` (host memory) into input `index` (range-checked by the host).
pub type WasinnBackendCtxSetInputFn = Option<unsafe extern "C" fn(
    ctx: *mut WasinnBackendCtx,
    index: usize,
    tensor: *const WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32>;

/// Runs the model on the inputs (the host calls it only once every input was set).
pub type WasinnBackendCtxComputeFn = Option<
    unsafe extern "C" fn(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32>;

/// Describes output `index` of the last successful compute into `*tensor_out` (plugin memory, see
/// [`WasinnBackendTensor`]). For a streaming plugin (version 3) the host also calls it after a
/// successful `ctx_compute_single` step or one that returned `END_OF_SEQUENCE` (WasmEdge guests
/// read the metadata output with `get_output` after a stream): the plugin then describes the
/// stream's outputs so far (e.g. the text generated until now, the metadata), or fails.
pub type WasinnBackendCtxGetOutputFn = Option<unsafe extern "C" fn(
    ctx: *const WasinnBackendCtx,
    index: usize,
    tensor_out: *mut WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32>;

// ---- ABI version 2: quantization parameters (an optional table entry; a v1 plugin lacks it) ----

/// In [`WasinnBackendQuantization::kind`]: the tensor is not quantized.
pub const WASINN_BACKEND_QUANT_NONE: u32 = 0;
/// In [`WasinnBackendQuantization::kind`]: one scale and zero point for the whole tensor.
pub const WASINN_BACKEND_QUANT_PER_TENSOR: u32 = 1;
/// In [`WasinnBackendQuantization::kind`]: one scale and zero point per slice along `axis`
/// (per channel); `scale` and `zero_point` are 0 (the host reports no per-tensor parameters).
pub const WASINN_BACKEND_QUANT_PER_AXIS: u32 = 2;
/// In [`WasinnBackendQuantization::kind`]: quantized by another scheme (block-wise...).
pub const WASINN_BACKEND_QUANT_OTHER: u32 = 3;

/// How one input or output is quantized: `real = scale * (q - zero_point)` for
/// [`WASINN_BACKEND_QUANT_PER_TENSOR`]. Host memory, written by the plugin.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WasinnBackendQuantization {
    /// `WASINN_BACKEND_QUANT_*`.
    pub kind: u32,
    /// The scale (per tensor: finite and > 0), else 0.
    pub scale: f32,
    /// The zero point, in the range of the tensor's integer type (per tensor), else 0.
    pub zero_point: i64,
    /// The quantized dimension (per axis), else 0.
    pub axis: i64,
}

/// Describes the quantization of input (`is_output` 0) or output (`is_output` 1) `index` into
/// `*quant_out` (the host zeroes it first). Optional (table entry `graph_io_quantization`, ABI
/// version 2): a plugin whose vendor library does not report quantization leaves it NULL, and the
/// host then reports every port as not quantized.
pub type WasinnBackendGraphIoQuantizationFn = Option<unsafe extern "C" fn(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    index: usize,
    quant_out: *mut WasinnBackendQuantization,
    err: *mut WasinnBackendError,
) -> u32>;

// ---- ABI version 3: derived graphs and streaming (optional entries; v1/v2 plugins lack them) ----

/// Creates a new graph sharing `graph`'s loaded model (its weights are not loaded again) with a
/// configuration applied: `config` is `config_len` bytes of JSON (UTF-8, not NUL-terminated; host
/// memory, valid only during the call). Unknown keys are ignored; a malformed document or a bad
/// value gives [`WASINN_BACKEND_STATUS_INVALID_ARGUMENT`] with a message. On success writes the new
/// graph to `*graph_out`; it is freed with `graph_free` independently of `graph` (the plugin keeps
/// the shared model alive until the last graph and context using it are freed). Optional (table
/// entry `graph_derive`, version 3): without it the host ignores configurations.
pub type WasinnBackendGraphDeriveFn = Option<unsafe extern "C" fn(
    graph: *const WasinnBackendGraph,
    config: *const u8,
    config_len: usize,
    graph_out: *mut *mut WasinnBackendGraph,
    err: *mut WasinnBackendError,
) -> u32>;

/// One streaming step. The first call after `ctx_set_input` (or after `ctx_fini_single`) starts a
/// stream: it evaluates the inputs (the prompt) and produces the first piece; each further call
/// produces the next piece. Returns [`WASINN_BACKEND_STATUS_END_OF_SEQUENCE`] once generation has
/// ended (no piece is produced by that call), [`WASINN_BACKEND_STATUS_CONTEXT_FULL`] or
/// [`WASINN_BACKEND_STATUS_PROMPT_TOO_LONG`] where they apply. The host calls it only once every
/// required input was set. Optional (entry `ctx_compute_single`, version 3): a backend that does
/// not stream leaves all three streaming entries NULL.
pub type WasinnBackendCtxComputeSingleFn = Option<
    unsafe extern "C" fn(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32>;

/// Describes output `index` of the last successful `ctx_compute_single` step into `*tensor_out`
/// (for a generator: index 0 the last piece's bytes, `U8 [len]`; index 1 metadata JSON as `U8
/// [len]`). Plugin memory, valid until the next call on that context. Version 3, optional.
pub type WasinnBackendCtxGetOutputSingleFn = Option<unsafe extern "C" fn(
    ctx: *const WasinnBackendCtx,
    index: usize,
    tensor_out: *mut WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32>;

/// Ends the stream and resets the context for the next prompt (the inputs stay set). With no
/// stream open: [`WASINN_BACKEND_STATUS_SUCCESS`]. Version 3, optional.
pub type WasinnBackendCtxFiniSingleFn = Option<
    unsafe extern "C" fn(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32>;

/// The plugin's function table, filled by the entry point. Append-only: new fields go at the end
/// and come with a new ABI version.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WasinnBackendPlugin {
    /// The ABI version the plugin implements for this host (1 ..= the host's version).
    pub abi_version: u32,
    /// Bytes of this table the plugin filled (<= the host's `table_size`).
    pub struct_size: u32,
    /// Backend name, NUL-terminated ASCII (e.g. `onnxruntime`); static plugin memory.
    pub name: *const c_char,
    /// Version text, NUL-terminated (e.g. `1.0.0 (onnxruntime 1.32.0)`); static plugin memory.
    pub version: *const c_char,
    /// Encodings served (`WASINN_BACKEND_ENCODING_*`); static plugin memory.
    pub encodings: *const u32,
    /// Number of `encodings`.
    pub encodings_len: usize,
    /// Targets served (`WASINN_BACKEND_TARGET_*`), preferred first; static plugin memory.
    pub targets: *const u32,
    /// Number of `targets`.
    pub targets_len: usize,
    /// See [`WasinnBackendLoadFn`].
    pub load: WasinnBackendLoadFn,
    /// See [`WasinnBackendGraphFreeFn`].
    pub graph_free: WasinnBackendGraphFreeFn,
    /// See [`WasinnBackendGraphIoCountFn`].
    pub graph_io_count: WasinnBackendGraphIoCountFn,
    /// See [`WasinnBackendGraphIoInfoFn`].
    pub graph_io_info: WasinnBackendGraphIoInfoFn,
    /// See [`WasinnBackendCtxNewFn`].
    pub ctx_new: WasinnBackendCtxNewFn,
    /// See [`WasinnBackendCtxFreeFn`].
    pub ctx_free: WasinnBackendCtxFreeFn,
    /// See [`WasinnBackendCtxSetInputFn`].
    pub ctx_set_input: WasinnBackendCtxSetInputFn,
    /// See [`WasinnBackendCtxComputeFn`].
    pub ctx_compute: WasinnBackendCtxComputeFn,
    /// See [`WasinnBackendCtxGetOutputFn`].
    pub ctx_get_output: WasinnBackendCtxGetOutputFn,
    /// Version 2, optional (NULL, or beyond `struct_size`: not reported). See
    /// [`WasinnBackendGraphIoQuantizationFn`].
    pub graph_io_quantization: WasinnBackendGraphIoQuantizationFn,
    /// Version 3, optional (NULL, or beyond `struct_size`: configurations are ignored). See
    /// [`WasinnBackendGraphDeriveFn`].
    pub graph_derive: WasinnBackendGraphDeriveFn,
    /// Version 3, optional (NULL, or beyond `struct_size`: the backend does not stream). See
    /// [`WasinnBackendCtxComputeSingleFn`].
    pub ctx_compute_single: WasinnBackendCtxComputeSingleFn,
    /// Version 3, set exactly when `ctx_compute_single` is. See
    /// [`WasinnBackendCtxGetOutputSingleFn`].
    pub ctx_get_output_single: WasinnBackendCtxGetOutputSingleFn,
    /// Version 3, set exactly when `ctx_compute_single` is. See [`WasinnBackendCtxFiniSingleFn`].
    pub ctx_fini_single: WasinnBackendCtxFiniSingleFn,
}

/// The entry point: `host_abi_version` is the newest version the host speaks, `table` a zeroed
/// table of `table_size` bytes. The plugin fills at most `table_size` bytes and returns
/// [`WASINN_BACKEND_STATUS_SUCCESS`], or another status with a message in `*err` when it cannot
/// serve (its vendor library is missing or too old, no common ABI version...). The host calls it
/// once per process and plugin file.
pub type WasinnBackendEntryFn = unsafe extern "C" fn(
    host_abi_version: u32,
    table: *mut WasinnBackendPlugin,
    table_size: usize,
    err: *mut WasinnBackendError,
) -> u32;

/// Size of the version-1 table: the smallest `struct_size` a host accepts.
pub const WASINN_BACKEND_PLUGIN_V1_SIZE: usize = offset_of!(WasinnBackendPlugin, graph_io_quantization);
/// Size of the version-2 table (with `graph_io_quantization`).
pub const WASINN_BACKEND_PLUGIN_V2_SIZE: usize = offset_of!(WasinnBackendPlugin, graph_derive);
/// Size of the version-3 table (with `graph_derive` and the streaming entries).
pub const WASINN_BACKEND_PLUGIN_V3_SIZE: usize = size_of::<WasinnBackendPlugin>();

// Layout pins for 64-bit targets (the C test has the same `_Static_assert`s). Changing any of
// these breaks every plugin already built: append fields instead.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(offset_of!(WasinnBackendPlugin, abi_version) == 0);
    assert!(offset_of!(WasinnBackendPlugin, struct_size) == 4);
    assert!(offset_of!(WasinnBackendPlugin, name) == 8);
    assert!(offset_of!(WasinnBackendPlugin, version) == 16);
    assert!(offset_of!(WasinnBackendPlugin, encodings) == 24);
    assert!(offset_of!(WasinnBackendPlugin, encodings_len) == 32);
    assert!(offset_of!(WasinnBackendPlugin, targets) == 40);
    assert!(offset_of!(WasinnBackendPlugin, targets_len) == 48);
    assert!(offset_of!(WasinnBackendPlugin, load) == 56);
    assert!(offset_of!(WasinnBackendPlugin, graph_free) == 64);
    assert!(offset_of!(WasinnBackendPlugin, graph_io_count) == 72);
    assert!(offset_of!(WasinnBackendPlugin, graph_io_info) == 80);
    assert!(offset_of!(WasinnBackendPlugin, ctx_new) == 88);
    assert!(offset_of!(WasinnBackendPlugin, ctx_free) == 96);
    assert!(offset_of!(WasinnBackendPlugin, ctx_set_input) == 104);
    assert!(offset_of!(WasinnBackendPlugin, ctx_compute) == 112);
    assert!(offset_of!(WasinnBackendPlugin, ctx_get_output) == 120);
    assert!(WASINN_BACKEND_PLUGIN_V1_SIZE == 128);
    assert!(offset_of!(WasinnBackendPlugin, graph_io_quantization) == 128);
    assert!(WASINN_BACKEND_PLUGIN_V2_SIZE == 136);
    assert!(offset_of!(WasinnBackendPlugin, graph_derive) == 136);
    assert!(offset_of!(WasinnBackendPlugin, ctx_compute_single) == 144);
    assert!(offset_of!(WasinnBackendPlugin, ctx_get_output_single) == 152);
    assert!(offset_of!(WasinnBackendPlugin, ctx_fini_single) == 160);
    assert!(size_of::<WasinnBackendPlugin>() == 168);

    assert!(offset_of!(WasinnBackendQuantization, kind) == 0);
    assert!(offset_of!(WasinnBackendQuantization, scale) == 4);
    assert!(offset_of!(WasinnBackendQuantization, zero_point) == 8);
    assert!(offset_of!(WasinnBackendQuantization, axis) == 16);
    assert!(size_of::<WasinnBackendQuantization>() == 24);

    assert!(offset_of!(WasinnBackendError, message) == 0);
    assert!(offset_of!(WasinnBackendError, capacity) == 8);
    assert!(offset_of!(WasinnBackendError, len) == 16);
    assert!(size_of::<WasinnBackendError>() == 24);

    assert!(offset_of!(WasinnBackendBytes, data) == 0);
    assert!(offset_of!(WasinnBackendBytes, len) == 8);
    assert!(size_of::<WasinnBackendBytes>() == 16);

    assert!(offset_of!(WasinnBackendTensor, dims) == 0);
    assert!(offset_of!(WasinnBackendTensor, rank) == 8);
    assert!(offset_of!(WasinnBackendTensor, data) == 16);
    assert!(offset_of!(WasinnBackendTensor, len) == 24);
    assert!(offset_of!(WasinnBackendTensor, ty) == 32);
    assert!(offset_of!(WasinnBackendTensor, reserved) == 36);
    assert!(size_of::<WasinnBackendTensor>() == 40);

    assert!(offset_of!(WasinnBackendIoInfo, name) == 0);
    assert!(offset_of!(WasinnBackendIoInfo, name_len) == 8);
    assert!(offset_of!(WasinnBackendIoInfo, dims) == 16);
    assert!(offset_of!(WasinnBackendIoInfo, rank) == 24);
    assert!(offset_of!(WasinnBackendIoInfo, ty) == 32);
    assert!(offset_of!(WasinnBackendIoInfo, flags) == 36);
    assert!(size_of::<WasinnBackendIoInfo>() == 40);
};
