#![allow(dead_code)]
//! Small TFLite flatbuffers built in Rust for the tests (tract-tflite's generated schema types and
//! the `flatbuffers` builder; no model files).

use flatbuffers::FlatBufferBuilder;
pub use tract_tflite::tflite::{BuiltinOperator, TensorType as TflType};
use tract_tflite::tflite::{
    AddOptions, AddOptionsArgs, BuiltinOptions, ReducerOptions, ReducerOptionsArgs, Buffer, BufferArgs, MulOptions, MulOptionsArgs, Model, ModelArgs, Operator, OperatorArgs, OperatorCode, OperatorCodeArgs,
    QuantizationParameters, QuantizationParametersArgs, SubGraph, SubGraphArgs, Tensor, TensorArgs,
};

/// One tensor of the model's main subgraph.
pub struct TflTensor {
    pub name: &'static str,
    pub ty: TflType,
    pub shape: Vec<i32>,
    /// (scale, zero point) of a per-tensor quantized tensor.
    pub quant: Option<(f32, i64)>,
    /// Constant data (little-endian bytes) of a weight.
    pub data: Option<Vec<u8>>,
    /// The shape signature (`-1` for a dynamic dimension), when the tensor has one.
    pub signature: Option<Vec<i32>>,
}

/// A tensor without data or quantization.
pub fn tfl_tensor(name: &'static str, ty: TflType, shape: &[i32]) -> TflTensor {
    TflTensor { name, ty, shape: shape.to_vec(), quant: None, data: None, signature: None }
}

/// A TFLite model: `tensors`, then operators `(op, inputs, outputs)` (ADD and MUL get their
/// default options table, as converters write it, MEAN `keep_dims`; other operators none), the subgraph's inputs
/// and outputs (tensor indices).
pub fn tflite_model(
    tensors: &[TflTensor],
    ops: &[(BuiltinOperator, &[i32], &[i32])],
    inputs: &[i32],
    outputs: &[i32],
) -> Vec<u8> {
    tflite_model_custom(tensors, ops, inputs, outputs, None)
}

/// [`tflite_model`], with `custom_code` as the name of its `CUSTOM` operators.
pub fn tflite_model_custom(
    tensors: &[TflTensor],
    ops: &[(BuiltinOperator, &[i32], &[i32])],
    inputs: &[i32],
    outputs: &[i32],
    custom_code: Option<&str>,
) -> Vec<u8> {
    build(tensors, ops, inputs, outputs, custom_code, false)
}

/// [`tflite_model`] as converters wrote it before the schema's `builtin_code` field existed (half
/// of mediapipe 0.10.14's models): the operator only in `deprecated_builtin_code`, `builtin_code`
/// left at its default, 0 (ADD).
pub fn tflite_model_old_opcodes(
    tensors: &[TflTensor],
    ops: &[(BuiltinOperator, &[i32], &[i32])],
    inputs: &[i32],
    outputs: &[i32],
) -> Vec<u8> {
    build(tensors, ops, inputs, outputs, None, true)
}

