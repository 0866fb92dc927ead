//! The core: pure Rust, no C API. Tensors, status/error, the backend traits, graphs and execution
//! contexts, handle tables, backend selection, the named-model registry, and plugin discovery
//! (the one place the core calls C: `dlopen` and the plugin ABI). The C API and the witx glue
//! are thin layers over this module's public API.

pub mod backend;
pub mod error;
pub mod graph;
pub mod handles;
pub mod loader;
pub mod log;
pub mod plugins;
pub mod registry;
pub mod stats;
pub mod tensor;
pub mod types;
