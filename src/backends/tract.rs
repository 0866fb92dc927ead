//! The built-in tract backend: pure Rust, CPU only, ONNX (tract-onnx) and TensorFlow Lite
//! (tract-tflite).
//!
//! Both encodings share everything after parsing (the [`Shared`] block, its plan cache, shape
//! checks, contexts and errors); they differ in what parsing yields ([`Source`]): ONNX an
//! inference model typed per input signature, TFLite a typed model whose inputs have the fixed
//! types and shapes the flatbuffer declares (TFLite models are planned once, at load).
//!
//! Design:
//! - `load` decodes the ONNX protobuf, refuses external-data tensors when the model did not come
//!   from a host directory (`Status::Security`), parses it into a tract `InferenceModel` and keeps
//!   that model (never mutated afterwards) in a [`Shared`] block owned by the graph and its
//!   contexts.
//! - tract wants concrete input shapes before optimisation, so runnable plans are built per
//!   concrete input signature (element type + shape of every input) and cached in the graph,
//!   shared by all its contexts. The cache lock is held only for lookup/insert; planning and
//!   running happen outside it, so contexts of one graph compute in parallel. A model whose inputs
//!   are all concrete is planned eagerly at load, so its errors show at load.
//! - ONNX lets a model take operands such as axes, shapes, pads or scales as inputs, and several
//!   tract operators accept them only as constants. When the plan by shape fails that way, the
//!   model is planned again with the values of its small inputs (at most
//!   `MAX_CONST_INPUT_ELEMENTS` elements) as constants, keyed by those values too; a load whose
//!   eager plan fails so is not refused, since the values come at compute.
//! - When tract's optimiser fails, the decluttered or plain typed model runs instead (logged).
//! - `set_input` refuses shapes that contradict the declared rank or fixed dimensions (tract would
//!   often run them anyway, e.g. a model declared `[2]` on `[3]`), but honours an element type
//!   other than the declared one by planning for it (tract promotes or fails with its own text).
//! - A context owns its input tensors (one copy of the caller's bytes, reused in place when the
//!   next `set_input` has the same type and shape) and the output values of its last compute,
//!   which `output` borrows without copying.
//! - TFLite tensors quantized per tensor (u8/i8 with a scale and a zero point) are declared as
//!   their integer type with [`Quantization`] in the [`IoInfo`]; the caller's integer bytes are
//!   given the model's quantized type before running, and quantized outputs are their integer
//!   bytes. What tract-tflite cannot translate (an operator it lacks, per-axis quantized inputs)
//!   is `UnsupportedOperation` with the operator's name.
//! - tract panics on some malformed models; parsing, planning and running are wrapped in
//!   `catch_unwind` so such a panic becomes an error (`Status::Panic`) instead of unwinding
//!   through the core.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use parking_lot::Mutex;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{Factoid, InferenceModelExt, ShapeFactoid};
use tract_onnx::tract_hir::ops::unimpl::UnimplementedOp;

use tract_tflite::tflite as tfl;

use crate::core::backend::{Backend, BackendContext, BackendGraph, Dim, IoInfo, LoadRequest, Quantization};
use crate::core::error::{Error, Result, Status};
use crate::core::tensor::{byte_len, encode_strings, OutputRef, TensorRef};
use crate::core::types::{Encoding, Target, TensorType};

/// Most runnable plans one graph keeps (one per distinct input signature). Bounds the memory a
/// caller can make the host spend by cycling through input shapes; an evicted plan stays alive as
/// long as a context still runs it.
const MAX_CACHED_PLANS: usize = 32;

/// The tract backend (ONNX and TensorFlow Lite).
pub struct TractBackend {
    onnx: tract_onnx::Onnx,
    tflite: tract_tflite::Tflite,
}

impl TractBackend {
    /// Creates the backend.
    pub fn new() -> Self {
        TractBackend { onnx: tract_onnx::onnx(), tflite: tract_tflite::tflite() }
    }
}

impl Default for TractBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl Backend for TractBackend {
    fn name(&self) -> &str {
        "tract"
    }
    fn version(&self) -> &str {
        "0.23.9"
    }
    fn encodings(&self) -> &[Encoding] {
        &[Encoding::Onnx, Encoding::Tensorflowlite]
    }
    fn targets(&self) -> &[Target] {
        &[Target::Cpu]
    }
    fn load(&self, request: &LoadRequest<'_>) -> Result<Arc<dyn BackendGraph>> {
        if !self.encodings().contains(&request.encoding) {
            return Err(Error::new(
                Status::InvalidEncoding,
                format!("the tract backend loads only ONNX and TFLite models, not {}", request.encoding),
            ));
        }
        match request.target {
            Target::Cpu | Target::Auto => {}
            t => {
                return Err(Error::unsupported(format!(
                    "the tract backend runs only on the CPU; the {t} target is not available"
                )))
            }
        }
        if request.builders.len() != 1 {
            return Err(Error::invalid(format!(
                "an {} model is exactly one graph builder, got {}",
                request.encoding,
                request.builders.len()
            )));
        }
        let bytes = request.builders[0];
        if request.encoding == Encoding::Tensorflowlite {
            return self.load_tflite(bytes);
        }
        let proto = guard("decoding the ONNX model", || {
            self.onnx
                .proto_model_for_read(&mut &bytes[..])
                .map_err(|e| Error::new(Status::InvalidEncoding, format!("not a valid ONNX model: {e:#}")))
        })?;
        if proto.graph.is_none() {
            return Err(Error::new(Status::InvalidEncoding, "not a valid ONNX model: it contains no graph"));
        }
        check_tensors(&proto, request.model_dir.is_some())?;
        proto.graph.iter().try_for_each(check_outputs)?;
        let model_dir = match request.model_dir {
            Some(dir) => Some(
                dir.to_str()
                    .ok_or_else(|| Error::invalid(format!("model directory {} is not valid UTF-8", dir.display())))?,
            ),
            None => None,
        };
        let model = guard("parsing the ONNX model", || {
            let parsed = self
                .onnx
                .parse(&proto, model_dir)
                .map_err(|e| {
                    let text = format!("{e:#}");
                    Error::new(failure_status(&text), format!("tract could not load the ONNX model: {text}"))
                })?;
            if !parsed.unresolved_inputs.is_empty() {
                return Err(Error::new(
                    Status::InvalidEncoding,
                    format!("the ONNX graph uses tensors it never defines: {:?}", parsed.unresolved_inputs),
                ));
            }
            Ok(parsed.model)
        })?;
        check_implemented(&model)?;
        let (inputs, outputs) = onnx_io(&model, &proto)?;
        // The decoded protobuf holds a copy of every weight: free it before planning, which makes
        // one more (the optimised plan's), so the load's peak holds two copies, not three.
        drop(proto);
        let shared = Shared::new(Source::Onnx(model), inputs, outputs, Vec::new())?;
        Ok(Arc::new(TractGraph { shared: Arc::new(shared) }))
    }
}

