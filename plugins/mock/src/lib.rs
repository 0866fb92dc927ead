//! Test fixture: a backend plugin whose behaviour is chosen by its own file name, so one build
//! gives every broken plugin the tests need (copy `libwasinn_backend_mock.so` to
//! `libwasinn_backend_<name>.so`). The backend name is `<name>`; if `<name>` contains:
//! - `wrongabi`: the table claims ABI version 99;
//! - `bigtable`: the table claims a struct size of 4096 bytes;
//! - `panicinit`: initialisation panics (caught in the plugin, reported as a rejection);
//! - `crashinit`: initialisation writes through a NULL pointer (`SIGSEGV`) (the process dies: only an out-of-process
//!   probe survives it);
//! - `abortload`: a library constructor calls `abort()` while the library is being opened;
//! - `hanginit`: initialisation never returns;
//! - `novendor`: initialisation fails like a plugin whose vendor library is missing;
//! - `paniccompute`: compute panics (caught in the plugin, `PANIC` status);
//! - `garbage`: outputs claim more bytes than their shape holds;
//! - `nullfn`: the table lacks `ctx_compute`;
//! - `barrier`: every compute waits on a two-party barrier shared by the contexts of one graph
//!   (see [`Barrier`]): two computes on two contexts of one graph both finish only if they run at
//!   the same time, and a compute left alone fails with `BUSY` once the wait (the model bytes
//!   `wait_ms=<N>`, default 30000) is over, so serialised computes are detected, never a hang.
//! - `nullname`, `badutf8`, `nulllist`: the table's name pointer is NULL, its name is not UTF-8,
//!   or its encodings pointer is NULL with a length of 1;
//! - `badptrs`: a working backend whose C-level functions return the garbage the model bytes
//!   name (see [`FAULTS`]: NULL or misaligned pointers with non-zero lengths, ranks over 32,
//!   unknown types and statuses, malformed error messages, NULL graphs or contexts on success).
//! - `v2table`: the table of a plugin built for ABI version 2 (no derive, no streaming, no
//!   optional inputs);
//! - `halfstream`: a version-3 table with `ctx_compute_single` but no `ctx_fini_single`;
//! - `samederive`: `graph_derive` hands back the graph it was given (a host must not take
//!   ownership of it twice).
//!
//! Otherwise it is a working backend for the `ggml` encoding (so it never competes with real
//! backends for ONNX): any bytes load as a model with one f32 input `x` of shape `[N]` and
//! two outputs, `y = 2x` (f32) and `n = len(x)` (i64 `[1]`).
//!
//! Model bytes starting with `stream` load a [`Generator`] instead, a stand-in for an LLM with
//! WasmEdge's GGML interface (ABI version 3): see [`Generator`].
//!
//! With a non-NULL `model_dir` (a model from the host's registry) the one builder is the model
//! file's path, as the ABI says for GGML: the mock reads the file itself (whose bytes then select
//! the model as above) and reports where it came from in the generator's metadata.

use std::collections::HashMap;
use std::ffi::{c_char, CStr};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

