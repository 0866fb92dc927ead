//! The WAMR profiles against WAMR's own header: `wasi_nn_types.h` is extracted from the WAMR source
//! archive in `../shared/runtimes/` (or read from `WAMR_SOURCE_DIR`, an extracted WAMR tree), its
//! enum bodies are parsed (implicit increments included) under `WASM_ENABLE_WASI_EPHEMERAL_NN` = 1
//! (the `wasi_ephemeral_nn` module) and = 0 (the legacy `wasi_nn` module), and every value of the
//! profile tables is checked against them, so no number is restated here.
//!
//! Without a WAMR source the test prints a loud SKIPPED line and passes, except with `CI=true` or
//! `WASINN_REQUIRE_WAMR=1`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use wasinn::core::error::Status;
use wasinn::core::types::{Encoding, Target, TensorType};
use wasinn::glue::profile::{legacy_wasi_nn_tensor_type, Profile, LEGACY_WASI_NN_TENSOR_TYPES};

const HEADER: &str = "core/iwasm/libraries/wasi-nn/include/wasi_nn_types.h";

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true") || std::env::var("WASINN_REQUIRE_WAMR").is_ok_and(|v| v == "1")
}

/// The WAMR archives beside the worktree (`../shared/runtimes/wamr-*.tar.gz`), newest name last.
fn archives() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/runtimes");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("wamr-") && n.ends_with(".tar.gz")))
        .collect();
    found.sort();
    found
}