impl TractBackend {
    /// Loads a TFLite flatbuffer: the declared inputs and outputs come from the flatbuffer (names,
    /// types, shapes, quantization), the model from tract-tflite.
    fn load_tflite(&self, bytes: &[u8]) -> Result<Arc<dyn BackendGraph>> {
        let (inputs, outputs, input_dts) = guard("reading the TFLite model", || tflite_io(bytes))?;
        let model = guard("parsing the TFLite model", || {
            self.tflite.model_for_read(&mut &bytes[..]).map_err(|e| {
                let text = format!("{e:#}");
                let status = failure_status(&text);
                Error::new(status, format!("tract could not load the TFLite model: {}", tflite_failure(&text)))
            })
        })?;
        if model.inputs.len() != inputs.len() || model.outputs.len() != outputs.len() {
            return Err(Error::unsupported(format!(
                "tract-tflite sees {} inputs and {} outputs where the TFLite model declares {} and {} \
                 (per-axis quantized inputs are not supported)",
                model.inputs.len(),
                model.outputs.len(),
                inputs.len(),
                outputs.len()
            )));
        }
        let shared = Shared::new(Source::Tflite(model), inputs, outputs, input_dts)?;
        Ok(Arc::new(TractGraph { shared: Arc::new(shared) }))
    }
}

/// The short form of a tract-tflite failure: an unsupported operator by its name (tract's text
/// dumps the whole operator and its input facts).
fn tflite_failure(text: &str) -> String {
    let Some(at) = text.find("Unsupported: OperatorCode") else { return text.to_string() };
    let rest = &text[at..];
    let field = |key: &str| {
        rest.find(key).map(|i| {
            let v = &rest[i + key.len()..];
            v[..v.find([',', '\n', '}']).unwrap_or(v.len())].trim().to_string()
        })
    };
    // The operator as tract-tflite picks it (registry.rs): the old `deprecated_builtin_code`
    // unless it is the 127 placeholder, then `builtin_code`. Models written before the field
    // existed (half of mediapipe's) leave `builtin_code` at its default, 0 = ADD, whatever the
    // operator: naming that one would blame ADD for every operator tract lacks.
    let builtin = match field("deprecated_builtin_code:").and_then(|c| c.parse::<i32>().ok()) {
        Some(code) if code != tfl::BuiltinOperator::PLACEHOLDER_FOR_GREATER_OP_CODES.0 => tfl::BuiltinOperator(code)
            .variant_name()
            .map_or_else(|| format!("number {code}"), str::to_string),
        // " builtin_code:", not "deprecated_builtin_code:".
        _ => field(" builtin_code:").unwrap_or_else(|| "?".into()),
    };
    match field(" custom_code:").filter(|c| c != "None") {
        Some(custom) => format!("tract-tflite does not implement the custom operator {custom}"),
        None => format!("tract-tflite does not implement the TFLite operator {builtin}"),
    }
}

/// A TFLite tensor type as a core tensor type (`None`: no wasi-nn equivalent, e.g. complex).
fn tensor_type_of_tflite(t: tfl::TensorType) -> Option<TensorType> {
    Some(match t {
        tfl::TensorType::FLOAT32 => TensorType::Fp32,
        tfl::TensorType::FLOAT16 => TensorType::Fp16,
        tfl::TensorType::FLOAT64 => TensorType::Fp64,
        tfl::TensorType::UINT8 => TensorType::U8,
        tfl::TensorType::INT8 => TensorType::I8,
        tfl::TensorType::INT16 => TensorType::I16,
        tfl::TensorType::UINT16 => TensorType::U16,
        tfl::TensorType::INT32 => TensorType::I32,
        tfl::TensorType::UINT32 => TensorType::U32,
        tfl::TensorType::INT64 => TensorType::I64,
        tfl::TensorType::UINT64 => TensorType::U64,
        tfl::TensorType::BOOL => TensorType::Bool,
        tfl::TensorType::STRING => TensorType::String,
        tfl::TensorType::INT4 => TensorType::I4,
        _ => return None,
    })
}

