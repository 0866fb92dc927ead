//! The core: pure Rust, no FFI. Tensors, status/error, the backend traits, graphs and execution
//! contexts, handle tables, backend selection and the named-model registry. The C API and the witx
//! glue are thin layers over this module's public API.

pub mod backend;
pub mod error;
pub mod graph;
pub mod handles;
pub mod loader;
pub mod registry;
pub mod tensor;
pub mod types;
