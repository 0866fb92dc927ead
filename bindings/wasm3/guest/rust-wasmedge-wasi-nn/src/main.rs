//! A guest written against the `wasmedge-wasi-nn` 0.8 crate, run under the WasmEdge profile.
//!
//! Each argument is a step `KIND:ARG...`; every call's errno is printed as `name (code)` with the
//! crate's own error variants, so the expected stdout (../wasmedge_cases.py) pins WasmEdge's
//! numbering end to end: tensor types u8 3 / i64 5, errnos not_found 8 / too_large 7.

use std::process::exit;

use wasmedge_wasi_nn::{BackendError, Error, ExecutionTarget, Graph, GraphBuilder, GraphEncoding, GraphExecutionContext, TensorType};

fn errno<T>(r: &Result<T, Error>) -> (String, i32) {
    match r {
        Ok(_) => ("success".into(), 0),
        Err(Error::BackendError(b)) => {
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
        Err(Error::IoError(e)) => (format!("io error {e}"), -2),
    }
}

struct Run {
    failures: u32,
}

impl Run {
    fn ok<T>(&mut self, step: &str, what: &str, r: Result<T, Error>) -> Option<T> {
        let (name, code) = errno(&r);
        match r {
            Ok(v) => Some(v),
            Err(_) => {
                println!("{step}: FAIL {what}: {name} ({code})");
                self.failures += 1;
                None
            }
        }
    }

    fn expect<T>(&mut self, step: &str, what: &str, r: Result<T, Error>, want: i32) {
        let (name, code) = errno(&r);
        println!("{step}: {what} -> {name} ({code})");
        if code != want {
            println!("{step}: FAIL {what}: expected errno {want}");
            self.failures += 1;
        }
    }

    fn from_file(&mut self, step: &str, path: &str) -> Option<Graph> {
        let r = GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_files([path]);
        self.ok(step, "build_from_files", r)
    }

    fn from_bytes(&mut self, step: &str, path: &str) -> Option<Graph> {
        let Ok(bytes) = std::fs::read(path) else {
            println!("{step}: FAIL cannot read {path}");
            self.failures += 1;
            return None;
        };
        self.ok(step, "build_from_bytes", GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_bytes([&bytes]))
    }

    /// a + b on the [2,3] f32 add model; `single` uses the streaming calls.
    fn add(&mut self, step: &str, ctx: &mut GraphExecutionContext, single: bool, sign: f32) -> Option<()> {
        let dims = [2usize, 3];
        let a: Vec<f32> = (1..=6).map(|i| sign * i as f32).collect();
        let b: Vec<f32> = (1..=6).map(|i| (10 * i) as f32 + 0.5).collect();
        self.ok(step, "set_input 0", ctx.set_input(0, TensorType::F32, &dims, &a))?;
        self.ok(step, "set_input 1", ctx.set_input(1, TensorType::F32, &dims, &b))?;
        let mut sum = [0f32; 6];
        let n = if single {
            self.ok(step, "compute_single", ctx.compute_single())?;
            let r = ctx.get_output_single(0, &mut sum[..1]);
            self.expect(step, "get_output_single into 4 bytes", r, 7);
            let n = self.ok(step, "get_output_single", ctx.get_output_single(0, &mut sum))?;
            self.ok(step, "fini_single", ctx.fini_single())?;
            n
        } else {
            self.ok(step, "compute", ctx.compute())?;
            self.ok(step, "get_output", ctx.get_output(0, &mut sum))?
        };
        let text: Vec<String> = sum.iter().map(|v| format!("{v}")).collect();
        println!("{step}: {n} bytes, sum = {}", text.join(" "));
        Some(())
    }

    fn step(&mut self, kind: &str, rest: &str) -> Option<()> {
        match kind {
            // load (guest bytes) + compute + get_output
            "bytes" => {
                let g = self.from_bytes(kind, rest)?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                self.add(kind, &mut ctx, false, 1.0)
            }
            // load_by_name of a model the host preloaded
            "name" => {
                let g = self.ok(kind, "build_from_cache", GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_cache(rest))?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                self.add(kind, &mut ctx, false, 1.0)
            }
            // load_by_name_with_config (a JSON config as LlamaEdge guests pass)
            "config" => {
                let b = GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).config(r#"{"n-predict":8,"ctx-size":512}"#.into());
                let g = self.ok(kind, "build_from_cache with config", b.build_from_cache(rest))?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                self.add(kind, &mut ctx, false, 1.0)
            }
            // compute_single / get_output_single / fini_single on a backend that does not stream
            // (the ONNX backends): unsupported_operation, and the context stays usable
            "single" => {
                let g = self.from_bytes(kind, rest)?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                self.add(kind, &mut ctx, false, 1.0)?;
                let mut sum = [0f32; 6];
                self.expect(kind, "compute_single on a backend that does not stream", ctx.compute_single(), 6);
                self.expect(kind, "get_output_single on a backend that does not stream", ctx.get_output_single(0, &mut sum), 6);
                self.expect(kind, "fini_single on a backend that does not stream", ctx.fini_single(), 6);
                self.add(kind, &mut ctx, false, -1.0)
            }
            // unload: the context made before keeps working; a second unload is refused
            "unload" => {
                let g = self.from_file(kind, rest)?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                self.ok(kind, "unload", g.unload())?;
                self.expect(kind, "unload again", g.unload(), 1);
                self.expect(kind, "init_execution_context after unload", g.init_execution_context(), 1);
                self.add(kind, &mut ctx, false, -1.0)
            }
            "missing" => {
                let r = GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_cache(rest);
                self.expect(kind, "build_from_cache of an unknown name", r, 8);
                Some(())
            }
            // u8 and i64 identities: WasmEdge (witx) tensor type numbers 3 and 5
            "ident" => {
                let (ty, path) = rest.split_once(':')?;
                let g = self.from_bytes(kind, path)?;
                let mut ctx = self.ok(kind, "init_execution_context", g.init_execution_context())?;
                let (r, input): (_, Vec<u8>) = match ty {
                    "u8" => {
                        let v: [u8; 6] = [0, 1, 127, 128, 254, 255];
                        (ctx.set_input(0, TensorType::U8, &[2, 3], &v), v.to_vec())
                    }
                    "i64" => {
                        let v: [i64; 6] = [i64::MIN, -1, 0, 1, 1 << 40, i64::MAX];
                        (ctx.set_input(0, TensorType::I64, &[2, 3], &v), v.iter().flat_map(|x| x.to_le_bytes()).collect())
                    }
                    _ => return None,
                };
                self.ok(kind, "set_input", r)?;
                self.ok(kind, "compute", ctx.compute())?;
                let mut out = [0xeeu8; 64];
                let n = self.ok(kind, "get_output", ctx.get_output(0, &mut out))?;
                let same = out[..n] == input[..];
                if !same {
                    self.failures += 1;
                }
                println!("{kind}: {ty} identity wrote {n} bytes, equal to the input: {}", if same { "yes" } else { "no" });
                Some(())
            }
            _ => {
                println!("{kind}: FAIL unknown step");
                self.failures += 1;
                None
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: wasinn-wasmedge-guest.wasm STEP:ARG... (see wasmedge_cases.py)");
        exit(2);
    }
    let mut run = Run { failures: 0 };
    for arg in &args {
        match arg.split_once(':') {
            Some((kind, rest)) => {
                run.step(kind, rest);
            }
            None => {
                println!("{arg}: FAIL not a STEP:ARG");
                run.failures += 1;
            }
        }
    }
    println!("done: {} failures", run.failures);
    exit(if run.failures == 0 { 0 } else { 1 });
}
