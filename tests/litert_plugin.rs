//! The LiteRT plugin (`plugins/litert`) through the core: TFLite models generated here (no model
//! files), run on the plugin and on ai-edge-litert's own Python interpreter on the same inputs,
//! the outputs compared byte for byte; introspection, every element type the plugin exchanges,
//! input checks, errors, contexts.
//!
//! The plugin comes from this workspace's build (`target/<profile>/`, built if missing), its
//! vendor library (`libLiteRt.so`) from the repository's venv (`$WASINN_VENV` or `.venv`, with
//! `ai-edge-litert` from scripts/requirements.txt), found through `WASINN_PYTHON_SITE_PACKAGES`
//! unless `WASINN_LITERT_LIB` already says where it is. A rejected plugin fails the tests:
//! nothing is skipped.

mod common;
#[path = "common/tflite.rs"]
mod tflite;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use common::*;
use tflite::*;
use wasinn::backends::plugin::discovery::{self as plugins, BackendStatus};
use wasinn::core::backend::Dim;
use wasinn::core::error::{Result, Status};
use wasinn::core::graph::Graph;
use wasinn::core::loader::LoadOptions;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

/// Registers the plugin once per process; panics unless it is available.
fn setup() {
    static SETUP: OnceLock<()> = OnceLock::new();
    SETUP.get_or_init(|| {
        let venv = venv();
        if std::env::var_os("WASINN_PYTHON_SITE_PACKAGES").is_none() && venv.is_dir() {
            // SAFETY (edition 2021: safe fn): set once, before the plugin reads it.
            std::env::set_var("WASINN_PYTHON_SITE_PACKAGES", &venv);
        }
        let exe = std::env::current_exe().unwrap();
        let path = exe.parent().and_then(Path::parent).unwrap().join("libwasinn_backend_litert.so");
        if !path.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo).args(["build", "-p", "wasinn-backend-litert"]).status().unwrap();
            assert!(status.success(), "cargo build -p wasinn-backend-litert failed");
        }
        wasinn::backends::install();
        plugins::add_path(&path).unwrap();
        let canonical = path.canonicalize().unwrap();
        let e = plugins::list().into_iter().find(|e| e.path.as_deref() == Some(canonical.as_path())).expect("litert listed");
        assert_eq!(e.status, BackendStatus::Available, "litert plugin rejected: {:?}", e.reason);
    });
}

fn load(model: &[u8]) -> Result<Arc<Graph>> {
    load_on(model, Target::Cpu)
}

fn load_on(model: &[u8], target: Target) -> Result<Arc<Graph>> {
    setup();
    let opts = LoadOptions { backend: Some("litert"), model_dir: None };
    wasinn::core::loader::load_with(&[model], Encoding::Tensorflowlite, target, &opts)
}

/// One output: numpy dtype name, dims, bytes.
type Out = (String, Vec<usize>, Vec<u8>);

/// The model run by ai-edge-litert's Python interpreter (`Interpreter(model_path)`, one thread)
/// on `inputs` (raw little-endian bytes, in the interpreter's input order).
fn litert_python(model: &[u8], inputs: &[&[u8]]) -> Vec<Out> {
    const SCRIPT: &str = r#"
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1], num_threads=1)
it.allocate_tensors()
for d, path in zip(it.get_input_details(), sys.argv[3:]):
    it.set_tensor(d["index"], np.fromfile(path, dtype=d["dtype"]).reshape(d["shape"]))
it.invoke()
for k, d in enumerate(it.get_output_details()):
    t = np.ascontiguousarray(it.get_tensor(d["index"]))
    t.tofile(f"{sys.argv[2]}/out{k}.bin")
    print(np.dtype(t.dtype).name, ",".join(str(x) for x in t.shape))
