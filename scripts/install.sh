#!/usr/bin/env bash
# scripts/install.sh PREFIX [--profile release|debug] [--wasmtime-root DIR] [--no-plugins]
#
# Installs an already built libwasinn and its backend plugins (it never builds: run
# `cargo build --workspace [--release]` first) into
# PREFIX:
#   lib/libwasinn.so.X.Y.Z, lib/libwasinn.so.X -> it, lib/libwasinn.so -> libwasinn.so.X
#   lib/libwasinn.a                   (when built)
#   lib/libwasinn_backend_onnxruntime.so, lib/libwasinn_backend_openvino.so,
#   lib/libwasinn_backend_litert.so, lib/libwasinn_backend_llamacpp.so
#                                     (the backend plugins, beside libwasinn.so: the directory
#                                      plugin discovery searches, found with dladdr; the test-only
#                                      mock plugin is never installed; --no-plugins: without them,
#                                      for a build of the library alone such as scripts/demo.sh's)
#   libexec/wasinn/wasinn-plugin-probe (plugin discovery runs it to open and initialise each
#                                      plugin in a child process before loading it, so a plugin that
#                                      crashes at load cannot take the host down; found from
#                                      libwasinn.so's directory as ../libexec/wasinn/; built by
#                                      `cargo build`; without it plugins load unprobed, see SECURITY.md)
#   include/*.h                       (the committed, generated header)
#   lib/cmake/wasinn/wasinnConfig.cmake, wasinnConfigVersion.cmake   (find_package(wasinn))
#   lib/pkgconfig/wasinn.pc
# and, with --wasmtime-root DIR (a wasmtime C API directory: include/wasmtime.h, lib/libwasmtime.so;
# bindings/wasmtime/fetch-wasmtime.sh assembles one), the wasmtime glue, built here with CMake
# against the libwasinn just installed (one C file):
#   lib/libwasinn_wasmtime.so{,.0,.X.Y.Z}, lib/libwasinn_wasmtime.a, include/wasinn_wasmtime.h,
#   bin/wasinn-wasmtime-run, lib/cmake/wasinn/wasinn-wasmtime.cmake (find_package(wasinn
#   COMPONENTS wasmtime) -> wasinn::wasmtime, wasinn::wasmtime_static), lib/pkgconfig/wasinn-wasmtime.pc
# The version has one source, Cargo.toml's [package] version; the header's WASINN_VERSION_* macros
# are generated from it too, and a header that disagrees is refused as stale. Everything installed
# is relocatable: the CMake config and the .pc file find the prefix from their own location.
#
# env: CARGO_TARGET_DIR   where cargo put its output (default: <repo>/target)
#      WASMTIME_ROOT      the default of --wasmtime-root
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 PREFIX [--profile release|debug] [--wasmtime-root DIR] [--no-plugins]" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=""
profile="release"
wasmtime_root="${WASMTIME_ROOT:-}"
with_plugins=1
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || usage; profile="$2"; shift 2 ;;
    --profile=*) profile="${1#--profile=}"; shift ;;
    --no-plugins) with_plugins=0; shift ;;
    --wasmtime-root) [ $# -ge 2 ] || usage; wasmtime_root="$2"; shift 2 ;;
    --wasmtime-root=*) wasmtime_root="${1#--wasmtime-root=}"; shift ;;
    -h|--help) usage ;;
    -*) echo "install.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$prefix" ] || usage; prefix="$1"; shift ;;
  esac
done
[ -n "$prefix" ] || usage
case "$profile" in
  release|debug) ;;
  *) die "unknown profile '$profile' (expected release or debug)" ;;
esac

# ------------------------------------------------------------------ version --
version="$(awk '
  /^[[:space:]]*\[/ { in_pkg = ($0 ~ /^[[:space:]]*\[package\][[:space:]]*$/); next }
  in_pkg && /^[[:space:]]*version[[:space:]]*=/ {
    if (match($0, /"[^"]*"/)) { print substr($0, RSTART + 1, RLENGTH - 2); exit }
  }' "$repo/Cargo.toml")"
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] \
  || die "cannot read a MAJOR.MINOR.PATCH [package] version from $repo/Cargo.toml (got '$version')"
major="${BASH_REMATCH[1]}"
next_major=$((major + 1))

# ---------------------------------------------------------------- artifacts --
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
libdir_in="$target_dir/$profile"
so="$libdir_in/libwasinn.so"
ar="$libdir_in/libwasinn.a"
build_cmd="cargo build"
[ "$profile" = release ] && build_cmd="cargo build --release"
[ -f "$so" ] || die "$so not found: build it first ($build_cmd)"

# The backend plugins (built by `cargo build --workspace`, not by a plain `cargo build`).
plugin_names=(onnxruntime openvino litert llamacpp)
[ "$with_plugins" = 1 ] || plugin_names=()
plugins=()
for name in "${plugin_names[@]}"; do
  f="$libdir_in/libwasinn_backend_$name.so"
  [ -f "$f" ] || die "plugin $f not found: build the plugins first (${build_cmd/cargo build/cargo build --workspace})"
  plugins+=("$f")
done

headers=("$repo"/include/*.h)
[ -f "${headers[0]}" ] || die "no headers in $repo/include: generate include/wasinn.h first"
[ -f "$repo/include/wasinn.h" ] || die "$repo/include/wasinn.h not found"
header_version="$(sed -n 's/^#define[[:space:]]\{1,\}WASINN_VERSION_STRING[[:space:]]\{1,\}"\([^"]*\)".*/\1/p' "$repo/include/wasinn.h" | head -n1)"
if [ -n "$header_version" ] && [ "$header_version" != "$version" ]; then
  die "include/wasinn.h says version $header_version but Cargo.toml says $version: regenerate the header"
fi

# The SONAME is what consumers record; refuse a library built without the expected one.
if command -v readelf >/dev/null 2>&1; then
  soname="$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
  [ "$soname" = "libwasinn.so.$major" ] \
    || die "$so has SONAME '${soname:-<none>}', expected libwasinn.so.$major (see build.rs)"
fi

# Pointer width of the library itself (ELF class byte), for the CMake version file's check.
case "$(od -An -tu1 -j4 -N1 "$so" | tr -d ' ')" in
  1) sizeof_void_p=4 ;;
  2) sizeof_void_p=8 ;;
  *) die "$so is not an ELF file" ;;
