//! Shared test support: build small ONNX models in Rust (no model files in the repository), turn
//! typed slices into the little-endian bytes tensors carry, and write models to temporary files.
//!
//! Use from an integration test with `mod common;` (each test binary compiles its own copy, so
//! unused helpers are expected).
//!
//! ```ignore
//! mod common;
//! use common::*;
//! let bytes = ModelBuilder::new()
//!     .input("a", Elem::Float, &[dim(2)])
//!     .input("b", Elem::Float, &[dim(2)])
//!     .node("Add", &["a", "b"], &["sum"])
//!     .output("sum", Elem::Float, &[dim(2)])
//!     .into_bytes();
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use prost::Message;
pub use tract_onnx::pb;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// ONNX element types (`TensorProto.DataType`).
pub use tract_onnx::pb::tensor_proto::DataType as Elem;

/// Default opset of built models.
pub const DEFAULT_OPSET: i64 = 13;

/// One dimension of a declared ONNX shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnnxDim {
    /// A fixed size (`dim_value`).
    Fixed(i64),
    /// A named symbolic size (`dim_param`, e.g. `"N"`).
    Param(String),
    /// A dimension with neither value nor name.
    Unknown,
}

/// A fixed dimension.
pub fn dim(v: i64) -> OnnxDim {
    OnnxDim::Fixed(v)
}

/// A symbolic dimension.
pub fn sym(name: &str) -> OnnxDim {
    OnnxDim::Param(name.to_string())
}

/// A `ValueInfoProto` for a tensor; `dims: None` declares no shape at all (unknown rank).
pub fn value_info(name: &str, elem: Elem, dims: Option<&[OnnxDim]>) -> ValueInfoProto {
    let shape = dims.map(|dims| TensorShapeProto {
        dim: dims
            .iter()
            .map(|d| pb::tensor_shape_proto::Dimension {
                value: match d {
                    OnnxDim::Fixed(v) => Some(DimValue::DimValue(*v)),
                    OnnxDim::Param(p) => Some(DimValue::DimParam(p.clone())),
                    OnnxDim::Unknown => None,
                },
                ..Default::default()
            })
            .collect(),
    });
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor { elem_type: elem as i32, shape })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Builds an ONNX `ModelProto` one graph element at a time.
#[derive(Clone, Debug)]
pub struct ModelBuilder {
    model: ModelProto,
}

impl Default for ModelBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelBuilder {
    /// An empty model: IR version 8, default-domain opset [`DEFAULT_OPSET`], graph `"test"`.
    pub fn new() -> Self {
        ModelBuilder {
            model: ModelProto {
                ir_version: 8,
                producer_name: "libwasinn-tests".into(),
                opset_import: vec![OperatorSetIdProto { domain: String::new(), version: DEFAULT_OPSET }],
                graph: Some(GraphProto { name: "test".into(), ..Default::default() }),
                ..Default::default()
            },
        }
    }

    fn graph(&mut self) -> &mut GraphProto {
        self.model.graph.get_or_insert_with(Default::default)
    }

    /// Sets the default-domain opset version.
    pub fn opset(mut self, version: i64) -> Self {
        self.model.opset_import = vec![OperatorSetIdProto { domain: String::new(), version }];
        self
    }

    /// Declares a graph input with a shape.
    pub fn input(mut self, name: &str, elem: Elem, dims: &[OnnxDim]) -> Self {
        self.graph().input.push(value_info(name, elem, Some(dims)));
        self
    }

    /// Declares a graph input whose rank is unknown (no shape in the type).
    pub fn input_unranked(mut self, name: &str, elem: Elem) -> Self {
        self.graph().input.push(value_info(name, elem, None));
        self
    }

    /// Declares a graph output with a shape.
    pub fn output(mut self, name: &str, elem: Elem, dims: &[OnnxDim]) -> Self {
        self.graph().output.push(value_info(name, elem, Some(dims)));
        self
    }

    /// Declares a graph output with no type information at all (as some exporters write them).
    pub fn output_untyped(mut self, name: &str) -> Self {
        self.graph().output.push(ValueInfoProto { name: name.to_string(), ..Default::default() });
        self
    }

    /// Adds a node without attributes.
    pub fn node(self, op_type: &str, inputs: &[&str], outputs: &[&str]) -> Self {
        self.node_with(op_type, inputs, outputs, vec![])
    }

