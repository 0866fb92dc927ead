//! Prints every backend libwasinn sees (built-in, plugins, rejected candidates with the reason).
//! `WASINN_PLUGIN_PATH=target/debug cargo run --example list_backends`
fn main() {
    for e in wasinn::backends::plugin::discovery::list() {
        let enc: Vec<String> = e.encodings.iter().map(|x| x.to_string()).collect();
        let tgt: Vec<String> = e.targets.iter().map(|x| x.to_string()).collect();
        println!(
            "{:<12} {:?} version={:?} path={} encodings=[{}] targets=[{}]{}",
            e.name,
            e.status,
            e.version,
            e.path.as_ref().map_or("(built-in)".into(), |p| p.display().to_string()),
            enc.join(","),
            tgt.join(","),
            e.reason.map(|r| format!(" reason={r}")).unwrap_or_default()
        );
    }
    println!("preference: {:?}", wasinn::core::loader::preference());
}
