//! libwasinn backend plugin for llama.cpp (`libwasinn_backend_llamacpp.so`; see
//! plugins/llamacpp/README.md): the GGML encoding with the semantics of WasmEdge's GGML backend,
//! which LlamaEdge-style guests (the `wasmedge-wasi-nn` crate) rely on.
//!
//! `libllama.so` is opened at run time (libloading; see [`ffi`]) from the first of:
//! 1. `WASINN_LLAMACPP_LIB`: an explicit path to `libllama.so`;
//! 2. `$LLAMA_CPP_LIB_PATH/libllama.so` (the variable llama-cpp-python itself honours);
//! 3. an installed llama-cpp-python package (`llama_cpp/lib/libllama.so`) in the site-packages of
//!    `$WASINN_PYTHON_SITE_PACKAGES` or `$VIRTUAL_ENV`. No Python is run.
//!
//! The library must say `llama_version()` 0.5.x (the struct layouts of [`ffi`]); anything else
//! rejects the plugin with that reason.
//!
//! Invariants:
//! - a graph holds an `Arc` of the loaded `llama_model` (read-only once loaded, shared by every
//!   context and by every graph derived from it with another config); the model is freed when
//!   the last holder goes;
//! - a context owns its `llama_context` (KV cache) and sampler; it is used by one thread at a time
//!   (the ABI's rule), so it needs no lock;
//! - generation is always bounded: by `n-predict` (default [`config::DEFAULT_N_PREDICT`], at most
//!   [`config::MAX_N_PREDICT`]) and by the context size (at most [`config::MAX_CTX_SIZE`]).

mod config;
mod ffi;

use std::ffi::{c_char, c_void, CStr, CString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use config::Config;
use ffi::{Api, Ptr, Token};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

/// WasmEdge's GGML errno extensions, as plugin ABI version 3 statuses.
const STATUS_END_OF_SEQUENCE: u32 = WASINN_BACKEND_STATUS_END_OF_SEQUENCE;
const STATUS_CONTEXT_FULL: u32 = WASINN_BACKEND_STATUS_CONTEXT_FULL;
const STATUS_PROMPT_TOO_LONG: u32 = WASINN_BACKEND_STATUS_PROMPT_TOO_LONG;

/// The largest prompt accepted (bytes); llama_tokenize takes an `int32_t` length.
pub const MAX_PROMPT_LEN: usize = 64 << 20;

struct LlamaPlugin {
    api: &'static Api,
    version: String,
    llama_version: String,
    commit: String,
}

export_plugin!(LlamaPlugin);

/// Where to look for libllama, in order, with the rule that produced each candidate.
fn candidates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("WASINN_LLAMACPP_LIB").filter(|v| !v.is_empty()) {
        out.push(("$WASINN_LLAMACPP_LIB".to_string(), PathBuf::from(p)));
    }
    if let Some(p) = std::env::var_os("LLAMA_CPP_LIB_PATH").filter(|v| !v.is_empty()) {
        out.push(("$LLAMA_CPP_LIB_PATH".to_string(), PathBuf::from(p).join("libllama.so")));
    }
    for sp in find::site_packages() {
        let lib = sp.join("llama_cpp/lib/libllama.so");
        if lib.is_file() {
            out.push((format!("the llama-cpp-python package in {}", sp.display()), lib));
        }
    }
    out
}

/// 0: quiet, 1: warnings and errors, 2: everything (`enable-log` / `enable-debug-log`; llama.cpp's
/// log callback is process-wide, so this is too).
static LOG_LEVEL: AtomicU8 = AtomicU8::new(0);

unsafe extern "C" fn log_callback(level: i32, text: *const c_char, _user: *mut c_void) {
    let want = LOG_LEVEL.load(Ordering::Relaxed);
    // GGML levels: 1 debug, 2 info, 3 warn, 4 error, 5 continuation.
    let show = match want {
        0 => false,
        1 => level >= 2,
        _ => true,
    };
    if show && !text.is_null() {
        // Never unwind into llama.cpp: a failed write is dropped.
        let _ = std::panic::catch_unwind(|| {
            let _ = std::io::stderr().write_all(CStr::from_ptr(text).to_bytes());
        });
    }
}

