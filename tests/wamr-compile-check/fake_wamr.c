/*
 * Drives bindings/wamr/wasinn_wamr.c without WAMR: a fake of the few WAMR functions the glue
 * calls (see wasm_export.h here: a compile check, not WAMR), then the natives the glue registered
 * are called the way WAMR's interpreter would, on two fake module instances.
 *
 *   usage: fake_wamr ADD.onnx        (c-tests' add.onnx: a f32[2,3] + b f32[2,3] -> sum)
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasinn_wamr.h"
#include "wasm_export.h"

/* ---- the fake runtime ---------------------------------------------------------------------- */
struct WASMMemoryInstance { uint8_t *base; uint64_t pages; };
struct WASMModuleInstanceCommon { struct WASMMemoryInstance memory; int has_memory; void *ctx; };
struct WASMExecEnv { struct WASMModuleInstanceCommon *inst; };

/* The two import modules the glue registers: index 0 wasi_ephemeral_nn, 1 wasi_nn (legacy). */
static const char *const g_modules[2] = {"wasi_ephemeral_nn", "wasi_nn"};
static NativeSymbol *g_natives[2];
static uint32_t g_n_natives[2];
static void (*g_dtor)(wasm_module_inst_t, void *);
static int g_key;

static int module_index(const char *module_name)
{
    for (int m = 0; m < 2; m++)
        if (strcmp(module_name, g_modules[m]) == 0) return m;
    return -1;
}
bool wasm_runtime_register_natives(const char *module_name, NativeSymbol *s, uint32_t n)
{
    int m = module_index(module_name);
    if (m < 0 || g_natives[m]) return false;
    g_natives[m] = s;
    g_n_natives[m] = n;
    return true;
}
bool wasm_runtime_unregister_natives(const char *module_name, NativeSymbol *s)
{
    int m = module_index(module_name);
    if (m < 0 || s != g_natives[m]) return false;
    g_natives[m] = NULL;
    return true;
}

/* Fault injection: while set, libwasinn's wasinn_witx_instance_new (which the glue calls on an
 * instance's first wasi-nn call) fails as it would out of memory. This definition in the
 * executable interposes the library's; the real one is reached through dlsym(RTLD_NEXT). */
static int g_fail_instance_new;
wasinn_status_t wasinn_witx_instance_new(uint32_t profile, wasinn_witx_instance_t **out)
{
    if (g_fail_instance_new) return WASINN_STATUS_RUNTIME_ERROR;
    wasinn_status_t (*real)(uint32_t, wasinn_witx_instance_t **) =
        (wasinn_status_t(*)(uint32_t, wasinn_witx_instance_t **))dlsym(RTLD_NEXT,
                                                                        "wasinn_witx_instance_new");
    return real ? real(profile, out) : WASINN_STATUS_RUNTIME_ERROR;
}
wasm_module_inst_t wasm_runtime_get_module_inst(wasm_exec_env_t e) { return e->inst; }
wasm_memory_inst_t wasm_runtime_get_default_memory(const wasm_module_inst_t i)
{
    return i->has_memory ? &i->memory : NULL;
}
uint64_t wasm_memory_get_cur_page_count(const wasm_memory_inst_t m) { return m->pages; }
uint64_t wasm_memory_get_bytes_per_page(const wasm_memory_inst_t m) { (void)m; return 65536; }
void *wasm_memory_get_base_address(const wasm_memory_inst_t m) { return m->base; }
void *wasm_runtime_create_context_key(void (*dtor)(wasm_module_inst_t, void *))
{
    g_dtor = dtor;
    return &g_key;
}
void wasm_runtime_destroy_context_key(void *key) { (void)key; g_dtor = NULL; }
void wasm_runtime_set_context_spread(wasm_module_inst_t i, void *key, void *ctx)
{
    if (key == &g_key) i->ctx = ctx;
}
void *wasm_runtime_get_context(wasm_module_inst_t i, void *key) { return key == &g_key ? i->ctx : NULL; }

static void deinstantiate(struct WASMModuleInstanceCommon *i)
{
    if (i->ctx && g_dtor) g_dtor(i, i->ctx);
    i->ctx = NULL;
    free(i->memory.base);
}

