//! Checks libwasinn's enum numbering against the specification texts in `wit/`, parsed here with a
//! tiny parser (no number is restated by hand): the core (C API) enums against the WIT enums, the
//! core status codes against witx `nn_errno`, and the witx compat profiles against both.

use std::path::Path;

use wasinn::core::error::Status;
use wasinn::core::types::{Encoding, Target, TensorType};
use wasinn::glue::profile::{wit_error_code, Profile, WitErrorCode};

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Members of `enum <name> { a, b, ... }` in a WIT text, in order (comments skipped).
fn wit_enum(text: &str, name: &str) -> Vec<String> {
    let header = format!("enum {name} {{");
    let start = text.find(&header).unwrap_or_else(|| panic!("no `{header}` in the WIT")) + header.len();
    let body = &text[start..start + text[start..].find('}').expect("unterminated enum")];
    body.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Members of `(typename $<name> (enum (@witx tag uN) $a $b ...))` in a witx text, in order.
fn witx_enum(text: &str, name: &str) -> Vec<String> {
    let header = format!("(typename ${name}");
    let start = text.find(&header).unwrap_or_else(|| panic!("no `{header}` in the witx")) + header.len();
    let rest = &text[start..];
    let en = rest.find("(enum").expect("not an enum");
    let rest = &rest[en + "(enum".len()..];
    // Skip the `(@witx tag uN)` annotation, then read `$member` tokens up to the closing paren.
    let rest = &rest[rest.find(')').expect("unterminated tag annotation") + 1..];
    let body = &rest[..rest.find(')').expect("unterminated enum")];
    body.split_whitespace()
        .map(|t| t.strip_prefix('$').unwrap_or_else(|| panic!("unexpected token {t:?} in witx enum {name}")).to_owned())
        .collect()
}

/// Spec names to libwasinn's lower-case names: `FP16` -> `fp16`, witx `f16` -> `fp16`,
/// `invalid-argument` -> `invalid_argument`.
fn norm(name: &str) -> String {
    let n = name.to_ascii_lowercase().replace('-', "_");
    match n.strip_prefix('f') {
        Some(bits) if !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) => format!("fp{bits}"),
        _ => n,
    }
}

fn status_name(s: Status) -> String {
    s.as_cstr().to_str().unwrap().replace(' ', "_")
}

fn pos(v: usize) -> u32 {
    u32::try_from(v).unwrap()
}

#[test]
fn parser_sanity() {
    let wit = read("wasi-nn.wit");
    assert_eq!(wit_enum(&wit, "execution-target"), ["cpu", "gpu", "tpu"]);
    assert_eq!(witx_enum(&read("wasi-nn.witx"), "execution_target"), ["cpu", "gpu", "tpu"]);
    assert_eq!(norm("FP16"), "fp16");
    assert_eq!(norm("f64"), "fp64");
    assert_eq!(norm("not-found"), "not_found");
    assert_eq!(norm("tensorflowlite"), "tensorflowlite");
}

#[test]
fn core_tensor_types_follow_wit() {
    let members = wit_enum(&read("wasi-nn.wit"), "tensor-type");
    assert_eq!(members.len(), 7);
    for (i, m) in members.iter().enumerate() {
        let v = TensorType::from_name(&norm(m)).unwrap_or_else(|| panic!("no core tensor type for WIT {m}"));
        assert_eq!(v as u32, pos(i), "WIT tensor-type {m}");
        assert_eq!(TensorType::try_from(pos(i)).unwrap(), v);
    }
    // Every core value below the library-extension base is a WIT member.
    for v in TensorType::ALL.iter().filter(|v| (**v as u32) < 100) {
        assert!(members.iter().any(|m| norm(m) == v.name()), "{v} is not in WIT");
    }
}

#[test]
fn core_encodings_follow_wit() {
    let members = wit_enum(&read("wasi-nn.wit"), "graph-encoding");
    for (i, m) in members.iter().enumerate() {
        let v = Encoding::from_name(&norm(m)).unwrap_or_else(|| panic!("no core encoding for WIT {m}"));
        assert_eq!(v as u32, pos(i), "WIT graph-encoding {m}");
    }
    // Library extensions (the `remote` encoding) sit at 100 and above.
    assert_eq!(Encoding::ALL.iter().filter(|v| (**v as u32) < 100).count(), members.len());
}

#[test]
fn core_targets_follow_wit() {
    let members = wit_enum(&read("wasi-nn.wit"), "execution-target");
    for (i, m) in members.iter().enumerate() {
        let v = Target::from_name(&norm(m)).unwrap_or_else(|| panic!("no core target for WIT {m}"));
        assert_eq!(v as u32, pos(i), "WIT execution-target {m}");
    }
    for v in Target::ALL.iter().filter(|v| (**v as u32) < 100) {
        assert!(members.iter().any(|m| norm(m) == v.name()), "{v} is not in WIT");
    }
}

