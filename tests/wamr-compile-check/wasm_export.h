/*
 * COMPILE CHECK ONLY - NOT WAMR'S HEADER.
 *
 * bindings/wamr/wasinn_wamr.c is written against WAMR's public API (core/iwasm/include/
 * wasm_export.h and lib_export.h of WAMR 2.x), which no registry reachable here carries. This file
 * declares only the few types and functions the glue uses, with the prototypes as WAMR documents
 * them, so that the glue is compiled with -Werror in the test suite; fake_wamr.c implements them
 * just enough to drive the glue. A real build uses WAMR's own header instead.
 */
#ifndef WASINN_WAMR_COMPILE_CHECK_WASM_EXPORT_H
#define WASINN_WAMR_COMPILE_CHECK_WASM_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* lib_export.h */
typedef struct NativeSymbol {
    const char *symbol;
    void *func_ptr;
    const char *signature;
    void *attachment;
} NativeSymbol;

/* wasm_export.h: opaque handles */
struct WASMModuleInstanceCommon;
typedef struct WASMModuleInstanceCommon *wasm_module_inst_t;
struct WASMMemoryInstance;
typedef struct WASMMemoryInstance *wasm_memory_inst_t;
struct WASMExecEnv;
typedef struct WASMExecEnv *wasm_exec_env_t;

bool wasm_runtime_init(void);
void wasm_runtime_destroy(void);

bool wasm_runtime_register_natives(const char *module_name, NativeSymbol *native_symbols,
                                   uint32_t n_native_symbols);
bool wasm_runtime_unregister_natives(const char *module_name, NativeSymbol *native_symbols);
wasm_module_inst_t wasm_runtime_get_module_inst(wasm_exec_env_t exec_env);

wasm_memory_inst_t wasm_runtime_get_default_memory(const wasm_module_inst_t module_inst);
uint64_t wasm_memory_get_cur_page_count(const wasm_memory_inst_t memory_inst);
uint64_t wasm_memory_get_bytes_per_page(const wasm_memory_inst_t memory_inst);
void *wasm_memory_get_base_address(const wasm_memory_inst_t memory_inst);

void *wasm_runtime_create_context_key(void (*dtor)(wasm_module_inst_t inst, void *ctx));
void wasm_runtime_destroy_context_key(void *key);
void wasm_runtime_set_context_spread(wasm_module_inst_t inst, void *key, void *ctx);
void *wasm_runtime_get_context(wasm_module_inst_t inst, void *key);

#ifdef __cplusplus
}
#endif

#endif
