//! The built-in tract-onnx backend (placeholder; being implemented).
use std::sync::Arc;

use crate::core::backend::{Backend, BackendGraph, LoadRequest};
use crate::core::error::{Error, Result};
use crate::core::types::{Encoding, Target};

/// tract-onnx.
pub struct TractBackend;

impl TractBackend {
    /// Creates the backend.
    pub fn new() -> Self {
        TractBackend
    }
}

impl Backend for TractBackend {
    fn name(&self) -> &str {
        "tract"
    }
    fn version(&self) -> &str {
        "0.23.9"
    }
    fn encodings(&self) -> &[Encoding] {
        &[Encoding::Onnx]
    }
    fn targets(&self) -> &[Target] {
        &[Target::Cpu]
    }
    fn load(&self, _request: &LoadRequest<'_>) -> Result<Arc<dyn BackendGraph>> {
        Err(Error::unsupported("not yet"))
    }
}
