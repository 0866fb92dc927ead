//! How the bytes of a tensor of each element type are laid out: the one rule the host, the C API
//! and every plugin share (the constants' docs in `lib.rs` say the same in prose).
//!
//! - Fixed-size types hold `product(dims)` elements in row-major order, little-endian. The
//!   sub-byte types are packed as ONNX packs them: 4-bit types (`FP4_E2M1`, `U4`, `I4`) two per
//!   byte, 2-bit types (`U2`, `I2`) four per byte, the first element in the lowest bits. `n`
//!   elements take `ceil(n * bits / 8)` bytes; the unused high bits of a last partial byte carry
//!   no element.
//! - `STRING`: each element, in row-major order, is its byte length as a little-endian `u32`
//!   followed by that many bytes (no terminator; any bytes, UTF-8 is the common case). The data
//!   is exactly the concatenation, nothing before, between or after.
//!
//! Every size here is computed with checked arithmetic: a hostile `dims` or length prefix yields
//! an error, never an overflow or an out-of-bounds read.

use alloc::vec::Vec;
use core::fmt;

use crate::*;

/// How one element type is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementLayout {
    /// A fixed number of bits per element: 1..=8 bits pack into bytes, wider types are whole bytes.
    Bits(u32),
    /// Length-prefixed byte strings (see the module doc).
    String,
}

/// The layout of tensor type `ty` (a `WASINN_BACKEND_TENSOR_TYPE_*` value), `None` when unknown.
pub const fn element_layout(ty: u32) -> Option<ElementLayout> {
    Some(ElementLayout::Bits(match ty {
        WASINN_BACKEND_TENSOR_TYPE_U2 | WASINN_BACKEND_TENSOR_TYPE_I2 => 2,
        WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1 | WASINN_BACKEND_TENSOR_TYPE_U4 | WASINN_BACKEND_TENSOR_TYPE_I4 => 4,
        WASINN_BACKEND_TENSOR_TYPE_U8
        | WASINN_BACKEND_TENSOR_TYPE_I8
        | WASINN_BACKEND_TENSOR_TYPE_BOOL
        | WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN
        | WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FNUZ
        | WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2
        | WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2FNUZ
        | WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0 => 8,
        WASINN_BACKEND_TENSOR_TYPE_FP16
        | WASINN_BACKEND_TENSOR_TYPE_BF16
        | WASINN_BACKEND_TENSOR_TYPE_U16
        | WASINN_BACKEND_TENSOR_TYPE_I16 => 16,
        WASINN_BACKEND_TENSOR_TYPE_FP32 | WASINN_BACKEND_TENSOR_TYPE_I32 | WASINN_BACKEND_TENSOR_TYPE_U32 => 32,
        WASINN_BACKEND_TENSOR_TYPE_FP64 | WASINN_BACKEND_TENSOR_TYPE_I64 | WASINN_BACKEND_TENSOR_TYPE_U64 => 64,
        WASINN_BACKEND_TENSOR_TYPE_STRING => return Some(ElementLayout::String),
        _ => return None,
    }))
}

/// Why tensor bytes do not fit their type and shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The element type is not a known `WASINN_BACKEND_TENSOR_TYPE_*` value.
    UnknownType(u32),
    /// `product(dims)` or the byte size overflows `usize`.
    Overflow,
    /// A fixed-size tensor's data has `got` bytes where its type and shape need `expected`.
    Length {
        /// Bytes the type and shape need.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A string tensor's data ends inside element `element` (its length prefix or its bytes).
    StringTruncated {
        /// Index of the element that does not fit.
        element: usize,
    },
    /// A string tensor's data has `extra` bytes after its last element.
    StringTrailing {
        /// Bytes left over.
        extra: usize,
    },
    /// A string element longer than `u32::MAX` bytes cannot be encoded.
    StringTooLong,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::UnknownType(t) => write!(f, "unknown tensor type {t}"),
            LayoutError::Overflow => f.write_str("tensor size overflows"),
            LayoutError::Length { expected, got } => write!(f, "tensor data is {got} bytes but its type and shape need {expected}"),
            LayoutError::StringTruncated { element } => {
                write!(f, "string tensor data ends inside element {element} (each element is a u32 little-endian length then its bytes)")
            }
            LayoutError::StringTrailing { extra } => write!(f, "string tensor data has {extra} bytes after its last element"),
            LayoutError::StringTooLong => f.write_str("a string element is longer than 4 GiB"),
        }
    }
}

/// `product(dims)`, checked.
pub fn element_count(dims: &[usize]) -> Result<usize, LayoutError> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or(LayoutError::Overflow)
}

/// Bytes of `count` elements of `bits` bits each: `ceil(count * bits / 8)`, checked.
pub fn packed_len(bits: u32, count: usize) -> Result<usize, LayoutError> {
    let bits = usize::try_from(bits).map_err(|_| LayoutError::Overflow)?;
    let total = count.checked_mul(bits).ok_or(LayoutError::Overflow)?;
    Ok(total / 8 + usize::from(total % 8 != 0))
}

