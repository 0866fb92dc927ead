/*
 * wasinn_wasmedge.h - libwasinn as a WasmEdge plugin (WasmEdge C plugin API, API version 5).
 *
 * Built as a shared library (bindings/wasmedge/CMakeLists.txt), the plugin is found by WasmEdge
 * through WASMEDGE_PLUGIN_PATH (or WasmEdge's plugin directory) and provides the import module
 * `wasi_ephemeral_nn` to every VM: the 6 witx functions plus WasmEdge's load_by_name_with_config,
 * unload, finalize_execution_context, compute_single, get_output_single, fini_single, each
 * forwarding to the `wasinn_witx_*` function of the same name under
 * WASINN_WITX_PROFILE_WASMEDGE. No wasi-nn logic lives here: this file only translates WasmEdge's
 * calling convention (WasmEdge_Value arrays, the calling frame's memory 0) into libwasinn calls.
 *
 * WasmEdge only lets the plugin named "wasi_nn" with a module descriptor named "wasi_nn" serve
 * `wasi_ephemeral_nn` (otherwise it registers its own stand-in whose every call returns 1), so the
 * plugin takes those names: the first plugin named "wasi_nn" that WasmEdge loads wins (see
 * README.md).
 *
 * Embedders that do not use the plugin mechanism can compile wasinn_wasmedge.c into their program,
 * create the module with wasinn_wasmedge_module_new and register it with
 * WasmEdge_VMRegisterModuleFromImport (the plugin library itself exports only
 * WasmEdge_Plugin_GetDescriptor).
 */
#ifndef WASINN_WASMEDGE_H
#define WASINN_WASMEDGE_H

#include <stdint.h>

#include <wasmedge/wasmedge.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates a `wasi_ephemeral_nn` module instance whose host functions forward to libwasinn with a
 * witx instance of its own (`profile`: a WASINN_WITX_PROFILE_* value). Graph and context handles
 * belong to that module instance: a guest in another VM (another module instance) cannot use them.
 *
 * Ownership: the caller owns the result; WasmEdge_ModuleInstanceDelete (or deleting the VM/store
 * it was registered into, when WasmEdge owns it) frees it together with its witx instance and
 * every handle it still holds.
 * Thread safety: may be called from any thread; the module's functions may be called from
 * several threads at once (libwasinn locks per context).
 * Returns NULL when the profile is unknown or WasmEdge cannot create the module (the reason is
 * printed on stderr).
 */
WasmEdge_ModuleInstanceContext *wasinn_wasmedge_module_new(uint32_t profile);

/*
 * The plugin's entry point, called by WasmEdge when it loads the shared library. The descriptor
 * is static (never freed). It names the plugin "wasi_nn", its module "wasi_nn" (the module
 * instance it creates is `wasi_ephemeral_nn`) and the program option `--nn-preload`.
 */
WASMEDGE_CAPI_PLUGIN_EXPORT const WasmEdge_PluginDescriptor *WasmEdge_Plugin_GetDescriptor(void);

#ifdef __cplusplus
}
#endif

#endif /* WASINN_WASMEDGE_H */
