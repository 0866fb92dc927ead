//! Plugin ABI v3 with the mock plugin's generator (`plugins/mock`, model bytes starting with
//! `stream`): WasmEdge-style streaming (`compute_single` / `get_output_single` / `fini_single`)
//! through the core, the C API and the witx glue of every profile; optional inputs; graphs derived
//! with a JSON config (`load_by_name_with_config`, `wasinn_graph_derive`); GGML registry entries
//! passed to the backend as a path; and a plugin built for ABI v2, which has none of it.
//!
//! The generator echoes its prompt one byte per step (see `Generator` in the mock), so every
//! expectation below is computed from the prompt, with no llama.cpp.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use common::*;
use wasinn::backends::plugin::discovery as plugins;
use wasinn::backends::plugin::probe;
use wasinn::core::error::Status;
use wasinn::core::graph::{ExecContext, Graph};
use wasinn::core::loader::{self, LoadOptions};
use wasinn::core::registry::Registry;
use wasinn::core::tensor::TensorRef;
use wasinn::core::types::{Encoding, Target, TensorType};
use wasinn::glue::instance::WitxInstance;
use wasinn::glue::memory::GuestMemory;
use wasinn::glue::profile::Profile;

/// The streaming mock (sorts first among the GGML backends, so unpinned GGML loads land on it).
const STREAM: &str = "mockstream";
/// The same mock with the table of a plugin built for ABI version 2.
const V2: &str = "zz_v2table";

fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn built_mock() -> PathBuf {
    let path = profile_dir().join("libwasinn_backend_mock.so");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-p", "wasinn-backend-mock"]);
        if profile_dir().file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        assert!(cmd.status().expect("run cargo build").success(), "cargo build -p wasinn-backend-mock failed");
    }
    assert!(path.exists(), "{} not built", path.display());
    path
}

struct Setup {
    dir: TempDir,
}

/// The preload entry of the environment: a GGML file the registry must pass by path.
const PRELOADED: &str = "streaming_preloaded";

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mock = built_mock();
        let dir = TempDir::new("streaming");
        for v in [STREAM, V2, "zz_halfstream", "zz_samederive"] {
            std::fs::copy(&mock, dir.path().join(format!("libwasinn_backend_{v}.so"))).unwrap();
        }
        // A "GGUF" file: the mock reads it itself when handed its path.
        dir.write("model.gguf", b"stream model file");
        // Read once, at the global registry's first use (which comes after this).
        std::env::set_var(
            "WASINN_NN_PRELOAD",
            format!("{PRELOADED}:GGML:AUTO:{}", dir.path().join("model.gguf").display()),
        );
        probe::set_probe(probe::ProbeConfig {
            mode: probe::ProbeMode::Exe(PathBuf::from(env!("CARGO_BIN_EXE_wasinn-plugin-probe"))),
            timeout: std::time::Duration::from_secs(10),
        });
        plugins::add_path(dir.path()).unwrap();
        Setup { dir }
    })
}

fn opts(name: &str) -> LoadOptions<'_> {
    LoadOptions { backend: Some(name), model_dir: None }
}

fn generator(backend: &str) -> Arc<Graph> {
    setup();
    loader::load_with(&[b"stream"], Encoding::Ggml, Target::Cpu, &opts(backend)).unwrap()
}

fn u8_tensor(bytes: &[u8]) -> TensorRef<'_> {
    TensorRef::new(TensorType::U8, vec![bytes.len()], bytes).unwrap()
}

fn metadata(ctx: &ExecContext, single: bool) -> serde_like::Doc {
    let out = if single { ctx.output_single(1).unwrap() } else { ctx.output(1).unwrap() };
    serde_like::Doc(String::from_utf8(out.data.to_vec()).unwrap())
}

/// Streams to the end: the pieces, then the status that ended the stream.
fn stream(ctx: &mut ExecContext) -> (Vec<Vec<u8>>, Status) {
    let mut pieces = Vec::new();
    loop {
        match ctx.compute_single() {
            Ok(()) => pieces.push(ctx.output_single(0).unwrap().data.to_vec()),
            Err(e) => return (pieces, e.status),
        }
        assert!(pieces.len() < 10_000, "the stream never ends");
    }
}

