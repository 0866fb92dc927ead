#!/usr/bin/env bash
# The real guests in the wasm3 host, each with its exact expected output:
#   magika (C, -O2)               by name (--nn-preload) and by bytes, on each backend of $BACKENDS
#   crate-mirror (C, -O2)         wasinn_crate_mirror.c, cases from crate_mirror_cases.py    \  on each
#   rust-wasi-nn                  built with the wasi-nn 0.6 crate (wasm32-wasip1)            > backend of
#   rust-wasmedge-wasi-nn         built with the wasmedge-wasi-nn 0.8 crate, --profile wasmedge / $GUEST_BACKENDS
#   tflite classifier (C, -O2)    tflite_classify.c against WAMR's header, run-tflite.sh, on $TFLITE_BACKENDS
#   sandbox                       sandbox_probe.c: paths out of --dir, symlinks out, inherited fds
#
# usage: bindings/wasm3/test-guests.sh HOST WORKDIR
#   HOST     wasinn-wasm3-run (bindings/wasm3/build-host.sh)
#   WORKDIR  scratch directory (emptied)
# env: PYTHON    a Python with onnx and magika (default: the project venv)
#      BACKENDS  backends for the magika runs (default: tract), e.g. tract,onnxruntime,openvino;
#                the plugins find their vendor libraries through WASINN_PYTHON_SITE_PACKAGES
#      GUEST_BACKENDS  backends for the other wasi-nn guests (default: tract). Not openvino: its CPU
#                plugin computes i64 as i32, and these guests check i64 values exactly.
#      TFLITE_BACKENDS  backends for the TFLite classifier guest (default: tract), e.g. tract,openvino
#      CI / WASINN_REQUIRE_RUST_GUEST  when set, a missing wasm32-wasip1 target fails instead of
#                skipping the two Rust guests
# Last line: "wasm3 guests: N passed, M failed" (exit status 1 when M > 0).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
host="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="$2"
py="${PYTHON:-$repo/.venv/bin/python}"
IFS=, read -r -a backends <<< "${BACKENDS:-tract}"
IFS=, read -r -a guest_backends <<< "${GUEST_BACKENDS:-tract}"
guest="$here/guest"

rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
passed=0 failed=0

# check NAME EXPECTED ACTUAL [STDERR]: exact comparison, the diff and stderr on a mismatch
check() {
  if diff -u "$2" "$3" > "$3.diff"; then
    echo "ok: $1"
    passed=$((passed + 1))
  else
    echo "FAIL: $1 (expected $2, got $3)"
    cat "$3.diff"
    if [ -n "${4:-}" ]; then cat "$4"; fi
    failed=$((failed + 1))
  fi
}

# run_case NAME DIR EXPECTED HOST-ARGS... : runs the host in DIR, then check
run_case() {
  local name="$1" dir="$2" expected="$3"
  shift 3
  local out="$work/$name.out" err="$work/$name.err" rc=0
  (cd "$dir" && "$host" "$@" > "$out" 2> "$err") || rc=$?
  if [ "$rc" -ne 0 ]; then echo "exit status $rc" >> "$out"; fi
  check "$name" "$expected" "$out" "$err"
}

# ---- magika: by name and by bytes, on each backend -------------------------------------------
mg="$work/magika"
mkdir -p "$mg"
"$guest/build.sh" "$mg/magika.wasm" >/dev/null
"$py" "$guest/make-labels.py" -o "$mg/labels.txt" >/dev/null
cp "$("$py" "$guest/make-labels.py" --print-model-path)" "$mg/model.onnx"
cat > "$mg/count.py" <<'EOF'
import sys
from collections import Counter


def main(paths):
    total = Counter()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                total.update(line.split())
    for word, n in total.most_common(5):
        print(n, word)


if __name__ == "__main__":
    main(sys.argv[1:])
EOF
cat > "$mg/list.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>

struct node { int v; struct node *next; };

int main(int argc, char **argv)
{
    struct node *head = NULL;
    for (int i = 1; i < argc; i++) {
        struct node *n = malloc(sizeof *n);
        if (!n) return 1;
        n->v = atoi(argv[i]);
        n->next = head;
        head = n;
    }
    for (struct node *n = head; n; n = n->next) printf("%d\n", n->v);
    return 0;
}
EOF
printf 'hi\n' > "$mg/tiny.txt"
# The labels and scores magika's own Python package gives these files (its dl prediction); the
# guest must print the same labels, and scores within 1e-3 (backends differ in the last digits;
# both sides are printed with 3 decimals, hence 1.5e-3 between the printed values).
"$py" - "$mg" > "$mg/expected.txt" <<'EOF'
import os, sys
from magika import Magika
d = sys.argv[1]
m = Magika()
for f in ("count.py", "list.c", "tiny.txt"):
    p = m.identify_path(os.path.join(d, f)).prediction
    if str(p.dl.label) == "undefined":
        print("%s: %s (no model: too few bytes)" % (f, p.output.label))
    else:
        print("%s: %s (score %.3f)" % (f, p.dl.label, p.score))
