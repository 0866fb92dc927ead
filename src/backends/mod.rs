//! Built-in backends, and the adapter ([`plugin`]) that puts a loaded plugin behind the same
//! traits. tract-onnx is always present: it needs no native library, so a runtime that ships only
//! `libwasinn.so` can still run ONNX models.

use std::sync::{Arc, OnceLock};

use crate::core::backend::Backend;

pub mod plugin;
pub mod tract;

/// The built-in backends, in order of preference.
pub fn builtin() -> &'static [Arc<dyn Backend>] {
    static BUILTIN: OnceLock<Vec<Arc<dyn Backend>>> = OnceLock::new();
    BUILTIN.get_or_init(|| vec![Arc::new(tract::TractBackend::new()) as Arc<dyn Backend>])
}
