;; A guest for the cross-VM handle test (tests/two_vms.c): thin exports over wasi_ephemeral_nn.
;; load_named() loads the preloaded model "m": the graph handle, or -errno. init(g) creates an
;; execution context from graph g: the errno. unload(g): the errno.
(module
  (import "wasi_ephemeral_nn" "load_by_name" (func $load_by_name (param i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "unload" (func $unload (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "m")
  (func (export "load_named") (result i32)
    (local $e i32)
    (local.set $e (call $load_by_name (i32.const 16) (i32.const 1) (i32.const 0)))
    (if (result i32) (local.get $e)
      (then (i32.sub (i32.const 0) (local.get $e)))
      (else (i32.load (i32.const 0)))))
  (func (export "init") (param $g i32) (result i32)
    (call $init (local.get $g) (i32.const 4)))
  (func (export "unload") (param $g i32) (result i32)
    (call $unload (local.get $g))))
