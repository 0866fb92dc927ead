//! TensorFlow Lite models on the built-in tract backend (tract-tflite), through the core and the
//! C API: autodetect, introspection (quantization included), shape checks, plan reuse, errors.

mod common;
#[path = "common/tflite.rs"]
mod tflite;

use std::ptr::null_mut;

use common::*;
use tflite::*;
use wasinn::capi::*;
use wasinn::core::backend::{Dim, Quantization};
use wasinn::core::error::Status;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

/// The core loader with this crate's backends installed first (the C API does it on every call).
fn load(
    b: &[&[u8]],
    e: Encoding,
    t: Target,
    dir: Option<&std::path::Path>,
) -> wasinn::core::error::Result<std::sync::Arc<wasinn::core::graph::Graph>> {
    wasinn::backends::install();
    wasinn::core::loader::load(b, e, t, dir)
}

/// `out = x + x` on u8 tensors quantized with the same scale and zero point: in real terms
/// `2 * scale * (x - zp)`, i.e. `q_out = 2 * x - zp` (TFLite's quantized ADD, saturating).
fn quantized_add_u8() -> Vec<u8> {
    let q = |name| TflTensor { quant: Some((0.5, 10)), ..tfl_tensor(name, TflType::UINT8, &[1, 4]) };
    tflite_model(&[q("x"), q("y")], &[(BuiltinOperator::ADD, &[0, 0], &[1])], &[0], &[1])
}

#[test]
fn f32_add_loads_by_autodetect_and_runs() {
    let bytes = tflite_add_f32(&[2, 3]);
    let graph = load(&[&bytes], Encoding::Autodetect, Target::Auto, None).unwrap();
    assert_eq!(graph.backend(), "tract");
    assert_eq!(graph.encoding(), Encoding::Tensorflowlite);
    let names: Vec<&str> = graph.inputs().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(graph.outputs()[0].name, "sum");
    assert_eq!(graph.inputs()[0].ty, Some(TensorType::Fp32));
    assert_eq!(graph.inputs()[0].dims, Some(vec![Dim::Fixed(2), Dim::Fixed(3)]));
    assert_eq!(graph.outputs()[0].quant, None);

    let mut ctx = graph.init_execution_context().unwrap();
    for round in 0..2 {
        let a: Vec<f32> = (0..6).map(|i| i as f32 + round as f32).collect();
        let b: Vec<f32> = (0..6).map(|i| 0.5 * i as f32).collect();
        ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2, 3], &f32_bytes(&a)).unwrap()).unwrap();
        ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![2, 3], &f32_bytes(&b)).unwrap()).unwrap();
        ctx.compute().unwrap();
        let out = ctx.output(0).unwrap();
        assert_eq!((out.ty, out.dims), (TensorType::Fp32, &[2usize, 3][..]));
        let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert_eq!(f32_from(out.data), want);
    }
}

#[test]
fn inputs_must_match_the_declared_type_and_shape() {
    let bytes = tflite_add_f32(&[2, 3]);
    let graph = load(&[&bytes], Encoding::Tensorflowlite, Target::Cpu, None).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    let six = f32_bytes(&[0.0; 6]);
    let e = ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![3, 2], &six).unwrap()).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    // Another element type: TFLite models run only on their declared types.
    let i32s = i32_bytes(&[0; 6]);
    ctx.set_input(0, &TensorRef::new(TensorType::I32, vec![2, 3], &i32s).unwrap()).unwrap();
    ctx.set_input(1, &TensorRef::new(TensorType::Fp32, vec![2, 3], &six).unwrap()).unwrap();
    let e = ctx.compute().unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
    assert!(e.message.contains("declares"), "{}", e.message);
}

