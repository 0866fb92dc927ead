//! Built-in backends, and the plugins ([`plugin`]: discovery, `dlopen`, ABI negotiation, and the
//! adapter that puts a loaded plugin behind the same traits); [`install`] hands them to the core's
//! loader. tract-onnx is always present: it needs no native library, so a runtime that ships only
//! `libwasinn.so` can still run ONNX models.

use std::sync::{Arc, OnceLock};

use crate::core::backend::Backend;

pub mod plugin;
pub mod tract;

/// Installs this layer's backends (the built-in ones, then the plugins found by
/// [`plugin::discovery`]) as the core loader's backend source. Idempotent and cheap (one atomic
/// load once installed): every C API and glue call runs it first, through `capi::ffi::catch`;
/// Rust code that uses `wasinn::core` directly calls it before its first load.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        crate::core::loader::set_backend_source(all);
    });
}

/// Every available backend: the built-in ones, then the accepted plugins in discovery order.
fn all() -> Vec<Arc<dyn Backend>> {
    let mut all: Vec<Arc<dyn Backend>> = builtin().to_vec();
    all.extend(plugin::discovery::loaded());
    all
}

/// The built-in backends, in order of preference.
pub fn builtin() -> &'static [Arc<dyn Backend>] {
    static BUILTIN: OnceLock<Vec<Arc<dyn Backend>>> = OnceLock::new();
    BUILTIN.get_or_init(|| vec![Arc::new(tract::TractBackend::new()) as Arc<dyn Backend>])
}