/// The header's text, or why there is none.
fn header_text() -> Result<(String, String), String> {
    if let Some(dir) = std::env::var_os("WAMR_SOURCE_DIR") {
        let path = Path::new(&dir).join(HEADER);
        return std::fs::read_to_string(&path)
            .map(|t| (t, path.display().to_string()))
            .map_err(|e| format!("WAMR_SOURCE_DIR is set but {} cannot be read: {e}", path.display()));
    }
    let Some(archive) = archives().pop() else {
        return Err("../shared/runtimes/wamr-*.tar.gz missing; set WAMR_SOURCE_DIR=... to a WAMR source tree".into());
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wamr-headers");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .arg("--wildcards")
        .arg(format!("*/{HEADER}"))
        .status()
        .map_err(|e| format!("running tar: {e}"))?;
    // A failed extraction with the archive present is a real failure, never a skip.
    assert!(status.success(), "tar could not extract {HEADER} from {}", archive.display());
    let top = std::fs::read_dir(&out)
        .expect("extraction directory")
        .flatten()
        .map(|e| e.path().join(HEADER))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{HEADER} not found in {}", archive.display()));
    let text = std::fs::read_to_string(&top).expect("extracted header");
    Ok((text, format!("{} ({})", archive.display(), HEADER)))
}

/// Removes comments and keeps the lines a C preprocessor would keep with
/// `WASM_ENABLE_WASI_EPHEMERAL_NN` = `ephemeral`; other conditions keep both branches (they only
/// guard macro definitions and struct layouts, never the enums, which `enum_members` checks by
/// refusing two enums with one tag).
fn preprocess(text: &str, ephemeral: bool) -> String {
    let mut no_comments = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        no_comments.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    no_comments.push_str(rest);
    // (condition evaluated?, active) per nesting level.
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut kept = String::new();
    for line in no_comments.lines() {
        let line = line.split("//").next().unwrap_or("");
        let t = line.trim();
        if let Some(cond) = t.strip_prefix("#if") {
            // Compound conditions (`!defined(__wasm__) || ...`) only pick struct layouts: both kept.
            let simple = !cond.contains("&&") && !cond.contains("||");
            let active = if simple && cond.contains("WASM_ENABLE_WASI_EPHEMERAL_NN") {
                let eq = cond.contains("== 0");
                assert!(eq || cond.contains("!= 0"), "unexpected condition {t:?}");
                (ephemeral != eq, true)
            } else {
                (true, false)
            };
            stack.push((active.1, active.0));
        } else if t.starts_with("#else") {
            let top = stack.last_mut().expect("#else without #if");
            if top.0 {
                top.1 = !top.1;
            }
        } else if t.starts_with("#endif") {
            stack.pop().expect("#endif without #if");
        } else if stack.iter().all(|&(_, active)| active) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    assert!(stack.is_empty(), "unbalanced #if");
    kept
}

/// The members (name, value) of the `typedef enum { ... } <tag>;` whose tag is `tag` or
/// `WASI_NN_NAME(tag)`.
fn enum_members(src: &str, tag: &str) -> Vec<(String, u32)> {
    let mut found = None;
    let mut at = 0;
    while let Some(i) = src[at..].find("typedef enum") {
        let start = at + i;
        let open = start + src[start..].find('{').expect("enum body");
        let close = open + src[open..].find('}').expect("enum end");
        let end = close + src[close..].find(';').expect("enum tag");
        let closing_tag = src[close + 1..end].trim();
        if closing_tag == tag || closing_tag.ends_with(&format!("({tag})")) {
            assert!(found.is_none(), "two enums tagged {tag}");
            found = Some(&src[open + 1..close]);
        }
        at = end;
    }
    let body = found.unwrap_or_else(|| panic!("no enum tagged {tag}"));
    let mut next = 0u32;
    let mut members = Vec::new();
    for item in body.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = match item.split_once('=') {
            Some((n, v)) => (n.trim(), v.trim().parse::<u32>().unwrap_or_else(|e| panic!("{item}: {e}"))),
            None => (item, next),
        };
        // `WASI_NN_ERROR_NAME(success)` -> `success`.
        let name = name.split_once('(').map_or(name, |(_, n)| n.trim_end_matches(')')).trim();
        members.push((name.to_string(), value));
        next = value + 1;
    }
    members
}

fn status_name(s: Status) -> String {
    s.as_cstr().to_str().unwrap().replace(' ', "_")
}

/// The core value named like a WAMR member (`up8` and `ip32` are WAMR's legacy names).
fn tensor_type_named(name: &str) -> TensorType {
    let name = match name {
        "up8" => "u8",
        "ip32" => "i32",
        n => n,
    };
    TensorType::from_name(name).unwrap_or_else(|| panic!("no core tensor type named {name}"))
}

#[test]
fn wamr_profile_matches_wamr_headers() {
    let (text, origin) = match header_text() {
        Ok(t) => t,
        Err(why) if required() => panic!("WAMR headers required (CI=true or WASINN_REQUIRE_WAMR=1): {why}"),
        Err(why) => {
            eprintln!("SKIPPED: WAMR profile vs WAMR headers ({why})");
            return;
        }
    };
    eprintln!("checking the WAMR profile against {origin}");
    let eph = preprocess(&text, true);
    let p = Profile::Wamr;

    let types = enum_members(&eph, "tensor_type");
    assert!(types.len() >= 6, "{types:?}");
    for (name, value) in &types {
        assert_eq!(p.tensor_type(*value).unwrap(), tensor_type_named(name), "tensor_type {name} = {value}");
    }
    assert_eq!(p.tensor_types().len(), types.len(), "the profile decodes exactly WAMR's tensor types");

    let encodings = enum_members(&eph, "graph_encoding");
    let mut decoded = 0;
    for (name, value) in &encodings {
        match Encoding::from_name(name) {
            Some(e) => {
                assert_eq!(p.encoding(*value).unwrap(), e, "graph_encoding {name} = {value}");
                decoded += 1;
            }
            // WAMR's `unknown_backend` sentinel is no encoding.
            None => {
                assert_eq!(name, "unknown_backend", "an encoding of WAMR's the core lacks");
                assert_eq!(p.encoding(*value).unwrap_err().status, Status::InvalidEncoding);
            }
        }
    }
    assert_eq!(p.encodings().len(), decoded);

    let targets = enum_members(&eph, "execution_target");
    for (name, value) in &targets {
        assert_eq!(p.target(*value).unwrap(), Target::from_name(name).unwrap(), "execution_target {name} = {value}");
    }
    assert_eq!(p.targets().len(), targets.len());

    let errnos = enum_members(&eph, "WASI_NN_ERROR_TYPE");
    let name_of = |v: u16| {
        errnos.iter().find(|(_, x)| *x == u32::from(v)).map(|(n, _)| n.clone()).unwrap_or_else(|| panic!("errno {v} is not WAMR's"))
    };
    for s in Status::ALL {
        let expected = match s {
            Status::Panic | Status::Exhausted => "runtime_error".to_string(),
            // WAMR 2.4 has no `security`: the witx choice.
            Status::Security => "unsupported_operation".to_string(),
            // WAMR's header spells it `prompt_tool_long` (same value, 102).
            Status::PromptTooLong => "prompt_tool_long".to_string(),
            s => status_name(s),
        };
        assert_eq!(name_of(p.errno(s)), expected, "{s:?}");
    }
    // The errno the glue's instance-creation fallback uses.
    assert_eq!(name_of(p.errno(Status::RuntimeError)), "runtime_error");

    // The legacy `wasi_nn` module (WASM_ENABLE_WASI_EPHEMERAL_NN = 0): its own tensor types, the
    // same errnos and encodings.
    let legacy = preprocess(&text, false);
    let legacy_types = enum_members(&legacy, "tensor_type");
    for (name, value) in &legacy_types {
        assert_eq!(legacy_wasi_nn_tensor_type(*value).unwrap(), tensor_type_named(name), "legacy tensor_type {name} = {value}");
    }
    assert_eq!(LEGACY_WASI_NN_TENSOR_TYPES.len(), legacy_types.len());
    assert_eq!(enum_members(&legacy, "WASI_NN_ERROR_TYPE"), errnos);
    assert_eq!(enum_members(&legacy, "graph_encoding"), encodings);
}

#[test]
fn parser_sanity() {
    let src = "typedef enum { A(x) = 0, A(y), A(z) = 5, A(w), } WASI_NN_NAME(t);\n\
               #if WASM_ENABLE_WASI_EPHEMERAL_NN != 0\ntypedef enum { a = 1, b } e; /* c, d */\n#else\ntypedef enum { c } e;\n#endif\n";
    let members = enum_members(src, "t");
    let expected: Vec<(String, u32)> = [("x", 0), ("y", 1), ("z", 5), ("w", 6)].iter().map(|(n, v)| (n.to_string(), *v)).collect();
    assert_eq!(members, expected);
    assert_eq!(enum_members(&preprocess(src, true), "e"), vec![("a".to_string(), 1), ("b".to_string(), 2)]);
    assert_eq!(enum_members(&preprocess(src, false), "e"), vec![("c".to_string(), 0)]);
}
