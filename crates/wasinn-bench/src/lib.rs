//! The work the benchmarks measure, three ways per backend: the backend's own Rust crate called
//! directly, libwasinn's C API (set_input + compute + get_output into a caller buffer), and the
//! `wasinn_witx_*` glue over a byte-vector guest memory. Each way is an [`Infer`]: one call is one
//! inference (every input copied in, compute, every output copied into the caller's buffer), so the
//! three do the same work and their outputs can be compared before anything is timed.
//!
//! Models come from `bench/setup.py` (`manifest.tsv` in `$WASINN_BENCH_MODELS`, default
//! `build/bench/models`). The vendor libraries are the wheels' (found as the plugins find them:
//! `WASINN_PYTHON_SITE_PACKAGES`, else `VIRTUAL_ENV`); libwasinn's plugins are taken from the
//! cargo profile directory this binary was built in unless `WASINN_PLUGIN_PATH` says otherwise.
//!
//! Threads: tract is single-threaded; ONNX Runtime gets one intra-op thread on both sides
//! (`with_intra_threads(1)` directly, `WASINN_ORT_INTRA_OP_THREADS=1` for the plugin, set by
//! [`setup_env`]); OpenVINO sizes its pool by the process's CPU affinity on both sides, so the
//! runs are pinned with `taskset` (scripts/bench.sh). OpenVINO's precision is
//! `WASINN_OPENVINO_PRECISION` (default f32, the plugin's default) on both sides.

use std::ffi::{c_char, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasinn::capi::*;
use wasinn::glue::profile::WASINN_WITX_PROFILE_SPEC;
use wasinn::glue::witx::*;

pub mod native;

/// Element types the manifest uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F32,
    I32,
    I64,
}

impl Elem {
    fn parse(s: &str) -> Result<Elem, String> {
        match s {
            "f32" => Ok(Elem::F32),
            "i32" => Ok(Elem::I32),
            "i64" => Ok(Elem::I64),
            _ => Err(format!("unknown element type {s:?}")),
        }
    }
    /// The C API's `WASINN_TENSOR_TYPE_*` value.
    pub fn capi(self) -> u32 {
        match self {
            Elem::F32 => 1,
            Elem::I32 => 5,
            Elem::I64 => 6,
        }
    }
    /// The witx `tensor_type` value.
    pub fn witx(self) -> u8 {
        match self {
            Elem::F32 => 1,
            Elem::I32 => 4,
            Elem::I64 => 5,
        }
    }
}

/// One model input: type, shape, and its bytes (little-endian, row-major).
#[derive(Clone, Debug)]
pub struct Input {
    pub ty: Elem,
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// One line of the manifest.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub onnx: PathBuf,
    /// OpenVINO IR (XML, weights), when the converter could make one.
    pub ir: Option<(PathBuf, PathBuf)>,
    pub inputs: Vec<Input>,
    pub outputs: usize,
    /// `yes`, or why tract cannot run the model.
    pub tract: String,
}

/// Where bench/setup.py wrote the models.
pub fn models_dir() -> PathBuf {
    std::env::var_os("WASINN_BENCH_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/bench/models"))
}

/// The model `name` of the manifest in [`models_dir`] (read with its inputs), for the bench
/// binaries that take one model on their command line.
pub fn model_named(name: &str) -> Result<Model, String> {
    manifest(&models_dir())?
        .into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("no model {name} in the manifest"))
}

/// The manifest's models (read with their inputs).
pub fn manifest(dir: &Path) -> Result<Vec<Model>, String> {
    let path = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e} (run bench/setup.py first)", path.display()))?;
    text.lines().filter(|l| !l.trim().is_empty()).map(parse_line).collect()
}

