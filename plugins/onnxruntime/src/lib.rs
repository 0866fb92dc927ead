//! libwasinn backend plugin for ONNX Runtime (`libwasinn_backend_onnxruntime.so`).
//!
//! ONNX Runtime itself is opened at run time (ort's `load-dynamic`), from the first of:
//! 1. `WASINN_ORT_LIB`: an explicit path to `libonnxruntime.so*`;
//! 2. `ORT_DYLIB_PATH`: ort's own convention;
//! 3. an installed `onnxruntime` Python wheel (`onnxruntime/capi/libonnxruntime.so.*`) in the
//!    site-packages of `$WASINN_PYTHON_SITE_PACKAGES` (colon-separated venvs or site-packages
//!    directories) or `$VIRTUAL_ENV`. No Python is run.
//! When none is found, or the library is older than 1.17, the entry point fails and libwasinn
//! lists the plugin as rejected with that reason.
//!
//! Design:
//! - one ORT environment per process (ORT allows only one), made by the entry point;
//! - a graph owns one session, shared by its contexts with no lock: ONNX Runtime's `Run` may be
//!   called concurrently on one session (see `OrtCtx::compute` for why this is sound although
//!   ort's `Session::run` takes `&mut self`), so contexts of one graph compute in parallel on one
//!   copy of the weights; each context owns its input tensors (allocated by ORT once per shape
//!   and overwritten in place: one copy of the caller's bytes) and the outputs of its last run,
//!   which `output` exposes without copying; outputs whose declared shape is fully fixed are
//!   handed back to the next `Run` as pre-allocated outputs, so a steady-state compute allocates
//!   no output tensor and re-queries no type or shape;
//! - `gpu` registers the CUDA execution provider with `error_on_failure`, and is refused with
//!   `UNSUPPORTED_OPERATION` when the library has no CUDA: never a silent CPU fallback;
//! - `WASINN_ORT_INTRA_OP_THREADS=N` sets each session's intra-op thread count (default: ORT's,
//!   one per core of the machine, whatever the process's CPU affinity);
//! - models from guest bytes (`model_dir` NULL) that reference external data files are refused
//!   with `SECURITY` before ORT sees them.

use std::ffi::{c_char, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;

use ort::ep::{ExecutionProvider, CUDA};
use ort::session::Session;
use ort::value::{DynTensor, DynTensorValueType, DynValue, TensorElementType, ValueType};
use ort::AsPointer;
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

/// The oldest ONNX Runtime the plugin accepts (ort without an `api-N` feature needs API 17).
const MIN_ORT_MINOR: u32 = 17;

struct OrtPlugin {
    env: ort::environment::Environment,
    version: String,
}

export_plugin!(OrtPlugin);

/// Where to look for the library, in order, with the rule that produced each candidate.
fn candidates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for var in ["WASINN_ORT_LIB", "ORT_DYLIB_PATH"] {
        if let Some(p) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            out.push((format!("${var}"), PathBuf::from(p)));
        }
    }
    for sp in find::site_packages() {
        if let Some(lib) = find::versioned_lib(&sp.join("onnxruntime/capi"), "libonnxruntime.so.") {
            out.push((format!("the onnxruntime wheel in {}", sp.display()), lib));
        }
    }
    out
}

/// The library's version string, read before ort accepts it so a too-old library gets a clear
/// reason instead of ort's own.
fn library_version(path: &Path) -> Result<String, String> {
    use std::ffi::{c_char, CStr, CString};
    use std::os::unix::ffi::OsStrExt;
    #[repr(C)]
    struct ApiBase {
        get_api: *const std::ffi::c_void,
        get_version_string: unsafe extern "C" fn() -> *const c_char,
    }
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| "path contains a NUL byte".to_string())?;
    // SAFETY: the handle is never closed (ort opens the same file again and gets this mapping);
    // OrtGetApiBase and GetVersionString are ONNX Runtime's stable entry points.
    unsafe {
        let handle = libc::dlopen(c.as_ptr(), libc::RTLD_NOW);
        if handle.is_null() {
            let e = libc::dlerror();
            let text = if e.is_null() { "unknown error".into() } else { CStr::from_ptr(e).to_string_lossy().into_owned() };
            return Err(format!("cannot open {}: {text}", path.display()));
        }
        let sym = libc::dlsym(handle, c"OrtGetApiBase".as_ptr());
        if sym.is_null() {
            return Err(format!("{} does not export OrtGetApiBase: not ONNX Runtime", path.display()));
        }
        let get_base: unsafe extern "C" fn() -> *const ApiBase = std::mem::transmute(sym);
        let base = get_base();
        if base.is_null() {
            return Err(format!("{}: OrtGetApiBase returned NULL", path.display()));
        }
        Ok(CStr::from_ptr(((*base).get_version_string)()).to_string_lossy().into_owned())
    }
}

