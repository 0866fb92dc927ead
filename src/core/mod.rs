//! The core: pure Rust, no C API, and nothing from the layers above it (backends, C API, glue).
//! Tensors, status/error, the backend traits, graphs and execution contexts, handle tables,
//! backend selection, the named-model registry. The backends reach the loader through the hook
//! [`loader::set_backend_source`] (filled by `wasinn::backends::install`); plugin discovery
//! (loading shared libraries, the plugin ABI) lives in `wasinn::backends::plugin`. The C API and
//! the witx glue are thin layers over this module's public API.

pub mod backend;
pub mod error;
pub mod graph;
pub mod handles;
pub mod limits;
pub mod loader;
pub mod log;
pub mod registry;
pub mod stats;
pub mod tensor;
pub mod types;
