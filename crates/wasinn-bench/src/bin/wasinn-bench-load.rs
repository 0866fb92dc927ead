//! Load time and peak RSS of one model on one backend, one way, in a process of its own:
//! `wasinn-bench-load direct|capi BACKEND MODEL` (MODEL a name in bench/setup.py's manifest).
//! Prints `load ms=.. next_infer_ms=.. rss_before_kb=.. rss_after_kb=.. maxrss_kb=..`: the load
//! (the backend library's start-up, the model read, compiled, given one context / request, and
//! one first inference), the next inference, the resident set before and after, and the process's
//! peak (getrusage).
//! bench/load_rss.py runs it for every model, backend and way, interleaved.

use std::time::Instant;

use wasinn_bench::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, way, backend, name] = &args[..] else {
        eprintln!("usage: wasinn-bench-load direct|capi BACKEND MODEL");
        std::process::exit(2);
    };
    setup_env();
    let backend = Backend::parse(backend).unwrap_or_else(|| panic!("unknown backend {backend}"));
    let model = &model_named(name).unwrap_or_else(|e| panic!("{e}"));
    let before = rss_kb();
    let t0 = Instant::now();
    // Both ways run one inference while loading (the C API to size its buffers, the direct ways
    // as a check): that is the first inference, timed inside the load for both.
    let mut w: Box<dyn Infer> = match way.as_str() {
        "direct" => direct(backend, model).unwrap_or_else(|e| panic!("{e}")),
        "capi" => Box::new(capi(backend, model).unwrap_or_else(|e| panic!("{e}"))),
        _ => panic!("way must be direct or capi"),
    };
    let load = t0.elapsed();
    let t1 = Instant::now();
    w.infer().unwrap_or_else(|e| panic!("{e}"));
    let second = t1.elapsed();
    let after = rss_kb();
    // SAFETY: a zeroed rusage filled by the kernel.
    let maxrss = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru.ru_maxrss
    };
    println!(
        "load ms={:.3} next_infer_ms={:.3} rss_before_kb={before} rss_after_kb={after} maxrss_kb={maxrss} checksum={:.9}",
        load.as_secs_f64() * 1e3,
        second.as_secs_f64() * 1e3,
        checksum(&w.outputs())
    );
}
