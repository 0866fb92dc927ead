//! Prints every backend libwasinn sees (built-in, plugins, rejected candidates with the reason).
//! `WASINN_PLUGIN_PATH=target/debug cargo run --example list_backends`; the last line is the time
//! the first listing took (discovery: probes and in-process loads). This example links libwasinn
//! statically, so probing needs `WASINN_PLUGIN_PROBE=$PWD/target/debug/wasinn-plugin-probe`.
fn main() {
    let started = std::time::Instant::now();
    let list = wasinn::backends::plugin::discovery::list();
    let took = started.elapsed();
    for e in list {
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
    println!("first listing: {} ms", took.as_millis());
}