#[test]
fn core_status_codes_follow_witx_errno() {
    let members = witx_enum(&read("wasi-nn.witx"), "nn_errno");
    assert_eq!(members.len(), 9);
    for (i, m) in members.iter().enumerate() {
        let s = Status::from_code(pos(i)).unwrap_or_else(|| panic!("no status {i}"));
        assert_eq!(status_name(s), norm(m), "witx nn_errno {i}");
    }
    // The streaming statuses are WasmEdge's extension errnos (100..=102); library-only statuses
    // sit outside both ranges.
    let stream = wasinn::core::error::STREAM_STATUS_BASE..wasinn::core::error::STREAM_STATUS_BASE + 3;
    for s in Status::ALL {
        assert!(
            s.code() < pos(members.len()) || stream.contains(&s.code()) || s.code() >= wasinn::core::error::LIBRARY_STATUS_BASE,
            "{s:?}"
        );
    }
    assert_eq!(
        [Status::EndOfSequence, Status::ContextFull, Status::PromptTooLong].map(Status::code),
        [100, 101, 102]
    );
}

#[test]
fn wit_error_codes_follow_wit() {
    let members = wit_enum(&read("wasi-nn.wit"), "error-code");
    assert_eq!(members.len(), WitErrorCode::ALL.len());
    for (i, m) in members.iter().enumerate() {
        assert_eq!(WitErrorCode::ALL[i].name(), m);
        assert_eq!(WitErrorCode::ALL[i].code(), pos(i));
    }
    assert_eq!(wit_error_code(Status::Success), None);
    for s in Status::ALL.into_iter().filter(|s| *s != Status::Success) {
        let code = wit_error_code(s).unwrap_or_else(|| panic!("{s:?} has no WIT code"));
        // A status whose name is a WIT code maps to exactly that code.
        if let Some(i) = members.iter().position(|m| norm(m) == status_name(s)) {
            assert_eq!(code.code(), pos(i), "{s:?}");
        }
    }
    // Documented choices for statuses WIT has no name for.
    assert_eq!(wit_error_code(Status::MissingMemory), Some(WitErrorCode::InvalidArgument));
    assert_eq!(wit_error_code(Status::Security), Some(WitErrorCode::Security));
    assert_eq!(wit_error_code(Status::Panic), Some(WitErrorCode::RuntimeError));
    assert_eq!(wit_error_code(Status::Exhausted), Some(WitErrorCode::RuntimeError));
    assert_eq!(wit_error_code(Status::EndOfSequence), Some(WitErrorCode::NotFound));
    assert_eq!(wit_error_code(Status::ContextFull), Some(WitErrorCode::TooLarge));
    assert_eq!(wit_error_code(Status::PromptTooLong), Some(WitErrorCode::TooLarge));
}

/// Checks a profile's decoding tables against a spec enum: position i decodes to the core value
/// of the same name, and the first position past the enum is rejected.
fn check_decoding<T: std::fmt::Debug + PartialEq + Copy>(
    members: &[String],
    decode: impl Fn(u32) -> Result<T, wasinn::core::error::Error>,
    by_name: impl Fn(&str) -> Option<T>,
    what: &str,
) {
    for (i, m) in members.iter().enumerate() {
        let expected = by_name(&norm(m)).unwrap_or_else(|| panic!("no core {what} named {m}"));
        assert_eq!(decode(pos(i)).unwrap(), expected, "{what} {i} ({m})");
    }
}

#[test]
fn spec_profile_follows_witx() {
    let witx = read("wasi-nn.witx");
    let p = Profile::Spec;
    let types = witx_enum(&witx, "tensor_type");
    check_decoding(&types, |r| p.tensor_type(r), TensorType::from_name, "tensor_type");
    assert_eq!(p.tensor_type(pos(types.len())).unwrap_err().status, Status::InvalidArgument);
    let encodings = witx_enum(&witx, "graph_encoding");
    check_decoding(&encodings, |r| p.encoding(r), Encoding::from_name, "graph_encoding");
    assert_eq!(p.encoding(pos(encodings.len())).unwrap_err().status, Status::InvalidEncoding);
    let targets = witx_enum(&witx, "execution_target");
    check_decoding(&targets, |r| p.target(r), Target::from_name, "execution_target");
    assert_eq!(p.target(pos(targets.len())).unwrap_err().status, Status::InvalidArgument);
    assert_eq!((p.tensor_types().len(), p.encodings().len(), p.targets().len()), (types.len(), encodings.len(), targets.len()));

    let errnos = witx_enum(&witx, "nn_errno");
    let errno_name = |s: Status| errnos[usize::from(p.errno(s))].clone();
    for s in Status::ALL {
        if s.code() < pos(errnos.len()) {
            assert_eq!(norm(&errno_name(s)), status_name(s), "{s:?}");
        }
    }
    assert_eq!(errno_name(Status::Panic), "runtime_error");
    assert_eq!(errno_name(Status::Exhausted), "runtime_error");
    assert_eq!(errno_name(Status::Security), "unsupported_operation");
    // No streaming errnos in the witx: the documented choices.
    assert_eq!(errno_name(Status::EndOfSequence), "not_found");
    assert_eq!(errno_name(Status::ContextFull), "too_large");
    assert_eq!(errno_name(Status::PromptTooLong), "too_large");
}