fn own_name() -> String {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr fills `info` for an address inside this library.
    let ok = unsafe { libc::dladdr(own_name as *const libc::c_void, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return "mock".into();
    }
    // SAFETY: non-NULL C string from dladdr.
    let file = unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
    let stem = Path::new(&file).file_name().and_then(|n| n.to_str()).unwrap_or("mock").to_string();
    stem.trim_start_matches("libwasinn_backend_").trim_end_matches(".so").to_string()
}

fn mode(flag: &str) -> bool {
    own_name().contains(flag)
}

struct Mock {
    name: String,
}

impl Plugin for Mock {
    type Graph = MockGraph;
    fn init() -> PResult<Self> {
        let name = own_name();
        if name.contains("panicinit") {
            panic!("mock plugin {name} panics in init");
        }
        if name.contains("crashinit") {
            // A real fault (`raise(SIGSEGV)` would be swallowed by Rust's own SIGSEGV handler,
            // which only handles faults): a plugin whose initialisation crashes.
            // SAFETY: none, on purpose: a write through a NULL pointer.
            unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        }
        if name.contains("hanginit") {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        if name.contains("novendor") {
            return Err(PluginError::runtime("vendor library libmockvendor.so.1 not found (searched $MOCK_VENDOR_LIB)"));
        }
        Ok(Mock { name })
    }
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: self.name.clone(),
            version: "0.1.0-mock".into(),
            encodings: vec![WASINN_BACKEND_ENCODING_GGML],
            targets: vec![WASINN_BACKEND_TARGET_CPU],
        }
    }
    fn load(&self, builders: &[&[u8]], _encoding: u32, target: u32, dir: Option<&Path>) -> PResult<MockGraph> {
        if target != WASINN_BACKEND_TARGET_CPU {
            return Err(PluginError::unsupported("the mock runs only on the cpu"));
        }
        // A model from the host's registry: the builder is the file's path (GGML's contract).
        let (file, origin): (Option<Vec<u8>>, serde_json::Value) = match dir {
            Some(dir) => {
                let raw = builders.first().copied().unwrap_or_default();
                let path = std::str::from_utf8(raw).map_err(|_| PluginError::invalid("mock: the model path is not UTF-8"))?;
                let bytes = std::fs::read(path).map_err(|e| PluginError::new(WASINN_BACKEND_STATUS_NOT_FOUND, format!("mock: {path}: {e}")))?;
                let origin = serde_json::json!({"from": "path", "path": path, "model_dir": dir.to_string_lossy(), "builder_len": raw.len()});
                (Some(bytes), origin)
            }
            None => (None, serde_json::json!({"from": "bytes", "builder_len": builders.first().map_or(0, |b| b.len())})),
        };
        let file_views: [&[u8]; 1];
        let builders = match &file {
            Some(bytes) => {
                file_views = [bytes.as_slice()];
                &file_views[..]
            }
            None => builders,
        };
        if builders.first().is_some_and(|b| b.starts_with(b"fail")) {
            return Err(PluginError::encoding("mock: the model bytes start with \"fail\""));
        }
        if builders.first().is_some_and(|b| b.starts_with(b"stream")) {
            return Ok(MockGraph::generator(Arc::new(Generator { origin }), GenConfig::default()));
        }
        Ok(MockGraph {
            generator: None,
            inputs: vec![IoDesc::new("x", WASINN_BACKEND_TENSOR_TYPE_FP32, Some(vec![WASINN_BACKEND_DIM_DYNAMIC]))],
            outputs: vec![
                IoDesc::new("y", WASINN_BACKEND_TENSOR_TYPE_FP32, Some(vec![WASINN_BACKEND_DIM_DYNAMIC])),
                IoDesc::new("n", WASINN_BACKEND_TENSOR_TYPE_I64, Some(vec![1])),
            ],
            panic_compute: mode("paniccompute"),
            garbage: mode("garbage"),
            barrier: if mode("barrier") { Some(Barrier::new(barrier_wait(builders)?)) } else { None },
        })
    }
}

struct MockGraph {
    /// The streaming model (and the configuration this graph applies), `None` for `y = 2x`.
    generator: Option<(Arc<Generator>, GenConfig)>,
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
    panic_compute: bool,
    garbage: bool,
    barrier: Option<Barrier>,
}

/// The `barrier` mode's wait: `wait_ms=<N>` model bytes, else 30 s.
fn barrier_wait(builders: &[&[u8]]) -> PResult<std::time::Duration> {
    let Some(ms) = builders.first().and_then(|b| b.strip_prefix(b"wait_ms=")) else {
        return Ok(std::time::Duration::from_secs(30));
    };
    std::str::from_utf8(ms)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| PluginError::invalid("mock barrier: wait_ms=<N> takes a number of milliseconds"))
}

/// A two-party barrier with a bounded wait (`std::sync::Barrier` has no timeout): the first
/// arrival waits until a second one arrives (both pass) or `wait` is over (it withdraws and fails).
struct Barrier {
    /// (arrivals waiting in the current round, rounds completed).
    state: std::sync::Mutex<(u32, u64)>,
    cv: std::sync::Condvar,
    wait: std::time::Duration,
}

