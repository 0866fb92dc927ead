/*
 * wasinn_wamr.h - glue between WAMR (WebAssembly Micro Runtime, 2.x API) and libwasinn.
 *
 * Registers the wasi-nn witx ABI (import module "wasi_ephemeral_nn") and WAMR's legacy module
 * "wasi_nn" as WAMR native functions and forwards every call to libwasinn's witx glue
 * (wasinn_witx_*, wasinn_wasi_nn_*), which does all the decoding, bounds checks and copies. Build
 * WAMR with WAMR_BUILD_WASI_NN=0 (its own wasi-nn would register the same module names) and
 * WAMR_BUILD_MODULE_INST_CONTEXT=1 (the context keys below); wasinn_wamr.cmake sets both.
 *
 *   wasm_runtime_init();                        // or wasm_runtime_full_init(&args)
 *   wasinn_wamr_register(WASINN_WITX_PROFILE_WAMR);
 *   ... wasm_runtime_load / wasm_runtime_instantiate / run / wasm_runtime_deinstantiate ...
 *   wasinn_wamr_unregister();                   // after every module instance is gone
 *   wasm_runtime_destroy();
 *
 * State: each module instance gets its own wasinn_witx_instance_t (its graphs and contexts are
 * private to it), created on the instance's first wasi-nn call and kept under a WAMR context key
 * (wasm_runtime_create_context_key, set with wasm_runtime_set_context_spread so that the
 * instance's threads share it); WAMR frees it when the module instance is deinstantiated. When
 * libwasinn cannot create it, the call returns runtime_error in the profile's numbering.
 */
#ifndef WASINN_WAMR_H
#define WASINN_WAMR_H

#include <stdbool.h>
#include <stdint.h>

#include "wasinn.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Registers every wasi_ephemeral_nn function with wasm_runtime_register_natives:
 *   load "(iiiii)i", load_by_name "(iii)i", load_by_name_with_config "(iiiii)i",
 *   init_execution_context "(ii)i", set_input "(iii)i", compute "(i)i",
 *   get_output "(iiiii)i", unload "(i)i", finalize_execution_context "(i)i"
 *   and WasmEdge's compute_single "(i)i", get_output_single "(iiiii)i", fini_single "(i)i";
 * and module "wasi_nn": load "(iiii)i", load_by_name "(iii)i", init_execution_context "(ii)i",
 *   set_input "(iii)i", compute "(i)i", get_output "(iiii)i".
 * `profile` is the numbering of the witx enums guests use: WASINN_WITX_PROFILE_WAMR for guests
 * built against WAMR >= 2.4's wasi_ephemeral_nn.h, _WAMR_2_1 for WAMR 2.1-2.3's, _SPEC or
 * _WASMEDGE otherwise.
 * Call once, after the runtime is initialised and before any module is loaded (WAMR resolves
 * imports at load time). Returns false for an unknown profile, a second registration, or when
 * WAMR refuses the registration.
 */
bool wasinn_wamr_register(uint32_t profile);

/*
 * Undoes wasinn_wamr_register. Every module instance that called wasi-nn must have been
 * deinstantiated first (WAMR's context keys may only be destroyed when no instance is live).
 */
void wasinn_wamr_unregister(void);

#ifdef __cplusplus
}
#endif

#endif /* WASINN_WAMR_H */
