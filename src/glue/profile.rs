//! Compat profiles: how each runtime numbers the `wasi_ephemeral_nn` enums and errnos.
//!
//! The same import module is numbered differently by different runtimes, and guests are compiled
//! against one runtime's headers, so the host must speak the numbering of the runtime the guest
//! was built for. A profile is a set of tables (guest number -> core value, core status -> guest
//! errno); nothing is ever cast between numberings. `tests/spec_enums.rs` checks the spec profile
//! and the WIT error-code mapping against the texts in `wit/`; `tests/wamr_headers.rs` checks both
//! WAMR profiles against WAMR's own `wasi_nn_types.h` (parsed from the source archive).
//!
//! | | tensor_type | graph_encoding | errno |
//! |---|---|---|---|
//! | spec (witx) | f16 0 f32 1 f64 2 u8 3 i32 4 i64 5 | witx: ... tensorflowlite 4, autodetect 5 | witx `nn_errno` |
//! | WAMR (2.4 and later) | witx | WIT order: ... ggml 5, autodetect 6 | witx `nn_errno` + the streaming extras 100..102 (its header has them) |
//! | WAMR 2.1-2.3 | WIT order: fp16 0 fp32 1 fp64 2 bf16 3 u8 4 i32 5 i64 6 | WIT order: ... ggml 5, autodetect 6 | WIT `error-code` + 1, success 0 |
//! | WasmEdge | witx | witx + ggml 6 | witx `nn_errno` + end_of_sequence 100, context_full 101, prompt_too_long 102 |
//!
//! WAMR's numbers are those of its `wasi_nn_types.h` when built with `WASM_ENABLE_WASI_EPHEMERAL_NN`.
//! WAMR 2.4.0 (PR #4307, an ABI change in its release notes) moved tensor types and errnos to the
//! witx definitions and kept the WIT-order encodings; before it (2.1-2.3) the header followed the
//! WIT: its `wasi_nn_error` was `success` followed by the WIT `error-code` members, so e.g.
//! `runtime_error` was 4 there but 5 in witx, and tensor types included bf16 3.
//!
//! Errno decisions, the same for every backend (statuses the glue and core produce):
//! - unknown, stale or foreign handle, out-of-range input/output index, wrong tensor size, size
//!   overflow (dims product), rank above the cap, compute before every input is set, get_output
//!   before a successful compute: `invalid_argument`;
//! - unknown encoding number, or no backend for the encoding: `invalid_encoding`; unknown target or
//!   tensor type number: `invalid_argument`;
//! - a guest range outside the guest memory: `missing_memory` (spec, WasmEdge, WAMR 2.4: its enum
//!   has `missing_memory` 3, although WAMR's own host answers `invalid_argument` for a bad address;
//!   `missing_memory` is the more precise witx meaning and what the other witx hosts return),
//!   `invalid_argument` (WAMR 2.1-2.3, which has no `missing_memory` and itself answers
//!   `invalid_argument`);
//! - unknown model name: `not_found`;
//! - output larger than the guest buffer: `too_large` (the needed size is written first);
//! - library-only statuses: `Panic` (a bug caught at the boundary) and `Exhausted` (handle ids used
//!   up) -> `runtime_error`; `Security` (guest model bytes referencing host files) ->
//!   `unsupported_operation` in witx numberings, WAMR 2.4 included (they have no `security`: the
//!   host does not support that kind of model from guest bytes), `security` for WAMR 2.1-2.3 and WIT.
//! - `Busy` -> `busy` where it exists (witx, WAMR 2.4), `runtime_error` elsewhere.
//! - streaming statuses (`compute_single` of a streaming backend such as llama.cpp):
//!   `EndOfSequence`, `ContextFull`, `PromptTooLong` -> WasmEdge's extension errnos 100, 101, 102
//!   in the WasmEdge profile and in the WAMR 2.4 profile (WAMR's `wasi_nn_types.h` declares the
//!   same three, "for WasmEdge-wasi-nn"). The spec witx and WAMR 2.1-2.3 have no such errnos:
//!   there `EndOfSequence` -> `not_found` (no next piece exists; compute_single produces
//!   `not_found` for nothing else, so a guest can tell the end of a stream from a failure, which
//!   `runtime_error` would not let it), `ContextFull` and `PromptTooLong` -> `too_large` (a size
//!   limit of the backend was exceeded: the documented meaning of `too_large`; the message says
//!   which). The WIT `error-code` mapping makes the same choices (`not-found`, `too-large`).

