//! The part of LiteRT's C API (`litert/c/*.h` of google-ai-edge/LiteRT, as shipped in
//! `ai-edge-litert` 2.3.0's `libLiteRt.so`) this plugin calls, resolved by name from the library
//! at run time. The wheel ships no headers: the declarations below follow the public headers,
//! whose concrete types (`LiteRtLayout`, `LiteRtRankedTensorType`) the headers mark ABI stable
//! and pin with static asserts; the same sizes are pinned here. Private to the plugin, whose only
//! interface is its exported entry symbol.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

/// `LiteRtStatus` (a C enum: `int`); `kLiteRtStatusOk` is 0.
pub type Status = c_int;
/// Every LiteRT handle (`LiteRtEnvironment`, `LiteRtModel`, ...) is an opaque pointer.
pub type Handle = *mut c_void;

/// `LITERT_TENSOR_MAX_RANK`.
pub const MAX_RANK: usize = 8;

/// `LiteRtLayout`: `unsigned rank : 7; unsigned has_strides : 1;` packed in the first 32-bit
/// unit (first bit-field in the low bits, as GCC and Clang lay them out), then the dimensions
/// (negative = dynamic) and strides.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// Bits 0..7: rank; bit 7: has_strides.
    pub bits: u32,
    /// Dimension sizes; entries from `rank` on are undefined.
    pub dims: [i32; MAX_RANK],
    /// Strides, used only when has_strides is set.
    pub strides: [u32; MAX_RANK],
}

impl Layout {
    /// The rank (the low 7 bits).
    pub fn rank(&self) -> usize {
        (self.bits & 0x7f) as usize
    }

    /// The dimensions, `rank` of them (a corrupt rank above the maximum is cut to it).
    pub fn dims(&self) -> &[i32] {
        &self.dims[..self.rank().min(MAX_RANK)]
    }

    /// A packed (stride-less) layout of `dims`; `None` when the rank or a size does not fit.
    pub fn packed(dims: &[usize]) -> Option<Layout> {
        if dims.len() > MAX_RANK {
            return None;
        }
        let mut l = Layout { bits: dims.len() as u32, ..Layout::default() };
        for (slot, &d) in l.dims.iter_mut().zip(dims) {
            *slot = i32::try_from(d).ok()?;
        }
        Some(l)
    }
}

/// `LiteRtRankedTensorType`: a `LiteRtElementType` then the layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RankedTensorType {
    /// `LiteRtElementType` (TFLite's `TfLiteType` numbering).
    pub element_type: c_int,
    /// Shape.
    pub layout: Layout,
}

// The sizes and offsets litert_layout.h / litert_model_types.h assert on 64-bit targets.
const _: () = assert!(size_of::<Layout>() == 68);
const _: () = assert!(std::mem::offset_of!(Layout, dims) == 4);
const _: () = assert!(std::mem::offset_of!(Layout, strides) == 36);
const _: () = assert!(size_of::<RankedTensorType>() == 72);
const _: () = assert!(std::mem::offset_of!(RankedTensorType, layout) == 4);

/// `LiteRtAny` holding an integer: its `LiteRtAnyType`, then the value union (8-byte aligned).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AnyInt {
    /// `LiteRtAnyType` (`kLiteRtAnyTypeInt`).
    pub any_type: c_int,
    /// The union's `int_value`.
    pub int_value: i64,
}

/// `LiteRtEnvOption`: a `LiteRtEnvOptionTag` then a `LiteRtAny` at offset 8 (24 bytes in all, as
/// litert_environment_options.h asserts).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EnvOption {
    /// `LiteRtEnvOptionTag`.
    pub tag: c_int,
    /// The value.
    pub value: AnyInt,
}

const _: () = assert!(size_of::<EnvOption>() == 24);
const _: () = assert!(std::mem::offset_of!(EnvOption, value) == 8);
const _: () = assert!(std::mem::offset_of!(AnyInt, int_value) == 8);

/// `kLiteRtEnvOptionTagAutoRegisterAccelerators`: the accelerators LiteRT registers (and, for the
/// GPU and NPU ones, tries to `dlopen` by bare name) when the environment is created.
pub const ENV_AUTO_REGISTER_ACCELERATORS: c_int = 24;
/// `kLiteRtEnvOptionTagMinLoggerSeverity`.
pub const ENV_MIN_LOGGER_SEVERITY: c_int = 25;
/// `kLiteRtAnyTypeInt`.
pub const ANY_TYPE_INT: c_int = 2;
/// `kLiteRtLogSeverityWarning` (Debug -1, Verbose 0, Info 1, Warning 2, Error 3, Silent 4).
pub const LOG_SEVERITY_WARNING: i64 = 2;

/// `LiteRtQuantizationPerTensor` (litert_model_types.h): `real = scale * (q - zero_point)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct QuantPerTensor {
    /// The scale.
    pub scale: f32,
    /// The zero point.
    pub zero_point: i64,
}

