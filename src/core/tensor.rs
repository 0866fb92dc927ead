//! Borrowed tensor views crossing into backends, and owned tensors coming out of the WIT-style call.
//!
//! Invariant: a [`TensorRef`] always holds data that fits its type and dims under the plugin ABI's
//! layout rules (`wasinn_plugin_abi::layout`: `ceil(product(dims) * bits / 8)` bytes for fixed-size
//! types, sub-byte types packed; length-prefixed elements for strings), checked with
//! overflow-checked arithmetic when it is built, so backends never re-validate sizes.

use std::borrow::Cow;

use wasinn_plugin_abi::layout;

use crate::core::error::{Error, Result};
use crate::core::types::TensorType;

/// Largest rank accepted from callers (ONNX itself has no limit; 32 is far above real models and
/// bounds the work a hostile guest can ask for when dims are decoded).
pub const MAX_RANK: usize = 32;

fn check_rank(dims: &[usize]) -> Result<()> {
    if dims.len() > MAX_RANK {
        return Err(Error::invalid(format!("tensor rank {} exceeds the maximum of {MAX_RANK}", dims.len())));
    }
    Ok(())
}

/// Number of bytes a fixed-size tensor of `ty` with `dims` occupies, or an error on overflow.
/// `Ok(None)` for strings, whose size depends on their data (see [`check_data`]).
pub fn byte_len(ty: TensorType, dims: &[usize]) -> Result<Option<usize>> {
    check_rank(dims)?;
    layout::fixed_data_len(ty as u32, dims)
        .ok()
        .filter(|n| n.is_none_or(|n| n <= isize::MAX as usize))
        .ok_or_else(|| Error::invalid(format!("tensor size overflows: {ty} {dims:?}")))
}

/// Checks that `data` is exactly a tensor of `ty` and `dims` (rank bound, sizes, string framing).
pub fn check_data(ty: TensorType, dims: &[usize], data: &[u8]) -> Result<()> {
    check_rank(dims)?;
    layout::check_data(ty as u32, dims, data).map_err(|e| Error::invalid(format!("{ty} tensor {dims:?}: {e}")))
}

/// A validated, borrowed input tensor. The data is copied by the backend before the call returns.
#[derive(Clone, Debug)]
pub struct TensorRef<'a> {
    ty: TensorType,
    dims: Cow<'a, [usize]>,
    data: &'a [u8],
}

impl<'a> TensorRef<'a> {
    /// Validates that `data` holds exactly `product(dims)` elements of `ty` ([`check_data`]).
    pub fn new(ty: TensorType, dims: Vec<usize>, data: &'a [u8]) -> Result<Self> {
        check_data(ty, &dims, data)?;
        Ok(TensorRef { ty, dims: Cow::Owned(dims), data })
    }
    /// As [`TensorRef::new`] with borrowed dims: no allocation (the per-call paths use it).
    pub fn borrowed(ty: TensorType, dims: &'a [usize], data: &'a [u8]) -> Result<Self> {
        check_data(ty, dims, data)?;
        Ok(TensorRef { ty, dims: Cow::Borrowed(dims), data })
    }
    /// Element type.
    pub fn ty(&self) -> TensorType {
        self.ty
    }
    /// Dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
    /// Raw little-endian element bytes, row-major (layout per type, see the module doc).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// The elements of a string tensor (empty for other types).
    pub fn strings(&self) -> layout::Strings<'a> {
        layout::Strings::new(if self.ty == TensorType::String { self.data } else { &[] })
    }
}

/// Encodes byte strings as string tensor data (the inverse of [`TensorRef::strings`]).
pub fn encode_strings<'s>(items: impl IntoIterator<Item = &'s [u8]>) -> Result<Vec<u8>> {
    layout::encode_strings(items).map_err(|e| Error::invalid(e.to_string()))
}

/// A borrowed view of a computed output, valid until the next compute on the same context.
#[derive(Clone, Copy, Debug)]
pub struct OutputRef<'a> {
    /// Element type.
    pub ty: TensorType,
    /// Dimensions.
    pub dims: &'a [usize],
    /// Raw little-endian element bytes, row-major.
    pub data: &'a [u8],
}

impl OutputRef<'_> {
    /// Copies the view into an owned tensor (the one copy out of the WIT-style call).
    pub fn to_owned_tensor(&self) -> Tensor {
        crate::core::stats::record_tensor_alloc(self.data.len());
        crate::core::stats::record_output(self.data.len());
        Tensor { ty: self.ty, dims: self.dims.to_vec(), data: self.data.to_vec() }
    }
}

/// An owned tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Element type.
    pub ty: TensorType,
    /// Dimensions.
    pub dims: Vec<usize>,
    /// Raw little-endian element bytes, row-major.
    pub data: Vec<u8>,
}

impl Tensor {
    /// Builds an owned tensor, validating its size.
    pub fn new(ty: TensorType, dims: Vec<usize>, data: Vec<u8>) -> Result<Self> {
        TensorRef::new(ty, dims.clone(), &data)?;
        Ok(Tensor { ty, dims, data })
    }
    /// Borrows it as an input view.
    pub fn as_ref(&self) -> TensorRef<'_> {
        TensorRef { ty: self.ty, dims: Cow::Borrowed(&self.dims), data: &self.data }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_checks() {
        assert_eq!(byte_len(TensorType::Fp32, &[2, 3]).unwrap(), Some(24));
        assert_eq!(byte_len(TensorType::Fp32, &[]).unwrap(), Some(4));
        assert_eq!(byte_len(TensorType::I4, &[3, 3]).unwrap(), Some(5));
        assert_eq!(byte_len(TensorType::String, &[3]).unwrap(), None);
        assert!(byte_len(TensorType::Fp64, &[usize::MAX, 2]).is_err());
        assert!(byte_len(TensorType::Fp64, &[usize::MAX / 8]).is_err(), "above isize::MAX bytes");
        assert!(byte_len(TensorType::U8, &[1; MAX_RANK + 1]).is_err());
        assert!(TensorRef::new(TensorType::I32, vec![2], &[0; 7]).is_err());
        assert!(TensorRef::new(TensorType::I32, vec![2], &[0; 8]).is_ok());
        assert!(TensorRef::new(TensorType::I32, vec![0, 5], &[]).is_ok());
        assert!(TensorRef::new(TensorType::U2, vec![5], &[0; 2]).is_ok());
        assert!(TensorRef::new(TensorType::U2, vec![5], &[0; 1]).is_err());
    }

    #[test]
    fn strings_round_trip() {
        let data = encode_strings([&b"ab"[..], b"", "\u{e9}".as_bytes()]).unwrap();
        let t = TensorRef::new(TensorType::String, vec![3], &data).unwrap();
        assert_eq!(t.strings().collect::<Vec<_>>(), [&b"ab"[..], b"", "\u{e9}".as_bytes()]);
        assert!(TensorRef::new(TensorType::String, vec![2], &data).is_err(), "trailing element");
        assert!(TensorRef::new(TensorType::String, vec![4], &data).is_err(), "missing element");
        assert_eq!(TensorRef::new(TensorType::U8, vec![1], &[7]).unwrap().strings().count(), 0);
    }
}
