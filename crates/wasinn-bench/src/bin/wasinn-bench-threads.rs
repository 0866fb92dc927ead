//! Concurrency: N contexts of one graph (libwasinn's C API) on N threads, each running inferences
//! for a fixed time: `wasinn-bench-threads BACKEND MODEL SECONDS` prints, for N = 1 and 2, `threads
//! n=N per_s=..`, then `threads scaling=.. ctx_rss_kb=..`: the throughput ratio N=2 / N=1 and the
//! resident memory a second context (after its first inference) added, against the model's weight
//! bytes (the ONNX file's size, printed as `weights_kb`); on tract and OpenVINO also
//! `direct_ctx_rss_kb`, the same for the backend called directly (a second run state of tract's own
//! plan; a second infer request of OpenVINO's compiled model, with the same
//! WASINN_OPENVINO_STREAMS), and `direct_n1_per_s`, `direct_n2_per_s` and `direct_scaling`, the
//! same throughput measurement on those two direct instances (what the backend itself scales to,
//! measured before libwasinn's contexts exist); `third_ctx_rss_kb`, what a third context adds once
//! the two have run at once (a backend's memory per CPU stream, such as OpenVINO's with two
//! streams, is then paid, so this is the cost of one more context alone); last `threads
//! version=..`, the backend's version text from libwasinn's listing (to the end of the line: the
//! settings in force, such as OpenVINO's CPU streams). Run unpinned (it needs both cores); ONNX
//! Runtime one intra-op thread per context (WASINN_ORT_INTRA_OP_THREADS=1).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasinn_bench::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, name, secs] = &args[..] else {
        eprintln!("usage: wasinn-bench-threads BACKEND MODEL SECONDS");
        std::process::exit(2);
    };
    setup_env();
    let backend = Backend::parse(backend).unwrap_or_else(|| panic!("unknown backend {backend}"));
    let secs: f64 = secs.parse().expect("SECONDS");
    let model = &model_named(name).unwrap_or_else(|e| panic!("{e}"));
    // The same on the backend called directly (tract: a second run state of one plan; OpenVINO: a
    // second infer request of one compiled model), for the backend's own per-context memory: what
    // libwasinn's figure is to be read against. Measured first, and kept alive until the end, so
    // neither measurement reuses memory the other freed. Its throughput on 1 and 2 threads is
    // measured here too, before libwasinn's contexts exist.
    let direct: Option<(u64, [f64; 2], Box<dyn std::any::Any>)> = match backend {
        Backend::Tract => {
            let mut one = wasinn_bench::native::Tract::load(model).unwrap_or_else(|e| panic!("{e}"));
            let before = rss_kb();
            let mut two = one.fork().unwrap_or_else(|e| panic!("{e}"));
            let grown = rss_kb().saturating_sub(before);
            let r = rates([&mut || one.infer(), &mut || two.infer()], secs);
            // The second goes first: it runs on the first's plan.
            Some((grown, r, Box::new((two, one))))
        }
        Backend::OpenVino => {
            let lib = openvino_library().unwrap_or_else(|e| panic!("{e}"));
            let mut one = wasinn_bench::native::OpenVino::load(&lib, model, &ov_precision()).unwrap_or_else(|e| panic!("{e}"));
            let before = rss_kb();
            let mut two = one.fork().unwrap_or_else(|e| panic!("{e}"));
            let grown = rss_kb().saturating_sub(before);
            let r = rates([&mut || one.infer(), &mut || two.0.infer().map_err(|e| format!("openvino: {e}"))], secs);
            Some((grown, r, Box::new((two, one))))
        }
        _ => None,
    };
    let first = capi(backend, model).unwrap_or_else(|e| panic!("{e}"));
    let before = rss_kb();
    let mut second = first.fork().unwrap_or_else(|e| panic!("{e}"));
    second.infer().unwrap_or_else(|e| panic!("{e}"));
    let ctx_rss = rss_kb().saturating_sub(before);
    let mut ctxs = vec![first, second];
    let (c0, c1) = ctxs.split_at_mut(1);
    let rates = rates([&mut || c0[0].infer(), &mut || c1[0].infer()], secs);
    for (n, rate) in rates.iter().enumerate() {
        println!("threads n={} per_s={rate:.2}", n + 1);
    }
    // One more context after both ran at once, with its first inference.
    let before = rss_kb();
    let mut third = ctxs[0].fork().unwrap_or_else(|e| panic!("{e}"));
    third.infer().unwrap_or_else(|e| panic!("{e}"));
    let third_rss = rss_kb().saturating_sub(before);
    drop(third);
    // The second context goes first: it borrows the graph the first owns.
    let first = ctxs.remove(0);
    drop(ctxs);
    drop(first);
    let weights = std::fs::metadata(&model.onnx).map(|m| m.len() / 1024).unwrap_or(0);
    let direct = direct.map(|(kb, r, both)| {
        drop(both);
        format!(" direct_ctx_rss_kb={kb} direct_n1_per_s={:.2} direct_n2_per_s={:.2} direct_scaling={:.3}", r[0], r[1], r[1] / r[0])
    });
    let direct = direct.unwrap_or_default();
    println!(
        "threads scaling={:.3} ctx_rss_kb={ctx_rss} weights_kb={weights}{direct} third_ctx_rss_kb={third_rss}",
        rates[1] / rates[0]
    );
    println!("threads version={}", backend_version(backend).unwrap_or_default());
}

/// Inferences per second with the first worker alone on one thread, then both on two threads at
/// once, each for `secs` seconds.
fn rates(mut workers: [&mut (dyn FnMut() -> Result<(), String> + Send); 2], secs: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    for n in [1usize, 2] {
        let stop = AtomicBool::new(false);
        let count = AtomicU64::new(0);
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for w in workers.iter_mut().take(n) {
                let (stop, count) = (&stop, &count);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        w().unwrap_or_else(|e| panic!("{e}"));
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            std::thread::sleep(Duration::from_secs_f64(secs));
            stop.store(true, Ordering::Relaxed);
        });
        out[n - 1] = count.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
    }
    out
}
