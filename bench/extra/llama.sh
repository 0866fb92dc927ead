#!/usr/bin/env bash
# scripts/bench.sh hook: the "llama.cpp" section of BENCHMARKS.md on stdout (progress on stderr).
# Tokens per second through libwasinn's C API and the llama.cpp plugin vs libllama called
# directly, same library, same model, same thread count, greedy: bench/native/llama_tokens.c (one
# process, the three ways interleaved; the generated text must be identical, checked each round).
#   - libllama: tests/llamacpp/setup.sh (built once into build/llamacpp, reused);
#   - libwasinn.so and the plugin: $WASINN_BENCH_PREFIX (default build/bench/prefix, bench.sh's
#     release install; scripts/install.sh installs the plugin beside libwasinn.so, where discovery
#     finds it); a prefix without the plugin takes
#     $CARGO_TARGET_DIR/$WASINN_BENCH_PROFILE/libwasinn_backend_llamacpp.so (default profile debug);
#   - the model: tests/llamacpp/make_model.py --preset bench (random weights, written here).
# Runs pinned to one core with one thread (as every other bench), then on both cores with two.
# WASINN_BENCH_QUICK=1: 3 rounds of 32 tokens instead of 15 of 128 (a check of the pipeline).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cd "$REPO"
profile="${WASINN_BENCH_PROFILE:-debug}"
prefix="${WASINN_BENCH_PREFIX:-$REPO/build/bench/prefix}"
target="${CARGO_TARGET_DIR:-$REPO/target}/$profile"
[ -f "$prefix/lib/libwasinn.so" ] || { echo "llama.sh: no $prefix/lib/libwasinn.so" >&2; exit 1; }
plugin="$prefix/lib/libwasinn_backend_llamacpp.so"
[ -f "$plugin" ] || plugin="$target/libwasinn_backend_llamacpp.so"
[ -f "$plugin" ] || { echo "llama.sh: no llamacpp plugin in $prefix/lib or $target (cargo build -p wasinn-backend-llamacpp)" >&2; exit 1; }
lib="$(tests/llamacpp/setup.sh "$PY" | tail -1)"
src="$(ls -d "$REPO"/build/llamacpp/llama_cpp_python-*/vendor/llama.cpp | head -1)"
out="$REPO/build/bench/llama"
mkdir -p "$out"
[ -f "$out/bench.gguf" ] || "$PY" tests/llamacpp/make_model.py "$out/bench.gguf" --preset bench >&2
cc -O2 -Wall -Wextra -Werror -o "$out/llama_tokens" bench/native/llama_tokens.c \
  -I"$src/include" -I"$src/ggml/include" -I"$REPO/include" \
  -L"$lib" -lllama -L"$prefix/lib" -lwasinn -Wl,-rpath,"$lib" -Wl,-rpath,"$prefix/lib"
tokens=128 rounds=15
[ -n "${WASINN_BENCH_QUICK:-}" ] && { tokens=32; rounds=3; }
export WASINN_LLAMACPP_LIB="$lib/libllama.so"
[ "$plugin" = "$prefix/lib/libwasinn_backend_llamacpp.so" ] || export WASINN_PLUGIN_PATH="$plugin"
pin=(taskset -c 1)
[ "$(id -u)" -eq 0 ] && pin=(nice -n -5 "${pin[@]}")
echo "llama.sh: 1 thread pinned" >&2
"${pin[@]}" "$out/llama_tokens" "$out/bench.gguf" $tokens $rounds 1 > "$out/t1.json"
echo "llama.sh: 2 threads on both cores" >&2
"$out/llama_tokens" "$out/bench.gguf" $tokens $rounds 2 > "$out/t2.json"
"$PY" - "$out/t1.json" "$out/t2.json" "$src" "${pin[*]}" "$profile" <<'EOF'
import json, subprocess, sys
t1, t2 = (json.load(open(p)) for p in sys.argv[1:3])
src, pin, profile = sys.argv[3:6]
commit = subprocess.run(["git", "-C", src, "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip()
print("## llama.cpp: tokens per second, libwasinn vs libllama called directly\n")
print(f"`bench/extra/llama.sh` (`bench/native/llama_tokens.c`): one process, the three ways interleaved, "
      f"{t1['rounds']} timed rounds after one warm-up, medians. One generation = the prompt "
      f"({t1['prompt_tokens']} tokens) evaluated on a cleared KV cache, then {t1['tokens']} greedy tokens, each "
      f"piece copied out; the text ({t1['text_bytes']} bytes) is byte-identical in the three ways (checked every round). "
      f"**direct**: libllama's C API (llama_decode, llama_sampler_sample greedy, llama_token_to_piece) with the plugin's "
      f"context parameters; **compute**: `wasinn_exec_ctx_set_input` + `_compute` (all tokens in one call) + `_get_output`; "
      f"**stream**: `wasinn_exec_ctx_compute_single` + `_get_output_single` per token. "
      f"Model: `tests/llamacpp/make_model.py --preset bench` (llama architecture, 4 layers, n_embd 256, "
      f"random weights, f32): a tiny model, so libwasinn's per-token cost weighs more here than on any real LLM. "
      f"libllama built from the llama-cpp-python 0.3.36 sdist (llama.cpp {commit or 'vendored'}, CPU, Release) "
      f"by tests/llamacpp/setup.sh; the plugin and libwasinn: {profile} build. Generation stops at the model's end token or n-predict, the same token in every way.\n")
print("| threads | way | generation (ms) | tokens/s | / direct |")
print("|---|---|---:|---:|---:|")
for label, t in ((f"1 (`{pin}`)", t1), ("2 (both cores)", t2)):
    d = t["direct"]["median_us"]
    for way in ("direct", "compute", "stream"):
        m = t[way]["median_us"]
        print(f"| {label} | {way} | {m / 1000:.2f} | {t['tokens'] / (m / 1e6):.0f} | {d / m:.3f} |")
print("\n`/ direct` is tokens/s through libwasinn divided by tokens/s of the direct loop (goal >= 0.98).\n")
print("Per-token step (median over every generated token but the first of each round; p10-p90 in brackets):\n")
print("| threads | direct step: sample + piece + decode (us) | stream step: compute_single + get_output_single (us) | per-token overhead (us) |")
print("|---|---:|---:|---:|")
for label, t in (("1", t1), ("2", t2)):
    a, b = t["direct_step"], t["stream_step"]
    print(f"| {label} | {a['median_us']:.1f} [{a['p10_us']:.1f}-{a['p90_us']:.1f}] | "
          f"{b['median_us']:.1f} [{b['p10_us']:.1f}-{b['p90_us']:.1f}] | {b['median_us'] - a['median_us']:+.2f} |")
EOF