use crate::core::error::{Error, Result, Status};
use crate::core::types::{Encoding, Target, TensorType};

/// `profile` value of `wasinn_witx_instance_new`: the wasi-nn spec's witx numbering.
pub const WASINN_WITX_PROFILE_SPEC: u32 = 0;
/// `profile` value of `wasinn_witx_instance_new`: current WAMR's numbering (2.4.0 and later: witx
/// tensor types and errnos, WIT-order encodings with ggml 5 and autodetect 6).
pub const WASINN_WITX_PROFILE_WAMR: u32 = 1;
/// `profile` value of `wasinn_witx_instance_new`: WasmEdge's numbering (witx order plus ggml 6).
pub const WASINN_WITX_PROFILE_WASMEDGE: u32 = 2;
/// `profile` value of `wasinn_witx_instance_new`: the numbering of WAMR 2.1-2.3 guests (WIT-order
/// tensor types with bf16 3, WIT-order encodings, WIT-based errno with not_found 7, security 8).
pub const WASINN_WITX_PROFILE_WAMR_2_1: u32 = 3;

/// A runtime numbering of the `wasi_ephemeral_nn` ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The spec's `wasi-nn.witx`.
    Spec,
    /// WAMR 2.4 and later (`wasi_nn_types.h` with `WASM_ENABLE_WASI_EPHEMERAL_NN`).
    Wamr,
    /// WasmEdge's wasi-nn plugin.
    WasmEdge,
    /// WAMR 2.1-2.3 (the same header before WAMR PR #4307).
    Wamr21,
}

/// The witx `nn_errno` values (also WasmEdge's `ErrNo` 0..8).
mod witx_errno {
    pub const SUCCESS: u16 = 0;
    pub const INVALID_ARGUMENT: u16 = 1;
    pub const INVALID_ENCODING: u16 = 2;
    pub const MISSING_MEMORY: u16 = 3;
    pub const BUSY: u16 = 4;
    pub const RUNTIME_ERROR: u16 = 5;
    pub const UNSUPPORTED_OPERATION: u16 = 6;
    pub const TOO_LARGE: u16 = 7;
    pub const NOT_FOUND: u16 = 8;
}

/// WasmEdge's extension errnos (also in WAMR 2.4's `wasi_nn_types.h`).
mod stream_errno {
    pub const END_OF_SEQUENCE: u16 = 100;
    pub const CONTEXT_FULL: u16 = 101;
    pub const PROMPT_TOO_LONG: u16 = 102;
}

/// WAMR 2.1-2.3's `wasi_nn_error` values.
mod wamr21_errno {
    pub const SUCCESS: u16 = 0;
    pub const INVALID_ARGUMENT: u16 = 1;
    pub const INVALID_ENCODING: u16 = 2;
    pub const RUNTIME_ERROR: u16 = 4;
    pub const UNSUPPORTED_OPERATION: u16 = 5;
    pub const TOO_LARGE: u16 = 6;
    pub const NOT_FOUND: u16 = 7;
    pub const SECURITY: u16 = 8;
}

const WITX_TENSOR_TYPES: &[TensorType] =
    &[TensorType::Fp16, TensorType::Fp32, TensorType::Fp64, TensorType::U8, TensorType::I32, TensorType::I64];
