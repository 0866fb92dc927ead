//! The Rust side of writing a libwasinn backend plugin: implement [`Plugin`], [`PluginGraph`] and
//! [`PluginCtx`] in safe Rust and call [`export_plugin!`]; this crate supplies the one exported
//! entry symbol, the `extern "C"` function table, version negotiation, NULL checks, the panic
//! boundary of every function and the copying of error messages into the host's buffer.
//!
//! Invariants kept here (see `wasinn-plugin-abi` for the ABI rules):
//! - every table function runs inside [`boundary`]: a panic becomes
//!   `WASINN_BACKEND_STATUS_PANIC` with the panic text, never an unwind into the host;
//! - a graph handle is a `Box<GraphBox>` holding an `Arc` of the plugin graph, and every context
//!   holds another `Arc`, so a context never outlives the model it runs whatever order the host
//!   frees them in;
//! - the plugin instance is created once per process by the first entry call and never dropped
//!   (plugins are never unloaded).

use std::any::Any;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use wasinn_plugin_abi as abi;
use wasinn_plugin_abi::*;

/// An error returned by plugin code: a `WASINN_BACKEND_STATUS_*` value and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// The status.
    pub status: u32,
    /// The message copied to the host.
    pub message: String,
}

impl PluginError {
    /// An error with a status and message.
    pub fn new(status: u32, message: impl Into<String>) -> Self {
        PluginError { status, message: message.into() }
    }
    /// `INVALID_ARGUMENT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_INVALID_ARGUMENT, message)
    }
    /// `RUNTIME_ERROR`.
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_RUNTIME_ERROR, message)
    }
    /// `UNSUPPORTED_OPERATION`.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION, message)
    }
    /// `INVALID_ENCODING`.
    pub fn encoding(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_INVALID_ENCODING, message)
    }
    /// `END_OF_SEQUENCE` (ABI version 3): what [`PluginCtx::compute_single`] returns once the
    /// stream has ended.
    pub fn end_of_sequence(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_END_OF_SEQUENCE, message)
    }
    /// `CONTEXT_FULL` (ABI version 3): the context window is full.
    pub fn context_full(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_CONTEXT_FULL, message)
    }
    /// `PROMPT_TOO_LONG` (ABI version 3): the prompt does not fit the context window.
    pub fn prompt_too_long(message: impl Into<String>) -> Self {
        Self::new(WASINN_BACKEND_STATUS_PROMPT_TOO_LONG, message)
    }
}

/// Result alias for plugin code.
pub type PResult<T> = Result<T, PluginError>;

/// What the plugin declares about itself in the table.
pub struct PluginInfo {
    /// Backend name (ASCII, no NUL).
    pub name: String,
    /// Version text.
    pub version: String,
    /// Encodings served (`WASINN_BACKEND_ENCODING_*`).
    pub encodings: Vec<u32>,
    /// Targets served, preferred first (`WASINN_BACKEND_TARGET_*`).
    pub targets: Vec<u32>,
}

/// One declared input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoDesc {
    /// Name in the model.
    pub name: String,
    /// Element type or `WASINN_BACKEND_TENSOR_TYPE_UNKNOWN`.
    pub ty: u32,
    /// Dimensions (`WASINN_BACKEND_DIM_DYNAMIC` for unknown sizes), `None` for unknown rank.
    pub dims: Option<Vec<i64>>,
    /// An input the host may leave unset before a compute (ABI version 3,
    /// `WASINN_BACKEND_IO_OPTIONAL`); false for outputs.
    pub optional: bool,
}

impl IoDesc {
    /// A required input or an output.
    pub fn new(name: impl Into<String>, ty: u32, dims: Option<Vec<i64>>) -> Self {
        IoDesc { name: name.into(), ty, dims, optional: false }
    }
    /// An optional input (see [`IoDesc::optional`]).
    pub fn optional(name: impl Into<String>, ty: u32, dims: Option<Vec<i64>>) -> Self {
        IoDesc { name: name.into(), ty, dims, optional: true }
    }
}

/// How a declared input or output is quantized (plugin ABI version 2), for
/// [`PluginGraph::quantization`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quant {
    /// Not quantized.
    None,
    /// `real = scale * (q - zero_point)` for the whole tensor.
    PerTensor {
        /// The scale.
        scale: f32,
        /// The zero point.
        zero_point: i64,
    },
    /// One scale and zero point per slice along `axis` (per channel).
    PerAxis {
        /// The quantized dimension.
        axis: i64,
    },
    /// Another scheme (block-wise...).
    Other,
}

/// A borrowed tensor (input from the host or output to it).
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a> {
    /// Element type (`WASINN_BACKEND_TENSOR_TYPE_*`).
    pub ty: u32,
    /// Dimensions.
    pub dims: &'a [usize],
    /// Raw little-endian bytes.
    pub data: &'a [u8],
}