fn parse_line(line: &str) -> Result<Model, String> {
    let f: Vec<&str> = line.split('\t').collect();
    let [name, onnx, xml, bin, inputs, outputs, tract] = f[..] else {
        return Err(format!("manifest line with {} fields: {line:?}", f.len()));
    };
    let inputs = inputs
        .split(',')
        .map(|spec| {
            let mut it = spec.splitn(3, ':');
            let (ty, dims, file) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
            let dims = if dims == "-" {
                Vec::new()
            } else {
                dims.split('x').map(|d| d.parse::<usize>().map_err(|e| format!("{spec}: {e}"))).collect::<Result<_, _>>()?
            };
            let data = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            Ok(Input { ty: Elem::parse(ty)?, dims, data })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Model {
        name: name.into(),
        onnx: onnx.into(),
        ir: (xml != "-").then(|| (PathBuf::from(xml), PathBuf::from(bin))),
        inputs,
        outputs: outputs.parse().map_err(|e| format!("{line}: {e}"))?,
        tract: tract.into(),
    })
}

/// The backends, by the name libwasinn gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Tract,
    OnnxRuntime,
    OpenVino,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Tract, Backend::OnnxRuntime, Backend::OpenVino];
    pub fn name(self) -> &'static str {
        match self {
            Backend::Tract => "tract",
            Backend::OnnxRuntime => "onnxruntime",
            Backend::OpenVino => "openvino",
        }
    }
    pub fn parse(s: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == s)
    }
}

/// Why OpenVINO cannot run `model` at all (directly or through libwasinn), if it cannot: the
/// benches skip such a pair and say why instead of failing.
pub fn openvino_cannot(backend: Backend, model: &str) -> Option<&'static str> {
    (backend == Backend::OpenVino && model == "silero-vad")
        .then_some("OpenVINO 2026.4's ONNX frontend cannot convert its If (Conv and ReduceMean of unknown rank in the branch)")
}

/// OpenVINO's inference precision on both sides (`WASINN_OPENVINO_PRECISION`, default f32).
pub fn ov_precision() -> String {
    std::env::var("WASINN_OPENVINO_PRECISION").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "f32".into())
}

/// Sets what the plugins need before libwasinn first looks for them: the plugin directory (this
/// binary's cargo profile directory unless `WASINN_PLUGIN_PATH` is set), the plugin probe of that
/// directory (unless `WASINN_PLUGIN_PROBE` is set: libwasinn is linked statically into the bench,
/// so it would not find the probe an installed libwasinn.so finds beside itself, and would open
/// every plugin in-process at discovery instead of on first use) and one ORT intra-op thread.
pub fn setup_env() {
    let profile = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)).map(|dir| {
        // target/<profile>/deps/bench-... or target/<profile>/bin-name
        if dir.ends_with("deps") {
            dir.parent().map(Path::to_path_buf).unwrap_or(dir)
        } else {
            dir
        }
    });
    if let Some(profile) = &profile {
        if std::env::var_os("WASINN_PLUGIN_PATH").is_none() {
            std::env::set_var("WASINN_PLUGIN_PATH", profile);
        }
        let probe = profile.join("wasinn-plugin-probe");
        if std::env::var_os("WASINN_PLUGIN_PROBE").is_none() && probe.is_file() {
            std::env::set_var("WASINN_PLUGIN_PROBE", probe);
        }
    }
    if std::env::var_os("WASINN_ORT_INTRA_OP_THREADS").is_none() {
        std::env::set_var("WASINN_ORT_INTRA_OP_THREADS", "1");
    }
}

/// This process's resident set (VmRSS), in KiB; 0 where /proc is unreadable.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// The version text libwasinn's backend listing shows for `backend` (`wasinn_backend_version`):
/// what the plugin says of its settings, e.g. OpenVINO's `CPU streams N (...)`. `None` when the
/// backend is not listed or its text cannot be read.
pub fn backend_version(backend: Backend) -> Option<String> {
    // One listing entry's text through the query-then-copy contract of `wasinn_backend_name`.
    let text = |index: usize, get: unsafe extern "C" fn(usize, *mut c_char, usize, *mut usize) -> wasinn_status_t| {
        let mut len = 0usize;
        // SAFETY: a NULL buffer of length 0 only asks for the length, written to a local.
        unsafe { get(index, std::ptr::null_mut(), 0, &mut len) };
        let mut buf = vec![0u8; len.checked_add(1)?];
        // SAFETY: a buffer of `len + 1` bytes, as the call asks.
        (unsafe { get(index, buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut()) } == 0).then_some(())?;
        buf.truncate(len);
        String::from_utf8(buf).ok()
    };
    let mut count = 0usize;
    // SAFETY: an out-pointer to a local.
    check("backend_count", unsafe { wasinn_backend_count(&mut count) }).ok()?;
    let index = (0..count).find(|&i| text(i, wasinn_backend_name).as_deref() == Some(backend.name()))?;
    text(index, wasinn_backend_version)
}

