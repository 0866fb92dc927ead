#!/usr/bin/env bash
# The llama chat guests in the project's hosts, against llama.cpp called directly (issue 15):
#   guests  bindings/wasm3/guest/llama_chat.c (C, build.sh) and rust-wasmedge-llama (the published
#           wasmedge-wasi-nn 0.8.0 crate, build-rust.sh, wasm32-wasip1)
#   hosts   wasinn-wasm3-run (wasm3 0.5.0, bindings/wasm3/build-host.sh) and wasinn-wasmtime-run (the
#           JIT host on wasmtime's C API, installed by scripts/install.sh --wasmtime-root); both
#           with --profile wasmedge and WASINN_NN_PRELOAD=default:GGML:AUTO:<model.gguf>, the
#           llama.cpp plugin found through WASINN_PLUGIN_PATH, its libllama through WASINN_LLAMACPP_LIB
# Every guest streams each turn (compute_single / get_output_single until errno 100) and computes it
# in one go; guests_reference.py replays the same chat greedily on llama-cpp-python (same libllama,
# same model) and checks per turn: the prompt, the reply, input/output token counts, streamed ==
# computed, one piece per token. A second C run with --out-max 4 makes every output too small:
# each too_large must report the exact needed size and the retried call must give the same chat.
# A one-turn EOS case (the model ends the reply itself) runs in every host too, a context that fills
# (errno 101) and a prompt longer than the context (102) for each guest, and the Rust guest
# once with the prompt's dims [1] as LlamaEdge's guests pass them (an "info:" line, not counted).
#
# usage: tests/llamacpp/run-guests.sh PREFIX WORKDIR
#   PREFIX   a libwasinn install with the wasmtime glue (bin/wasinn-wasmtime-run); never rebuilt here
#   WORKDIR  scratch directory (emptied)
# env: WASM3_HOST     the wasm3 host (default: build/wasm3-host/wasinn-wasm3-run, as scripts/test.sh
#                     builds it); never rebuilt here
#      PY             a Python with llama-cpp-python (tests/llamacpp/setup.sh installs it; default:
#                     the project venv's)
#      LLAMA_LIB_DIR  the directory of libllama.so (default: build/llamacpp/lib)
#      LLAMA_MODEL    the GGUF model (default: tests/llamacpp/make_model.py's tiny random-weight model,
#                     written into WORKDIR; the EOS case below is chosen for it)
#      LLAMA_PLUGIN   the plugin file or its directory, for WASINN_PLUGIN_PATH (default: the first
#                     libwasinn_backend_llamacpp.so in PREFIX/lib, target/debug, target/release)
#      LLAMA_TURNS    the user turns, separated by '|' (default: three short turns)
#      LLAMA_N_PREDICT  n-predict of the guests' config and the reference (default: 12)
#      LLAMA_EOS_TURN the one-turn chat the model must end itself (an end-of-generation token before
#                     n-predict 64; default "one two three", 44 tokens on the default tiny model)
#      CI / WASINN_REQUIRE_LLAMA  when set, a missing llama library, model or plugin fails instead of
#                     skipping (a missing wasm32-wasip1 target too, as WASINN_REQUIRE_RUST_GUEST)
# Last line: "llama guests: N passed, M failed" (exit 1 when M > 0), or "llama guests: SKIPPED ...".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
prefix="$(cd "$1" && pwd)"
work="$2"
rm -rf "$work"; mkdir -p "$work"; work="$(cd "$work" && pwd)"
guests="$repo/bindings/wasm3/guest"
py="${PY:-$repo/.venv/bin/python}"
lib_dir="${LLAMA_LIB_DIR:-$repo/build/llamacpp/lib}"
model="${LLAMA_MODEL:-$work/tiny.gguf}"
wasm3_host="${WASM3_HOST:-$repo/build/wasm3-host/wasinn-wasm3-run}"
wasmtime_host="$prefix/bin/wasinn-wasmtime-run"
n_predict="${LLAMA_N_PREDICT:-12}"
IFS='|' read -r -a turns <<< "${LLAMA_TURNS:-Hello, who are you?|Tell me a story about a cat.|And then?}"
# one turn the tiny model (make_model.py's default seed) ends with an EOS after 44 tokens
eos_turn="${LLAMA_EOS_TURN:-one two three}"
eos_n_predict=64
required="${CI:-}${WASINN_REQUIRE_LLAMA:-}"


