//! Plugin discovery, ABI negotiation, rejection and error paths, with the mock plugin
//! (`plugins/mock`) copied under names that select its misbehaviour.
//!
//! Plugin state is per process, so every test goes through one [`setup`] that copies the mock
//! variants into a temporary directory and registers it with `plugins::add_path`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use wasinn::core::error::Status;
use wasinn::core::loader::{self, LoadOptions};
use wasinn::backends::plugin::discovery::{self as plugins, BackendEntry, BackendStatus};
use wasinn::backends::plugin::probe;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

/// `target/<profile>` of this test binary (`target/<profile>/deps/plugins-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The built plugin `lib<crate_lib>.so`, building its crate first if it is missing.
pub fn built_plugin(package: &str, lib: &str) -> PathBuf {
    let path = profile_dir().join(format!("lib{lib}.so"));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-p", package]);
        if profile_dir().file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p {package} failed");
    }
    assert!(path.exists(), "{} not built", path.display());
    path
}

const VARIANTS: &[&str] = &[
    "mockok",
    // Named to sort after `mockok`: an unpinned ggml load never lands on a compute that waits.
    "parallel_barrier",
    "mock_wrongabi",
    "mock_bigtable",
    "mock_panicinit",
    "mock_novendor",
    "mock_paniccompute",
    "mock_garbage",
    "mock_nullfn",
    "mock_nullname",
    "mock_badutf8",
    "mock_nulllist",
    "mock_badptrs",
    // Die or hang at load: only the out-of-process probe keeps them from taking this process down.
    "mock_crashinit",
    "mock_abortload",
    "mock_hanginit",
    // Named to sort after `mockok` too (both serve ggml loads).
    "x_badquant",
    "x_v1table",
];

/// The probe timeout of these tests (the `hanginit` candidate costs it once, in parallel).
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

struct Setup {
    _dir: TempDir,
    entries: Vec<BackendEntry>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mock = built_plugin("wasinn-backend-mock", "wasinn_backend_mock");
        let dir = TempDir::new("plugins");
        for v in VARIANTS {
            std::fs::copy(&mock, dir.path().join(format!("libwasinn_backend_{v}.so"))).unwrap();
        }
        // Not a shared library at all.
        dir.write("libwasinn_backend_notelf.so", b"this is not an ELF file");
        // A real shared library without the entry symbol: libwasinn itself.
        let lib = profile_dir().join("libwasinn.so");
        if lib.exists() {
            std::fs::copy(&lib, dir.path().join("libwasinn_backend_nosymbol.so")).unwrap();
        }
        // Same backend name as a plugin found first.
        std::fs::copy(&mock, dir.path().join("libwasinn_backend_tract.so")).unwrap();
        // Files that do not match the plugin naming pattern are never opened.
        dir.write("libsomething_else.so", b"junk");
        // The probe executable cargo built for this test (a static link has none beside it).
        probe::set_probe(probe::ProbeConfig {
            mode: probe::ProbeMode::Exe(PathBuf::from(env!("CARGO_BIN_EXE_wasinn-plugin-probe"))),
            timeout: PROBE_TIMEOUT,
        });
        let entries = plugins::add_path(dir.path()).unwrap();
        Setup { _dir: dir, entries }
    })
}

fn entry(name_part: &str) -> BackendEntry {
    let s = setup();
    s.entries
        .iter()
        .find(|e| e.path.as_ref().is_some_and(|p| p.file_name().unwrap().to_string_lossy().contains(name_part)))
        .unwrap_or_else(|| panic!("no entry for {name_part}: {:#?}", s.entries))
        .clone()
}

fn rejected(name_part: &str) -> String {
    let e = entry(name_part);
    assert_eq!(e.status, BackendStatus::Rejected, "{e:#?}");
    e.reason.unwrap()
}

#[test]
fn the_working_mock_is_listed_and_loaded() {
    let e = entry("mockok");
    assert_eq!(e.status, BackendStatus::Available, "{e:#?}");
    assert_eq!(e.name, "mockok");
    assert_eq!(e.version, "0.1.0-mock");
    assert_eq!(e.encodings, [Encoding::Ggml]);
    assert_eq!(e.targets, [Target::Cpu]);
    assert!(e.reason.is_none());
    let list = plugins::list();
    assert_eq!(list[0].name, "tract", "built-ins come first");
    assert!(list[0].path.is_none());
    assert!(list.iter().any(|l| l.name == "mockok" && l.status == BackendStatus::Available));
    assert!(loader::backends().iter().any(|b| b.name() == "mockok"));
}

