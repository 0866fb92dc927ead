//! Backend selection and model loading: which backend serves an (encoding, target) pair, and how
//! `autodetect` is resolved from the bytes (by sniffing the format, never by trying each backend).

use std::path::Path;
use std::sync::Arc;

use crate::core::backend::{Backend, LoadRequest};
use crate::core::error::{Error, Result, Status};
use crate::core::graph::Graph;
use crate::core::types::{Encoding, Target};

/// The backends available to this process, in order of preference.
pub fn backends() -> &'static [Arc<dyn Backend>] {
    crate::backends::builtin()
}

/// Guesses the encoding of a model from its bytes.
pub fn detect_encoding(builders: &[&[u8]]) -> Result<Encoding> {
    let first = builders.first().copied().unwrap_or_default();
    let trimmed = first.trim_ascii_start();
    if trimmed.starts_with(b"<?xml") || trimmed.starts_with(b"<net") {
        return Ok(Encoding::Openvino);
    }
    if first.len() >= 8 && &first[4..8] == b"TFL3" {
        return Ok(Encoding::Tensorflowlite);
    }
    // ONNX ModelProto starts with one of its top-level fields: ir_version (1, varint), producer_name
    // (2), opset_import (8) or graph (7), each a protobuf key byte.
    if builders.len() == 1 && matches!(first.first(), Some(0x08 | 0x12 | 0x1a | 0x22 | 0x3a | 0x42)) {
        return Ok(Encoding::Onnx);
    }
    Err(Error::new(Status::InvalidEncoding, "autodetect: the bytes are not ONNX, OpenVINO IR or TFLite"))
}

/// Loads a model with the first backend that serves its encoding and target.
///
/// `model_dir` is `Some` only for models the host itself read from disk; for every other source
/// the backend must refuse references to host files.
pub fn load(builders: &[&[u8]], encoding: Encoding, target: Target, model_dir: Option<&Path>) -> Result<Arc<Graph>> {
    if builders.is_empty() {
        return Err(Error::invalid("no graph builders given"));
    }
    let encoding = match encoding {
        Encoding::Autodetect => detect_encoding(builders)?,
        e => e,
    };
    let mut serving = backends().iter().filter(|b| b.encodings().contains(&encoding)).peekable();
    if serving.peek().is_none() {
        return Err(Error::new(Status::InvalidEncoding, format!("no backend serves the {encoding} encoding")));
    }
    let backend = serving
        .find(|b| target == Target::Auto || b.targets().contains(&target))
        .ok_or_else(|| Error::unsupported(format!("no backend runs {encoding} models on the {target} target")))?;
    let target = if target == Target::Auto { backend.targets()[0] } else { target };
    let request = LoadRequest { builders, encoding, target, model_dir };
    let inner = backend.load(&request)?;
    Ok(Arc::new(Graph::new(backend.name(), encoding, target, inner)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(detect_encoding(&[b"<?xml version", b"w"]).unwrap(), Encoding::Openvino);
        assert_eq!(detect_encoding(&[b"\x1c\0\0\0TFL3...."]).unwrap(), Encoding::Tensorflowlite);
        assert_eq!(detect_encoding(&[b"\x08\x07\x12\x04"]).unwrap(), Encoding::Onnx);
        assert_eq!(detect_encoding(&[b"hello"]).unwrap_err().status, Status::InvalidEncoding);
        assert_eq!(detect_encoding(&[]).unwrap_err().status, Status::InvalidEncoding);
    }
}
