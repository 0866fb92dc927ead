//! The wasinn_crate_mirror.c steps, written against the real `wasi-nn` 0.6 crate.
//!
//! Same arguments and the same stdout as the C guest, except the "needed N bytes" lines: the
//! crate's `get_output` drops the size the host writes on `too_large`.

use std::process::exit;

use wasi_nn::{Error, ExecutionTarget, Graph, GraphBuilder, GraphEncoding, GraphExecutionContext, TensorType};

/// The witx errno of a crate error, with its spec name.
fn errno(r: &Result<impl Sized, Error>) -> (&'static str, i32) {
    match r {
        Ok(_) => ("success", 0),
        Err(Error::BackendError(b)) => match format!("{b:?}").as_str() {
            "InvalidArgument" => ("invalid_argument", 1),
            "InvalidEncoding" => ("invalid_encoding", 2),
            "MissingMemory" => ("missing_memory", 3),
            "Busy" => ("busy", 4),
            "RuntimeError" => ("runtime_error", 5),
            "UnsupportedOperation" => ("unsupported_operation", 6),
            "TooLarge" => ("too_large", 7),
            "NotFound" => ("not_found", 8),
            _ => ("unknown_errno", -1),
        },
        Err(Error::IoError(_)) => ("io_error", -2),
    }
}