fn set_log(c: &Config) {
    let level = if c.enable_debug_log { 2 } else { u8::from(c.enable_log) };
    LOG_LEVEL.fetch_max(level, Ordering::Relaxed);
}

impl Plugin for LlamaPlugin {
    type Graph = LlamaGraph;

    fn init() -> PResult<Self> {
        let Some((rule, path)) = candidates().into_iter().next() else {
            return Err(PluginError::runtime(
                "llama.cpp library not found: set WASINN_LLAMACPP_LIB to libllama.so (or LLAMA_CPP_LIB_PATH to its \
                 directory), or point WASINN_PYTHON_SITE_PACKAGES (or VIRTUAL_ENV) at an environment with llama-cpp-python",
            ));
        };
        let api = Api::load(&path).map_err(|e| PluginError::runtime(format!("cannot load llama.cpp ({rule}): {e}")))?;
        let llama_version = api.version();
        if !llama_version.starts_with("0.5.") {
            return Err(PluginError::runtime(format!(
                "{} is llama.cpp {llama_version}; this plugin speaks the 0.5.x C API (llama-cpp-python 0.3.36's)",
                path.display()
            )));
        }
        let api: &'static Api = Box::leak(Box::new(api));
        // SAFETY: called once, before any other llama.cpp call; the callback lives forever.
        unsafe {
            (api.log_set)(Some(log_callback), null_mut());
            (api.backend_init)();
        }
        let commit = api.commit();
        Ok(LlamaPlugin {
            api,
            version: format!("{} (llama.cpp {llama_version} commit {commit}, {})", env!("CARGO_PKG_VERSION"), path.display()),
            llama_version,
            commit,
        })
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "llamacpp".into(),
            version: self.version.clone(),
            encodings: vec![WASINN_BACKEND_ENCODING_GGML],
            targets: vec![WASINN_BACKEND_TARGET_CPU],
        }
    }

    fn load(&self, builders: &[&[u8]], encoding: u32, target: u32, model_dir: Option<&Path>) -> PResult<LlamaGraph> {
        if encoding != WASINN_BACKEND_ENCODING_GGML {
            return Err(PluginError::encoding(format!("the llamacpp backend serves GGML (5), not encoding {encoding}")));
        }
        if target != WASINN_BACKEND_TARGET_CPU {
            return Err(PluginError::unsupported(format!("the llamacpp backend runs on the CPU only, not target {target}")));
        }
        // builders[0]: the model (a path from the host, or GGUF bytes); builders[1], if any: a
        // config JSON (as a guest passing [model, config] to load would).
        let Some(&first) = builders.first() else {
            return Err(PluginError::invalid("GGML load needs one builder: the model"));
        };
        if builders.len() > 2 {
            return Err(PluginError::invalid(format!("GGML load takes 1 or 2 builders, not {}", builders.len())));
        }
        let mut cfg = Config::default();
        if let Some(extra) = builders.get(1) {
            cfg.apply(extra)?;
        }
        set_log(&cfg);
        // The ABI's rule decides, never the bytes: with a model directory (the host's registry)
        // builders[0] is a path, whatever it starts with (a relative "GGUF-7b.gguf" is a path too);
        // without one it is the model's bytes.
        let model = if model_dir.is_some() {
            let path = std::str::from_utf8(first).map_err(|_| PluginError::invalid("GGML model path is not UTF-8"))?;
            Model::from_file(self, Path::new(path), &cfg)?
        } else if first.starts_with(b"GGUF") {
            Model::from_bytes(self, first, &cfg)?
        } else {
            return Err(PluginError::encoding("GGML bytes from a guest must be a GGUF file (magic \"GGUF\")"));
        };
        LlamaGraph::new(Arc::new(model), cfg)
    }
}

/// A loaded `llama_model`, shared by graphs and contexts.
struct Model {
    api: &'static Api,
    ptr: Ptr,
    vocab: Ptr,
    n_ctx_train: u32,
    n_embd: usize,
    n_vocab: i32,
    commit: String,
    llama_version: String,
}