EOF
# same_scores EXPECTED ACTUAL: rewrites ACTUAL's scores to EXPECTED's where the printed values differ
# by at most 1.5e-3
same_scores() {
  "$py" - "$1" "$2" <<'EOF'
import re, sys
exp, act = (open(p).read().splitlines() for p in sys.argv[1:])
score = re.compile(r"^(.*\(score )([0-9.]+)\)$")
out = []
for i, line in enumerate(act):
    m, e = score.match(line), score.match(exp[i]) if i < len(exp) else None
    if m and e and m.group(1) == e.group(1) and abs(float(m.group(2)) - float(e.group(2))) <= 1.5e-3 + 1e-9:
        line = exp[i]
    out.append(line)
open(sys.argv[2], "w").write("".join(l + "\n" for l in out))
EOF
}
for backend in "${backends[@]}"; do
  for how in name bytes; do
    if [ "$how" = name ]; then args=(--nn-preload magika:onnx:cpu:model.onnx magika.wasm magika)
    else args=(magika.wasm --bytes model.onnx); fi
    out="$work/magika-by-$how-$backend.out" rc=0
    (cd "$mg" && WASINN_BACKEND="$backend" "$host" --dir . "${args[@]}" labels.txt count.py list.c tiny.txt \
       > "$out" 2> "$out.err") || rc=$?
    if [ "$rc" -ne 0 ]; then echo "exit status $rc" >> "$out"; fi
    same_scores "$mg/expected.txt" "$out"
    check "magika-by-$how-$backend" "$mg/expected.txt" "$out" "$out.err"
  done
done

# ---- crate-mirror (C) and the Rust wasi-nn 0.6 crate guest: same models and steps ------------
mirror="$work/crate-mirror"
"$py" "$guest/crate_mirror_cases.py" "$mirror" >/dev/null
"$guest/build.sh" "$mirror/mirror.wasm" wasinn_crate_mirror.c >/dev/null
mapfile -t mirror_args < "$mirror/args.txt"
for backend in "${guest_backends[@]}"; do
  WASINN_BACKEND="$backend" run_case "crate-mirror-$backend" "$mirror" "$mirror/expected.txt" \
    --dir . --nn-preload "$(cat "$mirror/preload.txt")" mirror.wasm "${mirror_args[@]}"
done

edge="$work/wasmedge"
"$py" "$guest/wasmedge_cases.py" "$edge"
mapfile -t edge_args < "$edge/args.txt"

rust_rc=0
"$guest/build-rust.sh" rust-wasi-nn "$mirror/rust-wasi-nn.wasm" "$repo/target/wasm-guests" >/dev/null \
  2> "$work/rust-build.err" || rust_rc=$?
if [ "$rust_rc" -eq 0 ]; then
  "$guest/build-rust.sh" rust-wasmedge-wasi-nn "$edge/rust-wasmedge.wasm" "$repo/target/wasm-guests" \
    >/dev/null 2>> "$work/rust-build.err" || rust_rc=$?
fi
if [ "$rust_rc" -eq 0 ]; then
  # the crate's get_output drops the size the host reports on too_large: no "needed N bytes" lines
  grep -v ': needed ' "$mirror/expected.txt" > "$mirror/expected-rust.txt"
  for backend in "${guest_backends[@]}"; do
    WASINN_BACKEND="$backend" run_case "rust-wasi-nn-0.6-$backend" "$mirror" "$mirror/expected-rust.txt" \
      --dir . --nn-preload "$(cat "$mirror/preload.txt")" rust-wasi-nn.wasm "${mirror_args[@]}"
    WASINN_BACKEND="$backend" run_case "rust-wasmedge-wasi-nn-0.8-$backend" "$edge" "$edge/expected.txt" \
      --dir . --profile wasmedge --nn-preload "$(cat "$edge/preload.txt")" rust-wasmedge.wasm "${edge_args[@]}"
  done
elif [ "$rust_rc" -eq 3 ] && [ -z "${CI:-}" ] && [ -z "${WASINN_REQUIRE_RUST_GUEST:-}" ]; then
  cat "$work/rust-build.err"
  echo "SKIPPED: rust-wasi-nn-0.6 and rust-wasmedge-wasi-nn-0.8 (no wasm32-wasip1 target)"