/// Just enough of a JSON reader for the mock's flat metadata (no JSON dependency in the tests).
mod serde_like {
    #[derive(Debug)]
    pub struct Doc(pub String);
    impl Doc {
        /// The raw text of `"key":value` (up to the next `,` or `}` outside a string).
        pub fn raw(&self, key: &str) -> String {
            let pat = format!("\"{key}\":");
            let start = self.0.find(&pat).unwrap_or_else(|| panic!("no {key} in {}", self.0)) + pat.len();
            let rest = &self.0[start..];
            let mut in_str = false;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    if c == '"' {
                        in_str = !in_str;
                    }
                    !in_str && (c == ',' || c == '}')
                })
                .map_or(rest.len(), |(i, _)| i);
            rest[..end].to_string()
        }
        pub fn num(&self, key: &str) -> u64 {
            self.raw(key).parse().unwrap_or_else(|_| panic!("{key} is not a number in {}", self.0))
        }
        pub fn str(&self, key: &str) -> String {
            self.raw(key).trim_matches('"').to_string()
        }
    }
}

#[test]
fn pieces_then_end_of_sequence_and_fini_resets() {
    let g = generator(STREAM);
    assert_eq!(g.inputs().iter().map(|i| i.optional).collect::<Vec<_>>(), [false, true], "input 1 is optional");
    let mut ctx = g.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"hello")).unwrap();
    let (pieces, end) = stream(&mut ctx);
    assert_eq!(pieces, [b"h".to_vec(), b"e".to_vec(), b"l".to_vec(), b"l".to_vec(), b"o".to_vec()]);
    assert_eq!(end, Status::EndOfSequence);
    // Still at the end until the stream is finished.
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::EndOfSequence);
    // After the end the stream's metadata stays readable with get_output.
    let meta = metadata(&ctx, false);
    assert_eq!((meta.num("input_tokens"), meta.num("output_tokens")), (5, 5));

    // fini_single resets: the same prompt streams again from its start.
    ctx.fini_single().unwrap();
    assert_eq!(ctx.output_single(0).unwrap_err().status, Status::InvalidArgument, "no step since fini_single");
    let (again, end) = stream(&mut ctx);
    assert_eq!((again, end), (pieces.clone(), Status::EndOfSequence));
    // Mid-stream fini_single, then a new prompt.
    ctx.fini_single().unwrap();
    ctx.compute_single().unwrap();
    assert_eq!(ctx.output_single(0).unwrap().data, b"h");
    ctx.fini_single().unwrap();
    ctx.fini_single().unwrap(); // no stream open: success
    ctx.set_input(0, &u8_tensor(b"ab")).unwrap();
    let (pieces, _) = stream(&mut ctx);
    assert_eq!(pieces, [b"a".to_vec(), b"b".to_vec()]);
    // compute (non-streaming) gives the same text at once.
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, b"ab");
}

#[test]
fn optional_input_may_stay_unset_required_may_not() {
    let g = generator(STREAM);
    let mut ctx = g.init_execution_context().unwrap();
    // Input 0 (the prompt) is required, for compute and compute_single alike.
    let e = ctx.compute().unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(e.message.contains("input 0 (\"prompt\") was not set"), "{}", e.message);
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::InvalidArgument);
    // Input 1 (metadata) was never set: compute runs.
    ctx.set_input(0, &u8_tensor(b"xyz")).unwrap();
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, b"xyz");
    // Setting it reconfigures the context (n-predict 2 caps the pieces).
    ctx.set_input(1, &u8_tensor(br#"{"n-predict": 2}"#)).unwrap();
    let (pieces, end) = stream(&mut ctx);
    assert_eq!((pieces.len(), end), (2, Status::EndOfSequence));
}

#[test]
fn context_full_and_prompt_too_long() {
    let base = generator(STREAM);
    let g = base.derive(br#"{"ctx-size": 4}"#).unwrap();
    let mut ctx = g.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"abcde")).unwrap();
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::PromptTooLong);
    ctx.set_input(0, &u8_tensor(b"abc")).unwrap();
    ctx.compute_single().unwrap(); // 3 prompt + 1 piece = 4
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::ContextFull);
}

