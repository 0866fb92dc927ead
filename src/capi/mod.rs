//! The handle-based C API (`wasinn_*`), one module per C object. Every function here is a thin
//! wrapper over [`crate::core`], run inside the [`ffi::boundary`].
//!
//! Invariants shared by every module:
//! - all handle tables draw their ids from the one [`IDS`] source, so an id issued for one kind of
//!   object (graph, context, output list) is never a valid id of another kind, and ids are never
//!   reused;
//! - a table lock is held only to look an id up: the `Arc` is cloned and the work (loading,
//!   compute) runs with no global lock held;
//! - outputs are written only on success, except the needed sizes (`out_len`, `out_rank`) that a
//!   function documents as always written.
//!
//! Every item is re-exported here, so Rust callers can `use wasinn::capi::*`.

use crate::core::handles::IdSource;

pub mod backends;
pub mod exec_ctx;
pub mod ffi;
pub mod graph;
pub mod limits;
pub mod log;
pub mod outputs;
pub mod registry;
pub mod stats;
pub mod status;
pub mod tensor;

pub use backends::*;
pub use exec_ctx::*;
pub use graph::*;
pub use limits::*;
pub use log::*;
pub use outputs::*;
pub use registry::*;
pub use stats::*;
pub use status::*;
pub use tensor::*;

/// The id source of every C API handle table (graphs, execution contexts, output lists).
/// `u64::MAX` is never issued, so C code may use it (like 0) as a sentinel.
pub(crate) static IDS: IdSource = IdSource::new(u64::MAX - 1);
