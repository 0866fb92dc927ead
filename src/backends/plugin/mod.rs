//! A loaded backend plugin behind the core's [`Backend`] traits.
//!
//! Every call goes through the plugin's table with a host-owned error buffer (one per context,
//! reused by every call on it: a context is used by one thread at a time); statuses map
//! 1:1 onto [`Status`] (unknown values become `RuntimeError`). Everything the plugin returns is
//! validated before the core sees it: names are copied, bounded and must be UTF-8, ranks bounded by
//! [`MAX_RANK`], pointers checked non-NULL (when their length is not 0) and aligned, element types
//! and statuses checked against the ABI's sets, output views checked for
//! `product(dims) * element size == len` with checked arithmetic, and the error buffer re-armed
//! before every call (`ErrorBuf::reset`), so a plugin returning garbage sizes or pointers gets a
//! `RuntimeError` naming it, never an out-of-bounds read. (A non-NULL pointer into unmapped memory
//! cannot be detected: plugins are trusted code, see SECURITY.md.)
//!
//! Ownership: a graph handle is freed with the plugin's `graph_free` when the last `Arc` of the
//! graph goes; every context holds such an `Arc`, so contexts are always freed (`ctx_free`)
//! before their graph.
//!
//! [`discovery`] finds, opens and validates the plugin files, after [`probe`] has tried each in a
//! child process.

use std::cell::RefCell;
use std::ffi::CString;
use std::sync::Arc;

use wasinn_plugin_abi as abi;

pub mod discovery;
pub mod probe;

use crate::core::backend::{Backend, BackendContext, BackendGraph, Dim, IoInfo, LoadRequest, Quantization};
use crate::core::error::{Error, Result};
use discovery::{ErrorBuf, FnOf, OpenedPlugin, PluginFns};
use crate::core::tensor::{byte_len, check_data, OutputRef, TensorRef, MAX_RANK};
use crate::core::types::{Encoding, Target, TensorType};

/// Most inputs or outputs accepted from a plugin's model.
const MAX_IO: usize = 1 << 16;
/// Longest input/output name accepted from a plugin.
const MAX_NAME: usize = 4096;

/// A backend served by a plugin.
pub struct PluginBackend {
    name: String,
    version: String,
    path: std::path::PathBuf,
    encodings: Vec<Encoding>,
    targets: Vec<Target>,
    fns: PluginFns,
}

impl PluginBackend {
    pub(crate) fn new(p: OpenedPlugin) -> Self {
        PluginBackend {
            name: p.name,
            version: p.version,
            path: p.path,
            encodings: p.encodings,
            targets: p.targets,
            fns: p.table,
        }
    }
    /// The plugin file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Backend for PluginBackend {
    fn name(&self) -> &str {
        &self.name
    }
    fn version(&self) -> &str {
        &self.version
    }
    fn encodings(&self) -> &[Encoding] {
        &self.encodings
    }
    fn targets(&self) -> &[Target] {
        &self.targets
    }
    fn load(&self, request: &LoadRequest<'_>) -> Result<Arc<dyn BackendGraph>> {
        let builders: Vec<abi::WasinnBackendBytes> =
            request.builders.iter().map(|b| abi::WasinnBackendBytes { data: b.as_ptr(), len: b.len() }).collect();
        let dir = match request.model_dir {
            Some(d) => {
                use std::os::unix::ffi::OsStrExt;
                Some(CString::new(d.as_os_str().as_bytes()).map_err(|_| Error::invalid("model directory contains a NUL byte"))?)
            }
            None => None,
        };
        let target = match request.target {
            Target::Auto => *self.targets.first().unwrap_or(&Target::Cpu),
            t => t,
        };
        let mut err = ErrorBuf::new();
        let mut graph: *mut abi::WasinnBackendGraph = std::ptr::null_mut();
        // SAFETY: the plugin ABI's load contract: host buffers valid for the call, out-pointers valid.
        let status = unsafe {
            (self.fns.load)(
                builders.as_ptr(),
                builders.len(),
                request.encoding as u32,
                target as u32,
                dir.as_ref().map_or(std::ptr::null(), |d| d.as_ptr()),
                &mut graph,
                &mut err.raw,
            )
        };
        err.check(status, format_args!("{} load", self.name))?;
        if graph.is_null() {
            return Err(Error::runtime(format!("the {} plugin reported success but returned no graph", self.name)));
        }
        let handle = GraphHandle::new(self.fns, graph, self.name.clone())?;
        warn_reduced_precision(&self.name, target, &handle.inputs, &handle.outputs);
        Ok(Arc::new(PluginGraph(Arc::new(handle))))
    }
}