/// The streaming statuses a profile returns as WasmEdge's extension errnos 100..=102.
fn is_stream_status(s: Status) -> bool {
    matches!(s, Status::EndOfSequence | Status::ContextFull | Status::PromptTooLong)
}

#[test]
fn wasmedge_profile_extends_witx() {
    let witx = read("wasi-nn.witx");
    let p = Profile::WasmEdge;
    check_decoding(&witx_enum(&witx, "tensor_type"), |r| p.tensor_type(r), TensorType::from_name, "tensor_type");
    check_decoding(&witx_enum(&witx, "graph_encoding"), |r| p.encoding(r), Encoding::from_name, "graph_encoding");
    check_decoding(&witx_enum(&witx, "execution_target"), |r| p.target(r), Target::from_name, "execution_target");
    // WasmEdge's own id past the witx ones.
    assert_eq!(p.encoding(6).unwrap(), Encoding::Ggml);
    assert_eq!(p.encoding(7).unwrap_err().status, Status::InvalidEncoding);
    for s in Status::ALL {
        if is_stream_status(s) {
            // WasmEdge's own extension errnos, the same numbers as the statuses.
            assert_eq!(u32::from(p.errno(s)), s.code(), "{s:?}");
        } else {
            assert_eq!(p.errno(s), Profile::Spec.errno(s), "{s:?}");
        }
    }
    assert_eq!([Status::EndOfSequence, Status::ContextFull, Status::PromptTooLong].map(|s| p.errno(s)), [100, 101, 102]);
}

#[test]
fn wamr_2_1_profile_follows_wit() {
    let wit = read("wasi-nn.wit");
    let p = Profile::Wamr21;
    check_decoding(&wit_enum(&wit, "tensor-type"), |r| p.tensor_type(r), TensorType::from_name, "tensor-type");
    check_decoding(&wit_enum(&wit, "graph-encoding"), |r| p.encoding(r), Encoding::from_name, "graph-encoding");
    check_decoding(&wit_enum(&wit, "execution-target"), |r| p.target(r), Target::from_name, "execution-target");
    assert_eq!(p.tensor_type(7).unwrap_err().status, Status::InvalidArgument);
    assert_eq!(p.encoding(7).unwrap_err().status, Status::InvalidEncoding);
    // WAMR 2.1-2.3's wasi_nn_error is `success` followed by the WIT error-code members.
    let codes = wit_enum(&wit, "error-code");
    for s in Status::ALL {
        let expected = match wit_error_code(s) {
            None => 0,
            Some(code) => 1 + codes.iter().position(|m| m == code.name()).unwrap(),
        };
        assert_eq!(usize::from(p.errno(s)), expected, "{s:?}");
    }
}

/// WAMR 2.4+: witx tensor types and errnos (WAMR PR #4307), WIT-order encodings. The values
/// themselves are checked against WAMR's header by `tests/wamr_headers.rs`; this pins the relation
/// to the spec texts in `wit/`.
#[test]
fn wamr_profile_is_witx_with_wit_encodings() {
    let witx = read("wasi-nn.witx");
    let wit = read("wasi-nn.wit");
    let p = Profile::Wamr;
    check_decoding(&witx_enum(&witx, "tensor_type"), |r| p.tensor_type(r), TensorType::from_name, "tensor_type");
    check_decoding(&wit_enum(&wit, "graph-encoding"), |r| p.encoding(r), Encoding::from_name, "graph-encoding");
    check_decoding(&witx_enum(&witx, "execution_target"), |r| p.target(r), Target::from_name, "execution_target");
    assert_eq!(p.tensor_type(6).unwrap_err().status, Status::InvalidArgument);
    assert_eq!(p.encoding(7).unwrap_err().status, Status::InvalidEncoding);
    for s in Status::ALL {
        if is_stream_status(s) {
            // WAMR 2.4's header declares WasmEdge's extension errnos (checked by wamr_headers.rs).
            assert_eq!(u32::from(p.errno(s)), s.code(), "{s:?}");
        } else {
            assert_eq!(p.errno(s), Profile::Spec.errno(s), "{s:?}");
        }
    }
}

#[test]
fn profiles_round_trip_their_raw_values_and_names() {
    for p in Profile::ALL {
        assert_eq!(Profile::from_raw(p.raw()).unwrap(), p);
        assert_eq!(Profile::from_name(p.name()).unwrap(), p);
    }
    assert_eq!(Profile::ALL.map(|p| p.raw()), [0, 1, 2, 3]);
    assert_eq!(Profile::from_raw(4).unwrap_err().status, Status::InvalidArgument);
    let e = Profile::from_name("wamr2").unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(e.to_string().contains("wamr-2.1"), "{e}");
}
