// A C++ embedder of wasmtime (wasmtime.hh, C++17) with wasi-nn from libwasinn: one call,
// wasinn_wasmtime_define(linker.capi(), profile), on the linker the program already has.
//
//   c++ -std=c++17 main.cpp $(pkg-config --cflags --libs wasinn-wasmtime) -o example
//   ./example add.onnx          # a: f32[2,3] + b: f32[2,3] -> sum, with a = b = 1..6
#include <cstdio>
#include <cstring>
#include <string>

#include <wasmtime.hh>

#include "wasinn_wasmtime.h"

// The guest: load_by_name("add"), a context, the same tensor [1..6] as both inputs, compute,
// the output at 256; returns the first failing errno or 0.
static const char *const GUEST = R"(
(module
  (import "wasi_ephemeral_nn" "load_by_name" (func $lbn (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "set_input" (func $set (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "compute" (func $compute (param i32) (result i32)))
  (import "wasi_ephemeral_nn" "get_output" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "add")
  (data (i32.const 32) "\02\00\00\00\03\00\00\00")
  (data (i32.const 64) "\20\00\00\00\02\00\00\00\01\00\00\00\80\00\00\00\18\00\00\00")
  (data (i32.const 128) "\00\00\80\3f\00\00\00\40\00\00\40\40\00\00\80\40\00\00\a0\40\00\00\c0\40")
  (func (export "run") (result i32) (local $e i32) (local $c i32)
    (local.set $e (call $lbn (i32.const 0) (i32.const 3) (i32.const 8)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $init (i32.load (i32.const 8)) (i32.const 12)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $c (i32.load (i32.const 12)))
    (local.set $e (call $set (local.get $c) (i32.const 0) (i32.const 64)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $set (local.get $c) (i32.const 1) (i32.const 64)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $compute (local.get $c)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $get (local.get $c) (i32.const 0) (i32.const 256) (i32.const 24) (i32.const 16))))
)";

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s add.onnx\n", argv[0]);
    return 2;
  }
  if (wasinn_registry_preload(("add:onnx:cpu:" + std::string(argv[1])).c_str()) != WASINN_STATUS_SUCCESS) {
    std::fprintf(stderr, "cannot preload %s\n", argv[1]);
    return 1;
  }
  wasmtime::Engine engine;
  wasmtime::Store store(engine);
  auto module = wasmtime::Module::compile(engine, GUEST).unwrap();
  wasmtime::Linker linker(engine);
  if (wasmtime_error_t *raw = wasinn_wasmtime_define(linker.capi(), WASINN_WITX_PROFILE_SPEC)) {
    std::fprintf(stderr, "wasinn_wasmtime_define: %s\n", wasmtime::Error(raw).message().c_str());
    return 1;
  }
  auto instance = linker.instantiate(store, module).unwrap();
  auto run = std::get<wasmtime::Func>(*instance.get(store, "run"));
  int32_t err = run.call(store, {}).unwrap()[0].i32();
  if (err != 0) {
    std::fprintf(stderr, "the guest's wasi-nn calls failed: errno %d\n", err);
    return 1;
  }
  auto memory = std::get<wasmtime::Memory>(*instance.get(store, "memory"));
  float sum[6];
  std::memcpy(sum, memory.data(store).data() + 256, sizeof sum);
  std::printf("sum =");
  for (float v : sum) std::printf(" %g", v);
  std::printf("\n");
  return 0;
}