esac

# ------------------------------------------------------------------ install --
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
libdir="$prefix/lib"
cmakedir="$libdir/cmake/wasinn"
pcdir="$libdir/pkgconfig"
mkdir -p "$libdir" "$prefix/include" "$cmakedir" "$pcdir"

real="libwasinn.so.$version"
rm -f "$libdir/$real" "$libdir/libwasinn.so.$major" "$libdir/libwasinn.so"
install -m 0755 "$so" "$libdir/$real"
ln -s "$real" "$libdir/libwasinn.so.$major"
ln -s "libwasinn.so.$major" "$libdir/libwasinn.so"

if [ -f "$ar" ]; then
  install -m 0644 "$ar" "$libdir/libwasinn.a"
else
  rm -f "$libdir/libwasinn.a"
  echo "install.sh: note: $ar not found, installing the shared library only" >&2
fi

for f in ${plugins[@]+"${plugins[@]}"}; do
  install -m 0755 "$f" "$libdir/$(basename "$f")"
done

probe="$libdir_in/wasinn-plugin-probe"
if [ -f "$probe" ]; then
  mkdir -p "$prefix/libexec/wasinn"
  install -m 0755 "$probe" "$prefix/libexec/wasinn/wasinn-plugin-probe"
else
  echo "install.sh: note: $probe not found ($build_cmd builds it): plugins will be loaded without a probe" >&2
fi

install -m 0644 "${headers[@]}" "$prefix/include/"

subst() { # template output
  sed -e "s|@WASINN_VERSION@|$version|g" \
      -e "s|@WASINN_VERSION_MAJOR@|$major|g" \
      -e "s|@WASINN_NEXT_MAJOR@|$next_major|g" \
      -e "s|@WASINN_SIZEOF_VOID_P@|$sizeof_void_p|g" \
      -e "s|@WASMTIME_ROOT@|$wasmtime_root|g" "$1" > "$2.tmp"
  if grep -nE '@WAS(INN|MTIME)_[A-Z_]*@' "$2.tmp" >&2; then
    rm -f "$2.tmp"; die "unsubstituted placeholder in $1"
  fi
  chmod 0644 "$2.tmp"
  mv "$2.tmp" "$2"
}
subst "$repo/cmake/wasinnConfig.cmake.in" "$cmakedir/wasinnConfig.cmake"
subst "$repo/cmake/wasinnConfigVersion.cmake.in" "$cmakedir/wasinnConfigVersion.cmake"
subst "$repo/cmake/wasinn.pc.in" "$pcdir/wasinn.pc"

# ------------------------------------------------------------ wasmtime glue --
if [ -n "$wasmtime_root" ]; then
  wasmtime_root="$(cd "$wasmtime_root" && pwd)" || die "--wasmtime-root: no such directory"
  [ -f "$wasmtime_root/include/wasmtime.h" ] && [ -e "$wasmtime_root/lib/libwasmtime.so" ] \
    || die "$wasmtime_root has no include/wasmtime.h and lib/libwasmtime.so"
  glue_build="${WASINN_GLUE_BUILD_DIR:-$target_dir/wasmtime-glue-$profile}"
  cmake_type=Release
  [ "$profile" = debug ] && cmake_type=Debug
  cmake -S "$repo/bindings/wasmtime" -B "$glue_build" -DCMAKE_BUILD_TYPE="$cmake_type" \
    -DWASMTIME_ROOT="$wasmtime_root" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$glue_build" --parallel 2 >/dev/null
  cmake --install "$glue_build" --prefix "$prefix" >/dev/null
  subst "$repo/cmake/wasinn-wasmtime.cmake.in" "$cmakedir/wasinn-wasmtime.cmake"
  subst "$repo/cmake/wasinn-wasmtime.pc.in" "$pcdir/wasinn-wasmtime.pc"
  echo "installed the wasmtime glue (wasmtime $(sed -n 's/^#define WASMTIME_VERSION "\(.*\)"/\1/p' "$wasmtime_root/include/wasmtime.h")) into $prefix"
fi

echo "installed libwasinn $version ($profile) into $prefix"
