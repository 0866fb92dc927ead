//! One way of section 1 alone, for tools that measure a whole process (valgrind's callgrind,
//! perf stat): `wasinn-bench-way BACKEND MODEL WAY N` loads MODEL on BACKEND the WAY given
//! (`direct`: the backend's own crate; `capi`: libwasinn's C API) and runs N inferences, printing
//! nothing. The cost of one inference is the difference of two runs with different N over the
//! difference of N (the load cancels out), e.g. for the instructions:
//!
//! ```sh
//! valgrind --tool=callgrind --smc-check=all-non-file target/release/wasinn-bench-way openvino rapidocr-cls capi 20
//! valgrind --tool=callgrind --smc-check=all-non-file target/release/wasinn-bench-way openvino rapidocr-cls capi 120
//! ```
//!
//! (`--smc-check` for OpenVINO's generated kernels.) Env as for the other bench binaries
//! (WASINN_BENCH_MODELS, WASINN_PYTHON_SITE_PACKAGES, WASINN_OPENVINO_PRECISION).

use wasinn_bench::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, name, way, n] = &args[..] else {
        eprintln!("usage: wasinn-bench-way BACKEND MODEL direct|capi N");
        std::process::exit(2);
    };
    setup_env();
    let backend = Backend::parse(backend).unwrap_or_else(|| panic!("unknown backend {backend}"));
    let n: u64 = n.parse().expect("N");
    let model = &model_named(name).unwrap_or_else(|e| panic!("{e}"));
    let mut way: Box<dyn Infer> = match way.as_str() {
        "direct" => direct(backend, model).unwrap_or_else(|e| panic!("{e}")),
        "capi" => Box::new(capi(backend, model).unwrap_or_else(|e| panic!("{e}"))),
        other => panic!("unknown way {other} (direct or capi)"),
    };
    for _ in 0..n {
        way.infer().unwrap_or_else(|e| panic!("{e}"));
    }
}
