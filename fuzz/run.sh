#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 15), from its generated seeds plus
# its kept reproducers (fuzz/regressions/TARGET/). Fails when a target finds a crash, a hang
# (-timeout), an out-of-memory (-rss_limit_mb) or a broken property; the input is then saved in
# build/fuzz/artifacts/TARGET/. Prints one summary line per target (executions, coverage).
#
#   fuzz/run.sh [SECONDS] [TARGET...]        TARGET: glue load parsers layout (default: all)
#
# Environment: WASINN_FUZZ_NICE=N (run the fuzzers under `nice -n N`), WASINN_FUZZ_ARGS (extra
# libFuzzer flags), WASINN_FUZZ_BUILD_ONLY=1 (build, run nothing).
#
# No nightly compiler and no cargo-fuzz are needed: the build is a plain `cargo build` of the
# fuzz workspace with the coverage flags added by a RUSTC_WRAPPER (libfuzzer-sys links libFuzzer
# itself). It builds into target/fuzz-build/ with the main lock file and profiles (a first build
# compiles the dependencies once more there; later runs in the same checkout reuse them).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

seconds=15
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(glue load parsers layout)

# Its own target directory: the instrumented build must never overwrite the main build's
# artifacts. Packages with a cdylib (wasinn, the plugins) have no hash in their file names, so a
# shared target/ let the fuzz build replace target/debug/deps/libwasinn.rlib with an instrumented
# one that a later main-build link (the benches' layer) then picked up: undefined
# __sanitizer_cov_* symbols.
target_dir="$REPO/target/fuzz-build"

# libfuzzer-sys compiles libFuzzer (C++) with the cc crate: `c++`, else Debian's clang++.
if [ -z "${CXX:-}" ] && ! command -v c++ >/dev/null 2>&1; then export CXX=clang++; fi

# The main lock file, so the dependencies resolve to the versions the main build compiled; cargo
# adds libfuzzer-sys to it.
cp Cargo.lock fuzz/Cargo.lock
t0=$SECONDS
RUSTC_WRAPPER="$REPO/fuzz/rustc-sancov.sh" CARGO_TARGET_DIR="$target_dir" \
  cargo build --manifest-path fuzz/Cargo.toml --bins
echo "fuzz build: $((SECONDS - t0))s"
# WASINN_FUZZ_BUILD_ONLY=1: only the build (scripts/test.sh runs it in the background early).
[ -z "${WASINN_FUZZ_BUILD_ONLY:-}" ] || exit 0

out="$REPO/build/fuzz"
nice_cmd=()
[ -z "${WASINN_FUZZ_NICE:-}" ] || nice_cmd=(nice -n "$WASINN_FUZZ_NICE")
failed=0
for t in "${targets[@]}"; do
  bin="$target_dir/debug/$t"
  corpus="$out/corpus/$t"
  mkdir -p "$corpus" "$out/artifacts/$t"
  WASINN_FUZZ_WRITE_SEEDS="$corpus" "$bin" >/dev/null 2>&1 || { echo "$t: writing its seeds failed" >&2; exit 1; }
  dirs=("$corpus")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  t1=$SECONDS
  # shellcheck disable=SC2086
  if "${nice_cmd[@]}" "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" ${WASINN_FUZZ_ARGS:-} "${dirs[@]}" \
       >"$out/$t.log" 2>&1; then
    status="no crash"
  else
    status="FAILED (see $out/$t.log and $out/artifacts/$t/)"
    failed=1
    tail -40 "$out/$t.log" >&2
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out/$t.log" | tail -1)"
  echo "fuzz $t: ${execs:-?} execs in $((SECONDS - t1))s, ${cov:-no coverage line}, $(ls "$corpus" | wc -l) corpus inputs: $status"
done
exit "$failed"
