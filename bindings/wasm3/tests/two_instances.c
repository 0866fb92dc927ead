/*
 * two_instances.c - foreign handles in wasm3: two runtimes in one process, each with its own
 * module instance of one guest and its own glue instance (wasinn_wasm3_link, as wasinn-wasm3-run
 * sets up a guest). A handle made in one is refused by the other (handle numbers coincide: both
 * start at 1), and each keeps working after the other's calls and after the other is freed.
 *
 *   usage: wasinn-wasm3-two-instances handles.wasm PRELOAD
 *     handles.wasm  bindings/wasmedge/tests/handles.wat built with wat2wasm (load_named, init,
 *                   unload over wasi_ephemeral_nn; it names the model "m")
 *     PRELOAD       m:onnx:cpu:add.onnx
 *
 * Prints one line per check and "N passed, M failed"; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wasinn_wasm3.h"

#define INVALID_ARGUMENT 1

static int passed, failed;

static void expect(const char *what, int64_t got, int64_t want)
{
    int ok = got == want;
    printf("%s %s: %lld%s\n", ok ? "ok  " : "FAIL", what, (long long)got, ok ? "" : " (unexpected)");
    if (ok) passed++; else failed++;
}

struct guest { IM3Environment env; IM3Runtime runtime; wasinn_witx_instance_t *nn; uint8_t *wasm; };

static int instantiate(struct guest *g, const uint8_t *wasm, size_t len)
{
    IM3Module module = NULL;
    g->wasm = malloc(len); /* wasm3 keeps pointers into the bytes: one copy per runtime */
    if (!g->wasm) return -1;
    for (size_t i = 0; i < len; i++) g->wasm[i] = wasm[i];
    if (wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &g->nn) != WASINN_STATUS_SUCCESS) return -1;
    g->env = m3_NewEnvironment();
    g->runtime = g->env ? m3_NewRuntime(g->env, 64 * 1024, NULL) : NULL;
    if (!g->runtime) return -1;
    M3Result r = m3_ParseModule(g->env, &module, g->wasm, (uint32_t)len);
    if (!r) r = m3_LoadModule(g->runtime, module);
    if (!r) r = wasinn_wasm3_link(module, g->nn);
    if (r) { fprintf(stderr, "instantiate: %s\n", r); return -1; }
    return 0;
}

static void release(struct guest *g)
{
    if (g->runtime) m3_FreeRuntime(g->runtime);
    if (g->env) m3_FreeEnvironment(g->env);
    wasinn_witx_instance_free(g->nn);
    free(g->wasm);
    g->runtime = NULL; g->env = NULL; g->nn = NULL; g->wasm = NULL;
}

/* Calls export `name` with `argc` (0 or 1) i32 arguments; its i32 result, or INT32_MIN on a trap. */
static int64_t call(struct guest *g, const char *name, int argc, int32_t arg)
{
    IM3Function f = NULL;
    M3Result r = m3_FindFunction(&f, g->runtime, name);
    if (!r) r = argc ? m3_CallV(f, arg) : m3_CallV(f);
    int32_t ret = 0;
    if (!r) r = m3_GetResultsV(f, &ret);
    if (r) { fprintf(stderr, "%s: %s\n", name, r); return INT32_MIN; }
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s handles.wasm PRELOAD\n", argv[0]); return 2; }
    static uint8_t wasm[1 << 16];
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    size_t len = fread(wasm, 1, sizeof wasm, f);
    fclose(f);
    if (wasinn_registry_preload(argv[2]) != WASINN_STATUS_SUCCESS) { fprintf(stderr, "preload failed\n"); return 2; }
    struct guest a = {0}, b = {0};
    if (instantiate(&a, wasm, len) || instantiate(&b, wasm, len)) return 1;

    int64_t ga = call(&a, "load_named", 0, 0);
    expect("A: its first graph is handle 1", ga, 1);
    expect("B: A's graph 1 is unknown in B (init)", call(&b, "init", 1, 1), INVALID_ARGUMENT);
    expect("B: cannot unload A's graph 1", call(&b, "unload", 1, 1), INVALID_ARGUMENT);
    expect("A: graph 1 untouched by B's calls", call(&a, "init", 1, 1), 0);
    expect("B: its own first graph is handle 1 too", call(&b, "load_named", 0, 0), 1);
    expect("B: unloads its graph 1", call(&b, "unload", 1, 1), 0);
    expect("A: graph 1 still there after B's unload of its own 1", call(&a, "init", 1, 1), 0);
    release(&a); /* frees A's handles; B is unaffected */
    expect("B: a new graph after A is freed (ids never reused: 2)", call(&b, "load_named", 0, 0), 2);
    expect("B: its graph 1 stays unloaded", call(&b, "init", 1, 1), INVALID_ARGUMENT);
    release(&b);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
