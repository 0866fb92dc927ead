//! Diagnostics: the log callback. A thin wrapper over [`crate::core::log`].
//!
//! The library logs plugin discovery (each candidate examined, accepted or rejected with its
//! reason), backend selection per load (encoding, target, the chosen backend and why), model load
//! times and registry preloads. Without a callback, the `WASINN_LOG` environment variable
//! (`off`, `error`, `warn`, `info`, `debug`) sends messages up to that level to stderr, one line
//! each, prefixed with `wasinn: `.

use std::ffi::{c_char, c_void};

use crate::capi::ffi::boundary;
use crate::capi::status::wasinn_status_t;
use crate::core::error::Error;
use crate::core::log::{self, Level};

/// Log level: failures.
pub const WASINN_LOG_LEVEL_ERROR: u32 = 1;
/// Log level: unexpected events that do not stop the operation (e.g. a rejected plugin).
pub const WASINN_LOG_LEVEL_WARN: u32 = 2;
/// Log level: backend selection, model loads and their times, plugins accepted.
pub const WASINN_LOG_LEVEL_INFO: u32 = 3;
/// Log level: everything, including each plugin candidate examined.
pub const WASINN_LOG_LEVEL_DEBUG: u32 = 4;

const _: () = {
    assert!(WASINN_LOG_LEVEL_ERROR == Level::Error as u32);
    assert!(WASINN_LOG_LEVEL_WARN == Level::Warn as u32);
    assert!(WASINN_LOG_LEVEL_INFO == Level::Info as u32);
    assert!(WASINN_LOG_LEVEL_DEBUG == Level::Debug as u32);
};

/// A log callback: receives the message's level (`WASINN_LOG_LEVEL_*`), its text (UTF-8, not
/// NUL-terminated, `message_len` bytes, valid only during the call: copy it to keep it) and the
/// `user_data` given to `wasinn_set_log_callback`.
#[allow(non_camel_case_types)]
pub type wasinn_log_fn =
    Option<unsafe extern "C" fn(level: u32, message: *const c_char, message_len: usize, user_data: *mut c_void)>;

/// Sets the process-wide log callback: every message of level `max_level` or more severe
/// (`WASINN_LOG_LEVEL_ERROR` 1 .. `WASINN_LOG_LEVEL_DEBUG` 4; 0 receives nothing) is passed to
/// `callback` with `user_data`, instead of the `WASINN_LOG` stderr output.
///
/// A NULL `callback` removes the callback and restores the default behaviour: messages go to
/// stderr (prefixed `wasinn: `) up to the level the `WASINN_LOG` environment variable names
/// (`off`, `error`, `warn`, `info` or `debug`; read once, at the first message), or nowhere when
/// it is unset. `max_level` and `user_data` are then ignored.
///
/// Thread safety: may be called from any thread. Messages are emitted by the thread doing the
/// work, so the callback may be called from any thread, and concurrently from several; it must
/// be thread-safe, as must whatever `user_data` points to. Once this function returns, the
/// previous callback is no longer called (calls already in progress finish first: this function
/// waits for them). The callback may call other `wasinn_*` functions, but not
/// `wasinn_set_log_callback` (that deadlocks). It must not unwind (C++ exceptions, longjmp).
/// Cost: with no callback and `WASINN_LOG` unset, a message costs one atomic load.
/// Ownership: `user_data` is the caller's, handed back unchanged; it must stay valid until the
/// callback is replaced or removed.
///
/// Returns `WASINN_STATUS_SUCCESS`; `INVALID_ARGUMENT` for a `max_level` above
/// `WASINN_LOG_LEVEL_DEBUG` (with a non-NULL callback; nothing changes); `PANIC`.
///
/// # Safety
/// `callback` must be NULL or a function of the `wasinn_log_fn` type that is safe to call from
/// any thread with `user_data`, until replaced.
#[no_mangle]
pub unsafe extern "C" fn wasinn_set_log_callback(
    callback: wasinn_log_fn,
    user_data: *mut c_void,
    max_level: u32,
) -> wasinn_status_t {
    boundary(|| {
        if callback.is_some() && max_level > WASINN_LOG_LEVEL_DEBUG {
            return Err(Error::invalid(format!(
                "max_level {max_level} is not a log level (0 .. WASINN_LOG_LEVEL_DEBUG = {WASINN_LOG_LEVEL_DEBUG})"
            )));
        }
        log::set_callback(callback, user_data, max_level);
        Ok(())
    })
}
