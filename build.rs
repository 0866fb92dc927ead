//! Gives the shared library its SONAME, so that consumers link against `libwasinn.so.0` and the
//! ABI major version is visible to the dynamic loader.
fn main() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwasinn.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
