//! Backend selection and model loading: which backend serves an (encoding, target) pair, and how
//! `autodetect` is resolved from the bytes (by sniffing the format, never by trying each backend).
//!
//! Selection, per load:
//! 1. an explicit backend name ([`LoadOptions::backend`], else the `WASINN_BACKEND` environment
//!    variable) uses that backend or fails: a host can pin every load, guests' included, to one
//!    backend without any silent fallback;
//! 2. otherwise the available backends serving the encoding are ordered by the preference list
//!    and the first one running the requested target is used (no fallback to another backend
//!    when that one then fails to load the model: errors stay the chosen backend's).
//!
//! The preference list is, from highest priority: the list set with [`set_preference`], else
//! the `WASINN_BACKEND_PREFERENCE` environment variable (comma-separated backend names), else
//! [`DEFAULT_PREFERENCE`] (`onnxruntime`, `openvino`, `tract`: for ONNX, ONNX Runtime when its
//! plugin is installed, else OpenVINO, else the built-in tract). Backends the list does not name
//! come after the named ones, built-ins first then plugins in discovery order.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

use crate::core::backend::{Backend, LoadRequest};
use crate::core::error::{Error, Result, Status};
use crate::core::graph::Graph;
use crate::core::types::{Encoding, Target};

/// The default backend preference, highest first.
pub const DEFAULT_PREFERENCE: &[&str] = &["onnxruntime", "openvino", "tract"];

/// Environment variable overriding the preference (comma-separated backend names).
pub const PREFERENCE_ENV: &str = "WASINN_BACKEND_PREFERENCE";

/// Environment variable naming the one backend every load must use (when no explicit backend is
/// given through the API).
pub const BACKEND_ENV: &str = "WASINN_BACKEND";

static PREFERENCE: RwLock<Option<Vec<String>>> = RwLock::new(None);

/// Sets the backend preference for this process (highest first); `None` restores the
/// environment/default list.
pub fn set_preference(names: Option<Vec<String>>) {
    *PREFERENCE.write() = names;
}

/// The preference list in force (highest first).
pub fn preference() -> Vec<String> {
    if let Some(p) = PREFERENCE.read().as_ref() {
        return p.clone();
    }
    if let Ok(v) = std::env::var(PREFERENCE_ENV) {
        let list: Vec<String> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if !list.is_empty() {
            return list;
        }
    }
    DEFAULT_PREFERENCE.iter().map(|s| s.to_string()).collect()
}

/// The hook through which the layer above the core (`wasinn::backends::install`) gives the loader
/// its backends: returns every available backend, built-in ones first, then plugins in discovery
/// order. The core never names a backend itself.
pub type BackendSource = fn() -> Vec<Arc<dyn Backend>>;

static SOURCE: OnceLock<BackendSource> = OnceLock::new();

/// Installs the backend source, once per process; returns `false` (and keeps the first) when one
/// is already installed. Every C API and glue call installs `wasinn::backends::install`'s source
/// first; Rust code using the core directly calls `wasinn::backends::install()`.
pub fn set_backend_source(source: BackendSource) -> bool {
    SOURCE.set(source).is_ok()
}

/// The backends available to this process (built-in, then plugins), in order of preference.
/// Empty until a backend source is installed ([`set_backend_source`]).
pub fn backends() -> Vec<Arc<dyn Backend>> {
    let Some(source) = SOURCE.get() else {
        crate::wasinn_log!(Warn, "load: no backend source is installed (call wasinn::backends::install())");
        return Vec::new();
    };
    let mut all: Vec<Arc<dyn Backend>> = source();
    let pref = preference();
    // Stable sort: unnamed backends keep their built-in-then-discovery order after the named ones.
    all.sort_by_key(|b| pref.iter().position(|p| p == b.name()).unwrap_or(usize::MAX));
    all
}

/// Options of [`load_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions<'a> {
    /// Use exactly this backend (by name) instead of the preference order.
    pub backend: Option<&'a str>,
    /// Directory the host read the model from (see [`load`]).
    pub model_dir: Option<&'a Path>,
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

/// Loads a model with the preferred backend that serves its encoding and target.
///
/// `model_dir` is `Some` only for models the host itself read from disk; for every other source
/// the backend must refuse references to host files.
pub fn load(builders: &[&[u8]], encoding: Encoding, target: Target, model_dir: Option<&Path>) -> Result<Arc<Graph>> {
    load_with(builders, encoding, target, &LoadOptions { backend: None, model_dir })
}

/// Loads a model, optionally with an explicitly named backend.
pub fn load_with(builders: &[&[u8]], encoding: Encoding, target: Target, options: &LoadOptions<'_>) -> Result<Arc<Graph>> {
    if builders.is_empty() {
        return Err(Error::invalid("no graph builders given"));
    }
    let encoding = match encoding {
        Encoding::Autodetect => {
            let e = detect_encoding(builders)?;
            crate::wasinn_log!(Debug, "load: autodetect: the bytes are {e}");
            e
        }
        e => e,
    };
    let all = backends();
    let env_backend = std::env::var(BACKEND_ENV).ok().filter(|s| !s.is_empty());
    let why;
    let backend = match options.backend.or(env_backend.as_deref()) {
        Some(name) => {
            why = if options.backend.is_some() {
                "named by the caller".to_string()
            } else {
                format!("named by {BACKEND_ENV}")
            };
            let b = all.iter().find(|b| b.name() == name).ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|b| b.name()).collect();
                Error::not_found(format!("no backend named {name:?} is available (available: {names:?})"))
            })?;
            if !b.encodings().contains(&encoding) {
                return Err(Error::new(
                    Status::InvalidEncoding,
                    format!("the {name} backend does not load {encoding} models"),
                ));
            }
            if target != Target::Auto && !b.targets().contains(&target) {
                return Err(Error::unsupported(format!("the {name} backend does not run on the {target} target")));
            }
            b
        }
        None => {
            let mut serving = all.iter().filter(|b| b.encodings().contains(&encoding)).peekable();
            if serving.peek().is_none() {
                if SOURCE.get().is_none() {
                    return Err(Error::runtime("no backend source is installed: call wasinn::backends::install() first"));
                }
                return Err(Error::new(Status::InvalidEncoding, format!("no backend serves the {encoding} encoding")));
            }
            let b = serving
                .find(|b| target == Target::Auto || b.targets().contains(&target))
                .ok_or_else(|| Error::unsupported(format!("no backend runs {encoding} models on the {target} target")))?;
            why = if crate::core::log::enabled(crate::core::log::Level::Info) {
                let order: Vec<&str> = all.iter().map(|b| b.name()).collect();
                format!("first serving {encoding} on {target} in preference order {order:?}")
            } else {
                String::new()
            };
            b
        }
    };
    let target = if target == Target::Auto { backend.targets()[0] } else { target };
    crate::wasinn_log!(
        Info,
        "load: encoding {encoding}, target {target}: backend {} ({why})",
        backend.name()
    );
    let request = LoadRequest { builders, encoding, target, model_dir: options.model_dir };
    let started = std::time::Instant::now();
    let inner = match backend.load(&request) {
        Ok(g) => g,
        Err(e) => {
            crate::wasinn_log!(
                Info,
                "load: the {} backend failed after {:.1} ms: {}",
                backend.name(),
                started.elapsed().as_secs_f64() * 1e3,
                e.message
            );
            return Err(e);
        }
    };
    crate::wasinn_log!(
        Info,
        "load: the {} backend loaded the {encoding} model in {:.1} ms",
        backend.name(),
        started.elapsed().as_secs_f64() * 1e3
    );
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