impl Plugin for OrtPlugin {
    type Graph = OrtGraph;

    fn init() -> PResult<Self> {
        let found = candidates();
        let Some((rule, path)) = found.into_iter().next() else {
            return Err(PluginError::runtime(
                "ONNX Runtime library not found: set WASINN_ORT_LIB or ORT_DYLIB_PATH to libonnxruntime.so, or \
                 point WASINN_PYTHON_SITE_PACKAGES (or VIRTUAL_ENV) at an environment with the onnxruntime wheel",
            ));
        };
        let version = library_version(&path).map_err(|e| PluginError::runtime(format!("{e} (from {rule})")))?;
        let minor = version.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
        if minor < MIN_ORT_MINOR {
            return Err(PluginError::runtime(format!(
                "ONNX Runtime {version} at {} (from {rule}) is too old: 1.{MIN_ORT_MINOR} or newer is needed",
                path.display()
            )));
        }
        let builder = ort::init_from(&path)
            .map_err(|e| PluginError::runtime(format!("cannot load ONNX Runtime from {} ({rule}): {e}", path.display())))?;
        let env = builder
            .with_name("libwasinn")
            .with_telemetry(false)
            .build()
            .map_err(|e| PluginError::runtime(format!("cannot create the ONNX Runtime environment: {e}")))?;
        Ok(OrtPlugin { env, version: format!("{} (onnxruntime {version}, {})", env!("CARGO_PKG_VERSION"), path.display()) })
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "onnxruntime".into(),
            version: self.version.clone(),
            encodings: vec![WASINN_BACKEND_ENCODING_ONNX],
            targets: vec![WASINN_BACKEND_TARGET_CPU, WASINN_BACKEND_TARGET_GPU],
        }
    }

    fn load(&self, builders: &[&[u8]], encoding: u32, target: u32, model_dir: Option<&Path>) -> PResult<OrtGraph> {
        if encoding != WASINN_BACKEND_ENCODING_ONNX {
            return Err(PluginError::encoding(format!("the onnxruntime backend loads only ONNX models (encoding {encoding})")));
        }
        let [bytes] = builders else {
            return Err(PluginError::invalid(format!("an ONNX model is exactly one graph builder, got {}", builders.len())));
        };
        match onnx::find_external_data(bytes) {
            Err(e) => return Err(PluginError::encoding(format!("not a valid ONNX model: {e}"))),
            Ok(Some(location)) if model_dir.is_none() => {
                return Err(PluginError::new(
                    WASINN_BACKEND_STATUS_SECURITY,
                    format!(
                        "the model stores tensor data in an external file ({location:?}); external data is \
                         refused for models not loaded from a host directory"
                    ),
                ))
            }
            Ok(_) => {}
        }
        let ort_err = |what: &'static str| move |e: ort::Error| PluginError::runtime(format!("onnxruntime: {what}: {e}"));
        let mut builder = Session::builder(&self.env).map_err(ort_err("cannot create a session builder"))?;
        // ORT sizes its intra-op pool by the machine's cores, ignoring the process's CPU affinity:
        // benchmarks and hosts that pin threads set the count here.
        if let Some(n) = std::env::var("WASINN_ORT_INTRA_OP_THREADS").ok().and_then(|v| v.parse::<usize>().ok()) {
            builder = builder
                .with_intra_threads(n)
                .map_err(|e| PluginError::runtime(format!("onnxruntime: cannot set the intra-op thread count: {e}")))?;
        }
        match target {
            WASINN_BACKEND_TARGET_CPU => {}
            WASINN_BACKEND_TARGET_GPU => {
                if !CUDA::is_available().unwrap_or(false) {
                    return Err(PluginError::unsupported(
                        "the gpu target needs ONNX Runtime's CUDA execution provider, which this ONNX Runtime \
                         library does not include",
                    ));
                }
                builder = builder
                    .with_execution_providers([CUDA::default().build().error_on_failure()])
                    .map_err(|e| PluginError::unsupported(format!("onnxruntime: cannot enable CUDA: {e}")))?;
            }
            t => return Err(PluginError::unsupported(format!("the onnxruntime backend has no target {t}"))),
        }
        if let Some(dir) = model_dir {
            builder = builder
                .with_config_entry("session.model_external_initializers_file_folder_path", dir.to_string_lossy())
                .map_err(|e| PluginError::runtime(format!("onnxruntime: cannot set the model directory: {e}")))?;
        }
        let session = builder.commit_from_memory(bytes).map_err(|e| {
            let text = e.to_string();
            let status = if text.contains("Protobuf parsing failed") || text.contains("INVALID_PROTOBUF") {
                WASINN_BACKEND_STATUS_INVALID_ENCODING
            } else {
                WASINN_BACKEND_STATUS_RUNTIME_ERROR
            };
            PluginError::new(status, format!("onnxruntime could not load the model: {text}"))
        })?;
        // An optional tensor is exchanged as the tensor it holds: a caller gives (and gets) the
        // value, which is what ORT takes and returns for a present optional.
        let io = |o: &ort::value::Outlet| -> IoDesc {
            let dtype = match o.dtype() {
                ValueType::Optional(inner) => inner.as_ref(),
                other => other,
            };
            match dtype {
                ValueType::Tensor { ty, shape, .. } => IoDesc::new(
                    o.name(),
                    TYPES.to_abi(*ty).unwrap_or(WASINN_BACKEND_TENSOR_TYPE_UNKNOWN),
                    Some(shape.iter().map(|&d| if d < 0 { WASINN_BACKEND_DIM_DYNAMIC } else { d }).collect()),
                ),
                _ => IoDesc::new(o.name(), WASINN_BACKEND_TENSOR_TYPE_UNKNOWN, None),
            }
        };
        let inputs: Vec<IoDesc> = session.inputs().iter().map(io).collect();
        let outputs: Vec<IoDesc> = session.outputs().iter().map(io).collect();
        let c_names = |io: &[IoDesc]| -> PResult<Vec<CString>> {
            io.iter()
                .map(|d| CString::new(d.name.as_str()).map_err(|_| PluginError::runtime(format!("the model's name {:?} holds a NUL byte", d.name))))
                .collect()
        };
        let (input_names, output_names) = (c_names(&inputs)?, c_names(&outputs)?);
        Ok(OrtGraph { session, input_names, output_names, inputs, outputs })
    }
}

