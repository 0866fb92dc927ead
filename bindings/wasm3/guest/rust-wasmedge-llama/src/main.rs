//! A LlamaEdge-style chat guest on the published `wasmedge-wasi-nn` 0.8 crate (WasmEdge profile,
//! a GGML model the host preloaded). The same turns, options and checkable lines as
//! `../llama_chat.c`, so tests/llamacpp/run-guests.sh checks both the same way:
//!
//! usage: wasinn-wasmedge-llama.wasm [--name NAME] [--n-predict N] [--seed S] [--ctx-size N] [--threads T]
//!                                   [--out-max BYTES] [--turns FILE] [--dims-one] [TURN...]
//!
//! Each turn's prompt is the transcript so far + "User: <turn>\nAssistant:"; the reply (as text:
//! `String::from_utf8_lossy`) and "\n" are appended after the turn. Per turn: `GraphBuilder::new(Ggml, AUTO).config(json)
//! .build_from_cache(name)`, a context, input 0 = the prompt bytes (u8, dims [len]; with
//! `--dims-one` dims [1], the shape LlamaEdge's guests pass for a prompt of any length); then
//! `compute_single` + `get_output_single` until the crate's `BackendError::EndOfSequence`, each
//! piece printed as it arrives, `fini_single`; then the same input, `compute`, `get_output` 0 and 1
//! (metadata JSON). Lines:
//!   turn T prompt=<hex>
//!   turn T piece K=<hex>
//!   turn T too_large CALL buffer=M      (the crate drops the needed size the host wrote: the call
//!                                        is retried with the whole fixed buffer)
//!   turn T: reply=<hex> input_tokens=I output_tokens=O streamed_tokens=S streamed==computed=yes|no
//!   turn T: FAIL ...
//!   done: F failures                    (exit status 1 when F > 0)
//! Buffers are fixed-size, as in the C guest.

use std::io::Write;
use std::process::exit;

use wasmedge_wasi_nn::{BackendError, Error, ExecutionTarget, GraphBuilder, GraphEncoding, GraphExecutionContext, TensorType};

const PROMPT_MAX: usize = 16384;
const REPLY_MAX: usize = 8192;
const PIECE_MAX: usize = 256;
const META_MAX: usize = 1024;
const MAX_STREAM: usize = 4096;