// SAFETY: a llama_model is read-only once loaded; llama.cpp supports several contexts (on several
// threads) over one model, and the vocab calls used (tokenize, token_to_piece, is_eog) read only.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the last holder (every context holds the graph that holds this).
        unsafe { (self.api.model_free)(self.ptr) }
    }
}

impl Model {
    fn from_file(p: &LlamaPlugin, path: &Path, cfg: &Config) -> PResult<Model> {
        if !path.is_file() {
            return Err(PluginError::new(WASINN_BACKEND_STATUS_NOT_FOUND, format!("GGML model {} not found", path.display())));
        }
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| PluginError::invalid("GGML model path holds a NUL"))?;
        let api = p.api;
        // SAFETY: default params from the library, then plain fields set.
        let mut mp = unsafe { (api.model_default_params)() };
        mp.n_gpu_layers = cfg.n_gpu_layers;
        // SAFETY: a NUL-terminated path; the params by value.
        let ptr = unsafe { (api.model_load_from_file)(c.as_ptr(), mp) };
        if ptr.is_null() {
            return Err(PluginError::encoding(format!(
                "llama.cpp could not load {} as a GGUF model (set \"enable-log\": true for its reason)",
                path.display()
            )));
        }
        // SAFETY: a live model.
        let (vocab, n_ctx_train, n_embd, has_encoder) = unsafe {
            ((api.model_get_vocab)(ptr), (api.model_n_ctx_train)(ptr), (api.model_n_embd)(ptr), (api.model_has_encoder)(ptr))
        };
        let model = Model {
            api,
            ptr,
            vocab,
            n_ctx_train: u32::try_from(n_ctx_train).unwrap_or(0),
            n_embd: usize::try_from(n_embd).unwrap_or(0),
            n_vocab: unsafe { (api.vocab_n_tokens)(vocab) },
            commit: p.commit.clone(),
            llama_version: p.llama_version.clone(),
        };
        if vocab.is_null() || model.n_vocab <= 0 {
            return Err(PluginError::encoding("the GGUF model has no vocabulary"));
        }
        if has_encoder {
            return Err(PluginError::unsupported("encoder-decoder GGUF models are not supported by the llamacpp backend"));
        }
        Ok(model)
    }

    /// GGUF bytes from a guest: written to a private temporary file (mode 0600, a name no one
    /// else can have picked: `create_new`), loaded, and removed at once (llama.cpp reads the file
    /// during the load; an mmap of it stays valid after the unlink).
    fn from_bytes(p: &LlamaPlugin, bytes: &[u8], cfg: &Config) -> PResult<Model> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::env::temp_dir();
        let mut attempt = 0u32;
        let (path, mut file) = loop {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
            let path = dir.join(format!("wasinn-ggml-{}-{nanos:x}-{attempt}.gguf", std::process::id()));
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
                Ok(f) => break (path, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(PluginError::runtime(format!("cannot create a temporary file in {}: {e}", dir.display()))),
            }
        };
        struct Remove(PathBuf);
        impl Drop for Remove {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        let _remove = Remove(path.clone());
        file.write_all(bytes)
            .and_then(|_| file.flush())
            .map_err(|e| PluginError::runtime(format!("cannot write the model to {}: {e}", path.display())))?;
        drop(file);
        Self::from_file(p, &path, cfg).map_err(|e| PluginError::new(e.status, e.message.replace(&path.display().to_string(), "the GGUF bytes")))
    }

    /// Tokenizes `text` as WasmEdge does (`add_special` per the vocab: BOS; special tokens
    /// parsed).
    fn tokenize(&self, text: &[u8]) -> PResult<Vec<Token>> {
        let len = i32::try_from(text.len()).map_err(|_| PluginError::invalid("prompt too large"))?;
        // A first guess; llama_tokenize returns -needed when the buffer is short.
        let mut toks: Vec<Token> = vec![0; text.len() + 2];
        for _ in 0..2 {
            let cap = i32::try_from(toks.len()).map_err(|_| PluginError::invalid("prompt too large"))?;
            // SAFETY: `text` is `len` bytes (no NUL needed); `toks` holds `cap` tokens.
            let n = unsafe { (self.api.tokenize)(self.vocab, text.as_ptr().cast(), len, toks.as_mut_ptr(), cap, true, true) };
            if n >= 0 {
                toks.truncate(n as usize);
                return Ok(toks);
            }
            if n == i32::MIN {
                return Err(PluginError::invalid("the prompt tokenizes to more than 2^31 tokens"));
            }
            toks.resize((-n) as usize, 0);
        }
        Err(PluginError::runtime("llama_tokenize did not settle on a token count"))
    }

    /// The bytes of one token (special tokens rendered, as WasmEdge's common_token_to_piece).
    fn piece(&self, tok: Token, out: &mut Vec<u8>) -> PResult<()> {
        out.clear();
        let mut buf = [0u8; 128];
        // SAFETY: `buf` holds 128 bytes; no NUL is written.
        let n = unsafe { (self.api.token_to_piece)(self.vocab, tok, buf.as_mut_ptr().cast(), 128, 0, true) };
        if n >= 0 {
            out.extend_from_slice(&buf[..n as usize]);
            return Ok(());
        }
        let need = (-(n as i64)) as usize;
        if need > 1 << 20 {
            return Err(PluginError::runtime(format!("token {tok} has a piece of {need} bytes")));
        }
        out.resize(need, 0);
        // SAFETY: `out` holds `need` bytes.
        let n = unsafe { (self.api.token_to_piece)(self.vocab, tok, out.as_mut_ptr().cast(), need as i32, 0, true) };
        if n < 0 {
            return Err(PluginError::runtime(format!("llama_token_to_piece failed for token {tok}")));
        }
        out.truncate(n as usize);
        Ok(())
    }
}