"#;
    let dir = TempDir::new("litert-ref");
    let model_path = dir.write("model.tflite", model);
    let mut args: Vec<PathBuf> = vec![model_path, dir.path().to_path_buf()];
    for (i, bytes) in inputs.iter().enumerate() {
        args.push(dir.write(&format!("in{i}.bin"), bytes));
    }
    let python = venv().join("bin/python");
    let out = std::process::Command::new(&python).arg("-c").arg(SCRIPT).args(&args).output().unwrap_or_else(|e| {
        panic!("cannot run {}: {e}", python.display())
    });
    assert!(out.status.success(), "LiteRT's Python interpreter failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(k, line)| {
            let (dtype, shape) = line.split_once(' ').unwrap();
            let dims = shape.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
            (dtype.to_string(), dims, std::fs::read(dir.path().join(format!("out{k}.bin"))).unwrap())
        })
        .collect()
}

/// The numpy dtype name of a libwasinn type.
fn numpy(ty: TensorType) -> &'static str {
    match ty {
        TensorType::Fp32 => "float32",
        TensorType::Fp16 => "float16",
        TensorType::U8 => "uint8",
        TensorType::I8 => "int8",
        TensorType::I16 => "int16",
        TensorType::I32 => "int32",
        TensorType::I64 => "int64",
        TensorType::Bool => "bool",
        t => panic!("no numpy name for {t:?}"),
    }
}

/// Runs `model` on the plugin (one context, inputs by index) and checks every output equals the
/// Python interpreter's, type, shape and bytes; returns the plugin's outputs.
fn run_and_compare(model: &[u8], inputs: &[(TensorType, Vec<usize>, Vec<u8>)]) -> Vec<Out> {
    let graph = load(model).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(graph.backend(), "litert");
    let mut ctx = graph.init_execution_context().unwrap();
    for (i, (ty, dims, data)) in inputs.iter().enumerate() {
        ctx.set_input(i, &TensorRef::new(*ty, dims.clone(), data).unwrap()).unwrap_or_else(|e| panic!("set_input {i}: {e}"));
    }
    ctx.compute().unwrap_or_else(|e| panic!("compute: {e}"));
    let got: Vec<Out> = (0..graph.outputs().len())
        .map(|k| {
            let o = ctx.output(k).unwrap();
            (numpy(o.ty).to_string(), o.dims.to_vec(), o.data.to_vec())
        })
        .collect();
    let raw: Vec<&[u8]> = inputs.iter().map(|(_, _, d)| d.as_slice()).collect();
    let want = litert_python(model, &raw);
    assert_eq!(got, want, "the plugin's outputs differ from LiteRT's Python interpreter");
    got
}

#[test]
fn the_plugin_is_listed_with_tflite_on_the_cpu() {
    setup();
    let e = plugins::list().into_iter().find(|e| e.name == "litert").expect("a backend named litert");
    assert_eq!(e.status, BackendStatus::Available);
    assert_eq!(e.encodings, [Encoding::Tensorflowlite]);
    assert_eq!(e.targets, [Target::Cpu]);
    // The wheel's version (scripts/requirements.txt) and the library's path.
    assert!(e.version.contains("litert 2.3.0") && e.version.contains("libLiteRt.so"), "{}", e.version);
}

#[test]
fn f32_add_matches_litert_python_with_names_and_shapes() {
    let model = tflite_add_f32(&[2, 3]);
    let graph = load(&model).unwrap();
    let names: Vec<&str> = graph.inputs().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(graph.outputs()[0].name, "sum");
    assert_eq!(graph.inputs()[1].ty, Some(TensorType::Fp32));
    assert_eq!(graph.inputs()[1].dims, Some(vec![Dim::Fixed(2), Dim::Fixed(3)]));
    assert_eq!(graph.outputs()[0].dims, Some(vec![Dim::Fixed(2), Dim::Fixed(3)]));
    let mut ctx = graph.init_execution_context().unwrap();
    // Two rounds on one context: the buffers are reused, the results must follow the inputs.
    for round in 0..2 {
        let a: Vec<f32> = (0..6).map(|i| i as f32 * 1.5 - round as f32).collect();
        let b: Vec<f32> = (0..6).map(|i| 0.25 * i as f32 + round as f32 * 10.0).collect();
        ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2, 3], &f32_bytes(&a)).unwrap()).unwrap();
        ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![2, 3], &f32_bytes(&b)).unwrap()).unwrap();
        ctx.compute().unwrap();
        let out = ctx.output(0).unwrap();
        assert_eq!((out.ty, out.dims), (TensorType::Fp32, &[2usize, 3][..]));
        assert_eq!(f32_from(out.data), a.iter().zip(&b).map(|(x, y)| x + y).collect::<Vec<_>>());
    }
    let a = f32_bytes(&[1.0, -2.0, 3.5, 0.0, 7.25, -0.5]);
    let b = f32_bytes(&[0.5, 0.5, -3.5, 1e-3, 2.0, 8.0]);
    run_and_compare(&model, &[(TensorType::Fp32, vec![2, 3], a), (TensorType::Fp32, vec![2, 3], b)]);
}