#[test]
fn only_plugin_named_files_are_candidates() {
    assert!(!setup().entries.iter().any(|e| e.path.as_ref().unwrap().ends_with("libsomething_else.so")));
}

#[test]
fn wrong_abi_version_is_rejected() {
    let r = rejected("mock_wrongabi");
    assert!(r.contains("wrong ABI version 99"), "{r}");
}

#[test]
fn garbage_table_size_is_rejected() {
    let r = rejected("mock_bigtable");
    assert!(r.contains("table size 4096"), "{r}");
}

#[test]
fn missing_entry_symbol_is_rejected() {
    if !profile_dir().join("libwasinn.so").exists() {
        panic!("libwasinn.so was not built next to the test binary");
    }
    let r = rejected("nosymbol");
    assert!(r.contains("missing entry symbol `wasinn_backend_plugin_entry`"), "{r}");
}

#[test]
fn a_file_that_is_not_a_library_is_rejected() {
    let r = rejected("notelf");
    assert!(r.contains("cannot be opened as a shared library"), "{r}");
}

#[test]
fn a_panic_in_plugin_init_is_caught_and_rejects_it() {
    let r = rejected("mock_panicinit");
    assert!(r.contains("panics in init"), "{r}");
}

#[test]
fn a_missing_vendor_library_is_reported() {
    let r = rejected("mock_novendor");
    assert!(r.contains("libmockvendor.so.1 not found"), "{r}");
}

#[test]
fn a_table_without_a_function_is_rejected() {
    let r = rejected("mock_nullfn");
    assert!(r.contains("missing function `ctx_compute`"), "{r}");
}

#[test]
fn duplicate_backend_names_are_rejected() {
    let e = entry("libwasinn_backend_tract.so");
    assert_eq!(e.status, BackendStatus::Rejected);
    assert!(e.reason.unwrap().contains("duplicate backend name \"tract\""));
}

#[test]
fn rejected_plugins_never_serve_loads() {
    setup();
    let names: Vec<String> = loader::backends().iter().map(|b| b.name().to_string()).collect();
    for bad in [
        "mock_wrongabi",
        "mock_bigtable",
        "mock_panicinit",
        "mock_novendor",
        "mock_nullfn",
        "mock_nullname",
        "mock_nulllist",
        "mock_crashinit",
        "mock_abortload",
        "mock_hanginit",
    ] {
        assert!(!names.contains(&bad.to_string()), "{bad} in {names:?}");
    }
}

fn mock_opts(name: &str) -> LoadOptions<'_> {
    LoadOptions { backend: Some(name), model_dir: None }
}

#[test]
fn a_model_runs_through_the_mock() {
    setup();
    let g = loader::load_with(&[b"model"], Encoding::Ggml, Target::Auto, &mock_opts("mockok")).unwrap();
    assert_eq!(g.backend(), "mockok");
    assert_eq!(g.target(), Target::Cpu);
    assert_eq!(g.inputs().len(), 1);
    assert_eq!(g.inputs()[0].name, "x");
    assert_eq!(g.outputs()[1].name, "n");
    assert_eq!(g.outputs()[1].ty, Some(TensorType::I64));
    let mut ctx = g.init_execution_context().unwrap();
    let x = f32_bytes(&[1.0, 2.5, -3.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![3], &x).unwrap()).unwrap();
    ctx.compute().unwrap();
    let y = ctx.output_by_name("y").unwrap();
    assert_eq!(y.dims, [3]);
    assert_eq!(f32_from(y.data), [2.0, 5.0, -6.0]);
    assert_eq!(i64_from(ctx.output(1).unwrap().data), [3]);
    // Without an explicit backend the ggml encoding goes to the only backend serving it.
    let g2 = loader::load(&[b"model"], Encoding::Ggml, Target::Cpu, None).unwrap();
    assert!(g2.backend().starts_with("mock"));
    drop(g);
    // The context keeps the graph alive after the graph's last other reference is gone.
    assert_eq!(f32_from(ctx.output(0).unwrap().data), [2.0, 5.0, -6.0]);
}

