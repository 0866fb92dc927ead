#!/usr/bin/env python3
"""Per-call cost of wasi-nn in wasmtime-py: the native glue (wasinn.wasmtime.define, C trampolines)
against the pure-Python trampolines (WitxGlue, --python-glue), side by side in one process.

A WAT guest runs N inferences of a 1-element Add (a: f32[1] + b: f32[1]) on tract, each four
wasi-nn calls (set_input a, set_input b, compute, get_output), timed around the guest's loop:

    WASINN_LIB=.../libwasinn.so.0 python bindings/wasmtime/bench/percall.py [N] [REPEATS]

Prints one line per glue (best of REPEATS) and their ratio. A benchmark, not a test: it asserts
only that every inference computed 1 + 2 = 3.
"""

import sys
import time

import wasmtime
from onnx import TensorProto, helper

import wasinn
import wasinn.wasmtime as native
from wasinn.wasmtime_host import WitxGlue

GUEST = """
(module
  (import "wasi_ephemeral_nn" "load" (func $load (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "set_input" (func $set (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "compute" (func $compute (param i32) (result i32)))
  (import "wasi_ephemeral_nn" "get_output" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "\\01\\00\\00\\00")                           ;; dims [1]
  (data (i32.const 64) "\\20\\00\\00\\00\\01\\00\\00\\00\\01\\00\\00\\00\\80\\00\\00\\00\\04\\00\\00\\00")
  (data (i32.const 96) "\\20\\00\\00\\00\\01\\00\\00\\00\\01\\00\\00\\00\\84\\00\\00\\00\\04\\00\\00\\00")
  (data (i32.const 128) "\\00\\00\\80\\3f\\00\\00\\00\\40")            ;; a = 1, b = 2
  (data (i32.const 512) "\\00\\04\\00\\00%(len)s")                     ;; builder {1024, len}
  (data (i32.const 1024) "%(model)s")
  (func (export "setup") (result i32) (local $e i32)
    (local.set $e (call $load (i32.const 512) (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 8)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $init (i32.load (i32.const 8)) (i32.const 12)))
  ;; n inferences; returns the number whose sum was not 3
  (func (export "bench") (param $n i32) (result i32) (local $c i32) (local $bad i32)
    (local.set $c (i32.load (i32.const 12)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $set (local.get $c) (i32.const 0) (i32.const 64)))
      (drop (call $set (local.get $c) (i32.const 1) (i32.const 96)))
      (drop (call $compute (local.get $c)))
      (drop (call $get (local.get $c) (i32.const 0) (i32.const 256) (i32.const 4) (i32.const 16)))
      (if (f32.ne (f32.load (i32.const 256)) (f32.const 3)) (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
      (f32.store (i32.const 256) (f32.const 0))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad)))
"""


def model_bytes():
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1]) for n in ("a", "b", "sum")]
    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["sum"])], "add1", vi[:2], vi[2:])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8).SerializeToString()


def esc(data):
    return "".join("\\%02x" % b for b in data)


def measure(define, engine, module, n, repeats):
    linker = wasmtime.Linker(engine)
    keep = define(linker)
    store = wasmtime.Store(engine)
    exports = linker.instantiate(store, module).exports(store)
    assert exports["setup"](store) == 0
    exports["bench"](store, 50)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        bad = exports["bench"](store, n)
        best = min(best, time.perf_counter() - t0)
        assert bad == 0, "%d inferences did not compute 1 + 2 = 3" % bad
    del keep
    return best / n


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    model = model_bytes()
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, GUEST % {"len": esc(len(model).to_bytes(4, "little")), "model": esc(model)})
    witx = WitxGlue(wasinn.WitxProfile.SPEC)

    def python_glue(linker):
        witx.define(linker)
        return witx

    results = {
        "native glue (wasinn.wasmtime.define)": measure(lambda l: native.define(l, "spec"), engine, module, n, repeats),
        "pure-Python glue (WitxGlue, --python-glue)": measure(python_glue, engine, module, n, repeats),
    }
    for name, t in results.items():
        print("per-call: %-44s %7.2f us per 1-element Add inference (%.2f us per wasi-nn call), %d inferences, best of %d"
              % (name, t * 1e6, t * 1e6 / 4, n, repeats))
    nat, py = results.values()
    print("per-call: the native glue takes %.2fx less time per inference than the pure-Python glue" % (py / nat))
    witx.close()


if __name__ == "__main__":
    main()
