//! The tract backend through the core's public API, on ONNX models built in Rust.

mod common;

use std::sync::Arc;

use common::*;
use wasinn::backends::tract::TractBackend;
use wasinn::core::backend::{Backend, Dim, LoadRequest};
use wasinn::core::error::{Error, Status};
use wasinn::core::graph::{ExecContext, Graph};
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

/// The core loader, with this crate's backends installed (Rust code using the core directly
/// installs them itself; the C API does it on every call).
fn load(builders: &[&[u8]], encoding: Encoding, target: Target, dir: Option<&std::path::Path>) -> wasinn::core::error::Result<Arc<Graph>> {
    wasinn::backends::install();
    wasinn::core::loader::load(builders, encoding, target, dir)
}

fn load_cpu(bytes: &[u8]) -> Result<Arc<Graph>, Error> {
    load(&[bytes], Encoding::Onnx, Target::Cpu, None)
}

fn set(ctx: &mut ExecContext, index: usize, ty: TensorType, dims: &[usize], data: &[u8]) {
    ctx.set_input(index, &TensorRef::new(ty, dims.to_vec(), data).unwrap()).unwrap();
}

fn err_of<T: std::fmt::Debug>(r: Result<T, Error>) -> Error {
    r.expect_err("expected an error")
}

#[test]
fn add_two_f32_inputs() {
    let graph = load_cpu(&add_f32_model(&[2, 2])).unwrap();
    assert_eq!(graph.backend(), "tract");
    assert_eq!(graph.inputs().len(), 2);
    assert_eq!(graph.inputs()[0].name, "a");
    assert_eq!(graph.inputs()[1].name, "b");
    assert_eq!(graph.inputs()[0].ty, Some(TensorType::Fp32));
    assert_eq!(graph.inputs()[0].dims, Some(vec![Dim::Fixed(2), Dim::Fixed(2)]));
    assert_eq!(graph.outputs().len(), 1);
    assert_eq!(graph.outputs()[0].name, "sum");
    assert_eq!(graph.outputs()[0].ty, Some(TensorType::Fp32));
    assert_eq!(graph.outputs()[0].dims, Some(vec![Dim::Fixed(2), Dim::Fixed(2)]));

    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2, 2], &f32_bytes(&[1.0, 2.0, 3.0, 4.0]));
    set(&mut ctx, 1, TensorType::Fp32, &[2, 2], &f32_bytes(&[10.0, 20.0, 30.0, 40.0]));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.ty, TensorType::Fp32);
    assert_eq!(out.dims, &[2, 2]);
    assert_eq!(f32_from(out.data), vec![11.0, 22.0, 33.0, 44.0]);

    // Same shapes again (inputs overwritten in place), new values.
    set(&mut ctx, 0, TensorType::Fp32, &[2, 2], &f32_bytes(&[0.5, 0.5, 0.5, 0.5]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![10.5, 20.5, 30.5, 40.5]);
}

#[test]
fn identity_for_every_type() {
    let cases: Vec<(Elem, TensorType, Vec<u8>)> = vec![
        (Elem::Float16, TensorType::Fp16, f16_bytes(&[1.5, -2.0, 0.25])),
        (Elem::Float, TensorType::Fp32, f32_bytes(&[1.5, -2.0, 3.25])),
        (Elem::Double, TensorType::Fp64, f64_bytes(&[1.5, -2.0, 1e300])),
        (Elem::Uint8, TensorType::U8, vec![0, 7, 255]),
        (Elem::Int8, TensorType::I8, i8_bytes(&[-128, 0, 127])),
        (Elem::Uint16, TensorType::U16, u16_bytes(&[0, 1, 65535])),
        (Elem::Int16, TensorType::I16, i16_bytes(&[-32768, 5, 32767])),
        (Elem::Uint32, TensorType::U32, u32_bytes(&[0, 1, u32::MAX])),
        (Elem::Int32, TensorType::I32, i32_bytes(&[i32::MIN, -1, i32::MAX])),
        (Elem::Uint64, TensorType::U64, u64_bytes(&[0, 1, u64::MAX])),
        (Elem::Int64, TensorType::I64, i64_bytes(&[i64::MIN, -1, i64::MAX])),
        (Elem::Bool, TensorType::Bool, vec![1, 0, 1]),
    ];
    for (elem, ty, data) in cases {
        let graph = load_cpu(&identity_model(elem, &[dim(3)])).unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_eq!(graph.inputs()[0].ty, Some(ty), "{ty}");
        assert_eq!(graph.outputs()[0].ty, Some(ty), "{ty}");
        let mut ctx = graph.init_execution_context().unwrap();
        set(&mut ctx, 0, ty, &[3], &data);
        ctx.compute().unwrap_or_else(|e| panic!("{ty}: {e}"));
        let out = ctx.output(0).unwrap();
        assert_eq!(out.ty, ty);
        assert_eq!(out.dims, &[3]);
        assert_eq!(out.data, &data[..], "{ty}");
    }
}

