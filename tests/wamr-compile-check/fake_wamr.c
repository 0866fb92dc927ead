/*
 * Drives bindings/wamr/wasinn_wamr.c without WAMR: a fake of the few WAMR functions the glue
 * calls (see wasm_export.h here: a compile check, not WAMR), then the natives the glue registered
 * are called the way WAMR's interpreter would, on two fake module instances.
 *
 *   usage: fake_wamr ADD.onnx        (c-tests' add.onnx: a f32[2,3] + b f32[2,3] -> sum)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasinn_wamr.h"
#include "wasm_export.h"

/* ---- the fake runtime ---------------------------------------------------------------------- */
struct WASMMemoryInstance { uint8_t *base; uint64_t pages; };
struct WASMModuleInstanceCommon { struct WASMMemoryInstance memory; int has_memory; void *ctx; };
struct WASMExecEnv { struct WASMModuleInstanceCommon *inst; };

static NativeSymbol *g_natives;
static uint32_t g_n_natives;
static void (*g_dtor)(wasm_module_inst_t, void *);
static int g_key;

bool wasm_runtime_register_natives(const char *module_name, NativeSymbol *s, uint32_t n)
{
    if (strcmp(module_name, "wasi_ephemeral_nn") != 0 || g_natives) return false;
    g_natives = s;
    g_n_natives = n;
    return true;
}
bool wasm_runtime_unregister_natives(const char *module_name, NativeSymbol *s)
{
    if (strcmp(module_name, "wasi_ephemeral_nn") != 0 || s != g_natives) return false;
    g_natives = NULL;
    return true;
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

static void *native(const char *name, const char *sig)
{
    for (uint32_t i = 0; i < g_n_natives; i++)
        if (strcmp(g_natives[i].symbol, name) == 0) {
            if (strcmp(g_natives[i].signature, sig) != 0) {
                fprintf(stderr, "%s: signature %s, expected %s\n", name, g_natives[i].signature, sig);
                exit(1);
            }
            return g_natives[i].func_ptr;
        }
    fprintf(stderr, "native %s not registered\n", name);
    exit(1);
}

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
    EXPECT("12 natives", g_n_natives, 12);

    fn5 load = (fn5)native("load", "(iiiii)i");
    fn3 load_by_name = (fn3)native("load_by_name", "(iii)i");
    fn2 init = (fn2)native("init_execution_context", "(ii)i");
    fn3 set_input = (fn3)native("set_input", "(iii)i");
    fn1 compute = (fn1)native("compute", "(i)i");
    fn5 get_output = (fn5)native("get_output", "(iiiii)i");
    fn1 finalize = (fn1)native("finalize_execution_context", "(i)i");
    fn1 unload = (fn1)native("unload", "(i)i");

    struct WASMModuleInstanceCommon a = {{calloc(2, 65536), 2}, 1, NULL};
    struct WASMModuleInstanceCommon b = {{calloc(1, 65536), 1}, 1, NULL};
    struct WASMModuleInstanceCommon none = {{NULL, 0}, 0, NULL};
    struct WASMExecEnv ea = {&a}, eb = {&b}, en = {&none};
    uint8_t *m = a.memory.base;

    /* Errnos in WAMR 2.4's numbering (witx, see wasinn_witx_instance_new in wasinn.h):
     * not_found 8, too_large 7, out-of-bounds ranges missing_memory 3. */
    memcpy(m + 16, "no-such-model", 13);
    EXPECT("load_by_name unknown -> not_found (8)", load_by_name(&ea, 16, 13, 64), 8);
    EXPECT("out-of-bounds name -> missing_memory", load_by_name(&ea, 2 * 65536 - 4, 13, 64), 3);
    EXPECT("no linear memory -> missing_memory", load_by_name(&en, 16, 13, 64), 3);

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

    deinstantiate(&a);
    deinstantiate(&b);
    deinstantiate(&none);
    wasinn_wamr_unregister();
    EXPECT("unregistered", g_natives == NULL, 1);
    printf("check: %d failed\n", failures);
    return failures != 0;
}