/// The declared inputs and outputs of a TFLite model's main subgraph, read from the (verified)
/// flatbuffer, and for each input the quantized tract type its data must be given.
fn tflite_io(bytes: &[u8]) -> Result<(Vec<IoInfo>, Vec<IoInfo>, Vec<Option<DatumType>>)> {
    let invalid = |m: String| Error::new(Status::InvalidEncoding, format!("not a valid TFLite model: {m}"));
    let root = tfl::root_as_model(bytes).map_err(|e| invalid(e.to_string()))?;
    let main = root.subgraphs().filter(|s| !s.is_empty()).ok_or_else(|| invalid("it has no subgraph".into()))?.get(0);
    let tensors = main.tensors().ok_or_else(|| invalid("its main subgraph has no tensors".into()))?;
    let describe = |ix: i32| -> Result<(IoInfo, Option<DatumType>)> {
        let t = usize::try_from(ix)
            .ok()
            .filter(|&i| i < tensors.len())
            .map(|i| tensors.get(i))
            .ok_or_else(|| invalid(format!("tensor index {ix} out of range")))?;
        let ty = tensor_type_of_tflite(t.type_());
        let dims = t.shape().map(|s| s.iter().map(|d| if d < 0 { Dim::Dynamic } else { Dim::Fixed(d as u64) }).collect());
        let q = t.quantization().and_then(|q| Some((q.scale()?, q.zero_point()?)));
        let quant = match q {
            Some((scale, zp)) if scale.len() == 1 && zp.len() == 1 => {
                Some(Quantization { scale: scale.get(0), zero_point: zp.get(0) })
            }
            _ => None,
        };
        let qdt = match (quant, ty) {
            (Some(q), Some(TensorType::U8 | TensorType::I8)) => {
                let base = if ty == Some(TensorType::U8) { DatumType::U8 } else { DatumType::I8 };
                let zero_point = i32::try_from(q.zero_point).map_err(|_| invalid(format!("zero point {}", q.zero_point)))?;
                Some(base.quantize(QParams::ZpScale { zero_point, scale: q.scale }))
            }
            _ => None,
        };
        Ok((IoInfo { name: t.name().unwrap_or_default().to_string(), ty, dims, quant, optional: false }, qdt))
    };
    let mut inputs = Vec::new();
    let mut input_dts = Vec::new();
    for ix in main.inputs().into_iter().flatten() {
        let (info, qdt) = describe(ix)?;
        inputs.push(info);
        input_dts.push(qdt);
    }
    let outputs = main.outputs().into_iter().flatten().map(|ix| Ok(describe(ix)?.0)).collect::<Result<Vec<_>>>()?;
    Ok((inputs, outputs, input_dts))
}

/// The status of a tract load or planning failure, from tract's error text: what tract itself
/// cannot do with a well-formed model (an operator or element type it lacks, an operator it can
/// only translate with constant inputs, control flow whose branches it cannot type) is
/// `UnsupportedOperation`; anything else (an inconsistent model,
/// such as a Concat of incompatible shapes) stays `RuntimeError`.
fn failure_status(text: &str) -> Status {
    const UNSUPPORTED: &[&str] = &[
        "can not be made a TypedOp",
        "Unsupported: OperatorCode",
        "ToTypedTranslator",
        "Unknown DatumType",
        "unknown ONNX TensorProto.DataType",
        "\" If: Infering facts",
        "\" Loop: Infering facts",
        "\" Scan: Infering facts",
    ];
    if UNSUPPORTED.iter().any(|p| text.contains(p)) {
        Status::UnsupportedOperation
    } else {
        Status::RuntimeError
    }
}

thread_local! {
    /// Set by [`panic_in_next_compute_on_this_thread`].
    static PANIC_IN_NEXT_COMPUTE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Test support, not a stable API: the next tract compute started on the calling thread panics
/// inside the backend's guard (where a tract bug would), so tests can check what a panic does to
/// the context (it is poisoned, see `core::graph`). One thread-local flag, cleared by that compute.
#[doc(hidden)]
pub fn panic_in_next_compute_on_this_thread() {
    PANIC_IN_NEXT_COMPUTE.with(|p| p.set(true));
}

/// Runs `f`, turning a tract panic into an error.
fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        Err(Error::new(Status::Panic, format!("tract panicked while {what}: {msg}")))
    })
}

// ---------------------------------------------------------------------------------------------
// Model checks before tract sees the tensors.

/// Walks every tensor of the model (initializers, sparse initializers, tensors in node attributes,
/// subgraphs, functions, training info) and refuses:
/// - external data when the model did not come from a host directory (`Status::Security`);
/// - string tensors stored as raw bytes (tract hits `unimplemented!` on them).
fn check_tensors(proto: &pb::ModelProto, external_allowed: bool) -> Result<()> {
    let check = |t: &pb::TensorProto| -> Result<()> {
        let external =
            t.data_location == Some(pb::tensor_proto::DataLocation::External as i32) || !t.external_data.is_empty();
        if external && !external_allowed {
            let location =
                t.external_data.iter().find(|e| e.key == "location").map(|e| e.value.as_str()).unwrap_or("?");
            return Err(Error::new(
                Status::Security,
                format!(
                    "tensor {:?} stores its data in an external file ({location:?}); external data \
                     is refused for models not loaded from a host directory",
                    t.name
                ),
            ));
        }
        if t.data_type == pb::tensor_proto::DataType::String as i32 && !t.raw_data.is_empty() {
            return Err(Error::new(
                Status::InvalidEncoding,
                format!("string tensor {:?} has raw_data, which ONNX does not allow", t.name),
            ));
        }
        Ok(())
    };
    fn sparse(s: &pb::SparseTensorProto, check: &dyn Fn(&pb::TensorProto) -> Result<()>) -> Result<()> {
        s.values.iter().chain(s.indices.iter()).try_for_each(check)
    }
    fn nodes(nodes: &[pb::NodeProto], check: &dyn Fn(&pb::TensorProto) -> Result<()>) -> Result<()> {
        for attr in nodes.iter().flat_map(|n| &n.attribute) {
            attr.t.iter().chain(&attr.tensors).try_for_each(check)?;
            attr.sparse_tensor.iter().chain(&attr.sparse_tensors).try_for_each(|s| sparse(s, check))?;
            attr.g.iter().chain(&attr.graphs).try_for_each(|g| graph(g, check))?;
        }
        Ok(())
    }
    fn graph(g: &pb::GraphProto, check: &dyn Fn(&pb::TensorProto) -> Result<()>) -> Result<()> {
        g.initializer.iter().try_for_each(check)?;
        g.sparse_initializer.iter().try_for_each(|s| sparse(s, check))?;
        nodes(&g.node, check)
    }
    proto.graph.iter().try_for_each(|g| graph(g, &check))?;
    proto.functions.iter().try_for_each(|f| nodes(&f.node, &check))?;
    for info in &proto.training_info {
        info.initialization.iter().chain(&info.algorithm).try_for_each(|g| graph(g, &check))?;
    }
    Ok(())
}