# A missing piece of the llama setup: skipped loudly here, a failure where it must exist.
skip_or_fail() {
  if [ -n "$required" ]; then
    echo "FAILED: $* (CI / WASINN_REQUIRE_LLAMA: tests/llamacpp/setup.sh must have built it)" >&2
    echo "llama guests: 0 passed, 1 failed"
    exit 1
  fi
  echo "SKIPPED: llama guests: $*" >&2
  echo "llama guests: SKIPPED ($*)"
  exit 0
}

plugin="${LLAMA_PLUGIN:-}"
if [ -z "$plugin" ]; then
  for d in "$prefix/lib" "${CARGO_TARGET_DIR:-$repo/target}/debug" "${CARGO_TARGET_DIR:-$repo/target}/release"; do
    if [ -f "$d/libwasinn_backend_llamacpp.so" ]; then plugin="$d/libwasinn_backend_llamacpp.so"; break; fi
  done
fi
# absolute: the hosts run in WORKDIR
lib_dir="$(readlink -m "$lib_dir")"; model="$(readlink -m "$model")"; wasm3_host="$(readlink -m "$wasm3_host")"; [ -z "$plugin" ] || plugin="$(readlink -m "$plugin")"
[ -f "$lib_dir/libllama.so" ] || skip_or_fail "no llama.cpp library $lib_dir/libllama.so"
if [ -z "${LLAMA_MODEL:-}" ] && "$py" -c 'import gguf' 2>/dev/null; then
  "$py" "$here/make_model.py" "$work/tiny.gguf" >/dev/null
fi
[ -f "$model" ] || skip_or_fail "no GGUF model $model"
[ -n "$plugin" ] && [ -e "$plugin" ] || skip_or_fail "no llama.cpp plugin (libwasinn_backend_llamacpp.so; set LLAMA_PLUGIN)"
LLAMA_CPP_LIB_PATH="$lib_dir" "$py" -c 'import llama_cpp' 2>/dev/null || skip_or_fail "no llama-cpp-python in $py"
for h in "$wasm3_host" "$wasmtime_host"; do
  [ -x "$h" ] || { echo "FAILED: no host $h (built by scripts/test.sh's wasm3 / wasmtime layers)" >&2; echo "llama guests: 0 passed, 1 failed"; exit 1; }
done

passed=0; failed=0
count() { # reads a checker's output: its last line is "LABEL: P passed, F failed"
  local last p f
  last="$(tail -1 "$1")"
  p="$(sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/p' <<< "$last")"
  f="$(sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/p' <<< "$last")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
}

echo "llama guests: model $model, plugin $plugin, libllama $lib_dir, n-predict $n_predict, ${#turns[@]} turns"

# ---- the guests -------------------------------------------------------------------------------
"$guests/build.sh" "$work/llama_chat.wasm" llama_chat.c >/dev/null
wasms=(c:llama_chat.wasm)
rust_rc=0
"$guests/build-rust.sh" rust-wasmedge-llama "$work/rust-llama.wasm" "${CARGO_TARGET_DIR:-$repo/target}/wasm-guests" \
  >/dev/null 2> "$work/rust-build.err" || rust_rc=$?
if [ "$rust_rc" = 0 ]; then
  wasms+=(rust:rust-llama.wasm)
elif [ "$rust_rc" = 3 ] && [ -z "$required" ] && [ -z "${WASINN_REQUIRE_RUST_GUEST:-}" ]; then
  cat "$work/rust-build.err"; echo "SKIPPED: the wasmedge-wasi-nn 0.8 llama guest (no wasm32-wasip1 target)"