const WIT_TENSOR_TYPES: &[TensorType] = &[
    TensorType::Fp16,
    TensorType::Fp32,
    TensorType::Fp64,
    TensorType::Bf16,
    TensorType::U8,
    TensorType::I32,
    TensorType::I64,
];
const WITX_ENCODINGS: &[Encoding] = &[
    Encoding::Openvino,
    Encoding::Onnx,
    Encoding::Tensorflow,
    Encoding::Pytorch,
    Encoding::Tensorflowlite,
    Encoding::Autodetect,
];
const WIT_ENCODINGS: &[Encoding] = &[
    Encoding::Openvino,
    Encoding::Onnx,
    Encoding::Tensorflow,
    Encoding::Pytorch,
    Encoding::Tensorflowlite,
    Encoding::Ggml,
    Encoding::Autodetect,
];
const WASMEDGE_ENCODINGS: &[Encoding] = &[
    Encoding::Openvino,
    Encoding::Onnx,
    Encoding::Tensorflow,
    Encoding::Pytorch,
    Encoding::Tensorflowlite,
    Encoding::Autodetect,
    Encoding::Ggml,
];
const TARGETS: &[Target] = &[Target::Cpu, Target::Gpu, Target::Tpu];

/// Element types of WAMR's legacy `wasi_nn` import module by guest number: the `tensor_type` of
/// WAMR's `wasi_nn_types.h` without `WASM_ENABLE_WASI_EPHEMERAL_NN` (fp16 0, fp32 1, up8 2,
/// ip32 3). That module's other enums and its errnos are those of the instance's profile.
pub const LEGACY_WASI_NN_TENSOR_TYPES: &[TensorType] = &[TensorType::Fp16, TensorType::Fp32, TensorType::U8, TensorType::I32];

/// Decodes a legacy `wasi_nn` guest `tensor_type`; unknown values are `InvalidArgument`.
pub fn legacy_wasi_nn_tensor_type(raw: u32) -> Result<TensorType> {
    lookup(LEGACY_WASI_NN_TENSOR_TYPES, raw)
        .ok_or_else(|| Error::invalid(format!("unknown tensor type {raw} of the legacy wasi_nn module")))
}

fn lookup<T: Copy>(table: &[T], raw: u32) -> Option<T> {
    usize::try_from(raw).ok().and_then(|i| table.get(i)).copied()
}

impl Profile {
    /// Every profile, in `WASINN_WITX_PROFILE_*` order.
    pub const ALL: [Profile; 4] = [Profile::Spec, Profile::Wamr, Profile::WasmEdge, Profile::Wamr21];

    /// The profile for a `WASINN_WITX_PROFILE_*` value.
    pub fn from_raw(raw: u32) -> Result<Profile> {
        match raw {
            WASINN_WITX_PROFILE_SPEC => Ok(Profile::Spec),
            WASINN_WITX_PROFILE_WAMR => Ok(Profile::Wamr),
            WASINN_WITX_PROFILE_WASMEDGE => Ok(Profile::WasmEdge),
            WASINN_WITX_PROFILE_WAMR_2_1 => Ok(Profile::Wamr21),
            _ => Err(Error::invalid(format!("unknown witx compat profile {raw}"))),
        }
    }

