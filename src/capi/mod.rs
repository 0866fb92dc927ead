//! The handle-based C API (`wasinn_*`), one module per C object. Every function here is a thin
//! wrapper over [`crate::core`], run inside the [`ffi::boundary`].

pub mod ffi;
