/*
 * wasinn_wasmedge.c - libwasinn as a WasmEdge plugin. See wasinn_wasmedge.h and README.md.
 *
 * Invariants: every trampoline looks the guest memory up in the calling frame on every call
 * (memory.grow may move it; nothing points into it between calls) and passes the raw i32s to
 * libwasinn, which does all decoding and bounds checking; the errno it returns is the guest's
 * result. A module instance owns one witx instance (its host data, freed by WasmEdge's finalizer
 * when the module instance is deleted), so handles never cross module instances, i.e. VMs.
 */
#include "wasinn_wasmedge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasinn.h>

/* ---- the trampolines ---------------------------------------------------------------------- */

/* The guest's memory 0 as a span; a module without memory gets (NULL, 0), for which libwasinn
 * reports every guest range as outside the memory. */
static uint8_t *wasinn_we_memory(const WasmEdge_CallingFrameContext *frame, size_t *len)
{
    WasmEdge_MemoryInstanceContext *mem = WasmEdge_CallingFrameGetMemoryInstance(frame, 0);
    *len = 0;
    if (mem == NULL) return NULL;
    uint64_t bytes = WasmEdge_MemoryInstanceGetPageSize(mem) * UINT64_C(65536);
    if (bytes == 0 || bytes > SIZE_MAX) return NULL;
    uint8_t *base = WasmEdge_MemoryInstanceGetPointer(mem, 0, bytes);
    if (base != NULL) *len = (size_t)bytes;
    return base;
}

#define ARG(i) ((uint32_t)WasmEdge_ValueGetI32(in[i]))

/* One host function: NAME is the import, CALL the libwasinn call on (inst, mem, mem_len, ...). */
#define WASINN_WE_FN(NAME, CALL)                                                              \
    static WasmEdge_Result wasinn_we_##NAME(void *data, const WasmEdge_CallingFrameContext *frame, \
                                            const WasmEdge_Value *in, WasmEdge_Value *out)    \
    {                                                                                         \
        wasinn_witx_instance_t *inst = (wasinn_witx_instance_t *)data;                        \
        size_t mem_len;                                                                       \
        uint8_t *mem = wasinn_we_memory(frame, &mem_len);                                     \
        (void)in;                                                                             \
        out[0] = WasmEdge_ValueGenI32(CALL);                                                  \
        return WasmEdge_Result_Success;                                                       \
    }

WASINN_WE_FN(load, wasinn_witx_load(inst, mem, mem_len, ARG(0), ARG(1), ARG(2), ARG(3), ARG(4)))
WASINN_WE_FN(load_by_name, wasinn_witx_load_by_name(inst, mem, mem_len, ARG(0), ARG(1), ARG(2)))
WASINN_WE_FN(load_by_name_with_config,
             wasinn_witx_load_by_name_with_config(inst, mem, mem_len, ARG(0), ARG(1), ARG(2),
                                                  ARG(3), ARG(4)))
WASINN_WE_FN(init_execution_context,
             wasinn_witx_init_execution_context(inst, mem, mem_len, ARG(0), ARG(1)))
WASINN_WE_FN(set_input, wasinn_witx_set_input(inst, mem, mem_len, ARG(0), ARG(1), ARG(2)))
WASINN_WE_FN(compute, wasinn_witx_compute(inst, mem, mem_len, ARG(0)))
WASINN_WE_FN(get_output, wasinn_witx_get_output(inst, mem, mem_len, ARG(0), ARG(1), ARG(2),
                                                ARG(3), ARG(4)))
WASINN_WE_FN(unload, wasinn_witx_unload(inst, mem, mem_len, ARG(0)))
WASINN_WE_FN(finalize_execution_context,
             wasinn_witx_finalize_execution_context(inst, mem, mem_len, ARG(0)))
WASINN_WE_FN(compute_single, wasinn_witx_compute_single(inst, mem, mem_len, ARG(0)))
WASINN_WE_FN(get_output_single, wasinn_witx_get_output_single(inst, mem, mem_len, ARG(0), ARG(1),
                                                              ARG(2), ARG(3), ARG(4)))
WASINN_WE_FN(fini_single, wasinn_witx_fini_single(inst, mem, mem_len, ARG(0)))

/* Every function WasmEdge's own wasi_nn plugin has; all take i32s and return an i32 errno. */
static const struct {
    const char *name;
    uint32_t n_params;
    WasmEdge_HostFunc_t fn;
} wasinn_we_table[] = {
    {"load", 5, wasinn_we_load},
    {"load_by_name", 3, wasinn_we_load_by_name},
    {"load_by_name_with_config", 5, wasinn_we_load_by_name_with_config},
    {"init_execution_context", 2, wasinn_we_init_execution_context},
    {"set_input", 3, wasinn_we_set_input},
    {"compute", 1, wasinn_we_compute},
    {"get_output", 5, wasinn_we_get_output},
    {"unload", 1, wasinn_we_unload},
    {"finalize_execution_context", 1, wasinn_we_finalize_execution_context},
    {"compute_single", 1, wasinn_we_compute_single},
    {"get_output_single", 5, wasinn_we_get_output_single},
    {"fini_single", 1, wasinn_we_fini_single},
};

static void wasinn_we_report(const char *what)
{
    char msg[512];
    wasinn_last_error_message(msg, sizeof msg);
    fprintf(stderr, "wasinn-wasmedge: %s: %s\n", what, msg);
}

static void wasinn_we_free_instance(void *data)
{
    wasinn_witx_instance_free((wasinn_witx_instance_t *)data);
}

