//! libwasinn backend plugin for LiteRT, Google's TensorFlow Lite runtime
//! (`libwasinn_backend_litert.so`; see plugins/litert/README.md).
//!
//! LiteRT's C API library, `libLiteRt.so`, is opened at run time (libloading; see [`ffi`]) from
//! the first of:
//! 1. `WASINN_LITERT_LIB`: an explicit path to `libLiteRt.so`;
//! 2. an installed `ai-edge-litert` Python wheel (`ai_edge_litert/libLiteRt.so`) in the
//!    site-packages of `$WASINN_PYTHON_SITE_PACKAGES` or `$VIRTUAL_ENV`. No Python is run.
//!
//! When none is found, or the file lacks a function the plugin calls, the entry point fails and
//! libwasinn lists the plugin as rejected with that reason.
//!
//! Behaviour:
//! - encoding `tensorflowlite` (one builder, a TFLite flatbuffer: `TFL3` at bytes 4..8), target
//!   `cpu` (LiteRT's CPU accelerator, XNNPACK); `gpu` and `tpu` are `UNSUPPORTED_OPERATION`;
//! - one LiteRT environment per process; a graph owns a copy of the model bytes (aligned for
//!   LiteRT, which reads the flatbuffer in place for the model's lifetime) and the `LiteRtModel`;
//!   the model's first signature is run (LiteRT makes a default one for models without any);
//! - inputs and outputs are presented in the order, with the names, of the signature's subgraph
//!   (the order of LiteRT's own `Interpreter.get_input_details()`), mapped to the signature's
//!   order for the run;
//! - each context owns a compiled model (LiteRT does not promise that one compiled model may run
//!   on several threads at once; the compiled model made at load to check the model compiles is
//!   handed to the first context) and 64-byte aligned host buffers for its inputs and outputs,
//!   made once per shape and reused (one copy of the caller's bytes in, outputs exposed in place);
//! - inputs must have the declared element type and rank, and a shape LiteRT accepts: the
//!   declared one, or one that differs only in the dimensions the model's shape signature leaves
//!   dynamic (-1), which LiteRT resizes (`LiteRtCompiledModelResizeInputTensor`, strict), the
//!   output shapes then read back from LiteRT; anything else is `INVALID_ARGUMENT` at `set_input`.
//!   LiteRT's C API reports a tensor's shape, not its shape signature, so the dims listed for a
//!   dynamic dimension are its default size (usually 1);
//! - element types: f32, f16, bf16, f64, u8, i8, u16, i16, u32, i32, u64, i64, bool (one byte,
//!   0 or 1). TFLite strings, int4/int2 and complex tensors are listed with an unknown type and
//!   refused with `UNSUPPORTED_OPERATION`.

mod ffi;

use std::alloc::Layout as AllocLayout;
use std::ffi::{c_int, c_void, CStr};
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut, NonNull};
use std::sync::{Arc, Mutex};

use ffi::{Api, Handle, Layout, RankedTensorType};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

struct LiteRtPlugin {
    api: &'static Api,
    env: Handle,
    version: String,
}

// SAFETY: the environment is created once and only read by LiteRT afterwards (models and
// compiled models are made against it from any thread; LiteRT serialises compiled-model creation
// itself).
unsafe impl Send for LiteRtPlugin {}
unsafe impl Sync for LiteRtPlugin {}

export_plugin!(LiteRtPlugin);

/// Where to look for the library, in order, with the rule that produced each candidate.
fn candidates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("WASINN_LITERT_LIB").filter(|v| !v.is_empty()) {
        out.push(("$WASINN_LITERT_LIB".to_string(), PathBuf::from(p)));
    }
    for sp in find::site_packages() {
        let lib = sp.join("ai_edge_litert/libLiteRt.so");
        if lib.is_file() {
            out.push((format!("the ai-edge-litert wheel in {}", sp.display()), lib));
        }
    }
    out
}

/// The wheel's version, from the `ai_edge_litert-<version>.dist-info` directory beside the
/// package (the library itself exports no version function); `None` for a library elsewhere.
fn wheel_version(lib: &Path) -> Option<String> {
    let site = lib.parent()?.parent()?;
    std::fs::read_dir(site).ok()?.filter_map(|e| e.ok()).find_map(|e| {
        let name = e.file_name().into_string().ok()?;
        name.strip_prefix("ai_edge_litert-")?.strip_suffix(".dist-info").map(str::to_string)
    })
}