/// The byte size of a fixed-size tensor of `ty` and `dims` (`None` for strings, whose size
/// depends on their data), by the ABI's [`layout`](abi::layout) rules.
pub fn fixed_data_len(ty: u32, dims: &[usize]) -> PResult<Option<usize>> {
    abi::layout::fixed_data_len(ty, dims).map_err(|e| PluginError::invalid(e.to_string()))
}

/// A vendor library's element types paired one to one with libwasinn's tensor types
/// (`WASINN_BACKEND_TENSOR_TYPE_*`), for the conversions every plugin makes both ways.
pub struct TypeMap<T: 'static> {
    /// The vendor library's name, for messages.
    pub backend: &'static str,
    /// The pairs.
    pub pairs: &'static [(T, u32)],
}

impl<T: Copy + PartialEq + 'static> TypeMap<T> {
    /// libwasinn's type for a vendor type, `None` when libwasinn has no equivalent.
    pub fn to_abi(&self, t: T) -> Option<u32> {
        self.pairs.iter().find(|(v, _)| *v == t).map(|&(_, abi)| abi)
    }

    /// The vendor type for libwasinn's `ty`: `UNSUPPORTED_OPERATION` for a type libwasinn has
    /// and the vendor library lacks, `INVALID_ARGUMENT` for a value that is no tensor type.
    pub fn from_abi(&self, ty: u32) -> PResult<T> {
        self.pairs.iter().find(|(_, abi)| *abi == ty).map(|&(v, _)| v).ok_or_else(|| {
            if abi::layout::element_layout(ty).is_some() {
                PluginError::unsupported(format!("the {} backend cannot exchange tensors of type {ty}", self.backend))
            } else {
                PluginError::invalid(format!("unknown tensor type {ty}"))
            }
        })
    }
}

/// Encodes byte strings as string tensor data (the ABI's layout: each a little-endian `u32`
/// length then its bytes).
pub fn encode_strings<'s>(items: impl IntoIterator<Item = &'s [u8]>) -> PResult<Vec<u8>> {
    abi::layout::encode_strings(items).map_err(|e| PluginError::invalid(e.to_string()))
}

/// A backend implemented by a plugin. Created once per process by the entry point.
pub trait Plugin: Sized + Send + Sync + 'static {
    /// The plugin's graph type.
    type Graph: PluginGraph;
    /// Finds the vendor library and initialises it; an error rejects the plugin with its message.
    fn init() -> PResult<Self>;
    /// Name, version, encodings, targets.
    fn info(&self) -> PluginInfo;
    /// Loads a model (the bytes are borrowed for the call only). `model_dir` is `None` for bytes
    /// from a guest or caller: then refuse models that reference host files (`STATUS_SECURITY`).
    fn load(&self, builders: &[&[u8]], encoding: u32, target: u32, model_dir: Option<&Path>) -> PResult<Self::Graph>;
}

/// A loaded model; shared between threads.
pub trait PluginGraph: Send + Sync + Sized + 'static {
    /// The context type.
    type Ctx: PluginCtx;
    /// Declared inputs.
    fn inputs(&self) -> &[IoDesc];
    /// Declared outputs.
    fn outputs(&self) -> &[IoDesc];
    /// Whether [`quantization`](Self::quantization) reports what the vendor library knows:
    /// only then does the table carry `graph_io_quantization` (otherwise NULL, "not reported").
    const REPORTS_QUANTIZATION: bool = false;
    /// The quantization of input (`is_output` false) or output `index` (in range: the kit
    /// checks). Called only when [`REPORTS_QUANTIZATION`](Self::REPORTS_QUANTIZATION) is set.
    fn quantization(&self, is_output: bool, index: usize) -> PResult<Quant> {
        let _ = (is_output, index);
        Ok(Quant::None)
    }
    /// Creates an execution context that keeps the graph alive.
    fn new_ctx(self: &Arc<Self>) -> PResult<Self::Ctx>;
    /// Whether [`derive`](Self::derive) is implemented: only then does the table carry
    /// `graph_derive` (ABI version 3; otherwise NULL and the host ignores configurations).
    const DERIVES: bool = false;
    /// A new graph sharing this one's loaded model (no reload) with the JSON `config` applied
    /// (UTF-8 bytes, borrowed for the call). Unknown keys ignored; a bad document or value is
    /// `INVALID_ARGUMENT`. The two graphs are freed independently: keep the shared model in an
    /// `Arc` (or hold `Arc::clone(self)`). Called only when [`DERIVES`](Self::DERIVES) is set.
    fn derive(self: &Arc<Self>, config: &[u8]) -> PResult<Self> {
        let _ = config;
        Err(PluginError::unsupported("this backend takes no graph configuration"))
    }
}