    /// Adds a node with attributes (see [`attr_int`], [`attr_tensor`], ...).
    pub fn node_with(mut self, op_type: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> Self {
        let name = format!("{op_type}_{}", self.graph().node.len());
        self.graph().node.push(NodeProto {
            name,
            op_type: op_type.to_string(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            attribute: attrs,
            ..Default::default()
        });
        self
    }

    /// Adds an initializer (a constant tensor; its name is the tensor's `name`).
    pub fn initializer(mut self, tensor: TensorProto) -> Self {
        self.graph().initializer.push(tensor);
        self
    }

    /// The protobuf message, for tests that want to tweak it further.
    pub fn build(self) -> ModelProto {
        self.model
    }

    /// The serialized model.
    pub fn into_bytes(self) -> Vec<u8> {
        self.model.encode_to_vec()
    }
}

/// Serializes a model.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

// ---------------------------------------------------------------------------------------------
// Tensors and attributes.

/// A tensor with its data in `raw_data` (little-endian bytes).
pub fn raw_tensor(name: &str, elem: Elem, dims: &[i64], raw: Vec<u8>) -> TensorProto {
    TensorProto {
        name: name.to_string(),
        data_type: elem as i32,
        dims: dims.to_vec(),
        raw_data: raw,
        ..Default::default()
    }
}

/// An f32 tensor stored in `raw_data`.
pub fn f32_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    raw_tensor(name, Elem::Float, dims, f32_bytes(values))
}

/// An i64 tensor stored in `raw_data`.
pub fn i64_tensor(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    raw_tensor(name, Elem::Int64, dims, i64_bytes(values))
}

/// A tensor whose data lives in an external file (`data_location = EXTERNAL`), as ONNX writes
/// large weights: `location` relative to the model's directory, optional offset and length.
pub fn external_tensor(
    name: &str,
    elem: Elem,
    dims: &[i64],
    location: &str,
    offset: Option<u64>,
    length: Option<u64>,
) -> TensorProto {
    let mut entries = vec![StringStringEntryProto { key: "location".into(), value: location.into() }];
    if let Some(o) = offset {
        entries.push(StringStringEntryProto { key: "offset".into(), value: o.to_string() });
    }
    if let Some(l) = length {
        entries.push(StringStringEntryProto { key: "length".into(), value: l.to_string() });
    }
    TensorProto {
        name: name.to_string(),
        data_type: elem as i32,
        dims: dims.to_vec(),
        data_location: Some(pb::tensor_proto::DataLocation::External as i32),
        external_data: entries,
        ..Default::default()
    }
}

/// An `int` attribute.
pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

/// A `float` attribute.
pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f: v,
        ..Default::default()
    }
}

/// An `ints` attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

/// A `tensor` attribute (e.g. `Constant`'s `value`).
pub fn attr_tensor(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Tensor as i32,
        t: Some(t),
        ..Default::default()
    }
}

/// A `graph` attribute (e.g. `If`'s branches).
pub fn attr_graph(name: &str, g: GraphProto) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Graph as i32,
        g: Some(g),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Ready-made models.

/// `sum = a + b`, two f32 inputs of shape `dims`.
pub fn add_f32_model(dims: &[i64]) -> Vec<u8> {
    let d: Vec<OnnxDim> = dims.iter().map(|&v| dim(v)).collect();
    ModelBuilder::new()
        .input("a", Elem::Float, &d)
        .input("b", Elem::Float, &d)
        .node("Add", &["a", "b"], &["sum"])
        .output("sum", Elem::Float, &d)
        .into_bytes()
}

/// `y = Identity(x)` for element type `elem` and shape `dims`.
pub fn identity_model(elem: Elem, dims: &[OnnxDim]) -> Vec<u8> {
    ModelBuilder::new().input("x", elem, dims).node("Identity", &["x"], &["y"]).output("y", elem, dims).into_bytes()
}

/// `y = x * 2` with x: f32 `[N, 3]` (symbolic batch dimension `N`).
pub fn batch_double_model() -> Vec<u8> {
    ModelBuilder::new()
        .input("x", Elem::Float, &[sym("N"), dim(3)])
        .initializer(f32_tensor("two", &[], &[2.0]))
        .node("Mul", &["x", "two"], &["y"])
        .output("y", Elem::Float, &[sym("N"), dim(3)])
        .into_bytes()
}

/// Two inputs, two outputs, with names: `sum = a + b` (f32 [2]) and `neg = -c` (i64 [3]).
pub fn two_in_two_out_model() -> Vec<u8> {
    ModelBuilder::new()
        .input("a", Elem::Float, &[dim(2)])
        .input("c", Elem::Int64, &[dim(3)])
        .initializer(f32_tensor("bias", &[2], &[10.0, 20.0]))
        .node("Add", &["a", "bias"], &["sum"])
        .node("Neg", &["c"], &["neg"])
        .output("sum", Elem::Float, &[dim(2)])
        .output("neg", Elem::Int64, &[dim(3)])
        .into_bytes()
}

