//! The core depends on nothing above it: no file under `src/core/` names the backends, the C API
//! or the glue (the check `grep -rn "crate::backends\|crate::capi\|crate::glue" src/core` must
//! print nothing), and none loads shared libraries (plugin discovery lives in
//! `src/backends/plugin/`). The backends reach the core's loader through its hook
//! (`core::loader::set_backend_source`).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn core_names_nothing_above_it() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    assert!(files.len() >= 5, "src/core has only {files:?}");
    // `crate::{backends, ..}` and `super::super::` would dodge the plain paths: forbid them too.
    let forbidden = [
        "crate::backends",
        "crate::capi",
        "crate::glue",
        "crate::{",
        "super::super",
        "libloading",
        "dlopen",
        "dladdr",
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            // Comments included, like the grep this test stands for.
            for word in forbidden {
                if line.contains(word) {
                    found.push(format!("{}:{}: {word}: {line}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "src/core depends on a layer above it:\n{}", found.join("\n"));
}

#[test]
fn the_plugin_loader_lives_in_backends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(!root.join("src/core/plugins.rs").exists(), "plugin discovery is back in the core");
    let discovery = std::fs::read_to_string(root.join("src/backends/plugin/discovery.rs")).unwrap();
    assert!(discovery.contains("Library::open"), "src/backends/plugin/discovery.rs no longer opens plugins");
}