/// `LiteRtQuantizationPerChannel`: the quantized dimension, then the per-channel arrays (owned
/// by the model; only the dimension is read).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct QuantPerChannel {
    /// The quantized dimension.
    pub quantized_dimension: i32,
    /// Number of channels.
    pub num_channels: u64,
    /// `num_channels` scales.
    pub scales: *const f32,
    /// `num_channels` zero points.
    pub zero_points: *const i64,
}

const _: () = assert!(size_of::<QuantPerTensor>() == 16);
const _: () = assert!(std::mem::offset_of!(QuantPerTensor, zero_point) == 8);
const _: () = assert!(size_of::<QuantPerChannel>() == 32);
const _: () = assert!(std::mem::offset_of!(QuantPerChannel, num_channels) == 8);

/// `LiteRtQuantizationTypeId`: `kLiteRtQuantizationNone`.
pub const QUANT_NONE: c_int = 0;
/// `kLiteRtQuantizationPerTensor`.
pub const QUANT_PER_TENSOR: c_int = 1;
/// `kLiteRtQuantizationPerChannel`.
pub const QUANT_PER_CHANNEL: c_int = 2;

/// `kLiteRtRankedTensorType` (`LiteRtTensorTypeId`).
pub const RANKED_TENSOR_TYPE: c_int = 0;
/// `kLiteRtHwAcceleratorCpu`.
pub const HW_ACCELERATOR_CPU: c_int = 1;
/// `kLiteRtTensorBufferLockModeRead`.
pub const LOCK_MODE_READ: c_int = 0;
/// `LITERT_HOST_MEMORY_BUFFER_ALIGNMENT`: host memory handed to LiteRT must be aligned so.
pub const HOST_MEMORY_ALIGNMENT: usize = 64;

/// The functions, resolved once from the library (which is never closed).
pub struct Api {
    pub create_environment: unsafe extern "C" fn(c_int, *const EnvOption, *mut Handle) -> Status,
    pub create_model_from_buffer: unsafe extern "C" fn(Handle, *const c_void, usize, *mut Handle) -> Status,
    pub destroy_model: unsafe extern "C" fn(Handle),
    pub get_num_model_signatures: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub get_model_signature: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub get_signature_subgraph: unsafe extern "C" fn(Handle, *mut Handle) -> Status,
    pub get_num_signature_inputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub get_num_signature_outputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub get_signature_input_name: unsafe extern "C" fn(Handle, usize, *mut *const c_char) -> Status,
    pub get_signature_output_name: unsafe extern "C" fn(Handle, usize, *mut *const c_char) -> Status,
    pub get_signature_input_tensor_by_index: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub get_signature_output_tensor_by_index: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub get_num_subgraph_inputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub get_num_subgraph_outputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub get_subgraph_input: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub get_subgraph_output: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub get_tensor_name: unsafe extern "C" fn(Handle, *mut *const c_char) -> Status,
    pub get_tensor_type_id: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
    pub get_ranked_tensor_type: unsafe extern "C" fn(Handle, *mut RankedTensorType) -> Status,
    pub get_unranked_tensor_type: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
    pub get_quantization_type_id: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
    pub get_per_tensor_quantization: unsafe extern "C" fn(Handle, *mut QuantPerTensor) -> Status,
    pub get_per_channel_quantization: unsafe extern "C" fn(Handle, *mut QuantPerChannel) -> Status,
    pub create_options: unsafe extern "C" fn(*mut Handle) -> Status,
    pub set_options_hardware_accelerators: unsafe extern "C" fn(Handle, c_int) -> Status,
    pub destroy_options: unsafe extern "C" fn(Handle),
    pub create_compiled_model: unsafe extern "C" fn(Handle, Handle, Handle, *mut Handle) -> Status,
    pub destroy_compiled_model: unsafe extern "C" fn(Handle),
    pub resize_input_tensor: unsafe extern "C" fn(Handle, usize, usize, *const c_int, usize) -> Status,
    pub get_output_tensor_layouts: unsafe extern "C" fn(Handle, usize, usize, *mut Layout, bool) -> Status,
    pub run_compiled_model: unsafe extern "C" fn(Handle, usize, usize, *mut Handle, usize, *mut Handle) -> Status,
    pub create_tensor_buffer_from_host_memory:
        unsafe extern "C" fn(*const RankedTensorType, *mut c_void, usize, Option<unsafe extern "C" fn(*mut c_void)>, *mut Handle) -> Status,
    pub destroy_tensor_buffer: unsafe extern "C" fn(Handle),
    pub lock_tensor_buffer: unsafe extern "C" fn(Handle, *mut *mut c_void, c_int) -> Status,
    pub unlock_tensor_buffer: unsafe extern "C" fn(Handle) -> Status,
    /// The library the functions live in, kept with them (the `Api` is never dropped).
    _lib: libloading::Library,
}