/// `y = x + w` where `w` (f32 `[2]`) is an initializer stored in the external file `location`.
pub fn external_weights_model(location: &str) -> Vec<u8> {
    ModelBuilder::new()
        .input("x", Elem::Float, &[dim(2)])
        .initializer(external_tensor("w", Elem::Float, &[2], location, None, None))
        .node("Add", &["x", "w"], &["y"])
        .output("y", Elem::Float, &[dim(2)])
        .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Bytes.

macro_rules! le_bytes {
    ($($to:ident, $from:ident: $t:ty;)*) => {$(
        /// Little-endian bytes of the values.
        pub fn $to(v: &[$t]) -> Vec<u8> {
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        /// Values from little-endian bytes (panics if the length is not a multiple).
        #[allow(clippy::modulo_one)]
        pub fn $from(b: &[u8]) -> Vec<$t> {
            const N: usize = std::mem::size_of::<$t>();
            assert_eq!(b.len() % N, 0, "{} bytes is not a whole number of {}", b.len(), stringify!($t));
            b.chunks_exact(N).map(|c| <$t>::from_le_bytes(c.try_into().unwrap())).collect()
        }
    )*};
}

le_bytes! {
    f32_bytes, f32_from: f32;
    f64_bytes, f64_from: f64;
    i8_bytes, i8_from: i8;
    i16_bytes, i16_from: i16;
    i32_bytes, i32_from: i32;
    i64_bytes, i64_from: i64;
    u16_bytes, u16_from: u16;
    u32_bytes, u32_from: u32;
    u64_bytes, u64_from: u64;
}

/// Little-endian bytes of f16 values given as f32.
pub fn f16_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect()
}

/// f16 values (as f32) from little-endian bytes.
pub fn f16_from(b: &[u8]) -> Vec<f32> {
    u16_from(b).into_iter().map(|bits| half::f16::from_bits(bits).to_f32()).collect()
}

// ---------------------------------------------------------------------------------------------
// Temporary files.

/// A fresh temporary directory, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a unique directory under the system temp dir; `tag` shows up in its name.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "wasinn-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `name` inside the directory and returns the file's path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path.join(name);
        std::fs::write(&p, bytes).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A model written to a temporary file; the file and its directory go away on drop.
#[derive(Debug)]
pub struct TempModel {
    /// The directory holding the model (and any side files written with [`TempModel::write_side_file`]).
    pub dir: TempDir,
    /// The model file.
    pub path: PathBuf,
}

impl TempModel {
    /// The model's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    /// Writes another file next to the model (e.g. external weights).
    pub fn write_side_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        self.dir.write(name, bytes)
    }
}

/// Writes `bytes` as `file_name` in a fresh temporary directory.
pub fn write_temp_model(file_name: &str, bytes: &[u8]) -> TempModel {
    let dir = TempDir::new("model");
    let path = dir.write(file_name, bytes);
    TempModel { dir, path }
}

/// The repository's Python venv (`$WASINN_VENV`, default `.venv`; scripts/common.sh creates it).
pub fn venv() -> PathBuf {
    std::env::var_os("WASINN_VENV").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"))
}

/// Registers this workspace's onnxruntime and openvino plugins (`target/<profile>/`, built if
/// missing) through the C API, their vendor libraries found in the venv's wheels
/// (`WASINN_PYTHON_SITE_PACKAGES`, set to the venv unless already set). Fails unless both are
/// accepted.
pub fn add_vendor_plugins() {
    let venv = venv();
    if std::env::var_os("WASINN_PYTHON_SITE_PACKAGES").is_none() && venv.is_dir() {
        // SAFETY (edition 2021: safe fn): set before any plugin reads it.
        std::env::set_var("WASINN_PYTHON_SITE_PACKAGES", &venv);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    for (package, lib) in [("wasinn-backend-onnxruntime", "wasinn_backend_onnxruntime"), ("wasinn-backend-openvino", "wasinn_backend_openvino")] {
        let path = profile_dir.join(format!("lib{lib}.so"));
        if !path.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo).args(["build", "-p", package]).status().expect("cargo");
            assert!(status.success(), "cargo build -p {package} failed");
        }
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        let status = unsafe { wasinn::capi::wasinn_plugin_add_path(c.as_ptr()) };
        assert_eq!(status, wasinn::capi::WASINN_STATUS_SUCCESS, "{}", path.display());
    }
}