else
  cat "$work/rust-build.err"; echo "FAILED: the wasmedge-wasi-nn 0.8 llama guest could not be built (build-rust.sh exit $rust_rc)" >&2
  failed=$((failed + 1))
fi

# ---- the reference: llama.cpp through llama-cpp-python, same library and model ------------------
LLAMA_CPP_LIB_PATH="$lib_dir" "$py" "$here/guests_reference.py" expect "$model" "$work/expected.json" \
  --n-predict "$n_predict" --seed 42 --ctx-size 256 "${turns[@]}" | tee "$work/reference.txt"
# A turn the model ends itself: an end-of-generation token before n-predict (so errno 100 comes
# from the EOS, not from the cap, and the EOS is not counted in output_tokens)
LLAMA_CPP_LIB_PATH="$lib_dir" "$py" "$here/guests_reference.py" expect "$model" "$work/expected-eos.json" \
  --n-predict "$eos_n_predict" --seed 42 --ctx-size 256 "$eos_turn" | sed 's/^reference /reference (eos case) /' \
  | tee -a "$work/reference.txt"
eos_tokens="$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["turns"][0]["output_tokens"])' "$work/expected-eos.json")"
if [ "$eos_tokens" -lt "$eos_n_predict" ]; then
  echo "ok: the eos case: llama.cpp stops at an end-of-generation token after $eos_tokens of $eos_n_predict tokens"; passed=$((passed + 1))
else
  echo "FAIL: the eos case reaches n-predict $eos_n_predict: it does not exercise the end-of-generation stop (change LLAMA_EOS_TURN)"; failed=$((failed + 1))
fi

# ---- each guest in each host --------------------------------------------------------------------
# run_guest HOST_NAME HOST GUEST_NAME WASM LABEL [GUEST_ARG...]: the chat of $exp (n-predict $np,
# the turns in cur_turns)
exp="$work/expected.json" np="$n_predict" cur_turns=("${turns[@]}")
run_guest() {
  local host_name="$1" host="$2" guest="$3" wasm="$4" label="$5"; shift 5
  local out="$work/$label.out" err="$work/$label.err" rc=0
  (cd "$work" && WASINN_NN_PRELOAD="default:GGML:AUTO:$model" WASINN_PLUGIN_PATH="$plugin" WASINN_LLAMACPP_LIB="$lib_dir/libllama.so" \
     "$host" --profile wasmedge -- "$wasm" --n-predict "$np" --seed 42 --ctx-size 256 "$@" "${cur_turns[@]}" \
     > "$out" 2> "$err") || rc=$?
  echo "--- $label ($guest guest in $host_name, exit $rc): the checkable lines"
  grep -E '^(turn [0-9]+: |turn [0-9]+ too_large |done: )' "$out" || true
  "$py" "$here/guests_reference.py" check "$exp" "$out" "$label" > "$work/$label.check" || true
  cat "$work/$label.check"
  count "$work/$label.check"
  if grep -q '^FAIL' "$work/$label.check" || [ "$rc" != 0 ]; then
    echo "--- $label stderr:"; tail -20 "$err"
  fi
  if [ "$rc" != 0 ] && ! grep -q '^FAIL' "$work/$label.check"; then
    echo "FAIL: $label exited $rc"; failed=$((failed + 1))
  fi
}

