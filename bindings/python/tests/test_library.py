"""The library itself: discovery, version, status strings, and the Python enum copies checked
against include/wasinn.h so they cannot drift."""

import os
import re
import subprocess
import sys

import pytest

import wasinn
from conftest import REPO_ROOT

HEADER = os.environ.get("WASINN_HEADER", os.path.join(REPO_ROOT, "include", "wasinn.h"))


def header_macros():
    if not os.path.exists(HEADER):
        pytest.fail("include/wasinn.h not found at %s (set WASINN_HEADER)" % HEADER, pytrace=False)
    text = open(HEADER).read()
    macros = {}
    for m in re.finditer(r"^\s*#define\s+(WASINN_[A-Z0-9_]+)\s+(.+?)\s*$", text, re.M):
        macros[m.group(1)] = m.group(2)
    return macros


def header_value(raw):
    raw = re.sub(r"/\*.*?\*/|//.*$", "", raw).strip()
    raw = raw.strip("()")
    raw = re.sub(r"^\(?\s*(?:uint32_t|wasinn_status_t|int32_t)\s*\)\s*", "", raw)
    raw = re.sub(r"[uUlL]+$", "", raw)
    return int(raw, 0)


def test_version_matches_library_and_cargo():
    v = wasinn.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v), v
    assert wasinn.__version__ == v
    cargo = open(os.path.join(REPO_ROOT, "Cargo.toml")).read()
    pkg = cargo.split("[package]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^version\s*=\s*"([^"]+)"', pkg, re.M).group(1) == v


@pytest.mark.parametrize("enum_cls,prefix", [
    (wasinn.Status, "WASINN_STATUS_"),
    (wasinn.TensorType, "WASINN_TENSOR_TYPE_"),
    (wasinn.Encoding, "WASINN_ENCODING_"),
    (wasinn.Target, "WASINN_TARGET_"),
    (wasinn.WitxProfile, "WASINN_WITX_PROFILE_"),
])
def test_enums_match_header(enum_cls, prefix):
    macros = header_macros()
    from_header = {k[len(prefix):]: header_value(v) for k, v in macros.items() if k.startswith(prefix)}
    if not from_header:
        # cbindgen may emit C enums instead of macros: WASINN_X = 1, inside an enum body.
        text = open(HEADER).read()
        from_header = {m.group(1): int(m.group(2), 0)
                       for m in re.finditer(r"\b%s([A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)" % prefix, text)}
    assert from_header, "no %s* values in %s" % (prefix, HEADER)
    assert {m.name: int(m) for m in enum_cls} == from_header


def test_host_profile_names_are_the_library_names():
    import ctypes
    from wasinn import _ffi
    from wasinn.wasmtime_host import PROFILES
    lib = _ffi.load_library()
    for name, profile in PROFILES.items():
        out = ctypes.c_uint32(99)
        assert lib.wasinn_witx_profile_from_name(name.encode(), ctypes.byref(out)) == 0, name
        assert out.value == int(profile), name
    out = ctypes.c_uint32(99)
    assert lib.wasinn_witx_profile_from_name(b"wamr-2.4", ctypes.byref(out)) == int(wasinn.Status.INVALID_ARGUMENT)
    assert out.value == 99
    assert len(PROFILES) == len(wasinn.WitxProfile)


def test_header_version_macros():
    macros = header_macros()
    v = wasinn.version()
    assert macros["WASINN_VERSION_STRING"].strip('"') == v
    assert ".".join(str(header_value(macros["WASINN_VERSION_" + p])) for p in ("MAJOR", "MINOR", "PATCH")) == v


def test_status_strings():
    seen = set()
    for s in wasinn.Status:
        text = wasinn.status_str(s)
        assert text and text not in seen
        seen.add(text)
    assert wasinn.status_str(12345) not in seen


def test_every_exception_class_maps_its_status():
    for s in wasinn.Status:
        if s == wasinn.Status.SUCCESS:
            continue
        cls = wasinn.error_class(s)
        assert cls is not wasinn.WasinnError and issubclass(cls, wasinn.WasinnError)
        assert cls.status == s
    assert wasinn.error_class(4242) is wasinn.WasinnError
    assert issubclass(wasinn.InvalidArgument, ValueError)
    assert issubclass(wasinn.NotFound, LookupError)
    assert issubclass(wasinn.RuntimeError_, RuntimeError)


def test_last_error_is_cleared_by_success(add_graph):
    with pytest.raises(wasinn.NotFound):
        wasinn.Graph.load_by_name("surely-not-registered")
    assert wasinn.last_error_status() == wasinn.Status.NOT_FOUND
    assert "surely-not-registered" in wasinn.last_error_message()
    assert add_graph.inputs  # successful calls
    add_graph.create_execution_context().close()
    assert wasinn.last_error_status() == wasinn.Status.SUCCESS
    assert wasinn.last_error_message() == ""


def _run(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_wasinn_lib_env_is_used_and_final(tmp_path):
    env = dict(os.environ)
    lib = wasinn.library_path()
    env["WASINN_LIB"] = lib
    r = _run("import wasinn; print(wasinn.library_path()); print(wasinn.version())", env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == lib
    # A directory holding libwasinn.so.0 works too.
    (tmp_path / "libwasinn.so.0").symlink_to(os.path.abspath(lib))
    env["WASINN_LIB"] = str(tmp_path)
    r = _run("import wasinn; print(wasinn.version())", env)
    assert r.returncode == 0, r.stderr
    # A wrong explicit path is an error naming it, never a silent fallback.
    env["WASINN_LIB"] = str(tmp_path / "missing.so")
    r = _run("import wasinn\ntry:\n    wasinn.version()\nexcept wasinn.LibraryNotFound as e:\n    print('ERR', e)\n", env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ERR") and "missing.so" in r.stdout and "WASINN_LIB" in r.stdout


def test_every_prototype_is_declared():
    lib = wasinn.load_library()
    from wasinn._ffi import PROTOTYPES
    for name in PROTOTYPES:
        fn = getattr(lib, name)
        assert fn.argtypes is not None, name
    # Every function the header declares has a prototype here.
    text = open(HEADER).read() if os.path.exists(HEADER) else ""
    declared = set(re.findall(r"\b(wasinn_[a-z0-9_]+)\s*\(", text))
    assert declared, "no functions found in %s" % HEADER
    assert declared - set(PROTOTYPES) == set()


def test_limits_and_stats_structures_match_the_library():
    """The ctypes layouts of wasinn_limits_t and wasinn_stats_t against the library's own values."""
    import ctypes
    from wasinn._ffi import Limits, Stats
    lib = wasinn.load_library()
    limits = Limits(struct_size=ctypes.sizeof(Limits))
    assert lib.wasinn_limits_get_default(ctypes.byref(limits)) == 0
    # The documented defaults (SECURITY.md), unless the environment overrides them.
    if not any(k.startswith("WASINN_MAX_") for k in os.environ):
        assert (limits.max_model_bytes, limits.max_tensor_bytes, limits.max_rank) == (4 << 30, 1 << 30, 16)
        assert (limits.max_graphs, limits.max_contexts, limits.max_name_bytes, limits.max_config_bytes) == (1024, 4096, 4096, 1 << 20)
    before = Stats()
    assert lib.wasinn_stats_get(ctypes.byref(before), ctypes.sizeof(Stats)) == 0
    wrong = Limits(struct_size=3)
    assert lib.wasinn_limits_get_default(ctypes.byref(wrong)) != 0