impl Barrier {
    fn new(wait: std::time::Duration) -> Barrier {
        Barrier { state: std::sync::Mutex::new((0, 0)), cv: std::sync::Condvar::new(), wait }
    }

    fn arrive(&self) -> PResult<()> {
        fn poisoned<T>(_: T) -> PluginError {
            PluginError::runtime("mock barrier: lock poisoned")
        }
        let mut st = self.state.lock().map_err(poisoned)?;
        let round = st.1;
        st.0 += 1;
        if st.0 == 2 {
            *st = (0, round + 1);
            self.cv.notify_all();
            return Ok(());
        }
        let (mut st, _) = self.cv.wait_timeout_while(st, self.wait, |st| st.1 == round).map_err(poisoned)?;
        if st.1 != round {
            return Ok(());
        }
        st.0 -= 1;
        Err(PluginError::new(
            WASINN_BACKEND_STATUS_BUSY,
            format!(
                "mock barrier: no second compute on this graph arrived within {} ms: computes are serialised",
                self.wait.as_millis()
            ),
        ))
    }
}

impl PluginGraph for MockGraph {
    type Ctx = MockCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }
    const REPORTS_QUANTIZATION: bool = true;
    /// Not quantized; `badquant` and `v1table` report a NaN scale on output 1 (which a host
    /// must refuse, and must never see from `v1table`, whose table ends before the entry).
    fn quantization(&self, is_output: bool, index: usize) -> PResult<Quant> {
        if (mode("badquant") || mode("v1table")) && is_output && index == 1 {
            return Ok(Quant::PerTensor { scale: f32::NAN, zero_point: 0 });
        }
        Ok(Quant::None)
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<MockCtx> {
        Ok(MockCtx {
            graph: Arc::clone(self),
            x: Vec::new(),
            y: Vec::new(),
            y_dims: [0],
            n: Vec::new(),
            gen: self.generator.as_ref().map(|(_, config)| GenState::new(*config)),
        })
    }
    const DERIVES: bool = true;
    /// The generator takes a configuration (see [`GenConfig::apply`]); `y = 2x` takes none.
    fn derive(self: &Arc<Self>, config: &[u8]) -> PResult<MockGraph> {
        let Some((model, base)) = &self.generator else {
            return Err(PluginError::unsupported("mock: the y = 2x model takes no configuration"));
        };
        Ok(MockGraph::generator(Arc::clone(model), base.apply(config)?))
    }
}

impl MockGraph {
    fn generator(model: Arc<Generator>, config: GenConfig) -> MockGraph {
        let u8_vec = || Some(vec![WASINN_BACKEND_DIM_DYNAMIC]);
        MockGraph {
            generator: Some((model, config)),
            inputs: vec![
                IoDesc::new("prompt", WASINN_BACKEND_TENSOR_TYPE_U8, u8_vec()),
                IoDesc::optional("metadata", WASINN_BACKEND_TENSOR_TYPE_U8, u8_vec()),
            ],
            outputs: vec![
                IoDesc::new("text", WASINN_BACKEND_TENSOR_TYPE_U8, u8_vec()),
                IoDesc::new("metadata", WASINN_BACKEND_TENSOR_TYPE_U8, u8_vec()),
            ],
            panic_compute: false,
            garbage: false,
            barrier: None,
        }
    }
}

/// The streaming model: it "generates" its prompt back, `piece-bytes` bytes (default 1) per
/// `compute_single`, then ends (`END_OF_SEQUENCE`). Like an LLM context it counts the prompt and
/// the pieces against `ctx-size` (default 4096): a prompt longer than it is `PROMPT_TOO_LONG`
/// at the first step, a stream that would exceed it `CONTEXT_FULL`; `n-predict` (default
/// unlimited) caps the pieces. Input 0 is the prompt (u8), input 1 an optional metadata JSON
/// with the same keys, applied to the next stream. `compute` generates the whole text at once.
/// Outputs: 0 the text (after `compute`) or the last piece (after `compute_single`), 1 a
/// metadata JSON: `input_tokens`, `output_tokens`, the configuration and where the model came
/// from (`origin`: `from` "path" with `path` and `model_dir`, or "bytes").
/// The graphs derived from one load share it (and so "the weights") through an `Arc`.
struct Generator {
    origin: serde_json::Value,
}