#[test]
fn plugin_errors_carry_status_and_message() {
    setup();
    let e = loader::load_with(&[b"fail now"], Encoding::Ggml, Target::Cpu, &mock_opts("mockok")).unwrap_err();
    assert_eq!(e.status, Status::InvalidEncoding);
    assert!(e.message.contains("start with \"fail\""), "{e}");
    let g = loader::load_with(&[b"model"], Encoding::Ggml, Target::Cpu, &mock_opts("mockok")).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    let x = i32_bytes(&[1]);
    let e = ctx.set_input(0, &TensorRef::new(TensorType::I32, vec![1], &x).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation);
    assert!(e.message.contains("must be f32"));
}

#[test]
fn a_panic_in_compute_becomes_a_panic_status() {
    setup();
    let g = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("mock_paniccompute")).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    let x = f32_bytes(&[1.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1], &x).unwrap()).unwrap();
    let e = ctx.compute().unwrap_err();
    assert_eq!(e.status, Status::Panic);
    assert!(e.message.contains("mock compute panics on purpose"), "{e}");
    // That context is poisoned: every later call fails with RuntimeError without reaching the
    // plugin (which would panic again).
    assert!(ctx.is_poisoned());
    for e in [ctx.compute().unwrap_err(), ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1], &x).unwrap()).unwrap_err()] {
        assert_eq!(e.status, Status::RuntimeError, "{e}");
        assert!(e.message.contains("poisoned by an earlier panic"), "{e}");
    }
    assert_eq!(ctx.output(0).unwrap_err().status, Status::RuntimeError);
    // Another context of the same graph is not poisoned: its set_input works (its compute panics
    // in turn, this mock panics in every compute).
    let mut other = g.init_execution_context().unwrap();
    other.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1], &x).unwrap()).unwrap();
    assert!(!other.is_poisoned());
    assert_eq!(other.compute().unwrap_err().status, Status::Panic);
}

#[test]
fn a_plugin_panic_poisons_only_that_context_through_the_c_api() {
    use wasinn::capi::*;
    setup();
    let last = || {
        let mut msg = vec![0u8; 512];
        // SAFETY: valid buffer.
        let n = unsafe { wasinn_last_error_message(msg.as_mut_ptr().cast(), msg.len()) };
        String::from_utf8_lossy(&msg[..n.min(msg.len() - 1)]).into_owned()
    };
    let model = b"m";
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let load = |name: &str| {
        let name = std::ffi::CString::new(name).unwrap();
        let mut g = 0;
        // SAFETY: valid buffer, name and out-pointer.
        let s = unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_GGML, WASINN_TARGET_CPU, name.as_ptr(), &mut g) };
        assert_eq!(s, WASINN_STATUS_SUCCESS, "{}", last());
        g
    };
    let new_ctx = |g| {
        let mut c = 0;
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { wasinn_exec_ctx_new(g, &mut c) }, WASINN_STATUS_SUCCESS);
        c
    };
    let x = f32_bytes(&[1.0, 2.0]);
    let dims = [2u32];
    let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: dims.as_ptr(), rank: 1, data: x.as_ptr(), data_len: x.len() };
    // SAFETY: `t` views live buffers.
    let set = |c| unsafe { wasinn_exec_ctx_set_input(c, 0, &t) };
    let g = load("mock_paniccompute");
    let (bad, other) = (new_ctx(g), new_ctx(g));
    assert_eq!(set(bad), WASINN_STATUS_SUCCESS);
    assert_eq!(wasinn_exec_ctx_compute(bad), WASINN_STATUS_PANIC);
    assert!(last().contains("mock compute panics on purpose"), "{}", last());
    assert_eq!(wasinn_exec_ctx_compute(bad), WASINN_STATUS_RUNTIME_ERROR);
    assert!(last().contains("poisoned by an earlier panic"), "{}", last());
    assert_eq!(set(bad), WASINN_STATUS_RUNTIME_ERROR);
    let mut y = [0u8; 8];
    let mut len = 0;
    // SAFETY: `y` valid for 8 bytes.
    assert_eq!(unsafe { wasinn_exec_ctx_get_output(bad, 0, y.as_mut_ptr().cast(), 8, &mut len) }, WASINN_STATUS_RUNTIME_ERROR);
    // Another context of the graph is not poisoned (its own compute panics in turn, as this mock
    // always does); a working plugin's graph is untouched.
    assert_eq!(set(other), WASINN_STATUS_SUCCESS);
    let ok = load("mockok");
    let c = new_ctx(ok);
    assert_eq!(set(c), WASINN_STATUS_SUCCESS);
    assert_eq!(wasinn_exec_ctx_compute(c), WASINN_STATUS_SUCCESS, "{}", last());
    // SAFETY: `y` valid for 8 bytes.
    assert_eq!(unsafe { wasinn_exec_ctx_get_output(c, 0, y.as_mut_ptr().cast(), 8, &mut len) }, WASINN_STATUS_SUCCESS);
    assert_eq!(f32_from(&y), [2.0, 4.0]);
    for c in [bad, other, c] {
        assert_eq!(wasinn_exec_ctx_free(c), WASINN_STATUS_SUCCESS);
    }
    for g in [g, ok] {
        assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
    }
}