/// Refuses a graph (or subgraph) output that names no value of its graph: tract indexes its map
/// of values by each output name and panics on a missing one (found by fuzz/, target `load`).
/// Names a node only reads count as defined: tract's parse makes them sources, and `load` then
/// refuses them as tensors the graph never defines.
fn check_outputs(graph: &pb::GraphProto) -> Result<()> {
    let defined: std::collections::HashSet<&str> = graph
        .input
        .iter()
        .map(|v| v.name.as_str())
        .chain(graph.initializer.iter().map(|t| t.name.as_str()))
        .chain(graph.node.iter().flat_map(|n| n.output.iter().chain(&n.input)).map(String::as_str))
        .collect();
    if let Some(missing) = graph.output.iter().find(|o| !defined.contains(o.name.as_str())) {
        return Err(Error::new(
            Status::InvalidEncoding,
            format!("not a valid ONNX model: graph {:?} outputs {:?}, which it never defines", graph.name, missing.name),
        ));
    }
    let mut subgraphs = graph.node.iter().flat_map(|n| &n.attribute).flat_map(|a| a.g.iter().chain(&a.graphs));
    subgraphs.try_for_each(check_outputs)
}

/// Refuses models using operators tract does not implement (on the path to the outputs), naming
/// them, instead of failing later with a generic planning error.
fn check_implemented(model: &InferenceModel) -> Result<()> {
    let order = model.eval_order().map_err(|e| Error::runtime(format!("invalid ONNX graph: {e:#}")))?;
    let missing: Vec<String> = order
        .iter()
        .map(|&id| model.node(id))
        .filter(|n| n.op.as_op().downcast_ref::<UnimplementedOp>().is_some())
        .map(|n| format!("{} (node {:?})", n.op.as_op().name(), n.name))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::unsupported(format!("tract does not implement these ONNX operators: {}", missing.join(", "))))
    }
}

// ---------------------------------------------------------------------------------------------
// Type mapping.

fn tensor_type_of(dt: DatumType) -> Option<TensorType> {
    Some(match dt.unquantized() {
        DatumType::F16 => TensorType::Fp16,
        DatumType::F32 => TensorType::Fp32,
        DatumType::F64 => TensorType::Fp64,
        DatumType::U8 => TensorType::U8,
        DatumType::I8 => TensorType::I8,
        DatumType::U16 => TensorType::U16,
        DatumType::I16 => TensorType::I16,
        DatumType::U32 => TensorType::U32,
        DatumType::I32 => TensorType::I32,
        DatumType::U64 => TensorType::U64,
        DatumType::I64 => TensorType::I64,
        DatumType::Bool => TensorType::Bool,
        DatumType::String => TensorType::String,
        _ => return None,
    })
}

fn datum_type_of(ty: TensorType) -> Result<DatumType> {
    Ok(match ty {
        TensorType::Fp16 => DatumType::F16,
        TensorType::Fp32 => DatumType::F32,
        TensorType::Fp64 => DatumType::F64,
        TensorType::U8 => DatumType::U8,
        TensorType::I8 => DatumType::I8,
        TensorType::U16 => DatumType::U16,
        TensorType::I16 => DatumType::I16,
        TensorType::U32 => DatumType::U32,
        TensorType::I32 => DatumType::I32,
        TensorType::U64 => DatumType::U64,
        TensorType::I64 => DatumType::I64,
        TensorType::Bool => DatumType::Bool,
        TensorType::String => DatumType::String,
        TensorType::Bf16
        | TensorType::Fp8E4M3Fn
        | TensorType::Fp8E4M3Fnuz
        | TensorType::Fp8E5M2
        | TensorType::Fp8E5M2Fnuz
        | TensorType::Fp8E8M0
        | TensorType::Fp4E2M1
        | TensorType::U4
        | TensorType::I4
        | TensorType::U2
        | TensorType::I2 => return Err(Error::unsupported(format!("tract has no {ty} tensors"))),
    })
}

/// An ONNX `TensorProto.DataType` value as a core tensor type (`None`: undefined or no mapping).
fn tensor_type_of_onnx(elem_type: i32) -> Option<TensorType> {
    let dt = pb::tensor_proto::DataType::try_from(elem_type).ok()?;
    tensor_type_of(DatumType::try_from(dt).ok()?)
}

fn dim_of(d: &TDim) -> Dim {
    match d.to_i64() {
        Ok(v) if v >= 0 => Dim::Fixed(v as u64),
        _ => Dim::Dynamic,
    }
}

fn dims_of_shape_factoid(shape: &ShapeFactoid) -> Option<Vec<Dim>> {
    if shape.is_open() {
        return None;
    }
    Some(shape.dims().map(|d| d.concretize().as_ref().map_or(Dim::Dynamic, dim_of)).collect())
}

fn io_of_fact(name: String, fact: &InferenceFact) -> IoInfo {
    IoInfo {
        name,
        ty: fact.datum_type.concretize().and_then(tensor_type_of),
        dims: dims_of_shape_factoid(&fact.shape),
        quant: None,
        optional: false,
    }
}

fn io_of_value_info(v: &pb::ValueInfoProto) -> IoInfo {
    let tensor = v.r#type.as_ref().and_then(|t| t.value.as_ref()).map(|value| match value {
        pb::type_proto::Value::TensorType(t) => t,
    });
    IoInfo {
        name: v.name.clone(),
        ty: tensor.and_then(|t| tensor_type_of_onnx(t.elem_type)),
        dims: tensor.and_then(|t| t.shape.as_ref()).map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) if v >= 0 => Dim::Fixed(v as u64),
                    _ => Dim::Dynamic,
                })
                .collect()
        }),
        quant: None,
        optional: false,
    }
}

