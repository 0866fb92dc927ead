#!/usr/bin/env bash
# scripts/check-symbols.sh [--update] [LIBRARY]
#
# The exported ABI of libwasinn is a committed list: abi/libwasinn.symbols (sorted, one dynamic
# symbol name per line). This compares the library's defined dynamic symbols with it and fails on
# any difference, so a change to the ABI is always a visible diff in review. It also fails when the
# library exports anything without the `wasinn_` prefix (a generic name like `load` would collide
# inside an embedding runtime).
#
#   scripts/check-symbols.sh build/stage/lib/libwasinn.so           # check (the test suite does)
#   scripts/check-symbols.sh --update build/stage/lib/libwasinn.so  # rewrite the list after an intended change
#
# LIBRARY defaults to build/stage/lib/libwasinn.so (what scripts/test.sh installs).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$repo/abi/libwasinn.symbols"
update=0
lib=""
for arg in "$@"; do
  case "$arg" in
    --update) update=1 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "check-symbols.sh: unknown option $arg" >&2; exit 2 ;;
    *) lib="$arg" ;;
  esac
done
lib="${lib:-$repo/build/stage/lib/libwasinn.so}"
[ -e "$lib" ] || { echo "check-symbols.sh: $lib not found (install the library first)" >&2; exit 2; }

# Defined dynamic symbols only (U = imports from libc etc. are not our ABI); versioned names
# (sym@@VER) keep their version, which is part of the ABI too.
actual="$(nm -D --defined-only "$lib" | awk 'NF >= 3 {print $3}' | LC_ALL=C sort -u)"

bad="$(printf '%s\n' "$actual" | grep -v '^wasinn_' || true)"
if [ -n "$bad" ]; then
  echo "check-symbols.sh: $lib exports names without the wasinn_ prefix:" >&2
  printf '  %s\n' $bad >&2
  exit 1
fi

if [ "$update" = 1 ]; then
  mkdir -p "$(dirname "$list")"
  printf '%s\n' "$actual" > "$list"
  echo "check-symbols.sh: wrote $(wc -l < "$list") symbols to ${list#$repo/}"
  exit 0
fi

[ -f "$list" ] || { echo "check-symbols.sh: ${list#$repo/} missing: run with --update" >&2; exit 1; }
if ! diff -u --label "${list#$repo/} (committed)" --label "$lib (exported)" "$list" <(printf '%s\n' "$actual"); then
  echo "check-symbols.sh: the exported symbols differ from ${list#$repo/}." >&2
  echo "  If the ABI change is intended: scripts/check-symbols.sh --update $lib, and commit the list." >&2
  exit 1
fi
echo "check-symbols.sh: $(printf '%s\n' "$actual" | wc -l) exported symbols match ${list#$repo/}"
