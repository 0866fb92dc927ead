//! The C API called the way C calls it: through the `extern "C"` functions, with NULLs, short
//! buffers, unknown enum values, wrong lengths, stale and foreign handles. Models are built here
//! (tests/common), never downloaded. The committed header is checked against the core's enums.

mod common;

use std::ffi::{c_char, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::Arc;

use common::*;
use wasinn::capi::*;
use wasinn::core::error::Status;
use wasinn::core::registry::Registry;
use wasinn::core::types::{Encoding, Target, TensorType};

const OK: wasinn_status_t = WASINN_STATUS_SUCCESS;
const INVALID: wasinn_status_t = WASINN_STATUS_INVALID_ARGUMENT;

fn last_error() -> String {
    let n = unsafe { wasinn_last_error_message(null_mut(), 0) };
    let mut buf = vec![0 as c_char; n + 1];
    let m = unsafe { wasinn_last_error_message(buf.as_mut_ptr(), buf.len()) };
    assert_eq!(m, n);
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// Asserts a status, showing the last error message on mismatch.
#[track_caller]
fn check(status: wasinn_status_t, expected: wasinn_status_t) {
    assert_eq!(status, expected, "got {status} ({}), last error: {}", cstr(wasinn_status_str(status)), last_error());
    assert_eq!(wasinn_last_error_status(), expected);
}

fn cstr(p: *const c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn buffer(bytes: &[u8]) -> wasinn_buffer_t {
    wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() }
}

fn tensor(ty: u32, dims: &[u32], data: &[u8]) -> wasinn_tensor_t {
    wasinn_tensor_t {
        r#type: ty,
        dims: if dims.is_empty() { null() } else { dims.as_ptr() },
        rank: dims.len(),
        data: if data.is_empty() { null() } else { data.as_ptr() },
        data_len: data.len(),
    }
}

fn load(bytes: &[u8]) -> wasinn_graph_t {
    let b = buffer(bytes);
    let mut g = 0;
    check(unsafe { wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g) }, OK);
    assert_ne!(g, 0);
    g
}

fn new_ctx(g: wasinn_graph_t) -> wasinn_exec_ctx_t {
    let mut c = 0;
    check(unsafe { wasinn_exec_ctx_new(g, &mut c) }, OK);
    assert_ne!(c, 0);
    c
}

/// The `sum = a + b` model over f32 [2, 3], loaded.
fn add_graph() -> wasinn_graph_t {
    load(&add_f32_model(&[2, 3]))
}

fn read_output(c: wasinn_exec_ctx_t, index: usize) -> Vec<u8> {
    let mut needed = 0;
    let s = unsafe { wasinn_exec_ctx_get_output(c, index, null_mut(), 0, &mut needed) };
    assert!(s == OK || s == WASINN_STATUS_TOO_LARGE, "{}", last_error());
    let mut buf = vec![0u8; needed];
    let mut len = 0;
    check(unsafe { wasinn_exec_ctx_get_output(c, index, buf.as_mut_ptr().cast(), buf.len(), &mut len) }, OK);
    assert_eq!(len, needed);
    buf
}

// ------------------------------------------------------------------------------------------------
// Status, version, last error, header.

#[test]
fn status_strings_for_every_code() {
    for s in Status::ALL {
        assert_eq!(cstr(wasinn_status_str(s.code())), s.as_cstr().to_str().unwrap());
    }
    for unknown in [9, 99, 999, 1003, u32::MAX] {
        assert_eq!(cstr(wasinn_status_str(unknown)), "unknown status");
    }
    assert_eq!(cstr(wasinn_status_str(WASINN_STATUS_TOO_LARGE)), "too large");
}

#[test]
fn version_is_the_crate_version() {
    assert_eq!(cstr(wasinn_version()), env!("CARGO_PKG_VERSION"));
    let header = header_text();
    assert!(header.contains(&format!("#define WASINN_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION"))));
    for (macro_name, value) in [
        ("WASINN_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("WASINN_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("WASINN_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert!(header.contains(&format!("#define {macro_name} {value}\n")), "{macro_name}");
    }
}

#[test]
fn last_error_is_set_on_failure_and_cleared_on_success() {
    // Nothing failed yet on this fresh test thread.
    assert_eq!(wasinn_last_error_status(), OK);
    let mut buf = [b'x' as c_char; 8];
    assert_eq!(unsafe { wasinn_last_error_message(buf.as_mut_ptr(), buf.len()) }, 0);
    assert_eq!(buf[0], 0);

    check(unsafe { wasinn_graph_load(null(), 0, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null_mut()) }, INVALID);
    let msg = last_error();
    assert!(msg.contains("out_graph is NULL"), "{msg}");

    // Truncated copies keep the NUL and report the full length.
    let mut small = [b'x' as c_char; 5];
    let n = unsafe { wasinn_last_error_message(small.as_mut_ptr(), small.len()) };
    assert_eq!(n, msg.len());
    assert_eq!(unsafe { CStr::from_ptr(small.as_ptr()) }.to_str().unwrap(), &msg[..4]);
    // A NULL buffer is allowed with length 0, and tolerated (nothing written) otherwise.
    assert_eq!(unsafe { wasinn_last_error_message(null_mut(), 0) }, msg.len());
    assert_eq!(unsafe { wasinn_last_error_message(null_mut(), 100) }, msg.len());
    // Reading the last error does not clear it.
    assert_eq!(wasinn_last_error_status(), INVALID);

    // A successful call clears it.
    let mut count = 0;
    check(unsafe { wasinn_graph_input_count(0, &mut count) }, INVALID);
    check(wasinn_registry_remove_nothing(), WASINN_STATUS_NOT_FOUND);
    assert!(last_error().contains("no model named"));
    let mut needed = 0;
    check(unsafe { wasinn_graph_input_name(0, 0, null_mut(), 0, &mut needed) }, INVALID);
    assert_eq!(cstr(wasinn_status_str(OK)), "success");
    // wasinn_status_str does not touch the last error; a succeeding status call does.
    assert_eq!(wasinn_last_error_status(), INVALID);
    check(unsafe { wasinn_registry_preload(c"  ;  ".as_ptr()) }, INVALID);
    let g = add_graph();
    assert_eq!(wasinn_last_error_status(), OK);
    assert_eq!(unsafe { wasinn_last_error_message(buf.as_mut_ptr(), buf.len()) }, 0);
    assert_eq!(buf[0], 0);
    check(wasinn_graph_free(g), OK);
}

fn wasinn_registry_remove_nothing() -> wasinn_status_t {
    unsafe { wasinn_registry_remove(c"capi-test-never-registered".as_ptr()) }
}

#[test]
fn last_error_is_per_thread() {
    check(wasinn_graph_free(0), INVALID);
    std::thread::spawn(|| {
        assert_eq!(wasinn_last_error_status(), OK);
        assert_eq!(unsafe { wasinn_last_error_message(null_mut(), 0) }, 0);
        check(wasinn_exec_ctx_free(0), INVALID);
        assert!(last_error().contains("execution context"));
    })
    .join()
    .unwrap();
    assert!(last_error().contains("graph"), "{}", last_error());
}

fn header_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/wasinn.h")).expect("include/wasinn.h")
}

#[test]
fn header_constants_match_the_core_enums() {
    let header = header_text();
    let mut expected: Vec<(&str, u32)> = Status::ALL.iter().map(|&s| status_constant(s)).collect();
    expected.extend(TensorType::ALL.iter().map(|&t| tensor_type_constant(t)));
    expected.extend(Encoding::ALL.iter().map(|&e| encoding_constant(e)));
    expected.extend(Target::ALL.iter().map(|&t| target_constant(t)));
    for (name, value) in &expected {
        assert!(header.contains(&format!("#define {name} {value}\n")), "{name} = {value} missing from the header");
    }
    for s in Status::ALL {
        assert_eq!(status_constant(s).1, s.code());
    }
    for t in TensorType::ALL {
        assert_eq!(tensor_type_constant(*t).1, *t as u32);
    }
    assert!(header.contains("#define WASINN_TENSOR_TYPE_UNKNOWN 4294967295\n"));
    assert!(header.contains("#define WASINN_RANK_UNKNOWN SIZE_MAX\n"));
    assert_eq!(WASINN_RANK_UNKNOWN, usize::MAX);
    // Every macro is prefixed: nothing generic leaks into the includer's namespace.
    for line in header.lines().filter(|l| l.starts_with("#define ")) {
        assert!(line["#define ".len()..].starts_with("WASINN_"), "unprefixed macro: {line}");
    }
}

#[test]
fn header_declares_every_exported_function() {
    let header = header_text();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/capi");
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (_, rest) in text.match_indices("extern \"C\" fn ").map(|(i, _)| ((), &text[i + 14..])) {
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            assert!(name.starts_with("wasinn_"), "unprefixed export {name}");
            assert!(
                header.contains(&format!(" {name}(")) || header.contains(&format!("*{name}(")),
                "{name} missing from include/wasinn.h"
            );
            found += 1;
        }
    }
    assert!(found >= 33, "found only {found} exported functions");
}

