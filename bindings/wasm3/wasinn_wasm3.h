/*
 * wasinn_wasm3.h - drop-in glue between wasm3 (0.5.0) and libwasinn.
 *
 * Registers the legacy wasi-nn witx ABI (import module "wasi_ephemeral_nn")
 * on a wasm3 module and forwards every call to libwasinn's witx glue.
 *
 *   wasinn_witx_instance_t *nn = NULL;
 *   wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &nn);
 *   m3_LoadModule(runtime, module);
 *   ... link WASI (e.g. host/wasi.c: host_wasi_link) ...
 *   M3Result r = wasinn_wasm3_link(module, nn);
 *   ... run ...
 *   m3_FreeRuntime(runtime);
 *   wasinn_witx_instance_free(nn);     // after the runtime is gone
 *
 * The instance must outlive every call the module makes. One instance per
 * guest instance (its graphs and contexts are private to it).
 */
#ifndef WASINN_WASM3_H
#define WASINN_WASM3_H

#include "wasm3.h"
#include "wasinn.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Link every wasi_ephemeral_nn function the module imports:
 *   load "i(iiiii)", load_by_name "i(iii)", load_by_name_with_config "i(iiiii)",
 *   init_execution_context "i(ii)", set_input "i(iii)", compute "i(i)",
 *   get_output "i(iiiii)", unload "i(i)", finalize_execution_context "i(i)",
 *   and WasmEdge's compute_single "i(i)", get_output_single "i(iiiii)",
 *   fini_single "i(i)".
 * Imports the module does not have are skipped. Must be called after
 * m3_LoadModule (wasm3 needs the module's runtime to link).
 * Returns m3Err_none, or wasm3's error (e.g. "function signature mismatch"
 * when the guest declared an import with other types); a NULL module or
 * instance gives wasinn_wasm3_err_null_arg.
 * Thread safety: link before the module runs; the trampolines may then
 * be called from whichever thread runs the module (a witx instance may be
 * used from several threads at once; see wasinn_witx_instance_new).
 */
M3Result wasinn_wasm3_link(IM3Module module, wasinn_witx_instance_t *inst);

/* Returned by wasinn_wasm3_link for a NULL module or instance. */
extern const char *const wasinn_wasm3_err_null_arg;

#ifdef __cplusplus
}
#endif

#endif /* WASINN_WASM3_H */
