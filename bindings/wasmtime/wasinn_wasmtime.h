/*
 * wasinn_wasmtime.h - wasi-nn (the legacy witx module "wasi_ephemeral_nn") for every embedder of
 * wasmtime's C API, served by libwasinn.
 *
 *   wasmtime_linker_t *linker = wasmtime_linker_new(engine);
 *   wasmtime_linker_define_wasi(linker);
 *   wasmtime_error_t *err = wasinn_wasmtime_define(linker, WASINN_WITX_PROFILE_SPEC);
 *   ... wasmtime_linker_instantiate(linker, context, module, &instance, &trap) ...
 *   wasmtime_store_delete(store);      // frees the wasi-nn state of every instance in the store
 *   wasmtime_linker_delete(linker);
 *
 * Tested with wasmtime 50.0.1 (the C API library of the PyPI `wasmtime` wheel, the headers of the
 * crates.io `wasmtime-c-api-impl` crate). libwasinn_wasmtime.so records no dependency on a
 * wasmtime library: its wasmtime symbols bind to the libwasmtime the process already has (the
 * host program's, or the one wasmtime-py loaded), so a process never holds two copies.
 */
#ifndef WASINN_WASMTIME_H
#define WASINN_WASMTIME_H

#include <stddef.h>
#include <stdint.h>

#include <wasinn.h>
#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Defines every wasi_ephemeral_nn import in `linker` with
 * wasmtime_linker_define_func_unchecked: the six witx functions (load, load_by_name,
 * init_execution_context, set_input, compute, get_output) and WasmEdge's
 * load_by_name_with_config, unload, finalize_execution_context, compute_single,
 * get_output_single and fini_single, each (i32...) -> i32, forwarding the guest's raw arguments
 * and its `memory` export (looked up on every call: memory.grow may move it) to the matching
 * wasinn_witx_* function. Definitions a module does not import are ignored by wasmtime.
 *
 * `profile` is a WASINN_WITX_PROFILE_* value: the numbering the guests were built for.
 *
 * State: each guest instance gets its own wasinn_witx_instance_t (its graph and context
 * handles; a handle of one instance is refused by every other), created on its first wasi-nn
 * call and keyed by its memory (two instances sharing one imported memory share it). It is freed
 * when the instance's STORE is deleted: wasmtime has no per-instance teardown (an instance lives
 * exactly as long as its store), and the store's deletion is observed through a host function
 * the glue adds to the store, whose finalizer wasmtime runs when the store goes away. A guest
 * without a `memory` export gets errnos (missing_memory, invalid_argument), never a trap.
 *
 * Returns NULL on success, or an error owned by the caller (free with wasmtime_error_delete):
 * an unknown profile, a name the linker already defines (unless shadowing is allowed), or out
 * of memory. The definitions may be used from any thread and by any number of stores; the
 * linker may be deleted before the stores that instantiated through it.
 *
 * Ownership: `linker` is borrowed for the duration of the call.
 */
wasmtime_error_t *wasinn_wasmtime_define(wasmtime_linker_t *linker, uint32_t profile);

/*
 * The number of per-instance wasi-nn states alive in the process (created by guests' wasi-nn
 * calls, freed with their stores). 0 once every store that called wasi-nn is deleted: a host or
 * a test can check its teardown with it. Thread safety: any thread.
 */
size_t wasinn_wasmtime_live_instances(void);

/*
 * The WASMTIME_VERSION the glue was compiled against (a static string, e.g. "50.0.1").
 */
const char *wasinn_wasmtime_header_version(void);

/*
 * The address of wasmtime_linker_define_func_unchecked as the glue calls it: equal to that
 * symbol's address in a given libwasmtime exactly when the glue is bound to that library
 * instance (wasmtime-py's host checks this before defining anything).
 */
const void *wasinn_wasmtime_api_probe(void);

#ifdef __cplusplus
}
#endif

#endif /* WASINN_WASMTIME_H */
