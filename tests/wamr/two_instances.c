/*
 * Two module instances of one guest at once in one WAMR runtime, through the WAMR glue: a
 * handle made in one instance is refused by the other, and each keeps working.
 *
 *   usage: two_instances GUEST.wasm PRELOAD     (guests/two_instances_guest.c; PRELOAD names its
 *                                                model wamr-ident-f32)
 *
 * Prints one line per check and "N passed, M failed"; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasinn.h"
#include "wasinn_wamr.h"
#include "wasm_export.h"

#define INVALID_ARGUMENT 1 /* the same in every profile */

static int passed, failed;

static void expect(const char *what, int64_t got, int64_t want)
{
    int ok = got == want;
    printf("%s %s: %lld%s\n", ok ? "ok  " : "FAIL", what, (long long)got, ok ? "" : " (unexpected)");
    ok ? passed++ : failed++;
}

struct guest { wasm_module_inst_t inst; wasm_exec_env_t env; };

/* Calls export `name` with up to two i32 arguments; its i32 result, or INT32_MIN on a trap. */
static int64_t call(struct guest *g, const char *name, int argc, uint32_t a0, uint32_t a1)
{
    wasm_function_inst_t f = wasm_runtime_lookup_function(g->inst, name);
    uint32_t argv[2] = {a0, a1};
    if (f == NULL || !wasm_runtime_call_wasm(g->env, f, (uint32_t)argc, argv)) {
        const char *e = wasm_runtime_get_exception(g->inst);
        fprintf(stderr, "%s: %s\n", name, e ? e : "no such export");
        return INT32_MIN;
    }
    return (int32_t)argv[0];
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s GUEST.wasm PRELOAD\n", argv[0]); return 2; }
    static uint8_t wasm[1 << 20];
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    uint32_t len = (uint32_t)fread(wasm, 1, sizeof wasm, f);
    fclose(f);

    char err[256];
    if (!wasm_runtime_init() || !wasinn_wamr_register(WASINN_WITX_PROFILE_WAMR)) return 1;
    if (wasinn_registry_preload(argv[2]) != WASINN_STATUS_SUCCESS) return 1;
    wasm_module_t module = wasm_runtime_load(wasm, len, err, sizeof err);
    if (!module) { fprintf(stderr, "load: %s\n", err); return 1; }
    struct guest a, b;
    a.inst = wasm_runtime_instantiate(module, 65536, 0, err, sizeof err);
    b.inst = wasm_runtime_instantiate(module, 65536, 0, err, sizeof err);
    if (!a.inst || !b.inst) { fprintf(stderr, "instantiate: %s\n", err); return 1; }
    a.env = wasm_runtime_create_exec_env(a.inst, 65536);
    b.env = wasm_runtime_create_exec_env(b.inst, 65536);
    if (!a.env || !b.env) return 1;

    int64_t ga = call(&a, "nn_load", 0, 0, 0);
    expect("A: load_by_name gives a graph", ga > 0, 1);
    int64_t ca = call(&a, "nn_init", 1, (uint32_t)ga, 0);
    expect("A: init_execution_context gives a context", ca > 0, 1);
    expect("B: init_execution_context with A's graph -> -invalid_argument",
           call(&b, "nn_init", 1, (uint32_t)ga, 0), -INVALID_ARGUMENT);
    expect("B: set_input on A's context -> invalid_argument", call(&b, "nn_run", 2, (uint32_t)ca, 1),
           INVALID_ARGUMENT);
    expect("A: its context still runs", call(&a, "nn_run", 2, (uint32_t)ca, 2), 0);
    int64_t gb = call(&b, "nn_load", 0, 0, 0);
    expect("B: load_by_name gives its own graph", gb > 0, 1);
    int64_t cb = call(&b, "nn_init", 1, (uint32_t)gb, 0);
    expect("B: its own context", cb > 0, 1);
    expect("B: its context runs", call(&b, "nn_run", 2, (uint32_t)cb, 3), 0);
    wasm_runtime_destroy_exec_env(b.env);
    wasm_runtime_deinstantiate(b.inst); /* frees B's handles only */
    expect("A: runs after B is gone", call(&a, "nn_run", 2, (uint32_t)ca, 4), 0);
    wasm_runtime_destroy_exec_env(a.env);
    wasm_runtime_deinstantiate(a.inst);
    wasm_runtime_unload(module);
    wasinn_wamr_unregister();
    wasm_runtime_destroy();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