/// One execution context, used by one thread at a time.
pub trait PluginCtx: Send + 'static {
    /// Copies `tensor` into input `index`.
    fn set_input(&mut self, index: usize, tensor: TensorView<'_>) -> PResult<()>;
    /// Runs the model.
    fn compute(&mut self) -> PResult<()>;
    /// Borrows output `index` of the last compute.
    fn output(&self, index: usize) -> PResult<TensorView<'_>>;
    /// Whether the context streams ([`compute_single`](Self::compute_single),
    /// [`output_single`](Self::output_single), [`fini_single`](Self::fini_single)): only then does
    /// the table carry the three streaming entries (ABI version 3; otherwise NULL and the host
    /// answers `UNSUPPORTED_OPERATION` naming the backend).
    const STREAMS: bool = false;
    /// One streaming step: the first call after `set_input` (or after `fini_single`) starts a
    /// stream and produces the first piece, each further call the next;
    /// [`PluginError::end_of_sequence`] once generation has ended (no piece then),
    /// [`PluginError::context_full`] / [`PluginError::prompt_too_long`] where they apply. Called
    /// only when [`STREAMS`](Self::STREAMS) is set.
    fn compute_single(&mut self) -> PResult<()> {
        Err(PluginError::unsupported("this backend does not stream"))
    }
    /// Borrows output `index` of the last `compute_single` step (the kit hands it to the host,
    /// valid until the next call on the context).
    fn output_single(&self, index: usize) -> PResult<TensorView<'_>> {
        let _ = index;
        Err(PluginError::unsupported("this backend does not stream"))
    }
    /// Ends the stream and resets the context for the next prompt; `Ok` with no stream open.
    fn fini_single(&mut self) -> PResult<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The boundary.

/// Copies `message` into the host's error buffer (truncated on a UTF-8 boundary).
///
/// # Safety
/// `err` is NULL or points to a valid `WasinnBackendError` whose buffer holds `capacity` bytes.
pub unsafe fn write_error(err: *mut WasinnBackendError, message: &str) {
    let Some(err) = err.as_mut() else { return };
    if err.message.is_null() {
        err.len = 0;
        return;
    }
    let mut n = message.len().min(err.capacity);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    std::ptr::copy_nonoverlapping(message.as_ptr(), err.message, n);
    err.len = n;
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `f`, turning its error or panic into a status and a message in `err`.
///
/// # Safety
/// `err` as for [`write_error`].
pub unsafe fn boundary(err: *mut WasinnBackendError, f: impl FnOnce() -> PResult<()>) -> u32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => WASINN_BACKEND_STATUS_SUCCESS,
        Ok(Err(e)) => {
            write_error(err, &e.message);
            if e.status == WASINN_BACKEND_STATUS_SUCCESS {
                WASINN_BACKEND_STATUS_RUNTIME_ERROR
            } else {
                e.status
            }
        }
        Err(payload) => {
            // Even formatting the message must not unwind out of here.
            let text = catch_unwind(AssertUnwindSafe(|| panic_text(&*payload))).unwrap_or_default();
            write_error(err, &format!("the plugin panicked: {text}"));
            WASINN_BACKEND_STATUS_PANIC
        }
    }
}

fn null(what: &str) -> PluginError {
    PluginError::invalid(format!("{what} is NULL"))
}

// ---------------------------------------------------------------------------------------------
// The instance and the handles.

/// The table strings live as long as the process (plugins are never unloaded).
struct Instance {
    plugin: Box<dyn Any + Send + Sync>,
    name: &'static CStr,
    version: &'static CStr,
    encodings: &'static [u32],
    targets: &'static [u32],
}

/// The result of `P::init`, kept so every entry call reports the same outcome.
static INSTANCE: OnceLock<Result<Instance, PluginError>> = OnceLock::new();

fn leak_cstr(s: String) -> &'static CStr {
    let bytes: Vec<u8> = s.into_bytes().into_iter().filter(|&b| b != 0).collect();
    Box::leak(std::ffi::CString::new(bytes).unwrap_or_default().into_boxed_c_str())
}

fn plugin<P: Plugin>() -> PResult<&'static P> {
    match INSTANCE.get() {
        Some(Ok(inst)) => inst
            .plugin
            .downcast_ref::<P>()
            .ok_or_else(|| PluginError::runtime("plugin instance has an unexpected type")),
        Some(Err(e)) => Err(e.clone()),
        None => Err(PluginError::runtime("the plugin's entry point was not called")),
    }
}

struct GraphBox<G: PluginGraph> {
    graph: Arc<G>,
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
}

struct CtxBox<G: PluginGraph> {
    ctx: G::Ctx,
    /// Keeps the model alive while the context exists.
    _graph: Arc<G>,
}