/// Element types a vendor backend silently computes in a narrower type, as measured by the
/// conformance runs: (backend, target, type, what happens). A load with such ports says so in
/// the log, naming them, rather than letting truncated values arrive with no hint.
pub const REDUCED_PRECISION: &[(&str, Target, TensorType, &str)] = &[(
    "openvino",
    Target::Cpu,
    TensorType::I64,
    "OpenVINO's CPU plugin computes i64 as i32: values outside the i32 range are silently truncated",
)];

/// Logs a warning (at load) for the ports of a model whose element type `backend` computes at a
/// reduced precision on `target` (see [`REDUCED_PRECISION`]).
fn warn_reduced_precision(backend: &str, target: Target, inputs: &[IoInfo], outputs: &[IoInfo]) {
    for &(b, t, ty, what) in REDUCED_PRECISION {
        if b != backend || t != target {
            continue;
        }
        let names = |io: &[IoInfo]| -> Vec<String> {
            io.iter().filter(|p| p.ty == Some(ty)).map(|p| format!("{:?}", p.name)).collect()
        };
        let (ins, outs) = (names(inputs), names(outputs));
        if ins.is_empty() && outs.is_empty() {
            continue;
        }
        crate::wasinn_log!(
            Warn,
            "load: {what}; this model's {ty} ports: inputs [{}], outputs [{}]",
            ins.join(", "),
            outs.join(", ")
        );
    }
}

/// Owns a plugin graph pointer.
struct GraphHandle {
    fns: PluginFns,
    ptr: *mut abi::WasinnBackendGraph,
    inputs: Vec<IoInfo>,
    outputs: Vec<IoInfo>,
    backend: String,
}

// SAFETY: the plugin ABI requires graphs to be usable from many threads at once.
unsafe impl Send for GraphHandle {}
// SAFETY: as above.
unsafe impl Sync for GraphHandle {}

impl Drop for GraphHandle {
    fn drop(&mut self) {
        // SAFETY: freed once, after every context (they hold an Arc of this handle).
        unsafe { (self.fns.graph_free)(self.ptr) }
    }
}

impl GraphHandle {
    /// Takes ownership of a graph the plugin returned (non-NULL) and copies its declared ports;
    /// on failure the graph is freed (by the handle's drop).
    fn new(fns: PluginFns, ptr: *mut abi::WasinnBackendGraph, backend: String) -> Result<GraphHandle> {
        let mut handle = GraphHandle { fns, ptr, inputs: Vec::new(), outputs: Vec::new(), backend };
        handle.inputs = handle.io(false)?;
        handle.outputs = handle.io(true)?;
        Ok(handle)
    }

    /// Copies the declared inputs or outputs out of plugin memory.
    fn io(&self, is_output: bool) -> Result<Vec<IoInfo>> {
        let what = if is_output { "output" } else { "input" };
        let mut err = ErrorBuf::new();
        let mut count = 0usize;
        // SAFETY: valid graph and out-pointers.
        let status = unsafe { (self.fns.graph_io_count)(self.ptr, is_output as u32, &mut count, &mut err.raw) };
        err.check(status, format_args!("{} {what} count", self.backend))?;
        if count > MAX_IO {
            return Err(Error::runtime(format!("the {} plugin reports {count} {what}s, more than {MAX_IO}", self.backend)));
        }
        let mut out = Vec::with_capacity(count);
        for index in 0..count {
            let mut info = abi::WasinnBackendIoInfo {
                name: std::ptr::null(),
                name_len: 0,
                dims: std::ptr::null(),
                rank: abi::WASINN_BACKEND_RANK_UNKNOWN,
                ty: abi::WASINN_BACKEND_TENSOR_TYPE_UNKNOWN,
                flags: 0,
            };
            err.reset();
            // SAFETY: valid graph and out-pointers.
            let status = unsafe { (self.fns.graph_io_info)(self.ptr, is_output as u32, index, &mut info, &mut err.raw) };
            err.check(status, format_args!("{} {what} {index} info", self.backend))?;
            let bad = |m: &str| Error::runtime(format!("the {} plugin describes {what} {index} badly: {m}", self.backend));
            if info.name_len > MAX_NAME || (info.name.is_null() && info.name_len > 0) {
                return Err(bad("invalid name"));
            }
            // SAFETY: plugin memory of name_len bytes, valid while the graph lives; copied now.
            let name = if info.name_len == 0 {
                String::new()
            } else {
                let raw = unsafe { std::slice::from_raw_parts(info.name, info.name_len) };
                std::str::from_utf8(raw).map_err(|_| bad("its name is not UTF-8"))?.to_string()
            };
            let dims = match info.rank {
                abi::WASINN_BACKEND_RANK_UNKNOWN => None,
                r if r < 0 || r as usize > MAX_RANK => return Err(bad(&format!("rank {r}"))),
                0 => Some(Vec::new()),
                r => {
                    if info.dims.is_null() {
                        return Err(bad("NULL dims"));
                    }
                    if !info.dims.is_aligned() {
                        return Err(bad("misaligned dims pointer"));
                    }
                    // SAFETY: plugin memory of `rank` i64s; copied now.
                    let raw = unsafe { std::slice::from_raw_parts(info.dims, r as usize) };
                    Some(
                        raw.iter()
                            .map(|&d| match d {
                                abi::WASINN_BACKEND_DIM_DYNAMIC => Ok(Dim::Dynamic),
                                d if d >= 0 => Ok(Dim::Fixed(d as u64)),
                                d => Err(bad(&format!("dimension {d}"))),
                            })
                            .collect::<Result<Vec<_>>>()?,
                    )
                }
            };
            let ty = TensorType::try_from(info.ty).ok();
            let quant = self.quantization(is_output, index, &name, ty, &mut err)?;
            // `flags` was a reserved field before ABI version 3: never read it from older plugins.
            let optional = !is_output && self.fns.abi_version >= 3 && info.flags & abi::WASINN_BACKEND_IO_OPTIONAL != 0;
            out.push(IoInfo { name, ty, dims, quant, optional });
        }
        Ok(out)
    }
}

