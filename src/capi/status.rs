//! Status codes, status strings, the per-thread last error and the library version.
//!
//! The `WASINN_STATUS_*` constants are copies of [`Status`] for the C header (cbindgen can only
//! emit literal values); a compile-time assertion below ties each to its variant and the tests
//! check that every variant has one, so the two lists cannot drift apart.
//!
//! The functions here do not run inside [`ffi::boundary`]: they return strings or sizes rather
//! than a status, and reading the last error must not clear it.

use std::ffi::c_char;

use crate::capi::ffi;
use crate::core::error::Status;

/// A status code returned by every fallible `wasinn_*` function: `WASINN_STATUS_SUCCESS` (0) or an
/// error. Codes 0..8 equal the wasi-nn witx `nn_errno` values; 100..102 are the streaming
/// statuses, equal to WasmEdge's extension errnos; library-only codes start at 1000.
#[allow(non_camel_case_types)]
pub type wasinn_status_t = u32;

/// The call succeeded.
pub const WASINN_STATUS_SUCCESS: wasinn_status_t = 0;
/// An argument was invalid: a NULL pointer, an unknown enum value, a wrong data length, an
/// unknown or freed handle, an out-of-range index.
pub const WASINN_STATUS_INVALID_ARGUMENT: wasinn_status_t = 1;
/// The model bytes are not a valid model for the requested encoding, or no backend serves it.
pub const WASINN_STATUS_INVALID_ENCODING: wasinn_status_t = 2;
/// A guest memory range was out of bounds (witx glue only).
pub const WASINN_STATUS_MISSING_MEMORY: wasinn_status_t = 3;
/// The resource is busy.
pub const WASINN_STATUS_BUSY: wasinn_status_t = 4;
/// The backend failed while loading or computing; the last error message has its text.
pub const WASINN_STATUS_RUNTIME_ERROR: wasinn_status_t = 5;
/// The operation is not supported (e.g. a GPU target on a CPU-only backend).
pub const WASINN_STATUS_UNSUPPORTED_OPERATION: wasinn_status_t = 6;
/// A caller buffer was too small (the needed size is reported) or a size limit was exceeded.
pub const WASINN_STATUS_TOO_LARGE: wasinn_status_t = 7;
/// A named model, input or output does not exist.
pub const WASINN_STATUS_NOT_FOUND: wasinn_status_t = 8;
/// Streaming (`wasinn_exec_ctx_compute_single`): generation has ended and this call produced no
/// piece. Not a failure: the stream is over. WasmEdge's `end_of_sequence` errno.
pub const WASINN_STATUS_END_OF_SEQUENCE: wasinn_status_t = 100;
/// The backend's context window is full: generation cannot go on (WasmEdge's `context_full`).
pub const WASINN_STATUS_CONTEXT_FULL: wasinn_status_t = 101;
/// The prompt does not fit the backend's context window (WasmEdge's `prompt_too_long`).
pub const WASINN_STATUS_PROMPT_TOO_LONG: wasinn_status_t = 102;
/// A Rust panic was caught at the C boundary: a bug in libwasinn or a backend.
pub const WASINN_STATUS_PANIC: wasinn_status_t = 1000;
/// Refused for security (e.g. model bytes referencing host files).
pub const WASINN_STATUS_SECURITY: wasinn_status_t = 1001;
/// A handle table is exhausted (ids are never reused).
pub const WASINN_STATUS_EXHAUSTED: wasinn_status_t = 1002;

const _: () = {
    assert!(WASINN_STATUS_SUCCESS == Status::Success.code());
    assert!(WASINN_STATUS_INVALID_ARGUMENT == Status::InvalidArgument.code());
    assert!(WASINN_STATUS_INVALID_ENCODING == Status::InvalidEncoding.code());
    assert!(WASINN_STATUS_MISSING_MEMORY == Status::MissingMemory.code());
    assert!(WASINN_STATUS_BUSY == Status::Busy.code());
    assert!(WASINN_STATUS_RUNTIME_ERROR == Status::RuntimeError.code());
    assert!(WASINN_STATUS_UNSUPPORTED_OPERATION == Status::UnsupportedOperation.code());
    assert!(WASINN_STATUS_TOO_LARGE == Status::TooLarge.code());
    assert!(WASINN_STATUS_NOT_FOUND == Status::NotFound.code());
    assert!(WASINN_STATUS_END_OF_SEQUENCE == Status::EndOfSequence.code());
    assert!(WASINN_STATUS_CONTEXT_FULL == Status::ContextFull.code());
    assert!(WASINN_STATUS_PROMPT_TOO_LONG == Status::PromptTooLong.code());
    assert!(WASINN_STATUS_PANIC == Status::Panic.code());
    assert!(WASINN_STATUS_SECURITY == Status::Security.code());
    assert!(WASINN_STATUS_EXHAUSTED == Status::Exhausted.code());
};

