//! The plain structs crossing the C API (byte buffers, tensor views, named tensors), the tensor
//! element type constants, and their conversion into validated core views.
//!
//! Every struct is a borrowed view: the library copies what it needs before the call returns and
//! keeps no pointer into caller memory. The `WASINN_TENSOR_TYPE_*` constants are copies of
//! [`TensorType`] tied to it at compile time (see [`tensor_type_constant`]).

use std::ffi::c_char;

use crate::capi::ffi;
use crate::core::error::{Error, Result};
use crate::core::limits::Limits;
use crate::core::tensor::{TensorRef, MAX_RANK};
use crate::core::types::TensorType;

/// IEEE 754 half precision (2 bytes per element).
pub const WASINN_TENSOR_TYPE_FP16: u32 = 0;
/// IEEE 754 single precision (4 bytes).
pub const WASINN_TENSOR_TYPE_FP32: u32 = 1;
/// IEEE 754 double precision (8 bytes).
pub const WASINN_TENSOR_TYPE_FP64: u32 = 2;
/// bfloat16 (2 bytes).
pub const WASINN_TENSOR_TYPE_BF16: u32 = 3;
/// Unsigned 8-bit integer.
pub const WASINN_TENSOR_TYPE_U8: u32 = 4;
/// Signed 32-bit integer.
pub const WASINN_TENSOR_TYPE_I32: u32 = 5;
/// Signed 64-bit integer.
pub const WASINN_TENSOR_TYPE_I64: u32 = 6;
/// Signed 8-bit integer (library extension, not in wasi-nn).
pub const WASINN_TENSOR_TYPE_I8: u32 = 100;
/// Unsigned 16-bit integer (library extension).
pub const WASINN_TENSOR_TYPE_U16: u32 = 101;
/// Signed 16-bit integer (library extension).
pub const WASINN_TENSOR_TYPE_I16: u32 = 102;
/// Unsigned 32-bit integer (library extension).
pub const WASINN_TENSOR_TYPE_U32: u32 = 103;
/// Unsigned 64-bit integer (library extension).
pub const WASINN_TENSOR_TYPE_U64: u32 = 104;
/// Boolean, one byte per element holding 0 or 1 (library extension).
pub const WASINN_TENSOR_TYPE_BOOL: u32 = 105;
/// 8-bit float, 4 exponent and 3 mantissa bits, no infinities: ONNX `FLOAT8E4M3FN` (1 byte;
/// library extension).
pub const WASINN_TENSOR_TYPE_FP8_E4M3FN: u32 = 106;
/// 8-bit float as `FP8_E4M3FN` without negative zero: ONNX `FLOAT8E4M3FNUZ` (1 byte; extension).
pub const WASINN_TENSOR_TYPE_FP8_E4M3FNUZ: u32 = 107;
/// 8-bit float, 5 exponent and 2 mantissa bits: ONNX `FLOAT8E5M2` (1 byte; extension).
pub const WASINN_TENSOR_TYPE_FP8_E5M2: u32 = 108;
/// 8-bit float as `FP8_E5M2`, no infinities, no negative zero: ONNX `FLOAT8E5M2FNUZ` (1 byte;
/// extension).
pub const WASINN_TENSOR_TYPE_FP8_E5M2FNUZ: u32 = 109;
/// 8-bit exponent-only float (a power of two): ONNX `FLOAT8E8M0` (1 byte; extension).
pub const WASINN_TENSOR_TYPE_FP8_E8M0: u32 = 110;
/// 4-bit float, 2 exponent bits and 1 mantissa bit: ONNX `FLOAT4E2M1`. Packed two elements per
/// byte, the first in the low nibble: n elements take (n + 1) / 2 bytes (extension).
pub const WASINN_TENSOR_TYPE_FP4_E2M1: u32 = 111;
/// Unsigned 4-bit integer, packed like `FP4_E2M1` (extension).
pub const WASINN_TENSOR_TYPE_U4: u32 = 112;
/// Signed 4-bit integer (two's complement), packed like `FP4_E2M1` (extension).
pub const WASINN_TENSOR_TYPE_I4: u32 = 113;
/// Unsigned 2-bit integer, packed four elements per byte, the first in the lowest two bits: n
/// elements take (n + 3) / 4 bytes (extension).
pub const WASINN_TENSOR_TYPE_U2: u32 = 114;
/// Signed 2-bit integer (two's complement), packed like `U2` (extension).
pub const WASINN_TENSOR_TYPE_I2: u32 = 115;
/// Byte strings (extension). The data is every element in row-major order, each its byte length
/// as a little-endian uint32_t followed by that many bytes, with nothing before, between or after
/// (so `data_len` is 4 * product(dims) plus the total string length). Strings are arbitrary bytes;
/// a backend that needs UTF-8 refuses others with `WASINN_STATUS_INVALID_ARGUMENT`.
pub const WASINN_TENSOR_TYPE_STRING: u32 = 116;
/// Reported by the introspection functions for an element type the C API cannot represent
/// (e.g. complex numbers) or that the model leaves unknown. Never accepted as an input type.
pub const WASINN_TENSOR_TYPE_UNKNOWN: u32 = 0xFFFF_FFFF;

