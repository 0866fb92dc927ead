//! Target (c): every parser of host text in `src/`: the preload spec (`WASINN_NN_PRELOAD`,
//! `wasinn_registry_preload`: `name:encoding:target:path[:path...]`, `;`-separated), the
//! `WASINN_LOG` level, encoding/target/tensor-type names, and the backend preference list
//! (`wasinn_backend_set_preference`, the same syntax as `WASINN_BACKEND_PREFERENCE`).
//!
//! Input: a selector byte, then the text (arbitrary bytes: the C entry points get them as a C
//! string cut at the first NUL, the Rust parsers as lossy UTF-8).
//!
//! Checked: a parsed spec has a non-empty name and paths, none holding `:`, and prints back to a
//! spec that parses to the same value; a list parses item by item exactly as its non-empty items
//! do alone; levels are 0..=4, case- and blank-insensitive; a parsed name prints back to itself;
//! the preference set is the list's trimmed non-empty names; `wasinn_registry_preload` succeeds
//! exactly when every item parses and loads, and returns a documented status otherwise. Preload
//! reads files only under a fixed scratch directory holding a few models: a spec naming any other
//! path is not passed to the library (a host's preload paths are trusted configuration).
//!
//! Every `unsafe` call below passes a NUL-terminated string that outlives the call.

use std::ffi::CString;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use wasinn::capi::*;
use wasinn::core::log::parse_level;
use wasinn::core::registry::PreloadSpec;
use wasinn::core::types::{Encoding, Target, TensorType};

use super::{lib_call, Reader, Writer};

/// Parser selectors.
mod sel {
    pub const SPEC: u8 = 0;
    pub const LIST: u8 = 1;
    pub const LEVEL: u8 = 2;
    pub const NAMES: u8 = 3;
    pub const PREFERENCE: u8 = 4;
    pub const PRELOAD: u8 = 5;
    pub const COUNT: u8 = 6;
}

/// The scratch directory preload specs may name (created with the harness's models on first use).
pub fn model_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("wasinn-fuzz-models");
        std::fs::create_dir_all(&dir).expect("creating the preload scratch directory");
        for (name, bytes) in super::models() {
            std::fs::write(dir.join(format!("{name}.onnx")), bytes).expect("writing a model");
        }
        std::fs::write(dir.join("junk.bin"), b"\x08\x07\x12\x04junk").expect("writing junk");
        dir
    })
}

fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("cut at the first NUL")
}

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    let mut r = Reader::new(data);
    let which = r.u8() % sel::COUNT;
    let raw = r.rest();
    let text = String::from_utf8_lossy(raw);
    match which {
        sel::SPEC => check_spec(&text),
        sel::LIST => {
            let items: Vec<&str> = text.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
            let parsed = PreloadSpec::parse_list(&text);
            assert_eq!(parsed.len(), items.len(), "one result per non-empty item of {text:?}");
            for (item, p) in items.iter().zip(&parsed) {
                assert_eq!(p.as_ref().ok(), PreloadSpec::parse(item).as_ref().ok(), "item {item:?} alone and in {text:?}");
                check_spec(item);
            }
        }
        sel::LEVEL => {
            let level = parse_level(&text);
            assert!(level <= 4, "level {level} for {text:?}");
            assert_eq!(parse_level(&text.to_ascii_uppercase()), level, "case changes the level of {text:?}");
            assert_eq!(parse_level(&format!(" \t{text}\n")), level, "blanks change the level of {text:?}");
        }
        sel::NAMES => {
            if let Some(e) = Encoding::from_name(&text) {
                assert!(e.name().eq_ignore_ascii_case(&text));
            }
            if let Some(t) = Target::from_name(&text) {
                assert!(t.name().eq_ignore_ascii_case(&text));
            }
            if let Some(t) = TensorType::from_name(&text) {
                assert!(t.name().eq_ignore_ascii_case(&text));
            }
        }
        sel::PREFERENCE => check_preference(raw),
        _ => check_preload(raw),
    }
}

fn check_spec(text: &str) {
    let Ok(spec) = PreloadSpec::parse(text) else { return };
    assert!(!spec.name.is_empty() && !spec.name.contains(':'), "name {:?} from {text:?}", spec.name);
    assert!(!spec.paths.is_empty(), "no path from {text:?}");
    let paths: Vec<String> = spec.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    assert!(paths.iter().all(|p| !p.is_empty() && !p.contains(':')), "paths {paths:?} from {text:?}");
    let printed = format!("{}:{}:{}:{}", spec.name, spec.encoding.name(), spec.target.name(), paths.join(":"));
    assert_eq!(PreloadSpec::parse(&printed).ok().as_ref(), Some(&spec), "{text:?} printed as {printed:?}");
}

