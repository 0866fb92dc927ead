/*
 * wasinn_wamr.c - WAMR glue for libwasinn; see wasinn_wamr.h.
 *
 * Every native function is a trampoline: find this module instance's witx instance, look the
 * default linear memory up (base + current size, on every call: memory.grow may move it) and pass
 * the guest's raw i32s to wasinn_witx_*. No decoding happens here. The signatures use plain 'i'
 * (not '*' or '$'): libwasinn bounds-checks each guest range itself against the memory size, so
 * the natives receive app offsets, not native pointers.
 */
#include "wasinn_wamr.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm_export.h"

/* The span handed over for a module without linear memory: zero bytes long (libwasinn then answers
 * missing_memory for every guest range) but never NULL. */
static uint8_t wasinn_wamr_no_memory[1];

static void *wasinn_wamr_key;            /* WAMR context key: module instance -> witx instance */
static uint32_t wasinn_wamr_profile;
static pthread_mutex_t wasinn_wamr_lock = PTHREAD_MUTEX_INITIALIZER;

static void wasinn_wamr_dtor(wasm_module_inst_t module_inst, void *ctx)
{
    (void)module_inst;
    wasinn_witx_instance_free((wasinn_witx_instance_t *)ctx);
}

/* This module instance's witx instance, created on first use (WAMR's documented pattern for
 * wasm_runtime_set_context_spread: threads of one instance share it, and a lost race frees its
 * own copy). NULL when libwasinn cannot create one. */
static wasinn_witx_instance_t *wasinn_wamr_instance(wasm_module_inst_t module_inst)
{
    wasinn_witx_instance_t *inst = wasm_runtime_get_context(module_inst, wasinn_wamr_key);
    if (inst != NULL)
        return inst;
    wasinn_witx_instance_t *fresh = NULL;
    if (wasinn_witx_instance_new(wasinn_wamr_profile, &fresh) != WASINN_STATUS_SUCCESS)
        return NULL;
    pthread_mutex_lock(&wasinn_wamr_lock);
    inst = wasm_runtime_get_context(module_inst, wasinn_wamr_key);
    if (inst == NULL) {
        wasm_runtime_set_context_spread(module_inst, wasinn_wamr_key, fresh);
        inst = fresh;
        fresh = NULL;
    }
    pthread_mutex_unlock(&wasinn_wamr_lock);
    wasinn_witx_instance_free(fresh); /* NULL-safe */
    return inst;
}

/* Declares inst, mem, mem_len for the calling module instance, or returns an errno. A module
 * without a linear memory gets a zero-length span: every guest pointer is then out of bounds. */
#define WASINN_WAMR_PROLOGUE()                                                              \
    wasm_module_inst_t module_inst = wasm_runtime_get_module_inst(exec_env);                \
    wasinn_witx_instance_t *inst = wasinn_wamr_instance(module_inst);                       \
    if (inst == NULL) /* runtime_error in the registered profile's numbering */              \
        return wasinn_witx_profile_errno(wasinn_wamr_profile, WASINN_STATUS_RUNTIME_ERROR);    \
    uint8_t *mem = wasinn_wamr_no_memory;                                                   \
    size_t mem_len = 0;                                                                     \
    wasm_memory_inst_t memory = wasm_runtime_get_default_memory(module_inst);               \
    if (memory != NULL) {                                                                   \
        uint64_t len = wasm_memory_get_cur_page_count(memory) *                             \
                       wasm_memory_get_bytes_per_page(memory);                              \
        uint8_t *base = wasm_memory_get_base_address(memory);                               \
        if (base != NULL && len <= SIZE_MAX) {                                              \
            mem = base;                                                                     \
            mem_len = (size_t)len;                                                          \
        }                                                                                   \
    }                                                                                       \
    (void)0

static int32_t wasinn_wamr_load(wasm_exec_env_t exec_env, uint32_t builder_ptr,
                                uint32_t builder_len, uint32_t encoding, uint32_t target,
                                uint32_t graph_out_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_load(inst, mem, mem_len, builder_ptr, builder_len, encoding, target,
                            graph_out_ptr);
}

