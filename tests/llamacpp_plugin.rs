//! The llama.cpp plugin (`plugins/llamacpp`) through the core, against llama.cpp called directly
//! (llama-cpp-python 0.3.36 on the same `libllama.so`): a tiny llama-architecture GGUF with random
//! weights is generated here (tests/llamacpp/make_model.py; nothing downloaded or committed), and
//! greedy generation must give the same tokens (pieces), text and token counts as the reference
//! computed in the same run by tests/llamacpp/reference.py; embeddings within 1e-5; the config
//! and input checks, bounds and errors of WasmEdge's GGML semantics.
//!
//! libllama comes from `WASINN_LLAMACPP_LIB`, else `build/llamacpp/lib/libllama.so` (built by
//! tests/llamacpp/setup.sh, which scripts/test.sh runs). Without it every test prints
//! `SKIPPED: llamacpp` and passes: the library is never built by `cargo test` itself.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use common::*;
use wasinn::backends::plugin::discovery::{self as plugins, BackendStatus};
use wasinn::core::error::Status;
use wasinn::core::graph::Graph;
use wasinn::core::loader::LoadOptions;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const THREADS: u32 = 2;
const CTX: u32 = 256;
const N_PREDICT: u32 = 24;
const SEED: u32 = 7;

struct Env {
    lib: PathBuf,
    model: PathBuf,
}

/// The library, the plugin registered and the model generated, once; `None` (SKIPPED) without
/// libllama.
fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Option<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let lib = std::env::var_os("WASINN_LLAMACPP_LIB")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(REPO).join("build/llamacpp/lib/libllama.so"));
        if !lib.is_file() {
            println!("SKIPPED: llamacpp: no libllama at {} (run tests/llamacpp/setup.sh)", lib.display());
            return None;
        }
        // SAFETY (edition 2021: safe fn): set once, before the plugin reads it.
        std::env::set_var("WASINN_LLAMACPP_LIB", &lib);
        let exe = std::env::current_exe().unwrap();
        let path = exe.parent().and_then(Path::parent).unwrap().join("libwasinn_backend_llamacpp.so");
        if !path.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo).args(["build", "-p", "wasinn-backend-llamacpp"]).status().unwrap();
            assert!(status.success(), "cargo build -p wasinn-backend-llamacpp failed");
        }
        wasinn::backends::install();
        plugins::add_path(&path).unwrap();
        let canonical = path.canonicalize().unwrap();
        let e = plugins::list().into_iter().find(|e| e.path.as_deref() == Some(canonical.as_path())).expect("llamacpp listed");
        assert_eq!(e.status, BackendStatus::Available, "llamacpp plugin rejected: {:?}", e.reason);

        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("llamacpp");
        std::fs::create_dir_all(&dir).unwrap();
        let model = dir.join("tiny-llama.gguf");
        // Written beside and renamed over: another process of this binary (the stream-stdout
        // child) may have the previous file mapped, and rewriting a mapped file in place could
        // fault it.
        let part = dir.join(format!("tiny-llama.gguf.{}", std::process::id()));
        python(&[Path::new(REPO).join("tests/llamacpp/make_model.py").as_os_str(), part.as_os_str()], None);
        std::fs::rename(&part, &model).unwrap();
        Some(Env { lib, model })
    })
    .as_ref()
}

macro_rules! env_or_skip {
    () => {
        match env() {
            Some(e) => e,
            None => return,
        }
    };
}