/// A graph: the shared model and a config (the load's, or one derived from it).
pub struct LlamaGraph {
    model: Arc<Model>,
    config: Config,
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
}

impl LlamaGraph {
    fn new(model: Arc<Model>, config: Config) -> PResult<LlamaGraph> {
        let bytes = || Some(vec![WASINN_BACKEND_DIM_DYNAMIC]);
        let u8 = WASINN_BACKEND_TENSOR_TYPE_U8;
        let out0 = if config.embedding {
            IoDesc::new("embedding", WASINN_BACKEND_TENSOR_TYPE_FP32, Some(vec![model.n_embd as i64]))
        } else {
            IoDesc::new("text", u8, bytes())
        };
        // Input 1 (metadata) is optional: a guest may compute with the prompt alone.
        let inputs = vec![IoDesc::new("prompt", u8, bytes()), IoDesc::optional("metadata", u8, bytes())];
        Ok(LlamaGraph { inputs, outputs: vec![out0, IoDesc::new("metadata", u8, bytes())], model, config })
    }

}

impl PluginGraph for LlamaGraph {
    type Ctx = LlamaCtx;

    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }

    const DERIVES: bool = true;

    /// A new graph over the same model with `config` applied over this graph's
    /// (`load_by_name_with_config`). Load-time keys (`n-gpu-layers`) cannot change the loaded
    /// model and are ignored here.
    fn derive(self: &Arc<Self>, config: &[u8]) -> PResult<LlamaGraph> {
        let mut c = self.config.clone();
        c.apply(config)?;
        set_log(&c);
        LlamaGraph::new(Arc::clone(&self.model), c)
    }

    fn new_ctx(self: &Arc<Self>) -> PResult<LlamaCtx> {
        Ok(LlamaCtx {
            model: Arc::clone(&self.model),
            config: self.config.clone(),
            lctx: None,
            sampler: null_mut(),
            prompt: None,
            gen: None,
            text: Vec::new(),
            piece: Vec::new(),
            embedding: Vec::new(),
            metadata: Vec::new(),
            out_dims: [0],
            meta_dims: [0],
            piece_dims: [0],
        })
    }
}

/// The `llama_context` of one execution context and the parameters it was made with.
struct LCtx {
    ptr: Ptr,
    n_ctx: u32,
    n_batch: u32,
    key: (u32, u32, u32, i32, bool),
}

/// One generation in progress.
struct Gen {
    input_tokens: usize,
    output_tokens: usize,
    n_past: u32,
    /// The last sampled token, not yet decoded.
    last: Option<Token>,
    done: bool,
}