/// `y = cast(x) : f32`, `z = cast(y) : T`: every type in and out, against the interpreter.
#[test]
fn every_exchanged_element_type_goes_in_and_out() {
    let cases: [(TensorType, TflType, Vec<u8>); 8] = [
        (TensorType::Fp32, TflType::FLOAT32, f32_bytes(&[1.5, -2.25, 3e4, -0.0])),
        (TensorType::Fp16, TflType::FLOAT16, f16_bytes(&[1.5, -2.25, 300.0, 0.125])),
        (TensorType::U8, TflType::UINT8, vec![0, 1, 128, 255]),
        (TensorType::I8, TflType::INT8, (&[-128i8, -1, 0, 127]).iter().map(|&v| v as u8).collect()),
        (TensorType::I16, TflType::INT16, [-32768i16, -1, 2, 32767].iter().flat_map(|v| v.to_le_bytes()).collect()),
        (TensorType::I32, TflType::INT32, i32_bytes(&[-70000, -1, 2, 1 << 24])),
        (TensorType::I64, TflType::INT64, [-(1i64 << 40), -1, 2, 1 << 50].iter().flat_map(|v| v.to_le_bytes()).collect()),
        (TensorType::Bool, TflType::BOOL, vec![1, 0, 0, 1]),
    ];
    for (ty, tfl, data) in cases {
        let model = tflite_model(
            &[tfl_tensor("x", tfl, &[4]), tfl_tensor("y", TflType::FLOAT32, &[4]), tfl_tensor("z", tfl, &[4])],
            &[(BuiltinOperator::CAST, &[0], &[1]), (BuiltinOperator::CAST, &[1], &[2])],
            &[0],
            &[1, 2],
        );
        let graph = load(&model).unwrap();
        assert_eq!(graph.inputs()[0].ty, Some(ty));
        assert_eq!(graph.outputs()[1].ty, Some(ty));
        let got = run_and_compare(&model, &[(ty, vec![4], data.clone())]);
        // Through f32 and back: every value here survives, so z is x.
        assert_eq!(got[1].2, data, "{ty:?} did not round-trip");
    }
}

#[test]
fn quantized_u8_add_matches_exactly() {
    let q = |name| TflTensor { quant: Some((0.05, 128)), ..tfl_tensor(name, TflType::UINT8, &[1, 16]) };
    let model = tflite_model(&[q("x"), q("y"), q("z")], &[(BuiltinOperator::ADD, &[0, 1], &[2])], &[0, 1], &[2]);
    let x: Vec<u8> = (0..16).map(|i| (i * 17) as u8).collect();
    let y: Vec<u8> = (0..16).map(|i| 255 - (i * 5) as u8).collect();
    let got = run_and_compare(&model, &[(TensorType::U8, vec![1, 16], x), (TensorType::U8, vec![1, 16], y)]);
    // Real checks beyond the reference: the quantized sum saturates at both ends.
    assert!(got[0].2.contains(&255) && got[0].2.iter().any(|&v| v < 255), "{:?}", got[0].2);
}