impl GraphHandle {
    /// The per-tensor quantization of one port, from the plugin's optional (ABI v2)
    /// `graph_io_quantization`; `None` when the plugin does not report it, the port is not
    /// quantized, or it is quantized per axis or otherwise (logged, since the C API then says 0).
    /// Validated: a per-tensor scale must be finite and positive and the zero point within the
    /// port's integer type, else the load fails naming the port.
    fn quantization(
        &self,
        is_output: bool,
        index: usize,
        name: &str,
        ty: Option<TensorType>,
        err: &mut ErrorBuf,
    ) -> Result<Option<Quantization>> {
        let Some(f) = self.fns.graph_io_quantization else { return Ok(None) };
        let what = if is_output { "output" } else { "input" };
        let mut q = abi::WasinnBackendQuantization::default();
        err.raw.len = 0;
        // SAFETY: valid graph, index below the count the plugin reported, valid out-pointers.
        let status = unsafe { f(self.ptr, is_output as u32, index, &mut q, &mut err.raw) };
        err.check(status, format_args!("{} {what} {index} quantization", self.backend))?;
        let bad = |m: String| {
            Error::runtime(format!("the {} plugin reports an invalid quantization for {what} {index} ({name:?}): {m}", self.backend))
        };
        match q.kind {
            abi::WASINN_BACKEND_QUANT_NONE => Ok(None),
            abi::WASINN_BACKEND_QUANT_PER_TENSOR => {
                if !(q.scale.is_finite() && q.scale > 0.0) {
                    return Err(bad(format!("scale {}", q.scale)));
                }
                let range: Option<(i64, i64)> = match ty {
                    Some(TensorType::U8) => Some((0, u8::MAX.into())),
                    Some(TensorType::I8) => Some((i8::MIN.into(), i8::MAX.into())),
                    Some(TensorType::U16) => Some((0, u16::MAX.into())),
                    Some(TensorType::I16) => Some((i16::MIN.into(), i16::MAX.into())),
                    Some(TensorType::U32) => Some((0, u32::MAX.into())),
                    Some(TensorType::I32) => Some((i32::MIN.into(), i32::MAX.into())),
                    Some(TensorType::I64 | TensorType::U64) => Some((i64::MIN, i64::MAX)),
                    _ => None,
                };
                let Some((lo, hi)) = range else {
                    return Err(bad(format!("a per-tensor quantization on a {} tensor", ty.map_or("untyped".to_string(), |t| t.to_string()))));
                };
                if !(lo..=hi).contains(&q.zero_point) {
                    return Err(bad(format!("zero point {} outside {lo}..={hi}", q.zero_point)));
                }
                Ok(Some(Quantization { scale: q.scale, zero_point: q.zero_point }))
            }
            abi::WASINN_BACKEND_QUANT_PER_AXIS | abi::WASINN_BACKEND_QUANT_OTHER => {
                let how = if q.kind == abi::WASINN_BACKEND_QUANT_PER_AXIS {
                    format!("per axis (dimension {})", q.axis)
                } else {
                    "by a scheme other than per tensor".to_string()
                };
                crate::wasinn_log!(
                    Info,
                    "load: {what} {index} ({name:?}) is quantized {how}: it has no per-tensor scale and zero point, \
                     so wasinn_graph_{what}_quantization reports it as not quantized (0)"
                );
                Ok(None)
            }
            k => Err(bad(format!("unknown kind {k}"))),
        }
    }
}