fn build(
    tensors: &[TflTensor],
    ops: &[(BuiltinOperator, &[i32], &[i32])],
    inputs: &[i32],
    outputs: &[i32],
    custom_code: Option<&str>,
    old_opcodes: bool,
) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    // Buffer 0 is the empty sentinel every TFLite file has.
    let mut buffers = vec![Buffer::create(&mut fbb, &BufferArgs { data: None })];
    let mut flat_tensors = Vec::new();
    for t in tensors {
        let buffer = match &t.data {
            Some(bytes) => {
                let data = fbb.create_vector(bytes);
                buffers.push(Buffer::create(&mut fbb, &BufferArgs { data: Some(data) }));
                (buffers.len() - 1) as u32
            }
            None => 0,
        };
        let quantization = t.quant.map(|(scale, zp)| {
            let scale = fbb.create_vector(&[scale]);
            let zero_point = fbb.create_vector(&[zp]);
            QuantizationParameters::create(
                &mut fbb,
                &QuantizationParametersArgs { scale: Some(scale), zero_point: Some(zero_point), ..Default::default() },
            )
        });
        let shape = fbb.create_vector(&t.shape);
        let shape_signature = t.signature.as_ref().map(|s| fbb.create_vector(s));
        let name = fbb.create_string(t.name);
        flat_tensors.push(Tensor::create(
            &mut fbb,
            &TensorArgs { shape: Some(shape), shape_signature, type_: t.ty, buffer, name: Some(name), quantization, ..Default::default() },
        ));
    }
    let mut codes: Vec<BuiltinOperator> = Vec::new();
    let mut flat_ops = Vec::new();
    for (op, ins, outs) in ops {
        let opcode_index = codes.iter().position(|c| c == op).unwrap_or_else(|| {
            codes.push(*op);
            codes.len() - 1
        }) as u32;
        let ins = fbb.create_vector(ins);
        let outs = fbb.create_vector(outs);
        let (builtin_options_type, builtin_options) = match *op {
            BuiltinOperator::ADD => (
                BuiltinOptions::AddOptions,
                Some(AddOptions::create(&mut fbb, &AddOptionsArgs::default()).as_union_value()),
            ),
            BuiltinOperator::MUL => (
                BuiltinOptions::MulOptions,
                Some(MulOptions::create(&mut fbb, &MulOptionsArgs::default()).as_union_value()),
            ),
            BuiltinOperator::MEAN => (
                BuiltinOptions::ReducerOptions,
                Some(ReducerOptions::create(&mut fbb, &ReducerOptionsArgs { keep_dims: true }).as_union_value()),
            ),
            _ => (BuiltinOptions::NONE, None),
        };
        flat_ops.push(Operator::create(
            &mut fbb,
            &OperatorArgs {
                opcode_index,
                inputs: Some(ins),
                outputs: Some(outs),
                builtin_options_type,
                builtin_options,
                ..Default::default()
            },
        ));
    }
    let op_codes: Vec<_> = codes
        .iter()
        .map(|&c| {
            let deprecated_builtin_code = i8::try_from(c.0).unwrap_or(127);
            let custom_code = custom_code.filter(|_| c == BuiltinOperator::CUSTOM).map(|name| fbb.create_string(name));
            OperatorCode::create(
                &mut fbb,
                &OperatorCodeArgs {
                    builtin_code: if old_opcodes { BuiltinOperator::ADD } else { c },
                    deprecated_builtin_code,
                    version: 1,
                    custom_code,
                },
            )
        })
        .collect();
    let tensors = fbb.create_vector(&flat_tensors);
    let operators = fbb.create_vector(&flat_ops);
    let inputs = fbb.create_vector(inputs);
    let outputs = fbb.create_vector(outputs);
    let main = SubGraph::create(
        &mut fbb,
        &SubGraphArgs {
            tensors: Some(tensors),
            inputs: Some(inputs),
            outputs: Some(outputs),
            operators: Some(operators),
            name: None,
        },
    );
    let subgraphs = fbb.create_vector(&[main]);
    let operator_codes = fbb.create_vector(&op_codes);
    let buffers = fbb.create_vector(&buffers);
    let model = Model::create(
        &mut fbb,
        &ModelArgs {
            version: 3,
            operator_codes: Some(operator_codes),
            subgraphs: Some(subgraphs),
            buffers: Some(buffers),
            ..Default::default()
        },
    );
    fbb.finish(model, Some("TFL3"));
    fbb.finished_data().to_vec()
}

/// `sum = a + b`, f32, both inputs `shape`.
pub fn tflite_add_f32(shape: &[i32]) -> Vec<u8> {
    tflite_model(
        &[
            tfl_tensor("a", TflType::FLOAT32, shape),
            tfl_tensor("b", TflType::FLOAT32, shape),
            tfl_tensor("sum", TflType::FLOAT32, shape),
        ],
        &[(BuiltinOperator::ADD, &[0, 1], &[2])],
        &[0, 1],
        &[2],
    )
}