static int32_t wasinn_wamr_load_by_name(wasm_exec_env_t exec_env, uint32_t name_ptr,
                                        uint32_t name_len, uint32_t graph_out_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_load_by_name(inst, mem, mem_len, name_ptr, name_len, graph_out_ptr);
}

static int32_t wasinn_wamr_load_by_name_with_config(wasm_exec_env_t exec_env, uint32_t name_ptr,
                                                    uint32_t name_len, uint32_t config_ptr,
                                                    uint32_t config_len, uint32_t graph_out_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_load_by_name_with_config(inst, mem, mem_len, name_ptr, name_len,
                                                config_ptr, config_len, graph_out_ptr);
}

static int32_t wasinn_wamr_init_execution_context(wasm_exec_env_t exec_env, uint32_t graph,
                                                  uint32_t ctx_out_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_init_execution_context(inst, mem, mem_len, graph, ctx_out_ptr);
}

static int32_t wasinn_wamr_set_input(wasm_exec_env_t exec_env, uint32_t ctx, uint32_t index,
                                     uint32_t tensor_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_set_input(inst, mem, mem_len, ctx, index, tensor_ptr);
}

static int32_t wasinn_wamr_compute(wasm_exec_env_t exec_env, uint32_t ctx)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_compute(inst, mem, mem_len, ctx);
}

static int32_t wasinn_wamr_get_output(wasm_exec_env_t exec_env, uint32_t ctx, uint32_t index,
                                      uint32_t out_ptr, uint32_t out_max_bytes,
                                      uint32_t bytes_written_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_get_output(inst, mem, mem_len, ctx, index, out_ptr, out_max_bytes,
                                  bytes_written_ptr);
}

static int32_t wasinn_wamr_unload(wasm_exec_env_t exec_env, uint32_t graph)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_unload(inst, mem, mem_len, graph);
}

static int32_t wasinn_wamr_finalize_execution_context(wasm_exec_env_t exec_env, uint32_t ctx)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_finalize_execution_context(inst, mem, mem_len, ctx);
}

static int32_t wasinn_wamr_compute_single(wasm_exec_env_t exec_env, uint32_t ctx)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_compute_single(inst, mem, mem_len, ctx);
}

static int32_t wasinn_wamr_get_output_single(wasm_exec_env_t exec_env, uint32_t ctx,
                                             uint32_t index, uint32_t out_ptr,
                                             uint32_t out_max_bytes, uint32_t bytes_written_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_get_output_single(inst, mem, mem_len, ctx, index, out_ptr, out_max_bytes,
                                         bytes_written_ptr);
}

static int32_t wasinn_wamr_fini_single(wasm_exec_env_t exec_env, uint32_t ctx)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_witx_fini_single(inst, mem, mem_len, ctx);
}

/* The legacy module "wasi_nn" (WAMR's wasi_nn.h without WASM_ENABLE_WASI_EPHEMERAL_NN): load takes
 * a graph_builder_array, set_input a tensor with a dims pointer, get_output an in/out size pointer.
 * load_by_name, init_execution_context and compute are those of wasi_ephemeral_nn. */
static int32_t wasinn_wamr_legacy_load(wasm_exec_env_t exec_env, uint32_t builder_array_ptr,
                                       uint32_t encoding, uint32_t target, uint32_t graph_out_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_wasi_nn_load(inst, mem, mem_len, builder_array_ptr, encoding, target,
                               graph_out_ptr);
}

static int32_t wasinn_wamr_legacy_set_input(wasm_exec_env_t exec_env, uint32_t ctx,
                                            uint32_t index, uint32_t tensor_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_wasi_nn_set_input(inst, mem, mem_len, ctx, index, tensor_ptr);
}

static int32_t wasinn_wamr_legacy_get_output(wasm_exec_env_t exec_env, uint32_t ctx,
                                             uint32_t index, uint32_t out_ptr,
                                             uint32_t out_size_ptr)
{
    WASINN_WAMR_PROLOGUE();
    return wasinn_wasi_nn_get_output(inst, mem, mem_len, ctx, index, out_ptr, out_size_ptr);
}