/// The core's view of a plugin graph.
struct PluginGraph(Arc<GraphHandle>);

impl BackendGraph for PluginGraph {
    fn inputs(&self) -> &[IoInfo] {
        &self.0.inputs
    }
    fn outputs(&self) -> &[IoInfo] {
        &self.0.outputs
    }
    fn init_execution_context(&self) -> Result<Box<dyn BackendContext>> {
        let g = &self.0;
        let mut err = ErrorBuf::new();
        let mut ctx: *mut abi::WasinnBackendCtx = std::ptr::null_mut();
        // SAFETY: valid graph and out-pointers.
        let status = unsafe { (g.fns.ctx_new)(g.ptr, &mut ctx, &mut err.raw) };
        err.check(status, format_args!("{} context creation", g.backend))?;
        if ctx.is_null() {
            return Err(Error::runtime(format!("the {} plugin reported success but returned no context", g.backend)));
        }
        Ok(Box::new(PluginContext { graph: Arc::clone(g), ptr: ctx, err: RefCell::new(err) }))
    }

    fn supports_derive(&self) -> bool {
        self.0.fns.graph_derive.is_some()
    }

    fn derive(&self, config: &[u8]) -> Result<Arc<dyn BackendGraph>> {
        let g = &self.0;
        let Some(derive) = g.fns.graph_derive else {
            return Err(Error::unsupported(format!("the {} plugin takes no graph configuration", g.backend)));
        };
        let mut err = ErrorBuf::new();
        let mut out: *mut abi::WasinnBackendGraph = std::ptr::null_mut();
        // SAFETY: the ABI's graph_derive contract: a valid graph, host bytes valid for the call,
        // valid out-pointers.
        let status = unsafe { derive(g.ptr, config.as_ptr(), config.len(), &mut out, &mut err.raw) };
        err.check(status, format_args!("{} graph_derive", g.backend))?;
        if out.is_null() {
            return Err(Error::runtime(format!("the {} plugin reported success but derived no graph", g.backend)));
        }
        if out == g.ptr {
            // Owning it twice would free it twice: the plugin broke the "new graph" contract.
            return Err(Error::runtime(format!("the {} plugin's graph_derive returned the graph it was given", g.backend)));
        }
        // The derived graph is the plugin's own object, freed with graph_free independently of
        // this one (the plugin keeps the shared model alive).
        Ok(Arc::new(PluginGraph(Arc::new(GraphHandle::new(g.fns, out, g.backend.clone())?))))
    }
}

struct PluginContext {
    graph: Arc<GraphHandle>,
    ptr: *mut abi::WasinnBackendCtx,
    /// Reused for every call on this context (a context is used by one thread at a time), so no
    /// call allocates one; a `RefCell` because `output` takes `&self`.
    err: RefCell<Box<ErrorBuf>>,
}

// SAFETY: the plugin ABI allows a context to move between threads as long as one thread uses it
// at a time, which `&mut self` / the core's mutex guarantee.
unsafe impl Send for PluginContext {}

impl Drop for PluginContext {
    fn drop(&mut self) {
        // SAFETY: freed once; the graph outlives it (we hold an Arc).
        unsafe { (self.graph.fns.ctx_free)(self.ptr) }
    }
}

impl BackendContext for PluginContext {
    fn set_input(&mut self, index: usize, tensor: &TensorRef<'_>) -> Result<()> {
        let t = abi::WasinnBackendTensor {
            dims: tensor.dims().as_ptr(),
            rank: tensor.dims().len(),
            data: tensor.data().as_ptr(),
            len: tensor.data().len(),
            ty: tensor.ty() as u32,
            reserved: 0,
        };
        let err = self.err.get_mut();
        err.reset();
        // SAFETY: host memory valid for the call; the plugin copies it.
        let status = unsafe { (self.graph.fns.ctx_set_input)(self.ptr, index, &t, &mut err.raw) };
        err.check(status, format_args!("{} set_input", self.graph.backend))
    }

