//! The fuzz harnesses (`fuzz/src/harness/`) on the normal test build: every generated seed and
//! every kept reproducer (`fuzz/regressions/<target>/`, each an input that once crashed or broke
//! a property, fixed since) must pass, and the seeds must reach the deep paths (compute, outputs)
//! so a harness that silently stops exercising the library fails here.

#[path = "../fuzz/src/harness/mod.rs"]
mod harness;

use std::path::Path;

fn reproducers(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<_> = entries.map(|e| e.expect("reading fuzz/regressions").path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read(&p).expect("reading a reproducer"))).collect()
}

fn replay(target: &str) -> usize {
    let t = harness::target(target);
    let seeds = (t.seeds)();
    assert!(!seeds.is_empty(), "{target} has no seeds");
    for seed in &seeds {
        (t.run)(seed);
    }
    let kept = reproducers(target);
    for (name, input) in &kept {
        eprintln!("replaying {name}");
        (t.run)(input);
    }
    seeds.len() + kept.len()
}

#[test]
fn glue_seeds_and_reproducers() {
    replay("glue");
}

#[test]
fn load_seeds_and_reproducers() {
    replay("load");
}

#[test]
fn parsers_seeds_and_reproducers() {
    replay("parsers");
}

#[test]
fn layout_seeds_and_reproducers() {
    replay("layout");
}

#[test]
fn glue_seeds_reach_compute_and_outputs_in_every_profile() {
    let seeds = harness::glue::seeds();
    let mut per_profile = std::collections::BTreeMap::<u8, (usize, usize)>::new();
    for seed in &seeds {
        let s = harness::glue::run(seed);
        let e = per_profile.entry(seed[0]).or_default();
        e.0 += s.computes;
        e.1 += s.outputs;
    }
    assert!(per_profile.len() >= 3, "seeds for only {} profiles", per_profile.len());
    for (profile, (computes, outputs)) in per_profile {
        // every model of the harness, loaded from guest bytes and by name, computes, reads
        // output 0, and computes again after its graph is unloaded (the context keeps it alive)
        let seeds = 2 * harness::models().len();
        assert_eq!((computes, outputs), (2 * seeds, seeds), "profile selector {profile}");
    }
}

#[test]
fn load_seeds_load_and_compute_every_model() {
    let stats: Vec<_> = harness::load::seeds().iter().map(|s| harness::load::run(s)).collect();
    let computed = stats.iter().filter(|s| s.computed && s.outputs > 0).count();
    // each harness model as onnx and as autodetect; the external-data model, the models split
    // in two builders and the other formats' near-misses must not load
    assert_eq!(computed, 2 * harness::models().len(), "{stats:?}");
    assert_eq!(stats.iter().filter(|s| s.loaded).count(), computed, "{stats:?}");
}

/// `fuzz/regressions/load/undefined-graph-output`: an ONNX graph whose output names no value made
/// tract panic while parsing (contained by the backend's guard, reported as `PANIC`); it is now
/// refused up front as a malformed model.
#[test]
fn a_graph_output_naming_nothing_is_invalid_encoding() {
    let input = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/load/undefined-graph-output"))
        .expect("the reproducer is committed");
    let model = &input[6..];
    let b = [wasinn::capi::wasinn_buffer_t { data: model.as_ptr(), len: model.len() }];
    let mut g = 0;
    // SAFETY: pointers to live locals with their lengths.
    let s = unsafe { wasinn::capi::wasinn_graph_load(b.as_ptr(), 1, wasinn::capi::WASINN_ENCODING_ONNX, 0, &mut g) };
    let msg = wasinn::capi::ffi::with_last_error(|e| e.map(|e| e.message.clone())).unwrap_or_default();
    assert_eq!(s, wasinn::capi::WASINN_STATUS_INVALID_ENCODING, "{msg}");
    assert!(msg.contains("\"nope\", which it never defines"), "{msg}");
    // and through the harness, as the fuzzer runs it
    harness::load::run(&input);
}
