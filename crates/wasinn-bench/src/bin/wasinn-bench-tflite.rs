//! The tract rows of the TFLite benchmark: one TFLite model through libwasinn's C API on the
//! built-in tract backend and through tract-tflite called directly (the same crate and version,
//! plan made once), interleaved: `wasinn-bench-tflite MODEL.tflite PAIRS`.
//! One inference = every input copied in, compute, output 0 copied out, as in
//! tests/conformance/tflite.py bench. The inputs are deterministic bytes of each input's declared
//! type and shape; before timing, both sides' outputs must be byte-identical (libwasinn's tract
//! path is tract-tflite). Prints one line:
//! `tflite tract-direct: capi_ms=.. direct_ms=.. ratio=..` (medians over PAIRS pairs after a warm-up).
//! bench/extra/tflite.sh runs it for the models tract loads. Asserts nothing about times.

use std::time::Instant;

use tract_tflite::prelude::*;
use wasinn::capi::*;

fn fail(what: &str) -> ! {
    eprintln!("wasinn-bench-tflite: {what}");
    std::process::exit(1)
}

/// The C API's tensor type for a tract datum type (quantized types by their storage).
fn capi_type(dt: DatumType) -> u32 {
    match dt.unquantized() {
        DatumType::F32 => 1,
        DatumType::U8 => 4,
        DatumType::I32 => 5,
        DatumType::I64 => 6,
        DatumType::I8 => 100,
        other => fail(&format!("input type {other:?} is not in this benchmark")),
    }
}

fn check(what: &str, status: wasinn_status_t) {
    if status != 0 {
        fail(&format!("{what}: status {status}"));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, pairs] = &args[..] else { fail("usage: wasinn-bench-tflite MODEL.tflite PAIRS") };
    let pairs: usize = pairs.parse().unwrap_or_else(|_| fail("PAIRS must be a number"));
    let bytes = std::fs::read(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));

    // tract-tflite directly: the model, optimised, one reusable run state.
    let model = tract_tflite::tflite().model_for_read(&mut &bytes[..]).unwrap_or_else(|e| fail(&format!("tract: {e:#}")));
    let facts: Vec<TypedFact> = (0..model.inputs.len()).map(|k| model.input_fact(k).unwrap().clone()).collect();
    let plan = model.into_optimized().and_then(|m| m.into_runnable()).unwrap_or_else(|e| fail(&format!("tract: {e:#}")));
    let mut state = plan.spawn().unwrap_or_else(|e| fail(&format!("tract: {e:#}")));
    let inputs: Vec<(DatumType, Vec<usize>, Vec<u8>)> = facts
        .iter()
        .map(|f| {
            let dims: Vec<usize> = f.shape.as_concrete().unwrap_or_else(|| fail("a symbolic input shape")).to_vec();
            let n: usize = dims.iter().product();
            let data: Vec<u8> = if f.datum_type == DatumType::F32 {
                (0..n).flat_map(|i| ((i % 97) as f32 / 97.0).to_le_bytes()).collect()
            } else {
                (0..n * f.datum_type.size_of()).map(|i| (i * 7 % 251) as u8).collect()
            };
            (f.datum_type, dims, data)
        })
        .collect();
    let mut direct_out = Vec::new();
    let mut direct = |direct_out: &mut Vec<u8>| {
        let values: TVec<TValue> = inputs
            .iter()
            // SAFETY: plain numeric types; `data` holds product(dims) elements (from_raw_dt checks).
            .map(|(dt, dims, data)| unsafe { Tensor::from_raw_dt(*dt, dims, data) }.unwrap().into_tvalue())
            .collect();
        let results = state.run(values).unwrap_or_else(|e| fail(&format!("tract run: {e:#}")));
        direct_out.clear();
        direct_out.extend_from_slice(results[0].as_bytes());
    };

    // libwasinn's C API on tract (by name: the built-in backend, whatever plugins exist).
    let builder = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
    let (mut graph, mut ctx) = (0, 0);
    // SAFETY: valid pointers for the duration of each call.
    unsafe {
        check("load", wasinn_graph_load_with_backend(&builder, 1, 4 /* tensorflowlite */, 0, c"tract".as_ptr(), &mut graph));
        check("exec_ctx_new", wasinn_exec_ctx_new(graph, &mut ctx));
    }
    let dims32: Vec<Vec<u32>> = inputs.iter().map(|(_, d, _)| d.iter().map(|&x| x as u32).collect()).collect();
    let mut capi_out = vec![0u8; 1 << 20];
    let mut capi_len = 0usize;
    let capi = |capi_out: &mut Vec<u8>, capi_len: &mut usize| {
        for (k, ((dt, _, data), dims)) in inputs.iter().zip(&dims32).enumerate() {
            let t = wasinn_tensor_t { r#type: capi_type(*dt), dims: dims.as_ptr(), rank: dims.len(), data: data.as_ptr(), data_len: data.len() };
            // SAFETY: the tensor borrows live buffers for the call.
            check("set_input", unsafe { wasinn_exec_ctx_set_input(ctx, k, &t) });
        }
        // SAFETY: a live context; the output buffer is ours, of its length.
        unsafe {
            check("compute", wasinn_exec_ctx_compute(ctx));
            check("get_output", wasinn_exec_ctx_get_output(ctx, 0, capi_out.as_mut_ptr().cast(), capi_out.len(), capi_len));
        }
    };

    capi(&mut capi_out, &mut capi_len);
    direct(&mut direct_out);
    if capi_out[..capi_len] != direct_out[..] {
        fail("libwasinn's output 0 differs from tract-tflite's");
    }
    let (mut tc, mut td) = (Vec::new(), Vec::new());
    for _ in 0..pairs.max(1) {
        let t0 = Instant::now();
        capi(&mut capi_out, &mut capi_len);
        tc.push(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        direct(&mut direct_out);
        td.push(t0.elapsed().as_secs_f64());
    }
    wasinn_exec_ctx_free(ctx);
    wasinn_graph_free(graph);
    let (c, d) = (median(tc) * 1e3, median(td) * 1e3);
    println!("tflite tract-direct: capi_ms={c:.4} direct_ms={d:.4} ratio={:.2}", c / d);
}