#[test]
fn garbage_output_sizes_are_refused() {
    setup();
    let g = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("mock_garbage")).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    let x = f32_bytes(&[1.0, 2.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2], &x).unwrap()).unwrap();
    ctx.compute().unwrap();
    let e = ctx.output(0).unwrap_err();
    assert_eq!(e.status, Status::RuntimeError);
    assert!(e.message.contains("0 bytes for fp32 [1], which needs 4"), "{e}");
    // The well-formed output of the same context is still fine.
    assert_eq!(i64_from(ctx.output(1).unwrap().data), [2]);
}

#[test]
fn explicit_backend_selection_errors() {
    setup();
    let e = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("nonexistent")).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    let e = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("mock_wrongabi")).unwrap_err();
    assert_eq!(e.status, Status::NotFound, "a rejected plugin is not available");
    let onnx = add_f32_model(&[2]);
    let e = loader::load_with(&[&onnx], Encoding::Onnx, Target::Cpu, &mock_opts("mockok")).unwrap_err();
    assert_eq!(e.status, Status::InvalidEncoding);
    let e = loader::load_with(&[b"m"], Encoding::Ggml, Target::Gpu, &mock_opts("mockok")).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation);
    let e = loader::load_with(&[b"m"], Encoding::Ggml, Target::Gpu, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation);
}

#[test]
fn add_path_of_a_missing_path_is_not_found() {
    let e = plugins::add_path(Path::new("/nonexistent/libwasinn_backend_x.so")).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
}

