//! Criterion: per backend and model, one group holding the same inference three ways side by
//! side: `direct` (the backend's own crate), `capi` (libwasinn's C API), `witx` (the glue over a
//! byte-vector guest memory). Before timing, the three ways' outputs must agree (max relative
//! difference 1e-4), so a way that computes something else cannot be timed as fast. Then
//! libwasinn's data-path counters (`wasinn_stats_get`) over 10 inferences per way: bytes copied in
//! and out and tensor-sized allocations per inference (`datapath` lines, also appended to
//! `criterion/datapath.log` for bench/report.py). After each group, the three ways again,
//! interleaved with a second instance of the direct way (see `interleaved`): the ratios to read on
//! a noisy machine (`interleaved` lines, `criterion/interleaved.log`).
//!
//! `cargo test --benches -p wasinn-bench` runs each once (criterion's test mode: what
//! scripts/test.sh does); scripts/bench.sh runs them for real. Env: `WASINN_BENCH_MODELS`
//! (bench/setup.py's output), `WASINN_BENCH_BACKENDS` (comma list, default all three),
//! `WASINN_BENCH_SECONDS` (measurement time per way, default 2), `WASINN_OPENVINO_PRECISION`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use wasinn_bench::*;

fn three_ways(c: &mut Criterion) {
    setup_env();
    let models = manifest(&models_dir()).unwrap_or_else(|e| panic!("{e}"));
    let backends: Vec<Backend> = match std::env::var("WASINN_BENCH_BACKENDS") {
        Ok(list) if !list.is_empty() => list.split(',').map(|b| Backend::parse(b).unwrap_or_else(|| panic!("unknown backend {b}"))).collect(),
        _ => Backend::ALL.to_vec(),
    };
    let secs: f64 = std::env::var("WASINN_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    for backend in backends {
        let label = match backend {
            Backend::OpenVino => format!("openvino-{}", ov_precision()),
            b => b.name().to_string(),
        };
        for model in &models {
            if backend == Backend::Tract && model.tract != "yes" {
                println!("skip {label}/{}: {}", model.name, model.tract);
                continue;
            }
            if let Some(why) = openvino_cannot(backend, &model.name) {
                println!("skip {label}/{}: {why}", model.name);
                continue;
            }
            let mut direct = direct(backend, model).unwrap_or_else(|e| panic!("{label}/{} direct: {e}", model.name));
            let mut capi = capi(backend, model).unwrap_or_else(|e| panic!("{label}/{} capi: {e}", model.name));
            let sizes: Vec<usize> = capi.outputs().iter().map(|o| o.len()).collect();
            let mut witx = Witx::load(backend, model, &sizes).unwrap_or_else(|e| panic!("{label}/{} witx: {e}", model.name));
            for (way, w) in [("capi", &mut capi as &mut dyn Infer), ("witx", &mut witx)] {
                w.infer().unwrap_or_else(|e| panic!("{label}/{} {way}: {e}", model.name));
                direct.infer().unwrap();
                let d = max_rel_diff(&w.outputs(), &direct.outputs()).unwrap_or_else(|e| panic!("{label}/{} {way}: {e}", model.name));
                assert!(d <= 1e-4, "{label}/{} {way}: outputs differ from the direct call's by {d:e}", model.name);
            }
            println!("checksum {label}/{}: {:.6}", model.name, checksum(&direct.outputs()));
            // libwasinn's counters over 10 inferences per way (warm: the comparison ran each once).
            let (want_in, want_out): (usize, usize) = (model.inputs.iter().map(|i| i.data.len()).sum(), sizes.iter().sum());
            for (way, w) in [("capi", &mut capi as &mut dyn Infer), ("witx", &mut witx)] {
                let d = data_path(w, 10).unwrap_or_else(|e| panic!("{label}/{} {way}: {e}", model.name));
                let line = format!(
                    "datapath {label}/{}/{way}: bytes_in {} bytes_out {} tensor_allocs {} tensor_alloc_bytes {} inputs {want_in} outputs {want_out}",
                    model.name, d.bytes_in, d.bytes_out, d.tensor_allocs, d.tensor_alloc_bytes
                );
                println!("{line}");
                record("datapath.log", &line);
            }
            let mut g = c.benchmark_group(format!("{label}/{}", model.name));
            g.sample_size(20).warm_up_time(Duration::from_secs_f64(secs / 4.0)).measurement_time(Duration::from_secs_f64(secs));
            g.bench_function("direct", |b| b.iter(|| direct.infer().unwrap()));
            g.bench_function("capi", |b| b.iter(|| capi.infer().unwrap()));
            g.bench_function("witx", |b| b.iter(|| witx.infer().unwrap()));
            g.finish();
            // The control: the direct way loaded once more, after the other three. What separates it
            // from the first direct instance is where the backend's compiled model landed, not
            // libwasinn: the resolution of the C API / direct ratios.
            let mut again = wasinn_bench::direct(backend, model).unwrap_or_else(|e| panic!("{label}/{} direct again: {e}", model.name));
            let line = interleaved(&label, &model.name, [&mut *direct, &mut capi, &mut witx, &mut *again], secs);
            println!("{line}");
            record("interleaved.log", &line);
        }
    }
}

