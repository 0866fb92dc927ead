#!/usr/bin/env bash
# tests/wamr/run.sh PREFIX DEMO_DIR OUTDIR - the real-WAMR layer of scripts/test.sh.
#
# Builds WAMR from its sources (WAMR_SOURCE_DIR, or the pinned archive in ../shared/runtimes,
# extracted into OUTDIR/src) twice, fast and classic interpreter, each with the shipped host
# bindings/wamr/host (wamr-nn-run) and the two-instance driver (tests/wamr/two_instances.c), then
# runs in each: the magika guest on tract, onnxruntime and openvino, by bytes and by name; the
# crate-mirror guest; the Rust guests built with the wasi-nn 0.6 and wasmedge-wasi-nn 0.8 crates;
# a guest built against WAMR's own wasi_ephemeral_nn.h (WAMR profile; also run under the spec and
# wamr-2.1 profiles, where it must fail); the TFLite image-classifier guest (also against WAMR's
# header) on tract and openvino against LiteRT; a guest of the legacy wasi_nn module (WAMR's default
# wasi_nn.h); two instances at once; a guest whose threads share handles (lib-pthread).
#
# PREFIX: an installed libwasinn (with its plugins); DEMO_DIR: what scripts/demo.sh leaves in
# target/demo (magika.wasm, labels.txt, magika-model.onnx, samples/). The plugins' vendor
# libraries come from the venv's wheels (WASINN_PYTHON_SITE_PACKAGES, default .venv).
# Without WAMR's sources it prints a SKIPPED line and exits 0, except with CI=true (exit 1).
# Prints a "wamr <interpreter>: ..." line per build and exits 1 when any check failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
[ $# -eq 3 ] || { echo "usage: $0 PREFIX DEMO_DIR OUTDIR" >&2; exit 2; }
prefix="$(cd "$1" && pwd)"
demo="$(cd "$2" && pwd)"
mkdir -p "$3"
out="$(cd "$3" && pwd)"
py="${PY:-$repo/.venv/bin/python}"
site="${WASINN_PYTHON_SITE_PACKAGES:-$repo/.venv}"
guestdir="$repo/bindings/wasm3/guest"
archive_name="wamr-2.4.1-289-g646b5a9bc"
archive="$repo/../shared/runtimes/$archive_name.tar.gz"

# ---- WAMR's sources ---------------------------------------------------------------------------
if [ -n "${WAMR_SOURCE_DIR:-}" ]; then
  wamr="$(cd "$WAMR_SOURCE_DIR" && pwd)"
elif [ -f "$archive" ]; then
  wamr="$out/src/$archive_name"
  stamp="$out/src/.extracted-$(sha256sum "$archive" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    rm -rf "$out/src"
    mkdir -p "$out/src"
    tar -xzf "$archive" -C "$out/src"
    touch "$stamp"
  fi
else
  echo "==================================================================================" >&2
  echo "SKIPPED: real-WAMR tests: no WAMR sources: $archive is missing." >&2
  echo "         Provide WAMR with WAMR_SOURCE_DIR=/path/to/wamr (a WAMR 2.4+ source tree)." >&2
  echo "==================================================================================" >&2
  if [ "${CI:-}" = true ]; then echo "CI=true: the real-WAMR layer must run" >&2; exit 1; fi
  echo "wamr: SKIPPED (no WAMR sources)"
  exit 0
fi
[ -f "$wamr/build-scripts/runtime_lib.cmake" ] || { echo "$wamr is not a WAMR source tree" >&2; exit 1; }
nn_include="$wamr/core/iwasm/libraries/wasi-nn/include"
echo "WAMR sources: $wamr ($(sed -n 's/^#define WAMR_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' "$wamr/core/version.h" | paste -sd.))"

for f in magika.wasm labels.txt magika-model.onnx samples; do
  [ -e "$demo/$f" ] || { echo "$demo/$f is missing: run scripts/demo.sh first" >&2; exit 1; }
done

# ---- guests (built once, run by both interpreters) --------------------------------------------
g="$out/guests"
rm -rf "$g"
mkdir -p "$g/mirror" "$g/wasmedge" "$g/own"
"$py" "$guestdir/crate_mirror_cases.py" "$g/mirror"
"$guestdir/build.sh" "$g/mirror/mirror.wasm" wasinn_crate_mirror.c >/dev/null
"$py" "$guestdir/wasmedge_cases.py" "$g/wasmedge"
cp "$g/mirror"/*.onnx "$g/own/"
rust_status=ok
for crate in rust-wasi-nn:mirror/rust.wasm rust-wasmedge-wasi-nn:wasmedge/guest.wasm; do
  rc=0
  "$guestdir/build-rust.sh" "${crate%%:*}" "$g/${crate#*:}" "$repo/target/wasm-guests" >/dev/null || rc=$?
  if [ $rc -eq 3 ] && [ -z "${WASINN_REQUIRE_RUST_GUEST:-}" ]; then
    rust_status=skipped
  elif [ $rc -ne 0 ]; then
    echo "building the Rust guest ${crate%%:*} failed" >&2; exit 1
  fi
done
[ $rust_status = skipped ] && echo "SKIPPED: the Rust guests (no wasm32-wasip1 target): not run in WAMR" >&2
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -isystem "$nn_include")
clang "${cflags[@]}" -o "$g/own/wamr_header_guest.wasm" "$here/guests/wamr_header_guest.c"
clang "${cflags[@]}" -o "$g/own/host_options_guest.wasm" "$here/guests/host_options_guest.c"
mkdir -p "$g/own/mapped-host"
echo "a file in the mapped directory" > "$g/own/mapped-host/note.txt"
echo "not for the guest" > "$g/outside.txt"
# wasi_nn.h warns (#warning) that the wasi_nn module is deprecated: that is what is tested here.
clang "${cflags[@]}" -Wno-#warnings -o "$g/own/wamr_legacy_guest.wasm" "$here/guests/wamr_legacy_guest.c"
bare=("${cflags[@]}" -nostdlib)
clang "${bare[@]}" -Wl,--no-entry -o "$g/own/two_instances_guest.wasm" "$here/guests/two_instances_guest.c"
# lib-pthread runs each thread in a WAMR sub-instance that shares the memory only if it is shared.
clang "${bare[@]}" -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4194304 \
  -Wl,--export=__heap_base -Wl,--export=__data_end -Wl,-z,stack-size=262144 \
  -o "$g/own/threads_guest.wasm" "$here/guests/threads_guest.c"

# ---- one build and one round of runs per interpreter ------------------------------------------
total_pass=0
total_fail=0
declare -a lines=()

# run_case NAME EXPECTED_FILE DIR HOST_ARGS... -- : runs wamr-nn-run in DIR, compares stdout exactly
run_case() {
  local name="$1" expected="$2" dir="$3"
  shift 3
  local rc=0
  (cd "$dir" && "$host" "$@" >"$log/$name.out" 2>"$log/$name.err") || rc=$?
  if [ $rc -eq 0 ] && diff -u "$expected" "$log/$name.out" >"$log/$name.diff"; then
    return 0
  fi
  echo "FAIL [$variant] $name (exit $rc): $log/$name.{out,err,diff}" >&2
  cat "$log/$name.diff" "$log/$name.err" >&2 || true
  return 1
}

for variant in fast classic; do
  t0=$SECONDS
  build="$out/build-$variant"
  fast=1
  [ $variant = classic ] && fast=0
  echo "=== WAMR $variant interpreter: build"
  cmake -S "$here" -B "$build" -DWAMR_ROOT_DIR="$wamr" -DCMAKE_PREFIX_PATH="$prefix" \
    -DWAMR_BUILD_FAST_INTERP=$fast >"$out/cmake-$variant.log" 2>&1 \
    || { cat "$out/cmake-$variant.log" >&2; exit 1; }
  cmake --build "$build" -j2 >"$out/build-$variant.log" 2>&1 || { tail -40 "$out/build-$variant.log" >&2; exit 1; }
  host="$build/host/wamr-nn-run"
  log="$out/logs-$variant"
  rm -rf "$log"
  mkdir -p "$log"
  declare -A pass=() fail=()
  count() { # GROUP STATUS
    if [ "$2" = 0 ]; then pass[$1]=$(( ${pass[$1]:-0} + 1 )); else fail[$1]=$(( ${fail[$1]:-0} + 1 )); fi
  }

  echo "=== WAMR $variant interpreter: run"
  samples=()
  while IFS= read -r f; do samples+=("samples/$f"); done < <(ls "$demo/samples")
  for backend in tract onnxruntime openvino; do
    for how in bytes name; do
      if [ $how = bytes ]; then args=(magika.wasm --bytes magika-model.onnx)
      else args=(--nn-preload "magika:onnx:cpu:magika-model.onnx" magika.wasm magika); fi
      st=0
      (cd "$demo" && WASINN_BACKEND=$backend WASINN_PYTHON_SITE_PACKAGES="$site" \
         "$host" --profile spec --dir . "${args[@]}" labels.txt "${samples[@]}" \
         >"$log/magika-$backend-$how.out" 2>"$log/magika-$backend-$how.err" \
       && "$py" "$guestdir/check-magika.py" "$log/magika-$backend-$how.out" "${samples[@]}" \
         >"$log/magika-$backend-$how.check") || st=$?
      if [ $st -ne 0 ]; then
        echo "FAIL [$variant] magika on $backend by $how" >&2
        cat "$log/magika-$backend-$how.err" "$log/magika-$backend-$how.check" >&2 2>/dev/null || true
      fi
      count "magika-$backend" $st
    done
  done

  # The TFLite image classifier built against WAMR's own header (bindings/wasm3/guest/run-tflite.sh):
  # --profile wamr on tract and openvino against LiteRT's scores, then --profile spec, where WAMR's
  # autodetect number is refused; one count per run.
  st=0
  WAMR_NN_INCLUDE="$nn_include" WASINN_PYTHON_SITE_PACKAGES="$site" PY="$py" \
    "$guestdir/run-tflite.sh" "wamr-$variant" "$out/tflite" tract,openvino "$host" >"$log/tflite.txt" 2>&1 || st=$?
  tf="$(tail -1 "$log/tflite.txt" | sed -n 's/^tflite guest [^:]*: \([0-9]*\) runs passed, \([0-9]*\) failed.*/\1 \2/p')"
  if [ -n "$tf" ] && [ $st -eq 0 ]; then pass[tflite]=${tf% *}; fail[tflite]=${tf#* }
  else
    pass[tflite]=${tf% *}; fail[tflite]=$(( ${tf#* } + 1 ))
    echo "FAIL [$variant] the TFLite guest (exit $st)" >&2; cat "$log/tflite.txt" >&2
  fi
  grep '^tflite guest ' "$log/tflite.txt" || true

  m="$g/mirror"
  mapfile -t margs < "$m/args.txt"
  st=0; run_case crate-mirror "$m/expected.txt" "$m" --profile spec --dir . --nn-preload "$(cat "$m/preload.txt")" \
    mirror.wasm "${margs[@]}" || st=$?
  count crate-mirror $st
  if [ $rust_status = ok ]; then
    # The crate's get_output drops the size the host writes on too_large: no "needed" lines.
    grep -v ': needed ' "$m/expected.txt" > "$m/expected-rust.txt"
    st=0; run_case rust-wasi-nn "$m/expected-rust.txt" "$m" --profile spec --dir . \
      --nn-preload "$(cat "$m/preload.txt")" rust.wasm "${margs[@]}" || st=$?
    count rust-wasi-nn $st
    w="$g/wasmedge"
    mapfile -t wargs < "$w/args.txt"
    st=0; run_case wasmedge-wasi-nn "$w/expected.txt" "$w" --profile wasmedge --dir . \
      --nn-preload "$(cat "$w/preload.txt")" guest.wasm "${wargs[@]}" || st=$?
    count wasmedge-wasi-nn $st
  fi

  o="$g/own"
  ident="wamr-ident-f32:onnx:cpu:ident_f32.onnx"
  st=0; run_case wamr-header "$here/expected/wamr_header_guest.txt" "$o" --profile wamr --dir . \
    --nn-preload "$ident" wamr_header_guest.wasm wamr-ident-f32 || st=$?
  count wamr-header $st
  # The same guest under a profile with another numbering must not pass: the profile matters.
  for wrong in spec wamr-2.1; do
    st=0
    (cd "$o" && "$host" --profile $wrong --dir . --nn-preload "$ident" wamr_header_guest.wasm \
       wamr-ident-f32 >"$log/wamr-header-$wrong.out" 2>&1) && st=1
    grep -q '(UNEXPECTED)$' "$log/wamr-header-$wrong.out" || st=1
    [ $st -eq 0 ] || echo "FAIL [$variant] the WAMR-header guest passed under --profile $wrong" >&2
    count wamr-header $st
  done
  st=0; run_case wasi_nn-legacy "$here/expected/wamr_legacy_guest.txt" "$o" --dir . \
    --nn-preload "wamr-add:onnx:cpu:add.onnx" wamr_legacy_guest.wasm wamr-add || st=$?
  count wasi_nn-legacy $st
  # wamr-nn-run's own options: --env, --dir HOST::GUEST, no access outside the preopens, and the
  # guest's exit code as the host's.
  st=0
  (cd "$o" && "$host" --env "GREETING=hello from the host" --dir mapped-host::/mapped --dir . \
     host_options_guest.wasm /mapped/note.txt ../outside.txt 7 >"$log/host-options.out" 2>"$log/host-options.err") || st=$?
  if [ $st -eq 7 ] && diff -u "$here/expected/host_options_guest.txt" "$log/host-options.out"; then st=0
  else echo "FAIL [$variant] host options (exit $st, expected 7)" >&2; cat "$log/host-options.err" >&2; st=1; fi
  count host-options $st
  st=0; run_case threads "$here/expected/threads_guest.txt" "$o" --nn-preload "$ident" threads_guest.wasm || st=$?
  count threads $st
  st=0
  (cd "$o" && "$build/two_instances" two_instances_guest.wasm "$ident" >"$log/two-instances.out" 2>&1) || st=$?
  grep -qx '9 passed, 0 failed' "$log/two-instances.out" || st=1
  [ $st -eq 0 ] || { echo "FAIL [$variant] two instances" >&2; cat "$log/two-instances.out" >&2; }
  count two-instances $st

  line="wamr ${variant}-interp:"
  sep=" "
  for group in magika-tract magika-onnxruntime magika-openvino crate-mirror rust-wasi-nn \
               wasmedge-wasi-nn wamr-header tflite wasi_nn-legacy two-instances threads host-options; do
    p=${pass[$group]:-0}; f=${fail[$group]:-0}
    if [ $((p + f)) -eq 0 ]; then line+="$sep$group SKIPPED"
    else line+="$sep$group $p/$((p + f))"; fi
    sep=", "
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  done
  lines+=("$line ($((SECONDS - t0))s)")
  unset pass fail
done

# Defect 4: without libc-wasi WAMR leaves WAMR_BUILD_MODULE_INST_CONTEXT off and the glue would not
# link (wasm_runtime_create_context_key); bindings/wamr/wasinn_wamr.cmake turns it on. The
# two-instance driver needs no WASI: build it alone in such a configuration and run it.
t0=$SECONDS
echo "=== WAMR without libc-wasi: build and run the two-instance driver"
build="$out/build-no-libc-wasi"
cmake -S "$here" -B "$build" -DWAMR_ROOT_DIR="$wamr" -DCMAKE_PREFIX_PATH="$prefix" \
  -DWAMR_BUILD_LIBC_WASI=0 -DWAMR_BUILD_LIB_PTHREAD=0 >"$out/cmake-no-libc-wasi.log" 2>&1 \
  || { cat "$out/cmake-no-libc-wasi.log" >&2; exit 1; }
st=0
cmake --build "$build" -j2 --target two_instances >"$out/build-no-libc-wasi.log" 2>&1 || st=$?
if [ $st -ne 0 ]; then
  grep -E 'error|undefined' "$out/build-no-libc-wasi.log" >&2 || true
  echo "FAIL [no-libc-wasi] the glue does not link into a WAMR build without libc-wasi" >&2
else
  (cd "$g/own" && "$build/two_instances" two_instances_guest.wasm "wamr-ident-f32:onnx:cpu:ident_f32.onnx" \
     >"$out/two-instances-no-libc-wasi.out" 2>&1) || st=$?
  grep -qx '9 passed, 0 failed' "$out/two-instances-no-libc-wasi.out" || st=1
  [ $st -eq 0 ] || { echo "FAIL [no-libc-wasi] two instances" >&2; cat "$out/two-instances-no-libc-wasi.out" >&2; }
fi
if [ $st -eq 0 ]; then total_pass=$((total_pass + 1)); r="1/1"; else total_fail=$((total_fail + 1)); r="0/1"; fi
lines+=("wamr no-libc-wasi (fast-interp): glue links, two-instances $r ($((SECONDS - t0))s)")

printf '%s\n' "${lines[@]}"
echo "wamr: $total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