fn describe(ty: Option<TensorType>, dims: Option<&[Dim]>) -> String {
    let ty = ty.map_or("?".to_string(), |t| t.to_string());
    let Some(dims) = dims else { return ty };
    let dims: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(v) => v.to_string(),
            Dim::Dynamic => "?".into(),
        })
        .collect();
    format!("{ty} [{}]", dims.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Graph.

/// The concrete element type and shape of every input: what a runnable plan is specialised for.
type Signature = Vec<(TensorType, Vec<usize>)>;

/// Largest input (in elements) planned with its value as a constant when tract cannot plan the
/// model by shape alone: operands such as axes, shapes, pads, splits or scales, which ONNX lets a
/// model take as inputs and several tract operators only accept as constants.
const MAX_CONST_INPUT_ELEMENTS: usize = 64;

/// What a plan is specialised for: the signature, plus the values of the inputs planned as
/// constants (empty for a plan by shape, the usual case).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PlanKey {
    sig: Signature,
    /// (input index, the input's bytes) of each input planned as a constant.
    konst: Vec<(usize, Vec<u8>)>,
}

impl PlanKey {
    fn by_shape(sig: Signature) -> Self {
        PlanKey { sig, konst: Vec::new() }
    }
}

type Plan = Arc<TypedRunnableModel>;

/// The parsed model a graph plans from; never mutated (planning works on clones).
enum Source {
    /// ONNX: typed for each input signature at planning.
    Onnx(InferenceModel),
    /// TFLite: already typed, for the flatbuffer's fixed input types and shapes.
    Tflite(TypedModel),
}

/// What a graph and all its contexts share.
struct Shared {
    source: Source,
    inputs: Vec<IoInfo>,
    outputs: Vec<IoInfo>,
    /// Per input, the quantized type its data is given before running (TFLite u8/i8 inputs with
    /// a scale and zero point); empty or `None` for plain types.
    input_dts: Vec<Option<DatumType>>,
    /// Plans (or planning failures) by key.
    plans: Mutex<HashMap<PlanKey, Result<Plan>>>,
    /// The key planned at load, never evicted.
    eager: Option<PlanKey>,
}