#[test]
fn inputs_of_another_type_or_shape_are_invalid_arguments() {
    let graph = load(&tflite_add_f32(&[2, 3])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let six = f32_bytes(&[0.0; 6]);
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![3, 2], &six).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    assert!(e.message.contains("does not match"), "{}", e.message);
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![6], &six).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    let e = ctx.set_input(1, &TensorRef::new(TensorType::I32, vec![2, 3], &i32_bytes(&[0; 6])).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    assert!(e.message.contains("declares") && e.message.contains("fp32"), "{}", e.message);
    let e = ctx.set_input(2, &TensorRef::new(TensorType::Fp32, vec![2, 3], &six).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    // A failed set leaves the input unset: compute refuses to run.
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2, 3], &six).unwrap()).unwrap();
    assert_eq!(ctx.compute().unwrap_err().status, Status::InvalidArgument);

    // Bool elements other than 0 and 1 are refused (LiteRT would read them as C++ bools).
    let model = tflite_model(
        &[tfl_tensor("x", TflType::BOOL, &[2]), tfl_tensor("y", TflType::FLOAT32, &[2])],
        &[(BuiltinOperator::CAST, &[0], &[1])],
        &[0],
        &[1],
    );
    let graph = load(&model).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Bool, vec![2], &[1, 2]).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
}

#[test]
fn loads_it_cannot_serve_say_why() {
    let model = tflite_add_f32(&[2]);
    // Not a flatbuffer with the TFLite identifier.
    let e = load(b"this is not a tflite model at all").unwrap_err();
    assert_eq!(e.status, Status::InvalidEncoding, "{}", e.message);
    // The identifier, then garbage: LiteRT's reader refuses it.
    let mut bad = model.clone();
    for b in bad.iter_mut().skip(8) {
        *b = 0xff;
    }
    let e = load(&bad).unwrap_err();
    assert!(matches!(e.status, Status::InvalidEncoding | Status::UnsupportedOperation), "{:?}: {}", e.status, e.message);
    // No GPU through this plugin: never a silent CPU run.
    let e = load_on(&model, Target::Gpu).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation, "{}", e.message);
    // Another encoding.
    setup();
    let opts = LoadOptions { backend: Some("litert"), model_dir: None };
    let e = wasinn::core::loader::load_with(&[&model], Encoding::Onnx, Target::Cpu, &opts).unwrap_err();
    assert!(matches!(e.status, Status::InvalidEncoding | Status::UnsupportedOperation), "{:?}: {}", e.status, e.message);
    // An operator LiteRT's kernels do not have (an unknown builtin code): refused at load.
    let unknown = tflite_model(
        &[tfl_tensor("a", TflType::FLOAT32, &[2]), tfl_tensor("b", TflType::FLOAT32, &[2])],
        &[(BuiltinOperator(250), &[0], &[1])],
        &[0],
        &[1],
    );
    let e = load(&unknown).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation, "{}", e.message);
    // A custom operator no kernel resolves: LiteRT prepares operators lazily, yet the load fails
    // (the plugin forces the preparation), as LiteRT's interpreter refuses it at allocate_tensors.
    let custom = tflite_model_custom(
        &[tfl_tensor("a", TflType::FLOAT32, &[2]), tfl_tensor("b", TflType::FLOAT32, &[2])],
        &[(BuiltinOperator::CUSTOM, &[0], &[1])],
        &[0],
        &[1],
        Some("NoSuchWasinnOp"),
    );
    let e = load(&custom).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation, "{}", e.message);
    assert!(e.message.contains("prepare the model's operators"), "{}", e.message);
}

