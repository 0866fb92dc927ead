//! libwasinn's fuzz harnesses (see `harness`); the libFuzzer targets in `fuzz_targets/` call
//! them, and `tests/fuzz_regressions.rs` replays their kept reproducers on the normal build.

pub mod harness;

/// Set-up shared by every fuzz target, run once before the first input: the panic hook that
/// aborts on a finding (see `harness`), and, when `WASINN_FUZZ_WRITE_SEEDS` names a directory,
/// the target's generated seeds written there (one file each) before exiting.
pub fn init(target: &str) {
    harness::install_panic_hook(true);
    if let Some(dir) = std::env::var_os("WASINN_FUZZ_WRITE_SEEDS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("creating the seed directory");
        let seeds = (harness::target(target).seeds)();
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}")), seed).expect("writing a seed");
        }
        eprintln!("wasinn-fuzz: wrote {} seeds for {target} to {}", seeds.len(), dir.display());
        std::process::exit(0);
    }
}