#[test]
fn derive_applies_a_config_and_refuses_a_bad_one() {
    let base = generator(STREAM);
    assert!(base.supports_derive());
    let derived = base.derive(br#"{"piece-bytes": 2, "n-predict": 9, "unknown-key": true}"#).unwrap();
    let mut ctx = derived.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"hello")).unwrap();
    let (pieces, _) = stream(&mut ctx);
    assert_eq!(pieces, [b"he".to_vec(), b"ll".to_vec(), b"o".to_vec()]);
    // The base graph keeps its own configuration, and outlives or not the derived one freely.
    drop(derived);
    let mut ctx2 = base.init_execution_context().unwrap();
    ctx2.set_input(0, &u8_tensor(b"hi")).unwrap();
    assert_eq!(stream(&mut ctx2).0.len(), 2);
    drop(base);
    ctx.fini_single().unwrap();
    assert_eq!(stream(&mut ctx).0.len(), 3, "a context keeps its derived graph alive");
    for bad in [&b"{not json"[..], br#"{"ctx-size": -1}"#, br#"{"n-predict": "many"}"#, b"[1]"] {
        let e = generator(STREAM).derive(bad).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{:?}", String::from_utf8_lossy(bad));
        assert!(e.message.starts_with("mock:"), "the plugin's message: {}", e.message);
    }
}

#[test]
fn a_v2_plugin_has_no_derive_no_stream_no_optional_inputs() {
    let g = generator(V2);
    assert!(!g.supports_derive());
    assert!(g.inputs().iter().all(|i| !i.optional), "flags are never read from a v2 plugin");
    let e = g.derive(br#"{"n-predict": 1}"#).unwrap_err();
    assert_eq!(e.status, Status::UnsupportedOperation);
    assert!(e.message.contains(V2), "{}", e.message);
    let mut ctx = g.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"ab")).unwrap();
    // Input 1 is required from a v2 plugin (its flags are not read), so compute refuses, and
    // compute_single too (the input check comes first on every backend).
    assert_eq!(ctx.compute().unwrap_err().status, Status::InvalidArgument);
    assert_eq!(ctx.compute_single().unwrap_err().status, Status::InvalidArgument);
    ctx.set_input(1, &u8_tensor(b"{}")).unwrap();
    for e in [ctx.compute_single().unwrap_err(), ctx.output_single(0).unwrap_err(), ctx.fini_single().unwrap_err()] {
        assert_eq!(e.status, Status::UnsupportedOperation);
        assert!(e.message.contains(&format!("the {V2} backend does not stream")), "{}", e.message);
    }
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, b"ab");
}

#[test]
fn malformed_v3_tables_are_rejected_or_refused() {
    setup();
    // Streaming entries come as a set: a table with only some of them is rejected at discovery.
    let entries = plugins::list();
    let half = entries
        .iter()
        .find(|e| e.path.as_ref().is_some_and(|p| p.to_string_lossy().contains("zz_halfstream")))
        .unwrap_or_else(|| panic!("no halfstream entry in {entries:#?}"));
    assert_eq!(half.status, plugins::BackendStatus::Rejected, "{half:#?}");
    assert!(half.reason.as_deref().unwrap_or_default().contains("all three or none"), "{half:#?}");
    // A graph_derive that returns its own argument is an error, never a second owner.
    let g = generator("zz_samederive");
    let e = g.derive(b"{}").unwrap_err();
    assert_eq!(e.status, Status::RuntimeError);
    assert!(e.message.contains("returned the graph it was given"), "{}", e.message);
    // The base graph is intact.
    let mut ctx = g.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"ok")).unwrap();
    ctx.compute().unwrap();
    assert_eq!(ctx.output(0).unwrap().data, b"ok");
}

#[test]
fn ggml_registry_entries_pass_the_path_not_the_bytes() {
    let s = setup();
    let file = s.dir.path().join("model.gguf");
    let check = |g: &Arc<Graph>| {
        let mut ctx = g.init_execution_context().unwrap();
        ctx.set_input(0, &u8_tensor(b"q")).unwrap();
        ctx.compute().unwrap();
        let meta = metadata(&ctx, false);
        assert_eq!(meta.str("from"), "path", "{meta:?}");
        assert_eq!(meta.str("path"), file.display().to_string());
        assert_eq!(meta.str("model_dir"), s.dir.path().display().to_string());
        assert_eq!(meta.num("builder_len"), file.display().to_string().len() as u64, "the builder is the path");
    };
    // The registry API.
    let r = Registry::new();
    r.add_files("m", Encoding::Ggml, Target::Auto, vec![file.clone()]).unwrap();
    let g = r.get("m").unwrap();
    assert_eq!(g.backend(), STREAM);
    check(&g);
    // The environment (WasmEdge's --nn-preload form), through the global registry.
    check(&Registry::global().get(PRELOADED).unwrap());
    // A missing file is not_found before any backend is asked; two paths are refused.
    let e = r.add_files("gone", Encoding::Ggml, Target::Auto, vec![s.dir.path().join("nope.gguf")]).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    let e = r.add_files("two", Encoding::Ggml, Target::Auto, vec![file.clone(), file.clone()]).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    // Bytes (a guest's load) stay bytes: no model_dir.
    let g = generator(STREAM);
    let mut ctx = g.init_execution_context().unwrap();
    ctx.set_input(0, &u8_tensor(b"q")).unwrap();
    ctx.compute().unwrap();
    assert_eq!(metadata(&ctx, false).str("from"), "bytes");
}