    /// The `WASINN_WITX_PROFILE_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            Profile::Spec => WASINN_WITX_PROFILE_SPEC,
            Profile::Wamr => WASINN_WITX_PROFILE_WAMR,
            Profile::WasmEdge => WASINN_WITX_PROFILE_WASMEDGE,
            Profile::Wamr21 => WASINN_WITX_PROFILE_WAMR_2_1,
        }
    }

    /// Element types by guest number (the index is the guest's `tensor_type` value).
    pub const fn tensor_types(self) -> &'static [TensorType] {
        match self {
            Profile::Spec | Profile::WasmEdge | Profile::Wamr => WITX_TENSOR_TYPES,
            Profile::Wamr21 => WIT_TENSOR_TYPES,
        }
    }

    /// Encodings by guest number (the index is the guest's `graph_encoding` value).
    pub const fn encodings(self) -> &'static [Encoding] {
        match self {
            Profile::Spec => WITX_ENCODINGS,
            Profile::Wamr | Profile::Wamr21 => WIT_ENCODINGS,
            Profile::WasmEdge => WASMEDGE_ENCODINGS,
        }
    }

    /// Targets by guest number (the same in every profile).
    pub const fn targets(self) -> &'static [Target] {
        TARGETS
    }

    /// Decodes a guest `tensor_type`; unknown values are `InvalidArgument`.
    pub fn tensor_type(self, raw: u32) -> Result<TensorType> {
        lookup(self.tensor_types(), raw)
            .ok_or_else(|| Error::invalid(format!("unknown tensor type {raw} for the {} profile", self.name())))
    }

    /// Decodes a guest `graph_encoding`; unknown values are `InvalidEncoding`.
    pub fn encoding(self, raw: u32) -> Result<Encoding> {
        lookup(self.encodings(), raw).ok_or_else(|| {
            Error::new(Status::InvalidEncoding, format!("unknown graph encoding {raw} for the {} profile", self.name()))
        })
    }

    /// Decodes a guest `execution_target`; unknown values are `InvalidArgument`.
    pub fn target(self, raw: u32) -> Result<Target> {
        lookup(self.targets(), raw)
            .ok_or_else(|| Error::invalid(format!("unknown execution target {raw} for the {} profile", self.name())))
    }

    /// The errno a guest of this profile receives for `status`.
    pub const fn errno(self, status: Status) -> u16 {
        match (self, status) {
            // WasmEdge's extension errnos, which WAMR 2.4's header declares too.
            (Profile::WasmEdge | Profile::Wamr, Status::EndOfSequence) => stream_errno::END_OF_SEQUENCE,
            (Profile::WasmEdge | Profile::Wamr, Status::ContextFull) => stream_errno::CONTEXT_FULL,
            (Profile::WasmEdge | Profile::Wamr, Status::PromptTooLong) => stream_errno::PROMPT_TOO_LONG,
            (Profile::Spec | Profile::WasmEdge | Profile::Wamr, s) => witx_errno(s),
            (Profile::Wamr21, s) => wamr21_errno(s),
        }
    }

    /// Short name, as `wasinn_witx_profile_from_name` and the hosts' `--profile` take it.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Spec => "spec",
            Profile::Wamr => "wamr",
            Profile::WasmEdge => "wasmedge",
            Profile::Wamr21 => "wamr-2.1",
        }
    }

    /// The profile of a short name (`spec`, `wamr`, `wamr-2.1`, `wasmedge`); unknown names are
    /// `InvalidArgument` with the accepted names in the message.
    pub fn from_name(name: &str) -> Result<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
            Error::invalid(format!("unknown witx compat profile name {name:?} (known: {})", names.join(", ")))
        })
    }
}

const fn witx_errno(status: Status) -> u16 {
    use witx_errno::*;
    match status {
        Status::Success => SUCCESS,
        Status::InvalidArgument => INVALID_ARGUMENT,
        Status::InvalidEncoding => INVALID_ENCODING,
        Status::MissingMemory => MISSING_MEMORY,
        Status::Busy => BUSY,
        Status::RuntimeError => RUNTIME_ERROR,
        Status::UnsupportedOperation => UNSUPPORTED_OPERATION,
        Status::TooLarge => TOO_LARGE,
        Status::NotFound => NOT_FOUND,
        // No streaming errnos in the spec: see the module docs.
        Status::EndOfSequence => NOT_FOUND,
        Status::ContextFull | Status::PromptTooLong => TOO_LARGE,
        Status::Panic => RUNTIME_ERROR,
        Status::Security => UNSUPPORTED_OPERATION,
        Status::Exhausted => RUNTIME_ERROR,
    }
}

