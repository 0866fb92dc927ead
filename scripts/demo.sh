#!/usr/bin/env bash
# scripts/demo.sh - the "main job", end to end, on a fresh machine:
#
#   a wasm32-wasi guest written in C (bindings/wasm3/guest/magika.c) identifies
#   file types with Google's magika model, through wasi-nn
#   (wasi_ephemeral_nn), in wasmtime (JIT, sandboxed: bindings/wasmtime/host,
#   wasinn-wasmtime-run) whose wasi-nn is libwasinn with its built-in tract.
#
# Steps: install missing tools (Debian), a Python venv (.venv, scripts/requirements.txt:
# magika ships the model and its labels, the wasmtime wheel the C API library),
# `cargo build --release` (the library alone, no plugins), wasmtime's C API headers via cargo,
# scripts/install.sh target/stage --wasmtime-root ... (the glue and the host, one C file each),
# the guest, the labels file, then the runs:
#   - no FILE given: sample files, run twice: the model preloaded by the host (--nn-preload,
#     load_by_name) and the model bytes handed over by the guest (load);
#   - FILE...: those files, each one's directory preopened for the guest (and nothing else).
# Each run is checked against the magika python package itself: same label, score within 1e-3.
#
# usage: scripts/demo.sh [FILE...]      (from anywhere; works in the repo root)
# env:   WASINN_DEMO_PROFILE=debug  use the debug build (the test suite does)
#        WASINN_DEMO_NO_BUILD=1     use the build already in target/ (the test suite does)
#        WASINN_DEMO_HOST=wasm3     run the guest in the wasm3 interpreter host instead
#        WASINN_DEMO_WIT=1          also run the same classification as a wasi:nn (WIT) component
#                                   (bindings/wasmtime/guest/rust-wit-nn, wasm32-wasip2), checked the
#                                   same way (the test suite does; wasmtime host only)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
user_files=()
for f in "$@"; do
  [ -f "$f" ] || { echo "demo.sh: $f: not a file" >&2; exit 2; }
  user_files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done
cd "$repo"
demo="$repo/target/demo"
stage="$repo/target/stage"
host_kind="${WASINN_DEMO_HOST:-wasmtime}"
case "$host_kind" in wasmtime|wasm3) ;; *) echo "demo.sh: WASINN_DEMO_HOST is wasmtime or wasm3" >&2; exit 2 ;; esac

source "$repo/scripts/common.sh"
ensure_apt
ensure_venv
vpy="$PY"

# ------------------------------------------------------- 3. libwasinn build --
# The demo proper uses a release build of the library alone; the test suite passes
# WASINN_DEMO_PROFILE=debug WASINN_DEMO_NO_BUILD=1 to reuse the workspace build it already has
# (plugins included: its runs on the onnxruntime and openvino plugins go through here too; a plain
# `cargo build` unifies dependency features differently from the test build and would rebuild tract).
profile="${WASINN_DEMO_PROFILE:-release}"
install_args=(--profile "$profile")
if [ -z "${WASINN_DEMO_NO_BUILD:-}" ]; then
  log "cargo build ($profile, the library only)"
  if [ "$profile" = release ]; then cargo build --release --lib; else cargo build --lib; fi
  install_args+=(--no-plugins)
fi
if [ "$host_kind" = wasmtime ]; then
  log "wasmtime's C API: the wheel's library + the wasmtime-c-api-impl crate's headers"
  wasmtime_root="$("$repo/bindings/wasmtime/fetch-wasmtime.sh" "$repo/target/wasmtime-root" "$vpy")"
  echo "WASMTIME_ROOT: $wasmtime_root"
  install_args+=(--wasmtime-root "$wasmtime_root")
fi
log "scripts/install.sh target/stage ${install_args[*]}"
rm -rf "$stage"
"$repo/scripts/install.sh" "$stage" "${install_args[@]}"
mkdir -p "$demo"

# ---------------------------------------------------------------- 4. host --
if [ "$host_kind" = wasmtime ]; then
  host="$stage/bin/wasinn-wasmtime-run"   # installed with the glue above
  host_args=(--dir .)                     # the guest sees the demo directory, nothing else
else
  # wasm3 0.5.0's C sources (the pywasm3 sdist from PyPI), the host's confined WASI and the glue
  log "building the wasm3 host (wasinn-wasm3-run, bindings/wasm3/build-host.sh)"
  host="$(PYTHON="$vpy" "$repo/bindings/wasm3/build-host.sh" "$stage" "$demo/host-build")"
  host_args=(--dir .)                     # its WASI confines the guest to --dir directories too