const _: () = {
    assert!(WASINN_TENSOR_TYPE_FP16 == TensorType::Fp16 as u32);
    assert!(WASINN_TENSOR_TYPE_FP32 == TensorType::Fp32 as u32);
    assert!(WASINN_TENSOR_TYPE_FP64 == TensorType::Fp64 as u32);
    assert!(WASINN_TENSOR_TYPE_BF16 == TensorType::Bf16 as u32);
    assert!(WASINN_TENSOR_TYPE_U8 == TensorType::U8 as u32);
    assert!(WASINN_TENSOR_TYPE_I32 == TensorType::I32 as u32);
    assert!(WASINN_TENSOR_TYPE_I64 == TensorType::I64 as u32);
    assert!(WASINN_TENSOR_TYPE_I8 == TensorType::I8 as u32);
    assert!(WASINN_TENSOR_TYPE_U16 == TensorType::U16 as u32);
    assert!(WASINN_TENSOR_TYPE_I16 == TensorType::I16 as u32);
    assert!(WASINN_TENSOR_TYPE_U32 == TensorType::U32 as u32);
    assert!(WASINN_TENSOR_TYPE_U64 == TensorType::U64 as u32);
    assert!(WASINN_TENSOR_TYPE_BOOL == TensorType::Bool as u32);
    assert!(WASINN_TENSOR_TYPE_FP8_E4M3FN == TensorType::Fp8E4M3Fn as u32);
    assert!(WASINN_TENSOR_TYPE_FP8_E4M3FNUZ == TensorType::Fp8E4M3Fnuz as u32);
    assert!(WASINN_TENSOR_TYPE_FP8_E5M2 == TensorType::Fp8E5M2 as u32);
    assert!(WASINN_TENSOR_TYPE_FP8_E5M2FNUZ == TensorType::Fp8E5M2Fnuz as u32);
    assert!(WASINN_TENSOR_TYPE_FP8_E8M0 == TensorType::Fp8E8M0 as u32);
    assert!(WASINN_TENSOR_TYPE_FP4_E2M1 == TensorType::Fp4E2M1 as u32);
    assert!(WASINN_TENSOR_TYPE_U4 == TensorType::U4 as u32);
    assert!(WASINN_TENSOR_TYPE_I4 == TensorType::I4 as u32);
    assert!(WASINN_TENSOR_TYPE_U2 == TensorType::U2 as u32);
    assert!(WASINN_TENSOR_TYPE_I2 == TensorType::I2 as u32);
    assert!(WASINN_TENSOR_TYPE_STRING == TensorType::String as u32);
};