/// ONNX Runtime's element types and libwasinn's, one to one (complex types have no libwasinn
/// equivalent).
const TYPES: TypeMap<TensorElementType> = {
    use TensorElementType as T;
    TypeMap {
        backend: "onnxruntime",
        pairs: &[
            (T::Float16, WASINN_BACKEND_TENSOR_TYPE_FP16),
            (T::Float32, WASINN_BACKEND_TENSOR_TYPE_FP32),
            (T::Float64, WASINN_BACKEND_TENSOR_TYPE_FP64),
            (T::Bfloat16, WASINN_BACKEND_TENSOR_TYPE_BF16),
            (T::Uint8, WASINN_BACKEND_TENSOR_TYPE_U8),
            (T::Int32, WASINN_BACKEND_TENSOR_TYPE_I32),
            (T::Int64, WASINN_BACKEND_TENSOR_TYPE_I64),
            (T::Int8, WASINN_BACKEND_TENSOR_TYPE_I8),
            (T::Uint16, WASINN_BACKEND_TENSOR_TYPE_U16),
            (T::Int16, WASINN_BACKEND_TENSOR_TYPE_I16),
            (T::Uint32, WASINN_BACKEND_TENSOR_TYPE_U32),
            (T::Uint64, WASINN_BACKEND_TENSOR_TYPE_U64),
            (T::Bool, WASINN_BACKEND_TENSOR_TYPE_BOOL),
            (T::Float8E4M3FN, WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN),
            (T::Float8E4M3FNUZ, WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FNUZ),
            (T::Float8E5M2, WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2),
            (T::Float8E5M2FNUZ, WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2FNUZ),
            (T::Float8E8M0, WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0),
            (T::Float4E2M1, WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1),
            (T::Uint4, WASINN_BACKEND_TENSOR_TYPE_U4),
            (T::Int4, WASINN_BACKEND_TENSOR_TYPE_I4),
            (T::Uint2, WASINN_BACKEND_TENSOR_TYPE_U2),
            (T::Int2, WASINN_BACKEND_TENSOR_TYPE_I2),
            (T::String, WASINN_BACKEND_TENSOR_TYPE_STRING),
        ],
    }
};