/// The byte size of a fixed-size tensor (`None` for `STRING`, whose size depends on its data).
pub fn fixed_data_len(ty: u32, dims: &[usize]) -> Result<Option<usize>, LayoutError> {
    match element_layout(ty).ok_or(LayoutError::UnknownType(ty))? {
        ElementLayout::Bits(bits) => packed_len(bits, element_count(dims)?).map(Some),
        ElementLayout::String => Ok(None),
    }
}

/// Checks that `data` is exactly a tensor of `ty` and `dims` under the rules of the module doc.
/// Walks the length prefixes of a string tensor (O(elements)); constant time otherwise.
pub fn check_data(ty: u32, dims: &[usize], data: &[u8]) -> Result<(), LayoutError> {
    match fixed_data_len(ty, dims)? {
        Some(expected) if expected == data.len() => Ok(()),
        Some(expected) => Err(LayoutError::Length { expected, got: data.len() }),
        None => {
            let count = element_count(dims)?;
            // Each element takes at least its 4-byte prefix: refuse absurd counts before walking.
            if count.checked_mul(4).is_none_or(|min| min > data.len()) {
                return Err(LayoutError::StringTruncated { element: data.len() / 4 });
            }
            let mut strings = Strings::new(data);
            for element in 0..count {
                if strings.next().is_none() {
                    return Err(LayoutError::StringTruncated { element });
                }
            }
            match strings.rest.len() {
                0 => Ok(()),
                extra => Err(LayoutError::StringTrailing { extra }),
            }
        }
    }
}

/// The elements of string tensor data, in order. Stops (yields `None`) at the end of the data or
/// at an element that does not fit; [`check_data`] tells those apart.
#[derive(Clone, Debug)]
pub struct Strings<'a> {
    rest: &'a [u8],
}

impl<'a> Strings<'a> {
    /// Iterates over `data` (string tensor bytes).
    pub fn new(data: &'a [u8]) -> Self {
        Strings { rest: data }
    }
}

impl<'a> Iterator for Strings<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (prefix, body) = self.rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*prefix)).ok()?;
        if len > body.len() {
            return None;
        }
        let (item, rest) = body.split_at(len);
        self.rest = rest;
        Some(item)
    }
}

/// Encodes byte strings as string tensor data (the inverse of [`Strings`]).
pub fn encode_strings<'s>(items: impl IntoIterator<Item = &'s [u8]>) -> Result<Vec<u8>, LayoutError> {
    let mut out = Vec::new();
    for s in items {
        let prefix = u32::try_from(s.len()).map_err(|_| LayoutError::StringTooLong)?;
        out.extend_from_slice(&prefix.to_le_bytes());
        out.extend_from_slice(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sizes() {
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_FP32, &[2, 3]), Ok(Some(24)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_FP32, &[]), Ok(Some(4)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_I4, &[5, 5]), Ok(Some(13)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_U2, &[7, 1]), Ok(Some(2)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_U2, &[0]), Ok(Some(0)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN, &[3]), Ok(Some(3)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_STRING, &[3]), Ok(None));
        assert_eq!(fixed_data_len(77, &[3]), Err(LayoutError::UnknownType(77)));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_FP64, &[usize::MAX, 2]), Err(LayoutError::Overflow));
        assert_eq!(fixed_data_len(WASINN_BACKEND_TENSOR_TYPE_I4, &[usize::MAX]), Err(LayoutError::Overflow));
        assert_eq!(
            check_data(WASINN_BACKEND_TENSOR_TYPE_I4, &[3], &[0; 1]),
            Err(LayoutError::Length { expected: 2, got: 1 })
        );
    }

    #[test]
    fn strings() {
        let s = WASINN_BACKEND_TENSOR_TYPE_STRING;
        let data = [1, 0, 0, 0, b'a', 0, 0, 0, 0, 2, 0, 0, 0, b'b', b'c'];
        assert_eq!(check_data(s, &[3], &data), Ok(()));
        let mut it = Strings::new(&data);
        assert_eq!((it.next(), it.next(), it.next(), it.next()), (Some(&b"a"[..]), Some(&b""[..]), Some(&b"bc"[..]), None));
        assert_eq!(check_data(s, &[2], &data), Err(LayoutError::StringTrailing { extra: 6 }));
        assert_eq!(check_data(s, &[3], &data[..14]), Err(LayoutError::StringTruncated { element: 2 }));
        assert_eq!(check_data(s, &[0], &[]), Ok(()));
        assert_eq!(check_data(s, &[], &[0, 0, 0, 0]), Ok(()));
        // A huge length prefix or element count never reads out of bounds.
        assert_eq!(check_data(s, &[1], &[0xff, 0xff, 0xff, 0xff, 1]), Err(LayoutError::StringTruncated { element: 0 }));
        assert_eq!(check_data(s, &[usize::MAX / 2], &data), Err(LayoutError::StringTruncated { element: 3 }));
        assert_eq!(check_data(s, &[usize::MAX, 3], &data), Err(LayoutError::Overflow));
        let encoded = encode_strings([&b"a"[..], b"", b"bc"]).unwrap();
        assert_eq!(encoded, data);
    }
}