    fn compute(&mut self) -> Result<()> {
        let err = self.err.get_mut();
        err.reset();
        // SAFETY: valid context.
        let status = unsafe { (self.graph.fns.ctx_compute)(self.ptr, &mut err.raw) };
        err.check(status, format_args!("{} compute", self.graph.backend))
    }

    fn output(&self, index: usize) -> Result<OutputRef<'_>> {
        self.view(self.graph.fns.ctx_get_output, index, "get_output")
    }

    fn streams(&self) -> bool {
        self.graph.fns.streaming.is_some()
    }

    fn compute_single(&mut self) -> Result<()> {
        let f = self.streaming("compute_single")?.compute_single;
        let err = self.err.get_mut();
        err.reset();
        // SAFETY: valid context.
        let status = unsafe { f(self.ptr, &mut err.raw) };
        err.check(status, format_args!("{} compute_single", self.graph.backend))
    }

    fn output_single(&self, index: usize) -> Result<OutputRef<'_>> {
        let f = self.streaming("get_output_single")?.get_output_single;
        self.view(f, index, "get_output_single")
    }

    fn fini_single(&mut self) -> Result<()> {
        let f = self.streaming("fini_single")?.fini_single;
        let err = self.err.get_mut();
        err.reset();
        // SAFETY: valid context.
        let status = unsafe { f(self.ptr, &mut err.raw) };
        err.check(status, format_args!("{} fini_single", self.graph.backend))
    }
}

impl PluginContext {
    fn streaming(&self, what: &str) -> Result<discovery::StreamingFns> {
        self.graph
            .fns
            .streaming
            .ok_or_else(|| Error::unsupported(format!("{what}: the {} plugin does not stream", self.graph.backend)))
    }

    /// Asks the plugin for output `index` through `get` (`ctx_get_output` or
    /// `ctx_get_output_single`, which share a signature) and validates the view it returns.
    fn view(
        &self,
        get: FnOf<abi::WasinnBackendCtxGetOutputFn>,
        index: usize,
        what: &str,
    ) -> Result<OutputRef<'_>> {
        let mut t = abi::WasinnBackendTensor {
            dims: std::ptr::null(),
            rank: 0,
            data: std::ptr::null(),
            len: 0,
            ty: abi::WASINN_BACKEND_TENSOR_TYPE_UNKNOWN,
            reserved: 0,
        };
        {
            // Never borrowed elsewhere while `output` runs (no re-entrance), so this cannot fail.
            let mut err = self.err.borrow_mut();
            err.reset();
            // SAFETY: valid context and out-pointer.
            let status = unsafe { get(self.ptr, index, &mut t, &mut err.raw) };
            err.check(status, format_args!("{} {what}", self.graph.backend))?;
        }
        let bad = |m: String| Error::runtime(format!("the {} plugin returned an invalid output {index}: {m}", self.graph.backend));
        let ty = TensorType::try_from(t.ty).map_err(|_| bad(format!("unknown tensor type {}", t.ty)))?;
        if t.rank > MAX_RANK {
            return Err(bad(format!("rank {}", t.rank)));
        }
        if t.rank > 0 && t.dims.is_null() {
            return Err(bad(format!("NULL dims with rank {}", t.rank)));
        }
        if t.rank > 0 && !t.dims.is_aligned() {
            return Err(bad("misaligned dims pointer".into()));
        }
        if t.len > 0 && t.data.is_null() {
            return Err(bad(format!("NULL data with {} bytes", t.len)));
        }
        if t.len > isize::MAX as usize {
            return Err(bad(format!("{} bytes", t.len)));
        }
        // SAFETY: plugin memory valid until the next mutation of this context, which `&self`
        // excludes for the lifetime of the returned view.
        let dims: &[usize] = if t.rank == 0 { &[] } else { unsafe { std::slice::from_raw_parts(t.dims, t.rank) } };
        // Fixed-size types: the length alone must match, before any plugin byte is read.
        if let Some(expected) = byte_len(ty, dims).map_err(|e| bad(e.message))? {
            if expected != t.len {
                return Err(bad(format!("{} bytes for {ty} {dims:?}, which needs {expected}", t.len)));
            }
        }
        // SAFETY: as for dims; `len` bytes of plugin memory (checked against the shape above for
        // fixed-size types; string framing is checked next).
        let data: &[u8] = if t.len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(t.data, t.len) } };
        check_data(ty, dims, data).map_err(|e| bad(e.message))?;
        Ok(OutputRef { ty, dims, data })
    }
}
