//! Criterion: per backend and model, one group holding the same inference three ways side by
//! side: `direct` (the backend's own crate), `capi` (libwasinn's C API), `witx` (the glue over a
//! byte-vector guest memory). Before timing, the three ways' outputs must agree (max relative
//! difference 1e-4), so a way that computes something else cannot be timed as fast. Then
//! libwasinn's data-path counters (`wasinn_stats_get`) over 10 inferences per way: bytes copied in
//! and out and tensor-sized allocations per inference (`datapath` lines, also appended to
//! `criterion/datapath.log` for bench/report.py). After each group, the three ways again, each
//! loaded several times, interleaved with the direct way loaded as often again (see
//! `interleaved`): the ratios to read on a noisy machine (`interleaved` lines,
//! `criterion/interleaved.log`).
//!
//! `cargo test --benches -p wasinn-bench` runs each once (criterion's test mode: what
//! scripts/test.sh does); scripts/bench.sh runs them for real. Env: `WASINN_BENCH_MODELS`
//! (bench/setup.py's output), `WASINN_BENCH_BACKENDS` (comma list, default all three),
//! `WASINN_BENCH_SECONDS` (measurement time per way, default 2), `WASINN_BENCH_SETS` (loads of each
//! way in the interleaved rounds, default 4; 2 in test mode), `WASINN_OPENVINO_PRECISION`.

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
            // The interleaved rounds time several loads of each way (`sets`): one load of a model
            // lands the backend's buffers somewhere, and two loads of the same code differ here by up
            // to 2-4% with the first one loaded in the process often fastest (stop 32), so one load
            // per way would judge where memory landed. The control is the direct way loaded once more
            // in every set (`again`): the same code as `direct`, so its ratio is the resolution left.
            let load = |way: usize| -> Box<dyn Infer> {
                let what = ["direct", "capi", "witx", "direct again"][way];
                let loaded: Result<Box<dyn Infer>, String> = match way {
                    0 | 3 => wasinn_bench::direct(backend, model),
                    1 => wasinn_bench::capi(backend, model).map(|c| Box::new(c) as Box<dyn Infer>),
                    _ => Witx::load(backend, model, &sizes).map(|w| Box::new(w) as Box<dyn Infer>),
                };
                loaded.unwrap_or_else(|e| panic!("{label}/{} {what}: {e}", model.name))
            };
            let mut sets: Vec<[Box<dyn Infer>; 4]> = vec![[direct, Box::new(capi), Box::new(witx), load(3)]];
            for s in 1..load_sets() {
                // Set s loads the ways in an order rotated by s, so each way is loaded first (and
                // second, ...) in about as many sets as the others.
                let mut set: [Option<Box<dyn Infer>>; 4] = Default::default();
                for k in 0..4 {
                    let way = (s + k) % 4;
                    set[way] = Some(load(way));
                }
                sets.push(set.map(Option::unwrap));
            }
            let line = interleaved(&label, &model.name, &mut sets, secs);
            println!("{line}");
            record("interleaved.log", &line);
        }
    }
}

/// Rounds of the interleaved measurement (odd: a true median).
const ROUNDS: usize = 31;

/// Whether criterion runs for real (`--bench`), not in its test mode (`cargo test --benches`).
fn under_bench() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Loads of each way in the interleaved measurement: `WASINN_BENCH_SETS`, default 4 under `--bench`
/// (each way then loaded first in one set, second in one, ...) and 2 in criterion's test mode (the
/// pooling exercised at the cost of one more load per way).
fn load_sets() -> usize {
    let default = if under_bench() { 4 } else { 2 };
    std::env::var("WASINN_BENCH_SETS").ok().and_then(|s| s.parse().ok()).filter(|&n| n >= 1).unwrap_or(default)
}