/// A plugin error for a failed LiteRT call.
fn lrt_err(make: fn(String) -> PluginError, what: &str, status: ffi::Status) -> PluginError {
    make(format!("litert: {what} (status {status}: {})", ffi::status_name(status)))
}

/// `Ok` for `kLiteRtStatusOk`, else a runtime error naming the call.
fn check(status: ffi::Status, what: &str) -> PResult<()> {
    if status == 0 {
        Ok(())
    } else {
        Err(lrt_err(PluginError::runtime, what, status))
    }
}

impl Plugin for LiteRtPlugin {
    type Graph = LrtGraph;

    fn init() -> PResult<Self> {
        let Some((rule, path)) = candidates().into_iter().next() else {
            return Err(PluginError::runtime(
                "LiteRT library not found: set WASINN_LITERT_LIB to libLiteRt.so, or point WASINN_PYTHON_SITE_PACKAGES \
                 (or VIRTUAL_ENV) at an environment with the ai-edge-litert wheel",
            ));
        };
        let api = Api::load(&path).map_err(|e| PluginError::runtime(format!("cannot load LiteRT ({rule}): {e}")))?;
        let api: &'static Api = Box::leak(Box::new(api));
        // Only the CPU accelerator (the plugin's one target): LiteRT otherwise tries to dlopen its
        // GPU and NPU accelerator libraries by bare name through the library search path. Its log
        // from warnings up (its INFO lines, one per compiled model, would flood a host's stderr).
        let options = [
            ffi::EnvOption {
                tag: ffi::ENV_AUTO_REGISTER_ACCELERATORS,
                value: ffi::AnyInt { any_type: ffi::ANY_TYPE_INT, int_value: i64::from(ffi::HW_ACCELERATOR_CPU) },
            },
            ffi::EnvOption {
                tag: ffi::ENV_MIN_LOGGER_SEVERITY,
                value: ffi::AnyInt { any_type: ffi::ANY_TYPE_INT, int_value: ffi::LOG_SEVERITY_WARNING },
            },
        ];
        let mut env: Handle = null_mut();
        // SAFETY: an array of `len` options, read during the call; the out-pointer is valid.
        let status = unsafe { (api.create_environment)(options.len() as c_int, options.as_ptr(), &mut env) };
        if status != 0 || env.is_null() {
            return Err(lrt_err(PluginError::runtime, &format!("cannot create a LiteRT environment ({})", path.display()), status));
        }
        let lrt_version = wheel_version(&path).unwrap_or_else(|| "?".into());
        Ok(LiteRtPlugin { api, env, version: format!("{} (litert {lrt_version}, {})", env!("CARGO_PKG_VERSION"), path.display()) })
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "litert".into(),
            version: self.version.clone(),
            encodings: vec![WASINN_BACKEND_ENCODING_TENSORFLOWLITE],
            targets: vec![WASINN_BACKEND_TARGET_CPU],
        }
    }

    fn load(&self, builders: &[&[u8]], encoding: u32, target: u32, _model_dir: Option<&Path>) -> PResult<LrtGraph> {
        if encoding != WASINN_BACKEND_ENCODING_TENSORFLOWLITE {
            return Err(PluginError::encoding(format!("the litert backend loads only TensorFlow Lite models (encoding {encoding})")));
        }
        match target {
            WASINN_BACKEND_TARGET_CPU => {}
            t => return Err(PluginError::unsupported(format!("the litert backend runs models on the cpu target only (target {t})"))),
        }
        let [bytes] = builders else {
            return Err(PluginError::invalid(format!("a TensorFlow Lite model is exactly one graph builder, got {}", builders.len())));
        };
        if bytes.get(4..8) != Some(b"TFL3") {
            return Err(PluginError::encoding("not a TFLite model: no TFL3 file identifier at bytes 4..8"));
        }
        // A TFLite model references no other file, so a model from guest bytes needs no check.
        let api = self.api;
        let mut copy = AlignedBuf::new(bytes.len())?;
        copy.as_mut_slice().copy_from_slice(bytes);
        let mut raw: Handle = null_mut();
        // SAFETY: the buffer outlives the model (both owned by the graph, the model dropped first).
        let status = unsafe { (api.create_model_from_buffer)(self.env, copy.ptr().cast(), copy.len(), &mut raw) };
        if status != 0 || raw.is_null() {
            return Err(lrt_err(PluginError::encoding, "LiteRT could not read the model", status));
        }
        let model = Model { api, raw };
        let io = ModelIo::read(api, model.raw)?;
        let graph = LrtGraph {
            spare: Mutex::new(None),
            api,
            env: self.env,
            model,
            _bytes: copy,
            io,
        };
        // Compile once now, so a model LiteRT cannot run fails at load; the first context uses it.
        let compiled = graph.compile()?;
        *graph.spare.lock().map_err(|_| PluginError::runtime("litert: lock poisoned"))? = Some(compiled);
        Ok(graph)
    }
}

