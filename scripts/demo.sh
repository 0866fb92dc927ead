#!/usr/bin/env bash
# scripts/demo.sh - the "main job", end to end, on a fresh machine:
#
#   a wasm32-wasi guest written in C (bindings/wasm3/guest/magika.c) identifies
#   file types with Google's magika model, through wasi-nn
#   (wasi_ephemeral_nn), in a wasm3 host (bindings/wasm3/host) whose wasi-nn
#   is libwasinn.
#
# Steps: install missing tools (Debian), a Python venv (.venv, scripts/requirements.txt:
# magika ships the model and its labels), `cargo build --workspace --release`,
# scripts/install.sh target/stage, wasm3's C sources via cargo, host + guest
# builds into target/demo/, the labels file, sample files, then two runs:
# the model preloaded by the host (--nn-preload, load_by_name) and the model
# bytes handed over by the guest (load). Each run is checked against the magika
# python package itself: same label, score within 1e-3.
#
# usage: scripts/demo.sh            (from anywhere; works in the repo root)
# env:   WASINN_DEMO_PROFILE=debug  use the debug build (the test suite does)
#        WASINN_DEMO_NO_BUILD=1     use the build already in target/ (the test suite does)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
demo="$repo/target/demo"
stage="$repo/target/stage"

source "$repo/scripts/common.sh"
ensure_apt
ensure_venv
vpy="$PY"

# ------------------------------------------------------- 3. libwasinn build --
# The demo proper uses a release build; the test suite passes WASINN_DEMO_PROFILE=debug to reuse
# the build it already has (dependencies are optimised in debug builds too).
# WASINN_DEMO_NO_BUILD=1 (set by the test suite, which built already) skips cargo: a plain
# `cargo build` unifies dependency features differently from the test build and would rebuild tract.
profile="${WASINN_DEMO_PROFILE:-release}"
if [ -z "${WASINN_DEMO_NO_BUILD:-}" ]; then
  log "cargo build ($profile)"
  # --workspace: the backend plugins too (scripts/install.sh installs them beside libwasinn).
  if [ "$profile" = release ]; then cargo build --workspace --release; else cargo build --workspace --all-targets; fi
fi
log "scripts/install.sh target/stage"
rm -rf "$stage"
"$repo/scripts/install.sh" "$stage" --profile "$profile"

# ------------------------------------------------------- 4. wasm3 + host --
log "fetching wasm3's C sources (crate wasm3-sys)"
wasm3_src="$("$repo/bindings/wasm3/fetch-wasm3.sh")"
echo "wasm3 sources: $wasm3_src"

log "building the wasm3 host (wasinn-wasm3-run)"
mkdir -p "$demo"
cmake -S "$repo/bindings/wasm3/host" -B "$demo/host-build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DWASM3_SOURCE_DIR="$wasm3_src" \
  -DCMAKE_PREFIX_PATH="$stage"
cmake --build "$demo/host-build" --parallel 2
host="$demo/host-build/wasinn-wasm3-run"

# ----------------------------------------------------------------- 5. guest --
log "building the guest (clang --target=wasm32-wasi)"
"$repo/bindings/wasm3/guest/build.sh" "$demo/magika.wasm"

log "labels and model from the magika package"
"$vpy" "$repo/bindings/wasm3/guest/make-labels.py" -o "$demo/labels.txt"
model="$("$vpy" "$repo/bindings/wasm3/guest/make-labels.py" --print-model-path)"
echo "model: $model"
# the guest reads files through WASI, relative to its working directory
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

# Each run is checked against the magika python package (bindings/wasm3/guest/magika_check.py;
# the WAMR layer of scripts/test.sh uses it too).
check() { # $1 = guest output file
  "$vpy" "$repo/bindings/wasm3/guest/magika_check.py" "$1" "${sample_files[@]}"
}

log "run 1: model preloaded by the host (--nn-preload, guest uses load_by_name)"
echo "\$ wasinn-wasm3-run --nn-preload magika:onnx:cpu:$model magika.wasm magika labels.txt ${sample_files[*]}"
"$host" --nn-preload "magika:onnx:cpu:$model" magika.wasm magika labels.txt "${sample_files[@]}" \
  | tee run-preload.txt
check run-preload.txt

log "run 2: model bytes from the guest (--bytes, guest uses load)"
echo "\$ wasinn-wasm3-run magika.wasm --bytes magika-model.onnx labels.txt ${sample_files[*]}"
"$host" magika.wasm --bytes magika-model.onnx labels.txt "${sample_files[@]}" \
  | tee run-bytes.txt
check run-bytes.txt

log "demo: all good"