WasmEdge_ModuleInstanceContext *wasinn_wasmedge_module_new(uint32_t profile)
{
    wasinn_witx_instance_t *inst = NULL;
    if (wasinn_witx_instance_new(profile, &inst) != WASINN_STATUS_SUCCESS) {
        wasinn_we_report("cannot create the witx instance");
        return NULL;
    }
    WasmEdge_String name = WasmEdge_StringCreateByCString("wasi_ephemeral_nn");
    WasmEdge_ModuleInstanceContext *mod =
        WasmEdge_ModuleInstanceCreateWithData(name, inst, wasinn_we_free_instance);
    WasmEdge_StringDelete(name);
    if (mod == NULL) {
        wasinn_witx_instance_free(inst);
        fprintf(stderr, "wasinn-wasmedge: WasmEdge cannot create the module instance\n");
        return NULL;
    }
    WasmEdge_ValType i32s[5];
    for (size_t i = 0; i < 5; i++) i32s[i] = WasmEdge_ValTypeGenI32();
    for (size_t i = 0; i < sizeof wasinn_we_table / sizeof wasinn_we_table[0]; i++) {
        WasmEdge_FunctionTypeContext *type =
            WasmEdge_FunctionTypeCreate(i32s, wasinn_we_table[i].n_params, i32s, 1);
        WasmEdge_FunctionInstanceContext *fn =
            type == NULL ? NULL : WasmEdge_FunctionInstanceCreate(type, wasinn_we_table[i].fn, inst, 0);
        WasmEdge_FunctionTypeDelete(type);
        WasmEdge_Result r = WasmEdge_Result_Fail;
        if (fn != NULL) {
            WasmEdge_String fname = WasmEdge_StringCreateByCString(wasinn_we_table[i].name);
            r = WasmEdge_ModuleInstanceAddFunction(mod, fname, fn);
            WasmEdge_StringDelete(fname);
        }
        if (!WasmEdge_ResultOK(r)) {
            fprintf(stderr, "wasinn-wasmedge: cannot add host function %s\n", wasinn_we_table[i].name);
            WasmEdge_ModuleInstanceDelete(mod); /* runs the finalizer: frees inst */
            return NULL;
        }
    }
    return mod;
}

/* ---- the plugin: descriptor, --nn-preload --------------------------------------------------- */

/* WasmEdge's parser stores the option's last value here (a copy it owns; not NUL-terminated). */
static WasmEdge_String wasinn_we_preload_opt = {0, NULL};
static const WasmEdge_String wasinn_we_preload_default = {0, NULL};
static pthread_once_t wasinn_we_preload_once = PTHREAD_ONCE_INIT;

/* Registers the models of --nn-preload in libwasinn's process-wide registry, once per process
 * (WasmEdge parses the command line before it creates the first VM; later VMs share the models). */
static void wasinn_we_apply_preload(void)
{
    uint32_t len = wasinn_we_preload_opt.Length;
    if (len == 0 || wasinn_we_preload_opt.Buf == NULL) return;
    char *spec = malloc((size_t)len + 1);
    if (spec == NULL) {
        fprintf(stderr, "wasinn-wasmedge: --nn-preload: out of memory\n");
        return;
    }
    memcpy(spec, wasinn_we_preload_opt.Buf, len);
    spec[len] = '\0';
    /* A failed preload leaves the earlier items registered; the guest's load_by_name of the
     * others gets not_found, as with WasmEdge's own plugin, and stderr says why. */
    if (wasinn_registry_preload(spec) != WASINN_STATUS_SUCCESS) wasinn_we_report("--nn-preload");
    free(spec);
}

static WasmEdge_ModuleInstanceContext *wasinn_we_create(const WasmEdge_ModuleDescriptor *desc)
{
    (void)desc;
    pthread_once(&wasinn_we_preload_once, wasinn_we_apply_preload);
    /* WasmEdge registers what Create returns without a NULL check: a module without functions is
     * the safe failure (the guest's imports then fail to link with WasmEdge's own message). */
    WasmEdge_ModuleInstanceContext *mod = wasinn_wasmedge_module_new(WASINN_WITX_PROFILE_WASMEDGE);
    if (mod == NULL) {
        WasmEdge_String name = WasmEdge_StringCreateByCString("wasi_ephemeral_nn");
        mod = WasmEdge_ModuleInstanceCreate(name);
        WasmEdge_StringDelete(name);
    }
    return mod;
}

static WasmEdge_ModuleDescriptor wasinn_we_modules[] = {
    {"wasi_nn", "wasi_ephemeral_nn served by libwasinn", wasinn_we_create},
};

static WasmEdge_ProgramOption wasinn_we_options[] = {
    {"nn-preload",
     "Preload models for load_by_name: name:ENCODING:TARGET:path[:path...], several separated by ';' "
     "(served by libwasinn; a repeated --nn-preload keeps only its last value)",
     WasmEdge_ProgramOptionType_String, &wasinn_we_preload_opt, &wasinn_we_preload_default},
};

static const WasmEdge_PluginDescriptor wasinn_we_descriptor = {
    .Name = "wasi_nn",
    .Description = "wasi-nn (wasi_ephemeral_nn) served by libwasinn " WASINN_VERSION_STRING,
    .APIVersion = WasmEdge_Plugin_CurrentAPIVersion,
    .Version = {WASINN_VERSION_MAJOR, WASINN_VERSION_MINOR, WASINN_VERSION_PATCH, 0},
    .ModuleCount = sizeof wasinn_we_modules / sizeof wasinn_we_modules[0],
    .ProgramOptionCount = sizeof wasinn_we_options / sizeof wasinn_we_options[0],
    .ModuleDescriptions = wasinn_we_modules,
    .ProgramOptions = wasinn_we_options,
};

const WasmEdge_PluginDescriptor *WasmEdge_Plugin_GetDescriptor(void)
{
    return &wasinn_we_descriptor;
}
