#!/usr/bin/env bash
# RUSTC_WRAPPER of the fuzz build (fuzz/run.sh): cargo runs it as `rustc-sancov.sh RUSTC ARGS...`.
# It adds libFuzzer's coverage instrumentation, the flags cargo-fuzz passes (without ASan, which
# needs a nightly compiler), to the crates that need it:
#   WASINN_FUZZ_INSTRUMENT=ours (default): libwasinn's own crates and the fuzz crate only, so a
#     dependency with the same features as in the main build is that build's very artifact (same
#     flags, same fingerprint: cargo reuses it from target/);
#   WASINN_FUZZ_INSTRUMENT=all: every crate (tract and prost too: the fuzzer then sees coverage in
#     the model parsers), in a target directory of its own (run.sh picks it), like cargo-fuzz.
# Build scripts and proc macros run on the host and are never instrumented.
set -euo pipefail
rustc="$1"
shift

crate="" kind=""
prev=""
for a in "$@"; do
  case "$prev" in
    --crate-name) crate="$a" ;;
    --crate-type) kind="$kind $a" ;;
  esac
  prev="$a"
done

instrument=0
case "${WASINN_FUZZ_INSTRUMENT:-ours}:$crate" in
  *:build_script_*|*:) ;;
  ours:wasinn|ours:wasinn_plugin_abi|ours:wasinn_fuzz|ours:glue|ours:load|ours:parsers|ours:layout) instrument=1 ;;
  all:*) instrument=1 ;;
esac
case "$kind" in *proc-macro*) instrument=0 ;; esac

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