#[test]
fn f16_values_survive() {
    let graph = load_cpu(&identity_model(Elem::Float16, &[dim(2)])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp16, &[2], &f16_bytes(&[0.5, 65504.0]));
    ctx.compute().unwrap();
    assert_eq!(f16_from(ctx.output(0).unwrap().data), vec![0.5, 65504.0]);
}

#[test]
fn bool_bytes_must_be_zero_or_one() {
    let graph = load_cpu(&identity_model(Elem::Bool, &[dim(2)])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let e = err_of(ctx.set_input(0, &TensorRef::new(TensorType::Bool, vec![2], &[1, 2]).unwrap()));
    assert_eq!(e.status, Status::InvalidArgument, "{e}");
    assert!(e.message.contains("0 or 1"), "{e}");
    // The failed set left the input unset.
    assert_eq!(err_of(ctx.compute()).status, Status::InvalidArgument);
}

#[test]
fn bf16_is_unsupported() {
    let graph = load_cpu(&identity_model(Elem::Float, &[dim(2)])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let e = err_of(ctx.set_input(0, &TensorRef::new(TensorType::Bf16, vec![2], &[0; 4]).unwrap()));
    assert_eq!(e.status, Status::UnsupportedOperation, "{e}");
    assert!(e.message.contains("bf16"), "{e}");
}

#[test]
fn symbolic_batch_is_replanned_when_the_shape_changes() {
    let graph = load_cpu(&batch_double_model()).unwrap();
    assert_eq!(graph.inputs()[0].dims, Some(vec![Dim::Dynamic, Dim::Fixed(3)]));
    assert_eq!(graph.outputs()[0].dims, Some(vec![Dim::Dynamic, Dim::Fixed(3)]));
    let mut ctx = graph.init_execution_context().unwrap();

    set(&mut ctx, 0, TensorType::Fp32, &[1, 3], &f32_bytes(&[1.0, 2.0, 3.0]));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.dims, &[1, 3]);
    assert_eq!(f32_from(out.data), vec![2.0, 4.0, 6.0]);

    let x: Vec<f32> = (0..9).map(|i| i as f32).collect();
    set(&mut ctx, 0, TensorType::Fp32, &[3, 3], &f32_bytes(&x));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.dims, &[3, 3]);
    assert_eq!(f32_from(out.data), x.iter().map(|v| v * 2.0).collect::<Vec<_>>());

    // Back to N=1 (a cached plan).
    set(&mut ctx, 0, TensorType::Fp32, &[1, 3], &f32_bytes(&[-1.0, 0.0, 1.0]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![-2.0, 0.0, 2.0]);

    // A shape that contradicts the declared one (second dim must be 3, rank 2) is refused at
    // set_input, even though tract itself would happily run this model on it.
    for dims in [vec![1, 4], vec![3], vec![1, 1, 3]] {
        let data = vec![0u8; dims.iter().product::<usize>() * 4];
        let e = err_of(ctx.set_input(0, &TensorRef::new(TensorType::Fp32, dims.clone(), &data).unwrap()));
        assert_eq!(e.status, Status::InvalidArgument, "{e}");
        assert!(e.message.contains("fp32 [?, 3]"), "{e}");
    }
}

#[test]
fn two_inputs_two_outputs_by_name() {
    let graph = load_cpu(&two_in_two_out_model()).unwrap();
    let names = |infos: &[wasinn::core::backend::IoInfo]| infos.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(graph.inputs()), ["a", "c"]);
    assert_eq!(names(graph.outputs()), ["sum", "neg"]);
    assert_eq!(graph.inputs()[1].ty, Some(TensorType::I64));
    assert_eq!(graph.outputs()[1].ty, Some(TensorType::I64));
    assert_eq!(graph.output_index("neg").unwrap(), 1);
    assert_eq!(graph.input_index("nope").unwrap_err().status, Status::NotFound);

    let mut ctx = graph.init_execution_context().unwrap();
    let c = i64_bytes(&[1, -2, 3]);
    let a = f32_bytes(&[1.0, 2.0]);
    ctx.set_input_by_name("c", &TensorRef::new(TensorType::I64, vec![3], &c).unwrap()).unwrap();
    ctx.set_input_by_name("a", &TensorRef::new(TensorType::Fp32, vec![2], &a).unwrap()).unwrap();
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output_by_name("sum").unwrap().data), vec![11.0, 22.0]);
    let neg = ctx.output_by_name("neg").unwrap();
    assert_eq!(neg.ty, TensorType::I64);
    assert_eq!(i64_from(neg.data), vec![-1, 2, -3]);

    // The WIT-style call.
    let outs = ctx
        .compute_named(&[("a", TensorRef::new(TensorType::Fp32, vec![2], &f32_bytes(&[0.0, 1.0])).unwrap())])
        .unwrap();
    assert_eq!(outs[0].0, "sum");
    assert_eq!(f32_from(&outs[0].1.data), vec![10.0, 21.0]);
    assert_eq!(i64_from(&outs[1].1.data), vec![-1, 2, -3]);
}

