//! The backend and plugin C API (`wasinn_backend_*`, `wasinn_plugin_add_path`,
//! `wasinn_backend_set_preference`, `wasinn_graph_load_with_backend`) called the way C calls it:
//! NULLs, short buffers, out-of-range indices, unknown names.
//!
//! Plugin state is per process and the tests run in parallel, so every plugin path is added once,
//! by [`setup`]; entries are found by name, never by a fixed index (except the built-ins, which
//! always come first).

mod common;

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use common::*;
use wasinn::capi::*;
use wasinn::core::loader;

const OK: wasinn_status_t = WASINN_STATUS_SUCCESS;
const INVALID: wasinn_status_t = WASINN_STATUS_INVALID_ARGUMENT;

fn last_error() -> String {
    let n = unsafe { wasinn_last_error_message(null_mut(), 0) };
    let mut buf = vec![0 as c_char; n + 1];
    unsafe { wasinn_last_error_message(buf.as_mut_ptr(), buf.len()) };
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// Asserts a status, showing the last error message on mismatch.
#[track_caller]
fn check(status: wasinn_status_t, expected: wasinn_status_t) {
    assert_eq!(status, expected, "got status {status}, last error: {}", last_error());
    assert_eq!(wasinn_last_error_status(), expected);
}

/// `target/<profile>` of this test binary (`target/<profile>/deps/capi_backends-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The built mock plugin, building its crate first if it is missing (as tests/plugins.rs does).
fn built_mock() -> PathBuf {
    let path = profile_dir().join("libwasinn_backend_mock.so");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-p", "wasinn-backend-mock"]);
        if profile_dir().file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        assert!(cmd.status().expect("run cargo build").success(), "cargo build -p wasinn-backend-mock failed");
    }
    assert!(path.exists(), "{} not built", path.display());
    path
}

struct Setup {
    _dir: TempDir,
    /// The listing's size before and after adding the mock plugin.
    count_before_mock: usize,
    count_after_mock: usize,
    /// The listing's size after adding the non-plugin file too.
    count_after_junk: usize,
    /// Canonical path of the non-plugin file.
    junk: PathBuf,
}

fn cpath(p: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn count() -> usize {
    let mut n = usize::MAX;
    check(unsafe { wasinn_backend_count(&mut n) }, OK);
    n
}

/// Adds (once per process) the mock plugin copied as `libwasinn_backend_capimock.so` (backend
/// name `capimock`, GGML on the CPU) and a file that is not a plugin at all.
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = TempDir::new("capi-backends");
        let mock = dir.path().join("libwasinn_backend_capimock.so");
        std::fs::copy(built_mock(), &mock).unwrap();
        let junk = dir.write("not-a-plugin.so", b"this is not an ELF file");
        let count_before_mock = count();
        check(unsafe { wasinn_plugin_add_path(cpath(&mock).as_ptr()) }, OK);
        let count_after_mock = count();
        // Adding the same file again adds nothing.
        check(unsafe { wasinn_plugin_add_path(cpath(&mock).as_ptr()) }, OK);
        assert_eq!(count(), count_after_mock);
        check(unsafe { wasinn_plugin_add_path(cpath(&junk).as_ptr()) }, OK);
        let count_after_junk = count();
        Setup { junk: junk.canonicalize().unwrap(), _dir: dir, count_before_mock, count_after_mock, count_after_junk }
    })
}

type TextFn = unsafe extern "C" fn(usize, *mut c_char, usize, *mut usize) -> wasinn_status_t;

/// A text field through the query-then-copy protocol.
fn text(f: TextFn, index: usize) -> String {
    let mut len = usize::MAX;
    let status = unsafe { f(index, null_mut(), 0, &mut len) };
    assert_eq!(status, WASINN_STATUS_TOO_LARGE, "{}", last_error());
    assert_ne!(len, usize::MAX);
    let mut buf = vec![0x55 as c_char; len + 1];
    let mut len2 = 0;
    check(unsafe { f(index, buf.as_mut_ptr(), buf.len(), &mut len2) }, OK);
    assert_eq!(len2, len);
    assert_eq!(buf[len], 0, "NUL-terminated");
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_owned()
}

