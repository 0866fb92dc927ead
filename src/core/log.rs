//! Diagnostics: a process-wide log facility for plugin discovery, backend selection and load
//! timings.
//!
//! Levels: error 1, warn 2, info 3, debug 4 (0 = off). Where messages go:
//! - a callback set with [`set_callback`] (the C API's `wasinn_set_log_callback`) receives every
//!   message up to its maximum level;
//! - otherwise, when the `WASINN_LOG` environment variable is set (`off`, `error`, `warn`, `info`
//!   or `debug`, case-insensitive; read once, at first use), messages up to that level are
//!   written to stderr, one line each, prefixed with `wasinn: `;
//! - otherwise nothing is logged.
//!
//! Cheap when off: [`enabled`] is one relaxed atomic load, and the [`wasinn_log!`] macro checks it
//! before formatting anything.
//!
//! Thread safety: messages are emitted on the thread doing the work, so a callback may be called
//! from any thread, concurrently. Setting the callback takes a lock that emitting also takes, so
//! once [`set_callback`] returns the previous callback is never called again.

use std::ffi::{c_char, c_void};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use parking_lot::RwLock;

/// Log levels (the C API's `WASINN_LOG_LEVEL_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub enum Level {
    /// Failures.
    Error = 1,
    /// Something unexpected that does not stop the operation (e.g. a rejected plugin).
    Warn = 2,
    /// One line per significant event: backend selection, model loads, plugins accepted.
    Info = 3,
    /// Everything: each plugin candidate examined, preload details.
    Debug = 4,
}

impl Level {
    /// The level's lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Environment variable selecting the stderr log level when no callback is set.
pub const LOG_ENV: &str = "WASINN_LOG";

/// A log callback: `(level, message, message_len, user_data)`. The message is UTF-8, not
/// NUL-terminated, and valid only during the call.
pub type Callback = unsafe extern "C" fn(u32, *const c_char, usize, *mut c_void);

#[derive(Clone, Copy)]
struct Sink {
    callback: Callback,
    user_data: *mut c_void,
    max_level: u32,
}
// SAFETY: the user data pointer is the caller's, handed back unchanged; the C API documents that
// the callback may be called from any thread, so the caller makes it safe to share.
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

/// The highest level currently emitted (0 = off). `u32::MAX` = not initialised yet.
static MAX: AtomicU32 = AtomicU32::new(u32::MAX);
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// The level `WASINN_LOG` asks for (0 when unset, empty, `off` or unknown).
fn env_level() -> u32 {
    static ENV: OnceLock<u32> = OnceLock::new();
    *ENV.get_or_init(|| parse_level(&std::env::var(LOG_ENV).unwrap_or_default()))
}

/// Parses a `WASINN_LOG` value: a level name or number; anything else is off.
pub fn parse_level(v: &str) -> u32 {
    match v.trim().to_ascii_lowercase().as_str() {
        "error" | "1" => 1,
        "warn" | "warning" | "2" => 2,
        "info" | "3" => 3,
        "debug" | "trace" | "4" | "5" => 4,
        _ => 0,
    }
}

/// Whether messages of `level` are emitted: one atomic load (after the first call).
#[inline]
pub fn enabled(level: Level) -> bool {
    let mut max = MAX.load(Ordering::Relaxed);
    if max == u32::MAX {
        max = recompute();
    }
    level as u32 <= max
}

fn recompute() -> u32 {
    let sink = SINK.read();
    let max = match sink.as_ref() {
        Some(s) => s.max_level,
        None => env_level(),
    };
    MAX.store(max, Ordering::Relaxed);
    max
}

/// Sets (or with `None` removes) the process-wide callback and its maximum level (clamped to
/// debug; 0 receives nothing). Removing it restores the `WASINN_LOG` behaviour.
pub fn set_callback(callback: Option<Callback>, user_data: *mut c_void, max_level: u32) {
    let mut sink = SINK.write();
    *sink = callback.map(|callback| Sink { callback, user_data, max_level: max_level.min(Level::Debug as u32) });
    let max = match sink.as_ref() {
        Some(s) => s.max_level,
        None => env_level(),
    };
    MAX.store(max, Ordering::Relaxed);
}

/// Emits one message (call through [`wasinn_log!`], which checks [`enabled`] first).
pub fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    // Recursive: a callback that calls back into the library (which may log) must not deadlock
    // behind a writer waiting in `set_callback`.
    let sink = SINK.read_recursive();
    match sink.as_ref() {
        Some(s) => {
            if level as u32 > s.max_level {
                return;
            }
            let msg = std::fmt::format(args);
            let s = *s;
            // A panic must not cross the callback boundary outwards; the callback is C code and
            // cannot unwind into us either (extern "C").
            // SAFETY: the callback's contract: message valid for `len` bytes during the call.
            unsafe { (s.callback)(level as u32, msg.as_ptr().cast(), msg.len(), s.user_data) };
        }
        None => {
            if level as u32 > env_level() {
                return;
            }
            let line = format!("wasinn: {}: {}\n", level.name(), args);
            // One write per line, so concurrent lines do not interleave mid-line.
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

/// Logs a formatted message at a level, formatting only when that level is enabled:
/// `wasinn_log!(Debug, "plugin {}: accepted", path.display())`.
#[macro_export]
macro_rules! wasinn_log {
    ($level:ident, $($arg:tt)+) => {
        if $crate::core::log::enabled($crate::core::log::Level::$level) {
            $crate::core::log::emit($crate::core::log::Level::$level, format_args!($($arg)+));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels() {
        assert_eq!(parse_level("off"), 0);
        assert_eq!(parse_level(""), 0);
        assert_eq!(parse_level("ERROR"), 1);
        assert_eq!(parse_level("warn"), 2);
        assert_eq!(parse_level("info"), 3);
        assert_eq!(parse_level(" debug "), 4);
        assert_eq!(parse_level("nonsense"), 0);
    }
}
