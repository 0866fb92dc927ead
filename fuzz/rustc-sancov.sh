#!/usr/bin/env bash
# RUSTC_WRAPPER of the fuzz build (fuzz/run.sh): cargo runs it as `rustc-sancov.sh RUSTC ARGS...`.
# It adds libFuzzer's coverage instrumentation, the flags cargo-fuzz passes (without ASan, which
# needs a nightly compiler), to libwasinn's own crates and the fuzz crate only, so a dependency
# with the same features as in the main build is that build's very artifact (same flags, same
# fingerprint: cargo reuses it from target/). The flags are invisible to cargo's fingerprints,
# which is why the instrumented crates get profile settings of their own in fuzz/Cargo.toml: their
# artifacts then never replace the main build's. Build scripts are never instrumented.
set -euo pipefail
rustc="$1"
shift

crate=""
prev=""
for a in "$@"; do
  case "$prev" in
    --crate-name) crate="$a" ;;
  esac
  prev="$a"
done

case "$crate" in
  wasinn|wasinn_plugin_abi|wasinn_fuzz|glue|load|parsers|layout) instrument=1 ;;
  *) instrument=0 ;;
esac

if [ "$instrument" = 1 ]; then
  exec "$rustc" "$@" \
    -Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    -Cllvm-args=-sanitizer-coverage-stack-depth \
    --cfg fuzzing
fi
exec "$rustc" "$@"
