//! Compiles tests/layout.c (the `_Static_assert` layout pins) against the committed
//! include/wasinn_backend.h with the system C compiler and runs it.

use std::path::Path;
use std::process::Command;

#[test]
fn c_static_asserts_hold_on_the_committed_header() {
    let krate = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = krate.join("../../include");
    let out = std::env::temp_dir().join(format!("wasinn-abi-layout-{}", std::process::id()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&include)
        .arg(krate.join("tests/layout.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "layout.c does not compile against wasinn_backend.h");
    let run = Command::new(&out).status().unwrap();
    let _ = std::fs::remove_file(&out);
    assert!(run.success());
}