/// One inference per call; outputs land in buffers owned by the way.
pub trait Infer {
    fn infer(&mut self) -> Result<(), String>;
    /// The outputs of the last `infer`, as bytes.
    fn outputs(&self) -> Vec<&[u8]>;
}

/// `sum_j out[j] * (1 + j mod 13)` over each f32 output (every bench model's outputs are f32): the
/// checksum bench/guest/bench.c and bench/native/ov_native.c print.
pub fn checksum(outputs: &[&[u8]]) -> f64 {
    outputs
        .iter()
        .flat_map(|o| o.chunks_exact(4).enumerate())
        .map(|(j, c)| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64 * (1 + j % 13) as f64)
        .sum()
}

/// Largest |a - b| / (1 + |b|) over the outputs of two ways (f32), or an error on a size mismatch.
pub fn max_rel_diff(a: &[&[u8]], b: &[&[u8]]) -> Result<f64, String> {
    if a.len() != b.len() {
        return Err(format!("{} outputs vs {}", a.len(), b.len()));
    }
    let mut worst = 0f64;
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        if x.len() != y.len() {
            return Err(format!("output {k}: {} bytes vs {}", x.len(), y.len()));
        }
        for (p, q) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
            let (p, q) = (f32::from_le_bytes(p.try_into().unwrap()) as f64, f32::from_le_bytes(q.try_into().unwrap()) as f64);
            worst = worst.max((p - q).abs() / (1.0 + q.abs()));
        }
    }
    Ok(worst)
}

fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    // SAFETY: a buffer of the given length; the call NUL-terminates what it writes.
    unsafe { wasinn_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn check(what: &str, status: wasinn_status_t) -> Result<(), String> {
    if status == 0 {
        Ok(())
    } else {
        Err(format!("{what}: status {status}: {}", last_error()))
    }
}

// ---------------------------------------------------------------------------------------------
// libwasinn's C API.

/// A graph and context loaded through `wasinn_graph_load_with_backend`, with caller-owned output
/// buffers.
pub struct CApi {
    graph: wasinn_graph_t,
    /// False for a context made by [`CApi::fork`]: the original frees the graph.
    owns_graph: bool,
    ctx: wasinn_exec_ctx_t,
    dims: Vec<Vec<u32>>,
    model: Model,
    outs: Vec<Vec<u8>>,
}

impl CApi {
    pub fn load(backend: Backend, model: &Model) -> Result<CApi, String> {
        let bytes = std::fs::read(&model.onnx).map_err(|e| format!("{}: {e}", model.onnx.display()))?;
        let builder = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
        let name = CString::new(backend.name()).unwrap();
        let (mut graph, mut ctx) = (0, 0);
        // SAFETY: valid pointers for the duration of each call.
        unsafe {
            check("load", wasinn_graph_load_with_backend(&builder, 1, 1 /* onnx */, 0 /* cpu */, name.as_ptr(), &mut graph))?;
            check("exec_ctx_new", wasinn_exec_ctx_new(graph, &mut ctx))?;
        }
        let dims = model.inputs.iter().map(|i| i.dims.iter().map(|&d| d as u32).collect()).collect();
        let mut me = CApi { graph, owns_graph: true, ctx, dims, model: model.clone(), outs: Vec::new() };
        // Size the output buffers from one run (the needed size is what get_output reports).
        me.set_inputs()?;
        check("compute", wasinn_exec_ctx_compute(me.ctx))?;
        for k in 0..model.outputs {
            let mut need = 0usize;
            // SAFETY: a NULL buffer of length 0 asks for the size.
            unsafe { wasinn_exec_ctx_get_output(me.ctx, k, std::ptr::null_mut(), 0, &mut need) };
            me.outs.push(vec![0u8; need]);
        }
        Ok(me)
    }

    /// Another context of the same graph (for the concurrency figure); drop it before `self`.
    pub fn fork(&self) -> Result<CApi, String> {
        let mut ctx = 0;
        // SAFETY: a live graph; out-pointer to a local.
        check("exec_ctx_new", unsafe { wasinn_exec_ctx_new(self.graph, &mut ctx) })?;
        let outs = self.outs.iter().map(|o| vec![0u8; o.len()]).collect();
        Ok(CApi { graph: self.graph, owns_graph: false, ctx, dims: self.dims.clone(), model: self.model.clone(), outs })
    }

    fn set_inputs(&mut self) -> Result<(), String> {
        for (k, (input, dims)) in self.model.inputs.iter().zip(&self.dims).enumerate() {
            let t = wasinn_tensor_t {
                r#type: input.ty.capi(),
                dims: dims.as_ptr(),
                rank: dims.len(),
                data: input.data.as_ptr(),
                data_len: input.data.len(),
            };
            // SAFETY: the tensor borrows live buffers for the call.
            check("set_input", unsafe { wasinn_exec_ctx_set_input(self.ctx, k, &t) })?;
        }
        Ok(())
    }
}

impl Infer for CApi {
    fn infer(&mut self) -> Result<(), String> {
        self.set_inputs()?;
        // SAFETY: a live context; each output buffer is ours, of its length.
        unsafe {
            check("compute", wasinn_exec_ctx_compute(self.ctx))?;
            for (k, out) in self.outs.iter_mut().enumerate() {
                let mut written = 0usize;
                check("get_output", wasinn_exec_ctx_get_output(self.ctx, k, out.as_mut_ptr().cast(), out.len(), &mut written))?;
            }
        }
        Ok(())
    }
    fn outputs(&self) -> Vec<&[u8]> {
        self.outs.iter().map(Vec::as_slice).collect()
    }
}

/// Per-inference data-path figures of one way, from `wasinn_stats_get` deltas over several
/// inferences: what the "one copy in, one copy out, no tensor-sized allocation" target
/// is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataPath {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub tensor_allocs: u64,
    pub tensor_alloc_bytes: u64,
}

