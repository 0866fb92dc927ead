/*
 * wasinn_wasm3.c - drop-in glue between wasm3 (0.5.0) and libwasinn.
 * See wasinn_wasm3.h. Compile this file against the same wasm3 sources and
 * configuration as the runtime (it includes wasm3's m3_env.h) and link
 * against libwasinn. Each trampoline only unpacks wasm3's raw call and looks
 * the guest memory up: all checking and wasi-nn logic is libwasinn's.
 */
#include "wasinn_wasm3.h"

#include <stddef.h>
#include <stdint.h>

#include "wasm3.h"
#include "m3_env.h" /* M3Runtime: m3_GetMemory dereferences a missing memory */

const char *const wasinn_wasm3_err_null_arg = "wasinn_wasm3: NULL module or instance";

/* A module without memory gets a zero-length (non-NULL) span: libwasinn then
 * reports every pointer as out of bounds instead of touching memory. */
static uint8_t wasinn_m3_no_memory[1];

/*
 * wasm3 0.5.0 raw call (M3RawCall): the cookie given to m3_LinkRawFunctionEx
 * is _ctx->userdata; the result slot is _sp[0] and the arguments follow it,
 * one 64-bit slot each (m3ApiReturnType / m3ApiGetArg / m3ApiReturn).
 *
 * The guest memory is looked up on every call with m3_GetMemory: memory.grow
 * may move it between calls, and libwasinn keeps no pointer into it.
 */
#define WASINN_M3_FN(NAME) \
    static m3ApiRawFunction(NAME)

#define WASINN_M3_MEM()                                                     \
    wasinn_witx_instance_t *inst = (wasinn_witx_instance_t *)_ctx->userdata; \
    uint32_t mem_size = 0;                                                  \
    uint8_t *mem = NULL;                                                    \
    (void)_mem;                                                             \
    if (runtime->memory.mallocated != NULL)                                 \
        mem = m3_GetMemory(runtime, &mem_size, 0);                          \
    if (mem == NULL) { mem = wasinn_m3_no_memory; mem_size = 0; }

WASINN_M3_FN(wasinn_m3_load)
{
    m3ApiReturnType(int32_t)
    m3ApiGetArg(uint32_t, builder_ptr)
    m3ApiGetArg(uint32_t, builder_len)
    m3ApiGetArg(uint32_t, encoding)
    m3ApiGetArg(uint32_t, target)
    m3ApiGetArg(uint32_t, graph_out_ptr)
    WASINN_M3_MEM();
    m3ApiReturn(wasinn_witx_load(inst, mem, mem_size, builder_ptr, builder_len,
                                 encoding, target, graph_out_ptr));
}

WASINN_M3_FN(wasinn_m3_load_by_name)
{
    m3ApiReturnType(int32_t)
    m3ApiGetArg(uint32_t, name_ptr)
    m3ApiGetArg(uint32_t, name_len)
    m3ApiGetArg(uint32_t, graph_out_ptr)
    WASINN_M3_MEM();
    m3ApiReturn(wasinn_witx_load_by_name(inst, mem, mem_size, name_ptr, name_len,
                                         graph_out_ptr));
}

WASINN_M3_FN(wasinn_m3_load_by_name_with_config)
{
    m3ApiReturnType(int32_t)
    m3ApiGetArg(uint32_t, name_ptr)
    m3ApiGetArg(uint32_t, name_len)
    m3ApiGetArg(uint32_t, config_ptr)
    m3ApiGetArg(uint32_t, config_len)
    m3ApiGetArg(uint32_t, graph_out_ptr)
    WASINN_M3_MEM();
    m3ApiReturn(wasinn_witx_load_by_name_with_config(inst, mem, mem_size, name_ptr,
                                                     name_len, config_ptr, config_len,
                                                     graph_out_ptr));
}

WASINN_M3_FN(wasinn_m3_init_execution_context)
{
    m3ApiReturnType(int32_t)
    m3ApiGetArg(uint32_t, graph)
    m3ApiGetArg(uint32_t, ctx_out_ptr)
    WASINN_M3_MEM();
    m3ApiReturn(wasinn_witx_init_execution_context(inst, mem, mem_size, graph,
                                                   ctx_out_ptr));
}