#[test]
fn contexts_compute_on_their_own_threads_and_keep_the_graph_alive() {
    let model = tflite_add_f32(&[4]);
    let graph = load(&model).unwrap();
    let ctxs: Vec<_> = (0..3).map(|_| graph.init_execution_context().unwrap()).collect();
    drop(graph);
    let handles: Vec<_> = ctxs
        .into_iter()
        .enumerate()
        .map(|(k, mut ctx)| {
            std::thread::spawn(move || {
                for round in 0..20 {
                    let a: Vec<f32> = (0..4).map(|i| (k * 100 + round + i) as f32).collect();
                    let b = vec![k as f32; 4];
                    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![4], &f32_bytes(&a)).unwrap()).unwrap();
                    ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![4], &f32_bytes(&b)).unwrap()).unwrap();
                    ctx.compute().unwrap();
                    let want: Vec<f32> = a.iter().map(|x| x + k as f32).collect();
                    assert_eq!(f32_from(ctx.output(0).unwrap().data), want);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// `sum = a + b` with a dynamic first dimension (`shape_signature` [-1, 3]): any batch runs, the
/// output follows it, and the shape can change between computes on one context. (LiteRT's C API
/// reports the shape, [1, 3], not the signature: the listing shows the default size.)
#[test]
fn a_dynamic_dimension_takes_any_size_and_the_output_follows() {
    let dynamic = |name| TflTensor { signature: Some(vec![-1, 3]), ..tfl_tensor(name, TflType::FLOAT32, &[1, 3]) };
    let model = tflite_model(&[dynamic("a"), dynamic("b"), dynamic("sum")], &[(BuiltinOperator::ADD, &[0, 1], &[2])], &[0, 1], &[2]);
    let graph = load(&model).unwrap();
    assert_eq!(graph.inputs()[0].dims, Some(vec![Dim::Fixed(1), Dim::Fixed(3)]));
    let mut ctx = graph.init_execution_context().unwrap();
    for batch in [2usize, 5, 1, 5] {
        let a: Vec<f32> = (0..batch * 3).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..batch * 3).map(|i| 100.0 - 2.0 * i as f32).collect();
        ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![batch, 3], &f32_bytes(&a)).unwrap()).unwrap();
        ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![batch, 3], &f32_bytes(&b)).unwrap()).unwrap();
        ctx.compute().unwrap();
        let out = ctx.output(0).unwrap();
        assert_eq!(out.dims, &[batch, 3][..], "batch {batch}");
        assert_eq!(f32_from(out.data), a.iter().zip(&b).map(|(x, y)| x + y).collect::<Vec<_>>(), "batch {batch}");
    }
    // The fixed dimension stays fixed.
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2, 4], &f32_bytes(&[0.0; 8])).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
}

/// With WASINN_LITERT_LIB naming a missing file the plugin is listed as rejected, the reason
/// naming the path. Plugin state is per process, so the listing is taken in a child process
/// (this test binary running only `missing_liblitert_child`), whose environment is set at spawn.
#[test]
fn a_missing_liblitert_is_the_rejection_reason() {
    setup(); // builds the plugin if missing
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "missing_liblitert_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("WASINN_LITERT_LIB", "/nonexistent/libLiteRt.so")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the child test did not run: {stdout}");
}

#[test]
#[ignore = "run by a_missing_liblitert_is_the_rejection_reason in a child process"]
fn missing_liblitert_child() {
    assert_eq!(std::env::var("WASINN_LITERT_LIB").as_deref(), Ok("/nonexistent/libLiteRt.so"), "run it through its parent test");
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("libwasinn_backend_litert.so");
    wasinn::backends::install();
    plugins::add_path(&path).unwrap();
    let canonical = path.canonicalize().unwrap();
    let e = plugins::list().into_iter().find(|e| e.path.as_deref() == Some(canonical.as_path())).expect("the plugin listed");
    assert_eq!(e.status, BackendStatus::Rejected, "{e:?}");
    let reason = e.reason.unwrap_or_default();
    assert!(reason.contains("/nonexistent/libLiteRt.so") && reason.contains("WASINN_LITERT_LIB"), "{reason}");
}

/// LiteRT's Python interpreter's `(scale, zero point)` per input then output
/// (`get_input_details()[i]["quantization"]`; `None` where the scale is 0, i.e. not quantized).
fn litert_python_quantization(model: &[u8]) -> Vec<Option<(f32, i64)>> {
    const SCRIPT: &str = r#"
import sys
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1])
for d in it.get_input_details() + it.get_output_details():
    s, z = d["quantization"]
    print(repr(float(s)), int(z))