// ------------------------------------------------------------------------------------------------
// The witx glue.

/// A guest memory with a bump allocator at odd offsets.
struct Mem {
    mem: Vec<u8>,
    next: u32,
}

impl Mem {
    fn new() -> Mem {
        Mem { mem: vec![0xA5; 1 << 16], next: 1 }
    }
    fn at(&mut self, bytes: &[u8]) -> u32 {
        let at = self.next;
        let i = at as usize;
        self.mem[i..i + bytes.len()].copy_from_slice(bytes);
        self.next += (bytes.len() as u32 | 1) + 2;
        at
    }
    fn u32_at(&self, at: u32) -> u32 {
        let i = at as usize;
        u32::from_le_bytes(self.mem[i..i + 4].try_into().unwrap())
    }
    fn bytes(&self, at: u32, len: u32) -> &[u8] {
        &self.mem[at as usize..(at + len) as usize]
    }
    fn g(&mut self) -> GuestMemory<'_> {
        GuestMemory::new(&mut self.mem)
    }
    /// A wasm32 `tensor` record of u8 data (u8 is 3 in the witx numbering, 4 in WAMR 2.1's).
    fn u8_tensor(&mut self, profile: Profile, data: &[u8]) -> u32 {
        self.u8_tensor_dims(profile, data.len() as u32, data)
    }

    /// A u8 tensor record of dims `[dim]` over `data` (a dim other than the length: LlamaEdge's
    /// prompt shape).
    fn u8_tensor_dims(&mut self, profile: Profile, dim: u32, data: &[u8]) -> u32 {
        let dims = self.at(&dim.to_le_bytes());
        let data_ptr = self.at(data);
        let ty: u8 = if profile == Profile::Wamr21 { 4 } else { 3 };
        let mut rec = Vec::new();
        rec.extend_from_slice(&dims.to_le_bytes());
        rec.extend_from_slice(&1u32.to_le_bytes());
        rec.extend_from_slice(&[ty, 0xEE, 0xEE, 0xEE]);
        rec.extend_from_slice(&data_ptr.to_le_bytes());
        rec.extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.at(&rec)
    }
}

/// The errno `p` gives for `s`.
fn errno(p: Profile, s: Status) -> u16 {
    p.errno(s)
}

