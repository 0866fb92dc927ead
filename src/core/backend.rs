//! The backend traits: one small trait per concept (backend, graph, execution context), so the
//! built-in tract backend and plugin backends plug in behind the same core.
//!
//! Contract for implementors:
//! - `load` copies whatever it needs from the builders before returning (no borrowed guest memory
//!   is kept) and, when `model_dir` is `None`, refuses models that reference host files (ONNX
//!   external data) with `Status::Security`.
//! - indices passed to contexts are already range-checked by the core, and input tensors are
//!   already size-validated ([`TensorRef`] invariant).
//! - `set_input` copies the data once into backend-owned storage; `output` borrows the backend's
//!   output storage so the caller copies it exactly once into its own buffer.
//! - optional capabilities (derived graphs, streaming) have default methods saying "not
//!   supported"; the core checks [`BackendGraph::supports_derive`] / [`BackendContext::streams`]
//!   first and reports `UnsupportedOperation` naming the backend.

use std::path::Path;
use std::sync::Arc;

use crate::core::error::{Error, Result};
use crate::core::tensor::{OutputRef, TensorRef};
use crate::core::types::{Encoding, Target, TensorType};

/// One dimension of a declared input/output shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(u64),
    /// Known only at run time (symbolic or unspecified).
    Dynamic,
}

/// Per-tensor affine quantization of an integer tensor: `real = scale * (q - zero_point)`
/// (TFLite's scheme; ONNX's QuantizeLinear is the same).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantization {
    /// The scale.
    pub scale: f32,
    /// The zero point, in the tensor's integer type.
    pub zero_point: i64,
}

/// What a model declares about one input or output.
#[derive(Clone, Debug, PartialEq)]
pub struct IoInfo {
    /// The tensor's name in the model.
    pub name: String,
    /// Element type, `None` when unknown or not representable (e.g. complex numbers).
    pub ty: Option<TensorType>,
    /// Declared shape, `None` when even the rank is unknown.
    pub dims: Option<Vec<Dim>>,
    /// Per-tensor quantization the model declares (`None`: not quantized, quantized per axis, or
    /// the backend does not report it).
    pub quant: Option<Quantization>,
    /// An input that may stay unset before a compute (e.g. a generator's metadata input); always
    /// false for outputs and for backends that do not say.
    pub optional: bool,
}

/// A request to load a model.
#[derive(Clone, Copy, Debug)]
pub struct LoadRequest<'a> {
    /// The model's parts (e.g. ONNX: one buffer; OpenVINO IR: XML then weights).
    pub builders: &'a [&'a [u8]],
    /// The encoding (never `Autodetect`: the core resolves it first).
    pub encoding: Encoding,
    /// The execution target.
    pub target: Target,
    /// Directory the host loaded the model from; `None` for bytes from a guest or caller, in which
    /// case any reference to host files in the model must be refused.
    pub model_dir: Option<&'a Path>,
}

/// A backend: something that turns model bytes into graphs.
pub trait Backend: Send + Sync {
    /// Short name, e.g. `tract`.
    fn name(&self) -> &str;
    /// Version string of the backend (library/crate version).
    fn version(&self) -> &str;
    /// Encodings it can load.
    fn encodings(&self) -> &[Encoding];
    /// Targets it can run on.
    fn targets(&self) -> &[Target];
    /// Loads a model.
    fn load(&self, request: &LoadRequest<'_>) -> Result<Arc<dyn BackendGraph>>;
}

/// A loaded model. Shared between threads; must allow concurrent context creation.
pub trait BackendGraph: Send + Sync {
    /// Declared inputs.
    fn inputs(&self) -> &[IoInfo];
    /// Declared outputs.
    fn outputs(&self) -> &[IoInfo];
    /// Creates an independent execution context.
    fn init_execution_context(&self) -> Result<Box<dyn BackendContext>>;
    /// Whether [`derive`](Self::derive) is implemented.
    fn supports_derive(&self) -> bool {
        false
    }
    /// A new graph sharing this graph's loaded model (no reload) with the JSON `config` applied
    /// (borrowed for the call). Bad JSON or values are `InvalidArgument`.
    fn derive(&self, config: &[u8]) -> Result<Arc<dyn BackendGraph>> {
        let _ = config;
        Err(Error::unsupported("this backend takes no graph configuration"))
    }
}

/// One inference session. Used by one thread at a time (the core wraps it in a mutex).
pub trait BackendContext: Send {
    /// Copies `tensor` into the backend's input `index` (already range-checked).
    fn set_input(&mut self, index: usize, tensor: &TensorRef<'_>) -> Result<()>;
    /// Runs the model on the inputs set so far (the core guarantees every input was set).
    fn compute(&mut self) -> Result<()>;
    /// Borrows output `index` of the last successful compute (already range-checked).
    fn output(&self, index: usize) -> Result<OutputRef<'_>>;
    /// Whether the context streams ([`compute_single`](Self::compute_single) and the rest).
    fn streams(&self) -> bool {
        false
    }
    /// One streaming step: the first call after `set_input` (or `fini_single`) starts a stream
    /// and produces the first piece, each further call the next; `EndOfSequence` once generation
    /// has ended, `ContextFull` / `PromptTooLong` where they apply.
    fn compute_single(&mut self) -> Result<()> {
        Err(Error::unsupported("this backend does not stream"))
    }
    /// Borrows output `index` of the last successful `compute_single` step.
    fn output_single(&self, index: usize) -> Result<OutputRef<'_>> {
        let _ = index;
        Err(Error::unsupported("this backend does not stream"))
    }
    /// Ends the stream and resets the context for the next prompt (no stream open: `Ok`).
    fn fini_single(&mut self) -> Result<()> {
        Err(Error::unsupported("this backend does not stream"))
    }
}