/// The entry point's body; call it from the `#[no_mangle]` function ([`export_plugin!`] does).
///
/// # Safety
/// Pointers as documented on `WasinnBackendEntryFn`.
pub unsafe fn entry<P: Plugin>(
    host_abi_version: u32,
    table: *mut WasinnBackendPlugin,
    table_size: usize,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        if table.is_null() {
            return Err(null("table"));
        }
        if host_abi_version < 1 {
            return Err(PluginError::unsupported(format!(
                "the host speaks plugin ABI version {host_abi_version}; this plugin implements 1..={WASINN_BACKEND_ABI_VERSION}"
            )));
        }
        if table_size < WASINN_BACKEND_PLUGIN_V1_SIZE {
            return Err(PluginError::invalid(format!(
                "table of {table_size} bytes is smaller than the version 1 table ({WASINN_BACKEND_PLUGIN_V1_SIZE} bytes)"
            )));
        }
        let inst = INSTANCE
            .get_or_init(|| {
                catch_unwind(P::init)
                    .unwrap_or_else(|p| Err(PluginError::new(WASINN_BACKEND_STATUS_PANIC, panic_text(&*p))))
                    .map(|p| {
                        let info = p.info();
                        Instance {
                            name: leak_cstr(info.name),
                            version: leak_cstr(info.version),
                            encodings: Box::leak(info.encodings.into_boxed_slice()),
                            targets: Box::leak(info.targets.into_boxed_slice()),
                            plugin: Box::new(p),
                        }
                    })
            })
            .as_ref()
            .map_err(Clone::clone)?;
        // An older host has room for its own version's part only.
        let size = if host_abi_version >= 3 && table_size >= WASINN_BACKEND_PLUGIN_V3_SIZE {
            WASINN_BACKEND_PLUGIN_V3_SIZE
        } else if host_abi_version >= 2 && table_size >= WASINN_BACKEND_PLUGIN_V2_SIZE {
            WASINN_BACKEND_PLUGIN_V2_SIZE
        } else {
            WASINN_BACKEND_PLUGIN_V1_SIZE
        };
        let streams = <<P::Graph as PluginGraph>::Ctx as PluginCtx>::STREAMS;
        let filled = WasinnBackendPlugin {
            abi_version: WASINN_BACKEND_ABI_VERSION.min(host_abi_version),
            struct_size: size as u32,
            name: inst.name.as_ptr(),
            version: inst.version.as_ptr(),
            encodings: inst.encodings.as_ptr(),
            encodings_len: inst.encodings.len(),
            targets: inst.targets.as_ptr(),
            targets_len: inst.targets.len(),
            load: Some(load::<P>),
            graph_free: Some(graph_free::<P>),
            graph_io_count: Some(graph_io_count::<P>),
            graph_io_info: Some(graph_io_info::<P>),
            ctx_new: Some(ctx_new::<P>),
            ctx_free: Some(ctx_free::<P>),
            ctx_set_input: Some(ctx_set_input::<P>),
            ctx_compute: Some(ctx_compute::<P>),
            ctx_get_output: Some(ctx_get_output::<P>),
            graph_io_quantization: if <P::Graph as PluginGraph>::REPORTS_QUANTIZATION {
                Some(graph_io_quantization::<P>)
            } else {
                None
            },
            graph_derive: if <P::Graph as PluginGraph>::DERIVES { Some(graph_derive::<P>) } else { None },
            ctx_compute_single: if streams { Some(ctx_compute_single::<P>) } else { None },
            ctx_get_output_single: if streams { Some(ctx_get_output_single::<P>) } else { None },
            ctx_fini_single: if streams { Some(ctx_fini_single::<P>) } else { None },
        };
        // Write only what the host has room for (`size` <= table_size, checked above).
        std::ptr::copy_nonoverlapping((&filled as *const WasinnBackendPlugin).cast::<u8>(), table.cast::<u8>(), size);
        Ok(())
    })
}

unsafe extern "C" fn load<P: Plugin>(
    builders: *const WasinnBackendBytes,
    builders_len: usize,
    encoding: u32,
    target: u32,
    model_dir: *const c_char,
    graph_out: *mut *mut WasinnBackendGraph,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        if graph_out.is_null() {
            return Err(null("graph_out"));
        }
        if builders.is_null() && builders_len > 0 {
            return Err(null("builders"));
        }
        let raw = if builders_len == 0 { &[][..] } else { std::slice::from_raw_parts(builders, builders_len) };
        let mut views = Vec::with_capacity(raw.len());
        for (i, b) in raw.iter().enumerate() {
            if b.len == 0 {
                views.push(&[][..]);
            } else if b.data.is_null() {
                return Err(null(&format!("builder {i}")));
            } else {
                views.push(std::slice::from_raw_parts(b.data, b.len));
            }
        }
        let dir: Option<PathBuf> = if model_dir.is_null() {
            None
        } else {
            use std::os::unix::ffi::OsStrExt;
            Some(PathBuf::from(std::ffi::OsStr::from_bytes(CStr::from_ptr(model_dir).to_bytes())))
        };
        let graph = plugin::<P>()?.load(&views, encoding, target, dir.as_deref())?;
        let boxed = GraphBox { inputs: graph.inputs().to_vec(), outputs: graph.outputs().to_vec(), graph: Arc::new(graph) };
        *graph_out = Box::into_raw(Box::new(boxed)) as *mut WasinnBackendGraph;
        Ok(())
    })
}

unsafe extern "C" fn graph_free<P: Plugin>(graph: *mut WasinnBackendGraph) {
    if !graph.is_null() {
        let _ = catch_unwind(|| drop(Box::from_raw(graph as *mut GraphBox<P::Graph>)));
    }
}