#[test]
fn witx_streaming_errno_per_profile() {
    // The WasmEdge profile returns WasmEdge's own numbers, WAMR 2.4 the same (its header declares
    // them); the spec and WAMR 2.1 have none: not_found / too_large (documented in the profile).
    assert_eq!(errno(Profile::WasmEdge, Status::EndOfSequence), 100);
    assert_eq!(errno(Profile::WasmEdge, Status::ContextFull), 101);
    assert_eq!(errno(Profile::WasmEdge, Status::PromptTooLong), 102);
    assert_eq!(errno(Profile::Wamr, Status::EndOfSequence), 100);
    assert_eq!(errno(Profile::Spec, Status::EndOfSequence), 8);
    assert_eq!(errno(Profile::Spec, Status::ContextFull), 7);
    assert_eq!(errno(Profile::Spec, Status::PromptTooLong), 7);
    assert_eq!(errno(Profile::Wamr21, Status::EndOfSequence), 7);
    assert_eq!(errno(Profile::Wamr21, Status::ContextFull), 6);

    setup();
    let r = Registry::new();
    r.add_bytes("gen", Encoding::Ggml, Target::Cpu, vec![b"stream".to_vec()]).unwrap();
    for p in Profile::ALL {
        let inst = WitxInstance::new(p);
        let mut m = Mem::new();
        let name = m.at(b"gen");
        let out = m.at(&[0; 4]);
        inst.load_by_name_in(&r, &mut m.g(), name, 3, out).unwrap();
        let graph = m.u32_at(out);
        // A derived graph: pieces of 2 bytes.
        let cfg = m.at(br#"{"piece-bytes":2}"#);
        inst.load_by_name_with_config_in(&r, &mut m.g(), name, 3, cfg, 17, out).unwrap();
        let derived = m.u32_at(out);
        assert_ne!(derived, graph, "a derived graph is a new handle");
        inst.init_execution_context(&mut m.g(), derived, out).unwrap();
        let ctx = m.u32_at(out);
        let t = m.u8_tensor(p, b"abcde");
        inst.set_input(&mut m.g(), ctx, 0, t).unwrap();
        let buf = m.at(&[0; 8]);
        let written = m.at(&[0; 4]);
        let mut text = Vec::new();
        let end = loop {
            match inst.compute_single(ctx) {
                Ok(()) => {}
                Err(e) => break e,
            }
            inst.get_output_single(&mut m.g(), ctx, 0, buf, 8, written).unwrap();
            let n = m.u32_at(written);
            text.extend_from_slice(m.bytes(buf, n));
        };
        assert_eq!(text, b"abcde", "profile {p:?}");
        assert_eq!(end.status, Status::EndOfSequence);
        assert_eq!(p.errno(end.status), errno(p, Status::EndOfSequence));
        // get_output_single into a buffer too small: too_large, the needed size written, the
        // buffer untouched.
        inst.fini_single(ctx).unwrap();
        inst.compute_single(ctx).unwrap(); // "ab"
        let small = m.at(&[0xA5; 1]);
        let e = inst.get_output_single(&mut m.g(), ctx, 0, small, 1, written).unwrap_err();
        assert_eq!(e.status, Status::TooLarge);
        assert_eq!(m.u32_at(written), 2, "the needed size");
        assert_eq!(m.bytes(small, 1), [0xA5]);
        // The metadata output of the step.
        let meta = m.at(&[0; 512]);
        inst.get_output_single(&mut m.g(), ctx, 1, meta, 512, written).unwrap();
        let doc = serde_like::Doc(String::from_utf8(m.bytes(meta, m.u32_at(written)).to_vec()).unwrap());
        assert_eq!((doc.num("input_tokens"), doc.num("output_tokens"), doc.num("piece-bytes")), (5, 1, 2));
        // A bad config: invalid_argument, no handle.
        let bad = m.at(b"{oops");
        let e = inst.load_by_name_with_config_in(&r, &mut m.g(), name, 3, bad, 5, out).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert_eq!(inst.graph_count(), 2);
        // A config outside the memory: missing_memory.
        let e = inst.load_by_name_with_config_in(&r, &mut m.g(), name, 3, u32::MAX - 2, 16, out).unwrap_err();
        assert_eq!(e.status, Status::MissingMemory);
        // Unloading the base graph leaves the derived graph's context working.
        inst.unload(graph).unwrap();
        inst.fini_single(ctx).unwrap();
        assert!(inst.compute_single(ctx).is_ok());
    }
}

#[test]
fn wasmedge_profile_takes_a_byte_string_prompt_of_dims_one() {
    // LlamaEdge's guests pass the prompt as u8 with dims [1] whatever its length; WasmEdge takes
    // the bytes as they are. The WasmEdge profile does the same for a byte-string input (u8, one
    // dynamic dim); every other profile keeps product(dims) == len and refuses it.
    setup();
    let r = Registry::new();
    r.add_bytes("gen", Encoding::Ggml, Target::Cpu, vec![b"stream".to_vec()]).unwrap();
    for p in Profile::ALL {
        let inst = WitxInstance::new(p);
        let mut m = Mem::new();
        let name = m.at(b"gen");
        let out = m.at(&[0; 4]);
        inst.load_by_name_in(&r, &mut m.g(), name, 3, out).unwrap();
        let graph = m.u32_at(out);
        inst.init_execution_context(&mut m.g(), graph, out).unwrap();
        let ctx = m.u32_at(out);
        let t = m.u8_tensor_dims(p, 1, b"hello");
        let set = inst.set_input(&mut m.g(), ctx, 0, t);
        if p != Profile::WasmEdge {
            assert_eq!(set.unwrap_err().status, Status::InvalidArgument, "profile {p:?}");
            continue;
        }
        set.unwrap();
        let (buf, written) = (m.at(&[0; 8]), m.at(&[0; 4]));
        let mut text = Vec::new();
        while inst.compute_single(ctx).is_ok() {
            inst.get_output_single(&mut m.g(), ctx, 0, buf, 8, written).unwrap();
            let n = m.u32_at(written);
            text.extend_from_slice(m.bytes(buf, n));
        }
        assert_eq!(text, b"hello", "the whole prompt reached the backend");
        // A dims [2] over 5 bytes of a byte string is the same; a wrong dims on a u8 input that is
        // not a byte string would still be refused (the ONNX guests' tests cover that rule).
        inst.fini_single(ctx).unwrap();
        let t = m.u8_tensor_dims(p, 2, b"hello");
        inst.set_input(&mut m.g(), ctx, 0, t).unwrap();
    }
}

#[test]
fn witx_errno_through_the_c_glue() {
    use wasinn::glue::profile::{WASINN_WITX_PROFILE_SPEC, WASINN_WITX_PROFILE_WAMR, WASINN_WITX_PROFILE_WASMEDGE};
    use wasinn::glue::witx::*;
    setup();
    let r = Registry::global();
    r.add_bytes("streaming_c_glue", Encoding::Ggml, Target::Cpu, vec![b"stream".to_vec()]).unwrap();
    for (p, eos) in [(WASINN_WITX_PROFILE_WASMEDGE, 100), (WASINN_WITX_PROFILE_WAMR, 100), (WASINN_WITX_PROFILE_SPEC, 8)] {
        let mut inst = std::ptr::null_mut();
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { wasinn_witx_instance_new(p, &mut inst) }, 0);
        let mut m = Mem::new();
        let name = m.at(b"streaming_c_glue");
        let out = m.at(&[0; 4]);
        let cfg = m.at(br#"{"n-predict":1}"#);
        let (mp, ml) = (m.mem.as_mut_ptr(), m.mem.len());
        // SAFETY: a live instance and memory.
        unsafe {
            assert_eq!(wasinn_witx_load_by_name_with_config(inst, mp, ml, name, 16, cfg, 15, out), 0);
        }
        let graph = m.u32_at(out);
        let (mp, ml) = (m.mem.as_mut_ptr(), m.mem.len());
        // SAFETY: as above.
        unsafe { assert_eq!(wasinn_witx_init_execution_context(inst, mp, ml, graph, out), 0) };
        let ctx = m.u32_at(out);
        let profile = Profile::from_raw(p).unwrap();
        let t = m.u8_tensor(profile, b"xy");
        let (mp, ml) = (m.mem.as_mut_ptr(), m.mem.len());
        // SAFETY: as above.
        unsafe {
            assert_eq!(wasinn_witx_set_input(inst, mp, ml, ctx, 0, t), 0);
            assert_eq!(wasinn_witx_compute_single(inst, mp, ml, ctx), 0);
            // n-predict 1: the second step is the end.
            assert_eq!(wasinn_witx_compute_single(inst, mp, ml, ctx), eos);
            assert_eq!(wasinn_witx_fini_single(inst, mp, ml, ctx), 0);
            assert_eq!(wasinn_witx_compute_single(inst, mp, ml, ctx), 0);
            wasinn_witx_instance_free(inst);
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The C API.

#[test]
fn c_api_streams_derives_and_counts_copies() {
    use wasinn::capi::*;
    setup();
    let last = || {
        let mut msg = vec![0u8; 512];
        // SAFETY: valid buffer.
        let n = unsafe { wasinn_last_error_message(msg.as_mut_ptr().cast(), msg.len()) };
        String::from_utf8_lossy(&msg[..n.min(msg.len() - 1)]).into_owned()
    };
    let model = b"stream";
    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let backend = std::ffi::CString::new(STREAM).unwrap();
    let mut base = 0;
    // SAFETY: valid buffer, name and out-pointers throughout.
    unsafe {
        assert_eq!(wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_GGML, WASINN_TARGET_CPU, backend.as_ptr(), &mut base), 0);
        let cfg = br#"{"piece-bytes": 3}"#;
        let mut g = 0;
        assert_eq!(wasinn_graph_derive(base, cfg.as_ptr(), cfg.len(), &mut g), WASINN_STATUS_SUCCESS, "{}", last());
        assert_ne!(g, base);
        let mut bad = 0;
        assert_eq!(wasinn_graph_derive(base, b"{x".as_ptr(), 2, &mut bad), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(bad, 0, "written only on success");
        assert_eq!(wasinn_graph_derive(base, std::ptr::null(), 3, &mut bad), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_graph_free(base), 0, "the derived graph is independent");
        let mut ctx = 0;
        assert_eq!(wasinn_exec_ctx_new(g, &mut ctx), 0);
        let prompt = b"abcdefg";
        let dims = [prompt.len() as u32];
        let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_U8, dims: dims.as_ptr(), rank: 1, data: prompt.as_ptr(), data_len: prompt.len() };
        assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), 0);
        let before = wasinn::core::stats::snapshot();
        let mut text = Vec::new();
        let mut buf = [0u8; 8];
        let mut n = 0usize;
        let mut steps = 0;
        let end = loop {
            let s = wasinn_exec_ctx_compute_single(ctx);
            if s != WASINN_STATUS_SUCCESS {
                break s;
            }
            steps += 1;
            assert_eq!(wasinn_exec_ctx_get_output_single(ctx, 0, buf.as_mut_ptr().cast(), buf.len(), &mut n), 0);
            text.extend_from_slice(&buf[..n]);
        };
        assert_eq!(end, WASINN_STATUS_END_OF_SEQUENCE);
        assert_eq!(text, prompt);
        assert_eq!(steps, 3);
        let d = wasinn::core::stats::snapshot().since(&before);
        assert!(d.get_output_calls >= 3 && d.bytes_out >= 7, "get_output_single copies are counted: {d:?}");
        // A short buffer: TOO_LARGE with the needed size.
        assert_eq!(wasinn_exec_ctx_fini_single(ctx), 0);
        assert_eq!(wasinn_exec_ctx_compute_single(ctx), 0);
        let mut one = [0xA5u8; 1];
        assert_eq!(wasinn_exec_ctx_get_output_single(ctx, 0, one.as_mut_ptr().cast(), 1, &mut n), WASINN_STATUS_TOO_LARGE);
        assert_eq!((n, one[0]), (3, 0xA5));
        assert_eq!(wasinn_exec_ctx_get_output_single(ctx, 2, buf.as_mut_ptr().cast(), 8, &mut n), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_exec_ctx_compute_single(u64::MAX), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_exec_ctx_free(ctx), 0);
        assert_eq!(wasinn_graph_free(g), 0);

        // tract does not stream and takes no configuration.
        let onnx = add_f32_model(&[1]);
        let ob = wasinn_buffer_t { data: onnx.as_ptr(), len: onnx.len() };
        let mut tg = 0;
        assert_eq!(wasinn_graph_load(&ob, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut tg), 0, "{}", last());
        let mut d = 0;
        assert_eq!(wasinn_graph_derive(tg, b"{}".as_ptr(), 2, &mut d), WASINN_STATUS_UNSUPPORTED_OPERATION);
        assert!(last().contains("tract"), "{}", last());
        let mut tc = 0;
        assert_eq!(wasinn_exec_ctx_new(tg, &mut tc), 0);
        // Inputs unset: invalid_argument on any backend; set, tract says it does not stream.
        assert_eq!(wasinn_exec_ctx_compute_single(tc), WASINN_STATUS_INVALID_ARGUMENT);
        let one = 1.0f32.to_le_bytes();
        let d1 = [1u32];
        let ft = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: d1.as_ptr(), rank: 1, data: one.as_ptr(), data_len: 4 };
        assert_eq!(wasinn_exec_ctx_set_input(tc, 0, &ft), 0, "{}", last());
        assert_eq!(wasinn_exec_ctx_set_input(tc, 1, &ft), 0, "{}", last());
        assert_eq!(wasinn_exec_ctx_compute_single(tc), WASINN_STATUS_UNSUPPORTED_OPERATION);
        assert!(last().contains("the tract backend does not stream"), "{}", last());
        assert_eq!(wasinn_exec_ctx_fini_single(tc), WASINN_STATUS_UNSUPPORTED_OPERATION);
        assert_eq!(wasinn_exec_ctx_get_output_single(tc, 0, buf.as_mut_ptr().cast(), 8, &mut n), WASINN_STATUS_UNSUPPORTED_OPERATION);
        assert_eq!(wasinn_exec_ctx_free(tc), 0);
        assert_eq!(wasinn_graph_free(tg), 0);
    }
}