for h in wasm3:"$wasm3_host" wasmtime:"$wasmtime_host"; do
  host_name="${h%%:*}"; host="${h#*:}"
  for g in "${wasms[@]}"; do
    guest="${g%%:*}"; wasm="${g#*:}"
    run_guest "$host_name" "$host" "$guest" "$wasm" "$guest-$host_name"
    exp="$work/expected-eos.json" np="$eos_n_predict" cur_turns=("$eos_turn")
    run_guest "$host_name" "$host" "$guest" "$wasm" "$guest-$host_name-eos"
    exp="$work/expected.json" np="$n_predict" cur_turns=("${turns[@]}")
    # WasmEdge's streaming errnos through each guest (the C names / the crate's variants):
    # context_full 101 when the 64-token context fills mid-reply, prompt_too_long 102 when the
    # 35-token prompt does not fit a 16-token context
    for c in 101:64:64 102:16:4; do
      IFS=: read -r want ctx npred <<< "$c"
      label="$guest-$host_name-errno-$want"
      (cd "$work" && WASINN_NN_PRELOAD="default:GGML:AUTO:$model" WASINN_PLUGIN_PATH="$plugin" WASINN_LLAMACPP_LIB="$lib_dir/libllama.so" \
         "$host" --profile wasmedge -- "$wasm" --n-predict "$npred" --ctx-size "$ctx" "${turns[0]}" \
         > "$work/$label.out" 2> "$work/$label.err") || true
      line="$(grep -E '^turn 1: FAIL ' "$work/$label.out" || true)"
      if [[ "$line" =~ ^turn\ 1:\ FAIL\ compute_single:\ .*\($want\)$ ]] && [ "$(grep -c '^turn 1: FAIL ' "$work/$label.out")" = 1 ]; then
        echo "ok: $label: ${line#turn 1: FAIL }"; passed=$((passed + 1))
      else
        echo "FAIL: $label: expected compute_single to fail with $want, got: ${line:-$(tail -2 "$work/$label.out")}"; failed=$((failed + 1))
      fi
    done
  done
  # every output buffer 4 bytes at first: too_large with the needed size, then the same chat
  run_guest "$host_name" "$host" c llama_chat.wasm "c-$host_name-out-max-4" --out-max 4
  label="c-$host_name-out-max-4"
  if "$py" - "$work/expected.json" "$work/$label.out" <<'PY'
import json, re, sys
want = json.load(open(sys.argv[1]))["turns"]
lines = open(sys.argv[2], encoding="utf-8", errors="replace").read().splitlines()
ok = True
for t in want:
    n = len(t["reply_hex"]) // 2
    got = [l for l in lines if l.startswith(f"turn {t['turn']} too_large get_output 0 ")]
    exp = [f"turn {t['turn']} too_large get_output 0 needed={n} buffer=4"] if n > 4 else []
    if got != exp:
        print(f"turn {t['turn']}: too_large lines {got}, want {exp}")
        ok = False
sys.exit(0 if ok else 1)
PY
  then echo "ok: $label: every reply longer than 4 bytes gave too_large with its exact size"; passed=$((passed + 1))
  else echo "FAIL: $label: the too_large lines"; failed=$((failed + 1))
  fi
  # LlamaEdge's guests set the prompt as a u8 tensor of dims [1] whatever its length: the
  # WasmEdge profile takes the bytes of a byte-string input as they are, so turn 1 must equal the
  # same guest's turn 1 with the prompt's true dims [len] (checked against the reference above)
  if [ "${#wasms[@]}" -gt 1 ]; then
    label="rust-$host_name-dims-one"
    (cd "$work" && WASINN_NN_PRELOAD="default:GGML:AUTO:$model" WASINN_PLUGIN_PATH="$plugin" WASINN_LLAMACPP_LIB="$lib_dir/libllama.so" \
       "$host" --profile wasmedge -- rust-llama.wasm --dims-one --n-predict "$n_predict" --seed 42 --ctx-size 256 \
       "${turns[0]}" > "$work/$label.out" 2> "$work/$label.err") || true
    got="$(grep -E '^turn 1: ' "$work/$label.out" || true)"
    want="$(grep -E '^turn 1: ' "$work/rust-$host_name.out" || true)"
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
      echo "ok: $label: LlamaEdge's set_input(0, U8, &[1], prompt) gives the same turn as dims [len]"; passed=$((passed + 1))
    else
      echo "FAIL: $label: set_input(0, U8, &[1], prompt): '$got', want '$want'"; tail -5 "$work/$label.err"; failed=$((failed + 1))
    fi
  fi
done

echo "llama guests: $passed passed, $failed failed"
[ "$failed" = 0 ]