/// A generator graph's (or metadata input's) configuration.
#[derive(Clone, Copy, Debug)]
struct GenConfig {
    ctx_size: u64,
    n_predict: Option<u64>,
    piece_bytes: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig { ctx_size: 4096, n_predict: None, piece_bytes: 1 }
    }
}

impl GenConfig {
    /// This configuration with the keys of the JSON object `json` applied (unknown keys ignored;
    /// a bad document or value is `INVALID_ARGUMENT` naming it).
    fn apply(&self, json: &[u8]) -> PResult<GenConfig> {
        let doc: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| PluginError::invalid(format!("mock: the config is not JSON: {e}")))?;
        let obj = doc.as_object().ok_or_else(|| PluginError::invalid("mock: the config is not a JSON object"))?;
        let positive = |key: &str| -> PResult<Option<u64>> {
            match obj.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|&n| n > 0)
                    .map(Some)
                    .ok_or_else(|| PluginError::invalid(format!("mock: {key} must be a positive integer, not {v}"))),
            }
        };
        let mut c = *self;
        if let Some(n) = positive("ctx-size")? {
            c.ctx_size = n;
        }
        if let Some(n) = positive("n-predict")? {
            c.n_predict = Some(n);
        }
        if let Some(n) = positive("piece-bytes")? {
            c.piece_bytes = n;
        }
        Ok(c)
    }
}

/// A generator context's state.
struct GenState {
    /// The graph's configuration, with the metadata input applied.
    config: GenConfig,
    prompt: Vec<u8>,
    /// Bytes of the prompt already produced by the open stream; `None`: no stream open.
    pos: Option<usize>,
    pieces: u64,
    piece: Buf,
    text: Buf,
    metadata: Buf,
}

impl GenState {
    fn new(config: GenConfig) -> GenState {
        GenState { config, prompt: Vec::new(), pos: None, pieces: 0, piece: Buf::default(), text: Buf::default(), metadata: Buf::default() }
    }

    fn write_metadata(&mut self, model: &Generator) {
        let doc = serde_json::json!({
            "input_tokens": self.prompt.len(),
            "output_tokens": self.pieces,
            "ctx-size": self.config.ctx_size,
            "n-predict": self.config.n_predict,
            "piece-bytes": self.config.piece_bytes,
            "origin": model.origin,
        });
        self.metadata.set(doc.to_string().into_bytes());
    }

    fn step(&mut self, model: &Generator) -> PResult<()> {
        let c = self.config;
        let prompt_len = self.prompt.len() as u64;
        if self.pos.is_none() {
            if prompt_len > c.ctx_size {
                return Err(PluginError::prompt_too_long(format!(
                    "mock: the prompt is {prompt_len} tokens, the context holds {}",
                    c.ctx_size
                )));
            }
            self.pos = Some(0);
            self.pieces = 0;
        }
        let pos = self.pos.unwrap_or(0);
        if pos >= self.prompt.len() || c.n_predict.is_some_and(|n| self.pieces >= n) {
            self.write_metadata(model);
            return Err(PluginError::end_of_sequence("mock: end of sequence"));
        }
        if prompt_len + self.pieces + 1 > c.ctx_size {
            return Err(PluginError::context_full(format!("mock: the context of {} tokens is full", c.ctx_size)));
        }
        let end = pos.saturating_add(usize::try_from(c.piece_bytes).unwrap_or(usize::MAX)).min(self.prompt.len());
        self.piece.set(self.prompt[pos..end].to_vec());
        self.pos = Some(end);
        self.pieces += 1;
        self.write_metadata(model);
        Ok(())
    }
}

struct MockCtx {
    graph: Arc<MockGraph>,
    x: Vec<f32>,
    y: Vec<u8>,
    y_dims: [usize; 1],
    n: Vec<u8>,
    /// The generator's state (`None` for `y = 2x`).
    gen: Option<GenState>,
}

/// Bytes handed out as a `u8 [len]` tensor (the dims live beside them).
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    dims: [usize; 1],
}