/// Runs `n` (at least 1) inferences of `way` and returns libwasinn's data-path counters per
/// inference (process-wide counters: nothing else may run inferences meanwhile).
pub fn data_path(way: &mut dyn Infer, n: u64) -> Result<DataPath, String> {
    fn snap() -> Result<wasinn_stats_t, String> {
        let mut s = wasinn_stats_t::default();
        // SAFETY: a valid out-pointer of the size given.
        check("stats_get", unsafe { wasinn_stats_get(&mut s, std::mem::size_of::<wasinn_stats_t>()) })?;
        Ok(s)
    }
    let n = n.max(1);
    let a = snap()?;
    for _ in 0..n {
        way.infer()?;
    }
    let d = snap()?.since(&a);
    Ok(DataPath {
        bytes_in: d.bytes_in / n,
        bytes_out: d.bytes_out / n,
        tensor_allocs: d.tensor_allocs / n,
        tensor_alloc_bytes: d.tensor_alloc_bytes / n,
    })
}

impl Drop for CApi {
    fn drop(&mut self) {
        // Handles we own, freed once (a stale handle would only be INVALID_ARGUMENT).
        wasinn_exec_ctx_free(self.ctx);
        if self.owns_graph {
            wasinn_graph_free(self.graph);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The witx glue over a byte-vector guest memory.

/// A guest memory laid out as a C guest would: the builder, the out-words, one 20-byte witx tensor
/// per input with its dims, the input bytes, one output buffer per output; then the glue's calls
/// with the offsets a guest would pass.
pub struct Witx {
    inst: *mut wasinn_witx_instance_t,
    mem: Vec<u8>,
    ctx: u32,
    tensors: Vec<u32>,
    outs: Vec<(u32, u32)>,
}

const W_BUILDER: u32 = 0;
const W_GRAPH: u32 = 8;
const W_CTX: u32 = 12;
const W_WRITTEN: u32 = 16;
const W_TENSORS: u32 = 64;
const W_DIMS: u32 = 512;
const W_DATA: u32 = 4096;

fn put_u32(mem: &mut [u8], at: u32, v: u32) {
    mem[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
}

impl Witx {
    /// Loads the model through `wasinn_witx_load` (ONNX bytes in guest memory) on `backend`
    /// (`WASINN_BACKEND`, which libwasinn reads at each load), sizing the output buffers from
    /// `sizes` (the C API's).
    pub fn load(backend: Backend, model: &Model, sizes: &[usize]) -> Result<Witx, String> {
        let bytes = std::fs::read(&model.onnx).map_err(|e| format!("{}: {e}", model.onnx.display()))?;
        let total = W_DATA as usize
            + bytes.len()
            + model.inputs.iter().map(|i| i.data.len() + 16).sum::<usize>()
            + sizes.iter().map(|s| s + 16).sum::<usize>();
        let mut mem = vec![0u8; total.div_ceil(65536) * 65536];
        let at = |n: usize| u32::try_from(n).map_err(|_| "model too large for a wasm32 memory".to_string());
        let mut cur = W_DATA as usize;
        mem[cur..cur + bytes.len()].copy_from_slice(&bytes);
        put_u32(&mut mem, W_BUILDER, at(cur)?);
        put_u32(&mut mem, W_BUILDER + 4, at(bytes.len())?);
        cur += bytes.len().next_multiple_of(16);
        let mut tensors = Vec::new();
        for (k, input) in model.inputs.iter().enumerate() {
            let t = W_TENSORS + 20 * k as u32;
            let dims = W_DIMS + 32 * k as u32;
            for (j, &d) in input.dims.iter().enumerate() {
                put_u32(&mut mem, dims + 4 * j as u32, d as u32);
            }
            mem[cur..cur + input.data.len()].copy_from_slice(&input.data);
            put_u32(&mut mem, t, dims);
            put_u32(&mut mem, t + 4, input.dims.len() as u32);
            mem[t as usize + 8] = input.ty.witx();
            put_u32(&mut mem, t + 12, at(cur)?);
            put_u32(&mut mem, t + 16, at(input.data.len())?);
            cur += input.data.len().next_multiple_of(16);
            tensors.push(t);
        }
        let mut outs = Vec::new();
        for &s in sizes {
            outs.push((at(cur)?, at(s)?));
            cur += s.next_multiple_of(16);
        }
        let mut inst = std::ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check("witx_instance_new", unsafe { wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &mut inst) })?;
        let mut me = Witx { inst, mem, ctx: 0, tensors, outs };
        std::env::set_var("WASINN_BACKEND", backend.name());
        let (base, len) = (me.mem.as_mut_ptr(), me.mem.len());
        // SAFETY: `mem` is the guest memory for every call; offsets inside it.
        let errno = unsafe { wasinn_witx_load(me.inst, base, len, W_BUILDER, 1, 1 /* onnx */, 0 /* cpu */, W_GRAPH) };
        std::env::remove_var("WASINN_BACKEND");
        if errno != 0 {
            return Err(format!("witx load: errno {errno}: {}", last_error()));
        }
        let graph = u32::from_le_bytes(me.mem[W_GRAPH as usize..][..4].try_into().unwrap());
        // SAFETY: as above.
        let errno = unsafe { wasinn_witx_init_execution_context(me.inst, base, len, graph, W_CTX) };
        if errno != 0 {
            return Err(format!("witx init_execution_context: errno {errno}: {}", last_error()));
        }
        me.ctx = u32::from_le_bytes(me.mem[W_CTX as usize..][..4].try_into().unwrap());
        Ok(me)
    }
}

impl Infer for Witx {
    fn infer(&mut self) -> Result<(), String> {
        let (base, len) = (self.mem.as_mut_ptr(), self.mem.len());
        // SAFETY: the guest memory outlives every call; offsets were laid out inside it.
        unsafe {
            for (k, &t) in self.tensors.iter().enumerate() {
                let e = wasinn_witx_set_input(self.inst, base, len, self.ctx, k as u32, t);
                if e != 0 {
                    return Err(format!("witx set_input {k}: errno {e}: {}", last_error()));
                }
            }
            let e = wasinn_witx_compute(self.inst, base, len, self.ctx);
            if e != 0 {
                return Err(format!("witx compute: errno {e}: {}", last_error()));
            }
            for (k, &(ptr, max)) in self.outs.iter().enumerate() {
                let e = wasinn_witx_get_output(self.inst, base, len, self.ctx, k as u32, ptr, max, W_WRITTEN);
                if e != 0 {
                    return Err(format!("witx get_output {k}: errno {e}: {}", last_error()));
                }
            }
        }
        Ok(())
    }
    fn outputs(&self) -> Vec<&[u8]> {
        self.outs.iter().map(|&(p, n)| &self.mem[p as usize..(p + n) as usize]).collect()
    }
}

impl Drop for Witx {
    fn drop(&mut self) {
        // SAFETY: our instance, freed once (it frees its graphs and contexts).
        unsafe { wasinn_witx_instance_free(self.inst) };
    }
}

/// The ONNX Runtime library of the wheel (the plugin's own lookup).
pub fn ort_library() -> Result<PathBuf, String> {
    for var in ["WASINN_ORT_LIB", "ORT_DYLIB_PATH"] {
        if let Some(p) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Ok(p.into());
        }
    }
    wasinn_plugin_kit::find::site_packages()
        .iter()
        .find_map(|sp| wasinn_plugin_kit::find::versioned_lib(&sp.join("onnxruntime/capi"), "libonnxruntime.so."))
        .ok_or_else(|| "no onnxruntime wheel: set WASINN_PYTHON_SITE_PACKAGES".into())
}

/// The OpenVINO C library of the wheel (the plugin's own lookup).
pub fn openvino_library() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WASINN_OPENVINO_LIB").filter(|v| !v.is_empty()) {
        return Ok(p.into());
    }
    wasinn_plugin_kit::find::site_packages()
        .iter()
        .find_map(|sp| wasinn_plugin_kit::find::versioned_lib(&sp.join("openvino/libs"), "libopenvino_c.so."))
        .ok_or_else(|| "no openvino wheel: set WASINN_PYTHON_SITE_PACKAGES".into())
}

