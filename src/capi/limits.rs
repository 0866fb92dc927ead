//! Limits (`wasinn_limits_t`): the process default, used by the C API's buffer-taking calls and
//! copied into each new witx glue instance. A thin wrapper over [`crate::core::limits`]; the
//! per-instance get/set live with the glue (`wasinn_witx_instance_{get,set}_limits`).
//!
//! The struct is append-only: the caller sets `struct_size = sizeof(wasinn_limits_t)`, and the
//! library reads and writes only the fields that size covers and it knows.

use crate::capi::ffi::{self, boundary};
use crate::capi::status::wasinn_status_t;
use crate::core::error::{Error, Result};
use crate::core::limits::Limits;

/// Limits on what a caller may ask of the host; each is refused with `WASINN_STATUS_TOO_LARGE`
/// (witx glue: the profile's `too_large` errno) and a message naming the limit and the value.
///
/// Defaults (`WASINN_MAX_*` environment variables override them in the process default: a count
/// with an optional `K`/`M`/`G`/`T` (or `KiB`...) suffix, or `unlimited`; a bad value logs a
/// warning and keeps the default): model 4 GiB, tensor 1 GiB, rank 16, 1024 graphs and 4096
/// contexts per glue instance, names 4096 bytes, config 1 MiB. See SECURITY.md.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wasinn_limits {
    /// `sizeof(wasinn_limits_t)` as the caller compiled it: set it before every call.
    pub struct_size: usize,
    /// Most model bytes in one load, all builders together (`WASINN_MAX_MODEL_BYTES`).
    pub max_model_bytes: u64,
    /// Most data bytes of one input tensor (`WASINN_MAX_TENSOR_BYTES`).
    pub max_tensor_bytes: u64,
    /// Highest input tensor rank, at most 32 (`WASINN_MAX_RANK`).
    pub max_rank: u32,
    /// Most live graph handles per witx glue instance (`WASINN_MAX_GRAPHS`).
    pub max_graphs: u32,
    /// Most live execution-context handles per witx glue instance (`WASINN_MAX_CONTEXTS`).
    pub max_contexts: u32,
    /// Longest model, input or output name in bytes (`WASINN_MAX_NAME_BYTES`).
    pub max_name_bytes: u32,
    /// Longest `load_by_name_with_config` config in bytes (`WASINN_MAX_CONFIG_BYTES`).
    pub max_config_bytes: u32,
}

/// See `struct wasinn_limits`.
#[allow(non_camel_case_types)]
pub type wasinn_limits_t = wasinn_limits;

/// Size of the first version of `wasinn_limits_t` (the fields above).
const V1_SIZE: usize = std::mem::size_of::<wasinn_limits>();

fn check_size(size: usize) -> Result<()> {
    if size < V1_SIZE {
        return Err(Error::invalid(format!("struct_size {size} is smaller than wasinn_limits_t's first version ({V1_SIZE} bytes)")));
    }
    Ok(())
}

impl From<&Limits> for wasinn_limits {
    /// The C struct of `l`, `struct_size` set to this version's size.
    fn from(l: &Limits) -> Self {
        wasinn_limits {
            struct_size: V1_SIZE,
            max_model_bytes: l.max_model_bytes,
            max_tensor_bytes: l.max_tensor_bytes,
            max_rank: l.max_rank,
            max_graphs: l.max_graphs,
            max_contexts: l.max_contexts,
            max_name_bytes: l.max_name_bytes,
            max_config_bytes: l.max_config_bytes,
        }
    }
}

impl From<&wasinn_limits> for Limits {
    /// The limits a C struct holds (not validated: see [`Limits::validate`]).
    fn from(c: &wasinn_limits) -> Self {
        Limits {
            max_model_bytes: c.max_model_bytes,
            max_tensor_bytes: c.max_tensor_bytes,
            max_rank: c.max_rank,
            max_graphs: c.max_graphs,
            max_contexts: c.max_contexts,
            max_name_bytes: c.max_name_bytes,
            max_config_bytes: c.max_config_bytes,
        }
    }
}

/// Reads a C limits struct.
///
/// # Safety
/// `p` must be NULL or valid for reads of `p->struct_size` bytes.
pub(crate) unsafe fn read(p: *const wasinn_limits_t) -> Result<Limits> {
    // SAFETY: forwarded contract.
    let c = unsafe { ffi::arg_ref(p, "limits") }?;
    check_size(c.struct_size)?;
    let l = Limits::from(c);
    l.validate()?;
    Ok(l)
}

/// Writes `l` into a C limits struct (its `struct_size` is kept).
///
/// # Safety
/// `p` must be NULL or valid for reads and writes of `p->struct_size` bytes.
pub(crate) unsafe fn write(p: *mut wasinn_limits_t, l: &Limits) -> Result<()> {
    // SAFETY: forwarded contract.
    let c = unsafe { ffi::arg_out(p, "out") }?;
    check_size(c.struct_size)?;
    *c = wasinn_limits { struct_size: c.struct_size, ..wasinn_limits::from(l) };
    Ok(())
}

/// Writes the process default limits in force (the last `wasinn_limits_set_default`, else the
/// built-in defaults with the `WASINN_MAX_*` overrides) into `*out`.
///
/// The caller owns `*out` and sets `out->struct_size = sizeof(wasinn_limits_t)` first; only the
/// fields that size covers are written. Returns `WASINN_STATUS_INVALID_ARGUMENT` when `out` is
/// NULL or its `struct_size` is too small (nothing written). Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for reads and writes of `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_limits_get_default(out: *mut wasinn_limits_t) -> wasinn_status_t {
    // SAFETY: forwarded contract.
    boundary(|| unsafe { write(out, &Limits::process()) })
}

/// Sets the process default limits: checked by the C API's calls (`wasinn_graph_load*`,
/// `wasinn_exec_ctx_set_input*`, names) from now on, and copied into witx glue instances created
/// from now on (existing instances keep theirs). NULL restores the built-in defaults with the
/// `WASINN_MAX_*` overrides.
///
/// `limits` is borrowed for the call. Returns `WASINN_STATUS_INVALID_ARGUMENT` when its
/// `struct_size` is too small or `max_rank` is above 32 (nothing changed). Thread-safe; a call
/// running concurrently sees the old or the new limits.
///
/// # Safety
/// `limits` must be NULL or valid for reads of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_limits_set_default(limits: *const wasinn_limits_t) -> wasinn_status_t {
    boundary(|| {
        let l = if limits.is_null() {
            None
        } else {
            // SAFETY: forwarded contract.
            Some(unsafe { read(limits) }?)
        };
        Limits::set_process(l)
    })
}