/* ---- calling the natives as WAMR does ("(...)i": exec_env first, then the i32 params) ------- */
typedef int32_t (*fn1)(wasm_exec_env_t, uint32_t);
typedef int32_t (*fn2)(wasm_exec_env_t, uint32_t, uint32_t);
typedef int32_t (*fn3)(wasm_exec_env_t, uint32_t, uint32_t, uint32_t);
typedef int32_t (*fn5)(wasm_exec_env_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

static void *native_of(int m, const char *name, const char *sig)
{
    for (uint32_t i = 0; i < g_n_natives[m]; i++)
        if (strcmp(g_natives[m][i].symbol, name) == 0) {
            if (strcmp(g_natives[m][i].signature, sig) != 0) {
                fprintf(stderr, "%s.%s: signature %s, expected %s\n", g_modules[m], name,
                        g_natives[m][i].signature, sig);
                exit(1);
            }
            return g_natives[m][i].func_ptr;
        }
    fprintf(stderr, "native %s.%s not registered\n", g_modules[m], name);
    exit(1);
}
#define native(name, sig) native_of(0, name, sig)
#define legacy_native(name, sig) native_of(1, name, sig)

static int failures;
#define EXPECT(what, got, want)                                                         \
    do {                                                                                \
        long g_ = (long)(got), w_ = (long)(want);                                       \
        if (g_ != w_) { fprintf(stderr, "FAIL %s: got %ld, want %ld\n", what, g_, w_); failures++; } \
        else printf("ok   %s\n", what);                                                 \
    } while (0)

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s ADD.onnx\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    static uint8_t model[1 << 16];
    size_t model_len = fread(model, 1, sizeof model, f);
    fclose(f);

    EXPECT("register with an unknown profile fails", wasinn_wamr_register(99), 0);
    EXPECT("register", wasinn_wamr_register(WASINN_WITX_PROFILE_WAMR), 1);
    EXPECT("second register fails", wasinn_wamr_register(WASINN_WITX_PROFILE_WAMR), 0);
    EXPECT("12 natives in wasi_ephemeral_nn", g_n_natives[0], 12);
    EXPECT("6 natives in the legacy wasi_nn", g_n_natives[1], 6);

    fn5 load = (fn5)native("load", "(iiiii)i");
    fn3 load_by_name = (fn3)native("load_by_name", "(iii)i");
    fn2 init = (fn2)native("init_execution_context", "(ii)i");
    fn3 set_input = (fn3)native("set_input", "(iii)i");
    fn1 compute = (fn1)native("compute", "(i)i");
    fn5 get_output = (fn5)native("get_output", "(iiiii)i");
    fn1 finalize = (fn1)native("finalize_execution_context", "(i)i");
    fn1 unload = (fn1)native("unload", "(i)i");
    typedef int32_t (*fn4)(wasm_exec_env_t, uint32_t, uint32_t, uint32_t, uint32_t);
    fn4 legacy_load = (fn4)legacy_native("load", "(iiii)i");
    fn3 legacy_set_input = (fn3)legacy_native("set_input", "(iii)i");
    fn4 legacy_get_output = (fn4)legacy_native("get_output", "(iiii)i");
    /* the other three are the wasi_ephemeral_nn ones */
    EXPECT("legacy load_by_name", legacy_native("load_by_name", "(iii)i") == (void *)load_by_name, 1);
    EXPECT("legacy init_execution_context",
           legacy_native("init_execution_context", "(ii)i") == (void *)init, 1);
    EXPECT("legacy compute", legacy_native("compute", "(i)i") == (void *)compute, 1);

    struct WASMModuleInstanceCommon a = {{calloc(2, 65536), 2}, 1, NULL};
    struct WASMModuleInstanceCommon b = {{calloc(1, 65536), 1}, 1, NULL};
    struct WASMModuleInstanceCommon none = {{NULL, 0}, 0, NULL};
    struct WASMExecEnv ea = {&a}, eb = {&b}, en = {&none};
    uint8_t *m = a.memory.base;

    /* Errnos in current WAMR's numbering (witx order: wasi_nn_types.h of WAMR >= 2.4): not_found 8,
     * too_large 7, missing_memory 3 for an out-of-bounds range. */
    memcpy(m + 16, "no-such-model", 13);
    EXPECT("load_by_name unknown -> not_found (8)", load_by_name(&ea, 16, 13, 64), 8);
    EXPECT("out-of-bounds name -> missing_memory (3)", load_by_name(&ea, 2 * 65536 - 4, 13, 64), 3);
    EXPECT("no linear memory -> missing_memory (3)", load_by_name(&en, 16, 13, 64), 3);

    /* graph_builder array {ptr, len} at 0, model bytes at 4096, graph handle at 8 */
    memcpy(m + 4096, model, model_len);
    put32(m + 0, 4096);
    put32(m + 4, (uint32_t)model_len);
    EXPECT("load add.onnx", load(&ea, 0, 1, 1 /* onnx */, 0 /* cpu */, 8), 0);
    uint32_t graph = get32(m + 8);
    EXPECT("init_execution_context", init(&ea, graph, 12), 0);
    uint32_t ctx = get32(m + 12);
    EXPECT("the other instance does not see the graph", init(&eb, graph, 12), 1);

    /* tensor at 256: dims ptr 300, dims len 2, type f32 (1) @8, data ptr 400, data len 24 */
    put32(m + 300, 2); put32(m + 304, 3);
    float x[6] = {1, 2, 3, 4, 5, 6};
    memcpy(m + 400, x, sizeof x);
    put32(m + 256, 300); put32(m + 260, 2); m[264] = 1; put32(m + 268, 400); put32(m + 272, 24);
    EXPECT("set_input 0", set_input(&ea, ctx, 0, 256), 0);
    EXPECT("set_input 1", set_input(&ea, ctx, 1, 256), 0);
    EXPECT("compute", compute(&ea, ctx), 0);
    EXPECT("get_output", get_output(&ea, ctx, 0, 1024, 24, 1100), 0);
    EXPECT("bytes written", get32(m + 1100), 24);
    float y[6];
    memcpy(y, m + 1024, sizeof y);
    EXPECT("sum[5] == 12", (long)y[5], 12);
    EXPECT("get_output into a short buffer -> too_large (7)", get_output(&ea, ctx, 0, 1024, 8, 1100), 7);
    EXPECT("finalize_execution_context", finalize(&ea, ctx), 0);
    EXPECT("unload", unload(&ea, graph), 0);
    EXPECT("unload again -> invalid_argument", unload(&ea, graph), 1);

    /* The legacy module on the same graph: builder array {ptr 0, len 1} at 32 (the builder at 0
     * still points at the model); tensor {dims ptr, type, pad, data ptr} with dims {ptr, len}. */
    put32(m + 32, 0); put32(m + 36, 1);
    EXPECT("legacy load (graph_builder_array)", legacy_load(&ea, 32, 1, 0, 8), 0);
    EXPECT("init_execution_context on the legacy graph", init(&ea, get32(m + 8), 12), 0);
    ctx = get32(m + 12);
    put32(m + 320, 300); put32(m + 324, 2);                  /* dims {ptr 300 -> [2,3], len 2} */
    put32(m + 330, 320); m[334] = 1; put32(m + 338, 400);    /* tensor: dims, fp32 (1), data */
    EXPECT("legacy set_input 0", legacy_set_input(&ea, ctx, 0, 330), 0);
    EXPECT("legacy set_input 1", legacy_set_input(&ea, ctx, 1, 330), 0);
    EXPECT("compute", compute(&ea, ctx), 0);
    /* the legacy sizes count fp32 elements, not bytes */
    put32(m + 1100, 2);
    EXPECT("legacy get_output into 2 floats -> too_large (7)", legacy_get_output(&ea, ctx, 0, 1024, 1100), 7);
    EXPECT("legacy needed size", get32(m + 1100), 6);
    memset(m + 1024, 0, 24);
    EXPECT("legacy get_output", legacy_get_output(&ea, ctx, 0, 1024, 1100), 0);
    EXPECT("legacy floats written", get32(m + 1100), 6);
    memcpy(y, m + 1024, sizeof y);
    EXPECT("legacy sum[5] == 12", (long)y[5], 12);

    deinstantiate(&a);
    deinstantiate(&b);
    deinstantiate(&none);
    wasinn_wamr_unregister();
    EXPECT("unregistered", g_natives[0] == NULL && g_natives[1] == NULL, 1);

    /* Defect 5: when libwasinn cannot create an instance's state, the errno is runtime_error in
     * the registered profile's numbering (4 in WAMR 2.1's WIT order, where 5 is
     * unsupported_operation), not the spec's 5. */
    EXPECT("register (WAMR 2.1 numbering)", wasinn_wamr_register(WASINN_WITX_PROFILE_WAMR_2_1), 1);
    fn3 load_by_name_21 = (fn3)native("load_by_name", "(iii)i");
    struct WASMModuleInstanceCommon c = {{calloc(1, 65536), 1}, 1, NULL};
    struct WASMExecEnv ec = {&c};
    g_fail_instance_new = 1;
    int32_t e = load_by_name_21(&ec, 16, 13, 64);
    EXPECT("failed instance creation -> runtime_error of the profile",
           e, wasinn_witx_profile_errno(WASINN_WITX_PROFILE_WAMR_2_1, WASINN_STATUS_RUNTIME_ERROR));
    EXPECT("... which is 4 in WAMR 2.1's numbering", e, 4);
    g_fail_instance_new = 0;
    memcpy(c.memory.base + 16, "no-such-model", 13);
    EXPECT("then the instance is created: not_found (7 in WAMR 2.1)", load_by_name_21(&ec, 16, 13, 64), 7);
    deinstantiate(&c);
    wasinn_wamr_unregister();
    printf("check: %d failed\n", failures);
    return failures != 0;
}