/// One execution context.
pub struct LlamaCtx {
    model: Arc<Model>,
    config: Config,
    lctx: Option<LCtx>,
    sampler: Ptr,
    prompt: Option<Vec<u8>>,
    gen: Option<Gen>,
    /// Output 0 of compute (text).
    text: Vec<u8>,
    /// Output 0 of the last streaming step.
    piece: Vec<u8>,
    /// Output 0 in embedding mode (f32 little-endian bytes).
    embedding: Vec<u8>,
    /// Output 1.
    metadata: Vec<u8>,
    out_dims: [usize; 1],
    meta_dims: [usize; 1],
    piece_dims: [usize; 1],
}

// SAFETY: the llama_context and sampler are owned by this context alone and used by one thread at
// a time (the plugin ABI's rule for contexts); moving them between threads is allowed.
unsafe impl Send for LlamaCtx {}

impl Drop for LlamaCtx {
    fn drop(&mut self) {
        self.free_sampler();
        if let Some(l) = self.lctx.take() {
            // SAFETY: owned here.
            unsafe { (self.model.api.free)(l.ptr) }
        }
    }
}

/// What one generation step produced.
enum Step {
    Piece,
    End,
}

impl LlamaCtx {
    fn api(&self) -> &'static Api {
        self.model.api
    }

    fn free_sampler(&mut self) {
        if !self.sampler.is_null() {
            // SAFETY: the chain owns the samplers added to it.
            unsafe { (self.model.api.sampler_free)(self.sampler) };
            self.sampler = null_mut();
        }
    }

    /// The llama_context for the current config, made (again) when a parameter it depends on
    /// changed.
    fn ensure_lctx(&mut self) -> PResult<()> {
        let c = &self.config;
        let n_ctx = if c.ctx_size == 0 { self.model.n_ctx_train.clamp(1, 4096) } else { c.ctx_size };
        let n_batch = c.batch_size.min(n_ctx).max(1);
        // Embeddings pool over the whole prompt, which must then be one physical batch.
        let n_ubatch = if c.embedding || c.ubatch_size == 0 { n_batch } else { c.ubatch_size.min(n_batch) };
        let key = (n_ctx, n_batch, n_ubatch, c.threads(), c.embedding);
        if self.lctx.as_ref().is_some_and(|l| l.key == key) {
            return Ok(());
        }
        self.gen = None;
        if let Some(l) = self.lctx.take() {
            // SAFETY: owned here.
            unsafe { (self.api().free)(l.ptr) }
        }
        let api = self.api();
        // SAFETY: default params from the library, then plain fields set.
        let mut p = unsafe { (api.context_default_params)() };
        p.n_ctx = n_ctx;
        p.n_batch = n_batch;
        p.n_ubatch = n_ubatch;
        p.n_seq_max = 1;
        p.n_threads = key.3;
        p.n_threads_batch = key.3;
        p.embeddings = c.embedding;
        p.flash_attn_type = ffi::FLASH_ATTN_DISABLED;
        p.no_perf = true;
        if c.embedding {
            p.pooling_type = ffi::POOLING_MEAN;
        }
        // SAFETY: a live model; params by value.
        let ptr = unsafe { (api.init_from_model)(self.model.ptr, p) };
        if ptr.is_null() {
            return Err(PluginError::runtime(format!(
                "llama.cpp could not create a context of {n_ctx} tokens (set \"enable-log\": true for its reason)"
            )));
        }
        // llama.cpp rounds the context up (to 256); the guest's ctx-size stays the bound, so
        // prompt_too_long and context_full do not depend on that padding.
        // SAFETY: a live context.
        let real = unsafe { (api.n_ctx)(ptr) };
        self.lctx = Some(LCtx { ptr, n_ctx: real.min(n_ctx), n_batch, key });
        Ok(())
    }

    /// A new sampler chain for the current config: penalties, then greedy when temp <= 0, else
    /// top-p, temperature and a seeded distribution.
    fn new_sampler(&mut self) -> PResult<()> {
        self.free_sampler();
        let api = self.api();
        let c = &self.config;
        // SAFETY: constructors returning owned samplers; the chain takes ownership of each added.
        unsafe {
            let chain = (api.sampler_chain_init)((api.sampler_chain_default_params)());
            if chain.is_null() {
                return Err(PluginError::runtime("llama_sampler_chain_init failed"));
            }
            self.sampler = chain;
            if c.repeat_penalty != 1.0 || c.frequency_penalty != 0.0 || c.presence_penalty != 0.0 {
                (api.sampler_chain_add)(
                    chain,
                    (api.sampler_init_penalties)(self.model.n_vocab, config::PENALTY_LAST_N, c.repeat_penalty, c.frequency_penalty, c.presence_penalty),
                );
            }
            if c.temp <= 0.0 {
                (api.sampler_chain_add)(chain, (api.sampler_init_greedy)());
            } else {
                (api.sampler_chain_add)(chain, (api.sampler_init_top_p)(c.top_p, 1));
                (api.sampler_chain_add)(chain, (api.sampler_init_temp)(c.temp));
                (api.sampler_chain_add)(chain, (api.sampler_init_dist)(c.seed));
            }
        }
        Ok(())
    }

    fn n_predict(&self, n_ctx: u32) -> u32 {
        self.config.n_predict.unwrap_or(n_ctx)
    }

    /// Decodes `toks` at the current position in chunks of n_batch.
    fn decode(&self, toks: &mut [Token]) -> PResult<()> {
        let l = self.lctx.as_ref().ok_or_else(|| PluginError::runtime("no llama context"))?;
        for chunk in toks.chunks_mut(l.n_batch as usize) {
            // SAFETY: the batch borrows `chunk` for the call only.
            let rc = unsafe {
                let b = (self.api().batch_get_one)(chunk.as_mut_ptr(), chunk.len() as i32);
                (self.api().decode)(l.ptr, b)
            };
            match rc {
                0 => {}
                1 => return Err(PluginError::new(STATUS_CONTEXT_FULL, "llama_decode: no KV cache slot for the batch (context full)")),
                rc => return Err(PluginError::runtime(format!("llama_decode failed ({rc})"))),
            }
        }
        Ok(())
    }

    /// Starts a generation: clears the KV cache, tokenizes and evaluates the prompt.
    fn start(&mut self) -> PResult<()> {
        let prompt = self.prompt.as_ref().ok_or_else(|| PluginError::invalid("input 0 (the prompt) was not set"))?;
        let mut toks = self.model.tokenize(prompt)?;
        self.ensure_lctx()?;
        let l = self.lctx.as_ref().expect("made above");
        if toks.is_empty() {
            return Err(PluginError::invalid("the prompt has no tokens"));
        }
        if toks.len() >= l.n_ctx as usize {
            return Err(PluginError::new(
                STATUS_PROMPT_TOO_LONG,
                format!("the prompt has {} tokens; the context holds {} (ctx-size)", toks.len(), l.n_ctx),
            ));
        }
        // SAFETY: a live context; clearing its memory (KV cache) and data.
        unsafe { (self.api().memory_clear)((self.api().get_memory)(l.ptr), true) };
        self.new_sampler()?;
        let input_tokens = toks.len();
        self.gen = None;
        self.text.clear();
        self.out_dims = [0];
        self.decode(&mut toks)?;
        self.gen = Some(Gen { input_tokens, output_tokens: 0, n_past: input_tokens as u32, last: None, done: false });
        Ok(())
    }

    /// One step: decodes the previous token (if any), samples the next into `self.piece`.
    fn step(&mut self) -> PResult<Step> {
        if self.gen.is_none() {
            self.start()?;
        }
        let (n_ctx, lptr) = {
            let l = self.lctx.as_ref().expect("started");
            (l.n_ctx, l.ptr)
        };
        let n_predict = self.n_predict(n_ctx);
        let g = self.gen.as_mut().expect("started");
        if g.done {
            return Ok(Step::End);
        }
        if g.output_tokens as u64 >= u64::from(n_predict) {
            g.done = true;
            return Ok(Step::End);
        }
        if let Some(t) = g.last.take() {
            if g.n_past >= n_ctx {
                g.done = true;
                return Err(PluginError::new(
                    STATUS_CONTEXT_FULL,
                    format!("the context of {n_ctx} tokens is full after {} generated tokens", g.output_tokens),
                ));
            }
            g.n_past += 1;
            let mut one = [t];
            self.decode(&mut one)?;
        }
        // SAFETY: a live sampler and context with logits for the last decoded token.
        let tok = unsafe { (self.api().sampler_sample)(self.sampler, lptr, -1) };
        let g = self.gen.as_mut().expect("started");
        // SAFETY: the vocab lives with the model.
        if unsafe { (self.model.api.vocab_is_eog)(self.model.vocab, tok) } {
            g.done = true;
            return Ok(Step::End);
        }
        g.output_tokens += 1;
        g.last = Some(tok);
        let mut piece = std::mem::take(&mut self.piece);
        let r = self.model.piece(tok, &mut piece);
        self.piece = piece;
        r?;
        // Output 0 of get_output is the text so far, for compute and for a stream alike (WasmEdge
        // guests may read it, and the metadata, with get_output after streaming).
        self.text.extend_from_slice(&self.piece);
        self.out_dims = [self.text.len()];
        Ok(Step::Piece)
    }

    fn write_metadata(&mut self) {
        let (i, o) = self.gen.as_ref().map(|g| (g.input_tokens, g.output_tokens)).unwrap_or((0, 0));
        let m = serde_json::json!({
            "input_tokens": i,
            "output_tokens": o,
            // libllama exports no build number (llama.cpp counts git history into its `common`
            // library only): 0. The commit is ggml_commit().
            "llama_build_number": 0,
            "llama_commit": self.model.commit,
            "llama_version": self.model.llama_version,
        });
        self.metadata = m.to_string().into_bytes();
        self.meta_dims = [self.metadata.len()];
    }

    fn embed(&mut self) -> PResult<()> {
        let prompt = self.prompt.as_ref().ok_or_else(|| PluginError::invalid("input 0 (the prompt) was not set"))?;
        let toks = self.model.tokenize(prompt)?;
        self.ensure_lctx()?;
        let l = self.lctx.as_ref().expect("made above");
        if toks.is_empty() {
            return Err(PluginError::invalid("the prompt has no tokens"));
        }
        if toks.len() > l.n_batch as usize || toks.len() > l.n_ctx as usize {
            return Err(PluginError::new(
                STATUS_PROMPT_TOO_LONG,
                format!("the prompt has {} tokens; an embedding takes at most {} (batch-size, ctx-size)", toks.len(), l.n_batch.min(l.n_ctx)),
            ));
        }
        let api = self.api();
        let n = toks.len();
        // SAFETY: a batch of n tokens with one sequence id each, filled below, freed after the call.
        unsafe {
            (api.memory_clear)((api.get_memory)(l.ptr), true);
            let b = (api.batch_init)(n as i32, 0, 1);
            for (i, &t) in toks.iter().enumerate() {
                *b.token.add(i) = t;
                *b.pos.add(i) = i as i32;
                *b.n_seq_id.add(i) = 1;
                **b.seq_id.add(i) = 0;
                *b.logits.add(i) = 1;
            }
            let mut bb = b;
            bb.n_tokens = n as i32;
            let rc = (api.decode)(l.ptr, bb);
            if rc != 0 {
                (api.batch_free)(b);
                return Err(PluginError::runtime(format!("llama_decode failed ({rc}) computing the embedding")));
            }
            (api.batch_free)(b);
            let e = (api.get_embeddings_seq)(l.ptr, 0);
            if e.is_null() {
                return Err(PluginError::runtime("llama.cpp returned no pooled embedding"));
            }
            let v = std::slice::from_raw_parts(e, self.model.n_embd);
            // L2-normalised, as WasmEdge's embedding mode returns it.
            let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
            let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            self.embedding = v.iter().flat_map(|x| ((f64::from(*x) * scale) as f32).to_le_bytes()).collect();
        }
        self.out_dims = [self.model.n_embd];
        self.gen = Some(Gen { input_tokens: n, output_tokens: 0, n_past: 0, last: None, done: true });
        Ok(())
    }
}

