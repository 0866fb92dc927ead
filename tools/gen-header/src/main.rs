//! Generates `include/wasinn.h` from the C API's Rust sources with a pinned cbindgen.
//!
//! `cargo run -p gen-header` writes the header; `cargo run -p gen-header -- --check` exits non-zero
//! with the first differences when the committed header is stale (CI runs it). The version macros
//! are computed here from the library's `Cargo.toml`, so the crate version is the one source of
//! `WASINN_VERSION_*` and of `wasinn_version()`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod backend_header;

/// The library crate's root (this tool lives in `tools/gen-header`).
fn crate_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The `version` of the `[package]` table of `Cargo.toml` (a tiny reader: no TOML dependency).
fn package_version(manifest: &str) -> Result<String, String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(rest) = line.strip_prefix("version") {
                let value = rest.trim_start().strip_prefix('=').map(str::trim).unwrap_or("");
                return value
                    .strip_prefix('"')
                    .and_then(|v| v.split('"').next())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("cannot read the version from {line:?}"));
            }
        }
    }
    Err("no version in the [package] table".into())
}

fn version_macros(version: &str) -> Result<String, String> {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let parts: Vec<&str> = core.split('.').collect();
    let [major, minor, patch] = parts[..] else {
        return Err(format!("version {version:?} is not major.minor.patch"));
    };
    for p in [major, minor, patch] {
        p.parse::<u32>().map_err(|_| format!("version {version:?} is not numeric"))?;
    }
    Ok(format!(
        "\n/** Major version of the libwasinn this header belongs to (the ABI major: the shared\n * library is `libwasinn.so.{major}`). */\n\
         #define WASINN_VERSION_MAJOR {major}\n\
         /** Minor version of the libwasinn this header belongs to. */\n\
         #define WASINN_VERSION_MINOR {minor}\n\
         /** Patch version of the libwasinn this header belongs to. */\n\
         #define WASINN_VERSION_PATCH {patch}\n\
         /** The full version string; `wasinn_version()` returns the same text for the library in use. */\n\
         #define WASINN_VERSION_STRING \"{version}\"\n"
    ))
}

/// The Rust sources the header is generated from: the exported C API and the witx glue (each
/// root module pulls in its submodules); the core is pure Rust and never parsed.
const SOURCE_ROOTS: [&str; 2] = ["src/capi", "src/glue"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Names of module-level constants and statics in `source` that do not carry the `WASINN_`
/// prefix. Only prefixed names belong in the header (a generic `SUCCESS` or `TENSOR_SIZE` macro
/// would collide in the includer's namespace), so these are excluded from the export.
fn unprefixed_constants(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines().map(str::trim_start) {
        let rest = match line.strip_prefix("pub") {
            Some(r) if r.starts_with('(') => r.split_once(')').map_or("", |(_, r)| r),
            Some(r) => r,
            None => line,
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("const ").or_else(|| rest.strip_prefix("static ")) else { continue };
        let rest = rest.trim_start().strip_prefix("mut ").unwrap_or(rest.trim_start());
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let is_item = rest[name.len()..].trim_start().starts_with(':');
        if is_item && !name.is_empty() && name != "_" && !name.starts_with("WASINN_") && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn generate(root: &Path) -> Result<Vec<u8>, String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let version = package_version(&manifest)?;
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml"))?;
    let mut after = config.after_includes.take().unwrap_or_default();
    after.push_str(&version_macros(&version)?);
    config.after_includes = Some(after);
    let mut files = Vec::new();
    for dir in SOURCE_ROOTS {
        rust_files(&root.join(dir), &mut files);
    }
    for file in &files {
        let source = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for name in unprefixed_constants(&source) {
            if !config.export.exclude.contains(&name) {
                config.export.exclude.push(name);
            }
        }
    }
    let mut builder = cbindgen::Builder::new().with_config(config);
    for dir in SOURCE_ROOTS {
        let module = root.join(dir).join("mod.rs");
        if module.exists() {
            builder = builder.with_src(module);
        }
    }
    let bindings = builder.generate().map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}

/// A short report of where two texts differ (first few differing lines, with line numbers).
fn diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut report = String::new();
    let mut shown = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            report.push_str(&format!(
                "line {}:\n  committed: {}\n  generated: {}\n",
                i + 1,
                x.unwrap_or(&"<end of file>"),
                y.unwrap_or(&"<end of file>")
            ));
            shown += 1;
            if shown == 10 {
                report.push_str("  ...\n");
                break;
            }
        }
    }
    report.push_str(&format!("({} committed lines, {} generated lines)\n", a.len(), b.len()));
    report
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.as_slice() {
        [] => false,
        [a] if a == "--check" => true,
        _ => {
            eprintln!("usage: gen-header [--check]");
            return ExitCode::from(2);
        }
    };
    let root = crate_root();
    // The plugin ABI header (include/wasinn_backend.h) first; see backend_header.rs.
    if !backend_header::run(&root, check) {
        return ExitCode::FAILURE;
    }
    let header_path = root.join("include/wasinn.h");
    let generated = match generate(&root) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("gen-header: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let committed = std::fs::read(&header_path).unwrap_or_default();
        if committed == generated {
            println!("include/wasinn.h is up to date");
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "include/wasinn.h is stale; regenerate it with `cargo run -p gen-header`:\n{}",
            diff(&String::from_utf8_lossy(&committed), &String::from_utf8_lossy(&generated))
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) =
        std::fs::create_dir_all(root.join("include")).and_then(|()| std::fs::write(&header_path, &generated))
    {
        eprintln!("gen-header: cannot write {}: {e}", header_path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", header_path.display());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_package_version() {
        let m = "[package]\nname = \"x\"\nversion = \"1.2.3\"\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(package_version(m).unwrap(), "1.2.3");
        assert!(package_version("[dependencies]\nversion = \"1\"\n").is_err());
        assert!(version_macros("1.2.3").unwrap().contains("#define WASINN_VERSION_STRING \"1.2.3\""));
        assert!(version_macros("1.2").is_err());
    }

    #[test]
    fn finds_unprefixed_constants() {
        let src = "pub const TENSOR_SIZE: u32 = 20;\nconst _: () = ();\n    pub(crate) static IDS: X = x;\n\
                   pub const WASINN_A: u32 = 1;\npub const fn f() {}\n    pub const SUCCESS: u16 = 0;\n";
        assert_eq!(unprefixed_constants(src), ["TENSOR_SIZE", "IDS", "SUCCESS"]);
    }
}