impl Buf {
    fn set(&mut self, data: Vec<u8>) {
        self.dims = [data.len()];
        self.data = data;
    }
    fn view(&self) -> TensorView<'_> {
        TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_U8, dims: &self.dims, data: &self.data }
    }
}

fn gen_view<'a>(index: usize, first: &'a Buf, metadata: &'a Buf) -> PResult<TensorView<'a>> {
    match index {
        0 => Ok(first.view()),
        1 => Ok(metadata.view()),
        i => Err(PluginError::invalid(format!("mock generator has two outputs, not {i}"))),
    }
}

impl PluginCtx for MockCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        if let (Some(g), Some((_, base))) = (&mut self.gen, &self.graph.generator) {
            if t.ty != WASINN_BACKEND_TENSOR_TYPE_U8 {
                return Err(PluginError::unsupported("mock generator inputs are u8"));
            }
            match index {
                0 => g.prompt = t.data.to_vec(),
                1 => g.config = base.apply(t.data)?,
                i => return Err(PluginError::invalid(format!("mock generator has two inputs, not {i}"))),
            }
            // A new input ends the open stream.
            g.pos = None;
            return Ok(());
        }
        if index != 0 {
            return Err(PluginError::invalid(format!("mock has one input, not {index}")));
        }
        if t.ty != WASINN_BACKEND_TENSOR_TYPE_FP32 || t.dims.len() != 1 {
            return Err(PluginError::unsupported("mock input must be f32 of rank 1"));
        }
        self.x = t.data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        Ok(())
    }
    fn compute(&mut self) -> PResult<()> {
        if let (Some(g), Some((model, _))) = (&mut self.gen, &self.graph.generator) {
            // The whole stream at once.
            g.pos = None;
            let mut text = Vec::new();
            loop {
                match g.step(model) {
                    Ok(()) => text.extend_from_slice(&g.piece.data),
                    Err(e) if e.status == WASINN_BACKEND_STATUS_END_OF_SEQUENCE => break,
                    Err(e) => return Err(e),
                }
            }
            g.text.set(text);
            g.pos = None;
            return Ok(());
        }
        if self.graph.panic_compute {
            panic!("mock compute panics on purpose");
        }
        if let Some(barrier) = &self.graph.barrier {
            barrier.arrive()?;
        }
        self.y = self.x.iter().flat_map(|v| (v * 2.0).to_le_bytes()).collect();
        self.y_dims = [self.x.len()];
        self.n = (self.x.len() as i64).to_le_bytes().to_vec();
        Ok(())
    }
    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        static ONE: [usize; 1] = [1];
        if let Some(g) = &self.gen {
            return gen_view(index, &g.text, &g.metadata);
        }
        match index {
            0 if self.graph.garbage => {
                // Claims one element more than it has bytes for.
                Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &ONE, data: &self.y[..0] })
            }
            0 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &self.y_dims, data: &self.y }),
            1 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_I64, dims: &ONE, data: &self.n }),
            i => Err(PluginError::invalid(format!("mock has two outputs, not {i}"))),
        }
    }
    const STREAMS: bool = true;
    fn compute_single(&mut self) -> PResult<()> {
        match (&mut self.gen, &self.graph.generator) {
            (Some(g), Some((model, _))) => g.step(model),
            _ => Err(PluginError::unsupported("mock: the y = 2x model does not stream")),
        }
    }
    fn output_single(&self, index: usize) -> PResult<TensorView<'_>> {
        match &self.gen {
            Some(g) => gen_view(index, &g.piece, &g.metadata),
            None => Err(PluginError::unsupported("mock: the y = 2x model does not stream")),
        }
    }
    fn fini_single(&mut self) -> PResult<()> {
        if let Some(g) = &mut self.gen {
            g.pos = None;
            g.pieces = 0;
            g.piece.set(Vec::new());
        }
        Ok(())
    }
}