impl PluginCtx for LlamaCtx {
    const STREAMS: bool = true;

    /// One streaming step (`compute_single`): the next piece in output 0, or
    /// `END_OF_SEQUENCE` (no piece) when generation has ended.
    fn compute_single(&mut self) -> PResult<()> {
        if self.config.embedding {
            return Err(PluginError::unsupported("compute_single does not apply in embedding mode: use compute"));
        }
        let r = self.step();
        self.write_metadata();
        match r? {
            Step::Piece => {
                self.piece_dims = [self.piece.len()];
                Ok(())
            }
            Step::End => {
                self.piece.clear();
                self.piece_dims = [0];
                Err(PluginError::new(STATUS_END_OF_SEQUENCE, "end of sequence"))
            }
        }
    }

    /// Output `index` of the last streaming step.
    fn output_single(&self, index: usize) -> PResult<TensorView<'_>> {
        match index {
            0 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_U8, dims: &self.piece_dims, data: &self.piece }),
            1 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_U8, dims: &self.meta_dims, data: &self.metadata }),
            _ => Err(PluginError::invalid(format!("output index {index} out of range (2 outputs)"))),
        }
    }

    /// Ends the stream (`fini_single`): the next step starts a new generation on a cleared cache.
    fn fini_single(&mut self) -> PResult<()> {
        // The stream's text and metadata stay readable with get_output until the next step.
        self.gen = None;
        self.piece.clear();
        self.piece_dims = [0];
        if let Some(l) = &self.lctx {
            // SAFETY: a live context.
            unsafe { (self.api().memory_clear)((self.api().get_memory)(l.ptr), true) };
        }
        Ok(())
    }

    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        if t.ty != WASINN_BACKEND_TENSOR_TYPE_U8 {
            return Err(PluginError::invalid(format!("GGML input {index} must be u8 bytes (type 4), not type {}", t.ty)));
        }
        match index {
            0 => {
                if t.data.len() > MAX_PROMPT_LEN {
                    return Err(PluginError::invalid(format!("prompt of {} bytes exceeds {MAX_PROMPT_LEN}", t.data.len())));
                }
                // Bytes as given (no NUL terminator expected); must be UTF-8 text.
                std::str::from_utf8(t.data).map_err(|e| PluginError::invalid(format!("the prompt is not UTF-8: {e}")))?;
                self.prompt = Some(t.data.to_vec());
                // A new prompt ends any open stream.
                self.gen = None;
                Ok(())
            }
            1 => {
                let mut c = self.config.clone();
                c.apply(t.data)?;
                if c.embedding != self.config.embedding {
                    return Err(PluginError::invalid(
                        "\"embedding\" is fixed when the graph is loaded (its output 0 changes type); load with it instead",
                    ));
                }
                set_log(&c);
                self.config = c;
                self.gen = None;
                Ok(())
            }
            _ => Err(PluginError::invalid(format!("input index {index} out of range (2 inputs)"))),
        }
    }

    fn compute(&mut self) -> PResult<()> {
        self.gen = None;
        self.text.clear();
        self.out_dims = [0];
        if self.config.embedding {
            let r = self.embed();
            self.write_metadata();
            self.gen = None;
            return r;
        }
        let stdout = self.config.stream_stdout;
        let result = loop {
            match self.step() {
                Ok(Step::Piece) => {
                    if stdout {
                        let mut o = std::io::stdout().lock();
                        let _ = o.write_all(&self.piece).and_then(|_| o.flush());
                    }
                }
                Ok(Step::End) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.write_metadata();
        // The next compute (or compute_single) starts afresh (the counts are in the metadata).
        self.piece.clear();
        self.gen = None;
        result
    }

    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        match index {
            0 if self.config.embedding => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &self.out_dims, data: &self.embedding }),
            0 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_U8, dims: &self.out_dims, data: &self.text }),
            1 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_U8, dims: &self.meta_dims, data: &self.metadata }),
            _ => Err(PluginError::invalid(format!("output index {index} out of range (2 outputs)"))),
        }
    }
}
