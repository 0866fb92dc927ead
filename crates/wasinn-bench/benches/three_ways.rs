//! Criterion: per backend and model, one group holding the same inference three ways side by
//! side: `direct` (the backend's own crate), `capi` (libwasinn's C API), `witx` (the glue over a
//! byte-vector guest memory). Before timing, the three ways' outputs must agree (max relative
//! difference 1e-4), so a way that computes something else cannot be timed as fast. Then
//! libwasinn's data-path counters (`wasinn_stats_get`) over 10 inferences per way: bytes copied in
//! and out and tensor-sized allocations per inference (`datapath` lines, also appended to
//! `criterion/datapath.log` for bench/report.py).
//!
//! `cargo test --benches -p wasinn-bench` runs each once (criterion's test mode: what
//! scripts/test.sh does); scripts/bench.sh runs them for real. Env: `WASINN_BENCH_MODELS`
//! (bench/setup.py's output), `WASINN_BENCH_BACKENDS` (comma list, default all three),
//! `WASINN_BENCH_SECONDS` (measurement time per way, default 2), `WASINN_OPENVINO_PRECISION`.

use std::time::Duration;

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
                record_data_path(&line);
            }
            let mut g = c.benchmark_group(format!("{label}/{}", model.name));
            g.sample_size(20).warm_up_time(Duration::from_secs_f64(secs / 4.0)).measurement_time(Duration::from_secs_f64(secs));
            g.bench_function("direct", |b| b.iter(|| direct.infer().unwrap()));
            g.bench_function("capi", |b| b.iter(|| capi.infer().unwrap()));
            g.bench_function("witx", |b| b.iter(|| witx.infer().unwrap()));
            g.finish();
        }
    }
}

/// Appends a `datapath` line to `criterion/datapath.log` beside criterion's own results (in
/// `$CARGO_TARGET_DIR` or `target/`, as criterion places them), for bench/report.py.
fn record_data_path(line: &str) {
    use std::io::Write;
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into())).join("criterion");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("datapath.log"))?;
        writeln!(f, "{line}")
    });
    if let Err(e) = written {
        eprintln!("three_ways: cannot record the data-path figures in {}: {e}", dir.display());
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