/// Turns an ONNX Runtime C API status into a plugin error.
///
/// # Safety
/// `status` is what an ORT API function just returned.
unsafe fn ort_check(status: ort::sys::OrtStatusPtr, what: &str) -> PResult<()> {
    // SAFETY: forwarded contract; result_from_status releases the status.
    unsafe { ort::Error::result_from_status(status) }.map_err(|e| PluginError::runtime(format!("onnxruntime: {what}: {e}")))
}

/// A string tensor made by ORT's allocator and filled from string tensor data. ORT copies each
/// element from a NUL-terminated C string, so an element holding a NUL byte cannot be given.
fn string_input(allocator: &ort::memory::Allocator, t: &TensorView<'_>) -> PResult<DynTensor> {
    let mut owned = Vec::new();
    for (i, s) in abi::layout::Strings::new(t.data).enumerate() {
        owned.push(std::ffi::CString::new(s).map_err(|_| {
            PluginError::invalid(format!("string element {i} contains a NUL byte, which ONNX Runtime strings cannot hold"))
        })?);
    }
    let ptrs: Vec<*const std::ffi::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    let shape: Vec<i64> = t.dims.iter().map(|&d| d as i64).collect();
    let mut tensor = DynTensor::new(allocator, TensorElementType::String, shape)
        .map_err(|e| PluginError::runtime(format!("onnxruntime could not allocate a string input: {e}")))?;
    // SAFETY: a string tensor of exactly ptrs.len() elements (product(dims), checked by the kit);
    // the C strings live until the call returns (ORT copies them).
    unsafe { ort_check((ort::api().FillStringTensor)(tensor.ptr_mut(), ptrs.as_ptr(), ptrs.len()), "filling a string input") }?;
    Ok(tensor)
}

/// The elements of an ORT string tensor, as string tensor data (one copy out of ORT).
fn string_output(value: &DynTensor, count: usize) -> PResult<Vec<u8>> {
    let api = ort::api();
    let mut total = 0usize;
    // SAFETY: a live string tensor; the out-pointers are valid.
    unsafe { ort_check((api.GetStringTensorDataLength)(value.ptr(), &mut total), "reading a string output") }?;
    let mut content = vec![0u8; total];
    let mut offsets = vec![0usize; count];
    // SAFETY: buffers of the sizes ORT asked for (`total` bytes, one offset per element).
    unsafe {
        ort_check(
            (api.GetStringTensorContent)(value.ptr(), content.as_mut_ptr().cast(), total, offsets.as_mut_ptr(), count),
            "reading a string output",
        )
    }?;
    offsets.push(total);
    let mut items = Vec::with_capacity(count);
    for w in offsets.windows(2) {
        items.push(content.get(w[0]..w[1]).ok_or_else(|| PluginError::runtime("onnxruntime gave inconsistent string offsets"))?);
    }
    encode_strings(items)
}

struct OrtGraph {
    /// Shared by every context, unlocked (see `OrtCtx::compute`).
    session: Session,
    /// The names `Run` takes, made once per graph (NUL-terminated copies of `inputs`/`outputs`).
    input_names: Vec<CString>,
    output_names: Vec<CString>,
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
}

impl PluginGraph for OrtGraph {
    type Ctx = OrtCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<OrtCtx> {
        Ok(OrtCtx {
            graph: Arc::clone(self),
            inputs: (0..self.inputs.len()).map(|_| None).collect(),
            outputs: Vec::new(),
            reuse_outputs: false,
            input_names: self.input_names.iter().map(|n| n.as_ptr()).collect(),
            output_names: self.output_names.iter().map(|n| n.as_ptr()).collect(),
            input_values: Vec::with_capacity(self.inputs.len()),
            output_values: Vec::with_capacity(self.outputs.len()),
        })
    }
}

/// An input tensor owned by ORT, with what it was made for.
struct Input {
    ty: u32,
    dims: Vec<usize>,
    tensor: DynTensor,
}

/// An output of the last run.
struct Output {
    ty: u32,
    dims: Vec<usize>,
    value: DynTensor,
    /// Bytes at the tensor's data pointer (fixed-size types).
    len: usize,
    /// A string output, encoded once at compute (ORT keeps strings as C++ objects).
    strings: Option<Vec<u8>>,
}