"#;
    let dir = TempDir::new("litert-quant");
    let path = dir.write("model.tflite", model);
    let python = venv().join("bin/python");
    let out = std::process::Command::new(&python).arg("-c").arg(SCRIPT).arg(&path).output().unwrap();
    assert!(out.status.success(), "LiteRT's Python interpreter failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (s, z) = l.split_once(' ').unwrap();
            let s: f64 = s.parse().unwrap();
            // The interpreter widens the model's f32 scale to a Python float: narrowing is exact.
            (s != 0.0).then(|| (s as f32, z.parse().unwrap()))
        })
        .collect()
}

/// What a loaded graph reports per input then output (the C API's `wasinn_graph_*_quantization`
/// reads the same `IoInfo::quant`).
fn reported_quantization(graph: &Graph) -> Vec<Option<(f32, i64)>> {
    graph.inputs().iter().chain(graph.outputs()).map(|p| p.quant.map(|q| (q.scale, q.zero_point))).collect()
}

#[test]
fn quantization_parameters_match_litert_python_and_tract() {
    // A different (scale, zero point) on every port, so a mix-up of ports or fields shows.
    let u8_model = {
        let q = |name, quant| TflTensor { quant: Some(quant), ..tfl_tensor(name, TflType::UINT8, &[1, 16]) };
        tflite_model(
            &[q("x", (0.05, 128)), q("y", (0.07, 100)), q("z", (0.1, 120))],
            &[(BuiltinOperator::ADD, &[0, 1], &[2])],
            &[0, 1],
            &[2],
        )
    };
    let i8_model = {
        let q = |name, quant| TflTensor { quant: Some(quant), ..tfl_tensor(name, TflType::INT8, &[1, 16]) };
        tflite_model(
            &[q("x", (0.1, -3)), q("y", (0.02, 5)), q("z", (0.125, -128))],
            &[(BuiltinOperator::ADD, &[0, 1], &[2])],
            &[0, 1],
            &[2],
        )
    };
    // The conformance set's gen_add_u8_quant / gen_add_i8_quant: one (scale, zero point) on every
    // port, which tract-tflite also loads (it refuses an ADD whose ports differ).
    let uniform = |ty, quant| {
        let q = |name| TflTensor { quant: Some(quant), ..tfl_tensor(name, ty, &[1, 16]) };
        tflite_model(&[q("x"), q("y"), q("z")], &[(BuiltinOperator::ADD, &[0, 1], &[2])], &[0, 1], &[2])
    };
    let cases: [(&str, Vec<u8>, Vec<Option<(f32, i64)>>, bool); 5] = [
        ("u8 distinct", u8_model, vec![Some((0.05, 128)), Some((0.07, 100)), Some((0.1, 120))], false),
        ("i8 distinct", i8_model, vec![Some((0.1, -3)), Some((0.02, 5)), Some((0.125, -128))], false),
        ("gen_add_u8_quant", uniform(TflType::UINT8, (0.05, 128)), vec![Some((0.05, 128)); 3], true),
        ("gen_add_i8_quant", uniform(TflType::INT8, (0.1, -3)), vec![Some((0.1, -3)); 3], true),
        ("f32", tflite_add_f32(&[2, 3]), vec![None, None, None], true),
    ];
    for (what, model, written, on_tract) in cases {
        let graph = load(&model).unwrap_or_else(|e| panic!("{what}: load: {e}"));
        let got = reported_quantization(&graph);
        assert_eq!(got, written, "{what}: the litert plugin's quantization differs from what the model declares");
        assert_eq!(got, litert_python_quantization(&model), "{what}: differs from LiteRT's Python interpreter");
        if !on_tract {
            continue;
        }
        let opts = LoadOptions { backend: Some("tract"), model_dir: None };
        let tract = wasinn::core::loader::load_with(&[&model], Encoding::Tensorflowlite, Target::Cpu, &opts)
            .unwrap_or_else(|e| panic!("{what}: tract load: {e}"));
        assert_eq!(got, reported_quantization(&tract), "{what}: differs from the tract backend's");
    }
}