else
  cat "$work/rust-build.err"
  echo "FAIL: the Rust guests could not be built (build-rust.sh exit $rust_rc)"
  failed=$((failed + 2 * ${#guest_backends[@]}))
fi

# ---- the TFLite image classifier (WAMR's numbering), on each backend of $TFLITE_BACKENDS ------------
# bindings/wasm3/guest/run-tflite.sh: --profile wamr on each backend (LiteRT's scores within 1e-5),
# then --profile spec, where WAMR's autodetect number is refused. One run = one count here.
tf_rc=0
PY="$py" "$guest/run-tflite.sh" wasm3 "$work/tflite" "${TFLITE_BACKENDS:-tract}" "$host" > "$work/tflite.txt" 2>&1 || tf_rc=$?
cat "$work/tflite.txt"
tf_counts="$(tail -1 "$work/tflite.txt" | sed -n 's/^tflite guest wasm3: \([0-9]*\) runs passed, \([0-9]*\) failed.*/\1 \2/p')"
if [ -n "$tf_counts" ]; then
  passed=$((passed + ${tf_counts% *})); failed=$((failed + ${tf_counts#* }))
  [ "$tf_rc" -eq 0 ] || [ "${tf_counts#* }" != 0 ] || failed=$((failed + 1))
elif [ "$tf_rc" -ne 0 ]; then
  echo "FAIL: the TFLite guest runner (exit $tf_rc)"; failed=$((failed + 1))
fi

# ---- the sandbox ------------------------------------------------------------------------------
# box/ is the only directory given; outside/ beside it, a symlink out of box/, the host's own
# /etc/hostname by a relative path, and host descriptors 3 and 5 the host inherited.
sb="$work/sandbox"
mkdir -p "$sb/box/sub" "$sb/outside"
"$guest/build.sh" "$sb/probe.wasm" sandbox_probe.c >/dev/null
echo inside > "$sb/box/in.txt"
echo secret > "$sb/outside/secret.txt"
ln -s ../outside "$sb/box/escape"
ln -s in.txt "$sb/box/link"
echo "host file" > "$sb/inherited.txt"
etc_hostname="$(cd "$sb/box" && realpath --relative-to=. /etc/hostname)"   # ../../../..../etc/hostname
steps=(read:in.txt read:sub/../in.txt read:link stat:in.txt
       read:../outside/secret.txt "read:$etc_hostname" read:escape/secret.txt stat:escape/secret.txt
       read:/etc/hostname write:3 write:4 write:5
       create:new.txt create:../outside/new.txt create:sub/../../outside/new.txt raw)
cat > "$sb/expected.txt" <<EOF
read in.txt: 'inside'
read sub/../in.txt: 'inside'
read link: 'inside'
stat in.txt: 7 bytes
read ../outside/secret.txt: errno 76
read $etc_hostname: errno 76
read escape/secret.txt: errno 76
stat escape/secret.txt: errno 76
read /etc/hostname: errno 44
write 3: errno 8
write 4: errno 8
write 5: errno 8
create new.txt: wrote 21 bytes
read new.txt: 'created by the guest'
create ../outside/new.txt: errno 76
create sub/../../outside/new.txt: errno 76
raw fd_write, data out of memory: 21
raw fd_write, iovec array out of memory: 21
raw fd_write, result out of memory: 21
raw fd_read, buffer out of memory: 21
raw random_get out of memory: 21
raw clock_time_get, result out of memory: 21
raw fd_prestat_dir_name out of memory: 21
raw fd_readdir (not implemented): 52
EOF
# ENOTCAPABLE (76) for everything out of box/ (the kernel refuses, RESOLVE_BENEATH); /etc/hostname
# has no preopen at all (wasi-libc: ENOENT 44); guest fd 3 is box/ itself (not writable), 4 and 5
# are not open: the host's inherited 3 and 5 are invisible, and box/ is still found with them open.
# Files are created inside box/ only; guest pointers out of its memory are EFAULT (21), not a crash;
# a preview1 call the host lacks is ENOSYS (52).
run_case sandbox "$sb/box" "$sb/expected.txt" --dir . ../probe.wasm "${steps[@]}" \
  3< "$sb/inherited.txt" 5>> "$sb/inherited.txt" < /dev/null
echo "host file" > "$sb/inherited-expected.txt"
check sandbox-inherited-fds-untouched "$sb/inherited-expected.txt" "$sb/inherited.txt"
ls "$sb/outside" > "$sb/outside.txt"
echo secret.txt > "$sb/outside-expected.txt"
check sandbox-nothing-created-outside "$sb/outside-expected.txt" "$sb/outside.txt"
# without --dir the guest opens nothing (wasi-libc finds no preopen: ENOTCAPABLE)
printf "read in.txt: errno 76\n" > "$sb/expected-nodir.txt"
run_case sandbox-no-dir "$sb/box" "$sb/expected-nodir.txt" ../probe.wasm read:in.txt

echo "wasm3 guests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