#[test]
fn plugin_abi_numbers_match_the_core() {
    use wasinn_plugin_abi as abi;
    for (abi_v, core) in [
        (abi::WASINN_BACKEND_STATUS_SUCCESS, Status::Success),
        (abi::WASINN_BACKEND_STATUS_INVALID_ARGUMENT, Status::InvalidArgument),
        (abi::WASINN_BACKEND_STATUS_INVALID_ENCODING, Status::InvalidEncoding),
        (abi::WASINN_BACKEND_STATUS_RUNTIME_ERROR, Status::RuntimeError),
        (abi::WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION, Status::UnsupportedOperation),
        (abi::WASINN_BACKEND_STATUS_TOO_LARGE, Status::TooLarge),
        (abi::WASINN_BACKEND_STATUS_NOT_FOUND, Status::NotFound),
        (abi::WASINN_BACKEND_STATUS_PANIC, Status::Panic),
        (abi::WASINN_BACKEND_STATUS_SECURITY, Status::Security),
    ] {
        assert_eq!(abi_v, core.code(), "{core:?}");
    }
    for (abi_v, core) in [
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP16, TensorType::Fp16),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP32, TensorType::Fp32),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP64, TensorType::Fp64),
        (abi::WASINN_BACKEND_TENSOR_TYPE_BF16, TensorType::Bf16),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U8, TensorType::U8),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I32, TensorType::I32),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I64, TensorType::I64),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I8, TensorType::I8),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U16, TensorType::U16),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I16, TensorType::I16),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U32, TensorType::U32),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U64, TensorType::U64),
        (abi::WASINN_BACKEND_TENSOR_TYPE_BOOL, TensorType::Bool),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN, TensorType::Fp8E4M3Fn),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FNUZ, TensorType::Fp8E4M3Fnuz),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2, TensorType::Fp8E5M2),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2FNUZ, TensorType::Fp8E5M2Fnuz),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0, TensorType::Fp8E8M0),
        (abi::WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1, TensorType::Fp4E2M1),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U4, TensorType::U4),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I4, TensorType::I4),
        (abi::WASINN_BACKEND_TENSOR_TYPE_U2, TensorType::U2),
        (abi::WASINN_BACKEND_TENSOR_TYPE_I2, TensorType::I2),
        (abi::WASINN_BACKEND_TENSOR_TYPE_STRING, TensorType::String),
    ] {
        assert_eq!(abi_v, core as u32, "{core:?}");
    }
    assert_eq!(TensorType::ALL.len(), 24, "a new tensor type needs a plugin ABI constant");
    // Every type has a layout (the one size rule host and plugins share).
    for &t in TensorType::ALL {
        assert!(abi::layout::element_layout(t as u32).is_some(), "{t:?} has no layout");
    }
    assert_eq!(TensorType::I4.layout(), abi::layout::ElementLayout::Bits(4));
    assert_eq!(TensorType::String.layout(), abi::layout::ElementLayout::String);
    for (abi_v, core) in [
        (abi::WASINN_BACKEND_ENCODING_OPENVINO, Encoding::Openvino),
        (abi::WASINN_BACKEND_ENCODING_ONNX, Encoding::Onnx),
        (abi::WASINN_BACKEND_ENCODING_TENSORFLOW, Encoding::Tensorflow),
        (abi::WASINN_BACKEND_ENCODING_PYTORCH, Encoding::Pytorch),
        (abi::WASINN_BACKEND_ENCODING_TENSORFLOWLITE, Encoding::Tensorflowlite),
        (abi::WASINN_BACKEND_ENCODING_GGML, Encoding::Ggml),
        (abi::WASINN_BACKEND_ENCODING_REMOTE, Encoding::Remote),
    ] {
        assert_eq!(abi_v, core as u32, "{core:?}");
    }
    assert_eq!(abi::WASINN_BACKEND_TARGET_CPU, Target::Cpu as u32);
    assert_eq!(abi::WASINN_BACKEND_TARGET_GPU, Target::Gpu as u32);
    assert_eq!(abi::WASINN_BACKEND_TARGET_TPU, Target::Tpu as u32);
}

#[test]
fn preference_orders_backends() {
    setup();
    assert_eq!(loader::DEFAULT_PREFERENCE, ["onnxruntime", "openvino", "tract"]);
    let p = loader::preference();
    if std::env::var_os(loader::PREFERENCE_ENV).is_none() {
        assert_eq!(p, ["onnxruntime", "openvino", "tract"]);
    }
    let names: Vec<String> = loader::backends().iter().map(|b| b.name().to_string()).collect();
    let tract = names.iter().position(|n| n == "tract").unwrap();
    let mock = names.iter().position(|n| n == "mockok").unwrap();
    assert!(tract < mock, "named backends come before unnamed ones: {names:?}");
}