struct OrtCtx {
    graph: Arc<OrtGraph>,
    inputs: Vec<Option<Input>>,
    outputs: Vec<Result<Output, PluginError>>,
    /// Every output of the last run is a fixed-size tensor of its declared, fully fixed shape:
    /// the next `Run` writes into those same tensors.
    reuse_outputs: bool,
    /// `Run`'s argument arrays, kept across computes (no allocation per call). The name pointers
    /// point into `graph`'s `CString`s, which live as long as the `Arc` held here.
    input_names: Vec<*const c_char>,
    output_names: Vec<*const c_char>,
    input_values: Vec<*const ort::sys::OrtValue>,
    output_values: Vec<*mut ort::sys::OrtValue>,
}

// SAFETY: ORT values are plain heap objects and the name pointers point into the graph this
// context keeps alive; a context is used by one thread at a time (the host's contract), never
// concurrently.
unsafe impl Send for OrtCtx {}

impl PluginCtx for OrtCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        let slot = self.inputs.get_mut(index).ok_or_else(|| PluginError::invalid(format!("input index {index} out of range")))?;
        if t.ty == WASINN_BACKEND_TENSOR_TYPE_BOOL {
            if let Some(pos) = t.data.iter().position(|&b| b > 1) {
                return Err(PluginError::invalid(format!("bool tensor element {pos} is {}; bool elements must be 0 or 1", t.data[pos])));
            }
        }
        if t.ty == WASINN_BACKEND_TENSOR_TYPE_STRING {
            let tensor = string_input(self.graph.session.allocator(), &t)?;
            *slot = Some(Input { ty: t.ty, dims: t.dims.to_vec(), tensor });
            return Ok(());
        }
        let reuse = matches!(slot, Some(i) if i.ty == t.ty && i.dims == t.dims);
        if !reuse {
            let shape: Vec<i64> = t.dims.iter().map(|&d| d as i64).collect();
            let tensor = DynTensor::new(self.graph.session.allocator(), TYPES.from_abi(t.ty)?, shape)
                .map_err(|e| PluginError::runtime(format!("onnxruntime could not allocate input {index}: {e}")))?;
            *slot = Some(Input { ty: t.ty, dims: t.dims.to_vec(), tensor });
        }
        let input = slot.as_mut().expect("set above");
        if !t.data.is_empty() {
            let dst = input.tensor.data_ptr_mut() as *mut u8;
            if dst.is_null() {
                return Err(PluginError::runtime("onnxruntime gave an input tensor without memory"));
            }
            // SAFETY: the tensor was allocated for exactly this (fixed-size) type and shape, so it
            // holds ORT's byte size for it, which is the ABI layout's size == t.data.len() (packed
            // sub-byte types included; checked by the kit).
            unsafe { std::ptr::copy_nonoverlapping(t.data.as_ptr(), dst, t.data.len()) };
        }
        Ok(())
    }

    /// Runs the session through ONNX Runtime's C `Run` on a shared `&Session`.
    ///
    /// Why this is sound without a lock: ONNX Runtime guarantees that `InferenceSession::Run` may
    /// be called by many threads at once on one session (the contract its own execution
    /// providers are fixed to honour, e.g. microsoft/onnxruntime#19301 for TensorRT); all
    /// per-run state lives in the call and in the values passed to it, which belong to this
    /// context alone. ort 2.0.0-rc.15 makes `Session::run` take `&mut self` as a policy of its
    /// own (its `run_inner` comment distrusts that guarantee), not because the binding keeps
    /// mutable state: `run_inner` itself is `&self`, and `Session` is `Send + Sync`. So the C
    /// `Run` is called here directly on `&Session`, for the CPU and CUDA providers this plugin
    /// enables.
    fn compute(&mut self) -> PResult<()> {
        // A borrow of the field, not an `Arc` clone: nothing per call but the run itself.
        let graph: &OrtGraph = &self.graph;
        self.input_values.clear();
        for (i, t) in self.inputs.iter().enumerate() {
            let t = t.as_ref().ok_or_else(|| PluginError::invalid(format!("input {i} was not set")))?;
            self.input_values.push(t.tensor.ptr());
        }
        let reuse = self.reuse_outputs && self.outputs.len() == graph.outputs.len();
        if !reuse {
            // Released before the run (the run makes new ones).
            self.outputs.clear();
        }
        self.output_values.clear();
        for i in 0..graph.outputs.len() {
            self.output_values.push(match self.outputs.get_mut(i) {
                Some(Ok(out)) if reuse => out.value.ptr_mut(),
                _ => std::ptr::null_mut(),
            });
        }
        // SAFETY: a live session; names and values arrays of the lengths given, alive for the
        // call; each output slot NULL (ORT allocates) or a tensor this context owns of that
        // output's type and shape (ORT writes into it). Concurrency: see above.
        let status = unsafe {
            (ort::api().Run)(
                graph.session.ptr().cast_mut(),
                std::ptr::null(),
                self.input_names.as_ptr(),
                self.input_values.as_ptr(),
                self.input_values.len(),
                self.output_names.as_ptr(),
                self.output_names.len(),
                self.output_values.as_mut_ptr(),
            )
        };
        // SAFETY: what `Run` just returned.
        if let Err(e) = unsafe { ort::Error::result_from_status(status) } {
            // A failed run may have left reused outputs half-written: never expose them.
            self.outputs.clear();
            self.reuse_outputs = false;
            return Err(PluginError::runtime(format!("onnxruntime failed to run the model: {e}")));
        }
        if reuse {
            return Ok(());
        }
        let allocator = graph.session.allocator();
        let mut outputs = Vec::with_capacity(graph.outputs.len());
        for (desc, &ptr) in graph.outputs.iter().zip(&self.output_values) {
            outputs.push(match NonNull::new(ptr) {
                // SAFETY: a value `Run` created for us (we own it: released by the DynValue);
                // tensors from a session are allocated by its allocator.
                Some(ptr) => convert_output(unsafe { DynValue::from_ptr(ptr, Some(allocator)) }),
                None => Err(PluginError::runtime(format!("onnxruntime returned no output {:?}", desc.name))),
            });
        }
        self.reuse_outputs = outputs.iter().zip(&graph.outputs).all(|(out, desc)| match (out, &desc.dims) {
            (Ok(out), Some(declared)) => {
                out.strings.is_none()
                    && declared.len() == out.dims.len()
                    && declared.iter().zip(&out.dims).all(|(&d, &n)| d >= 0 && d as usize == n)
            }
            _ => false,
        });
        self.outputs = outputs;
        Ok(())
    }

    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        let out = self
            .outputs
            .get(index)
            .ok_or_else(|| PluginError::invalid(format!("output {index} is not available")))?
            .as_ref()
            .map_err(Clone::clone)?;
        if let Some(encoded) = &out.strings {
            return Ok(TensorView { ty: out.ty, dims: &out.dims, data: encoded });
        }
        let ptr = out.value.data_ptr() as *const u8;
        let data = if out.len == 0 || ptr.is_null() {
            &[][..]
        } else {
            // SAFETY: a CPU tensor of `len` bytes owned by this context, alive until the next
            // compute (ORT does not move its data).
            unsafe { std::slice::from_raw_parts(ptr, out.len) }
        };
        Ok(TensorView { ty: out.ty, dims: &out.dims, data })
    }
}