unsafe fn graph_ref<'a, P: Plugin>(graph: *const WasinnBackendGraph) -> PResult<&'a GraphBox<P::Graph>> {
    (graph as *const GraphBox<P::Graph>).as_ref().ok_or_else(|| null("graph"))
}

unsafe extern "C" fn graph_io_count<P: Plugin>(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    count_out: *mut usize,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let g = graph_ref::<P>(graph)?;
        if count_out.is_null() {
            return Err(null("count_out"));
        }
        *count_out = if is_output != 0 { g.outputs.len() } else { g.inputs.len() };
        Ok(())
    })
}

unsafe extern "C" fn graph_io_info<P: Plugin>(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    index: usize,
    info_out: *mut WasinnBackendIoInfo,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let g = graph_ref::<P>(graph)?;
        if info_out.is_null() {
            return Err(null("info_out"));
        }
        let list = if is_output != 0 { &g.outputs } else { &g.inputs };
        let d = list.get(index).ok_or_else(|| PluginError::invalid(format!("index {index} out of range")))?;
        let flags = if d.optional && is_output == 0 { WASINN_BACKEND_IO_OPTIONAL } else { 0 };
        let (dims, rank) = match &d.dims {
            Some(v) => (if v.is_empty() { std::ptr::null() } else { v.as_ptr() }, v.len() as i64),
            None => (std::ptr::null(), WASINN_BACKEND_RANK_UNKNOWN),
        };
        *info_out =
            WasinnBackendIoInfo { name: d.name.as_ptr(), name_len: d.name.len(), dims, rank, ty: d.ty, flags };
        Ok(())
    })
}

unsafe extern "C" fn ctx_new<P: Plugin>(
    graph: *const WasinnBackendGraph,
    ctx_out: *mut *mut WasinnBackendCtx,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let g = graph_ref::<P>(graph)?;
        if ctx_out.is_null() {
            return Err(null("ctx_out"));
        }
        let ctx = g.graph.new_ctx()?;
        let boxed: CtxBox<P::Graph> = CtxBox { ctx, _graph: Arc::clone(&g.graph) };
        *ctx_out = Box::into_raw(Box::new(boxed)) as *mut WasinnBackendCtx;
        Ok(())
    })
}

unsafe extern "C" fn ctx_free<P: Plugin>(ctx: *mut WasinnBackendCtx) {
    if !ctx.is_null() {
        let _ = catch_unwind(|| drop(Box::from_raw(ctx as *mut CtxBox<P::Graph>)));
    }
}

unsafe extern "C" fn ctx_set_input<P: Plugin>(
    ctx: *mut WasinnBackendCtx,
    index: usize,
    tensor: *const WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let c = (ctx as *mut CtxBox<P::Graph>).as_mut().ok_or_else(|| null("ctx"))?;
        let t = tensor.as_ref().ok_or_else(|| null("tensor"))?;
        let dims = if t.rank == 0 {
            &[][..]
        } else if t.dims.is_null() {
            return Err(null("tensor dims"));
        } else {
            std::slice::from_raw_parts(t.dims, t.rank)
        };
        let data = if t.len == 0 {
            &[][..]
        } else if t.data.is_null() {
            return Err(null("tensor data"));
        } else {
            std::slice::from_raw_parts(t.data, t.len)
        };
        abi::layout::check_data(t.ty, dims, data)
            .map_err(|e| PluginError::invalid(format!("input tensor of type {} dims {dims:?}: {e}", t.ty)))?;
        c.ctx.set_input(index, TensorView { ty: t.ty, dims, data })
    })
}

unsafe extern "C" fn graph_io_quantization<P: Plugin>(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    index: usize,
    quant_out: *mut WasinnBackendQuantization,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let g = graph_ref::<P>(graph)?;
        if quant_out.is_null() {
            return Err(null("quant_out"));
        }
        let len = if is_output != 0 { g.outputs.len() } else { g.inputs.len() };
        if index >= len {
            return Err(PluginError::invalid(format!("index {index} out of range")));
        }
        let q = match g.graph.quantization(is_output != 0, index)? {
            Quant::None => WasinnBackendQuantization::default(),
            Quant::PerTensor { scale, zero_point } => {
                WasinnBackendQuantization { kind: WASINN_BACKEND_QUANT_PER_TENSOR, scale, zero_point, axis: 0 }
            }
            Quant::PerAxis { axis } => WasinnBackendQuantization { kind: WASINN_BACKEND_QUANT_PER_AXIS, axis, ..Default::default() },
            Quant::Other => WasinnBackendQuantization { kind: WASINN_BACKEND_QUANT_OTHER, ..Default::default() },
        };
        *quant_out = q;
        Ok(())
    })
}