/// Rounds of the interleaved measurement (odd: a true median).
const ROUNDS: usize = 31;

/// The three ways and the control (a second direct instance) timed interleaved, for ratios a drift
/// of the machine's speed cannot bias. Each of [`ROUNDS`] rounds times one batch of each back to
/// back, in an order that rotates every round (each about as often first, second, third and
/// fourth), and a round's ratios to direct come from batches measured within milliseconds of each
/// other. Criterion times each way in its own seconds-long stretch, so a change of speed between
/// stretches (other tenants, frequency) lands on one way only. The batch is sized so each way gets about `secs` in all
/// (criterion's measurement time: the whole takes about 4 x `secs`); outside
/// `--bench` (criterion's test mode, `cargo test --benches`) one round of one inference a way.
/// Returns an `interleaved LABEL/MODEL: rounds R batch B direct_us .. capi_us .. witx_us ..
/// again_us .. capi_ratio .. capi_q1 .. capi_q3 ..` line (then the same three for `witx` and
/// `again`): medians over rounds of the per-inference times, and the median and quartiles of the
/// per-round ratios to direct.
fn interleaved(label: &str, model: &str, ways: [&mut dyn Infer; 4], secs: f64) -> String {
    fn per_inference(way: &mut dyn Infer, n: usize) -> f64 {
        let t0 = Instant::now();
        for _ in 0..n {
            way.infer().unwrap();
        }
        t0.elapsed().as_secs_f64() / n as f64
    }
    let (rounds, batch) = if std::env::args().any(|a| a == "--bench") {
        // The batch from the direct way's speed: at least 3 inferences and 50 ms of them.
        let t0 = Instant::now();
        let mut n = 0usize;
        while n < 3 || t0.elapsed() < Duration::from_millis(50) {
            ways[0].infer().unwrap();
            n += 1;
        }
        let per = t0.elapsed().as_secs_f64() / n as f64;
        (ROUNDS, ((secs / (ROUNDS as f64 * per)) as usize).max(1))
    } else {
        (1, 1)
    };
    let mut times: [Vec<f64>; 4] = Default::default();
    for r in 0..rounds {
        for k in 0..4 {
            let w = (r + k) % 4;
            times[w].push(per_inference(&mut *ways[w], batch));
        }
    }
    // The median and quartiles of `v`, sorted once.
    let quartiles = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        [0.5, 0.25, 0.75].map(|q| v[((v.len() - 1) as f64 * q).round() as usize])
    };
    let us = |w: usize| quartiles(times[w].clone())[0] * 1e6;
    let q = |w: usize| quartiles((0..rounds).map(|r| times[w][r] / times[0][r]).collect());
    let mut line = format!(
        "interleaved {label}/{model}: rounds {rounds} batch {batch} direct_us {:.3} capi_us {:.3} witx_us {:.3} again_us {:.3}",
        us(0),
        us(1),
        us(2),
        us(3)
    );
    for (w, name) in [(1, "capi"), (2, "witx"), (3, "again")] {
        let [m, q1, q3] = q(w);
        line += &format!(" {name}_ratio {m:.4} {name}_q1 {q1:.4} {name}_q3 {q3:.4}");
    }
    line
}

/// Appends a line (`datapath ..`, `interleaved ..`) to `criterion/FILE` beside criterion's own
/// results (in `$CARGO_TARGET_DIR` or `target/`, as criterion places them), for bench/report.py.
fn record(file: &str, line: &str) {
    use std::io::Write;
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into())).join("criterion");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(file))?;
        writeln!(f, "{line}")
    });
    if let Err(e) = written {
        eprintln!("three_ways: cannot record {file} in {}: {e}", dir.display());
    }
}

/// load_by_name of a preloaded magika (+ unload) per backend.
fn load_by_name(c: &mut Criterion) {
    setup_env();
    let models = manifest(&models_dir()).unwrap_or_else(|e| panic!("{e}"));
    let Some(magika) = models.iter().find(|m| m.name == "magika") else { return };
    let mut g = c.benchmark_group("load_by_name/magika");
    g.sample_size(20).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(1));
    for backend in Backend::ALL {
        let mut by = ByName::new(backend, &format!("bench-{}", backend.name()), magika).unwrap_or_else(|e| panic!("{e}"));
        by.cycle().unwrap_or_else(|e| panic!("{e}"));
        g.bench_function(backend.name(), |b| b.iter(|| by.cycle().unwrap()));
    }
    g.finish();
}

criterion_group!(benches, three_ways, load_by_name);
criterion_main!(benches);
