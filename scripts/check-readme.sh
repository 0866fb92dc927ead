#!/usr/bin/env bash
# scripts/check-readme.sh [README]
#
# Runs the README's marked snippets, so the documentation cannot rot: every fenced code block
# preceded (on the line before its opening fence) by a marker line
#
#   <!-- readme-test: NAME [option ...] -->
#
# is extracted into build/readme/NAME/ and executed according to its language:
#   sh     bash -euo pipefail, with the repository as the working directory
#          (option cwd=scratch: its scratch directory, build/readme/NAME/work, instead);
#   cmake  the block is appended to the CMakeLists.txt of a tiny project (an `app` executable built
#          from a generated main.c that prints wasinn_version()), configured with
#          -DCMAKE_PREFIX_PATH=$PREFIX, built and run;
#   c      compiled as C11 against $PREFIX/include, linked with $PREFIX/lib/libwasinn.so and run; a
#          block without main() gets an empty one (a compile and link check). Option
#          compile-only: compiled only (-c), for code needing a runtime that is not here;
#          include=DIR[:DIR...]: extra include directories, relative to the repository.
# Environment of every snippet: PREFIX (an installed libwasinn, default build/stage, which
# scripts/test.sh installs before its C tests; option prefix=scratch gives the block a fresh empty
# build/readme/NAME/work/prefix instead), SCRATCH (build/readme/NAME/work; build/readme/ is
# emptied first), REPO, and a PATH starting with the test venv's bin/ (so `python` and `pip` are
# the venv's).
# Prints one line per snippet and, last, "N snippets ran". Fails on the first failing snippet, and
# when the README has no marked snippet or a marker is not followed by a fence.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO"

readme="${1:-README.md}"
PREFIX="${PREFIX:-$REPO/build/stage}"
case "$PREFIX" in /*) ;; *) PREFIX="$REPO/$PREFIX" ;; esac
[ -f "$PREFIX/lib/libwasinn.so" ] || {
  echo "check-readme: no installed libwasinn in $PREFIX (run scripts/install.sh $PREFIX --profile debug)" >&2; exit 1; }
out="$REPO/build/readme"
rm -rf "$out"
mkdir -p "$out"

# Extract: one directory per snippet holding `lang`, `options` and `snippet`.
awk -v out="$out" '
  function fail(msg) { print "check-readme: " FILENAME ":" FNR ": " msg > "/dev/stderr"; bad = 1; exit 1 }
  state == 0 && /^<!-- readme-test: [A-Za-z0-9_.-]+.* -->[[:space:]]*$/ {
    line = $0
    sub(/^<!-- readme-test: /, "", line); sub(/ -->[[:space:]]*$/, "", line)
    n = split(line, f, /[[:space:]]+/)
    name = f[1]; opts = ""
    for (i = 2; i <= n; i++) opts = opts f[i] "\n"
    if (name in seen) fail("snippet name " name " used twice")
    seen[name] = 1
    state = 1; next
  }
  state == 1 {
    if ($0 !~ /^```[a-z]+[[:space:]]*$/) fail("marker of " name " is not followed by a ```LANG fence")
    lang = $0; sub(/^```/, "", lang); sub(/[[:space:]]*$/, "", lang)
    dir = out "/" name
    system("mkdir -p \"" dir "\"")
    printf "%s\n", lang > (dir "/lang"); close(dir "/lang")
    printf "%s", opts > (dir "/options"); close(dir "/options")
    printf "" > (dir "/snippet")
    order = order name "\n"
    state = 2; next
  }
  state == 2 {
    if ($0 ~ /^```[[:space:]]*$/) { close(dir "/snippet"); state = 0; next }
    print >> (dir "/snippet")
  }
  END {
    if (bad) exit 1
    if (state != 0) { print "check-readme: unterminated snippet " name > "/dev/stderr"; exit 1 }
    printf "%s", order > (out "/ORDER")
  }' "$readme"

mapfile -t names < "$out/ORDER"
[ "${#names[@]}" -gt 0 ] || { echo "check-readme: no <!-- readme-test: NAME --> snippet in $readme" >&2; exit 1; }

export REPO
export PATH="$VENV/bin:$PATH"
cc_flags=(-std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L)

has_opt() { grep -qx "$1" "$2/options"; }
opt_value() { sed -n "s/^$1=//p" "$2/options" | tail -1; }

ran=0
for name in "${names[@]}"; do
  dir="$out/$name"
  lang="$(cat "$dir/lang")"
  scratch="$dir/work"
  mkdir -p "$scratch"
  prefix="$PREFIX"
  [ "$(opt_value prefix "$dir")" = scratch ] && prefix="$scratch/prefix"
  log "README snippet '$name' ($lang)"
  set +e
  (
    set -e
    export PREFIX="$prefix" SCRATCH="$scratch"
    case "$lang" in
      sh|bash)
        wd="$REPO"
        [ "$(opt_value cwd "$dir")" = scratch ] && wd="$scratch"
        cd "$wd"
        bash -euo pipefail "$dir/snippet"
        ;;
      cmake)
        proj="$scratch/project"
        mkdir -p "$proj"
        cat > "$proj/main.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <wasinn.h>

int main(void) {
    const char *v = wasinn_version();
    if (v == NULL || strcmp(v, WASINN_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, header %s\n", v ? v : "(null)", WASINN_VERSION_STRING);
        return 1;
    }
    printf("libwasinn %s through wasinn::wasinn\n", v);
    return 0;
}
EOF
        {
          printf 'cmake_minimum_required(VERSION 3.16)\nproject(readme_%s LANGUAGES C)\n' "${name//[^A-Za-z0-9_]/_}"
          printf 'add_executable(app main.c)\n'
          cat "$dir/snippet"
        } > "$proj/CMakeLists.txt"
        cmake -S "$proj" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
        cmake --build "$scratch/build" >/dev/null
        "$scratch/build/app"
        ;;
      c)
        inc=(-I"$PREFIX/include")
        IFS=: read -r -a extra <<< "$(opt_value include "$dir")"
        for d in "${extra[@]}"; do [ -n "$d" ] && inc+=(-I"$REPO/$d"); done
        cp "$dir/snippet" "$scratch/snippet.c"
        if has_opt compile-only "$dir"; then
          cc "${cc_flags[@]}" "${inc[@]}" -c "$scratch/snippet.c" -o "$scratch/snippet.o"
          echo "compiled (compile-only)"
        else
          if ! grep -qE '\bmain[[:space:]]*\(' "$scratch/snippet.c"; then
            printf '\nint main(void) { return 0; }\n' >> "$scratch/snippet.c"
          fi
          cc "${cc_flags[@]}" "${inc[@]}" "$scratch/snippet.c" -o "$scratch/snippet" \
            -L"$PREFIX/lib" -lwasinn -Wl,-rpath,"$PREFIX/lib"
          "$scratch/snippet"
          echo "compiled, linked and ran"
        fi
        ;;
      *) echo "check-readme: snippet '$name': unsupported language '$lang'" >&2; exit 1 ;;
    esac
  ) 2>&1 | sed "s/^/  [$name] /"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "check-readme: snippet '$name' ($lang) failed (exit $rc); its files are in $dir" >&2
    exit 1
  fi
  echo "readme snippet ok: $name ($lang)"
  ran=$((ran + 1))
done
echo "$ran snippets ran"