unsafe extern "C" fn ctx_compute<P: Plugin>(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32 {
    boundary(err, || {
        let c = (ctx as *mut CtxBox<P::Graph>).as_mut().ok_or_else(|| null("ctx"))?;
        c.ctx.compute()
    })
}

unsafe extern "C" fn ctx_get_output<P: Plugin>(
    ctx: *const WasinnBackendCtx,
    index: usize,
    tensor_out: *mut WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let c = (ctx as *const CtxBox<P::Graph>).as_ref().ok_or_else(|| null("ctx"))?;
        if tensor_out.is_null() {
            return Err(null("tensor_out"));
        }
        *tensor_out = raw_tensor(c.ctx.output(index)?);
        Ok(())
    })
}

fn raw_tensor(v: TensorView<'_>) -> WasinnBackendTensor {
    WasinnBackendTensor {
        dims: v.dims.as_ptr(),
        rank: v.dims.len(),
        data: v.data.as_ptr(),
        len: v.data.len(),
        ty: v.ty,
        reserved: 0,
    }
}

unsafe extern "C" fn graph_derive<P: Plugin>(
    graph: *const WasinnBackendGraph,
    config: *const u8,
    config_len: usize,
    graph_out: *mut *mut WasinnBackendGraph,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let g = graph_ref::<P>(graph)?;
        if graph_out.is_null() {
            return Err(null("graph_out"));
        }
        let config = if config_len == 0 {
            &[][..]
        } else if config.is_null() {
            return Err(null("config"));
        } else {
            std::slice::from_raw_parts(config, config_len)
        };
        let derived = g.graph.derive(config)?;
        let boxed =
            GraphBox { inputs: derived.inputs().to_vec(), outputs: derived.outputs().to_vec(), graph: Arc::new(derived) };
        *graph_out = Box::into_raw(Box::new(boxed)) as *mut WasinnBackendGraph;
        Ok(())
    })
}

unsafe extern "C" fn ctx_compute_single<P: Plugin>(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32 {
    boundary(err, || {
        let c = (ctx as *mut CtxBox<P::Graph>).as_mut().ok_or_else(|| null("ctx"))?;
        c.ctx.compute_single()
    })
}

unsafe extern "C" fn ctx_get_output_single<P: Plugin>(
    ctx: *const WasinnBackendCtx,
    index: usize,
    tensor_out: *mut WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32 {
    boundary(err, || {
        let c = (ctx as *const CtxBox<P::Graph>).as_ref().ok_or_else(|| null("ctx"))?;
        if tensor_out.is_null() {
            return Err(null("tensor_out"));
        }
        *tensor_out = raw_tensor(c.ctx.output_single(index)?);
        Ok(())
    })
}

unsafe extern "C" fn ctx_fini_single<P: Plugin>(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32 {
    boundary(err, || {
        let c = (ctx as *mut CtxBox<P::Graph>).as_mut().ok_or_else(|| null("ctx"))?;
        c.ctx.fini_single()
    })
}

/// Exports `wasinn_backend_plugin_entry` for the plugin type `$plugin`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The plugin's one exported symbol (see `wasinn_backend.h`).
        ///
        /// # Safety
        /// Called by libwasinn with the pointers documented in the plugin ABI.
        #[no_mangle]
        pub unsafe extern "C" fn wasinn_backend_plugin_entry(
            host_abi_version: u32,
            table: *mut $crate::abi::WasinnBackendPlugin,
            table_size: usize,
            err: *mut $crate::abi::WasinnBackendError,
        ) -> u32 {
            $crate::entry::<$plugin>(host_abi_version, table, table_size, err)
        }
        const _: $crate::abi::WasinnBackendEntryFn = wasinn_backend_plugin_entry;
    };
}

/// Helpers plugins share for finding their vendor library.
pub mod find {
    use std::path::{Path, PathBuf};

    /// The first file in `dir` whose name starts with `prefix` (e.g. `libonnxruntime.so.`),
    /// preferring the longest name (the fully versioned file).
    pub fn versioned_lib(dir: &Path, prefix: &str) -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n == prefix.trim_end_matches('.') || n.starts_with(prefix))
            })
            .collect();
        found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        found.into_iter().next()
    }

    /// Python `site-packages` directories to look in for a vendor wheel: `$VIRTUAL_ENV`, then
    /// `$WASINN_PYTHON_SITE_PACKAGES` (colon-separated), each as given or as
    /// `<venv>/lib/python3*/site-packages`. No Python is run.
    pub fn site_packages() -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = Vec::new();
        if let Some(v) = std::env::var_os("WASINN_PYTHON_SITE_PACKAGES") {
            roots.extend(std::env::split_paths(&v));
        }
        if let Some(v) = std::env::var_os("VIRTUAL_ENV") {
            roots.push(PathBuf::from(v));
        }
        let mut out = Vec::new();
        for root in roots {
            if root.file_name().is_some_and(|n| n == "site-packages") {
                out.push(root);
                continue;
            }
            for lib in ["lib", "lib64"] {
                if let Ok(entries) = std::fs::read_dir(root.join(lib)) {
                    let mut pys: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.path().join("site-packages"))
                        .filter(|p| p.is_dir())
                        .collect();
                    pys.sort();
                    out.extend(pys);
                }
            }
        }
        out
    }
}