/// C's printf("%g").
fn g(v: f64) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{v:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let strip = |s: &str| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() }
    };
    if exp < -4 || exp >= 6 {
        format!("{}e{}{:02}", strip(mant), if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        strip(&format!("{:.*}", (5 - exp) as usize, v))
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

    fn graph_from_file(&mut self, step: &str, enc: GraphEncoding, path: &str) -> Option<Graph> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(_) => {
                println!("{step}: FAIL cannot read {path}");
                self.failures += 1;
                return None;
            }
        };
        self.ok(step, "build_from_bytes", GraphBuilder::new(enc, ExecutionTarget::CPU).build_from_bytes([&bytes]))
    }

    fn run_add(&mut self, step: &str, graph: &Graph) -> Option<()> {
        let mut ctx: GraphExecutionContext = self.ok(step, "init_execution_context", graph.init_execution_context())?;
        let dims = [2usize, 3];
        let mut a: Vec<f32> = (1..=6).map(|i| i as f32).collect();
        let b: Vec<f32> = (1..=6).map(|i| (10 * i) as f32 + 0.5).collect();
        let mut sum = [0f32; 6];
        self.expect(step, "get_output before compute", ctx.get_output(0, &mut sum), 1);
        self.ok(step, "set_input 0", ctx.set_input(0, TensorType::F32, &dims, &a))?;
        self.expect(step, "set_input with 5 of 6 elements", ctx.set_input(1, TensorType::F32, &dims, &b[..5]), 1);
        self.expect(step, "set_input index 2 (model has 2 inputs)", ctx.set_input(2, TensorType::F32, &dims, &b), 1);
        self.ok(step, "set_input 1", ctx.set_input(1, TensorType::F32, &dims, &b))?;
        self.ok(step, "compute", ctx.compute())?;
        let r = ctx.get_output(0, &mut sum[..1]);
        self.expect(step, "get_output into 4 bytes", r, 7);
        let n = self.ok(step, "get_output retry", ctx.get_output(0, &mut sum))?;
        println!("{step}: get_output 0 wrote {n} bytes");
        println!("{step}: sum = {}", sum.iter().map(|&v| g(v as f64)).collect::<Vec<_>>().join(" "));
        self.expect(step, "get_output index 1 (model has 1 output)", ctx.get_output(1, &mut sum), 1);
        for v in a.iter_mut() {
            *v = -*v;
        }
        self.ok(step, "set_input 0 again", ctx.set_input(0, TensorType::F32, &dims, &a))?;
        self.ok(step, "compute again", ctx.compute())?;
        self.ok(step, "get_output again", ctx.get_output(0, &mut sum))?;
        println!("{step}: sum = {}", sum.iter().map(|&v| g(v as f64)).collect::<Vec<_>>().join(" "));
        Some(())
    }

    fn multi(&mut self, step: &str, path: &str) -> Option<()> {
        let graph = self.graph_from_file(step, GraphEncoding::Onnx, path)?;
        let mut ctx = self.ok(step, "init_execution_context", graph.init_execution_context())?;
        let x: [i64; 4] = [1, -2, 3, 1 << 33];
        let y: [f32; 3] = [1.5, -2.0, 0.25];
        self.ok(step, "set_input 0 (i64)", ctx.set_input(0, TensorType::I64, &[2, 2], &x))?;
        self.ok(step, "set_input 1 (f32)", ctx.set_input(1, TensorType::F32, &[3], &y))?;
        self.ok(step, "compute", ctx.compute())?;
        let mut twice = [0i64; 4];
        let mut sq = [0f32; 3];
        let mut fx = [0f32; 4];
        let n = self.ok(step, "get_output 0", ctx.get_output(0, &mut twice))?;
        println!("{step}: output 0 ({n} bytes) x+x = {}", twice.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" "));
        let n = self.ok(step, "get_output 1", ctx.get_output(1, &mut sq))?;
        println!("{step}: output 1 ({n} bytes) y*y = {}", sq.iter().map(|&v| g(v as f64)).collect::<Vec<_>>().join(" "));
        let n = self.ok(step, "get_output 2", ctx.get_output(2, &mut fx))?;
        println!("{step}: output 2 ({n} bytes) float(x) = {}", fx.iter().map(|&v| g(v as f64)).collect::<Vec<_>>().join(" "));
        self.expect(step, "get_output 1 into 8 bytes", ctx.get_output(1, &mut sq[..2]), 7);
        self.expect(step, "get_output index 3 (model has 3 outputs)", ctx.get_output(3, &mut sq), 1);
        Some(())
    }

    fn ident(&mut self, step: &str, ty: &str, path: &str) -> Option<()> {
        let dims = [2usize, 3];
        let f16: [u16; 6] = [0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x3555];
        let f32_: [f32; 6] = [1.0, -2.5, 0.125, 0.0, 3.0e38, -1.0e-30];
        let f64_: [f64; 6] = [1.0, -2.5, 0.1, 0.0, 1.0e300, -1.0e-300];
        let u8_: [u8; 6] = [0, 1, 127, 128, 254, 255];
        let i32_: [i32; 6] = [i32::MIN, -1, 0, 1, 42, i32::MAX];
        let i64_: [i64; 6] = [i64::MIN, -1, 0, 1, 1 << 40, i64::MAX];
        let graph = self.graph_from_file(step, GraphEncoding::Onnx, path)?;
        let mut ctx = self.ok(step, "init_execution_context", graph.init_execution_context())?;
        let (r, input, values): (_, Vec<u8>, Vec<String>) = match ty {
            "f16" => (ctx.set_input(0, TensorType::F16, &dims, &f16), f16.iter().flat_map(|v| v.to_le_bytes()).collect(),
                      f16.iter().map(|v| format!("0x{v:04x}")).collect()),
            "f32" => (ctx.set_input(0, TensorType::F32, &dims, &f32_), f32_.iter().flat_map(|v| v.to_le_bytes()).collect(),
                      f32_.iter().map(|&v| g(v as f64)).collect()),
            "f64" => (ctx.set_input(0, TensorType::F64, &dims, &f64_), f64_.iter().flat_map(|v| v.to_le_bytes()).collect(),
                      f64_.iter().map(|&v| g(v)).collect()),
            "u8" => (ctx.set_input(0, TensorType::U8, &dims, &u8_), u8_.to_vec(), u8_.iter().map(|v| v.to_string()).collect()),
            "i32" => (ctx.set_input(0, TensorType::I32, &dims, &i32_), i32_.iter().flat_map(|v| v.to_le_bytes()).collect(),
                      i32_.iter().map(|v| v.to_string()).collect()),
            "i64" => (ctx.set_input(0, TensorType::I64, &dims, &i64_), i64_.iter().flat_map(|v| v.to_le_bytes()).collect(),
                      i64_.iter().map(|v| v.to_string()).collect()),
            _ => {
                println!("{step}: FAIL unknown tensor type {ty}");
                self.failures += 1;
                return None;
            }
        };
        self.ok(step, "set_input", r)?;
        self.ok(step, "compute", ctx.compute())?;
        let mut out = [0xeeu8; 48];
        let n = self.ok(step, "get_output", ctx.get_output(0, &mut out))?;
        let same = out[..n] == input[..];
        if !same {
            self.failures += 1;
        }
        // the values printed are the input's, shown only when the output equals it byte for byte
        println!("{step}: {ty} identity wrote {n} bytes, equal to the input: {}, values {}",
                 if same { "yes" } else { "no" }, if same { values.join(" ") } else { "-".into() });
        Some(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: wasinn-rust-guest.wasm STEP... (as wasinn_crate_mirror.wasm)");
        exit(2);
    }
    let mut run = Run { failures: 0 };
    for arg in &args {
        let Some((kind, rest)) = arg.split_once(':') else {
            println!("{arg}: FAIL not a STEP:ARG");
            run.failures += 1;
            continue;
        };
        match kind {
            "bytes" | "autodetect" => {
                let enc = if kind == "bytes" { GraphEncoding::Onnx } else { GraphEncoding::Autodetec };
                if let Some(graph) = run.graph_from_file(kind, enc, rest) {
                    run.run_add(kind, &graph);
                }
            }
            "cache" => {
                let r = GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_cache(rest);
                if let Some(graph) = run.ok("cache", "build_from_cache", r) {
                    run.run_add("cache", &graph);
                }
            }
            "missing" => {
                let r = GraphBuilder::new(GraphEncoding::Onnx, ExecutionTarget::CPU).build_from_cache(rest);
                run.expect("missing", "build_from_cache of an unknown name", r, 8);
            }
            "multi" => {
                run.multi("multi", rest);
            }
            "ident" => match rest.split_once(':') {
                Some((ty, path)) => {
                    run.ident("ident", ty, path);
                }
                None => {
                    println!("ident: FAIL expected ident:TYPE:PATH");
                    run.failures += 1;
                }
            },
            _ => {
                println!("{kind}: FAIL unknown step");
                run.failures += 1;
            }
        }
    }
    println!("done: {} failure{}", run.failures, if run.failures == 1 { "" } else { "s" });
    exit(if run.failures > 0 { 1 } else { 0 });
}