/// Through the C API, on the mock's `barrier` mode (each compute waits for a second compute of
/// the same graph, for at most the `wait_ms` in the model bytes): `(status, output)` of `rounds`
/// computes of `x = [round]` on each of `ctxs`, the contexts' calls made from one thread each when
/// `threads`, else all from this thread one after the other (as a host serialising the computes
/// of a graph would).
fn barrier_run(model: &[u8], ctxs: usize, rounds: usize, threads: bool) -> Vec<Vec<(u32, Option<f32>)>> {
    use wasinn::capi::*;
    setup();
    let name = std::ffi::CString::new("parallel_barrier").unwrap();
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let mut g = 0;
    // SAFETY: valid buffer, name and out-pointer.
    let s = unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_GGML, WASINN_TARGET_CPU, name.as_ptr(), &mut g) };
    assert_eq!(s, WASINN_STATUS_SUCCESS);
    let handles: Vec<wasinn_exec_ctx_t> = (0..ctxs)
        .map(|_| {
            let mut c = 0;
            // SAFETY: valid out-pointer.
            assert_eq!(unsafe { wasinn_exec_ctx_new(g, &mut c) }, WASINN_STATUS_SUCCESS);
            c
        })
        .collect();
    let once = |ctx: wasinn_exec_ctx_t, round: usize| -> (u32, Option<f32>) {
        let x = f32_bytes(&[round as f32]);
        let dims = [1u32];
        let mut y = [0u8; 4];
        let mut len = 0;
        // SAFETY: views valid for the calls, `y` valid for 4 bytes.
        unsafe {
            let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: dims.as_ptr(), rank: 1, data: x.as_ptr(), data_len: 4 };
            assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), WASINN_STATUS_SUCCESS);
            let status = wasinn_exec_ctx_compute(ctx);
            if status != WASINN_STATUS_SUCCESS {
                let mut msg = vec![0u8; 512];
                let n = wasinn_last_error_message(msg.as_mut_ptr().cast(), msg.len());
                let msg = String::from_utf8_lossy(&msg[..n.min(msg.len())]).into_owned();
                assert!(msg.contains("no second compute on this graph arrived within"), "status {status}: {msg}");
                return (status, None);
            }
            assert_eq!(wasinn_exec_ctx_get_output(ctx, 0, y.as_mut_ptr().cast(), 4, &mut len), WASINN_STATUS_SUCCESS);
        }
        (WASINN_STATUS_SUCCESS, Some(f32::from_le_bytes(y)))
    };
    let results = if threads {
        std::thread::scope(|s| {
            let joins: Vec<_> = handles.iter().map(|&c| s.spawn(move || (0..rounds).map(|r| once(c, r)).collect())).collect();
            joins.into_iter().map(|j| j.join().unwrap()).collect()
        })
    } else {
        let mut per: Vec<Vec<(u32, Option<f32>)>> = vec![Vec::new(); ctxs];
        for r in 0..rounds {
            for (i, &c) in handles.iter().enumerate() {
                per[i].push(once(c, r));
            }
        }
        per
    };
    for c in handles {
        assert_eq!(wasinn_exec_ctx_free(c), WASINN_STATUS_SUCCESS);
    }
    assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
    results
}

#[test]
fn two_contexts_of_one_graph_compute_at_the_same_time() {
    // Each of the 20 rounds passes only when both threads' computes are inside the plugin at
    // once: no lock of libwasinn's (handle tables, graph, plugin path) serialises them. The wait
    // is long (60 s) so that a loaded machine never fails it; a serialising host fails the test
    // below instead of hanging.
    let results = barrier_run(b"wait_ms=60000", 2, 20, true);
    for (t, rounds) in results.iter().enumerate() {
        let want: Vec<(u32, Option<f32>)> = (0..20).map(|r| (0, Some(2.0 * r as f32))).collect();
        assert_eq!(rounds, &want, "thread {t}");
    }
}

#[test]
fn the_barrier_detects_serialised_computes() {
    use wasinn::capi::WASINN_STATUS_BUSY;
    // Alone, a compute of the barrier mode fails (BUSY) once its wait is over: never a hang.
    let alone = barrier_run(b"wait_ms=200", 1, 1, true);
    assert_eq!(alone, [[(WASINN_STATUS_BUSY, None)]]);
    // Two contexts computed one after the other, as a host holding one lock per graph would: every
    // compute fails, and the contexts stay usable (each round tries again).
    let serial = barrier_run(b"wait_ms=200", 2, 2, false);
    assert_eq!(serial, vec![vec![(WASINN_STATUS_BUSY, None); 2]; 2]);
}

#[test]
fn garbage_table_pointers_are_rejected() {
    let r = rejected("mock_nullname");
    assert!(r.contains("its table has no name"), "{r}");
    let r = rejected("mock_badutf8");
    assert!(r.contains("its name is not UTF-8"), "{r}");
    let r = rejected("mock_nulllist");
    assert!(r.contains("its encodings list is NULL"), "{r}");
}

