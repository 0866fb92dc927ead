//! Ready-made host functions for the legacy `wasi_ephemeral_nn` import module (`wasinn_witx_*`).
//!
//! A runtime creates one [`instance::WitxInstance`] per guest instance (choosing the compat
//! [`profile::Profile`] the guest was compiled for) and forwards each import to the matching
//! `wasinn_witx_*` function with the guest's memory. Layers: [`memory`] (bounds-checked guest
//! memory access), [`profile`] (per-runtime numbering), [`instance`] (handle tables and decoding,
//! a safe Rust API), [`witx`] (the `extern "C"` boundary: panics caught, errno mapped).

pub mod instance;
pub mod memory;
pub mod profile;
pub mod witx;
