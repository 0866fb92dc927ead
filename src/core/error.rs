//! Status codes and the error type every layer returns.
//!
//! Codes 0..=8 are the witx `nn_errno` values, so the `wasi_ephemeral_nn` glue can pass them
//! through unchanged. The streaming statuses 100..=102 are WasmEdge's (and WAMR's) extension
//! errnos with the same numbers ([`STREAM_STATUS_BASE`]). Library-only codes live at
//! [`LIBRARY_STATUS_BASE`] and above; the glue maps every status to a profile's errno explicitly
//! (never by cast).

use std::fmt;

/// First value of the library-only status codes (far from the WasmEdge/WAMR errno extras 100..103).
pub const LIBRARY_STATUS_BASE: u32 = 1000;
/// First value of the streaming statuses, WasmEdge's extension errnos (`end_of_sequence` 100,
/// `context_full` 101, `prompt_too_long` 102).
pub const STREAM_STATUS_BASE: u32 = 100;

/// Outcome of a libwasinn operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Status {
    /// The operation succeeded.
    Success = 0,
    /// An argument was invalid: NULL pointer, unknown enum value, wrong data length, unknown or
    /// freed handle, out-of-range index.
    InvalidArgument = 1,
    /// The model bytes are not a valid model for the requested encoding, or no backend serves the
    /// encoding.
    InvalidEncoding = 2,
    /// A guest memory range was out of bounds (witx glue only).
    MissingMemory = 3,
    /// The resource is busy.
    Busy = 4,
    /// The backend failed while loading or computing; the detailed message has its text.
    RuntimeError = 5,
    /// The operation is not supported (e.g. a GPU target on a CPU-only backend, an element type
    /// the backend cannot handle).
    UnsupportedOperation = 6,
    /// A buffer was too small (the needed size is reported) or a size limit was exceeded.
    TooLarge = 7,
    /// A named model, input or output does not exist.
    NotFound = 8,
    /// Streaming (`compute_single`): generation has ended, no piece was produced by this call.
    /// Not a failure: the stream is over (end-of-sequence token or the generation limit).
    EndOfSequence = STREAM_STATUS_BASE,
    /// The backend's context window is full: generation cannot go on.
    ContextFull = STREAM_STATUS_BASE + 1,
    /// The prompt does not fit the backend's context window.
    PromptTooLong = STREAM_STATUS_BASE + 2,
    /// A Rust panic was caught at the C boundary: a bug in libwasinn or a backend.
    Panic = LIBRARY_STATUS_BASE,
    /// The request would make the host do something a guest must not cause (e.g. read a file
    /// named by model bytes).
    Security = LIBRARY_STATUS_BASE + 1,
    /// A handle table is exhausted (ids are never reused).
    Exhausted = LIBRARY_STATUS_BASE + 2,
}

impl Status {
    /// Every status, in declaration order (used by tests and the C string table).
    pub const ALL: [Status; 15] = [
        Status::Success,
        Status::InvalidArgument,
        Status::InvalidEncoding,
        Status::MissingMemory,
        Status::Busy,
        Status::RuntimeError,
        Status::UnsupportedOperation,
        Status::TooLarge,
        Status::NotFound,
        Status::EndOfSequence,
        Status::ContextFull,
        Status::PromptTooLong,
        Status::Panic,
        Status::Security,
        Status::Exhausted,
    ];

    /// The numeric code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// Converts a numeric code back; `None` for unknown values.
    pub fn from_code(code: u32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// A static, NUL-terminated description of the status.
    pub const fn as_cstr(self) -> &'static std::ffi::CStr {
        match self {
            Status::Success => c"success",
            Status::InvalidArgument => c"invalid argument",
            Status::InvalidEncoding => c"invalid encoding",
            Status::MissingMemory => c"missing memory",
            Status::Busy => c"busy",
            Status::RuntimeError => c"runtime error",
            Status::UnsupportedOperation => c"unsupported operation",
            Status::TooLarge => c"too large",
            Status::NotFound => c"not found",
            Status::EndOfSequence => c"end of sequence",
            Status::ContextFull => c"context full",
            Status::PromptTooLong => c"prompt too long",
            Status::Panic => c"internal error (panic caught at the C boundary)",
            Status::Security => c"refused for security",
            Status::Exhausted => c"handle ids exhausted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_cstr().to_str().unwrap_or("?"))
    }
}

/// An error: a status plus a detailed message (which includes the backend's own text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct Error {
    /// The status code reported to C callers.
    pub status: Status,
    /// Human-readable details.
    pub message: String,
}

impl Error {
    /// Builds an error with a status and message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error { status, message: message.into() }
    }
    /// `InvalidArgument` with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Status::InvalidArgument, message)
    }
    /// `RuntimeError` with a message.
    pub fn runtime(message: impl Into<String>) -> Self {
        Error::new(Status::RuntimeError, message)
    }
    /// `UnsupportedOperation` with a message.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Error::new(Status::UnsupportedOperation, message)
    }
    /// `NotFound` with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(Status::NotFound, message)
    }
    /// `TooLarge` with a message.
    pub fn too_large(message: impl Into<String>) -> Self {
        Error::new(Status::TooLarge, message)
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