type ValuesFn = unsafe extern "C" fn(usize, *mut u32, usize, *mut usize) -> wasinn_status_t;

fn values(f: ValuesFn, index: usize) -> Vec<u32> {
    let mut n = usize::MAX;
    let mut out = vec![u32::MAX; 16];
    check(unsafe { f(index, out.as_mut_ptr(), out.len(), &mut n) }, OK);
    assert!(n <= out.len());
    out.truncate(n);
    out
}

fn status(index: usize) -> u32 {
    let mut s = u32::MAX;
    check(unsafe { wasinn_backend_status(index, &mut s) }, OK);
    s
}

/// Index of the first entry whose name or path satisfies `pred`.
fn find(pred: impl Fn(&str, &str) -> bool) -> Option<usize> {
    (0..count()).find(|&i| pred(&text(wasinn_backend_name, i), &text(wasinn_backend_path, i)))
}

fn find_name(name: &str) -> Option<usize> {
    find(|n, _| n == name)
}

fn buffer(bytes: &[u8]) -> wasinn_buffer_t {
    wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() }
}

fn backend_of(g: wasinn_graph_t) -> String {
    let mut buf = [0 as c_char; 64];
    check(unsafe { wasinn_graph_backend_name(g, buf.as_mut_ptr(), buf.len(), null_mut()) }, OK);
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_owned()
}

#[test]
fn tract_is_listed_first_as_available_onnx_and_tflite_on_cpu() {
    assert!(count() >= 1);
    assert_eq!(text(wasinn_backend_name, 0), "tract");
    assert!(!text(wasinn_backend_version, 0).is_empty());
    assert_eq!(text(wasinn_backend_path, 0), "", "built-in");
    assert_eq!(text(wasinn_backend_reason, 0), "", "available");
    assert_eq!(status(0), WASINN_BACKEND_STATUS_AVAILABLE);
    assert_eq!(values(wasinn_backend_encodings, 0), [WASINN_ENCODING_ONNX, WASINN_ENCODING_TENSORFLOWLITE]);
    assert_eq!(values(wasinn_backend_targets, 0), [WASINN_TARGET_CPU]);
}