fn check_preference(raw: &[u8]) {
    let c = c_string(raw);
    let s = lib_call(|| unsafe { wasinn_backend_set_preference(c.as_ptr()) });
    match c.to_str() {
        Ok(text) => {
            assert_eq!(s, WASINN_STATUS_SUCCESS, "set_preference({text:?})");
            let names: Vec<&str> = text.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
            let now = wasinn::core::loader::preference();
            if !names.is_empty() {
                assert_eq!(now, names, "the preference set from {text:?}");
            }
        }
        Err(_) => assert_eq!(s, WASINN_STATUS_INVALID_ARGUMENT, "a preference list that is not UTF-8"),
    }
    assert_eq!(unsafe { wasinn_backend_set_preference(std::ptr::null()) }, WASINN_STATUS_SUCCESS);
}

fn inside_model_dir(p: &Path) -> bool {
    p.starts_with(model_dir()) && p.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

fn check_preload(raw: &[u8]) {
    let c = c_string(raw);
    let Ok(text) = c.to_str() else {
        assert_eq!(lib_call(|| unsafe { wasinn_registry_preload(c.as_ptr()) }), WASINN_STATUS_INVALID_ARGUMENT);
        return;
    };
    let items = PreloadSpec::parse_list(text);
    let parsed: Vec<&PreloadSpec> = items.iter().filter_map(|i| i.as_ref().ok()).collect();
    let safe = parsed.iter().all(|s| {
        !s.name.starts_with(super::glue::NAME_PREFIX) && s.paths.iter().all(|p| inside_model_dir(p))
    });
    if !safe {
        return;
    }
    let s = lib_call(|| unsafe { wasinn_registry_preload(c.as_ptr()) });
    assert!(
        [
            WASINN_STATUS_SUCCESS,
            WASINN_STATUS_INVALID_ARGUMENT,
            WASINN_STATUS_INVALID_ENCODING,
            WASINN_STATUS_NOT_FOUND,
            WASINN_STATUS_UNSUPPORTED_OPERATION,
            WASINN_STATUS_RUNTIME_ERROR,
            WASINN_STATUS_PANIC, // third-party only: the hook fails the run on our own
        ]
        .contains(&s),
        "wasinn_registry_preload({text:?}) returned {s}"
    );
    if items.is_empty() {
        assert_eq!(s, WASINN_STATUS_INVALID_ARGUMENT, "an empty preload spec {text:?}");
    }
    if s == WASINN_STATUS_SUCCESS {
        assert_eq!(parsed.len(), items.len(), "{text:?} succeeded with a malformed item");
    }
    // Leave the registry as it was; names never registered give NOT_FOUND.
    for spec in parsed {
        let name = CString::new(spec.name.as_bytes()).expect("no NUL in a C string's part");
        let s = unsafe { wasinn_registry_remove(name.as_ptr()) };
        assert!(matches!(s, WASINN_STATUS_SUCCESS | WASINN_STATUS_NOT_FOUND), "removing {:?}: {s}", spec.name);
    }
}

/// Seeds: valid and near-valid text for each parser.
pub fn seeds() -> Vec<Vec<u8>> {
    let dir = model_dir().display().to_string();
    let text = |sel: u8, t: &str| Writer::new().u8(sel).bytes(t.as_bytes()).finish();
    vec![
        text(sel::SPEC, "m:onnx:cpu:/a/b.onnx"),
        text(sel::SPEC, "ir:OpenVINO:AUTO:m.xml:m.bin"),
        text(sel::SPEC, "m::cpu:x"),
        text(sel::LIST, "a:onnx:cpu:x; ;b:onnx:gpu:y;:onnx:cpu:z"),
        text(sel::LEVEL, "Debug"),
        text(sel::LEVEL, " warning "),
        text(sel::LEVEL, "5"),
        text(sel::NAMES, "TensorFlowLite"),
        text(sel::NAMES, "fp8e4m3fn"),
        text(sel::PREFERENCE, "tract, onnxruntime,,openvino"),
        text(sel::PREFERENCE, " , "),
        text(sel::PRELOAD, &format!("fz-a:onnx:cpu:{dir}/add.onnx")),
        text(sel::PRELOAD, &format!("fz-b:autodetect:auto:{dir}/ident-u8.onnx;fz-c:onnx:cpu:{dir}/junk.bin")),
        text(sel::PRELOAD, &format!("fz-d:onnx:gpu:{dir}/add.onnx;fz-d:onnx:cpu:{dir}/missing.onnx")),
        text(sel::PRELOAD, " ; "),
    ]
}