#[test]
fn initializer_listed_as_input_is_not_an_input() {
    let model = ModelBuilder::new()
        .input("a", Elem::Float, &[dim(2)])
        .input("bias", Elem::Float, &[dim(2)])
        .initializer(f32_tensor("bias", &[2], &[1.0, 1.0]))
        .node("Add", &["a", "bias"], &["y"])
        .output("y", Elem::Float, &[dim(2)])
        .into_bytes();
    let graph = load_cpu(&model).unwrap();
    assert_eq!(graph.inputs().len(), 1);
    assert_eq!(graph.inputs()[0].name, "a");
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![2.0, 3.0]);
}

#[test]
fn unranked_input_and_untyped_output() {
    let model = ModelBuilder::new()
        .input_unranked("x", Elem::Float)
        .node("Identity", &["x"], &["y"])
        .output_untyped("y")
        .into_bytes();
    let graph = load_cpu(&model).unwrap();
    assert_eq!(graph.inputs()[0].ty, Some(TensorType::Fp32));
    assert_eq!(graph.inputs()[0].dims, None);
    // The output type comes from tract's analysis.
    assert_eq!(graph.outputs()[0].ty, Some(TensorType::Fp32));
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[1, 2], &f32_bytes(&[4.0, 5.0]));
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().dims, &[1, 2]);
    // A different rank is a different plan.
    set(&mut ctx, 0, TensorType::Fp32, &[], &f32_bytes(&[6.0]));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.dims, &[] as &[usize]);
    assert_eq!(f32_from(out.data), vec![6.0]);
}

#[test]
fn outputs_stay_valid_until_the_next_compute() {
    // Identity's output is the input tensor itself inside tract: overwriting the input in place
    // would silently change the previous output.
    let graph = load_cpu(&identity_model(Elem::Float, &[dim(2)])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    ctx.compute().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[3.0, 4.0]));
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![1.0, 2.0]);
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![3.0, 4.0]);
}

#[test]
fn input_type_other_than_declared() {
    // Identity can run on i32 although it declares f32: honoured.
    let graph = load_cpu(&identity_model(Elem::Float, &[dim(2)])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::I32, &[2], &i32_bytes(&[7, 8]));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.ty, TensorType::I32);
    assert_eq!(i32_from(out.data), vec![7, 8]);

    // An f64 input added to an f32 initializer: tract promotes the sum to f64.
    let graph = load_cpu(&two_in_two_out_model()).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp64, &[2], &f64_bytes(&[1.0, 2.0]));
    set(&mut ctx, 1, TensorType::I64, &[3], &i64_bytes(&[1, 2, 3]));
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.ty, TensorType::Fp64);
    assert_eq!(f64_from(out.data), vec![11.0, 22.0]);
    // Back to the declared type: another plan, still correct.
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![11.0, 22.0]);

    // Not on u8 (declared bool) cannot run: a clear error naming the type change.
    let model = ModelBuilder::new()
        .input("x", Elem::Bool, &[dim(2)])
        .node("Not", &["x"], &["y"])
        .output("y", Elem::Bool, &[dim(2)])
        .into_bytes();
    let graph = load_cpu(&model).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::U8, &[2], &[1, 0]);
    let e = err_of(ctx.compute());
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("given as u8 but is declared bool"), "{e}");
    set(&mut ctx, 0, TensorType::Bool, &[2], &[1, 0]);
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, &[0, 1]);
}

