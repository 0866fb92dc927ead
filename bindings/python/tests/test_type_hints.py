"""Every public callable of the package is fully annotated: each function exported by
``wasinn.__all__`` (and by ``wasinn.wasmtime_host``), and each public method, property, classmethod
and staticmethod (plus ``__init__``/``__new__``/``__enter__``/``__exit__``) of the public classes,
has an annotation on every parameter and a return annotation, and the annotations resolve
(``typing.get_type_hints``). A new function or method without hints fails here."""

import enum
import inspect
import typing

import pytest

import wasinn
import wasinn.wasmtime_host

DUNDERS = ("__init__", "__new__", "__enter__", "__exit__")


def _own_callables(cls):
    """(qualified name, function) for the methods `cls` and its wasinn base classes define."""
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("wasinn"):
            continue
        for name, raw in vars(klass).items():
            if name in seen or (name.startswith("_") and name not in DUNDERS):
                continue
            if isinstance(klass, enum.EnumMeta) and not callable(raw):
                continue  # enum members
            seen.add(name)
            if isinstance(raw, property):
                yield "%s.%s" % (cls.__name__, name), raw.fget, True
            elif isinstance(raw, (staticmethod, classmethod)):
                # __new__ is an implicit staticmethod taking cls.
                yield "%s.%s" % (cls.__name__, name), raw.__func__, isinstance(raw, classmethod) or name == "__new__"
            elif inspect.isfunction(raw) and raw.__module__.startswith("wasinn"):  # not enum's generated ones
                yield "%s.%s" % (cls.__name__, name), raw, True


def _public_callables():
    out = []
    seen = set()
    modules = [(wasinn, wasinn.__all__),
               (wasinn.wasmtime_host, [n for n in vars(wasinn.wasmtime_host) if not n.startswith("_")])]
    for module, names in modules:
        for name in names:
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                if not obj.__module__.startswith("wasinn"):
                    continue
                out.extend(_own_callables(obj))
            elif inspect.isfunction(obj) and obj.__module__.startswith("wasinn"):
                out.append(("%s.%s" % (module.__name__, name), obj, False))
    return out


CALLABLES = _public_callables()


def test_the_check_sees_the_api():
    names = {n for n, _, _ in CALLABLES}
    for expected in ("wasinn.version", "wasinn.dtype_of", "Graph.load", "Graph.inputs",
                     "ExecutionContext.set_input", "ExecutionContext.compute_named", "TensorInfo.shape",
                     "WasinnError.__init__", "Registry.add_files", "wasinn.set_log_callback",
                     "wasinn.wasmtime_host.run", "WitxGlue.define"):
        assert expected in names, expected


@pytest.mark.parametrize("qualname,fn,bound", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_fully_annotated(qualname, fn, bound):
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if bound and params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    assert not missing, "%s: parameters without a type annotation: %s" % (qualname, ", ".join(missing))
    assert sig.return_annotation is not inspect.Signature.empty, "%s: no return annotation" % qualname
    typing.get_type_hints(fn)  # every annotation names something that exists