static ORT_ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn ort_env() -> Result<&'static ort::environment::Environment, String> {
    ORT_ENV
        .get_or_init(|| {
            let lib = ort_library()?;
            ort::init_from(&lib)
                .map_err(|e| format!("ort::init_from({}): {e}", lib.display()))?
                .with_name("wasinn-bench")
                .with_telemetry(false)
                .build()
                .map_err(|e| format!("ORT environment: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Loads `model` directly on `backend` (its own crate), one intra-op thread, OpenVINO at
/// [`ov_precision`].
pub fn direct(backend: Backend, model: &Model) -> Result<Box<dyn Infer>, String> {
    Ok(match backend {
        Backend::Tract => Box::new(native::Tract::load(model)?),
        Backend::OnnxRuntime => Box::new(native::Ort::load(ort_env()?, model)?),
        Backend::OpenVino => Box::new(native::OpenVino::load(&openvino_library()?, model, &ov_precision())?),
    })
}

/// Loads `model` through libwasinn's C API on `backend`.
pub fn capi(backend: Backend, model: &Model) -> Result<CApi, String> {
    CApi::load(backend, model)
}

/// `wasinn_witx_load_by_name` + `wasinn_witx_unload` of a model preloaded once in the registry
/// (`name:onnx:cpu:path`, on the backend `WASINN_BACKEND` names at registration): the
/// load_by_name target (< 10 us, no new weights).
pub struct ByName {
    inst: *mut wasinn_witx_instance_t,
    mem: Vec<u8>,
    name_len: u32,
}

impl ByName {
    pub fn new(backend: Backend, name: &str, model: &Model) -> Result<ByName, String> {
        let spec = CString::new(format!("{name}:onnx:cpu:{}", model.onnx.display())).map_err(|e| e.to_string())?;
        std::env::set_var("WASINN_BACKEND", backend.name());
        // SAFETY: a NUL-terminated spec.
        let st = unsafe { wasinn_registry_preload(spec.as_ptr()) };
        std::env::remove_var("WASINN_BACKEND");
        check("registry_preload", st)?;
        let mut inst = std::ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check("witx_instance_new", unsafe { wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &mut inst) })?;
        let mut mem = vec![0u8; 65536];
        mem[64..64 + name.len()].copy_from_slice(name.as_bytes());
        Ok(ByName { inst, mem, name_len: name.len() as u32 })
    }

    /// One load_by_name and its unload.
    pub fn cycle(&mut self) -> Result<(), String> {
        let (base, len) = (self.mem.as_mut_ptr(), self.mem.len());
        // SAFETY: the guest memory outlives the calls; offsets inside it.
        unsafe {
            let e = wasinn_witx_load_by_name(self.inst, base, len, 64, self.name_len, 8);
            if e != 0 {
                return Err(format!("witx load_by_name: errno {e}: {}", last_error()));
            }
            let g = u32::from_le_bytes(self.mem[8..12].try_into().unwrap());
            let e = wasinn_witx_unload(self.inst, base, len, g);
            if e != 0 {
                return Err(format!("witx unload: errno {e}: {}", last_error()));
            }
        }
        Ok(())
    }
}

impl Drop for ByName {
    fn drop(&mut self) {
        // SAFETY: our instance, freed once.
        unsafe { wasinn_witx_instance_free(self.inst) };
    }
}
