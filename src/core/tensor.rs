//! Borrowed tensor views crossing into backends, and owned tensors coming out of the WIT-style call.
//!
//! Invariant: a [`TensorRef`] always satisfies `product(dims) * type.size() == data.len()`, checked
//! with overflow-checked arithmetic when it is built, so backends never re-validate sizes.

use crate::core::error::{Error, Result};
use crate::core::types::TensorType;

/// Largest rank accepted from callers (ONNX itself has no limit; 32 is far above real models and
/// bounds the work a hostile guest can ask for when dims are decoded).
pub const MAX_RANK: usize = 32;

/// Number of bytes a tensor of `ty` with `dims` occupies, or an error on overflow.
pub fn byte_len(ty: TensorType, dims: &[usize]) -> Result<usize> {
    if dims.len() > MAX_RANK {
        return Err(Error::invalid(format!("tensor rank {} exceeds the maximum of {MAX_RANK}", dims.len())));
    }
    dims.iter()
        .try_fold(ty.size(), |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| Error::invalid(format!("tensor size overflows: {ty} {dims:?}")))
}

/// A validated, borrowed input tensor. The data is copied by the backend before the call returns.
#[derive(Clone, Debug)]
pub struct TensorRef<'a> {
    ty: TensorType,
    dims: Vec<usize>,
    data: &'a [u8],
}

impl<'a> TensorRef<'a> {
    /// Validates that `data` holds exactly `product(dims)` elements of `ty`.
    pub fn new(ty: TensorType, dims: Vec<usize>, data: &'a [u8]) -> Result<Self> {
        let expected = byte_len(ty, &dims)?;
        if expected != data.len() {
            return Err(Error::invalid(format!(
                "tensor data is {} bytes but {ty} {dims:?} needs {expected}",
                data.len()
            )));
        }
        Ok(TensorRef { ty, dims, data })
    }
    /// Element type.
    pub fn ty(&self) -> TensorType {
        self.ty
    }
    /// Dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
    /// Raw little-endian element bytes, row-major.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
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
        TensorRef { ty: self.ty, dims: self.dims.clone(), data: &self.data }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_checks() {
        assert_eq!(byte_len(TensorType::Fp32, &[2, 3]).unwrap(), 24);
        assert_eq!(byte_len(TensorType::Fp32, &[]).unwrap(), 4);
        assert!(byte_len(TensorType::Fp64, &[usize::MAX, 2]).is_err());
        assert!(byte_len(TensorType::U8, &[1; MAX_RANK + 1]).is_err());
        assert!(TensorRef::new(TensorType::I32, vec![2], &[0; 7]).is_err());
        assert!(TensorRef::new(TensorType::I32, vec![2], &[0; 8]).is_ok());
        assert!(TensorRef::new(TensorType::I32, vec![0, 5], &[]).is_ok());
    }
}