fn convert_output(value: DynValue) -> PResult<Output> {
    let (ty, dims) = match value.dtype() {
        ValueType::Tensor { ty, shape, .. } => (*ty, shape.iter().map(|&d| d.max(0) as usize).collect::<Vec<_>>()),
        other => return Err(PluginError::unsupported(format!("onnxruntime produced a {other} output, which is not a tensor"))),
    };
    let abi = TYPES.to_abi(ty)
        .ok_or_else(|| PluginError::unsupported(format!("onnxruntime produced a {ty} output, which has no wasi-nn tensor type")))?;
    let value = value.downcast::<DynTensorValueType>().map_err(|e| PluginError::runtime(format!("onnxruntime output: {e}")))?;
    if !value.memory_info().is_cpu_accessible() {
        return Err(PluginError::unsupported("onnxruntime left the output in device memory"));
    }
    if abi == WASINN_BACKEND_TENSOR_TYPE_STRING {
        let count = abi::layout::element_count(&dims).map_err(|e| PluginError::runtime(e.to_string()))?;
        let strings = Some(string_output(&value, count)?);
        return Ok(Output { ty: abi, dims, value, len: 0, strings });
    }
    let len = fixed_data_len(abi, &dims)?.ok_or_else(|| PluginError::runtime("output size unknown"))?;
    Ok(Output { ty: abi, dims, value, len, strings: None })
}