/// Loads the `badptrs` mock with `fault` as model bytes (which selects the garbage).
fn garbage_load(fault: &str) -> wasinn::core::error::Result<std::sync::Arc<wasinn::core::graph::Graph>> {
    setup();
    loader::load_with(&[fault.as_bytes()], Encoding::Ggml, Target::Cpu, &mock_opts("mock_badptrs"))
}

#[track_caller]
fn assert_plugin_error(e: &wasinn::core::error::Error, wants: &str) {
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("mock_badptrs"), "the message names the plugin: {e}");
    assert!(e.message.contains(wants), "{e}");
}

#[test]
fn garbage_pointers_in_model_descriptions_are_refused() {
    // The undamaged mode works.
    let g = garbage_load("fine").unwrap();
    assert_eq!(g.inputs()[0].name, "x");
    for (fault, wants) in [
        ("io_null_name", "input 0 badly: invalid name"),
        ("io_bad_utf8", "input 0 badly: its name is not UTF-8"),
        ("io_rank_33", "input 0 badly: rank 33"),
        ("io_null_dims", "input 0 badly: NULL dims"),
        ("io_misaligned_dims", "input 0 badly: misaligned dims pointer"),
        ("io_huge_count", &format!("reports {} inputs", usize::MAX)),
        ("null_graph", "reported success but returned no graph"),
    ] {
        let e = garbage_load(fault).map(|_| ()).unwrap_err();
        assert_plugin_error(&e, wants);
    }
    let g = garbage_load("null_ctx").unwrap();
    let e = g.init_execution_context().unwrap_err();
    assert_plugin_error(&e, "reported success but returned no context");
}

/// A context of the `badptrs` mock for `fault`, with its input set.
fn garbage_ctx(fault: &str) -> wasinn::core::graph::ExecContext {
    let g = garbage_load(fault).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    let x = f32_bytes(&[1.0, 2.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2], &x).unwrap()).unwrap();
    ctx
}

#[test]
fn garbage_output_pointers_are_refused() {
    for (fault, wants) in [
        ("out_null_data", "invalid output 0: NULL data with 8 bytes"),
        ("out_null_dims", "invalid output 0: NULL dims with rank 1"),
        ("out_rank_33", "invalid output 0: rank 33"),
        ("out_bad_type", "invalid output 0: unknown tensor type 77777"),
        ("out_misaligned_dims", "invalid output 0: misaligned dims pointer"),
        ("out_huge_len", &format!("invalid output 0: {} bytes", usize::MAX)),
    ] {
        let mut ctx = garbage_ctx(fault);
        ctx.compute().unwrap();
        let e = ctx.output(0).unwrap_err();
        assert_plugin_error(&e, wants);
        // The context is not poisoned by a refused output: the next output is fine.
        assert_eq!(i64_from(ctx.output(1).unwrap().data), [2], "{fault}");
    }
}

#[test]
fn garbage_statuses_and_error_messages_are_refused() {
    for (fault, wants) in [
        ("status_4242", "returned unknown status 4242: mock: a status outside the ABI"),
        ("status_missing_memory", "returned unknown status 3: mock: a host-only status"),
        ("err_len_overflow", "claims a 5096-byte error message in a 4096-byte buffer (status 5): xxxx"),
        ("err_bad_utf8", "wrote an error message that is not UTF-8 (status 5): bad \u{fffd}\u{fffd} message"),
    ] {
        let mut ctx = garbage_ctx(fault);
        let e = ctx.compute().unwrap_err();
        assert_plugin_error(&e, wants);
        assert!(e.message.len() < 8192, "bounded message: {} bytes", e.message.len());
    }
    // A plugin that shrank the host's error buffer in one call does not shrink the next call's.
    let mut ctx = garbage_ctx("err_clobber");
    ctx.compute().unwrap();
    let e = ctx.output(7).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1, 1], &f32_bytes(&[1.0])).unwrap()).unwrap_err();
    assert!(e.message.contains("mock input must be f32 of rank 1"), "the whole message: {e}");
}