/* Owned by WAMR after registration (it may sort them in place): static, writable, never freed. */
static NativeSymbol wasinn_wamr_legacy_natives[] = {
    {"load", (void *)wasinn_wamr_legacy_load, "(iiii)i", NULL},
    {"load_by_name", (void *)wasinn_wamr_load_by_name, "(iii)i", NULL},
    {"init_execution_context", (void *)wasinn_wamr_init_execution_context, "(ii)i", NULL},
    {"set_input", (void *)wasinn_wamr_legacy_set_input, "(iii)i", NULL},
    {"compute", (void *)wasinn_wamr_compute, "(i)i", NULL},
    {"get_output", (void *)wasinn_wamr_legacy_get_output, "(iiii)i", NULL},
};

static NativeSymbol wasinn_wamr_natives[] = {
    {"load", (void *)wasinn_wamr_load, "(iiiii)i", NULL},
    {"load_by_name", (void *)wasinn_wamr_load_by_name, "(iii)i", NULL},
    {"load_by_name_with_config", (void *)wasinn_wamr_load_by_name_with_config, "(iiiii)i", NULL},
    {"init_execution_context", (void *)wasinn_wamr_init_execution_context, "(ii)i", NULL},
    {"set_input", (void *)wasinn_wamr_set_input, "(iii)i", NULL},
    {"compute", (void *)wasinn_wamr_compute, "(i)i", NULL},
    {"get_output", (void *)wasinn_wamr_get_output, "(iiiii)i", NULL},
    {"unload", (void *)wasinn_wamr_unload, "(i)i", NULL},
    {"finalize_execution_context", (void *)wasinn_wamr_finalize_execution_context, "(i)i", NULL},
    {"compute_single", (void *)wasinn_wamr_compute_single, "(i)i", NULL},
    {"get_output_single", (void *)wasinn_wamr_get_output_single, "(iiiii)i", NULL},
    {"fini_single", (void *)wasinn_wamr_fini_single, "(i)i", NULL},
};

#define WASINN_WAMR_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

bool wasinn_wamr_register(uint32_t profile)
{
    /* libwasinn knows its profiles: it refuses an instance of an unknown one. */
    wasinn_witx_instance_t *probe = NULL;
    if (wasinn_witx_instance_new(profile, &probe) != WASINN_STATUS_SUCCESS)
        return false;
    wasinn_witx_instance_free(probe);
    if (wasinn_wamr_key != NULL)
        return false;
    wasinn_wamr_key = wasm_runtime_create_context_key(wasinn_wamr_dtor);
    if (wasinn_wamr_key == NULL)
        return false;
    wasinn_wamr_profile = profile;
    if (!wasm_runtime_register_natives("wasi_ephemeral_nn", wasinn_wamr_natives,
                                       WASINN_WAMR_COUNT(wasinn_wamr_natives))) {
        wasm_runtime_destroy_context_key(wasinn_wamr_key);
        wasinn_wamr_key = NULL;
        return false;
    }
    if (!wasm_runtime_register_natives("wasi_nn", wasinn_wamr_legacy_natives,
                                       WASINN_WAMR_COUNT(wasinn_wamr_legacy_natives))) {
        wasm_runtime_unregister_natives("wasi_ephemeral_nn", wasinn_wamr_natives);
        wasm_runtime_destroy_context_key(wasinn_wamr_key);
        wasinn_wamr_key = NULL;
        return false;
    }
    return true;
}

void wasinn_wamr_unregister(void)
{
    if (wasinn_wamr_key == NULL)
        return;
    wasm_runtime_unregister_natives("wasi_nn", wasinn_wamr_legacy_natives);
    wasm_runtime_unregister_natives("wasi_ephemeral_nn", wasinn_wamr_natives);
    wasm_runtime_destroy_context_key(wasinn_wamr_key);
    wasinn_wamr_key = NULL;
}