#[test]
fn nulls_and_short_buffers() {
    check(unsafe { wasinn_backend_count(null_mut()) }, INVALID);
    check(unsafe { wasinn_backend_status(0, null_mut()) }, INVALID);

    // Text: the length is reported even when the buffer is short; nothing is written.
    let mut buf = [0x55 as c_char; 5];
    let mut len = 0;
    check(unsafe { wasinn_backend_name(0, buf.as_mut_ptr(), 5, &mut len) }, WASINN_STATUS_TOO_LARGE);
    assert_eq!(len, 5, "\"tract\"");
    assert!(buf.iter().all(|&c| c == 0x55), "nothing written on TOO_LARGE");
    // out_len may be NULL.
    let mut buf = [0 as c_char; 6];
    check(unsafe { wasinn_backend_name(0, buf.as_mut_ptr(), 6, null_mut()) }, OK);
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "tract");
    // A NULL buffer claiming to be large enough.
    check(unsafe { wasinn_backend_name(0, null_mut(), 64, &mut len) }, INVALID);
    // An empty string still needs room for the NUL.
    check(unsafe { wasinn_backend_path(0, null_mut(), 0, &mut len) }, WASINN_STATUS_TOO_LARGE);
    assert_eq!(len, 0);
    let mut one = [0x55 as c_char; 1];
    check(unsafe { wasinn_backend_reason(0, one.as_mut_ptr(), 1, &mut len) }, OK);
    assert_eq!((len, one[0]), (0, 0));

    // Lists: out_n is required and reported even when max is too small.
    let mut out = [u32::MAX; 4];
    check(unsafe { wasinn_backend_encodings(0, out.as_mut_ptr(), out.len(), null_mut()) }, INVALID);
    let mut n = usize::MAX;
    check(unsafe { wasinn_backend_encodings(0, null_mut(), 0, &mut n) }, WASINN_STATUS_TOO_LARGE);
    assert_eq!(n, 2);
    n = usize::MAX;
    check(unsafe { wasinn_backend_targets(0, null_mut(), 0, &mut n) }, WASINN_STATUS_TOO_LARGE);
    assert_eq!(n, 1);
    check(unsafe { wasinn_backend_targets(0, null_mut(), 4, &mut n) }, INVALID);
    assert_eq!(out, [u32::MAX; 4]);

    // Strings in.
    check(unsafe { wasinn_plugin_add_path(null()) }, INVALID);
    check(unsafe { wasinn_plugin_add_path(c"".as_ptr()) }, INVALID);
    let model = add_f32_model(&[2]);
    let b = buffer(&model);
    check(
        unsafe {
            wasinn_graph_load_with_backend(
                &b,
                1,
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                c"tract".as_ptr(),
                null_mut(),
            )
        },
        INVALID,
    );
    let mut g = 0;
    check(
        unsafe {
            wasinn_graph_load_with_backend(
                null(),
                1,
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                c"tract".as_ptr(),
                &mut g,
            )
        },
        INVALID,
    );
    check(unsafe { wasinn_graph_load_with_backend(&b, 1, 77, WASINN_TARGET_CPU, c"tract".as_ptr(), &mut g) }, INVALID);
    let not_utf8 = [0xffu8 as c_char, 0];
    check(
        unsafe {
            wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, not_utf8.as_ptr(), &mut g)
        },
        INVALID,
    );
    assert_eq!(g, 0, "written only on success");
}

#[test]
fn index_out_of_range_is_invalid_argument() {
    let n = count();
    let mut len = 99;
    for f in [wasinn_backend_name as TextFn, wasinn_backend_version, wasinn_backend_path, wasinn_backend_reason] {
        let mut buf = [0 as c_char; 64];
        check(unsafe { f(usize::MAX, buf.as_mut_ptr(), buf.len(), &mut len) }, INVALID);
        // Indices past the end of any listing this process can reach.
        check(unsafe { f(n + 1000, buf.as_mut_ptr(), buf.len(), &mut len) }, INVALID);
        assert!(last_error().contains("out of range"), "{}", last_error());
    }
    assert_eq!(len, 99, "out_len is not written for a bad index");
    let mut s = 99;
    check(unsafe { wasinn_backend_status(n + 1000, &mut s) }, INVALID);
    assert_eq!(s, 99);
    for f in [wasinn_backend_encodings as ValuesFn, wasinn_backend_targets] {
        let mut out = [0u32; 4];
        let mut k = 99;
        check(unsafe { f(n + 1000, out.as_mut_ptr(), out.len(), &mut k) }, INVALID);
        assert_eq!(k, 99);
    }
}