fi
host_name="$(basename "$host")"

# ----------------------------------------------------------------- 5. guest --
log "building the guest (clang --target=wasm32-wasi)"
"$repo/bindings/wasm3/guest/build.sh" "$demo/magika.wasm"

log "labels and model from the magika package"
"$vpy" "$repo/bindings/wasm3/guest/make-labels.py" -o "$demo/labels.txt"
model="$("$vpy" "$repo/bindings/wasm3/guest/make-labels.py" --print-model-path)"
echo "model: $model"
# the guest reads files through WASI, beneath the directory the host preopens (--dir .)
cp "$model" "$demo/magika-model.onnx"

# --------------------------------------------------------------- 6. samples --
log "writing sample files into target/demo/samples"
samples="$demo/samples"
rm -rf "$samples"
mkdir -p "$samples"

cat > "$samples/hello.py" <<'EOF'
#!/usr/bin/env python3
"""Count words in the files given on the command line."""
import sys
from collections import Counter


def count_words(path):
    counts = Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(line.lower().split())
    return counts


def main(argv):
    total = Counter()
    for path in argv[1:]:
        total += count_words(path)
    for word, n in total.most_common(10):
        print(f"{n:6d} {word}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
EOF

cat > "$samples/hello.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    int value;
    struct node *next;
};

static struct node *push(struct node *head, int value)
{
    struct node *n = malloc(sizeof *n);
    if (!n) {
        perror("malloc");
        exit(1);
    }
    n->value = value;
    n->next = head;
    return n;
}

int main(int argc, char **argv)
{
    struct node *list = NULL;
    for (int i = 1; i < argc; i++)
        list = push(list, atoi(argv[i]));
    for (struct node *n = list; n; n = n->next)
        printf("%d\n", n->value);
    while (list) {
        struct node *next = list->next;
        free(list);
        list = next;
    }
    return 0;
}
EOF

cat > "$samples/data.json" <<'EOF'
{
  "name": "libwasinn",
  "version": "0.1.0",
  "models": [
    {"name": "magika", "encoding": "onnx", "target": "cpu", "inputs": [{"name": "bytes", "type": "i32", "dims": [1, 2048]}]},
    {"name": "squeezenet", "encoding": "openvino", "target": "cpu", "inputs": [{"name": "data", "type": "f32", "dims": [1, 3, 224, 224]}]}
  ],
  "options": {"threads": 2, "verbose": false, "cache_dir": null},
  "tags": ["wasi-nn", "wasm", "inference"]
}
EOF

cat > "$samples/page.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>libwasinn demo</title>
  <link rel="stylesheet" href="style.css">
</head>
<body>
  <header><h1>File types, identified in WebAssembly</h1></header>
  <main>
    <p>This page was written by the demo script.</p>
    <ul>
      <li><a href="hello.py">hello.py</a></li>
      <li><a href="hello.c">hello.c</a></li>
    </ul>
  </main>
</body>
</html>
EOF