/// The entry point: the kit's, with the table damaged on request.
///
/// # Safety
/// As `WasinnBackendEntryFn`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_plugin_entry(
    host_abi_version: u32,
    table: *mut WasinnBackendPlugin,
    table_size: usize,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = entry::<Mock>(host_abi_version, table, table_size, err);
    if status == WASINN_BACKEND_STATUS_SUCCESS && !table.is_null() {
        let name = own_name();
        if name.contains("nullname") {
            (*table).name = std::ptr::null();
        }
        if name.contains("badutf8") {
            (*table).name = c"bad\xff\xfename".as_ptr();
        }
        if name.contains("nulllist") {
            (*table).encodings = std::ptr::null();
            (*table).encodings_len = 1;
        }
        if name.contains("badptrs") {
            wrap_table(&mut *table);
        }
        if name.contains("wrongabi") {
            (*table).abi_version = 99;
        }
        if name.contains("bigtable") {
            (*table).struct_size = 4096;
        }
        if name.contains("nullfn") {
            (*table).ctx_compute = None;
        }
        if name.contains("halfstream") {
            (*table).ctx_fini_single = None;
        }
        if name.contains("samederive") {
            (*table).graph_derive = Some(same_derive);
        }
        if name.contains("v2table") {
            // A plugin built for ABI version 2: no derive, no streaming, no optional inputs.
            (*table).abi_version = 2;
            (*table).struct_size = WASINN_BACKEND_PLUGIN_V2_SIZE as u32;
        }
        if name.contains("v1table") {
            // A plugin built before ABI version 2: its table ends at the v1 size.
            (*table).abi_version = 1;
            (*table).struct_size = WASINN_BACKEND_PLUGIN_V1_SIZE as u32;
        }
    }
    status
}

/// The `samederive` mode's `graph_derive`: "succeeds" by returning its own argument.
unsafe extern "C" fn same_derive(
    graph: *const WasinnBackendGraph,
    _config: *const u8,
    _config_len: usize,
    graph_out: *mut *mut WasinnBackendGraph,
    _err: *mut WasinnBackendError,
) -> u32 {
    if !graph_out.is_null() {
        *graph_out = graph as *mut WasinnBackendGraph;
    }
    WASINN_BACKEND_STATUS_SUCCESS
}

// ---------------------------------------------------------------------------------------------
// The `badptrs` mode: the kit's functions, wrapped to damage what they return.

/// One kind of garbage, chosen by the model bytes of a load (the whole bytes name it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    IoNullName,
    IoBadUtf8,
    IoRank33,
    IoNullDims,
    IoMisalignedDims,
    IoHugeCount,
    NullGraph,
    NullCtx,
    OutNullData,
    OutNullDims,
    OutRank33,
    OutBadType,
    OutMisalignedDims,
    OutHugeLen,
    Status4242,
    StatusMissingMemory,
    ErrLenOverflow,
    ErrBadUtf8,
    ErrClobber,
}

/// Model bytes -> the garbage the graph's functions return (input 0 / output 0 / compute).
const FAULTS: &[(&str, Fault)] = &[
    ("io_null_name", Fault::IoNullName),
    ("io_bad_utf8", Fault::IoBadUtf8),
    ("io_rank_33", Fault::IoRank33),
    ("io_null_dims", Fault::IoNullDims),
    ("io_misaligned_dims", Fault::IoMisalignedDims),
    ("io_huge_count", Fault::IoHugeCount),
    ("null_graph", Fault::NullGraph),
    ("null_ctx", Fault::NullCtx),
    ("out_null_data", Fault::OutNullData),
    ("out_null_dims", Fault::OutNullDims),
    ("out_rank_33", Fault::OutRank33),
    ("out_bad_type", Fault::OutBadType),
    ("out_misaligned_dims", Fault::OutMisalignedDims),
    ("out_huge_len", Fault::OutHugeLen),
    ("status_4242", Fault::Status4242),
    ("status_missing_memory", Fault::StatusMissingMemory),
    ("err_len_overflow", Fault::ErrLenOverflow),
    ("err_bad_utf8", Fault::ErrBadUtf8),
    ("err_clobber", Fault::ErrClobber),
];