#[test]
fn quantized_u8_model_reports_scale_and_zero_point_and_runs() {
    let bytes = quantized_add_u8();
    let graph = load(&[&bytes], Encoding::Tensorflowlite, Target::Cpu, None).unwrap();
    let want = Some(Quantization { scale: 0.5, zero_point: 10 });
    assert_eq!(graph.inputs()[0].ty, Some(TensorType::U8));
    assert_eq!(graph.inputs()[0].quant, want);
    assert_eq!(graph.outputs()[0].quant, want);
    let mut ctx = graph.init_execution_context().unwrap();
    let x = [10u8, 11, 20, 200];
    ctx.set_input(0, &TensorRef::new(TensorType::U8, vec![1, 4], &x).unwrap()).unwrap();
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.ty, TensorType::U8);
    // real(x) = 0.5 * (x - 10): 0, 0.5, 5, 95; doubled: 0, 1, 10, 190 -> q = 10 + 2 * real.
    assert_eq!(out.data, [10, 12, 30, 255]);
}

/// The message of loading a PRELU (an operator tract-tflite 0.23.9 lacks) model made by `build`
/// ([`tflite_model`] or [`tflite_model_old_opcodes`]), which must be UNSUPPORTED_OPERATION.
fn prelu_refusal(build: fn(&[TflTensor], &[(BuiltinOperator, &[i32], &[i32])], &[i32], &[i32]) -> Vec<u8>) -> String {
    let bytes = build(
        &[
            tfl_tensor("x", TflType::FLOAT32, &[1, 4]),
            TflTensor { data: Some(f32_bytes(&[0.25; 4])), ..tfl_tensor("alpha", TflType::FLOAT32, &[4]) },
            tfl_tensor("y", TflType::FLOAT32, &[1, 4]),
        ],
        &[(BuiltinOperator::PRELU, &[0, 1], &[2])],
        &[0],
        &[2],
    );
    let e = load(&[&bytes], Encoding::Tensorflowlite, Target::Cpu, None).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation, "{}", e.message);
    e.message
}

#[test]
fn unsupported_operator_is_named() {
    let message = prelu_refusal(tflite_model);
    assert!(message.ends_with("the TFLite operator PRELU"), "{message}");
}

/// A model written before the schema's `builtin_code` field (mediapipe's face_landmark and
/// others): that field reads 0 = ADD for every operator, and tract-tflite goes by
/// `deprecated_builtin_code`; the message must name the operator tract lacks, not ADD.
#[test]
fn unsupported_operator_of_an_old_model_is_named_by_its_deprecated_code() {
    let message = prelu_refusal(tflite_model_old_opcodes);
    assert!(message.ends_with("the TFLite operator PRELU"), "{message}");
}

#[test]
fn malformed_flatbuffers_are_invalid_encoding() {
    let good = tflite_add_f32(&[2]);
    for bad in [b"\x1c\0\0\0TFL3".to_vec(), good[..good.len() / 2].to_vec(), {
        let mut b = good.clone();
        b[0] = 0xff; // root offset past the end
        b
    }] {
        let e = load(&[&bad], Encoding::Autodetect, Target::Cpu, None).unwrap_err();
        assert_eq!(e.status, Status::InvalidEncoding, "{}", e.message);
    }
    let e = load(&[&good, &good], Encoding::Tensorflowlite, Target::Cpu, None).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
}

