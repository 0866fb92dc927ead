//! The second header: `include/wasinn_backend.h`, the backend plugin ABI, generated from the
//! `#[repr(C)]` types of `crates/wasinn-plugin-abi` with its own cbindgen.toml. Kept apart from
//! the `wasinn.h` generation so the two configurations never mix.

use std::path::Path;

/// Where the header goes, relative to the repository root.
pub const HEADER: &str = "include/wasinn_backend.h";

/// Generates the plugin ABI header.
pub fn generate(root: &Path) -> Result<Vec<u8>, String> {
    let krate = root.join("crates/wasinn-plugin-abi");
    let config = cbindgen::Config::from_file(krate.join("cbindgen.toml"))?;
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(krate.join("src/lib.rs"))
        .generate()
        .map_err(|e| format!("cbindgen (plugin ABI): {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}

/// Writes the header, or with `check` compares it with the committed one; false on failure
/// (after printing why).
pub fn run(root: &Path, check: bool) -> bool {
    let path = root.join(HEADER);
    let generated = match generate(root) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("gen-header: {e}");
            return false;
        }
    };
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed == generated {
            println!("{HEADER} is up to date");
            return true;
        }
        eprintln!(
            "{HEADER} is stale; regenerate it with `cargo run -p gen-header`:\n{}",
            super::diff(&String::from_utf8_lossy(&committed), &String::from_utf8_lossy(&generated))
        );
        return false;
    }
    match std::fs::create_dir_all(root.join("include")).and_then(|()| std::fs::write(&path, &generated)) {
        Ok(()) => {
            println!("wrote {}", path.display());
            true
        }
        Err(e) => {
            eprintln!("gen-header: cannot write {}: {e}", path.display());
            false
        }
    }
}