/// The kit's own functions, called by the wrappers.
struct Orig {
    load: WasinnBackendLoadFn,
    graph_free: WasinnBackendGraphFreeFn,
    graph_io_count: WasinnBackendGraphIoCountFn,
    graph_io_info: WasinnBackendGraphIoInfoFn,
    ctx_new: WasinnBackendCtxNewFn,
    ctx_free: WasinnBackendCtxFreeFn,
    ctx_compute: WasinnBackendCtxComputeFn,
    ctx_get_output: WasinnBackendCtxGetOutputFn,
}
static ORIG: OnceLock<Orig> = OnceLock::new();

/// Graph and context pointers (as integers) -> their fault.
fn faults() -> &'static Mutex<HashMap<usize, Fault>> {
    static F: OnceLock<Mutex<HashMap<usize, Fault>>> = OnceLock::new();
    F.get_or_init(|| Mutex::new(HashMap::new()))
}
fn fault_of(p: usize) -> Option<Fault> {
    faults().lock().ok()?.get(&p).copied()
}
fn set_fault(p: usize, f: Option<Fault>) {
    if let Ok(mut m) = faults().lock() {
        match f {
            Some(f) => m.insert(p, f),
            None => m.remove(&p),
        };
    }
}

/// Dims for the misaligned-pointer faults: the pointer handed out is one byte into this.
static DIMS: [u64; 4] = [1, 1, 1, 1];
fn misaligned<T>() -> *const T {
    // SAFETY: one byte into a 32-byte static: in bounds, deliberately misaligned.
    unsafe { (DIMS.as_ptr() as *const u8).add(1) as *const T }
}

unsafe fn wrap_table(t: &mut WasinnBackendPlugin) {
    let _ = ORIG.set(Orig {
        load: t.load,
        graph_free: t.graph_free,
        graph_io_count: t.graph_io_count,
        graph_io_info: t.graph_io_info,
        ctx_new: t.ctx_new,
        ctx_free: t.ctx_free,
        ctx_compute: t.ctx_compute,
        ctx_get_output: t.ctx_get_output,
    });
    t.load = Some(g_load);
    t.graph_free = Some(g_graph_free);
    t.graph_io_count = Some(g_io_count);
    t.graph_io_info = Some(g_io_info);
    t.ctx_new = Some(g_ctx_new);
    t.ctx_free = Some(g_ctx_free);
    t.ctx_compute = Some(g_compute);
    t.ctx_get_output = Some(g_get_output);
}

fn orig() -> &'static Orig {
    ORIG.get().expect("wrap_table ran")
}

unsafe extern "C" fn g_load(
    builders: *const WasinnBackendBytes,
    builders_len: usize,
    encoding: u32,
    target: u32,
    model_dir: *const c_char,
    graph_out: *mut *mut WasinnBackendGraph,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = orig().load.unwrap()(builders, builders_len, encoding, target, model_dir, graph_out, err);
    if status != WASINN_BACKEND_STATUS_SUCCESS || builders_len == 0 {
        return status;
    }
    let b = &*builders;
    let bytes = if b.len == 0 { &[][..] } else { std::slice::from_raw_parts(b.data, b.len) };
    let fault = FAULTS.iter().find(|(n, _)| n.as_bytes() == bytes).map(|&(_, f)| f);
    if fault == Some(Fault::NullGraph) {
        orig().graph_free.unwrap()(*graph_out);
        *graph_out = std::ptr::null_mut();
        return WASINN_BACKEND_STATUS_SUCCESS;
    }
    set_fault(*graph_out as usize, fault);
    status
}

unsafe extern "C" fn g_graph_free(graph: *mut WasinnBackendGraph) {
    set_fault(graph as usize, None);
    orig().graph_free.unwrap()(graph)
}

unsafe extern "C" fn g_io_count(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    count_out: *mut usize,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = orig().graph_io_count.unwrap()(graph, is_output, count_out, err);
    if status == WASINN_BACKEND_STATUS_SUCCESS && fault_of(graph as usize) == Some(Fault::IoHugeCount) {
        *count_out = usize::MAX;
    }
    status
}

