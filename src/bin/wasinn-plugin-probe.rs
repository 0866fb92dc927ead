//! `wasinn-plugin-probe <plugin.so> [alarm seconds]`: opens and initialises one backend plugin in
//! its own process, for libwasinn's plugin discovery (see `wasinn::backends::plugin::probe`).
//! Installed beside libwasinn.so (cargo's target directory) or in `<prefix>/libexec/wasinn/`.

fn main() {
    std::process::exit(wasinn::backends::plugin::probe::probe_main());
}