cat > "$samples/build.sh" <<'EOF'
#!/bin/sh
set -eu
out="${1:-build}"
mkdir -p "$out"
for f in src/*.c; do
    obj="$out/$(basename "${f%.c}").o"
    echo "CC $f"
    cc -O2 -Wall -c "$f" -o "$obj"
done
cc -o "$out/app" "$out"/*.o -lm
if [ -x "$out/app" ]; then
    echo "built $out/app"
else
    echo "build failed" >&2
    exit 1
fi
EOF

# a real 64x48 RGB PNG
"$vpy" - "$samples/image.png" <<'EOF'
import struct, sys, zlib
w, h = 64, 48
rows = b"".join(
    b"\x00" + bytes(v for x in range(w) for v in (x * 4 % 256, y * 5 % 256, (x + y) * 2 % 256))
    for y in range(h)
)
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOF

# too small for the model: magika answers without it
printf 'hi\n' > "$samples/tiny.txt"

# ------------------------------------------------------------------ 7. runs --
cd "$demo"
sample_files=(samples/hello.py samples/hello.c samples/data.json samples/page.html
              samples/build.sh samples/image.png samples/tiny.txt)

check() { # $1 = guest output file, then the files the guest classified
  "$vpy" "$repo/bindings/wasm3/guest/check-magika.py" "$@"
}

if [ ${#user_files[@]} -gt 0 ]; then
  # the guest may read each given file's directory and nothing else
  dirs=()
  for f in "${user_files[@]}"; do
    d="$(dirname "$f")"
    [[ " ${dirs[*]-} " == *" --dir $d::$d "* ]] || dirs+=(--dir "$d::$d")
  done
  log "your files: model preloaded by the host (--nn-preload, guest uses load_by_name)"
  echo "\$ $host_name ${host_args[*]-} ${dirs[*]-} --nn-preload magika:onnx:cpu:magika-model.onnx magika.wasm magika labels.txt ${user_files[*]}"
  "$host" ${host_args[@]+"${host_args[@]}"} ${dirs[@]+"${dirs[@]}"} --nn-preload "magika:onnx:cpu:magika-model.onnx" \
    magika.wasm magika labels.txt "${user_files[@]}" | tee run-files.txt
  check run-files.txt "${user_files[@]}"
  log "demo: all good"
  exit 0
fi

log "run 1: model preloaded by the host (--nn-preload, guest uses load_by_name)"
echo "\$ $host_name ${host_args[*]-} --nn-preload magika:onnx:cpu:magika-model.onnx magika.wasm magika labels.txt ${sample_files[*]}"
"$host" ${host_args[@]+"${host_args[@]}"} --nn-preload "magika:onnx:cpu:magika-model.onnx" \
  magika.wasm magika labels.txt "${sample_files[@]}" | tee run-preload.txt
check run-preload.txt "${sample_files[@]}"

log "run 2: model bytes from the guest (--bytes, guest uses load)"
echo "\$ $host_name ${host_args[*]-} magika.wasm --bytes magika-model.onnx labels.txt ${sample_files[*]}"
"$host" ${host_args[@]+"${host_args[@]}"} magika.wasm --bytes magika-model.onnx labels.txt "${sample_files[@]}" \
  | tee run-bytes.txt
check run-bytes.txt "${sample_files[@]}"

if [ -n "${WASINN_DEMO_WIT:-}" ] && [ "$host_kind" = wasmtime ]; then
  log "building the wasi:nn (WIT) component guest (wasm32-wasip2, wit-bindgen bindings)"
  "$repo/bindings/wasmtime/guest/build-component.sh" "$demo/wit.wasm" "$repo/target/wasm-guests"

  log "run 3: the WIT component, model preloaded by the host (guest uses load-by-name)"
  echo "\$ $host_name ${host_args[*]-} --nn-preload magika:onnx:cpu:magika-model.onnx wit.wasm magika magika labels.txt ${sample_files[*]}"
  "$host" ${host_args[@]+"${host_args[@]}"} --nn-preload "magika:onnx:cpu:magika-model.onnx" \
    wit.wasm magika magika labels.txt "${sample_files[@]}" | tee run-wit-preload.txt
  check run-wit-preload.txt "${sample_files[@]}"

  # wasmtime 50's component host calls charge 48 bytes of "hostcall fuel" per list<u8> element
  # (one dynamic value each) out of 128 MiB per call, and the C API cannot raise it: a guest can
  # pass at most ~2.79 MB per call, and magika's model is 3.16 MB. Check that this fails as the
  # component model's trap, with wasmtime's reason, and nothing worse (the host exits cleanly).
  log "run 4: the WIT component, model bytes from the guest (guest uses load): over wasmtime's hostcall limit"
  echo "\$ $host_name ${host_args[*]-} wit.wasm magika --bytes magika-model.onnx labels.txt samples/hello.c"
  wit_rc=0
  "$host" ${host_args[@]+"${host_args[@]}"} wit.wasm magika --bytes magika-model.onnx labels.txt samples/hello.c \
    > run-wit-bytes.txt 2> run-wit-bytes.err || wit_rc=$?
  if [ "$wit_rc" = 134 ] && grep -q 'fuel allocated for hostcalls has been exhausted' run-wit-bytes.err; then
    echo "check: 1 passed, 0 failed (load of 3.16 MB through list<u8>: wasmtime's hostcall-fuel trap, exit 134)"
  else
    cat run-wit-bytes.txt run-wit-bytes.err
    echo "check: 0 passed, 1 failed (expected the hostcall-fuel trap, got exit $wit_rc)"
    exit 1
  fi
fi

log "demo: all good"