unsafe extern "C" fn g_io_info(
    graph: *const WasinnBackendGraph,
    is_output: u32,
    index: usize,
    info: *mut WasinnBackendIoInfo,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = orig().graph_io_info.unwrap()(graph, is_output, index, info, err);
    if status != WASINN_BACKEND_STATUS_SUCCESS || is_output != 0 || index != 0 {
        return status;
    }
    let info = &mut *info;
    match fault_of(graph as usize) {
        Some(Fault::IoNullName) => info.name = std::ptr::null(),
        Some(Fault::IoBadUtf8) => {
            info.name = b"x\xff\xfe".as_ptr();
            info.name_len = 3;
        }
        Some(Fault::IoRank33) => info.rank = 33,
        Some(Fault::IoNullDims) => info.dims = std::ptr::null(),
        Some(Fault::IoMisalignedDims) => info.dims = misaligned(),
        _ => {}
    }
    status
}

unsafe extern "C" fn g_ctx_new(
    graph: *const WasinnBackendGraph,
    ctx_out: *mut *mut WasinnBackendCtx,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = orig().ctx_new.unwrap()(graph, ctx_out, err);
    if status != WASINN_BACKEND_STATUS_SUCCESS {
        return status;
    }
    let fault = fault_of(graph as usize);
    if fault == Some(Fault::NullCtx) {
        orig().ctx_free.unwrap()(*ctx_out);
        *ctx_out = std::ptr::null_mut();
        return WASINN_BACKEND_STATUS_SUCCESS;
    }
    set_fault(*ctx_out as usize, fault);
    status
}

unsafe extern "C" fn g_ctx_free(ctx: *mut WasinnBackendCtx) {
    set_fault(ctx as usize, None);
    orig().ctx_free.unwrap()(ctx)
}

unsafe extern "C" fn g_compute(ctx: *mut WasinnBackendCtx, err: *mut WasinnBackendError) -> u32 {
    let e = &mut *err;
    match fault_of(ctx as usize) {
        Some(Fault::Status4242) => {
            write_error(err, "mock: a status outside the ABI");
            4242
        }
        Some(Fault::StatusMissingMemory) => {
            write_error(err, "mock: a host-only status");
            3
        }
        Some(Fault::ErrLenOverflow) => {
            // Fills the buffer (no NUL anywhere) and claims more than it holds.
            std::ptr::write_bytes(e.message, b'x', e.capacity);
            e.len = e.capacity + 1000;
            WASINN_BACKEND_STATUS_RUNTIME_ERROR
        }
        Some(Fault::ErrBadUtf8) => {
            let msg = b"bad \xff\xfe message";
            std::ptr::copy_nonoverlapping(msg.as_ptr(), e.message, msg.len().min(e.capacity));
            e.len = msg.len().min(e.capacity);
            WASINN_BACKEND_STATUS_RUNTIME_ERROR
        }
        Some(Fault::ErrClobber) => {
            // Shrinks the host's buffer for later calls: the host must re-arm it before each.
            let status = orig().ctx_compute.unwrap()(ctx, err);
            e.capacity = 1;
            status
        }
        _ => orig().ctx_compute.unwrap()(ctx, err),
    }
}

unsafe extern "C" fn g_get_output(
    ctx: *const WasinnBackendCtx,
    index: usize,
    t: *mut WasinnBackendTensor,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = orig().ctx_get_output.unwrap()(ctx, index, t, err);
    if status != WASINN_BACKEND_STATUS_SUCCESS || index != 0 {
        return status;
    }
    let t = &mut *t;
    match fault_of(ctx as usize) {
        Some(Fault::OutNullData) => t.data = std::ptr::null(),
        Some(Fault::OutNullDims) => t.dims = std::ptr::null(),
        Some(Fault::OutRank33) => t.rank = 33,
        Some(Fault::OutBadType) => t.ty = 77777,
        Some(Fault::OutMisalignedDims) => t.dims = misaligned(),
        Some(Fault::OutHugeLen) => t.len = usize::MAX,
        _ => {}
    }
    status
}

/// The `abortload` mode: a library constructor (run by `dlopen`, before any plugin function) that
/// aborts when the file name says so, and does nothing otherwise.
extern "C" fn constructor() {
    if own_name().contains("abortload") {
        eprintln!("mock plugin: aborting in a library constructor on purpose");
        std::process::abort();
    }
}

#[used]
#[link_section = ".init_array"]
static CONSTRUCTOR: extern "C" fn() = constructor;