#[test]
fn external_data_is_refused_without_a_model_dir() {
    let e = err_of(load_cpu(&external_weights_model("weights.bin")));
    assert_eq!(e.status, Status::Security, "{e}");
    assert!(e.message.contains("weights.bin"), "{e}");

    // A path outside any directory, too.
    let e = err_of(load_cpu(&external_weights_model("/etc/passwd")));
    assert_eq!(e.status, Status::Security, "{e}");

    // external_data entries without data_location also count.
    let mut t = f32_tensor("w", &[2], &[]);
    t.external_data.push(pb::StringStringEntryProto { key: "location".into(), value: "w.bin".into() });
    let model = ModelBuilder::new()
        .input("x", Elem::Float, &[dim(2)])
        .initializer(t)
        .node("Add", &["x", "w"], &["y"])
        .output("y", Elem::Float, &[dim(2)])
        .into_bytes();
    assert_eq!(err_of(load_cpu(&model)).status, Status::Security);

    // Inside a Constant node's attribute.
    let model = ModelBuilder::new()
        .input("x", Elem::Float, &[dim(2)])
        .node_with(
            "Constant",
            &[],
            &["w"],
            vec![attr_tensor("value", external_tensor("w", Elem::Float, &[2], "w.bin", Some(0), Some(8)))],
        )
        .node("Add", &["x", "w"], &["y"])
        .output("y", Elem::Float, &[dim(2)])
        .into_bytes();
    assert_eq!(err_of(load_cpu(&model)).status, Status::Security);

    // Inside a subgraph (an If branch's initializer).
    let branch = |name: &str| pb::GraphProto {
        name: name.into(),
        initializer: vec![external_tensor("w", Elem::Float, &[2], "w.bin", None, None)],
        node: vec![pb::NodeProto {
            op_type: "Identity".into(),
            input: vec!["w".into()],
            output: vec![format!("{name}_out")],
            ..Default::default()
        }],
        output: vec![value_info(&format!("{name}_out"), Elem::Float, Some(&[dim(2)]))],
        ..Default::default()
    };
    let model = ModelBuilder::new()
        .input("cond", Elem::Bool, &[])
        .node_with(
            "If",
            &["cond"],
            &["y"],
            vec![attr_graph("then_branch", branch("t")), attr_graph("else_branch", branch("e"))],
        )
        .output("y", Elem::Float, &[dim(2)])
        .into_bytes();
    assert_eq!(err_of(load_cpu(&model)).status, Status::Security);
}

#[test]
fn external_data_is_read_from_the_model_dir() {
    let bytes = external_weights_model("weights.bin");
    let model = write_temp_model("model.onnx", &bytes);
    model.write_side_file("weights.bin", &f32_bytes(&[100.0, 200.0]));
    let graph = load(&[&bytes], Encoding::Onnx, Target::Cpu, Some(model.dir())).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![101.0, 202.0]);

    // Even with a model dir, data outside it is refused (by tract's own path check).
    let escaping = external_weights_model("../weights.bin");
    let e = err_of(load(&[&escaping], Encoding::Onnx, Target::Cpu, Some(model.dir())));
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("outside") || e.message.contains("relative path"), "{e}");
    // A missing file is a load error with tract's text.
    let missing = external_weights_model("missing.bin");
    let e = err_of(load(&[&missing], Encoding::Onnx, Target::Cpu, Some(model.dir())));
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("missing.bin"), "{e}");
}

#[test]
fn invalid_bytes_are_invalid_encoding() {
    for bytes in [&[0xffu8; 16][..], b"definitely not an onnx model", &[]] {
        let e = err_of(load_cpu(bytes));
        assert_eq!(e.status, Status::InvalidEncoding, "{bytes:?}: {e}");
    }
    // Truncated model.
    let model = add_f32_model(&[2]);
    let e = err_of(load_cpu(&model[..model.len() - 3]));
    assert_eq!(e.status, Status::InvalidEncoding, "{e}");
}

#[test]
fn unknown_operator_is_unsupported_at_load() {
    let model = ModelBuilder::new()
        .input("x", Elem::Float, &[sym("N")])
        .node("NoSuchOperator", &["x"], &["y"])
        .output("y", Elem::Float, &[sym("N")])
        .into_bytes();
    let e = err_of(load_cpu(&model));
    assert_eq!(e.status, Status::UnsupportedOperation, "{e}");
    assert!(e.message.contains("NoSuchOperator"), "{e}");
}