/// A minimal reader of the ONNX protobuf: enough to find tensors whose data lives in external
/// files (which a model from guest bytes must never make the host read; plugins run it before
/// handing the bytes to their vendor library, which would otherwise resolve such paths itself),
/// and to read what the main graph declares as its inputs and outputs (names, order, element
/// types, shapes), so a plugin can present the model's own interface even where its vendor
/// library renames or prunes graph inputs. Field numbers are onnx.proto3's.
pub mod onnx {
    use crate::abi::*;
    use crate::IoDesc;

    /// Where the first external-data tensor points (its `location`, or `"?"`), `Ok(None)` when
    /// there is none, `Err` when the bytes are not a well-formed protobuf.
    pub fn find_external_data(model: &[u8]) -> Result<Option<String>, String> {
        walk(model, Kind::Model, 0)
    }

    /// The main graph's declared inputs (initializers excluded: models before IR 4 list them as
    /// inputs too) and outputs, in declaration order. A value that is not a tensor (sequence,
    /// map, optional) or has an element type libwasinn lacks gets `WASINN_BACKEND_TENSOR_TYPE_UNKNOWN`
    /// and no dims.
    pub fn graph_io(model: &[u8]) -> Result<(Vec<IoDesc>, Vec<IoDesc>), String> {
        let mut graph = None;
        for f in Fields::new(model) {
            if let (7, Field::Bytes(b)) = f? {
                graph = Some(b);
            }
        }
        let graph = graph.ok_or("the model has no graph")?;
        let (mut inputs, mut outputs, mut initializers) = (Vec::new(), Vec::new(), Vec::new());
        for f in Fields::new(graph) {
            match f? {
                (11, Field::Bytes(b)) => inputs.push(value_info(b)?),
                (12, Field::Bytes(b)) => outputs.push(value_info(b)?),
                (5, Field::Bytes(b)) => initializers.push(tensor_name(b)?),
                _ => {}
            }
        }
        inputs.retain(|i| !initializers.contains(&i.name));
        Ok((inputs, outputs))
    }

    /// libwasinn's tensor type for an ONNX `TensorProto.DataType` value.
    pub fn tensor_type(elem_type: u64) -> Option<u32> {
        Some(match elem_type {
            1 => WASINN_BACKEND_TENSOR_TYPE_FP32,
            2 => WASINN_BACKEND_TENSOR_TYPE_U8,
            3 => WASINN_BACKEND_TENSOR_TYPE_I8,
            4 => WASINN_BACKEND_TENSOR_TYPE_U16,
            5 => WASINN_BACKEND_TENSOR_TYPE_I16,
            6 => WASINN_BACKEND_TENSOR_TYPE_I32,
            7 => WASINN_BACKEND_TENSOR_TYPE_I64,
            8 => WASINN_BACKEND_TENSOR_TYPE_STRING,
            9 => WASINN_BACKEND_TENSOR_TYPE_BOOL,
            10 => WASINN_BACKEND_TENSOR_TYPE_FP16,
            11 => WASINN_BACKEND_TENSOR_TYPE_FP64,
            12 => WASINN_BACKEND_TENSOR_TYPE_U32,
            13 => WASINN_BACKEND_TENSOR_TYPE_U64,
            16 => WASINN_BACKEND_TENSOR_TYPE_BF16,
            17 => WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN,
            18 => WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FNUZ,
            19 => WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2,
            20 => WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2FNUZ,
            21 => WASINN_BACKEND_TENSOR_TYPE_U4,
            22 => WASINN_BACKEND_TENSOR_TYPE_I4,
            23 => WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1,
            24 => WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0,
            25 => WASINN_BACKEND_TENSOR_TYPE_U2,
            26 => WASINN_BACKEND_TENSOR_TYPE_I2,
            _ => return None,
        })
    }

    fn utf8(b: &[u8], what: &str) -> Result<String, String> {
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }

    fn tensor_name(tensor: &[u8]) -> Result<String, String> {
        let mut name = String::new();
        for f in Fields::new(tensor) {
            if let (8, Field::Bytes(b)) = f? {
                name = utf8(b, "an initializer name")?;
            }
        }
        Ok(name)
    }