#[test]
fn an_added_mock_plugin_appears_available() {
    let s = setup();
    assert_eq!(s.count_after_mock, s.count_before_mock + 1, "one entry per plugin file");
    let i = find_name("capimock").expect("capimock listed");
    assert!(i >= 1, "built-ins come first");
    assert_eq!(status(i), WASINN_BACKEND_STATUS_AVAILABLE, "{}", text(wasinn_backend_reason, i));
    assert_eq!(text(wasinn_backend_version, i), "0.1.0-mock");
    assert_eq!(text(wasinn_backend_reason, i), "");
    let path = PathBuf::from(text(wasinn_backend_path, i));
    assert!(path.is_absolute());
    assert!(path.ends_with("libwasinn_backend_capimock.so"), "{}", path.display());
    assert_eq!(values(wasinn_backend_encodings, i), [WASINN_ENCODING_GGML]);
    assert_eq!(values(wasinn_backend_targets, i), [WASINN_TARGET_CPU]);

    // The plugin loads its encoding when named explicitly.
    let bytes = b"any bytes are a mock model";
    let b = buffer(bytes);
    let mut g = 0;
    check(
        unsafe {
            wasinn_graph_load_with_backend(
                &b,
                1,
                WASINN_ENCODING_GGML,
                WASINN_TARGET_AUTO,
                c"capimock".as_ptr(),
                &mut g,
            )
        },
        OK,
    );
    assert_eq!(backend_of(g), "capimock");
    check(wasinn_graph_free(g), OK);
    // ... and refuses an encoding it does not serve.
    let model = add_f32_model(&[2]);
    let b = buffer(&model);
    check(
        unsafe {
            wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, c"capimock".as_ptr(), &mut g)
        },
        WASINN_STATUS_INVALID_ENCODING,
    );
}

/// The core records a file that is not a plugin as a rejected entry: `wasinn_plugin_add_path`
/// itself succeeds (only a path that does not exist is an error).
#[test]
fn a_file_that_is_not_a_plugin_is_listed_as_rejected() {
    let s = setup();
    assert_eq!(s.count_after_junk, s.count_after_mock + 1);
    let junk = s.junk.to_str().unwrap();
    let i = find(|_, p| p == junk).expect("the non-plugin file is listed");
    assert_eq!(status(i), WASINN_BACKEND_STATUS_REJECTED);
    assert_eq!(text(wasinn_backend_name, i), "not-a-plugin.so", "named after its file");
    let reason = text(wasinn_backend_reason, i);
    assert!(!reason.is_empty());
    assert!(reason.contains("cannot be opened as a shared library"), "{reason}");
    assert!(values(wasinn_backend_encodings, i).is_empty());
    assert!(values(wasinn_backend_targets, i).is_empty());

    // A rejected candidate is not a backend to load with.
    let bytes = b"mock";
    let b = buffer(bytes);
    let mut g = 0;
    check(
        unsafe {
            wasinn_graph_load_with_backend(
                &b,
                1,
                WASINN_ENCODING_GGML,
                WASINN_TARGET_CPU,
                c"not-a-plugin.so".as_ptr(),
                &mut g,
            )
        },
        WASINN_STATUS_NOT_FOUND,
    );

    // A path that does not exist is an error, and adds nothing.
    let missing = s._dir.path().join("no-such-plugin.so");
    check(unsafe { wasinn_plugin_add_path(cpath(&missing).as_ptr()) }, WASINN_STATUS_NOT_FOUND);
    assert!(last_error().contains("does not exist"), "{}", last_error());
    assert!(find(|_, p| p.ends_with("no-such-plugin.so")).is_none());
}

#[test]
fn load_with_backend_tract() {
    let model = add_f32_model(&[2]);
    let b = buffer(&model);
    for encoding in [WASINN_ENCODING_ONNX, WASINN_ENCODING_AUTODETECT] {
        for target in [WASINN_TARGET_CPU, WASINN_TARGET_AUTO] {
            let mut g = 0;
            check(unsafe { wasinn_graph_load_with_backend(&b, 1, encoding, target, c"tract".as_ptr(), &mut g) }, OK);
            assert_ne!(g, 0);
            assert_eq!(backend_of(g), "tract");
            let mut n = 0;
            check(unsafe { wasinn_graph_input_count(g, &mut n) }, OK);
            assert_eq!(n, 2);
            check(wasinn_graph_free(g), OK);
        }
    }
    // NULL and "" choose automatically.
    for name in [null(), c"".as_ptr()] {
        let mut g = 0;
        check(
            unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, name, &mut g) },
            OK,
        );
        assert_eq!(backend_of(g), "tract");
        check(wasinn_graph_free(g), OK);
    }
    // The named backend's own errors, no fallback.
    let mut g = 0;
    check(
        unsafe {
            wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_GPU, c"tract".as_ptr(), &mut g)
        },
        WASINN_STATUS_UNSUPPORTED_OPERATION,
    );
    let junk = b"\x08\x07 not a model";
    let j = buffer(junk);
    let status = unsafe {
        wasinn_graph_load_with_backend(&j, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, c"tract".as_ptr(), &mut g)
    };
    assert_ne!(status, OK);
    assert_eq!(g, 0);
}