/// The three ways and the control (the direct way loaded again), each loaded `sets.len()` times,
/// timed interleaved, for ratios that neither a drift of the machine's speed nor where one load's
/// memory landed can bias. Each of [`ROUNDS`] rounds times one batch of every loaded instance back
/// to back, in an order that rotates every round; a way's time in a round is the mean over its loads,
/// and a round's ratios to direct come from batches measured within a second of each other.
/// Criterion times each way in its own seconds-long stretch, so a change of speed between
/// stretches (other tenants, frequency) lands on one way only. The batch is sized so each way gets
/// about `secs` in all (criterion's measurement time: the whole takes about 4 x `secs`, more where
/// one inference a load and round is already longer); outside `--bench` (criterion's test mode,
/// `cargo test --benches`) one round of one inference an instance.
/// Returns an `interleaved LABEL/MODEL: rounds R sets S batch B direct_us .. capi_us .. witx_us ..
/// again_us .. capi_ratio .. capi_q1 .. capi_q3 ..` line (then the same three for `witx` and
/// `again`, then `capi_first` / `witx_first` / `again_first`: the median ratio of the first set
/// alone, one load per way, as this bench measured before): medians over rounds of the
/// per-inference times (the mean over the loads), and the median and
/// quartiles of the per-round ratios to direct.
fn interleaved(label: &str, model: &str, sets: &mut [[Box<dyn Infer>; 4]], secs: f64) -> String {
    fn per_inference(way: &mut dyn Infer, n: usize) -> f64 {
        let t0 = Instant::now();
        for _ in 0..n {
            way.infer().unwrap();
        }
        t0.elapsed().as_secs_f64() / n as f64
    }
    let k = sets.len();
    let (rounds, batch) = if under_bench() {
        // The batch from the direct way's speed: at least 3 inferences and 50 ms of them.
        let t0 = Instant::now();
        let mut n = 0usize;
        while n < 3 || t0.elapsed() < Duration::from_millis(50) {
            sets[0][0].infer().unwrap();
            n += 1;
        }
        let per = t0.elapsed().as_secs_f64() / n as f64;
        (ROUNDS, ((secs / (ROUNDS as f64 * k as f64 * per)) as usize).max(1))
    } else {
        (1, 1)
    };
    // times[set][way][round]: seconds per inference.
    let mut times = vec![[(); 4].map(|()| Vec::with_capacity(rounds)); k];
    for r in 0..rounds {
        for j in 0..4 * k {
            let at = (r + j) % (4 * k);
            let (s, w) = (at / 4, at % 4);
            times[s][w].push(per_inference(&mut *sets[s][w], batch));
        }
    }
    // The median and quartiles of `v`, sorted once.
    let quartiles = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        [0.5, 0.25, 0.75].map(|q| v[((v.len() - 1) as f64 * q).round() as usize])
    };
    // A way's time in round r: the mean over its loads (or over the first set's only).
    let way_time = |w: usize, r: usize, first: bool| {
        let n = if first { 1 } else { k };
        times[..n].iter().map(|t| t[w][r]).sum::<f64>() / n as f64
    };
    let us = |w: usize| quartiles((0..rounds).map(|r| way_time(w, r, false)).collect())[0] * 1e6;
    let q = |w: usize, first: bool| quartiles((0..rounds).map(|r| way_time(w, r, first) / way_time(0, r, first)).collect());
    let mut line = format!(
        "interleaved {label}/{model}: rounds {rounds} sets {k} batch {batch} direct_us {:.3} capi_us {:.3} witx_us {:.3} again_us {:.3}",
        us(0),
        us(1),
        us(2),
        us(3)
    );
    for (w, name) in [(1, "capi"), (2, "witx"), (3, "again")] {
        let [m, q1, q3] = q(w, false);
        line += &format!(" {name}_ratio {m:.4} {name}_q1 {q1:.4} {name}_q3 {q3:.4}");
    }
    for (w, name) in [(1, "capi"), (2, "witx"), (3, "again")] {
        line += &format!(" {name}_first {:.4}", q(w, true)[0]);
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