WASINN_M3_FN(wasinn_m3_set_input)
{
    m3ApiReturnType(int32_t)
    m3ApiGetArg(uint32_t, ctx)
    m3ApiGetArg(uint32_t, index)
    m3ApiGetArg(uint32_t, tensor_ptr)
    WASINN_M3_MEM();
    m3ApiReturn(wasinn_witx_set_input(inst, mem, mem_size, ctx, index, tensor_ptr));
}

/* The calls that take one handle: i(i) */
#define WASINN_M3_FN_HANDLE(NAME, WITX_FN, HANDLE)                          \
    WASINN_M3_FN(NAME)                                                      \
    {                                                                       \
        m3ApiReturnType(int32_t)                                            \
        m3ApiGetArg(uint32_t, HANDLE)                                       \
        WASINN_M3_MEM();                                                    \
        m3ApiReturn(WITX_FN(inst, mem, mem_size, HANDLE));                  \
    }

/* get_output and WasmEdge's get_output_single: i(iiiii) */
#define WASINN_M3_FN_OUTPUT(NAME, WITX_FN)                                  \
    WASINN_M3_FN(NAME)                                                      \
    {                                                                       \
        m3ApiReturnType(int32_t)                                            \
        m3ApiGetArg(uint32_t, ctx)                                          \
        m3ApiGetArg(uint32_t, index)                                        \
        m3ApiGetArg(uint32_t, out_ptr)                                      \
        m3ApiGetArg(uint32_t, out_max_bytes)                                \
        m3ApiGetArg(uint32_t, bytes_written_ptr)                            \
        WASINN_M3_MEM();                                                    \
        m3ApiReturn(WITX_FN(inst, mem, mem_size, ctx, index, out_ptr,       \
                            out_max_bytes, bytes_written_ptr));             \
    }

WASINN_M3_FN_HANDLE(wasinn_m3_compute, wasinn_witx_compute, ctx)
WASINN_M3_FN_OUTPUT(wasinn_m3_get_output, wasinn_witx_get_output)
WASINN_M3_FN_HANDLE(wasinn_m3_unload, wasinn_witx_unload, graph)
WASINN_M3_FN_HANDLE(wasinn_m3_finalize_execution_context, wasinn_witx_finalize_execution_context, ctx)
/* WasmEdge's streaming calls (the wasmedge-wasi-nn crate imports them) */
WASINN_M3_FN_HANDLE(wasinn_m3_compute_single, wasinn_witx_compute_single, ctx)
WASINN_M3_FN_OUTPUT(wasinn_m3_get_output_single, wasinn_witx_get_output_single)
WASINN_M3_FN_HANDLE(wasinn_m3_fini_single, wasinn_witx_fini_single, ctx)

static const struct {
    const char *name;
    const char *signature;
    M3RawCall fn;
} wasinn_m3_table[] = {
    {"load", "i(iiiii)", wasinn_m3_load},
    {"load_by_name", "i(iii)", wasinn_m3_load_by_name},
    {"load_by_name_with_config", "i(iiiii)", wasinn_m3_load_by_name_with_config},
    {"init_execution_context", "i(ii)", wasinn_m3_init_execution_context},
    {"set_input", "i(iii)", wasinn_m3_set_input},
    {"compute", "i(i)", wasinn_m3_compute},
    {"get_output", "i(iiiii)", wasinn_m3_get_output},
    {"unload", "i(i)", wasinn_m3_unload},
    {"finalize_execution_context", "i(i)", wasinn_m3_finalize_execution_context},
    /* WasmEdge's streaming calls (the wasmedge-wasi-nn crate imports them) */
    {"compute_single", "i(i)", wasinn_m3_compute_single},
    {"get_output_single", "i(iiiii)", wasinn_m3_get_output_single},
    {"fini_single", "i(i)", wasinn_m3_fini_single},
};

M3Result wasinn_wasm3_link(IM3Module module, wasinn_witx_instance_t *inst)
{
    if (module == NULL || inst == NULL) return wasinn_wasm3_err_null_arg;

    for (size_t i = 0; i < sizeof wasinn_m3_table / sizeof wasinn_m3_table[0]; i++) {
        M3Result r = m3_LinkRawFunctionEx(module, "wasi_ephemeral_nn",
                                          wasinn_m3_table[i].name,
                                          wasinn_m3_table[i].signature,
                                          wasinn_m3_table[i].fn, inst);
        if (r == m3Err_functionLookupFailed) continue; /* not imported */
        if (r != m3Err_none) return r;
    }
    return m3Err_none;
}
