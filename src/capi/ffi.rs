//! FFI mechanics shared by every exported function: the panic boundary, the thread-local last
//! error, and checked conversions of raw C arguments.
//!
//! Every `extern "C"` function of the library runs its body through [`boundary`] (or the glue's
//! errno variant built on [`catch`]), so no panic unwinds into C and every failure leaves a detailed
//! message retrievable with `wasinn_last_error_message` on the same thread.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::core::error::{Error, Result, Status};

thread_local! {
    static LAST_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
}

/// Records `error` as this thread's last error.
pub fn set_last_error(error: Error) {
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(error));
}

/// Forgets this thread's last error (called on every successful call, so a stale message is never
/// mistaken for the current one).
pub fn clear_last_error() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
}

/// Runs `f` with this thread's last error, if any.
pub fn with_last_error<R>(f: impl FnOnce(Option<&Error>) -> R) -> R {
    LAST_ERROR.with(|e| f(e.borrow().as_ref()))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

/// Runs `f`, turning a panic into a `Status::Panic` error.
pub fn catch<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::backends::install();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::new(Status::Panic, format!("panic: {}", panic_message(&*payload)))),
    }
}

/// The boundary of a C API function: runs `f`, records its error (or clears the last error) and
/// returns the status code.
pub fn boundary(f: impl FnOnce() -> Result<()>) -> u32 {
    match catch(f) {
        Ok(()) => {
            clear_last_error();
            Status::Success.code()
        }
        Err(e) => {
            let code = e.status.code();
            set_last_error(e);
            code
        }
    }
}

/// A non-NULL shared reference, or `InvalidArgument` naming the parameter.
///
/// # Safety
/// `ptr` must be NULL or valid for reads of a `T` for the returned lifetime.
pub unsafe fn arg_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: NULL is checked; validity is the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// A non-NULL out-pointer, or `InvalidArgument`.
///
/// # Safety
/// `ptr` must be NULL or valid for writes of a `T`.
pub unsafe fn arg_out<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: NULL is checked; validity is the caller's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// A borrowed slice from a pointer and element count. NULL is accepted only when `len == 0`.
///
/// # Safety
/// When `len > 0`, `ptr` must be valid for reads of `len` elements for the returned lifetime.
pub unsafe fn arg_slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!("{what} is NULL but its length is {len}")));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|n| n > isize::MAX as usize) {
        return Err(Error::invalid(format!("{what}: length {len} is too large")));
    }
    // SAFETY: non-NULL, size checked; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A UTF-8 string from a pointer and byte length (not NUL-terminated).
///
/// # Safety
/// As [`arg_slice`].
pub unsafe fn arg_str<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { arg_slice(ptr.cast::<u8>(), len, what) }?;
    std::str::from_utf8(bytes).map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// A UTF-8 string from a NUL-terminated C string.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string valid for the returned lifetime.
pub unsafe fn arg_cstr<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// Copies `src` into a caller buffer. Always reports the needed size through `out_len` (when
/// non-NULL); a buffer shorter than `src` gets nothing written and `TooLarge`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
pub unsafe fn copy_out(src: &[u8], buf: *mut u8, buf_len: usize, out_len: *mut usize) -> Result<()> {
    // SAFETY: forwarded contract.
    if let Some(out_len) = unsafe { out_len.as_mut() } {
        *out_len = src.len();
    }
    if buf_len < src.len() {
        return Err(Error::too_large(format!("the buffer holds {buf_len} bytes but {} are needed", src.len())));
    }
    if !src.is_empty() {
        if buf.is_null() {
            return Err(Error::invalid("output buffer is NULL"));
        }
        // SAFETY: buf is valid for buf_len >= src.len() bytes by contract; regions are distinct.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), buf, src.len()) };
    }
    Ok(())
}

/// A borrowed mutable slice from a pointer and element count. NULL is accepted only when
/// `len == 0`.
///
/// # Safety
/// When `len > 0`, `ptr` must be valid for reads and writes of `len` elements for the returned
/// lifetime, and not aliased.
pub unsafe fn arg_slice_mut<'a, T>(ptr: *mut T, len: usize, what: &str) -> Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!("{what} is NULL but its length is {len}")));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|n| n > isize::MAX as usize) {
        return Err(Error::invalid(format!("{what}: length {len} is too large")));
    }
    // SAFETY: non-NULL, size checked; validity and exclusivity are the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Copies `s` into a caller buffer as a NUL-terminated string. Always reports the length of `s`
/// (excluding the NUL) through `out_len` (when non-NULL); a buffer shorter than `s.len() + 1`
/// gets nothing written and `TooLarge`.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `out_len` NULL or valid for a write.
pub unsafe fn copy_out_cstr(s: &str, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> Result<()> {
    // SAFETY: forwarded contract.
    if let Some(out_len) = unsafe { out_len.as_mut() } {
        *out_len = s.len();
    }
    if buf_len <= s.len() {
        return Err(Error::too_large(format!(
            "the buffer holds {buf_len} bytes but {} are needed (with the NUL)",
            s.len() + 1
        )));
    }
    if buf.is_null() {
        return Err(Error::invalid("output buffer is NULL"));
    }
    let buf = buf.cast::<u8>();
    // SAFETY: buf is valid for buf_len > s.len() bytes by contract; regions are distinct.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf, s.len());
        *buf.add(s.len()) = 0;
    }
    Ok(())
}