fn errno_of(e: &Error) -> (String, i32) {
    match e {
        Error::BackendError(b) => {
            let code = match b {
                BackendError::InvalidArgument => 1,
                BackendError::InvalidEncoding => 2,
                BackendError::MissingMemory => 3,
                BackendError::Busy => 4,
                BackendError::RuntimeError => 5,
                BackendError::UnsupportedOperation => 6,
                BackendError::TooLarge => 7,
                BackendError::NotFound => 8,
                BackendError::EndOfSequence => 100,
                BackendError::ContextFull => 101,
                BackendError::PromptTooLong => 102,
                BackendError::ModelNotFound => 103,
                BackendError::UnknownError(c) => *c,
            };
            (format!("{b:?}"), code)
        }
        Error::IoError(e) => (format!("io error {e}"), -2),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The unsigned value of `"key": N` in a flat JSON object.
fn json_uint(json: &str, key: &str) -> Option<u64> {
    let pat = format!("\"{key}\"");
    let rest = json[json.find(&pat)? + pat.len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.parse().ok()
}

#[derive(Clone, Copy)]
enum Get {
    Output,
    Single,
}

struct Chat {
    name: String,
    config: String,
    out_max: usize,
    dims_one: bool,
    failures: u32,
}

impl Chat {
    fn fail(&mut self, turn: usize, what: &str, e: &Error) {
        let (name, code) = errno_of(e);
        println!("turn {turn}: FAIL {what}: {name} ({code})");
        self.failures += 1;
    }

    /// get_output / get_output_single of `index` into `buf`, the first attempt with at most
    /// `out_max` bytes; on TooLarge, reported and retried with the whole buffer.
    fn get(&mut self, turn: usize, what: &str, how: Get, ctx: &GraphExecutionContext, index: usize, buf: &mut [u8]) -> Result<usize, Error> {
        let call = |b: &mut [u8]| match how {
            Get::Output => ctx.get_output(index, b),
            Get::Single => ctx.get_output_single(index, b),
        };
        let first = self.out_max.min(buf.len());
        let n = match call(&mut buf[..first]) {
            Err(Error::BackendError(BackendError::TooLarge)) if first < buf.len() => {
                println!("turn {turn} too_large {what} buffer={first}");
                call(buf)?
            }
            r => r?,
        };
        if n > buf.len() {
            println!("turn {turn}: FAIL {what}: the host reports {n} bytes written into {}", buf.len());
            self.failures += 1;
            return Err(Error::BackendError(BackendError::TooLarge));
        }
        Ok(n)
    }

    /// One turn; the reply, or None after a reported failure.
    fn turn(&mut self, turn: usize, prompt: &[u8]) -> Option<Vec<u8>> {
        let builder = GraphBuilder::new(GraphEncoding::Ggml, ExecutionTarget::AUTO).config(self.config.clone());
        let graph = match builder.build_from_cache(&self.name) {
            Ok(g) => g,
            Err(e) => {
                self.fail(turn, "build_from_cache (load_by_name_with_config)", &e);
                return None;
            }
        };
        let mut ctx = match graph.init_execution_context() {
            Ok(c) => c,
            Err(e) => {
                self.fail(turn, "init_execution_context", &e);
                let _ = graph.unload();
                return None;
            }
        };
        let reply = self.stream_and_compute(turn, &mut ctx, prompt);
        if let Err(e) = graph.unload() {
            self.fail(turn, "unload", &e);
        }
        reply
    }

    fn stream_and_compute(&mut self, turn: usize, ctx: &mut GraphExecutionContext, prompt: &[u8]) -> Option<Vec<u8>> {
        let dims = [if self.dims_one { 1 } else { prompt.len() }];
        // streamed
        if let Err(e) = ctx.set_input(0, TensorType::U8, &dims, prompt) {
            self.fail(turn, "set_input 0 (stream)", &e);
            return None;
        }
        let mut streamed = Vec::with_capacity(REPLY_MAX);
        let mut piece = [0u8; PIECE_MAX];
        let mut pieces = 0usize;
        let mut stderr = std::io::stderr();
        loop {
            if pieces == MAX_STREAM {
                println!("turn {turn}: FAIL no end_of_sequence after {pieces} compute_single calls");
                self.failures += 1;
                return None;
            }
            match ctx.compute_single() {
                Ok(()) => {}
                Err(Error::BackendError(BackendError::EndOfSequence)) => break,
                Err(e) => {
                    self.fail(turn, "compute_single", &e);
                    return None;
                }
            }
            let n = match self.get(turn, "get_output_single", Get::Single, ctx, 0, &mut piece) {
                Ok(n) => n,
                Err(e) => {
                    self.fail(turn, "get_output_single", &e);
                    return None;
                }
            };
            println!("turn {turn} piece {pieces}={}", hex(&piece[..n]));
            let _ = std::io::stdout().flush();
            let _ = stderr.write_all(&piece[..n]);
            let _ = stderr.flush();
            if streamed.len() + n > REPLY_MAX {
                println!("turn {turn}: FAIL the streamed reply exceeds {REPLY_MAX} bytes");
                self.failures += 1;
                return None;
            }
            streamed.extend_from_slice(&piece[..n]);
            pieces += 1;
        }
        let _ = stderr.write_all(b"\n");
        if let Err(e) = ctx.fini_single() {
            self.fail(turn, "fini_single", &e);
            return None;
        }

        // computed in one go
        if let Err(e) = ctx.set_input(0, TensorType::U8, &dims, prompt) {
            self.fail(turn, "set_input 0 (compute)", &e);
            return None;
        }
        if let Err(e) = ctx.compute() {
            self.fail(turn, "compute", &e);
            return None;
        }
        let mut reply = vec![0u8; REPLY_MAX];
        let n = match self.get(turn, "get_output 0", Get::Output, ctx, 0, &mut reply) {
            Ok(n) => n,
            Err(e) => {
                self.fail(turn, "get_output 0", &e);
                return None;
            }
        };
        reply.truncate(n);
        let mut meta = [0u8; META_MAX];
        let m = match self.get(turn, "get_output 1", Get::Output, ctx, 1, &mut meta) {
            Ok(m) => m,
            Err(e) => {
                self.fail(turn, "get_output 1", &e);
                return None;
            }
        };
        let meta = String::from_utf8_lossy(&meta[..m]);
        let (Some(in_tok), Some(out_tok)) = (json_uint(&meta, "input_tokens"), json_uint(&meta, "output_tokens")) else {
            println!("turn {turn}: FAIL the metadata has no input_tokens/output_tokens: {meta}");
            self.failures += 1;
            return None;
        };
        let same = streamed == reply;
        println!(
            "turn {turn}: reply={} input_tokens={in_tok} output_tokens={out_tok} streamed_tokens={pieces} streamed==computed={}",
            hex(&reply),
            if same { "yes" } else { "no" }
        );
        if !same {
            self.failures += 1;
        }
        Some(reply)
    }
}

fn usage() -> ! {
    eprintln!("usage: wasinn-wasmedge-llama.wasm [--name NAME] [--n-predict N] [--seed S] [--ctx-size N] [--threads T] [--out-max BYTES] [--turns FILE] [--dims-one] [TURN...]");
    exit(2)
}

fn num(opt: &str, v: &str, max: u64) -> u64 {
    match v.parse::<u64>() {
        Ok(n) if n <= max => n,
        _ => {
            eprintln!("wasinn-wasmedge-llama: bad {opt} '{v}'");
            exit(2)
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut name, mut n_predict, mut seed, mut ctx_size, mut threads, mut out_max) = ("default".to_string(), 16, 42, 512, 1, usize::MAX);
    let mut turns: Vec<String> = Vec::new();
    let mut file_turns: Vec<String> = Vec::new();
    let mut dims_one = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with("--") {
            break;
        }
        if a == "--dims-one" {
            dims_one = true;
            i += 1;
            continue;
        }
        let Some(v) = args.get(i + 1) else { usage() };
        match a {
            "--name" => name = v.clone(),
            "--n-predict" => n_predict = num(a, v, 1_000_000),
            "--seed" => seed = num(a, v, i32::MAX as u64),
            "--ctx-size" => ctx_size = num(a, v, 1_000_000),
            "--threads" => threads = num(a, v, 1024),
            "--out-max" => out_max = num(a, v, 1_000_000) as usize,
            "--turns" => match std::fs::read(v) {
                Ok(b) => file_turns = String::from_utf8_lossy(&b).lines().filter(|l| !l.is_empty()).map(String::from).collect(),
                Err(e) => {
                    eprintln!("wasinn-wasmedge-llama: cannot read {v}: {e}");
                    exit(1)
                }
            },
            _ => usage(),
        }
        i += 2;
    }
    turns.extend(args[i..].iter().cloned());
    turns.extend(file_turns);
    if turns.is_empty() {
        usage();
    }

    let config = format!(r#"{{"temp":0.0,"repeat-penalty":1.0,"seed":{seed},"n-predict":{n_predict},"ctx-size":{ctx_size},"threads":{threads}}}"#);
    println!("config: {config}");
    let mut chat = Chat { name, config, out_max, dims_one, failures: 0 };
    let mut history: Vec<u8> = Vec::new();
    for (t, user) in turns.iter().enumerate() {
        let turn = t + 1;
        let mut prompt = history.clone();
        prompt.extend_from_slice(b"User: ");
        prompt.extend_from_slice(user.as_bytes());
        prompt.extend_from_slice(b"\nAssistant:");
        if prompt.len() > PROMPT_MAX {
            println!("turn {turn}: FAIL the transcript exceeds {PROMPT_MAX} bytes");
            chat.failures += 1;
            break;
        }
        println!("turn {turn} prompt={}", hex(&prompt));
        eprint!("[turn {turn}] User: {user}\n[turn {turn}] Assistant:");
        let Some(reply) = chat.turn(turn, &prompt) else { break };
        history = prompt;
        // the reply as text, as a chat app holding Strings keeps it (the prompt must be UTF-8)
        history.extend_from_slice(String::from_utf8_lossy(&reply).as_bytes());
        history.push(b'\n');
    }
    println!("done: {} failures", chat.failures);
    exit(if chat.failures == 0 { 0 } else { 1 });
}
