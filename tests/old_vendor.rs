//! Vendor libraries too old for their plugins, for real: ONNX Runtime 1.16.3 and OpenVINO 2024.6.0
//! (downloaded by `ensure_old_vendor_libs` in scripts/common.sh into build/old-vendor/), pointed
//! at with the plugins' own variables (`WASINN_ORT_LIB`, `WASINN_OPENVINO_LIB`). The plugins are
//! probed and listed as rejected with both versions in the reason, and an ONNX load still goes to
//! a working backend (tract).
//!
//! Its own test binary (plugin state and the environment are per process), one test, which sets
//! the variables before anything reads them.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use wasinn::backends::plugin::discovery::{self as plugins, BackendStatus};
use wasinn::backends::plugin::probe;
use wasinn::core::loader;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The built plugin `libwasinn_backend_<name>.so`, building its crate first if it is missing.
fn built_plugin(name: &str) -> PathBuf {
    let path = profile_dir().join(format!("libwasinn_backend_{name}.so"));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-p", &format!("wasinn-backend-{name}")]);
        if profile_dir().file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        assert!(cmd.status().expect("run cargo build").success(), "cargo build of the {name} plugin failed");
    }
    path
}

#[test]
fn too_old_vendor_libraries_are_listed_with_both_versions() {
    let dir = std::env::var_os("WASINN_OLD_VENDOR_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("build/old-vendor"));
    let ort = dir.join("ort/libonnxruntime.so.1.16.3");
    let ov = dir.join("openvino/libopenvino_c.so.2460");
    if !ort.is_file() || !ov.is_file() {
        // Straight to the stream (print macros are captured by the test harness): a loud line.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: too_old_vendor_libraries_are_listed_with_both_versions: no old vendor libraries in {} \
             (scripts/common.sh ensure_old_vendor_libs downloads them; scripts/test.sh runs it)",
            dir.display()
        );
        return;
    }
    // Before any discovery, in this test binary's only test.
    std::env::set_var("WASINN_ORT_LIB", &ort);
    std::env::set_var("WASINN_OPENVINO_LIB", &ov);
    probe::set_probe(probe::ProbeConfig {
        mode: probe::ProbeMode::Exe(PathBuf::from(env!("CARGO_BIN_EXE_wasinn-plugin-probe"))),
        timeout: std::time::Duration::from_secs(60),
    });
    plugins::add_path(&built_plugin("onnxruntime")).unwrap();
    plugins::add_path(&built_plugin("openvino")).unwrap();
    // From the whole listing: with WASINN_PLUGIN_PATH set, the first add_path's discovery from
    // the environment may have examined the second file already.
    let entries = plugins::list();
    let reason = |file: &str| {
        let e = entries
            .iter()
            .find(|e| e.path.as_ref().is_some_and(|p| p.ends_with(file)))
            .unwrap_or_else(|| panic!("{file} not listed: {entries:#?}"));
        assert_eq!(e.status, BackendStatus::Rejected, "{e:#?}");
        e.reason.clone().unwrap()
    };
    let r = reason("libwasinn_backend_onnxruntime.so");
    assert!(r.contains("ONNX Runtime 1.16.3") && r.contains("is too old: 1.17 or newer is needed"), "{r}");
    let r = reason("libwasinn_backend_openvino.so");
    assert!(r.contains("OpenVINO version is too old") && r.contains("2024.6.0"), "{r}");
    assert!(r.contains("2025.1 or newer is needed"), "{r}");
    // Loads go to a working backend (ONNX Runtime and OpenVINO are preferred over tract, but not
    // available).
    for name in ["onnxruntime", "openvino"] {
        assert!(
            !entries.iter().any(|e| e.name == name && e.status == BackendStatus::Available),
            "{name} must not be available: {entries:#?}"
        );
    }
    let g = loader::load(&[&add_f32_model(&[2])], Encoding::Onnx, Target::Cpu, None).unwrap();
    assert_eq!(g.backend(), "tract");
    let mut ctx = g.init_execution_context().unwrap();
    let a = f32_bytes(&[1.0, 2.0]);
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2], &a).unwrap()).unwrap();
    ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![2], &a).unwrap()).unwrap();
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), [2.0, 4.0]);
}