/// Runs the venv's Python with `args` (stdin `input`), returning stdout; panics on failure.
fn python(args: &[&std::ffi::OsStr], input: Option<&str>) -> String {
    use std::io::Write;
    let py = venv().join("bin/python");
    let lib_dir = env_lib_dir();
    let mut child = std::process::Command::new(&py)
        .args(args)
        .env("LLAMA_CPP_LIB_PATH", lib_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    child.stdin.take().unwrap().write_all(input.unwrap_or("").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{} {args:?} failed: {}", py.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn env_lib_dir() -> PathBuf {
    std::env::var_os("WASINN_LLAMACPP_LIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(REPO).join("build/llamacpp/lib/libllama.so"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The model loaded the way the host registry loads GGML: builders[0] = the path, model_dir set.
fn load_path(e: &Env) -> Arc<Graph> {
    let path = e.model.to_str().unwrap();
    let opts = LoadOptions { backend: Some("llamacpp"), model_dir: e.model.parent() };
    wasinn::core::loader::load_with(&[path.as_bytes()], Encoding::Ggml, Target::Cpu, &opts).unwrap()
}

/// The model loaded from GGUF bytes, as a guest would (model_dir NULL).
fn load_bytes(bytes: &[u8], config: Option<&str>) -> wasinn::core::error::Result<Arc<Graph>> {
    let opts = LoadOptions { backend: Some("llamacpp"), model_dir: None };
    let mut b: Vec<&[u8]> = vec![bytes];
    if let Some(c) = config {
        b.push(c.as_bytes());
    }
    wasinn::core::loader::load_with(&b, Encoding::Ggml, Target::Cpu, &opts)
}

fn bytes_tensor(b: &[u8]) -> TensorRef<'_> {
    TensorRef::new(TensorType::U8, vec![b.len()], b).unwrap()
}

fn greedy_config(n_predict: u32) -> String {
    format!(r#"{{"temp": 0, "seed": {SEED}, "n-predict": {n_predict}, "ctx-size": {CTX}, "threads": {THREADS}, "repeat-penalty": 1.0, "batch-size": 64}}"#)
}

/// compute on a fresh context: (text, metadata JSON).
fn generate(graph: &Arc<Graph>, prompt: &str, config: &str) -> wasinn::core::error::Result<(Vec<u8>, serde_json::Value)> {
    let mut ctx = graph.init_execution_context()?;
    ctx.set_input(0, &bytes_tensor(prompt.as_bytes()))?;
    ctx.set_input(1, &bytes_tensor(config.as_bytes()))?;
    ctx.compute()?;
    let text = ctx.output(0)?.data.to_vec();
    let meta = serde_json::from_slice(ctx.output(1)?.data).unwrap();
    Ok((text, meta))
}

/// The reference's answer for `prompts` / `embed` (one Python run).
fn reference(e: &Env, prompts: &[&str], embed: &[&str]) -> serde_json::Value {
    let req = serde_json::json!({
        "model": e.model, "threads": THREADS, "ctx": CTX, "batch": 64, "seed": SEED,
        "n_predict": N_PREDICT, "prompts": prompts, "embed": embed,
    });
    let out = python(&[Path::new(REPO).join("tests/llamacpp/reference.py").as_os_str()], Some(&req.to_string()));
    serde_json::from_str(&out).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const PROMPTS: &[&str] = &[
    "the people of the word",
    "Once upon a time",
    "hot day, cold night!",
    "ünïcødé → bytes ✓",
    "a",
    "  leading spaces and\nnew lines\n",
];

#[test]
fn the_plugin_is_listed_with_ggml_on_the_cpu() {
    let e = env_or_skip!();
    let b = plugins::list().into_iter().find(|b| b.name == "llamacpp").expect("a backend named llamacpp");
    assert_eq!(b.status, BackendStatus::Available);
    assert_eq!(b.encodings, [Encoding::Ggml]);
    assert_eq!(b.targets, [Target::Cpu]);
    assert!(b.version.contains("llama.cpp 0.5.0") && b.version.contains("commit 0c1e570"), "{}", b.version);
    assert!(b.version.contains(e.lib.to_str().unwrap()), "{}", b.version);
}

/// The struct layouts plugins/llamacpp/src/ffi.rs pins (80, 160, 56 bytes and offsets) are
/// llama-cpp-python's ctypes declarations of the same llama.h.
#[test]
fn the_pinned_struct_layouts_are_llama_cpp_pythons() {
    let e = env_or_skip!();
    let r = reference(e, &[], &[]);
    let l = &r["layout"];
    assert_eq!(l["llama_model_params"], 80, "{l}");
    assert_eq!(l["llama_context_params"], 160, "{l}");
    assert_eq!(l["llama_batch"], 56, "{l}");
    assert_eq!(l["context_params.embeddings"], 128, "{l}");
    assert_eq!(l["context_params.samplers"], 136, "{l}");
    assert_eq!(l["model_params.vocab_only"], 72, "{l}");
}

#[test]
fn greedy_generation_equals_llama_cpp_python_token_for_token() {
    let e = env_or_skip!();
    let r = reference(e, PROMPTS, &[]);
    let graph = load_path(e);
    assert_eq!(graph.backend(), "llamacpp");
    let mut total = 0;
    for (k, prompt) in PROMPTS.iter().enumerate() {
        let want = &r["generate"][k];
        let (text, meta) = generate(&graph, prompt, &greedy_config(N_PREDICT)).unwrap();
        let n_out = want["tokens"].as_array().unwrap().len();
        assert_eq!(hex(&text), want["text"].as_str().unwrap(), "prompt {prompt:?}: text differs from llama-cpp-python");
        assert_eq!(meta["input_tokens"], want["input_tokens"], "prompt {prompt:?}: {meta}");
        assert_eq!(meta["output_tokens"].as_u64().unwrap() as usize, n_out, "prompt {prompt:?}: {meta}");
        assert!(n_out > 0, "prompt {prompt:?} generated nothing: a degenerate model");
        total += n_out;
        println!("llamacpp equal tokens: {prompt:?}: {n_out} tokens, input {}", want["input_tokens"]);
    }
    println!("llamacpp equal tokens: {} prompts, {total} generated tokens equal to llama-cpp-python's", PROMPTS.len());
}

#[test]
fn bytes_and_path_loads_give_the_same_text_and_contexts_share_the_model() {
    let e = env_or_skip!();
    let bytes = std::fs::read(&e.model).unwrap();
    let from_bytes = load_bytes(&bytes, None).unwrap();
    let from_path = load_path(e);
    let cfg = greedy_config(16);
    let a = generate(&from_bytes, PROMPTS[0], &cfg).unwrap();
    let b = generate(&from_path, PROMPTS[0], &cfg).unwrap();
    assert_eq!(a.0, b.0);
    // No temporary model file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|d| d.ok())
        .filter(|d| d.file_name().to_string_lossy().starts_with(&format!("wasinn-ggml-{}-", std::process::id())))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Contexts on several threads over one graph (one llama_model): the same text each.
    let texts: Vec<Vec<u8>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3).map(|_| s.spawn(|| generate(&from_path, PROMPTS[0], &cfg).unwrap().0)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(texts.iter().all(|t| *t == a.0));
    // One context reused: the KV cache is cleared for each compute.
    let mut ctx = from_path.init_execution_context().unwrap();
    ctx.set_input(1, &bytes_tensor(cfg.as_bytes())).unwrap();
    for p in [PROMPTS[1], PROMPTS[0], PROMPTS[1]] {
        ctx.set_input(0, &bytes_tensor(p.as_bytes())).unwrap();
        ctx.compute().unwrap();
        if p == PROMPTS[0] {
            assert_eq!(ctx.output(0).unwrap().data, &a.0[..]);
        }
    }
}

#[test]
fn embeddings_equal_llama_cpp_python_within_1e_5() {
    let e = env_or_skip!();
    let texts = ["the people of the word", "hot day", "ünïcødé"];
    let r = reference(e, &[], &texts);
    let bytes = std::fs::read(&e.model).unwrap();
    let graph = load_bytes(&bytes, Some(&format!(r#"{{"embedding": true, "ctx-size": {CTX}, "threads": {THREADS}, "batch-size": {CTX}}}"#))).unwrap();
    assert_eq!(graph.outputs()[0].ty, Some(TensorType::Fp32));
    for (k, t) in texts.iter().enumerate() {
        let mut ctx = graph.init_execution_context().unwrap();
        ctx.set_input(0, &bytes_tensor(t.as_bytes())).unwrap();
        ctx.set_input(1, &bytes_tensor(b"{}")).unwrap();
        ctx.compute().unwrap();
        let out = ctx.output(0).unwrap();
        assert_eq!(out.ty, TensorType::Fp32);
        let got: Vec<f32> = out.data.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        let want: Vec<f64> = r["embed"][k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(got.len(), want.len());
        let worst = got.iter().zip(&want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-5, "{t:?}: max |diff| {worst}");
        println!("llamacpp embedding {t:?}: {} values, max |diff| {worst:.2e}", got.len());
    }
}

#[test]
fn bad_config_values_are_invalid_argument_with_the_key_named() {
    let e = env_or_skip!();
    let bytes = std::fs::read(&e.model).unwrap();
    let err = load_bytes(&bytes, Some(r#"{"ctx-size": "large"}"#)).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("ctx-size"), "{}", err.message);
    let graph = load_path(e);
    let mut ctx = graph.init_execution_context().unwrap();
    for bad in [r#"{"temp": "hot"}"#, r#"{"n-predict": 99999999}"#, r#"{"top_p": 3}"#, "not json", r#"[1, 2]"#] {
        let err = ctx.set_input(1, &bytes_tensor(bad.as_bytes())).unwrap_err();
        assert_eq!(err.status, Status::InvalidArgument, "{bad}: {}", err.message);
    }
    // Unknown keys are ignored.
    ctx.set_input(1, &bytes_tensor(br#"{"reverse-prompt": "x", "mmproj": "", "n_predict": 3, "temp": 0}"#)).unwrap();
    // A prompt must be UTF-8 and u8 bytes.
    assert_eq!(ctx.set_input(0, &bytes_tensor(b"\xff\xfe")).unwrap_err().status, Status::InvalidArgument);
    let f = TensorRef::new(TensorType::Fp32, vec![1], &[0u8; 4]).unwrap();
    assert_eq!(ctx.set_input(0, &f).unwrap_err().status, Status::InvalidArgument);
    // Not GGUF bytes from a guest.
    assert_eq!(load_bytes(b"/etc/passwd", None).unwrap_err().status, Status::InvalidEncoding);
}

#[test]
fn n_predict_bounds_the_generation() {
    let e = env_or_skip!();
    let graph = load_path(e);
    for n in [0u32, 1, 5] {
        let (_, meta) = generate(&graph, PROMPTS[1], &greedy_config(n)).unwrap();
        assert!(meta["output_tokens"].as_u64().unwrap() <= u64::from(n), "{meta}");
    }
    // -1: until the context is full (bounded by ctx-size).
    let r = generate(&graph, PROMPTS[1], r#"{"temp": 0, "n-predict": -1, "ctx-size": 32, "threads": 2}"#);
    match r {
        Ok((_, meta)) => assert!(meta["output_tokens"].as_u64().unwrap() < 32, "{meta}"),
        Err(err) => assert!(err.message.contains("full"), "{}", err.message),
    }
}

#[test]
fn a_prompt_longer_than_the_context_is_refused() {
    let e = env_or_skip!();
    let graph = load_path(e);
    let long = "the people of the word ".repeat(20);
    let err = generate(&graph, &long, r#"{"temp": 0, "ctx-size": 16, "threads": 2}"#).unwrap_err();
    assert!(err.message.contains("prompt has") && err.message.contains("ctx-size"), "{}", err.message);
}

/// Through the C API: a too-small output buffer is `too_large` with the needed size written, as
/// for every backend; the bytes load of a guest (no model directory) works there too.
#[test]
fn c_api_output_buffer_too_small_reports_the_needed_size() {
    use wasinn::capi::*;
    let e = env_or_skip!();
    let bytes = std::fs::read(&e.model).unwrap();
    let b = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
    let tensor = |d: &[u8], dims: &[u32; 1]| wasinn_tensor_t {
        r#type: WASINN_TENSOR_TYPE_U8,
        dims: dims.as_ptr(),
        rank: 1,
        data: d.as_ptr(),
        data_len: d.len(),
    };
    let cfg = greedy_config(12);
    let prompt = PROMPTS[0].as_bytes();
    let (pd, cd) = ([prompt.len() as u32], [cfg.len() as u32]);
    let (mut g, mut c) = (0, 0);
    unsafe {
        assert_eq!(wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_GGML, WASINN_TARGET_CPU, c"llamacpp".as_ptr(), &mut g), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_new(g, &mut c), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_set_input(c, 0, &tensor(prompt, &pd)), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_set_input(c, 1, &tensor(cfg.as_bytes(), &cd)), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_compute(c), WASINN_STATUS_SUCCESS);
        let mut need = 0usize;
        let mut small = [0u8; 2];
        assert_eq!(wasinn_exec_ctx_get_output(c, 0, small.as_mut_ptr().cast(), small.len(), &mut need), WASINN_STATUS_TOO_LARGE);
        assert!(need > small.len(), "{need}");
        let mut full = vec![0u8; need];
        let mut got = 0usize;
        assert_eq!(wasinn_exec_ctx_get_output(c, 0, full.as_mut_ptr().cast(), full.len(), &mut got), WASINN_STATUS_SUCCESS);
        assert_eq!(got, need);
        let mut meta = vec![0u8; 4096];
        assert_eq!(wasinn_exec_ctx_get_output(c, 1, meta.as_mut_ptr().cast(), meta.len(), &mut got), WASINN_STATUS_SUCCESS);
        let m: serde_json::Value = serde_json::from_slice(&meta[..got]).unwrap();
        assert_eq!(m["output_tokens"], 12, "{m}");
        assert_eq!(wasinn_exec_ctx_free(c), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
    }
}

// ---------------------------------------------------------------------------------------------
// The plugin's own table (plugin ABI version 3), called directly: streaming, graph_derive, the
// optional metadata input and the 100..102 statuses, whatever the host side does with them.

mod raw {
    use std::ptr::{null, null_mut};
    use wasinn_plugin_abi::*;

    /// The table, and the library kept open while it is used.
    pub struct Table(pub WasinnBackendPlugin, #[allow(dead_code)] libloading::Library);
    pub struct Graph<'t>(pub *mut WasinnBackendGraph, &'t Table);
    pub struct Ctx<'t>(pub *mut WasinnBackendCtx, &'t Table);

    /// A status and the plugin's message.
    pub type R<T> = Result<T, (u32, String)>;

    fn call(f: impl FnOnce(*mut WasinnBackendError) -> u32) -> R<()> {
        let mut buf = vec![0u8; 1024];
        let mut err = WasinnBackendError { message: buf.as_mut_ptr(), capacity: buf.len(), len: 0 };
        match f(&mut err) {
            0 => Ok(()),
            s => Err((s, String::from_utf8_lossy(&buf[..err.len]).into_owned())),
        }
    }

    impl Table {
        pub fn open(path: &std::path::Path) -> Table {
            // SAFETY: the plugin built by this workspace; its entry fills the table.
            unsafe {
                let lib = libloading::Library::new(path).unwrap();
                let entry: WasinnBackendEntryFn = *lib.get(b"wasinn_backend_plugin_entry\0").unwrap();
                let mut t: WasinnBackendPlugin = std::mem::zeroed();
                call(|e| entry(WASINN_BACKEND_ABI_VERSION, &mut t, size_of::<WasinnBackendPlugin>(), e)).unwrap();
                assert_eq!(t.abi_version, 3);
                Table(t, lib)
            }
        }

        pub fn load(&self, builders: &[&[u8]], model_dir: Option<&std::ffi::CStr>) -> R<Graph<'_>> {
            let b: Vec<WasinnBackendBytes> = builders.iter().map(|x| WasinnBackendBytes { data: x.as_ptr(), len: x.len() }).collect();
            let mut g = null_mut();
            let dir = model_dir.map_or(null(), |d| d.as_ptr());
            // SAFETY: valid arrays and out-pointer.
            call(|e| unsafe { self.0.load.unwrap()(b.as_ptr(), b.len(), WASINN_BACKEND_ENCODING_GGML, WASINN_BACKEND_TARGET_CPU, dir, &mut g, e) })?;
            Ok(Graph(g, self))
        }
    }

    impl Drop for Graph<'_> {
        fn drop(&mut self) {
            // SAFETY: owned.
            unsafe { self.1 .0.graph_free.unwrap()(self.0) }
        }
    }

    impl<'t> Graph<'t> {
        pub fn derive(&self, config: &str) -> R<Graph<'t>> {
            let mut g = null_mut();
            // SAFETY: a live graph, bytes for the call.
            call(|e| unsafe { self.1 .0.graph_derive.unwrap()(self.0, config.as_ptr(), config.len(), &mut g, e) })?;
            Ok(Graph(g, self.1))
        }

        /// (name, flags) of input `i`.
        pub fn input(&self, i: usize) -> (String, u32) {
            // SAFETY: a zeroed info is valid; the name is borrowed from the live graph.
            unsafe {
                let mut info: WasinnBackendIoInfo = std::mem::zeroed();
                call(|e| self.1 .0.graph_io_info.unwrap()(self.0, 0, i, &mut info, e)).unwrap();
                let name = std::slice::from_raw_parts(info.name, info.name_len);
                (String::from_utf8_lossy(name).into_owned(), info.flags)
            }
        }

        pub fn ctx(&self) -> Ctx<'t> {
            let mut c = null_mut();
            // SAFETY: a live graph.
            call(|e| unsafe { self.1 .0.ctx_new.unwrap()(self.0, &mut c, e) }).unwrap();
            Ctx(c, self.1)
        }
    }

    impl Drop for Ctx<'_> {
        fn drop(&mut self) {
            // SAFETY: owned.
            unsafe { self.1 .0.ctx_free.unwrap()(self.0) }
        }
    }

    impl Ctx<'_> {
        pub fn set(&mut self, i: usize, bytes: &[u8]) -> R<()> {
            let dims = [bytes.len()];
            let t = WasinnBackendTensor { dims: dims.as_ptr(), rank: 1, data: bytes.as_ptr(), len: bytes.len(), ty: WASINN_BACKEND_TENSOR_TYPE_U8, reserved: 0 };
            // SAFETY: a live context; the tensor borrowed for the call.
            call(|e| unsafe { self.1 .0.ctx_set_input.unwrap()(self.0, i, &t, e) })
        }

        pub fn compute(&mut self) -> R<()> {
            // SAFETY: a live context.
            call(|e| unsafe { self.1 .0.ctx_compute.unwrap()(self.0, e) })
        }

        fn read(&self, i: usize, single: bool) -> Vec<u8> {
            // SAFETY: a live context; the tensor's bytes are copied before the next call.
            unsafe {
                let mut t: WasinnBackendTensor = std::mem::zeroed();
                if single {
                    call(|e| self.1 .0.ctx_get_output_single.unwrap()(self.0, i, &mut t, e)).unwrap();
                } else {
                    call(|e| self.1 .0.ctx_get_output.unwrap()(self.0, i, &mut t, e)).unwrap();
                }
                if t.len == 0 { Vec::new() } else { std::slice::from_raw_parts(t.data, t.len).to_vec() }
            }
        }

        pub fn output(&self, i: usize) -> Vec<u8> {
            self.read(i, false)
        }

        /// One step: `Ok(Some(piece))`, `Ok(None)` at END_OF_SEQUENCE, or another status.
        pub fn step(&mut self) -> R<Option<Vec<u8>>> {
            // SAFETY: a live context.
            match call(|e| unsafe { self.1 .0.ctx_compute_single.unwrap()(self.0, e) }) {
                Ok(()) => Ok(Some(self.read(0, true))),
                Err((WASINN_BACKEND_STATUS_END_OF_SEQUENCE, _)) => Ok(None),
                Err(e) => Err(e),
            }
        }

        pub fn meta_single(&self) -> serde_json::Value {
            serde_json::from_slice(&self.read(1, true)).unwrap()
        }

        pub fn fini(&mut self) -> R<()> {
            // SAFETY: a live context.
            call(|e| unsafe { self.1 .0.ctx_fini_single.unwrap()(self.0, e) })
        }
    }
}

fn table() -> raw::Table {
    let exe = std::env::current_exe().unwrap();
    raw::Table::open(&exe.parent().and_then(Path::parent).unwrap().join("libwasinn_backend_llamacpp.so"))
}

#[test]
fn streaming_pieces_are_llama_cpp_pythons_tokens_and_join_to_computes_text() {
    let e = env_or_skip!();
    let r = reference(e, PROMPTS, &[]);
    let t = table();
    let bytes = std::fs::read(&e.model).unwrap();
    let g = t.load(&[&bytes], None).unwrap();
    let mut ctx = g.ctx();
    ctx.set(1, greedy_config(N_PREDICT).as_bytes()).unwrap();
    let mut steps = 0;
    for (k, prompt) in PROMPTS.iter().enumerate() {
        let want: Vec<&str> = r["generate"][k]["pieces"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        ctx.set(0, prompt.as_bytes()).unwrap();
        let mut pieces = Vec::new();
        while let Some(p) = ctx.step().unwrap() {
            pieces.push(hex(&p));
            assert!(pieces.len() <= N_PREDICT as usize);
        }
        assert_eq!(pieces, want, "prompt {prompt:?}: streamed pieces differ from llama-cpp-python's tokens");
        // get_output after a stream: the text so far (WasmEdge guests read it and the metadata).
        assert_eq!(hex(&ctx.output(0)), want.concat());
        let meta = ctx.meta_single();
        assert_eq!(meta["output_tokens"].as_u64().unwrap() as usize, want.len(), "{meta}");
        assert_eq!(meta["input_tokens"], r["generate"][k]["input_tokens"], "{meta}");
        // After the end, still END_OF_SEQUENCE until fini_single; then a new stream from the start.
        assert_eq!(ctx.step().unwrap(), None);
        ctx.fini().unwrap();
        ctx.fini().unwrap(); // no stream open: SUCCESS
        let first = ctx.step().unwrap().unwrap();
        assert_eq!(hex(&first), want[0]);
        ctx.fini().unwrap();
        // compute's text is the pieces joined.
        ctx.compute().unwrap();
        assert_eq!(hex(&ctx.output(0)), want.concat(), "prompt {prompt:?}");
        steps += want.len();
    }
    println!("llamacpp streaming: {} prompts, {steps} pieces equal to llama-cpp-python's tokens and to compute's text", PROMPTS.len());
}

#[test]
fn the_metadata_input_is_optional_and_derived_graphs_share_the_model() {
    let e = env_or_skip!();
    let t = table();
    let dir = std::ffi::CString::new(e.model.parent().unwrap().to_str().unwrap()).unwrap();
    let g = t.load(&[e.model.to_str().unwrap().as_bytes()], Some(&dir)).unwrap();
    assert_eq!(g.input(0), ("prompt".into(), 0));
    assert_eq!(g.input(1), ("metadata".into(), wasinn_plugin_abi::WASINN_BACKEND_IO_OPTIONAL));
    // load_by_name_with_config: a graph with greedy settings over the same model; the base graph
    // is freed first and the derived one keeps working.
    let d = g.derive(&greedy_config(8)).unwrap();
    assert_eq!(g.derive(r#"{"ctx-size": -5}"#).err().map(|e| e.0), Some(wasinn_plugin_abi::WASINN_BACKEND_STATUS_INVALID_ARGUMENT));
    drop(g);
    let mut ctx = d.ctx();
    ctx.set(0, PROMPTS[0].as_bytes()).unwrap();
    ctx.compute().unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&ctx.output(1)).unwrap();
    assert!(meta["output_tokens"].as_u64().unwrap() <= 8, "{meta}");
    // The same text as a context given the same config as input 1 on a plain graph.
    let bytes = std::fs::read(&e.model).unwrap();
    let plain = t.load(&[&bytes], None).unwrap();
    let mut c2 = plain.ctx();
    c2.set(0, PROMPTS[0].as_bytes()).unwrap();
    c2.set(1, greedy_config(8).as_bytes()).unwrap();
    c2.compute().unwrap();
    assert_eq!(ctx.output(0), c2.output(0));
    assert!(meta["llama_commit"].as_str().unwrap().starts_with("0c1e570"), "{meta}");
    assert_eq!(meta["llama_build_number"], 0);
}

#[test]
fn prompt_too_long_and_context_full_are_wasmedges_102_and_101() {
    let e = env_or_skip!();
    let t = table();
    let bytes = std::fs::read(&e.model).unwrap();
    let g = t.load(&[&bytes], None).unwrap();
    let mut ctx = g.ctx();
    ctx.set(1, br#"{"temp": 0, "ctx-size": 16, "n-predict": -1, "threads": 2}"#).unwrap();
    ctx.set(0, "the people of the word ".repeat(10).as_bytes()).unwrap();
    let err = ctx.compute().unwrap_err();
    assert_eq!(err.0, wasinn_plugin_abi::WASINN_BACKEND_STATUS_PROMPT_TOO_LONG, "{}", err.1);
    assert_eq!(ctx.step().unwrap_err().0, wasinn_plugin_abi::WASINN_BACKEND_STATUS_PROMPT_TOO_LONG);
    ctx.fini().unwrap();
    // A short prompt with -1 (until full) in a 16-token context: either an end token comes first,
    // or the stream ends with CONTEXT_FULL, never more than 16 tokens in all.
    ctx.set(0, b"a").unwrap();
    let mut n = 0;
    loop {
        match ctx.step() {
            Ok(Some(_)) => n += 1,
            Ok(None) => break,
            Err((s, m)) => {
                assert_eq!(s, wasinn_plugin_abi::WASINN_BACKEND_STATUS_CONTEXT_FULL, "{m}");
                break;
            }
        }
        assert!(n <= 16);
    }
    // compute reports the same, its outputs stay readable.
    match ctx.compute() {
        Ok(()) => {}
        Err((s, m)) => assert_eq!(s, wasinn_plugin_abi::WASINN_BACKEND_STATUS_CONTEXT_FULL, "{m}"),
    }
    let meta: serde_json::Value = serde_json::from_slice(&ctx.output(1)).unwrap();
    assert!(meta["output_tokens"].as_u64().unwrap() + meta["input_tokens"].as_u64().unwrap() <= 17, "{meta}");
    println!("llamacpp context full: {n} tokens streamed in a 16-token context");
}

// ---------------------------------------------------------------------------------------------
// The same through libwasinn's core (plugin ABI v3 host side).

#[test]
fn through_the_core_streaming_equals_compute_and_llama_cpp_python() {
    let e = env_or_skip!();
    let r = reference(e, &PROMPTS[..3], &[]);
    // load_by_name_with_config's path: a derived graph with the greedy settings; no input 1.
    let base = load_path(e);
    let graph = base.derive(greedy_config(N_PREDICT).as_bytes()).unwrap();
    drop(base);
    for (k, prompt) in PROMPTS[..3].iter().enumerate() {
        let want = &r["generate"][k];
        let mut ctx = graph.init_execution_context().unwrap();
        ctx.set_input(0, &bytes_tensor(prompt.as_bytes())).unwrap();
        let mut pieces = Vec::new();
        loop {
            match ctx.compute_single() {
                Ok(()) => pieces.push(hex(ctx.output_single(0).unwrap().data)),
                Err(err) if err.status == Status::EndOfSequence => break,
                Err(err) => panic!("compute_single: {err}"),
            }
        }
        let want_pieces: Vec<&str> = want["pieces"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        assert_eq!(pieces, want_pieces, "prompt {prompt:?}");
        // After END_OF_SEQUENCE, get_output describes the stream: its text and metadata.
        assert_eq!(hex(ctx.output(0).unwrap().data), want["text"].as_str().unwrap());
        let meta: serde_json::Value = serde_json::from_slice(ctx.output(1).unwrap().data).unwrap();
        assert_eq!(meta["input_tokens"], want["input_tokens"], "{meta}");
        assert_eq!(meta["output_tokens"].as_u64().unwrap() as usize, want_pieces.len(), "{meta}");
        ctx.fini_single().unwrap();
        ctx.compute().unwrap();
        assert_eq!(hex(ctx.output(0).unwrap().data), want["text"].as_str().unwrap());
    }
    // A bad derived config is invalid_argument with the key named.
    let err = graph.derive(br#"{"top-p": "x"}"#).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("top-p"), "{}", err.message);
}

#[test]
fn through_the_core_prompt_too_long_is_its_own_status() {
    let e = env_or_skip!();
    let graph = load_path(e).derive(br#"{"temp": 0, "ctx-size": 16, "threads": 2}"#).unwrap();
    let mut ctx = graph.init_execution_context().unwrap();
    ctx.set_input(0, &bytes_tensor("the people of the word ".repeat(10).as_bytes())).unwrap();
    assert_eq!(ctx.compute().unwrap_err().status, Status::PromptTooLong);
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::PromptTooLong);
}

/// A host preload (`--nn-preload default:GGML:AUTO:model.gguf`): the registry hands the plugin the
/// path (no copy of the file), and load_by_name_with_config derives a graph over the same model.
#[test]
fn a_registry_preload_passes_the_path_and_derives_with_a_config() {
    use wasinn::core::registry::{PreloadSpec, Registry};
    let e = env_or_skip!();
    let reg = Registry::new();
    reg.add_spec(PreloadSpec::parse(&format!("default:GGML:AUTO:{}", e.model.display())).unwrap()).unwrap();
    let g = reg.get("default").unwrap();
    assert_eq!(g.backend(), "llamacpp");
    let d = g.derive(greedy_config(10).as_bytes()).unwrap();
    let from_bytes = load_bytes(&std::fs::read(&e.model).unwrap(), None).unwrap();
    let want = generate(&from_bytes, PROMPTS[2], &greedy_config(10)).unwrap().0;
    let mut ctx = d.init_execution_context().unwrap();
    ctx.set_input(0, &bytes_tensor(PROMPTS[2].as_bytes())).unwrap();
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, &want[..]);
}

/// Markers around what the child below writes to stdout, so the parent can find the plugin's
/// output among libtest's own lines.
const STDOUT_BEGIN: &str = "\n<<wasinn-stream-stdout>>\n";
const STDOUT_END: &str = "\n<</wasinn-stream-stdout>>\n";

/// `"stream-stdout": true` prints each piece to the host's stdout during compute, as WasmEdge's
/// GGML backend does: the bytes printed are exactly the generated text, and nothing is printed
/// without the key. The plugin writes to file descriptor 1 (not through libtest's capture), so
/// the generation runs in a child process (this test binary again, running only the child test
/// below) whose stdout is read here.
#[test]
fn stream_stdout_prints_exactly_the_generated_text() {
    let e = env_or_skip!();
    let graph = load_path(e);
    let want = generate(&graph, PROMPTS[0], &greedy_config(N_PREDICT)).unwrap().0;
    assert!(!want.is_empty());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stream_stdout_child", "--nocapture", "--test-threads=1", "--quiet"])
        .env("WASINN_TEST_STREAM_STDOUT_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut sections: Vec<&[u8]> = Vec::new();
    let mut rest = &out.stdout[..];
    while let Some(b) = find(rest, STDOUT_BEGIN.as_bytes()) {
        let after = &rest[b + STDOUT_BEGIN.len()..];
        let end = find(after, STDOUT_END.as_bytes()).expect("an end marker after each begin marker");
        sections.push(&after[..end]);
        rest = &after[end + STDOUT_END.len()..];
    }
    assert_eq!(sections.len(), 2, "stdout: {}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(sections[0], &want[..], "stream-stdout true: the pieces printed are the text");
    assert_eq!(sections[1], b"", "stream-stdout absent: nothing printed");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The child of the test above (a no-op unless WASINN_TEST_STREAM_STDOUT_CHILD is set): two
/// generations between markers, with `"stream-stdout": true` then without the key.
#[test]
fn stream_stdout_child() {
    use std::io::Write;
    if std::env::var_os("WASINN_TEST_STREAM_STDOUT_CHILD").is_none() {
        return;
    }
    let e = env_or_skip!();
    let graph = load_path(e);
    let base = greedy_config(N_PREDICT);
    let on = format!(r#"{}, "stream-stdout": true}}"#, base.trim_end_matches('}'));
    for config in [on.as_str(), base.as_str()] {
        let mut o = std::io::stdout();
        o.write_all(STDOUT_BEGIN.as_bytes()).unwrap();
        o.flush().unwrap();
        generate(&graph, PROMPTS[0], config).unwrap();
        o.write_all(STDOUT_END.as_bytes()).unwrap();
        o.flush().unwrap();
    }
}