#[test]
fn eager_planning_reports_errors_at_load() {
    // Concat of [2, 3] and [2, 4] on axis 0 is impossible: with concrete inputs this fails at load.
    let model = ModelBuilder::new()
        .input("a", Elem::Float, &[dim(2), dim(3)])
        .input("b", Elem::Float, &[dim(2), dim(4)])
        .node_with("Concat", &["a", "b"], &["y"], vec![attr_int("axis", 0)])
        .output("y", Elem::Float, &[dim(4), dim(3)])
        .into_bytes();
    let e = err_of(load_cpu(&model));
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("Concat"), "{e}");
    assert!(!e.message.contains("Stack backtrace"), "messages carry tract's error chain, not a backtrace: {e}");
}

#[test]
fn gpu_and_tpu_are_unsupported() {
    let bytes = add_f32_model(&[2]);
    for target in [Target::Gpu, Target::Tpu] {
        let e = err_of(load(&[&bytes], Encoding::Onnx, target, None));
        assert_eq!(e.status, Status::UnsupportedOperation, "{e}");
        // The backend itself refuses too (no silent CPU fallback).
        let req = LoadRequest { builders: &[&bytes], encoding: Encoding::Onnx, target, model_dir: None };
        let e = err_of(TractBackend::new().load(&req).map(|_| ()));
        assert_eq!(e.status, Status::UnsupportedOperation, "{e}");
        assert!(e.message.contains(target.name()), "{e}");
    }
    // Auto resolves to the CPU.
    let graph = load(&[&bytes], Encoding::Onnx, Target::Auto, None).unwrap();
    assert_eq!(graph.target(), Target::Cpu);
}

#[test]
fn backend_checks_builders_and_encoding() {
    let bytes = add_f32_model(&[2]);
    let backend = TractBackend::new();
    let req =
        LoadRequest { builders: &[&bytes, &bytes], encoding: Encoding::Onnx, target: Target::Cpu, model_dir: None };
    assert_eq!(err_of(backend.load(&req).map(|_| ())).status, Status::InvalidArgument);
    let req = LoadRequest { builders: &[], encoding: Encoding::Onnx, target: Target::Cpu, model_dir: None };
    assert_eq!(err_of(backend.load(&req).map(|_| ())).status, Status::InvalidArgument);
    let req = LoadRequest { builders: &[&bytes], encoding: Encoding::Openvino, target: Target::Cpu, model_dir: None };
    assert_eq!(err_of(backend.load(&req).map(|_| ())).status, Status::InvalidEncoding);
    // Autodetect sniffs ONNX.
    let graph = load(&[&bytes], Encoding::Autodetect, Target::Cpu, None).unwrap();
    assert_eq!(graph.encoding(), Encoding::Onnx);
}

#[test]
fn compute_before_set_and_output_before_compute_are_errors() {
    let graph = load_cpu(&add_f32_model(&[2])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    assert_eq!(err_of(ctx.output(0)).status, Status::InvalidArgument);
    assert_eq!(err_of(ctx.compute()).status, Status::InvalidArgument);
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    let e = err_of(ctx.compute());
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(e.message.contains("\"b\""), "{e}");
    assert_eq!(err_of(ctx.output(0)).status, Status::InvalidArgument);
    set(&mut ctx, 1, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    ctx.compute().unwrap();
    assert_eq!(f32_from(ctx.output(0).unwrap().data), vec![2.0, 4.0]);
    assert_eq!(err_of(ctx.output(1)).status, Status::InvalidArgument);
    assert_eq!(
        err_of(ctx.set_input(2, &TensorRef::new(TensorType::Fp32, vec![], &[0; 4]).unwrap())).status,
        Status::InvalidArgument
    );
}

#[test]
fn wrong_size_tensor_is_rejected() {
    let e = TensorRef::new(TensorType::Fp32, vec![2, 2], &[0u8; 15]).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(TensorRef::new(TensorType::Fp32, vec![usize::MAX, 2], &[]).is_err());
    // A well-sized tensor of the wrong shape is rejected by the model, cleanly.
    let graph = load_cpu(&add_f32_model(&[2])).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let data = f32_bytes(&[1.0, 2.0, 3.0]);
    let e = err_of(ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![3], &data).unwrap()));
    assert_eq!(e.status, Status::InvalidArgument, "{e}");
}