#[test]
fn c_api_reports_quantization() {
    let bytes = quantized_add_u8();
    let buf = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
    let mut g = 0;
    assert_eq!(unsafe { wasinn_graph_load(&buf, 1, WASINN_ENCODING_TENSORFLOWLITE, WASINN_TARGET_CPU, &mut g) }, 0);
    let (mut quantized, mut scale, mut zp) = (0u32, 0f32, 0i64);
    assert_eq!(unsafe { wasinn_graph_input_quantization(g, 0, &mut quantized, &mut scale, &mut zp) }, 0);
    assert_eq!((quantized, scale, zp), (1, 0.5, 10));
    assert_eq!(unsafe { wasinn_graph_output_quantization(g, 0, &mut quantized, &mut scale, &mut zp) }, 0);
    assert_eq!((quantized, scale, zp), (1, 0.5, 10));
    // Out of range, NULL pointers: INVALID_ARGUMENT, nothing written.
    let (mut q2, mut s2, mut z2) = (7u32, 7.0f32, 7i64);
    assert_eq!(
        unsafe { wasinn_graph_output_quantization(g, 1, &mut q2, &mut s2, &mut z2) },
        WASINN_STATUS_INVALID_ARGUMENT
    );
    assert_eq!((q2, s2, z2), (7, 7.0, 7));
    assert_eq!(
        unsafe { wasinn_graph_input_quantization(g, 0, null_mut(), &mut s2, &mut z2) },
        WASINN_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(wasinn_graph_free(g), 0);

    // A float model: not quantized.
    let bytes = tflite_add_f32(&[1]);
    let buf = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
    assert_eq!(unsafe { wasinn_graph_load(&buf, 1, WASINN_ENCODING_AUTODETECT, WASINN_TARGET_AUTO, &mut g) }, 0);
    assert_eq!(unsafe { wasinn_graph_input_quantization(g, 1, &mut quantized, &mut scale, &mut zp) }, 0);
    assert_eq!((quantized, scale, zp), (0, 0.0, 0));
    assert_eq!(wasinn_graph_free(g), 0);
}

/// `pooled = MEAN(image, axes [1, 2], keep_dims)`: the spatial average of a [1, 4, 4, 3] f32 image,
/// the generated `gen_mean_f32` of tests/conformance/tflite.py.
fn mean_f32() -> Vec<u8> {
    let axes: Vec<u8> = [1i32, 2].iter().flat_map(|a| a.to_le_bytes()).collect();
    tflite_model(
        &[
            tfl_tensor("image", TflType::FLOAT32, &[1, 4, 4, 3]),
            TflTensor { data: Some(axes), ..tfl_tensor("axes", TflType::INT32, &[2]) },
            tfl_tensor("pooled", TflType::FLOAT32, &[1, 1, 1, 3]),
        ],
        &[(BuiltinOperator::MEAN, &[0, 1], &[2])],
        &[0],
        &[2],
    )
}

/// The conformance table's "differs" cell for tract on `gen_mean_f32` rests on this: libwasinn's
/// tract backend returns exactly what tract-tflite's own Rust API (`tflite().model_for_read`,
/// optimised, run) computes for the model, and both round the float MEAN to integers (the
/// difference from LiteRT is tract-tflite 0.23.9's, not the wrapper's). When tract fixes it, the
/// rounding assertion fails: update TRACT_DIFFERS in tests/conformance/tflite.py and the README.
#[test]
fn a_float_mean_is_what_tract_tflite_itself_computes() {
    use tract_tflite::prelude::*;
    let bytes = mean_f32();
    let image: Vec<f32> = (0..48).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    let graph = load(&[&bytes], Encoding::Tensorflowlite, Target::Cpu, None).unwrap();
    assert_eq!(graph.backend(), "tract");
    let mut ctx = graph.init_execution_context().unwrap();
    ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![1, 4, 4, 3], &f32_bytes(&image)).unwrap()).unwrap();
    ctx.compute().unwrap();
    let out = ctx.output(0).unwrap();
    assert_eq!(out.dims, &[1usize, 1, 1, 3][..]);
    let ours = f32_from(out.data);

    let model = tract_tflite::tflite().model_for_read(&mut &bytes[..]).unwrap();
    let plan = model.into_optimized().unwrap().into_runnable().unwrap();
    let input = Tensor::from_shape(&[1, 4, 4, 3], &image).unwrap();
    let theirs = plan.run(tvec!(input.into())).unwrap();
    let theirs: Vec<f32> = theirs[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
    assert_eq!(ours, theirs, "libwasinn's tract backend differs from tract-tflite's own API");

    let exact: Vec<f32> = (0..3).map(|c| (0..16).map(|p| image[p * 3 + c]).sum::<f32>() / 16.0).collect();
    assert!(ours.iter().all(|v| v.fract() == 0.0), "tract-tflite no longer rounds MEAN: {ours:?} (exact {exact:?})");
    assert!(exact.iter().any(|v| v.fract() != 0.0), "{exact:?}");
    for (o, e) in ours.iter().zip(&exact) {
        assert_eq!(*o, e.round(), "rounded to the nearest integer: {ours:?} vs {exact:?}");
    }
}
