;; The hostile guest's case without a memory: a module that exports no memory and has none calls
;; wasi_ephemeral_nn with pointers. The host must answer missing_memory (witx numbering, 3) for
;; every range, without touching any memory and without trapping. `run` returns the number of
;; calls that did not answer 3 (0 when the host is right); run it as a reactor, e.g.
;;   wasmedge --reactor hostile-nomem.wasm run
;; or as a command in any host: `_start` returns (exit status 0) when `run` gives 0 and traps
;; (`unreachable`) otherwise. No WASI import: WAMR refuses a WASI module without a memory, and
;; wasmtime's proc_exit traps without one. Hosts serve it under --profile spec (missing_memory 3):
;;   wasinn-wasmtime-run hostile-nomem.wasm && echo ok
(module
  (import "wasi_ephemeral_nn" "load" (func $load (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "load_by_name" (func $load_by_name (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "set_input" (func $set_input (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "get_output" (func $get_output (param i32 i32 i32 i32 i32) (result i32)))
  (func $miss (param $errno i32) (result i32)
    (i32.ne (local.get $errno) (i32.const 3)))
  (func $run (export "run") (result i32)
    (i32.add
      (i32.add
        (call $miss (call $load (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 0)))
        (call $miss (call $load_by_name (i32.const 0) (i32.const 1) (i32.const 0))))
      (i32.add
        (i32.add
          (call $miss (call $init (i32.const 1) (i32.const 0)))
          (call $miss (call $set_input (i32.const 1) (i32.const 0) (i32.const 0))))
        (call $miss (call $get_output (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 0))))))
  (func (export "_start") (if (call $run) (then unreachable))))