const fn wamr21_errno(status: Status) -> u16 {
    use wamr21_errno::*;
    match status {
        Status::Success => SUCCESS,
        Status::InvalidArgument => INVALID_ARGUMENT,
        Status::InvalidEncoding => INVALID_ENCODING,
        Status::MissingMemory => INVALID_ARGUMENT,
        Status::Busy => RUNTIME_ERROR,
        Status::RuntimeError => RUNTIME_ERROR,
        Status::UnsupportedOperation => UNSUPPORTED_OPERATION,
        Status::TooLarge => TOO_LARGE,
        Status::NotFound => NOT_FOUND,
        Status::EndOfSequence => NOT_FOUND,
        Status::ContextFull | Status::PromptTooLong => TOO_LARGE,
        Status::Panic => RUNTIME_ERROR,
        Status::Security => SECURITY,
        Status::Exhausted => RUNTIME_ERROR,
    }
}

/// The WIT `error-code` of `wasi:nn@0.2.0-rc-2024-10-28` (for component hosts built on the C API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WitErrorCode {
    /// `invalid-argument`
    InvalidArgument,
    /// `invalid-encoding`
    InvalidEncoding,
    /// `timeout`
    Timeout,
    /// `runtime-error`
    RuntimeError,
    /// `unsupported-operation`
    UnsupportedOperation,
    /// `too-large`
    TooLarge,
    /// `not-found`
    NotFound,
    /// `security`
    Security,
    /// `unknown`
    Unknown,
}

impl WitErrorCode {
    /// Every code, in WIT declaration order.
    pub const ALL: [WitErrorCode; 9] = [
        WitErrorCode::InvalidArgument,
        WitErrorCode::InvalidEncoding,
        WitErrorCode::Timeout,
        WitErrorCode::RuntimeError,
        WitErrorCode::UnsupportedOperation,
        WitErrorCode::TooLarge,
        WitErrorCode::NotFound,
        WitErrorCode::Security,
        WitErrorCode::Unknown,
    ];

    /// The discriminant a component host lowers (the WIT declaration position).
    pub const fn code(self) -> u32 {
        match self {
            WitErrorCode::InvalidArgument => 0,
            WitErrorCode::InvalidEncoding => 1,
            WitErrorCode::Timeout => 2,
            WitErrorCode::RuntimeError => 3,
            WitErrorCode::UnsupportedOperation => 4,
            WitErrorCode::TooLarge => 5,
            WitErrorCode::NotFound => 6,
            WitErrorCode::Security => 7,
            WitErrorCode::Unknown => 8,
        }
    }

    /// The WIT name (kebab-case).
    pub const fn name(self) -> &'static str {
        match self {
            WitErrorCode::InvalidArgument => "invalid-argument",
            WitErrorCode::InvalidEncoding => "invalid-encoding",
            WitErrorCode::Timeout => "timeout",
            WitErrorCode::RuntimeError => "runtime-error",
            WitErrorCode::UnsupportedOperation => "unsupported-operation",
            WitErrorCode::TooLarge => "too-large",
            WitErrorCode::NotFound => "not-found",
            WitErrorCode::Security => "security",
            WitErrorCode::Unknown => "unknown",
        }
    }
}

/// The WIT `error-code` for a status; `None` for `Success` (WIT has no success code). The choices
/// match the WAMR 2.1-2.3 profile's errno (its errno is this code's position plus one).
pub const fn wit_error_code(status: Status) -> Option<WitErrorCode> {
    Some(match status {
        Status::Success => return None,
        Status::InvalidArgument | Status::MissingMemory => WitErrorCode::InvalidArgument,
        Status::InvalidEncoding => WitErrorCode::InvalidEncoding,
        Status::Busy | Status::RuntimeError | Status::Panic | Status::Exhausted => WitErrorCode::RuntimeError,
        Status::UnsupportedOperation => WitErrorCode::UnsupportedOperation,
        Status::TooLarge | Status::ContextFull | Status::PromptTooLong => WitErrorCode::TooLarge,
        Status::NotFound | Status::EndOfSequence => WitErrorCode::NotFound,
        Status::Security => WitErrorCode::Security,
    })
}