#[test]
fn unknown_backend_is_not_found() {
    let model = add_f32_model(&[2]);
    let b = buffer(&model);
    let mut g = 0;
    check(
        unsafe {
            wasinn_graph_load_with_backend(
                &b,
                1,
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                c"nosuchbackend".as_ptr(),
                &mut g,
            )
        },
        WASINN_STATUS_NOT_FOUND,
    );
    let msg = last_error();
    assert!(msg.contains("nosuchbackend") && msg.contains("tract"), "{msg}");
    assert_eq!(g, 0);
}

#[test]
fn set_preference_round_trip() {
    // The only test that changes the process-wide preference; the automatic loads of the other
    // tests pick tract whatever it says (tract is the only ONNX backend in this process).
    check(unsafe { wasinn_backend_set_preference(null()) }, OK);
    let default = loader::preference();
    assert!(!default.is_empty());

    check(unsafe { wasinn_backend_set_preference(c" tract , capimock,,onnxruntime ".as_ptr()) }, OK);
    assert_eq!(loader::preference(), ["tract", "capimock", "onnxruntime"]);
    // Automatic loads follow it (tract is the only ONNX backend here either way).
    let model = add_f32_model(&[2]);
    let b = buffer(&model);
    let mut g = 0;
    check(
        unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null(), &mut g) },
        OK,
    );
    assert_eq!(backend_of(g), "tract");
    check(wasinn_graph_free(g), OK);

    // "" and a list without names restore the default, like NULL.
    check(unsafe { wasinn_backend_set_preference(c"".as_ptr()) }, OK);
    assert_eq!(loader::preference(), default);
    check(unsafe { wasinn_backend_set_preference(c"nosuch".as_ptr()) }, OK);
    assert_eq!(loader::preference(), ["nosuch"], "names of absent backends are accepted");
    check(unsafe { wasinn_backend_set_preference(c" , ".as_ptr()) }, OK);
    assert_eq!(loader::preference(), default);

    // Invalid UTF-8 is refused and leaves the preference alone.
    check(unsafe { wasinn_backend_set_preference(c"tract".as_ptr()) }, OK);
    let not_utf8 = [0xffu8 as c_char, 0];
    check(unsafe { wasinn_backend_set_preference(not_utf8.as_ptr()) }, INVALID);
    assert_eq!(loader::preference(), ["tract"]);

    check(unsafe { wasinn_backend_set_preference(null()) }, OK);
    assert_eq!(loader::preference(), default);
}

/// Every constant and function of this module is in the committed header.
#[test]
fn header_declares_the_backend_api() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/wasinn.h")).unwrap();
    for name in [
        "#define WASINN_BACKEND_STATUS_AVAILABLE 0",
        "#define WASINN_BACKEND_STATUS_REJECTED 1",
        "wasinn_status_t wasinn_backend_count(",
        "wasinn_status_t wasinn_backend_name(",
        "wasinn_status_t wasinn_backend_version(",
        "wasinn_status_t wasinn_backend_path(",
        "wasinn_status_t wasinn_backend_reason(",
        "wasinn_status_t wasinn_backend_status(",
        "wasinn_status_t wasinn_backend_encodings(",
        "wasinn_status_t wasinn_backend_targets(",
        "wasinn_status_t wasinn_plugin_add_path(",
        "wasinn_status_t wasinn_backend_set_preference(",
        "wasinn_status_t wasinn_graph_load_with_backend(",
    ] {
        assert!(header.contains(name), "include/wasinn.h lacks {name}");
    }
}