    /// A `ValueInfoProto`: name (1), type (2) -> `TypeProto.tensor_type` (1) -> elem_type (1),
    /// shape (2) -> dim (1) -> dim_value (1) | dim_param (2).
    fn value_info(b: &[u8]) -> Result<IoDesc, String> {
        let mut desc = IoDesc::new(String::new(), WASINN_BACKEND_TENSOR_TYPE_UNKNOWN, None);
        for f in Fields::new(b) {
            match f? {
                (1, Field::Bytes(n)) => desc.name = utf8(n, "a graph input or output name")?,
                (2, Field::Bytes(t)) => {
                    for f in Fields::new(t) {
                        if let (1, Field::Bytes(tensor)) = f? {
                            tensor_type_proto(tensor, &mut desc)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(desc)
    }

    fn tensor_type_proto(b: &[u8], desc: &mut IoDesc) -> Result<(), String> {
        for f in Fields::new(b) {
            match f? {
                (1, Field::Varint(t)) => desc.ty = tensor_type(t).unwrap_or(WASINN_BACKEND_TENSOR_TYPE_UNKNOWN),
                (2, Field::Bytes(shape)) => {
                    let mut dims = Vec::new();
                    for f in Fields::new(shape) {
                        if let (1, Field::Bytes(dim)) = f? {
                            let mut d = WASINN_BACKEND_DIM_DYNAMIC;
                            for f in Fields::new(dim) {
                                if let (1, Field::Varint(v)) = f? {
                                    d = i64::try_from(v).ok().filter(|&v| v >= 0).unwrap_or(WASINN_BACKEND_DIM_DYNAMIC);
                                }
                            }
                            dims.push(d);
                        }
                    }
                    desc.dims = Some(dims);
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Model,
        Graph,
        Node,
        Attribute,
        Tensor,
        Sparse,
        Function,
        Training,
        StringEntry,
    }

    /// The kind of message a length-delimited field of `kind` holds, if it leads to tensors.
    fn child(kind: Kind, field: u64) -> Option<Kind> {
        use Kind::*;
        Some(match (kind, field) {
            (Model, 7) => Graph,
            (Model, 25) => Function,
            (Model, 20) => Training,
            (Graph, 1) => Node,
            (Graph, 5) => Tensor,
            (Graph, 15) => Sparse,
            (Node, 5) => Attribute,
            (Attribute, 5) | (Attribute, 10) => Tensor,
            (Attribute, 6) | (Attribute, 11) => Graph,
            (Attribute, 22) | (Attribute, 23) => Sparse,
            (Sparse, 1) | (Sparse, 2) => Tensor,
            (Function, 7) => Node,
            (Training, 1) | (Training, 2) => Graph,
            (Tensor, 13) => StringEntry,
            _ => return None,
        })
    }

    /// One field's value: varints and length-delimited bodies are kept, fixed-size ones skipped.
    enum Field<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    /// The fields of one message, in order; stops after the first malformed one (yielded as `Err`).
    struct Fields<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl<'a> Fields<'a> {
        fn new(buf: &'a [u8]) -> Self {
            Fields { buf, pos: 0 }
        }

        fn varint(&mut self) -> Result<u64, String> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
                self.pos += 1;
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("varint too long".into())
        }

        fn skip(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
            let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| format!("truncated {what}"))?;
            let body = &self.buf[self.pos..end];
            self.pos = end;
            Ok(body)
        }

        fn field(&mut self) -> Result<(u64, Field<'a>), String> {
            let tag = self.varint()?;
            let (field, wire) = (tag >> 3, tag & 7);
            let value = match wire {
                0 => Field::Varint(self.varint()?),
                1 => self.skip(8, "fixed64").map(|_| Field::Fixed)?,
                5 => self.skip(4, "fixed32").map(|_| Field::Fixed)?,
                2 => {
                    let len = usize::try_from(self.varint()?).map_err(|_| "length overflow")?;
                    Field::Bytes(self.skip(len, "field")?)
                }
                _ => return Err(format!("unsupported protobuf wire type {wire}")),
            };
            Ok((field, value))
        }
    }

    impl<'a> Iterator for Fields<'a> {
        type Item = Result<(u64, Field<'a>), String>;
        fn next(&mut self) -> Option<Self::Item> {
            if self.pos >= self.buf.len() {
                return None;
            }
            let item = self.field();
            if item.is_err() {
                self.pos = self.buf.len();
            }
            Some(item)
        }
    }

    fn walk(buf: &[u8], kind: Kind, depth: u32) -> Result<Option<String>, String> {
        if depth > 64 {
            return Err("protobuf nesting too deep".into());
        }
        let mut external = false;
        let mut location: Option<String> = None;
        let (mut key, mut value) = (None::<&[u8]>, None::<&[u8]>);
        for f in Fields::new(buf) {
            match f? {
                (14, Field::Varint(1)) if kind == Kind::Tensor => external = true,
                (1, Field::Bytes(body)) if kind == Kind::StringEntry => key = Some(body),
                (2, Field::Bytes(body)) if kind == Kind::StringEntry => value = Some(body),
                (field, Field::Bytes(body)) => {
                    if let Some(next) = child(kind, field) {
                        if next == Kind::StringEntry {
                            external = true;
                            if let Some(loc) = walk(body, next, depth + 1)? {
                                location.get_or_insert(loc);
                            }
                        } else if let Some(found) = walk(body, next, depth + 1)? {
                            return Ok(Some(found));
                        }
                    }
                }
                _ => {}
            }
        }
        if kind == Kind::StringEntry {
            // Report the location entry's value to the enclosing tensor.
            return Ok((key == Some(b"location".as_slice()))
                .then(|| String::from_utf8_lossy(value.unwrap_or_default()).into_owned()));
        }
        Ok(external.then(|| location.unwrap_or_else(|| "?".into())))
    }
}