/// The C name and value of the constant for `status` (exhaustive, so a new variant fails to
/// compile until it gets its constant).
pub fn status_constant(status: Status) -> (&'static str, wasinn_status_t) {
    match status {
        Status::Success => ("WASINN_STATUS_SUCCESS", WASINN_STATUS_SUCCESS),
        Status::InvalidArgument => ("WASINN_STATUS_INVALID_ARGUMENT", WASINN_STATUS_INVALID_ARGUMENT),
        Status::InvalidEncoding => ("WASINN_STATUS_INVALID_ENCODING", WASINN_STATUS_INVALID_ENCODING),
        Status::MissingMemory => ("WASINN_STATUS_MISSING_MEMORY", WASINN_STATUS_MISSING_MEMORY),
        Status::Busy => ("WASINN_STATUS_BUSY", WASINN_STATUS_BUSY),
        Status::RuntimeError => ("WASINN_STATUS_RUNTIME_ERROR", WASINN_STATUS_RUNTIME_ERROR),
        Status::UnsupportedOperation => ("WASINN_STATUS_UNSUPPORTED_OPERATION", WASINN_STATUS_UNSUPPORTED_OPERATION),
        Status::TooLarge => ("WASINN_STATUS_TOO_LARGE", WASINN_STATUS_TOO_LARGE),
        Status::NotFound => ("WASINN_STATUS_NOT_FOUND", WASINN_STATUS_NOT_FOUND),
        Status::EndOfSequence => ("WASINN_STATUS_END_OF_SEQUENCE", WASINN_STATUS_END_OF_SEQUENCE),
        Status::ContextFull => ("WASINN_STATUS_CONTEXT_FULL", WASINN_STATUS_CONTEXT_FULL),
        Status::PromptTooLong => ("WASINN_STATUS_PROMPT_TOO_LONG", WASINN_STATUS_PROMPT_TOO_LONG),
        Status::Panic => ("WASINN_STATUS_PANIC", WASINN_STATUS_PANIC),
        Status::Security => ("WASINN_STATUS_SECURITY", WASINN_STATUS_SECURITY),
        Status::Exhausted => ("WASINN_STATUS_EXHAUSTED", WASINN_STATUS_EXHAUSTED),
    }
}

const VERSION: &std::ffi::CStr =
    match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(s) => s,
        Err(_) => panic!("the crate version contains a NUL"),
    };

/// Returns the library version as `"major.minor.patch"`, equal to `WASINN_VERSION_STRING` of the
/// header the library was built with (compare them to detect a header/library mismatch).
///
/// Ownership: a static string owned by the library; never NULL, never free it.
/// Thread safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn wasinn_version() -> *const c_char {
    VERSION.as_ptr()
}

/// Returns a static description of `status`, or `"unknown status"` for a code the library does
/// not define.
///
/// Ownership: a static string owned by the library; never NULL, never free it.
/// Thread safety: may be called from any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn wasinn_status_str(status: wasinn_status_t) -> *const c_char {
    Status::from_code(status).map_or(c"unknown status", Status::as_cstr).as_ptr()
}

/// Copies the detailed message of this thread's last failed call into `buf`, NUL-terminated and
/// truncated to `buf_len - 1` bytes (at a UTF-8 character boundary).
///
/// Returns the length in bytes of the full message, excluding the NUL, so a caller can retry
/// with a buffer of the returned length + 1. Returns 0 and writes `buf[0] = 0` (when `buf_len` is
/// not 0) when the last call on this thread succeeded or no call failed yet.
///
/// `buf` may be NULL only when `buf_len` is 0 (then only the length is returned); a NULL `buf`
/// with a non-zero `buf_len` is treated as `buf_len` 0.
/// Ownership: `buf` is owned by the caller and only borrowed during the call.
/// Thread safety: the last error is per thread; every successful `wasinn_*` call returning a
/// status clears it, and this function does not change it.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn wasinn_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    let buf = buf.cast::<u8>();
    // No status to return, so a (theoretical) panic, e.g. thread-local access during thread
    // teardown, is reported as "no message" rather than unwinding into C.
    ffi::catch(|| {
        Ok(ffi::with_last_error(|e| {
            let msg = e.map_or("", |e| e.message.as_str());
            if !buf.is_null() && buf_len > 0 {
                let mut n = msg.len().min(buf_len - 1);
                while !msg.is_char_boundary(n) {
                    n -= 1;
                }
                // SAFETY: buf is valid for buf_len > n bytes by contract; the regions are distinct.
                unsafe {
                    std::ptr::copy_nonoverlapping(msg.as_ptr(), buf, n);
                    *buf.add(n) = 0;
                }
            }
            msg.len()
        }))
    })
    .unwrap_or(0)
}

/// Returns the status of this thread's last failed call, or `WASINN_STATUS_SUCCESS` when the
/// last call succeeded or no call failed yet.
///
/// Thread safety: the last error is per thread; this function does not change it.
#[no_mangle]
pub extern "C" fn wasinn_last_error_status() -> wasinn_status_t {
    ffi::catch(|| Ok(ffi::with_last_error(|e| e.map_or(Status::Success, |e| e.status).code())))
        .unwrap_or(Status::Panic.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_constant() {
        for s in Status::ALL {
            let (name, value) = status_constant(s);
            assert_eq!(value, s.code(), "{name}");
            let screaming: String = format!("{s:?}")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter().chain(std::iter::once(c.to_ascii_uppercase()))
                })
                .collect();
            assert_eq!(name, format!("WASINN_STATUS_{screaming}"));
        }
    }
}