fn compiler_accepts(compiler: &str, ext: &str, extra: &[&str]) {
    let dir = TempDir::new("header");
    let src = dir.write(
        &format!("t.{ext}"),
        b"#include \"wasinn.h\"\n#include \"wasinn.h\"\nint main(void) {\n  wasinn_tensor_t t = {WASINN_TENSOR_TYPE_FP32, 0, 0, 0, 0};\n  wasinn_status_t s = WASINN_STATUS_SUCCESS;\n  size_t r = WASINN_RANK_UNKNOWN;\n  (void)t; (void)s; (void)r;\n  return wasinn_status_str(s)[0] == 's' ? 0 : 1;\n}\n",
    );
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let out = dir.path().join("t.o");
    let result = std::process::Command::new(compiler)
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic"])
        .args(extra)
        .arg("-I")
        .arg(include)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output();
    match result {
        Ok(o) => assert!(o.status.success(), "{compiler} rejected the header:\n{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("skipping {compiler}: {e}"),
    }
}

#[test]
fn header_compiles_alone_as_c99_and_cpp() {
    compiler_accepts("cc", "c", &["-std=c99"]);
    compiler_accepts("c++", "cpp", &[]);
}

// ------------------------------------------------------------------------------------------------
// Argument checking that needs no model.

#[test]
fn null_pointers_are_invalid_arguments() {
    let bytes = [0x08u8, 0x07];
    let b = buffer(&bytes);
    let null_data = wasinn_buffer_t { data: null(), len: 4 };
    let mut g = 0;
    unsafe {
        check(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null_mut()), INVALID);
        check(wasinn_graph_load(null(), 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g), INVALID);
        check(wasinn_graph_load(&null_data, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g), INVALID);
        check(wasinn_graph_load(null(), 0, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g), INVALID);
        check(wasinn_graph_load_by_name(null(), 3, &mut g), INVALID);
        check(wasinn_graph_load_by_name(c"x".as_ptr(), 1, null_mut()), INVALID);
        assert_eq!(g, 0, "outputs are written only on success");

        let mut n = 0;
        check(wasinn_graph_input_count(1, null_mut()), INVALID);
        check(wasinn_graph_output_count(1, null_mut()), INVALID);
        check(wasinn_graph_input_type(1, 0, null_mut()), INVALID);
        check(wasinn_graph_output_type(1, 0, null_mut()), INVALID);
        check(wasinn_graph_input_shape(1, 0, null_mut(), 0, null_mut()), INVALID);
        check(wasinn_graph_output_shape(1, 0, null_mut(), 0, null_mut()), INVALID);
        check(wasinn_exec_ctx_new(1, null_mut()), INVALID);

        let dims = [2u32];
        let data = [0u8; 8];
        let t = tensor(WASINN_TENSOR_TYPE_FP32, &dims, &data);
        check(wasinn_exec_ctx_set_input(1, 0, null()), INVALID);
        check(wasinn_exec_ctx_set_input_by_name(1, null(), 1, &t), INVALID);
        check(wasinn_exec_ctx_set_input_by_name(1, c"a".as_ptr(), 1, null()), INVALID);
        let null_dims = wasinn_tensor_t { dims: null(), ..t };
        check(wasinn_exec_ctx_set_input(1, 0, &null_dims), INVALID);
        assert!(last_error().contains("dims is NULL"), "{}", last_error());
        let null_tensor_data = wasinn_tensor_t { data: null(), ..t };
        check(wasinn_exec_ctx_set_input(1, 0, &null_tensor_data), INVALID);
        assert!(last_error().contains("data is NULL"), "{}", last_error());
        check(wasinn_exec_ctx_get_output_by_name(1, null(), 1, null_mut(), 0, null_mut()), INVALID);
        check(wasinn_exec_ctx_output_type(1, 0, null_mut()), INVALID);
        check(wasinn_exec_ctx_output_shape(1, 0, null_mut(), 0, null_mut()), INVALID);
        let mut o = 0;
        check(wasinn_exec_ctx_compute_named(1, null(), 0, null_mut()), INVALID);
        check(wasinn_exec_ctx_compute_named(1, null(), 1, &mut o), INVALID);
        let named = wasinn_named_tensor_t { name: null(), name_len: 1, tensor: t };
        check(wasinn_exec_ctx_compute_named(1, &named, 1, &mut o), INVALID);
        assert!(last_error().contains("inputs[0].name"), "{}", last_error());

        let mut name: *const c_char = null();
        let mut t_out = tensor(0, &[], &[]);
        check(wasinn_outputs_count(1, null_mut()), INVALID);
        check(wasinn_outputs_get(1, 0, null_mut(), &mut n, &mut t_out), INVALID);
        check(wasinn_outputs_get(1, 0, &mut name, null_mut(), &mut t_out), INVALID);
        check(wasinn_outputs_get(1, 0, &mut name, &mut n, null_mut()), INVALID);

        let path = c"/nonexistent.onnx";
        let paths = [path.as_ptr()];
        let null_paths = [null::<c_char>()];
        check(wasinn_registry_add_files(null(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths.as_ptr(), 1), INVALID);
        check(wasinn_registry_add_files(c"n".as_ptr(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null(), 1), INVALID);
        check(
            wasinn_registry_add_files(c"n".as_ptr(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null_paths.as_ptr(), 1),
            INVALID,
        );
        assert!(last_error().contains("paths[0]"), "{}", last_error());
        check(wasinn_registry_add_bytes(null(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &b, 1), INVALID);
        check(wasinn_registry_add_bytes(c"n".as_ptr(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null(), 1), INVALID);
        check(wasinn_registry_preload(null()), INVALID);
        check(wasinn_registry_remove(null()), INVALID);
    }
}

#[test]
fn unknown_enum_values_are_invalid_arguments() {
    let bytes = add_f32_model(&[2]);
    let b = buffer(&bytes);
    let mut g = 0;
    unsafe {
        for encoding in [7, 99, u32::MAX] {
            check(wasinn_graph_load(&b, 1, encoding, WASINN_TARGET_CPU, &mut g), INVALID);
            assert!(last_error().contains("Encoding"), "{}", last_error());
        }
        for target in [3, 99, 101, u32::MAX] {
            check(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, target, &mut g), INVALID);
            assert!(last_error().contains("Target"), "{}", last_error());
        }
        check(wasinn_registry_add_bytes(c"capi-bad-enum".as_ptr(), 42, WASINN_TARGET_CPU, &b, 1), INVALID);
        check(wasinn_registry_add_bytes(c"capi-bad-enum".as_ptr(), WASINN_ENCODING_ONNX, 42, &b, 1), INVALID);
        let paths = [c"/x.onnx".as_ptr()];
        check(wasinn_registry_add_files(c"capi-bad-enum".as_ptr(), 42, WASINN_TARGET_CPU, paths.as_ptr(), 1), INVALID);
        let data = [0u8; 4];
        for ty in [7, 99, 117, WASINN_TENSOR_TYPE_UNKNOWN] {
            let t = tensor(ty, &[1], &data);
            check(wasinn_exec_ctx_set_input(1, 0, &t), INVALID);
            assert!(last_error().contains("TensorType"), "{}", last_error());
        }
    }
    assert_eq!(g, 0);
}

#[test]
fn tensor_sizes_are_validated() {
    let cases: [(u32, &[u32], usize); 9] = [
        (WASINN_TENSOR_TYPE_FP32, &[2, 3], 23),
        (WASINN_TENSOR_TYPE_FP32, &[2, 3], 25),
        (WASINN_TENSOR_TYPE_I64, &[], 4),
        (WASINN_TENSOR_TYPE_U8, &[u32::MAX, u32::MAX, u32::MAX], 1),
        (WASINN_TENSOR_TYPE_U8, &[1; 33], 1),
        // Packed types: 3 four-bit elements take 2 bytes, 5 two-bit elements 2 bytes.
        (WASINN_TENSOR_TYPE_I4, &[3], 1),
        (WASINN_TENSOR_TYPE_I4, &[3], 3),
        (WASINN_TENSOR_TYPE_U2, &[5], 1),
        (WASINN_TENSOR_TYPE_FP8_E4M3FN, &[3], 2),
    ];
    for (ty, dims, len) in cases {
        let data = vec![0u8; len];
        let t = tensor(ty, dims, &data);
        check(unsafe { wasinn_exec_ctx_set_input(1, 0, &t) }, INVALID);
        let msg = last_error();
        assert!(msg.contains("bytes") || msg.contains("overflow") || msg.contains("rank"), "{msg}");
    }
    // Strings: each element a u32 little-endian length, then its bytes; nothing else.
    let two = [1, 0, 0, 0, b'a', 2, 0, 0, 0, b'b', b'c'];
    let bad: [(&[u32], &[u8]); 5] = [
        (&[3], &two),            // an element missing
        (&[1], &two),            // bytes after the last element
        (&[2], &two[..10]),      // the last element cut short
        (&[1], &[0xff, 0xff, 0xff, 0xff, 1]), // a length past the end
        (&[u32::MAX, u32::MAX], &two), // absurd element count
    ];
    for (dims, data) in bad {
        let t = tensor(WASINN_TENSOR_TYPE_STRING, dims, data);
        check(unsafe { wasinn_exec_ctx_set_input(1, 0, &t) }, INVALID);
        let msg = last_error();
        assert!(msg.contains("string") || msg.contains("overflow"), "{msg}");
    }
}

#[test]
fn unknown_handles_are_invalid_arguments() {
    let mut n = 0;
    unsafe {
        for h in [0, 1 << 40, u64::MAX] {
            check(wasinn_graph_free(h), INVALID);
            check(wasinn_exec_ctx_free(h), INVALID);
            check(wasinn_outputs_free(h), INVALID);
            check(wasinn_graph_input_count(h, &mut n), INVALID);
            check(wasinn_exec_ctx_compute(h), INVALID);
            check(wasinn_outputs_count(h, &mut n), INVALID);
        }
    }
}

#[test]
fn preload_spec_errors() {
    unsafe {
        for bad in [
            c"",
            c" ; ",
            c"m",
            c"m:onnx",
            c"m:onnx:cpu",
            c"m:onnx:cpu:",
            c":onnx:cpu:x",
            c"m:bogus:cpu:x",
            c"m:onnx:npu:x",
        ] {
            check(wasinn_registry_preload(bad.as_ptr()), INVALID);
        }
        check(
            wasinn_registry_preload(c"capi-preload-missing:onnx:cpu:/nonexistent/m.onnx".as_ptr()),
            WASINN_STATUS_NOT_FOUND,
        );
        assert!(last_error().contains("/nonexistent/m.onnx"), "{}", last_error());
        check(wasinn_registry_preload(c"capi-bad-utf8-\xff:onnx:cpu:/x".as_ptr()), INVALID);
    }
    assert!(Registry::global().get("capi-preload-missing").is_err(), "a failed item stays unregistered");
}

#[test]
fn registry_names_must_be_known_and_valid() {
    let mut g = 0;
    unsafe {
        check(wasinn_graph_load_by_name(c"capi-unknown-model".as_ptr(), 18, &mut g), WASINN_STATUS_NOT_FOUND);
        check(wasinn_graph_load_by_name(b"\xff\xfe".as_ptr().cast(), 2, &mut g), INVALID);
        check(wasinn_registry_remove(c"capi-unknown-model".as_ptr()), WASINN_STATUS_NOT_FOUND);
        let paths = [c"/nonexistent/m.onnx".as_ptr()];
        check(
            wasinn_registry_add_files(
                c"capi-missing-file".as_ptr(),
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                paths.as_ptr(),
                1,
            ),
            WASINN_STATUS_NOT_FOUND,
        );
        check(
            wasinn_registry_add_files(
                c"capi-no-files".as_ptr(),
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                paths.as_ptr(),
                0,
            ),
            INVALID,
        );
        check(wasinn_graph_load_by_name(c"capi-missing-file".as_ptr(), 17, &mut g), WASINN_STATUS_NOT_FOUND);
    }
    assert_eq!(g, 0);
}

// ------------------------------------------------------------------------------------------------
// With a model (needs the tract backend).

#[test]
fn happy_path_by_index_and_by_name() {
    let g = add_graph();
    let mut n = 0;
    unsafe {
        check(wasinn_graph_input_count(g, &mut n), OK);
        assert_eq!(n, 2);
        check(wasinn_graph_output_count(g, &mut n), OK);
        assert_eq!(n, 1);

        // Names: query the size, then a too-short buffer (nothing written), then the right one.
        let mut len = 0;
        check(wasinn_graph_output_name(g, 0, null_mut(), 0, &mut len), WASINN_STATUS_TOO_LARGE);
        assert_eq!(len, 3);
        let mut buf = [b'x' as c_char; 8];
        check(wasinn_graph_output_name(g, 0, buf.as_mut_ptr(), 3, &mut len), WASINN_STATUS_TOO_LARGE);
        assert_eq!(buf[0], b'x' as c_char);
        check(wasinn_graph_output_name(g, 0, buf.as_mut_ptr(), 4, &mut len), OK);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "sum");
        check(wasinn_graph_input_name(g, 1, buf.as_mut_ptr(), buf.len(), null_mut()), OK);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "b");
        check(wasinn_graph_input_name(g, 0, null_mut(), 8, &mut len), INVALID);
        check(wasinn_graph_input_name(g, 2, buf.as_mut_ptr(), buf.len(), &mut len), INVALID);
        check(wasinn_graph_backend_name(g, buf.as_mut_ptr(), buf.len(), &mut len), OK);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "tract");
        assert_eq!(len, 5);

        // Types and declared shapes.
        let mut ty = 77;
        check(wasinn_graph_input_type(g, 0, &mut ty), OK);
        assert_eq!(ty, WASINN_TENSOR_TYPE_FP32);
        check(wasinn_graph_output_type(g, 0, &mut ty), OK);
        assert_eq!(ty, WASINN_TENSOR_TYPE_FP32);
        check(wasinn_graph_output_type(g, 1, &mut ty), INVALID);
        let mut dims = [0i64; 4];
        let mut rank = 0;
        check(wasinn_graph_input_shape(g, 0, dims.as_mut_ptr(), dims.len(), &mut rank), OK);
        assert_eq!((rank, &dims[..2]), (2, &[2i64, 3][..]));
        check(wasinn_graph_output_shape(g, 0, dims.as_mut_ptr(), 1, &mut rank), WASINN_STATUS_TOO_LARGE);
        assert_eq!(rank, 2);
        check(wasinn_graph_output_shape(g, 0, null_mut(), 0, &mut rank), WASINN_STATUS_TOO_LARGE);
        check(wasinn_graph_output_shape(g, 0, null_mut(), 2, &mut rank), INVALID);

        // Inputs: a by index, b by name.
        let c = new_ctx(g);
        let dims2 = [2u32, 3];
        let a = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = f32_bytes(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
        let ta = tensor(WASINN_TENSOR_TYPE_FP32, &dims2, &a);
        let tb = tensor(WASINN_TENSOR_TYPE_FP32, &dims2, &b);
        check(wasinn_exec_ctx_compute(c), INVALID);
        assert!(last_error().contains("not set"), "{}", last_error());
        check(wasinn_exec_ctx_set_input(c, 0, &ta), OK);
        check(wasinn_exec_ctx_set_input(c, 2, &ta), INVALID);
        check(wasinn_exec_ctx_set_input_by_name(c, c"nope".as_ptr(), 4, &tb), WASINN_STATUS_NOT_FOUND);
        let short = tensor(WASINN_TENSOR_TYPE_FP32, &dims2, &b[..20]);
        check(wasinn_exec_ctx_set_input_by_name(c, c"b".as_ptr(), 1, &short), INVALID);
        // The name is length-delimited: "bx" with length 1 is "b".
        check(wasinn_exec_ctx_set_input_by_name(c, c"bx".as_ptr(), 1, &tb), OK);
        check(wasinn_exec_ctx_get_output(c, 0, null_mut(), 0, &mut len), INVALID);
        assert!(last_error().contains("compute"), "{}", last_error());
        check(wasinn_exec_ctx_compute(c), OK);

        // Outputs by index: size query, short buffer, full read.
        let mut out = [0u8; 24];
        let mut needed = 0;
        check(wasinn_exec_ctx_get_output(c, 0, out.as_mut_ptr().cast(), 23, &mut needed), WASINN_STATUS_TOO_LARGE);
        assert_eq!(needed, 24);
        assert_eq!(out, [0u8; 24], "nothing written on TOO_LARGE");
        check(wasinn_exec_ctx_get_output(c, 0, out.as_mut_ptr().cast(), out.len(), &mut needed), OK);
        assert_eq!(f32_from(&out), [11.0, 22.0, 33.0, 44.0, 55.0, 66.0]);
        check(wasinn_exec_ctx_get_output(c, 1, out.as_mut_ptr().cast(), out.len(), &mut needed), INVALID);
        check(wasinn_exec_ctx_get_output(c, 0, null_mut(), 100, &mut needed), INVALID);
        // By name, out_len optional.
        let mut out2 = [0u8; 32];
        check(
            wasinn_exec_ctx_get_output_by_name(c, c"sum".as_ptr(), 3, out2.as_mut_ptr().cast(), out2.len(), null_mut()),
            OK,
        );
        assert_eq!(&out2[..24], &out[..]);
        check(
            wasinn_exec_ctx_get_output_by_name(c, c"nope".as_ptr(), 4, out2.as_mut_ptr().cast(), 32, &mut needed),
            WASINN_STATUS_NOT_FOUND,
        );

        check(wasinn_exec_ctx_output_type(c, 0, &mut ty), OK);
        assert_eq!(ty, WASINN_TENSOR_TYPE_FP32);
        let mut odims = [0u32; 4];
        check(wasinn_exec_ctx_output_shape(c, 0, odims.as_mut_ptr(), odims.len(), &mut rank), OK);
        assert_eq!((rank, &odims[..2]), (2, &[2u32, 3][..]));
        rank = 0;
        check(wasinn_exec_ctx_output_shape(c, 0, odims.as_mut_ptr(), 1, &mut rank), WASINN_STATUS_TOO_LARGE);
        assert_eq!(rank, 2);

        check(wasinn_exec_ctx_free(c), OK);
        check(wasinn_exec_ctx_free(c), INVALID);
        check(wasinn_exec_ctx_compute(c), INVALID);
    }
    check(wasinn_graph_free(g), OK);
    check(wasinn_graph_free(g), INVALID);
    check(unsafe { wasinn_graph_input_count(g, &mut n) }, INVALID);
    let mut c = 0;
    check(unsafe { wasinn_exec_ctx_new(g, &mut c) }, INVALID);
    assert_eq!(c, 0);
}

#[test]
fn compute_named_returns_an_owned_output_list() {
    let g = load(&two_in_two_out_model());
    let c = new_ctx(g);
    let a = f32_bytes(&[1.0, 2.0]);
    let cv = i64_bytes(&[1, -2, 3]);
    let inputs = [
        wasinn_named_tensor_t { name: c"a".as_ptr(), name_len: 1, tensor: tensor(WASINN_TENSOR_TYPE_FP32, &[2], &a) },
        wasinn_named_tensor_t { name: c"c".as_ptr(), name_len: 1, tensor: tensor(WASINN_TENSOR_TYPE_I64, &[3], &cv) },
    ];
    let mut list = 0;
    unsafe {
        let bad = [wasinn_named_tensor_t { name: c"zz".as_ptr(), name_len: 2, ..inputs[0] }];
        check(wasinn_exec_ctx_compute_named(c, bad.as_ptr(), 1, &mut list), WASINN_STATUS_NOT_FOUND);
        assert_eq!(list, 0);
        check(wasinn_exec_ctx_compute_named(c, inputs.as_ptr(), inputs.len(), &mut list), OK);
        assert_ne!(list, 0);
        // Inputs set earlier are kept: a second call with no inputs computes the same.
        let mut list2 = 0;
        check(wasinn_exec_ctx_compute_named(c, null(), 0, &mut list2), OK);
        check(wasinn_outputs_free(list2), OK);

        let mut n = 0;
        check(wasinn_outputs_count(list, &mut n), OK);
        assert_eq!(n, 2);
        let mut name: *const c_char = null();
        let mut name_len = 0;
        let mut t = tensor(0, &[], &[]);
        check(wasinn_outputs_get(list, 0, &mut name, &mut name_len, &mut t), OK);
        assert_eq!((CStr::from_ptr(name).to_str().unwrap(), name_len), ("sum", 3));
        assert_eq!((t.r#type, std::slice::from_raw_parts(t.dims, t.rank)), (WASINN_TENSOR_TYPE_FP32, &[2u32][..]));
        assert_eq!(f32_from(std::slice::from_raw_parts(t.data, t.data_len)), [11.0, 22.0]);
        check(wasinn_outputs_get(list, 1, &mut name, &mut name_len, &mut t), OK);
        assert_eq!(CStr::from_ptr(name).to_str().unwrap(), "neg");
        assert_eq!(t.r#type, WASINN_TENSOR_TYPE_I64);
        assert_eq!(i64_from(std::slice::from_raw_parts(t.data, t.data_len)), [-1, 2, -3]);
        check(wasinn_outputs_get(list, 2, &mut name, &mut name_len, &mut t), INVALID);

        // Output lists, contexts and graphs are different kinds of handle.
        check(wasinn_exec_ctx_compute(list), INVALID);
        check(wasinn_graph_free(list), INVALID);
        check(wasinn_outputs_free(c), INVALID);
        check(wasinn_outputs_free(g), INVALID);

        check(wasinn_outputs_free(list), OK);
        check(wasinn_outputs_free(list), INVALID);
        check(wasinn_outputs_count(list, &mut n), INVALID);
        check(wasinn_outputs_get(list, 0, &mut name, &mut name_len, &mut t), INVALID);
    }
    check(wasinn_exec_ctx_free(c), OK);
    check(wasinn_graph_free(g), OK);
}

#[test]
fn a_graph_id_is_not_a_context_id_and_contexts_outlive_graph_handles() {
    let g = add_graph();
    let c = new_ctx(g);
    assert_ne!(g, c);
    let mut n = 0;
    unsafe {
        check(wasinn_exec_ctx_compute(g), INVALID);
        check(wasinn_exec_ctx_free(g), INVALID);
        check(wasinn_graph_input_count(c, &mut n), INVALID);
        check(wasinn_graph_free(c), INVALID);
        // Both handles still work after the mix-ups.
        check(wasinn_graph_input_count(g, &mut n), OK);
    }
    check(wasinn_graph_free(g), OK);
    // The context keeps the graph alive.
    let data = f32_bytes(&[1.0; 6]);
    let t = tensor(WASINN_TENSOR_TYPE_FP32, &[2, 3], &data);
    unsafe {
        check(wasinn_exec_ctx_set_input(c, 0, &t), OK);
        check(wasinn_exec_ctx_set_input(c, 1, &t), OK);
    }
    check(wasinn_exec_ctx_compute(c), OK);
    assert_eq!(f32_from(&read_output(c, 0)), [2.0; 6]);
    check(wasinn_exec_ctx_free(c), OK);
}

#[test]
fn registry_models_are_shared() {
    let bytes = add_f32_model(&[2, 3]);
    let b = buffer(&bytes);
    let name = c"capi-shared-add";
    let (mut g1, mut g2) = (0, 0);
    unsafe {
        check(wasinn_registry_add_bytes(name.as_ptr(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &b, 1), OK);
        check(wasinn_registry_add_bytes(name.as_ptr(), WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &b, 1), INVALID);
        assert!(last_error().contains("already registered"), "{}", last_error());
        check(wasinn_graph_load_by_name(name.as_ptr(), name.count_bytes(), &mut g1), OK);
        check(wasinn_graph_load_by_name(name.as_ptr(), name.count_bytes(), &mut g2), OK);
    }
    assert!(g1 != 0 && g2 != 0 && g1 != g2, "each call gives a new handle");
    let (s1, s2) =
        (Registry::global().get("capi-shared-add").unwrap(), Registry::global().get("capi-shared-add").unwrap());
    assert!(Arc::ptr_eq(&s1, &s2), "one shared graph");
    // Freeing one handle leaves the other (and the registry entry) usable.
    check(wasinn_graph_free(g1), OK);
    let c = new_ctx(g2);
    check(wasinn_graph_free(g2), OK);
    let data = f32_bytes(&[0.5; 6]);
    let t = tensor(WASINN_TENSOR_TYPE_FP32, &[2, 3], &data);
    let inputs = [
        wasinn_named_tensor_t { name: c"a".as_ptr(), name_len: 1, tensor: t },
        wasinn_named_tensor_t { name: c"b".as_ptr(), name_len: 1, tensor: t },
    ];
    let mut list = 0;
    check(unsafe { wasinn_exec_ctx_compute_named(c, inputs.as_ptr(), 2, &mut list) }, OK);
    check(wasinn_outputs_free(list), OK);
    check(wasinn_exec_ctx_free(c), OK);

    check(unsafe { wasinn_registry_remove(name.as_ptr()) }, OK);
    check(unsafe { wasinn_registry_remove(name.as_ptr()) }, WASINN_STATUS_NOT_FOUND);
    let mut g3 = 0;
    check(unsafe { wasinn_graph_load_by_name(name.as_ptr(), name.count_bytes(), &mut g3) }, WASINN_STATUS_NOT_FOUND);
    assert!(Arc::strong_count(&s1) >= 1);
}

#[test]
fn registry_files_and_preload() {
    let model = write_temp_model("add.onnx", &add_f32_model(&[2, 3]));
    let path = std::ffi::CString::new(model.path.to_str().unwrap()).unwrap();
    let paths = [path.as_ptr()];
    unsafe {
        check(
            wasinn_registry_add_files(
                c"capi-file-add".as_ptr(),
                WASINN_ENCODING_ONNX,
                WASINN_TARGET_CPU,
                paths.as_ptr(),
                1,
            ),
            OK,
        );
        let spec = std::ffi::CString::new(format!(
            "capi-pre-1:onnx:cpu:{p}; capi-pre-2:ONNX:AUTO:{p}; capi-pre-bad:onnx:cpu:/nonexistent/x.onnx; capi-pre-3:onnx:cpu:{p}",
            p = model.path.display()
        ))
        .unwrap();
        check(wasinn_registry_preload(spec.as_ptr()), WASINN_STATUS_NOT_FOUND);
    }
    let reg = Registry::global();
    assert!(reg.get("capi-file-add").is_ok());
    assert!(reg.get("capi-pre-1").is_ok() && reg.get("capi-pre-2").is_ok(), "items before the failure stay");
    assert!(reg.get("capi-pre-bad").is_err() && reg.get("capi-pre-3").is_err(), "the call stops at the first failure");
    let mut g = 0;
    check(unsafe { wasinn_graph_load_by_name(c"capi-pre-2".as_ptr(), 10, &mut g) }, OK);
    check(wasinn_graph_free(g), OK);
}

#[test]
fn dynamic_dims_are_minus_one() {
    let g = load(&batch_double_model());
    let mut dims = [0i64; 2];
    let mut rank = 0;
    check(unsafe { wasinn_graph_input_shape(g, 0, dims.as_mut_ptr(), 2, &mut rank) }, OK);
    assert_eq!((rank, dims), (2, [-1, 3]));
    let c = new_ctx(g);
    let x = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    check(unsafe { wasinn_exec_ctx_set_input(c, 0, &tensor(WASINN_TENSOR_TYPE_FP32, &[3, 3], &x)) }, OK);
    check(wasinn_exec_ctx_compute(c), OK);
    let mut odims = [0u32; 2];
    check(unsafe { wasinn_exec_ctx_output_shape(c, 0, odims.as_mut_ptr(), 2, &mut rank) }, OK);
    assert_eq!(odims, [3, 3]);
    assert_eq!(f32_from(&read_output(c, 0))[8], 18.0);
    check(wasinn_exec_ctx_free(c), OK);
    check(wasinn_graph_free(g), OK);
}

#[test]
fn contexts_serialize_and_graphs_are_shared_across_threads() {
    let g = add_graph();
    let shared = new_ctx(g);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let own = new_ctx(g);
                for round in 0..20 {
                    let v = (i * 100 + round) as f32;
                    let data = f32_bytes(&[v; 6]);
                    let t = tensor(WASINN_TENSOR_TYPE_FP32, &[2, 3], &data);
                    // Own context: set, compute, read (nobody else touches it).
                    unsafe {
                        check(wasinn_exec_ctx_set_input(own, 0, &t), OK);
                        check(wasinn_exec_ctx_set_input(own, 1, &t), OK);
                    }
                    check(wasinn_exec_ctx_compute(own), OK);
                    assert_eq!(f32_from(&read_output(own, 0)), [2.0 * v; 6]);
                    // Shared context: compute_named is one locked call, so its result is ours.
                    let inputs = [
                        wasinn_named_tensor_t { name: c"a".as_ptr(), name_len: 1, tensor: t },
                        wasinn_named_tensor_t { name: c"b".as_ptr(), name_len: 1, tensor: t },
                    ];
                    let mut list = 0;
                    check(unsafe { wasinn_exec_ctx_compute_named(shared, inputs.as_ptr(), 2, &mut list) }, OK);
                    let (mut name, mut len, mut out) = (null(), 0, tensor(0, &[], &[]));
                    check(unsafe { wasinn_outputs_get(list, 0, &mut name, &mut len, &mut out) }, OK);
                    assert_eq!(f32_from(unsafe { std::slice::from_raw_parts(out.data, out.data_len) }), [2.0 * v; 6]);
                    check(wasinn_outputs_free(list), OK);
                }
                check(wasinn_exec_ctx_free(own), OK);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    check(wasinn_exec_ctx_free(shared), OK);
    check(wasinn_graph_free(g), OK);
}

#[test]
fn load_failures_report_a_status_and_message() {
    let garbage = [0x08u8, 0xff, 0xff, 0xff];
    let b = buffer(&garbage);
    let mut g = 0;
    let s = unsafe { wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g) };
    assert_ne!(s, OK);
    assert_eq!(g, 0);
    assert!(!last_error().is_empty());
    // No backend serves GGML; none runs ONNX on a TPU.
    check(
        unsafe { wasinn_graph_load(&b, 1, WASINN_ENCODING_GGML, WASINN_TARGET_CPU, &mut g) },
        WASINN_STATUS_INVALID_ENCODING,
    );
    check(
        unsafe { wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_TPU, &mut g) },
        WASINN_STATUS_UNSUPPORTED_OPERATION,
    );
    // Autodetect recognises ONNX bytes.
    let bytes = add_f32_model(&[1]);
    let ok = buffer(&bytes);
    check(unsafe { wasinn_graph_load(&ok, 1, WASINN_ENCODING_AUTODETECT, WASINN_TARGET_AUTO, &mut g) }, OK);
    check(wasinn_graph_free(g), OK);
    let _unused: *mut c_void = null_mut();
}

// ------------------------------------------------------------------------------------------------
// A panic inside the backend poisons only its context.

#[test]
fn a_panic_in_a_tract_compute_poisons_only_that_context() {
    let g = add_graph();
    let (a, b) = (f32_bytes(&[1.0; 6]), f32_bytes(&[2.0; 6]));
    let set = |c: wasinn_exec_ctx_t| unsafe {
        let ta = tensor(WASINN_TENSOR_TYPE_FP32, &[2, 3], &a);
        let tb = tensor(WASINN_TENSOR_TYPE_FP32, &[2, 3], &b);
        (wasinn_exec_ctx_set_input(c, 0, &ta), wasinn_exec_ctx_set_input(c, 1, &tb))
    };
    let (bad, good) = (new_ctx(g), new_ctx(g));
    for c in [bad, good] {
        assert_eq!(set(c), (OK, OK), "{}", last_error());
        check(wasinn_exec_ctx_compute(c), OK);
    }
    // The next tract compute on this thread panics inside tract's guard, as a tract bug would.
    wasinn::backends::tract::panic_in_next_compute_on_this_thread();
    check(wasinn_exec_ctx_compute(bad), WASINN_STATUS_PANIC);
    assert!(last_error().contains("panic_in_next_compute_on_this_thread"), "{}", last_error());
    // From now on every call on that context fails with RUNTIME_ERROR, without reaching tract.
    check(wasinn_exec_ctx_compute(bad), WASINN_STATUS_RUNTIME_ERROR);
    assert!(last_error().contains("poisoned by an earlier panic"), "{}", last_error());
    let (sa, sb) = set(bad);
    assert_eq!((sa, sb), (WASINN_STATUS_RUNTIME_ERROR, WASINN_STATUS_RUNTIME_ERROR));
    let mut buf = [0u8; 24];
    let mut len = 0;
    check(unsafe { wasinn_exec_ctx_get_output(bad, 0, buf.as_mut_ptr().cast(), buf.len(), &mut len) }, WASINN_STATUS_RUNTIME_ERROR);
    assert!(last_error().contains("poisoned"), "{}", last_error());
    // The other context of the same graph, and a new one, still work; the outputs of the good
    // context's earlier compute are intact.
    assert_eq!(f32_from(&read_output(good, 0)), [3.0; 6]);
    check(wasinn_exec_ctx_compute(good), OK);
    let fresh = new_ctx(g);
    assert_eq!(set(fresh), (OK, OK));
    check(wasinn_exec_ctx_compute(fresh), OK);
    assert_eq!(f32_from(&read_output(fresh, 0)), [3.0; 6]);
    // A poisoned context is still freed normally.
    for c in [bad, good, fresh] {
        check(wasinn_exec_ctx_free(c), OK);
    }
    check(wasinn_graph_free(g), OK);
}