impl Api {
    /// Opens `path` and resolves every function. The caller keeps the `Api` for the process's
    /// life (plugins are never unloaded, so the library is never closed).
    pub fn load(path: &Path) -> Result<Api, String> {
        // SAFETY: opening a shared library runs its initialisers; libLiteRt.so's are LiteRT's own.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        macro_rules! sym {
            ($name:literal) => {{
                // SAFETY: the symbol's C type is the field's, as declared by LiteRT's headers; the
                // library is kept in the `Api` with the pointers, and the `Api` is never dropped.
                let s = unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("{} does not export {}: {e} (not LiteRT's C API library?)", path.display(), $name))?;
                *s
            }};
        }
        Ok(Api {
            create_environment: sym!("LiteRtCreateEnvironment"),
            create_model_from_buffer: sym!("LiteRtCreateModelFromBuffer"),
            destroy_model: sym!("LiteRtDestroyModel"),
            get_num_model_signatures: sym!("LiteRtGetNumModelSignatures"),
            get_model_signature: sym!("LiteRtGetModelSignature"),
            get_signature_subgraph: sym!("LiteRtGetSignatureSubgraph"),
            get_num_signature_inputs: sym!("LiteRtGetNumSignatureInputs"),
            get_num_signature_outputs: sym!("LiteRtGetNumSignatureOutputs"),
            get_signature_input_name: sym!("LiteRtGetSignatureInputName"),
            get_signature_output_name: sym!("LiteRtGetSignatureOutputName"),
            get_signature_input_tensor_by_index: sym!("LiteRtGetSignatureInputTensorByIndex"),
            get_signature_output_tensor_by_index: sym!("LiteRtGetSignatureOutputTensorByIndex"),
            get_num_subgraph_inputs: sym!("LiteRtGetNumSubgraphInputs"),
            get_num_subgraph_outputs: sym!("LiteRtGetNumSubgraphOutputs"),
            get_subgraph_input: sym!("LiteRtGetSubgraphInput"),
            get_subgraph_output: sym!("LiteRtGetSubgraphOutput"),
            get_tensor_name: sym!("LiteRtGetTensorName"),
            get_tensor_type_id: sym!("LiteRtGetTensorTypeId"),
            get_ranked_tensor_type: sym!("LiteRtGetRankedTensorType"),
            get_unranked_tensor_type: sym!("LiteRtGetUnrankedTensorType"),
            get_quantization_type_id: sym!("LiteRtGetQuantizationTypeId"),
            get_per_tensor_quantization: sym!("LiteRtGetPerTensorQuantization"),
            get_per_channel_quantization: sym!("LiteRtGetPerChannelQuantization"),
            create_options: sym!("LiteRtCreateOptions"),
            set_options_hardware_accelerators: sym!("LiteRtSetOptionsHardwareAccelerators"),
            destroy_options: sym!("LiteRtDestroyOptions"),
            create_compiled_model: sym!("LiteRtCreateCompiledModel"),
            destroy_compiled_model: sym!("LiteRtDestroyCompiledModel"),
            resize_input_tensor: sym!("LiteRtCompiledModelResizeInputTensor"),
            get_output_tensor_layouts: sym!("LiteRtGetCompiledModelOutputTensorLayouts"),
            run_compiled_model: sym!("LiteRtRunCompiledModel"),
            create_tensor_buffer_from_host_memory: sym!("LiteRtCreateTensorBufferFromHostMemory"),
            destroy_tensor_buffer: sym!("LiteRtDestroyTensorBuffer"),
            lock_tensor_buffer: sym!("LiteRtLockTensorBuffer"),
            unlock_tensor_buffer: sym!("LiteRtUnlockTensorBuffer"),
            _lib: lib,
        })
    }
}

/// The name of a `LiteRtStatus` (litert_common.h's enumerators; `LiteRtGetStatusString` is not
/// exported by the library).
pub fn status_name(s: Status) -> &'static str {
    match s {
        0 => "ok",
        1 => "invalid argument",
        2 => "memory allocation failure",
        3 => "runtime failure",
        4 => "missing input tensor",
        5 => "unsupported",
        6 => "not found",
        7 => "timeout expired",
        8 => "wrong version",
        9 => "unknown",
        10 => "already exists",
        100 => "cancelled",
        500 => "file I/O",
        501 => "invalid flatbuffer",
        502 => "dynamic loading",
        503 => "serialization",
        504 => "compilation",
        1000 => "index out of bounds",
        1001 => "invalid IR type",
        1002 => "invalid graph invariant",
        1003 => "graph modification",
        4000 => "unsupported runtime version",
        5000 => "unsupported op shape inferer",
        5001 => "shape inference failed",
        _ => "unknown status",
    }
}

/// `kLiteRtStatusErrorInvalidFlatbuffer`.
pub const STATUS_INVALID_FLATBUFFER: Status = 501;