/// The declared inputs (from tract's facts) and outputs (from the graph's value infos) of an
/// ONNX model.
fn onnx_io(model: &InferenceModel, proto: &pb::ModelProto) -> Result<(Vec<IoInfo>, Vec<IoInfo>)> {
    let map = |e: TractError| Error::runtime(format!("tract could not inspect the model: {e:#}"));
    let inputs = (0..model.inputs.len())
        .map(|ix| {
            let outlet = model.inputs[ix];
            Ok(io_of_fact(model.node(outlet.node).name.clone(), model.input_fact(ix).map_err(map)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let graph =
        proto.graph.as_ref().ok_or_else(|| Error::new(Status::InvalidEncoding, "the ONNX model contains no graph"))?;
    if graph.output.len() != model.outputs.len() {
        return Err(Error::runtime(format!(
            "tract sees {} outputs but the ONNX graph declares {}",
            model.outputs.len(),
            graph.output.len()
        )));
    }
    Ok((inputs, graph.output.iter().map(io_of_value_info).collect()))
}

impl Shared {
    fn new(
        source: Source,
        inputs: Vec<IoInfo>,
        mut outputs: Vec<IoInfo>,
        input_dts: Vec<Option<DatumType>>,
    ) -> Result<Shared> {
        let mut shared =
            Shared { source, inputs, outputs: vec![], input_dts, plans: Mutex::new(HashMap::new()), eager: None };

        // Plan eagerly when every input is concrete, so that errors show at load.
        let concrete: Option<Signature> = shared
            .inputs
            .iter()
            .map(|i| {
                let dims = i.dims.as_ref()?;
                let dims = dims
                    .iter()
                    .map(|d| match d {
                        Dim::Fixed(v) => usize::try_from(*v).ok(),
                        Dim::Dynamic => None,
                    })
                    .collect::<Option<Vec<usize>>>()?;
                Some((i.ty?, dims))
            })
            .collect();
        let mut planned = None;
        if let Some(sig) = concrete {
            let key = PlanKey::by_shape(sig);
            match shared.plan(&key, &[]) {
                Ok(plan) => {
                    planned = Some(plan.clone());
                    shared.plans.get_mut().insert(key.clone(), Ok(plan));
                    shared.eager = Some(key);
                }
                // tract may need some small inputs' values (axes given as an input...): those
                // are known at compute, which plans with them (see `TractContext::compute`).
                Err(e) if e.status == Status::UnsupportedOperation && shared.has_small_inputs() => {
                    crate::wasinn_log!(Debug, "tract: no plan by shape at load ({}); planning at compute", e.message);
                }
                Err(e) => return Err(e),
            }
        }

        // Fill in what the ONNX file leaves undeclared about the outputs from tract's analysis.
        if outputs.iter().any(|o| o.ty.is_none() || o.dims.is_none()) {
            let analysed: Vec<IoInfo> = match &planned {
                Some(plan) => (0..outputs.len())
                    .map(|ix| {
                        let fact = plan.model().output_fact(ix).ok();
                        IoInfo {
                            name: String::new(),
                            ty: fact.and_then(|f| tensor_type_of(f.datum_type)),
                            dims: fact.map(|f| f.shape.iter().map(dim_of).collect()),
                            quant: None,
                            optional: false,
                        }
                    })
                    .collect(),
                None => guard("analysing the model", || {
                    let Source::Onnx(model) = &shared.source else { return Ok(Vec::new()) };
                    let mut model = model.clone();
                    let _ = model.analyse(true);
                    Ok(model
                        .outputs
                        .iter()
                        .map(|&o| match model.outlet_fact(o) {
                            Ok(f) => io_of_fact(String::new(), f),
                            Err(_) => IoInfo { name: String::new(), ty: None, dims: None, quant: None, optional: false },
                        })
                        .collect())
                })
                .unwrap_or_default(),
            };
            for (out, found) in outputs.iter_mut().zip(analysed) {
                out.ty = out.ty.or(found.ty);
                if out.dims.is_none() {
                    out.dims = found.dims;
                }
            }
        }
        shared.outputs = outputs;
        Ok(shared)
    }

    /// Whether some input may be small enough to be planned as a constant (declared with at most
    /// `MAX_CONST_INPUT_ELEMENTS` elements, or with dynamic dimensions).
    fn has_small_inputs(&self) -> bool {
        matches!(self.source, Source::Onnx(_)) && self.inputs.iter().any(|i| {
            i.ty != Some(TensorType::String)
                && i.dims.as_ref().is_none_or(|dims| {
                    dims.iter()
                        .try_fold(1u64, |n, d| match d {
                            Dim::Fixed(v) => n.checked_mul(*v),
                            Dim::Dynamic => Some(1),
                        })
                        .is_some_and(|n| n <= MAX_CONST_INPUT_ELEMENTS as u64)
                })
        })
    }

    /// Builds an optimised plan for concrete input types and shapes; the inputs listed in
    /// `key.konst` are planned with their values (`konst` holds those input tensors).
    fn plan(&self, key: &PlanKey, konst: &[(usize, Arc<Tensor>)]) -> Result<Plan> {
        let sig = &key.sig;
        let what = || {
            sig.iter()
                .zip(&self.inputs)
                .map(|((ty, dims), info)| {
                    format!("{:?}: {ty} {dims:?} (declared {})", info.name, describe(info.ty, info.dims.as_deref()))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let dts = sig.iter().map(|(ty, _)| datum_type_of(*ty)).collect::<Result<Vec<_>>>()?;
        if let Source::Tflite(_) = self.source {
            let fixed = sig.iter().zip(&self.inputs).all(|((ty, dims), info)| {
                info.ty == Some(*ty)
                    && info.dims.as_ref().is_some_and(|d| {
                        d.len() == dims.len() && d.iter().zip(dims).all(|(d, &n)| *d == Dim::Fixed(n as u64))
                    })
            });
            if !fixed {
                return Err(Error::invalid(format!(
                    "a TFLite model runs only on the input types and shapes it declares; got {}",
                    what()
                )));
            }
        }
        guard("planning the model", || {
            let fail = |e: TractError| {
                let text = format!("{e:#}");
                Error::new(failure_status(&text), format!("tract could not prepare the model for inputs {}: {text}", what()))
            };
            let typed = match &self.source {
                Source::Onnx(model) => {
                    let typed = || -> TractResult<TypedModel> {
                        let mut model = model.clone();
                        for (ix, ((_, dims), dt)) in sig.iter().zip(&dts).enumerate() {
                            let fact = match konst.iter().find(|(k, _)| *k == ix) {
                                Some((_, value)) => InferenceFact::from((**value).clone()),
                                None => InferenceFact::dt_shape(*dt, dims.iter().copied()),
                            };
                            model.set_input_fact(ix, fact)?;
                        }
                        model.into_typed()
                    };
                    typed().map_err(fail)?
                }
                Source::Tflite(model) => model.clone(),
            };
            // tract's optimiser fails on some models its plain typed form runs (it runs them
            // natively that way: tract's own API plans typed models without optimising). Fall
            // back to the decluttered, then the plain typed model, rather than lose the model.
            let optimized = typed.clone().into_optimized().and_then(|m| m.into_runnable());
            let first = match optimized {
                Ok(plan) => return Ok(plan),
                Err(e) => e,
            };
            for (level, model) in [("decluttered", typed.clone().into_decluttered()), ("typed", Ok(typed))] {
                if let Ok(plan) = model.and_then(|m| m.into_runnable()) {
                    crate::wasinn_log!(
                        Warn,
                        "tract: optimising the model failed ({first:#}); running it {level}, unoptimised"
                    );
                    return Ok(plan);
                }
            }
            Err(fail(first))
        })
    }

    /// The plan for `key`, from the cache or built now (outside the cache lock).
    fn plan_for(&self, key: &PlanKey, konst: &[(usize, Arc<Tensor>)]) -> Result<Plan> {
        if let Some(found) = self.plans.lock().get(key) {
            return found.clone();
        }
        let made = self.plan(key, konst);
        let mut plans = self.plans.lock();
        if plans.len() >= MAX_CACHED_PLANS && !plans.contains_key(key) {
            let victim = plans.keys().find(|k| Some(*k) != self.eager.as_ref()).cloned();
            if let Some(victim) = victim {
                plans.remove(&victim);
            }
        }
        plans.entry(key.clone()).or_insert(made).clone()
    }

    /// The plan for the given inputs: by shape, or, when tract cannot plan the model by shape
    /// (an operator that needs an operand as a constant), with the values of the small inputs.
    fn plan_inputs(&self, inputs: &[(TensorType, Arc<Tensor>)]) -> Result<(PlanKey, Plan)> {
        let key = PlanKey::by_shape(inputs.iter().map(|(ty, t)| (*ty, t.shape().to_vec())).collect());
        let by_shape = match self.plan_for(&key, &[]) {
            Ok(plan) => return Ok((key, plan)),
            Err(e) => e,
        };
        let konst: Vec<(usize, Arc<Tensor>)> = inputs
            .iter()
            .enumerate()
            .filter(|(_, (ty, t))| *ty != TensorType::String && t.len() <= MAX_CONST_INPUT_ELEMENTS && t.is_plain_ram())
            .map(|(ix, (_, t))| (ix, Arc::clone(t)))
            .collect();
        if by_shape.status != Status::UnsupportedOperation || konst.is_empty() || matches!(self.source, Source::Tflite(_)) {
            return Err(by_shape);
        }
        let key = PlanKey { sig: key.sig, konst: konst.iter().map(|(ix, t)| (*ix, t.as_bytes().to_vec())).collect() };
        match self.plan_for(&key, &konst) {
            Ok(plan) => {
                crate::wasinn_log!(
                    Debug,
                    "tract: planned with the values of inputs {:?} ({})",
                    konst.iter().map(|(ix, _)| *ix).collect::<Vec<_>>(),
                    by_shape.message
                );
                Ok((key, plan))
            }
            // The plan by shape says best what tract could not do.
            Err(_) => Err(by_shape),
        }
    }
}

struct TractGraph {
    shared: Arc<Shared>,
}

impl BackendGraph for TractGraph {
    fn inputs(&self) -> &[IoInfo] {
        &self.shared.inputs
    }
    fn outputs(&self) -> &[IoInfo] {
        &self.shared.outputs
    }
    fn init_execution_context(&self) -> Result<Box<dyn BackendContext>> {
        let n_in = self.shared.inputs.len();
        Ok(Box::new(TractContext {
            shared: Arc::clone(&self.shared),
            inputs: (0..n_in).map(|_| None).collect(),
            outputs: Vec::new(),
            runner: None,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Execution context.

/// One output of the last compute.
enum Output {
    Ready(TensorType, TValue),
    /// A string output, encoded once at compute (tract's strings are not plain bytes).
    Strings(Vec<usize>, Vec<u8>),
    /// tract produced something the C API cannot represent; the message says what.
    Unsupported(String),
}

/// The plan the context ran last and its reusable run state.
struct Runner {
    key: PlanKey,
    state: TypedSimpleState,
}

impl Runner {
    /// Whether the plan fits these inputs (types, shapes, and the values it was planned with).
    fn fits(&self, inputs: &[(TensorType, Arc<Tensor>)]) -> bool {
        self.key.sig.len() == inputs.len()
            && self.key.sig.iter().zip(inputs).all(|((ty, dims), (ity, t))| ity == ty && t.shape() == dims.as_slice())
            && self.key.konst.iter().all(|(ix, bytes)| inputs[*ix].1.as_bytes() == bytes.as_slice())
    }
}

struct TractContext {
    shared: Arc<Shared>,
    inputs: Vec<Option<(TensorType, Arc<Tensor>)>>,
    outputs: Vec<Output>,
    runner: Option<Runner>,
}

impl BackendContext for TractContext {
    fn set_input(&mut self, index: usize, tensor: &TensorRef<'_>) -> Result<()> {
        let ty = tensor.ty();
        let dt = datum_type_of(ty)?;
        let data = tensor.data();
        if ty == TensorType::Bool {
            if let Some(pos) = data.iter().position(|&b| b > 1) {
                return Err(Error::invalid(format!(
                    "bool tensor element {pos} is {}; bool elements must be 0 or 1",
                    data[pos]
                )));
            }
        }
        let info =
            self.shared.inputs.get(index).ok_or_else(|| Error::invalid(format!("input index {index} out of range")))?;
        if let Some(declared) = &info.dims {
            let fits = declared.len() == tensor.dims().len()
                && declared.iter().zip(tensor.dims()).all(|(d, &n)| match d {
                    Dim::Fixed(v) => *v == n as u64,
                    Dim::Dynamic => true,
                });
            if !fits {
                return Err(Error::invalid(format!(
                    "input {index} ({:?}) is declared {} but got shape {:?}",
                    info.name,
                    describe(info.ty, Some(declared)),
                    tensor.dims()
                )));
            }
        }
        let slot =
            self.inputs.get_mut(index).ok_or_else(|| Error::invalid(format!("input index {index} out of range")))?;
        if ty == TensorType::String {
            *slot = Some((ty, Arc::new(string_tensor(tensor)?)));
            crate::core::stats::record_tensor_alloc(tensor.data().len());
            return Ok(());
        }
        // Same type and shape as the stored tensor, and no output of the last compute aliases it:
        // overwrite its buffer in place.
        if let Some((stored_ty, stored)) = slot {
            if *stored_ty == ty && stored.shape() == tensor.dims() {
                if let Some(t) = Arc::get_mut(stored) {
                    if t.is_plain_ram() {
                        if let Some(buf) = t.as_bytes_mut().get_mut(..data.len()) {
                            buf.copy_from_slice(data);
                            return Ok(());
                        }
                    }
                }
            }
        }
        // SAFETY: `dt` is a numeric or bool type (strings returned above), `data` holds exactly
        // product(dims) elements of it (TensorRef invariant, and from_raw_dt checks the length
        // again); every bit pattern is valid for the numeric types, and bool bytes were checked to
        // be 0 or 1 above.
        let mut t = unsafe { Tensor::from_raw_dt(dt, tensor.dims(), data) }
            .map_err(|e| Error::runtime(format!("could not create the input tensor: {e:#}")))?;
        if let Some(qdt) = self.shared.input_dts.get(index).copied().flatten().filter(|q| q.unquantized() == dt) {
            // SAFETY: a quantized type has the same element size and bit patterns as its
            // integer type (`dt`); only the meaning (scale, zero point) is attached.
            unsafe { t.set_datum_type(qdt) };
        }
        crate::core::stats::record_tensor_alloc(data.len());
        *slot = Some((ty, Arc::new(t)));
        Ok(())
    }

    fn compute(&mut self) -> Result<()> {
        self.outputs.clear();
        let inputs = self
            .inputs
            .iter()
            .enumerate()
            .map(|(ix, input)| input.clone().ok_or_else(|| Error::invalid(format!("input {ix} was not set"))))
            // TVec: inline up to 4 inputs, no heap allocation per compute.
            .collect::<Result<TVec<(TensorType, Arc<Tensor>)>>>()?;
        let values: TVec<TValue> = inputs.iter().map(|(_, t)| TValue::from_const(Arc::clone(t))).collect();
        if !self.runner.as_ref().is_some_and(|r| r.fits(&inputs)) {
            self.runner = None;
            let (key, plan) = self.shared.plan_inputs(&inputs)?;
            let state = plan.spawn().map_err(|e| Error::runtime(format!("tract could not start a run: {e:#}")))?;
            self.runner = Some(Runner { key, state });
        }
        let runner = self.runner.as_mut().expect("set above");
        let result = guard("running the model", || {
            if PANIC_IN_NEXT_COMPUTE.with(|p| p.replace(false)) {
                panic!("test hook: panic_in_next_compute_on_this_thread");
            }
            runner.state.run(values).map_err(|e| Error::runtime(format!("tract failed to run the model: {e:#}")))
        });
        let result = result.map_err(|mut e| {
            // Inputs of another type than declared are honoured when tract can plan them, but
            // some ops only fail when run: say so.
            let retyped: Vec<String> = runner
                .key
                .sig
                .iter()
                .zip(&self.shared.inputs)
                .filter(|((ty, _), info)| info.ty.is_some_and(|declared| declared != *ty))
                .map(|((ty, _), info)| {
                    format!("{:?} was given as {ty} but is declared {}", info.name, describe(info.ty, None))
                })
                .collect();
            if !retyped.is_empty() {
                e.message = format!("{} (input {})", e.message, retyped.join(", "));
            }
            e
        });
        let results = match result {
            Ok(r) => r,
            Err(e) => {
                // A failed or panicked run may leave the state half-updated: start afresh next time.
                self.runner = None;
                return Err(e);
            }
        };
        self.outputs = results.into_iter().map(convert_output).collect();
        Ok(())
    }

    fn output(&self, index: usize) -> Result<OutputRef<'_>> {
        match self.outputs.get(index) {
            None => Err(Error::invalid(format!(
                "output {index} is not available (no successful compute, or the model has only {} outputs)",
                self.outputs.len()
            ))),
            Some(Output::Unsupported(msg)) => Err(Error::unsupported(msg.clone())),
            Some(Output::Strings(dims, data)) => Ok(OutputRef { ty: TensorType::String, dims, data }),
            Some(Output::Ready(ty, t)) => {
                let len = byte_len(*ty, t.shape())?.unwrap_or(usize::MAX);
                let data = t.as_bytes().get(..len).ok_or_else(|| {
                    Error::runtime(format!("output {index} holds fewer bytes than its shape {:?} needs", t.shape()))
                })?;
                Ok(OutputRef { ty: *ty, dims: t.shape(), data })
            }
        }
    }
}

/// A tract string tensor from string tensor data (tract's strings are UTF-8 `String`s).
fn string_tensor(tensor: &TensorRef<'_>) -> Result<Tensor> {
    let items = tensor
        .strings()
        .enumerate()
        .map(|(i, s)| {
            std::str::from_utf8(s)
                .map(str::to_owned)
                .map_err(|e| Error::invalid(format!("string element {i} is not UTF-8 ({e}); tract holds UTF-8 strings only")))
        })
        .collect::<Result<Vec<String>>>()?;
    tract_ndarray::ArrayD::from_shape_vec(tensor.dims(), items)
        .map(|a| a.into_tensor())
        .map_err(|e| Error::runtime(format!("could not create the input string tensor: {e}")))
}

/// Makes a tract output readable as plain bytes of a core tensor type.
fn convert_output(value: TValue) -> Output {
    let dt = value.datum_type();
    // Shape computations may surface as symbolic dims; report them as the i64 ONNX declares.
    let value = if dt == DatumType::TDim {
        match value.cast_to_dt(DatumType::I64) {
            Ok(t) => t.into_owned().into_tvalue(),
            Err(e) => return Output::Unsupported(format!("output of symbolic dims could not be made i64: {e:#}")),
        }
    } else {
        value
    };
    let dt = value.datum_type();
    if dt == DatumType::String {
        let encoded = value
            .to_plain_array_view::<String>()
            .map_err(|e| format!("{e:#}"))
            .and_then(|items| encode_strings(items.iter().map(|s| s.as_bytes())).map_err(|e| e.message));
        return match encoded {
            Ok(data) => Output::Strings(value.shape().to_vec(), data),
            Err(e) => Output::Unsupported(format!("tract string output could not be encoded: {e}")),
        };
    }
    let Some(ty) = tensor_type_of(dt) else {
        return Output::Unsupported(format!(
            "tract produced an output of type {dt:?}, which has no wasi-nn tensor type"
        ));
    };
    if !value.is_plain_ram() {
        match (*value).clone().into_plain_ram() {
            Ok(t) => return Output::Ready(ty, t.into_tvalue()),
            Err(e) => return Output::Unsupported(format!("tract output is not in plain memory: {e:#}")),
        }
    }
    Output::Ready(ty, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tensor::TensorRef;

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// `y = x + x` with x: f32 [2].
    fn add_model() -> Vec<u8> {
        use tract_onnx::pb::*;
        let vi = |name: &str| ValueInfoProto {
            name: name.into(),
            r#type: Some(TypeProto {
                value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                    elem_type: tensor_proto::DataType::Float as i32,
                    shape: Some(TensorShapeProto {
                        dim: vec![tensor_shape_proto::Dimension {
                            value: Some(tensor_shape_proto::dimension::Value::DimValue(2)),
                            ..Default::default()
                        }],
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let model = ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
            graph: Some(GraphProto {
                node: vec![NodeProto {
                    input: vec!["x".into(), "x".into()],
                    output: vec!["y".into()],
                    op_type: "Add".into(),
                    ..Default::default()
                }],
                input: vec![vi("x")],
                output: vec![vi("y")],
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut buf = Vec::new();
        prost::Message::encode(&model, &mut buf).unwrap();
        buf
    }

    #[test]
    fn input_buffer_is_reused_in_place() {
        let bytes = add_model();
        let graph = TractBackend::new()
            .load(&LoadRequest { builders: &[&bytes], encoding: Encoding::Onnx, target: Target::Cpu, model_dir: None })
            .unwrap();
        let mut ctx = graph.init_execution_context().unwrap();
        let a = f32_bytes(&[1.0, 2.0]);
        ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2], &a).unwrap()).unwrap();
        ctx.compute().unwrap();
        assert_eq!(ctx.output(0).unwrap().data, f32_bytes(&[2.0, 4.0]));
        let ctx_ref = &mut *ctx as *mut dyn BackendContext as *mut TractContext;
        // SAFETY: the box holds a TractContext (made just above by this backend).
        let first = unsafe { &*ctx_ref }.inputs[0].as_ref().unwrap().1.as_bytes().as_ptr();
        let b = f32_bytes(&[3.0, 5.0]);
        ctx.set_input(0, &TensorRef::new(TensorType::Fp32, vec![2], &b).unwrap()).unwrap();
        let second = unsafe { &*ctx_ref }.inputs[0].as_ref().unwrap().1.as_bytes().as_ptr();
        assert_eq!(first, second, "same type and shape: the input buffer is overwritten in place");
        ctx.compute().unwrap();
        assert_eq!(ctx.output(0).unwrap().data, f32_bytes(&[6.0, 10.0]));
    }
}