/// The C name and value of the constant for `ty` (exhaustive: a new variant fails to compile
/// until it gets its constant).
pub fn tensor_type_constant(ty: TensorType) -> (&'static str, u32) {
    match ty {
        TensorType::Fp16 => ("WASINN_TENSOR_TYPE_FP16", WASINN_TENSOR_TYPE_FP16),
        TensorType::Fp32 => ("WASINN_TENSOR_TYPE_FP32", WASINN_TENSOR_TYPE_FP32),
        TensorType::Fp64 => ("WASINN_TENSOR_TYPE_FP64", WASINN_TENSOR_TYPE_FP64),
        TensorType::Bf16 => ("WASINN_TENSOR_TYPE_BF16", WASINN_TENSOR_TYPE_BF16),
        TensorType::U8 => ("WASINN_TENSOR_TYPE_U8", WASINN_TENSOR_TYPE_U8),
        TensorType::I32 => ("WASINN_TENSOR_TYPE_I32", WASINN_TENSOR_TYPE_I32),
        TensorType::I64 => ("WASINN_TENSOR_TYPE_I64", WASINN_TENSOR_TYPE_I64),
        TensorType::I8 => ("WASINN_TENSOR_TYPE_I8", WASINN_TENSOR_TYPE_I8),
        TensorType::U16 => ("WASINN_TENSOR_TYPE_U16", WASINN_TENSOR_TYPE_U16),
        TensorType::I16 => ("WASINN_TENSOR_TYPE_I16", WASINN_TENSOR_TYPE_I16),
        TensorType::U32 => ("WASINN_TENSOR_TYPE_U32", WASINN_TENSOR_TYPE_U32),
        TensorType::U64 => ("WASINN_TENSOR_TYPE_U64", WASINN_TENSOR_TYPE_U64),
        TensorType::Bool => ("WASINN_TENSOR_TYPE_BOOL", WASINN_TENSOR_TYPE_BOOL),
        TensorType::Fp8E4M3Fn => ("WASINN_TENSOR_TYPE_FP8_E4M3FN", WASINN_TENSOR_TYPE_FP8_E4M3FN),
        TensorType::Fp8E4M3Fnuz => ("WASINN_TENSOR_TYPE_FP8_E4M3FNUZ", WASINN_TENSOR_TYPE_FP8_E4M3FNUZ),
        TensorType::Fp8E5M2 => ("WASINN_TENSOR_TYPE_FP8_E5M2", WASINN_TENSOR_TYPE_FP8_E5M2),
        TensorType::Fp8E5M2Fnuz => ("WASINN_TENSOR_TYPE_FP8_E5M2FNUZ", WASINN_TENSOR_TYPE_FP8_E5M2FNUZ),
        TensorType::Fp8E8M0 => ("WASINN_TENSOR_TYPE_FP8_E8M0", WASINN_TENSOR_TYPE_FP8_E8M0),
        TensorType::Fp4E2M1 => ("WASINN_TENSOR_TYPE_FP4_E2M1", WASINN_TENSOR_TYPE_FP4_E2M1),
        TensorType::U4 => ("WASINN_TENSOR_TYPE_U4", WASINN_TENSOR_TYPE_U4),
        TensorType::I4 => ("WASINN_TENSOR_TYPE_I4", WASINN_TENSOR_TYPE_I4),
        TensorType::U2 => ("WASINN_TENSOR_TYPE_U2", WASINN_TENSOR_TYPE_U2),
        TensorType::I2 => ("WASINN_TENSOR_TYPE_I2", WASINN_TENSOR_TYPE_I2),
        TensorType::String => ("WASINN_TENSOR_TYPE_STRING", WASINN_TENSOR_TYPE_STRING),
    }
}

/// A borrowed byte buffer, e.g. one part of a model (ONNX: one buffer; OpenVINO IR: the XML
/// then the weights).
///
/// `data` may be NULL only when `len` is 0. The library copies the bytes before the call that
/// receives the buffer returns.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wasinn_buffer {
    /// First byte.
    pub data: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// See `struct wasinn_buffer`.
#[allow(non_camel_case_types)]
pub type wasinn_buffer_t = wasinn_buffer;