#[test]
fn broadcast_failure_at_run_is_a_runtime_error() {
    // tract's planner accepts Add of [2] and [3]; the run fails, cleanly.
    let model = ModelBuilder::new()
        .input("a", Elem::Float, &[dim(2)])
        .input("b", Elem::Float, &[dim(3)])
        .node("Add", &["a", "b"], &["y"])
        .output("y", Elem::Float, &[dim(3)])
        .into_bytes();
    let graph = load_cpu(&model).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    set(&mut ctx, 0, TensorType::Fp32, &[2], &f32_bytes(&[1.0, 2.0]));
    set(&mut ctx, 1, TensorType::Fp32, &[3], &f32_bytes(&[1.0, 2.0, 3.0]));
    let e = err_of(ctx.compute());
    assert_eq!(e.status, Status::RuntimeError, "{e}");
    assert!(e.message.contains("broadcast"), "{e}");
    assert_eq!(err_of(ctx.output(0)).status, Status::InvalidArgument);
}

#[test]
fn parallel_contexts_on_one_graph() {
    let graph = load_cpu(&batch_double_model()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let graph = Arc::clone(&graph);
            std::thread::spawn(move || {
                let mut ctx = graph.init_execution_context().unwrap();
                for round in 0..20 {
                    // Each thread uses its own batch sizes, so plans are made concurrently too.
                    let n = 1 + (t + round) % 3;
                    let x: Vec<f32> = (0..n * 3).map(|i| (t * 1000 + round * 10 + i) as f32).collect();
                    set(&mut ctx, 0, TensorType::Fp32, &[n, 3], &f32_bytes(&x));
                    ctx.compute().unwrap();
                    let out = ctx.output(0).unwrap();
                    assert_eq!(out.dims, &[n, 3]);
                    assert_eq!(f32_from(out.data), x.iter().map(|v| v * 2.0).collect::<Vec<_>>());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn temp_model_helper_round_trips() {
    let bytes = add_f32_model(&[1]);
    let dir;
    {
        let model = write_temp_model("add.onnx", &bytes);
        assert_eq!(std::fs::read(&model.path).unwrap(), bytes);
        dir = model.dir().to_path_buf();
        assert!(dir.is_dir());
    }
    assert!(!dir.exists(), "the temp dir is removed on drop");
}

#[test]
fn operands_given_as_inputs_are_planned_with_their_values() {
    // ReduceSum-13 takes its axes as an input; tract only plans it with constant axes. libwasinn
    // plans such a model with the values of its small inputs, one plan per value set.
    let model = ModelBuilder::new()
        .input("x", Elem::Float, &[dim(2), dim(3)])
        .input("axes", Elem::Int64, &[dim(1)])
        .node_with("ReduceSum", &["x", "axes"], &["y"], vec![attr_int("keepdims", 0)])
        .output("y", Elem::Float, &[sym("R")])
        .into_bytes();
    let graph = load_cpu(&model).expect("a model tract cannot plan by shape still loads");
    let mut ctx = graph.init_execution_context().unwrap();
    let x = f32_bytes(&[1.0, 2.0, 3.0, 10.0, 20.0, 30.0]);
    set(&mut ctx, 0, TensorType::Fp32, &[2, 3], &x);
    for (axis, want_dims, want) in [(0i64, vec![3], vec![11.0, 22.0, 33.0]), (1, vec![2], vec![6.0, 60.0]), (0, vec![3], vec![11.0, 22.0, 33.0])] {
        set(&mut ctx, 1, TensorType::I64, &[1], &i64_bytes(&[axis]));
        ctx.compute().unwrap();
        let y = ctx.output(0).unwrap();
        assert_eq!(y.dims, &want_dims[..], "axis {axis}");
        assert_eq!(f32_from(y.data), want, "axis {axis}");
    }
    // Another context of the same graph shares the plans and gets the same answers.
    let mut other = graph.init_execution_context().unwrap();
    set(&mut other, 0, TensorType::Fp32, &[2, 3], &x);
    set(&mut other, 1, TensorType::I64, &[1], &i64_bytes(&[1]));
    other.compute().unwrap();
    assert_eq!(f32_from(other.output(0).unwrap().data), vec![6.0, 60.0]);
    // An impossible axis is still refused, with tract's reason for the plan by shape.
    set(&mut ctx, 1, TensorType::I64, &[1], &i64_bytes(&[5]));
    let e = err_of(ctx.compute());
    assert_eq!(e.status, Status::UnsupportedOperation, "{e}");
    assert!(e.message.contains("axes"), "{e}");
}