/// Host memory aligned as LiteRT requires (`LITERT_HOST_MEMORY_BUFFER_ALIGNMENT`), zeroed.
struct AlignedBuf {
    ptr: NonNull<u8>,
    len: usize,
    layout: AllocLayout,
}

// SAFETY: plain owned memory.
unsafe impl Send for AlignedBuf {}
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    fn new(len: usize) -> PResult<AlignedBuf> {
        let layout = AllocLayout::from_size_align(len.max(1), ffi::HOST_MEMORY_ALIGNMENT)
            .map_err(|_| PluginError::new(WASINN_BACKEND_STATUS_TOO_LARGE, format!("a buffer of {len} bytes is too large")))?;
        // SAFETY: a non-zero size.
        let ptr = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })
            .ok_or_else(|| PluginError::new(WASINN_BACKEND_STATUS_TOO_LARGE, format!("cannot allocate {len} bytes")))?;
        Ok(AlignedBuf { ptr, len, layout })
    }
    fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
    fn len(&self) -> usize {
        self.len
    }
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` initialised (zeroed) bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), self.len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr(), self.layout) }
    }
}

/// A `LiteRtModel`, destroyed on drop.
struct Model {
    api: &'static Api,
    raw: Handle,
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateModelFromBuffer, destroyed once.
        unsafe { (self.api.destroy_model)(self.raw) }
    }
}

/// A `LiteRtCompiledModel`, destroyed on drop.
struct Compiled {
    api: &'static Api,
    raw: Handle,
}

// SAFETY: used by one thread at a time (owned by one context, or the graph's spare slot under
// its mutex).
unsafe impl Send for Compiled {}

impl Drop for Compiled {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateCompiledModel, destroyed once.
        unsafe { (self.api.destroy_compiled_model)(self.raw) }
    }
}

/// The model's interface as presented, and where each port sits in the signature.
struct ModelIo {
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
    /// LiteRT's element type of each presented input / output.
    input_elems: Vec<c_int>,
    output_elems: Vec<c_int>,
    /// The signature index of each presented input / output.
    input_sig: Vec<usize>,
    output_sig: Vec<usize>,
    /// The quantization LiteRT reports for each presented input / output.
    input_quant: Vec<Quant>,
    output_quant: Vec<Quant>,
}

/// A C string owned by the model, copied (empty when NULL).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn owned_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

impl ModelIo {
    fn read(api: &'static Api, model: Handle) -> PResult<ModelIo> {
        let mut n = 0usize;
        // SAFETY (this block's calls): a live model and signature; valid out-pointers; the
        // handles and strings returned are owned by the model and read before it can go away.
        unsafe {
            check((api.get_num_model_signatures)(model, &mut n), "signatures")?;
            if n == 0 {
                return Err(PluginError::unsupported("litert: the model has no signature to run"));
            }
            let mut sig: Handle = null_mut();
            check((api.get_model_signature)(model, 0, &mut sig), "signature 0")?;
            let mut sub: Handle = null_mut();
            check((api.get_signature_subgraph)(sig, &mut sub), "the signature's subgraph")?;
            let (inputs, input_elems, input_sig, input_quant) = Self::side(api, sig, sub, false)?;
            let (outputs, output_elems, output_sig, output_quant) = Self::side(api, sig, sub, true)?;
            Ok(ModelIo { inputs, outputs, input_elems, output_elems, input_sig, output_sig, input_quant, output_quant })
        }
    }

    /// One side (inputs or outputs): the subgraph's order and tensor names when every subgraph
    /// port is a signature port, else the signature's own order and names.
    ///
    /// # Safety
    /// Live signature and subgraph handles of one model.
    #[allow(clippy::type_complexity)]
    unsafe fn side(
        api: &'static Api,
        sig: Handle,
        sub: Handle,
        outputs: bool,
    ) -> PResult<(Vec<IoDesc>, Vec<c_int>, Vec<usize>, Vec<Quant>)> {
        let what = if outputs { "outputs" } else { "inputs" };
        let (mut n_sig, mut n_sub) = (0usize, 0usize);
        if outputs {
            check((api.get_num_signature_outputs)(sig, &mut n_sig), what)?;
            check((api.get_num_subgraph_outputs)(sub, &mut n_sub), what)?;
        } else {
            check((api.get_num_signature_inputs)(sig, &mut n_sig), what)?;
            check((api.get_num_subgraph_inputs)(sub, &mut n_sub), what)?;
        }
        let mut sig_tensors = Vec::with_capacity(n_sig);
        let mut sig_names = Vec::with_capacity(n_sig);
        for k in 0..n_sig {
            let (mut t, mut name): (Handle, *const std::ffi::c_char) = (null_mut(), null());
            if outputs {
                check((api.get_signature_output_tensor_by_index)(sig, k, &mut t), what)?;
                check((api.get_signature_output_name)(sig, k, &mut name), what)?;
            } else {
                check((api.get_signature_input_tensor_by_index)(sig, k, &mut t), what)?;
                check((api.get_signature_input_name)(sig, k, &mut name), what)?;
            }
            sig_tensors.push(t);
            sig_names.push(owned_str(name));
        }
        let mut order: Vec<(Handle, usize)> = Vec::with_capacity(n_sub);
        for i in 0..n_sub {
            let mut t: Handle = null_mut();
            if outputs {
                check((api.get_subgraph_output)(sub, i, &mut t), what)?;
            } else {
                check((api.get_subgraph_input)(sub, i, &mut t), what)?;
            }
            match sig_tensors.iter().position(|&s| s == t) {
                Some(k) => order.push((t, k)),
                None => break,
            }
        }
        let by_subgraph = n_sub == n_sig && order.len() == n_sub;
        if !by_subgraph {
            order = sig_tensors.iter().enumerate().map(|(k, &t)| (t, k)).collect();
        }
        let mut descs = Vec::with_capacity(order.len());
        let mut elems = Vec::with_capacity(order.len());
        let mut sig_index = Vec::with_capacity(order.len());
        let mut quants = Vec::with_capacity(order.len());
        for (t, k) in order {
            let mut name = String::new();
            if by_subgraph {
                let mut p: *const std::ffi::c_char = null();
                check((api.get_tensor_name)(t, &mut p), what)?;
                name = owned_str(p);
            }
            if name.is_empty() {
                name = sig_names[k].clone();
            }
            let (ty, dims, elem) = tensor_type(api, t)?;
            quants.push(quantization(api, t)?);
            descs.push(IoDesc::new(name, ty, dims));
            elems.push(elem);
            sig_index.push(k);
        }
        Ok((descs, elems, sig_index, quants))
    }
}

/// A tensor's libwasinn type, dims (`None`: unranked; dynamic sizes as `DIM_DYNAMIC`) and
/// LiteRT element type.
///
/// # Safety
/// A live tensor handle.
unsafe fn tensor_type(api: &'static Api, t: Handle) -> PResult<(u32, Option<Vec<i64>>, c_int)> {
    let mut id: c_int = -1;
    check((api.get_tensor_type_id)(t, &mut id), "tensor type")?;
    let (elem, dims) = if id == ffi::RANKED_TENSOR_TYPE {
        let mut rt = RankedTensorType::default();
        check((api.get_ranked_tensor_type)(t, &mut rt), "ranked tensor type")?;
        let dims = rt.layout.dims().iter().map(|&d| if d < 0 { WASINN_BACKEND_DIM_DYNAMIC } else { i64::from(d) }).collect();
        (rt.element_type, Some(dims))
    } else {
        let mut elem: c_int = 0;
        check((api.get_unranked_tensor_type)(t, &mut elem), "unranked tensor type")?;
        (elem, None)
    };
    Ok((TYPES.to_abi(elem).unwrap_or(WASINN_BACKEND_TENSOR_TYPE_UNKNOWN), dims, elem))
}

/// A tensor's quantization as LiteRT reports it (`LiteRtGetQuantizationTypeId`, then the
/// per-tensor parameters, or the quantized dimension of a per-channel one).
///
/// # Safety
/// A live tensor handle.
unsafe fn quantization(api: &'static Api, t: Handle) -> PResult<Quant> {
    let mut id: c_int = ffi::QUANT_NONE;
    check((api.get_quantization_type_id)(t, &mut id), "quantization type")?;
    Ok(match id {
        ffi::QUANT_NONE => Quant::None,
        ffi::QUANT_PER_TENSOR => {
            let mut q = ffi::QuantPerTensor::default();
            check((api.get_per_tensor_quantization)(t, &mut q), "per-tensor quantization")?;
            Quant::PerTensor { scale: q.scale, zero_point: q.zero_point }
        }
        ffi::QUANT_PER_CHANNEL => {
            let mut q = ffi::QuantPerChannel { quantized_dimension: 0, num_channels: 0, scales: null(), zero_points: null() };
            check((api.get_per_channel_quantization)(t, &mut q), "per-channel quantization")?;
            Quant::PerAxis { axis: i64::from(q.quantized_dimension) }
        }
        _ => Quant::Other,
    })
}

/// LiteRT's element types (`LiteRtElementType`, TFLite's numbering) and libwasinn's, where both
/// have the type with the same byte layout (little-endian; bool one byte).
const TYPES: TypeMap<c_int> = TypeMap {
    backend: "litert",
    pairs: &[
        (1, WASINN_BACKEND_TENSOR_TYPE_FP32),
        (2, WASINN_BACKEND_TENSOR_TYPE_I32),
        (3, WASINN_BACKEND_TENSOR_TYPE_U8),
        (4, WASINN_BACKEND_TENSOR_TYPE_I64),
        (6, WASINN_BACKEND_TENSOR_TYPE_BOOL),
        (7, WASINN_BACKEND_TENSOR_TYPE_I16),
        (9, WASINN_BACKEND_TENSOR_TYPE_I8),
        (10, WASINN_BACKEND_TENSOR_TYPE_FP16),
        (11, WASINN_BACKEND_TENSOR_TYPE_FP64),
        (13, WASINN_BACKEND_TENSOR_TYPE_U64),
        (16, WASINN_BACKEND_TENSOR_TYPE_U32),
        (17, WASINN_BACKEND_TENSOR_TYPE_U16),
        (19, WASINN_BACKEND_TENSOR_TYPE_BF16),
    ],
};

/// A libwasinn tensor type's name, for messages.
fn type_name(ty: u32) -> String {
    match ty {
        WASINN_BACKEND_TENSOR_TYPE_FP16 => "fp16".into(),
        WASINN_BACKEND_TENSOR_TYPE_FP32 => "fp32".into(),
        WASINN_BACKEND_TENSOR_TYPE_FP64 => "fp64".into(),
        WASINN_BACKEND_TENSOR_TYPE_BF16 => "bf16".into(),
        WASINN_BACKEND_TENSOR_TYPE_U8 => "u8".into(),
        WASINN_BACKEND_TENSOR_TYPE_I8 => "i8".into(),
        WASINN_BACKEND_TENSOR_TYPE_U16 => "u16".into(),
        WASINN_BACKEND_TENSOR_TYPE_I16 => "i16".into(),
        WASINN_BACKEND_TENSOR_TYPE_U32 => "u32".into(),
        WASINN_BACKEND_TENSOR_TYPE_I32 => "i32".into(),
        WASINN_BACKEND_TENSOR_TYPE_U64 => "u64".into(),
        WASINN_BACKEND_TENSOR_TYPE_I64 => "i64".into(),
        WASINN_BACKEND_TENSOR_TYPE_BOOL => "bool".into(),
        WASINN_BACKEND_TENSOR_TYPE_STRING => "string".into(),
        t => format!("type {t}"),
    }
}

struct LrtGraph {
    /// The compiled model made at load, for the first context (dropped before the model).
    spare: Mutex<Option<Compiled>>,
    api: &'static Api,
    env: Handle,
    /// Dropped before the bytes it reads.
    model: Model,
    /// The flatbuffer LiteRT reads in place for the model's lifetime.
    _bytes: AlignedBuf,
    io: ModelIo,
}

// SAFETY: after load the model is only read (compiled models are made from it under LiteRT's own
// creation mutex); the spare compiled model is behind a mutex.
unsafe impl Send for LrtGraph {}
unsafe impl Sync for LrtGraph {}

impl LrtGraph {
    /// A compiled model for the CPU accelerator; a model LiteRT cannot prepare (an operator its
    /// kernels lack, bad shapes) is `UNSUPPORTED_OPERATION`.
    fn compile(&self) -> PResult<Compiled> {
        let api = self.api;
        let mut options: Handle = null_mut();
        // SAFETY (this block's calls): valid out-pointers; the options are destroyed once, after
        // the compiled model is made (the caller keeps ownership of them).
        unsafe {
            check((api.create_options)(&mut options), "cannot create compilation options")?;
            let status = (api.set_options_hardware_accelerators)(options, ffi::HW_ACCELERATOR_CPU);
            if status != 0 {
                (api.destroy_options)(options);
                return Err(lrt_err(PluginError::runtime, "cannot select the CPU accelerator", status));
            }
            let mut raw: Handle = null_mut();
            let status = (api.create_compiled_model)(self.env, self.model.raw, options, &mut raw);
            (api.destroy_options)(options);
            if status != 0 || raw.is_null() {
                let make = if status == ffi::STATUS_INVALID_FLATBUFFER { PluginError::encoding } else { PluginError::unsupported };
                return Err(lrt_err(
                    make,
                    "LiteRT cannot prepare the model on the CPU (an operator or shape its kernels do not support; \
                     LiteRT's log on stderr names it)",
                    status,
                ));
            }
            let compiled = Compiled { api, raw };
            // LiteRT prepares the operators (allocates the tensors) lazily, at the first run or
            // this query: force it here, so an operator its kernels cannot prepare (an unresolved
            // custom operator, which LiteRT's interpreter refuses too) fails the load, not a compute.
            let mut layouts = vec![Layout::default(); self.io.outputs.len()];
            let status = (api.get_output_tensor_layouts)(compiled.raw, 0, layouts.len(), layouts.as_mut_ptr(), true);
            if status != 0 {
                return Err(lrt_err(
                    PluginError::unsupported,
                    "LiteRT cannot prepare the model's operators on the CPU (an operator its kernels lack, such as an \
                     unresolved custom operator; LiteRT's log on stderr names it)",
                    status,
                ));
            }
            Ok(compiled)
        }
    }
}

impl PluginGraph for LrtGraph {
    type Ctx = LrtCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.io.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.io.outputs
    }
    const REPORTS_QUANTIZATION: bool = true;
    fn quantization(&self, is_output: bool, index: usize) -> PResult<Quant> {
        let list = if is_output { &self.io.output_quant } else { &self.io.input_quant };
        list.get(index).copied().ok_or_else(|| PluginError::invalid(format!("index {index} out of range")))
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<LrtCtx> {
        let spare = self.spare.lock().map_err(|_| PluginError::runtime("litert: lock poisoned"))?.take();
        let compiled = match spare {
            Some(c) => c,
            None => self.compile()?,
        };
        let fixed = |d: &IoDesc| -> Option<Vec<usize>> {
            d.dims.as_ref()?.iter().map(|&x| usize::try_from(x).ok()).collect()
        };
        Ok(LrtCtx {
            compiled,
            model_dims: self.io.inputs.iter().map(fixed).collect(),
            inputs: (0..self.io.inputs.len()).map(|_| None).collect(),
            outputs: (0..self.io.outputs.len()).map(|_| None).collect(),
            outputs_stale: true,
            resized: false,
            computed: false,
            in_handles: vec![null_mut(); self.io.inputs.len()],
            out_handles: vec![null_mut(); self.io.outputs.len()],
            graph: Arc::clone(self),
        })
    }
}

/// A tensor buffer over host memory this plugin owns (the buffer destroyed before the memory).
struct HostTensor {
    api: &'static Api,
    raw: Handle,
    dims: Vec<usize>,
    mem: AlignedBuf,
}

impl HostTensor {
    fn new(api: &'static Api, elem: c_int, dims: &[usize], len: usize) -> PResult<HostTensor> {
        let layout = Layout::packed(dims).ok_or_else(|| {
            PluginError::invalid(format!("shape {dims:?} exceeds LiteRT's limits (rank {} at most, sizes below 2^31)", ffi::MAX_RANK))
        })?;
        let ty = RankedTensorType { element_type: elem, layout };
        let mem = AlignedBuf::new(len)?;
        let mut raw: Handle = null_mut();
        // SAFETY: `mem` is aligned as LiteRT requires and outlives the buffer (dropped after it,
        // see Drop); no deallocator: the memory stays ours.
        let status = unsafe { (api.create_tensor_buffer_from_host_memory)(&ty, mem.ptr().cast(), len, None, &mut raw) };
        if status != 0 || raw.is_null() {
            return Err(lrt_err(PluginError::runtime, &format!("cannot make a tensor buffer of shape {dims:?}"), status));
        }
        Ok(HostTensor { api, raw, dims: dims.to_vec(), mem })
    }
}

impl Drop for HostTensor {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once, before `mem` is freed.
        unsafe { (self.api.destroy_tensor_buffer)(self.raw) }
    }
}

struct LrtCtx {
    /// Dropped first: before the tensor buffers it ran on, and before the graph it was compiled
    /// from.
    compiled: Compiled,
    /// The shape the compiled model currently has for each input (`None`: not yet fixed).
    model_dims: Vec<Option<Vec<usize>>>,
    inputs: Vec<Option<(u32, HostTensor)>>,
    outputs: Vec<Option<(u32, HostTensor)>>,
    /// The output shapes must be read from LiteRT again (first compute, or an input resized).
    outputs_stale: bool,
    /// An input was resized: LiteRT must reallocate when the output layouts are read.
    resized: bool,
    /// The outputs hold the results of the last compute, which succeeded.
    computed: bool,
    /// The run's buffer arrays, in signature order (kept across computes).
    in_handles: Vec<Handle>,
    out_handles: Vec<Handle>,
    graph: Arc<LrtGraph>,
}

// SAFETY: the compiled model and buffers are used by one thread at a time (the host's contract
// for contexts); the handles in the arrays point into buffers this context owns.
unsafe impl Send for LrtCtx {}

impl PluginCtx for LrtCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        let io = &self.graph.io;
        let desc = io.inputs.get(index).ok_or_else(|| PluginError::invalid(format!("input index {index} out of range")))?;
        if desc.ty == WASINN_BACKEND_TENSOR_TYPE_UNKNOWN {
            return Err(PluginError::unsupported(format!(
                "input {:?} has LiteRT element type {}, which the litert backend cannot exchange",
                desc.name, io.input_elems[index]
            )));
        }
        if t.ty != desc.ty {
            return Err(PluginError::invalid(format!(
                "the model declares input {:?} as {}, got a {} tensor",
                desc.name,
                type_name(desc.ty),
                type_name(t.ty)
            )));
        }
        let shown = || -> String {
            let dims: Vec<String> = desc
                .dims
                .iter()
                .flatten()
                .map(|&d| if d == WASINN_BACKEND_DIM_DYNAMIC { "?".into() } else { d.to_string() })
                .collect();
            format!("input {:?}: shape {:?} does not match the model's [{}]", desc.name, t.dims, dims.join(", "))
        };
        if desc.dims.as_ref().is_some_and(|d| d.len() != t.dims.len()) {
            return Err(PluginError::invalid(shown()));
        }
        if t.ty == WASINN_BACKEND_TENSOR_TYPE_BOOL {
            if let Some(pos) = t.data.iter().position(|&b| b > 1) {
                return Err(PluginError::invalid(format!("bool tensor element {pos} is {}; bool elements must be 0 or 1", t.data[pos])));
            }
        }
        let sig = io.input_sig[index];
        if self.model_dims[index].as_deref() != Some(t.dims) {
            let dims: Vec<c_int> = t
                .dims
                .iter()
                .map(|&d| c_int::try_from(d))
                .collect::<Result<_, _>>()
                .map_err(|_| PluginError::invalid(format!("input {:?}: a dimension of {:?} exceeds LiteRT's limit", desc.name, t.dims)))?;
            // SAFETY: a live compiled model; `dims` holds `len` ints for the call.
            let status = unsafe { (self.graph.api.resize_input_tensor)(self.compiled.raw, 0, sig, dims.as_ptr(), dims.len()) };
            if status != 0 {
                // LiteRT resizes only the dimensions the model's shape signature leaves dynamic.
                self.model_dims[index] = None;
                return Err(lrt_err(PluginError::invalid, &format!("{} (LiteRT refused to resize it)", shown()), status));
            }
            self.model_dims[index] = Some(t.dims.to_vec());
            self.outputs_stale = true;
            self.resized = true;
        }
        let reuse = matches!(&self.inputs[index], Some((_, h)) if h.dims == t.dims);
        if !reuse {
            // Released first: the compiled model may not run on a buffer that is no longer set.
            self.inputs[index] = None;
            let h = HostTensor::new(self.graph.api, io.input_elems[index], t.dims, t.data.len())?;
            self.in_handles[sig] = h.raw;
            self.inputs[index] = Some((t.ty, h));
        }
        let (_, h) = self.inputs[index].as_mut().expect("set above");
        h.mem.as_mut_slice().copy_from_slice(t.data);
        Ok(())
    }

    fn compute(&mut self) -> PResult<()> {
        self.computed = false;
        let graph = Arc::clone(&self.graph);
        let (api, io) = (graph.api, &graph.io);
        if let Some(missing) = self.inputs.iter().position(Option::is_none) {
            return Err(PluginError::invalid(format!("input {:?} was not set", io.inputs[missing].name)));
        }
        if self.outputs_stale {
            let mut layouts = vec![Layout::default(); io.outputs.len()];
            // SAFETY: a live compiled model; room for one layout per signature output.
            let status = unsafe {
                (api.get_output_tensor_layouts)(self.compiled.raw, 0, layouts.len(), layouts.as_mut_ptr(), self.resized)
            };
            check(status, "cannot read the output shapes")?;
            for (j, desc) in io.outputs.iter().enumerate() {
                let layout = &layouts[io.output_sig[j]];
                let dims: Vec<usize> = layout
                    .dims()
                    .iter()
                    .map(|&d| usize::try_from(d))
                    .collect::<Result<_, _>>()
                    .map_err(|_| PluginError::runtime(format!("LiteRT left output {:?} with a dynamic shape {:?}", desc.name, layout.dims())))?;
                if matches!(&self.outputs[j], Some((_, h)) if h.dims == dims) {
                    continue;
                }
                let ty = if desc.ty == WASINN_BACKEND_TENSOR_TYPE_UNKNOWN {
                    return Err(PluginError::unsupported(format!(
                        "output {:?} has LiteRT element type {}, which the litert backend cannot exchange",
                        desc.name, io.output_elems[j]
                    )));
                } else {
                    desc.ty
                };
                let len = fixed_data_len(ty, &dims)?.ok_or_else(|| PluginError::runtime("output size unknown"))?;
                self.outputs[j] = None;
                let h = HostTensor::new(api, io.output_elems[j], &dims, len)?;
                self.out_handles[io.output_sig[j]] = h.raw;
                self.outputs[j] = Some((ty, h));
            }
            self.outputs_stale = false;
            self.resized = false;
        }
        // SAFETY: a live compiled model; one buffer per signature input and output, in signature
        // order, each a live tensor buffer of this context of the shape set on the model.
        let status = unsafe {
            (api.run_compiled_model)(
                self.compiled.raw,
                0,
                self.in_handles.len(),
                self.in_handles.as_mut_ptr(),
                self.out_handles.len(),
                self.out_handles.as_mut_ptr(),
            )
        };
        check(status, "LiteRT failed to run the model")?;
        for (j, out) in self.outputs.iter_mut().enumerate() {
            let (_, h) = out.as_mut().ok_or_else(|| PluginError::runtime("an output buffer is missing"))?;
            let mut addr: *mut c_void = null_mut();
            // SAFETY: a live buffer of ours; locking for reading waits for any pending write.
            check(unsafe { (api.lock_tensor_buffer)(h.raw, &mut addr, ffi::LOCK_MODE_READ) }, "cannot read an output")?;
            if !addr.is_null() && addr.cast::<u8>() != h.mem.ptr() && h.mem.len() > 0 {
                // LiteRT mapped the output elsewhere: copy it into the memory exposed to the host.
                // SAFETY: a locked buffer of the packed size of the output's shape, which is `len`.
                let src = unsafe { std::slice::from_raw_parts(addr.cast::<u8>(), h.mem.len()) };
                h.mem.as_mut_slice().copy_from_slice(src);
            }
            // SAFETY: locked just above.
            let status = unsafe { (api.unlock_tensor_buffer)(h.raw) };
            check(status, &format!("cannot release output {j}"))?;
        }
        self.computed = true;
        Ok(())
    }

    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        if !self.computed {
            return Err(PluginError::invalid(format!("output {index} is not available: no successful compute yet")));
        }
        let (ty, h) = self
            .outputs
            .get(index)
            .and_then(Option::as_ref)
            .ok_or_else(|| PluginError::invalid(format!("output {index} is not available")))?;
        Ok(TensorView { ty: *ty, dims: &h.dims, data: h.mem.as_slice() })
    }
}
