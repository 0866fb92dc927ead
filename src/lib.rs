//! libwasinn: the host side of wasi-nn as a library with a C ABI.
//!
//! Layers, each using only the public API of the one below:
//! - [`core`]: pure Rust (tensors, errors, backend traits, graphs, contexts, handle tables,
//!   backend selection, the named-model registry); it names nothing above it and gets its
//!   backends through the hook [`core::loader::set_backend_source`];
//! - [`backends`]: the built-in backends (tract-onnx) and the plugins (`backends::plugin`:
//!   discovery, `dlopen`, ABI negotiation, the adapter); [`backends::install`] fills the core's
//!   hook;
//! - [`capi`]: the handle-based C API (`wasinn_*`), one module per C object;
//! - [`glue`]: ready-made host functions for the legacy `wasi_ephemeral_nn` import module
//!   (`wasinn_witx_*`), decoding guest memory with bounds checks.
#![deny(missing_docs)]

pub mod backends;
pub mod capi;
pub mod core;
pub mod glue;