/// A borrowed tensor view: element type, dimensions and raw little-endian row-major element bytes.
///
/// As an input, `data_len` must be the type's size for `dims` (checked without overflow):
/// product(dims) * element size for the byte-sized types, packed bytes for the 4- and 2-bit types,
/// the length-prefixed encoding for `WASINN_TENSOR_TYPE_STRING` (see each type's constant),
/// `dims` may be NULL only when `rank` is 0 (a scalar), `data` may be NULL only when `data_len` is
/// 0, and `rank` is at most 32; the library copies the data before the call returns.
/// As an output (`wasinn_outputs_get`), the pointers are owned by the output list.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wasinn_tensor {
    /// Element type, a `WASINN_TENSOR_TYPE_*` value.
    pub r#type: u32,
    /// `rank` dimensions.
    pub dims: *const u32,
    /// Number of dimensions.
    pub rank: usize,
    /// Element bytes.
    pub data: *const u8,
    /// Number of bytes at `data`.
    pub data_len: usize,
}

/// See `struct wasinn_tensor`.
#[allow(non_camel_case_types)]
pub type wasinn_tensor_t = wasinn_tensor;

/// A tensor with a name, for the WIT-style `wasinn_exec_ctx_compute_named`.
///
/// `name` is `name_len` bytes of UTF-8, not necessarily NUL-terminated.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wasinn_named_tensor {
    /// The input's name in the model.
    pub name: *const c_char,
    /// Length of `name` in bytes, excluding any NUL.
    pub name_len: usize,
    /// The tensor.
    pub tensor: wasinn_tensor_t,
}

/// See `struct wasinn_named_tensor`.
#[allow(non_camel_case_types)]
pub type wasinn_named_tensor_t = wasinn_named_tensor;

/// Validates a C tensor view into a core view borrowing the same memory, its dims converted into
/// `dims_buf` (no allocation: the per-call path).
///
/// # Safety
/// `tensor.dims` and `tensor.data` must be valid for `rank` elements and `data_len` bytes for `'a`.
pub(crate) unsafe fn tensor_ref<'a>(tensor: &wasinn_tensor_t, dims_buf: &'a mut [usize; MAX_RANK]) -> Result<TensorRef<'a>> {
    let ty = TensorType::try_from(tensor.r#type)?;
    if tensor.rank > MAX_RANK {
        return Err(Error::invalid(format!("tensor rank {} exceeds the maximum of {MAX_RANK}", tensor.rank)));
    }
    // The process limits (`TooLarge`): after the hard rank cap, before anything is read.
    let limits = Limits::process();
    limits.check_rank(tensor.rank as u64)?;
    limits.check_tensor_bytes(tensor.data_len as u64)?;
    // SAFETY: forwarded contract.
    let dims = unsafe { ffi::arg_slice(tensor.dims, tensor.rank, "tensor dims") }?;
    // SAFETY: forwarded contract.
    let data = unsafe { ffi::arg_slice(tensor.data, tensor.data_len, "tensor data") }?;
    for (slot, &d) in dims_buf.iter_mut().zip(dims) {
        *slot = usize::try_from(d).map_err(|_| Error::invalid("a tensor dimension does not fit in size_t"))?;
    }
    TensorRef::borrowed(ty, &dims_buf[..dims.len()], data)
}

/// `TooLarge` when the builders together exceed the process limit on model bytes.
pub(crate) fn check_model_limit(views: &[&[u8]]) -> Result<()> {
    // Each length is at most isize::MAX, so the sum saturates only above any limit.
    let total = views.iter().fold(0u64, |n, v| n.saturating_add(v.len() as u64));
    Limits::process().check_model_bytes(total)
}

/// Validates a list of builder buffers into byte slices.
///
/// # Safety
/// `builders` must be valid for `n` buffers, each valid for its `len` bytes, for `'a`.
pub(crate) unsafe fn buffers<'a>(builders: *const wasinn_buffer_t, n: usize) -> Result<Vec<&'a [u8]>> {
    // SAFETY: forwarded contract.
    let list = unsafe { ffi::arg_slice(builders, n, "builders") }?;
    list.iter()
        .enumerate()
        // SAFETY: forwarded contract.
        .map(|(i, b)| unsafe { ffi::arg_slice(b.data, b.len, &format!("builders[{i}].data")) })
        .collect()
}