#[test]
fn a_plugin_that_crashes_in_init_is_rejected_by_its_probe() {
    // This process is still here; the listing says why.
    let r = rejected("mock_crashinit");
    assert_eq!(r, "probe: killed by SIGSEGV while running its entry point (init)");
    let e = plugins::list().into_iter().find(|e| e.name.contains("mock_crashinit")).unwrap();
    assert_eq!(e.status, BackendStatus::Rejected);
}

#[test]
fn a_plugin_that_aborts_in_a_constructor_is_rejected_by_its_probe() {
    let r = rejected("mock_abortload");
    assert_eq!(r, "probe: killed by SIGABRT while opening the library (its constructors)");
}

#[test]
fn a_plugin_that_hangs_in_init_is_killed_at_the_timeout() {
    let r = rejected("mock_hanginit");
    assert_eq!(r, format!("probe: no answer within {} ms while running its entry point (init): killed", PROBE_TIMEOUT.as_millis()));
}

#[test]
fn the_other_plugins_still_work_after_probes_died() {
    setup();
    let g = loader::load_with(&[b"model"], Encoding::Ggml, Target::Cpu, &mock_opts("mockok")).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    let x = f32_bytes(&[4.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1], &x).unwrap()).unwrap();
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), [8.0]);
    // Clean rejections come from the probe with the reason an in-process load gives.
    assert!(rejected("mock_wrongabi").contains("wrong ABI version 99"));
    assert!(rejected("mock_panicinit").contains("panics in init"));
}

#[test]
fn probe_policy_without_an_executable() {
    let mock = built_plugin("wasinn-backend-mock", "wasinn_backend_mock");
    let files = [mock];
    let cfg = |mode| probe::ProbeConfig { mode, timeout: PROBE_TIMEOUT };
    // auto without an executable (a static link: no libwasinn.so directory): in-process, as before.
    assert_eq!(probe::probe_all(&files, &cfg(probe::ProbeMode::Auto), None), [probe::Verdict::NotProbed]);
    assert_eq!(probe::probe_all(&files, &cfg(probe::ProbeMode::Off), None), [probe::Verdict::NotProbed]);
    // Required (`1`, or a path) without one: every candidate is rejected, saying why.
    let [probe::Verdict::Rejected(r)] = &probe::probe_all(&files, &cfg(probe::ProbeMode::Required), None)[..] else {
        panic!("not rejected")
    };
    assert!(r.starts_with("probe: required (WASINN_PLUGIN_PROBE) but no probe executable"), "{r}");
    let missing = probe::ProbeMode::Exe(PathBuf::from("/nonexistent/wasinn-plugin-probe"));
    let [probe::Verdict::Rejected(r)] = &probe::probe_all(&files, &cfg(missing), None)[..] else { panic!("not rejected") };
    assert!(r.contains("/nonexistent/wasinn-plugin-probe not found"), "{r}");
    // With the executable, a working plugin passes, described by the probe (what its table says:
    // the host lists it from that and opens it in-process on its first load).
    let exe = probe::ProbeMode::Exe(PathBuf::from(env!("CARGO_BIN_EXE_wasinn-plugin-probe")));
    let [probe::Verdict::Passed(Some(d))] = &probe::probe_all(&files, &cfg(exe), None)[..] else { panic!("not passed with a description") };
    assert!(!d.name.is_empty() && !d.version.is_empty(), "{d:?}");
    assert!(d.encodings.contains(&Encoding::Ggml) && d.targets.contains(&Target::Cpu), "{d:?}");
}

#[test]
fn quantization_comes_only_from_a_v2_table_and_is_validated() {
    // The working mock (v2 table) reports its ports as not quantized.
    let g = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("mockok")).unwrap();
    assert!(g.inputs().iter().chain(g.outputs()).all(|p| p.quant.is_none()));
    // A NaN scale is refused at load, naming the port.
    let e = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("x_badquant")).unwrap_err();
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("invalid quantization for output 1") && e.message.contains("scale NaN"), "{e}");
    // A version-1 table (an old plugin) keeps working: the entry past its end is never called.
    assert_eq!(entry("x_v1table").status, BackendStatus::Available);
    let g = loader::load_with(&[b"m"], Encoding::Ggml, Target::Cpu, &mock_opts("x_v1table")).unwrap();
    assert!(g.outputs().iter().all(|p| p.quant.is_none()));
}
