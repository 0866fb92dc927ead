/*
 * wasinn-wasmtime-check MODEL.onnx [ITERATIONS]: the per-instance state of wasinn_wasmtime_define
 * in real wasmtime, with WAT guests made here around the add model (a, b: f32[2,3] -> sum):
 * two instances in one store and in two stores (each refuses the other's handles), a guest trap
 * right after a compute (the same instance, a new one and the host keep working), a guest without
 * memory, a bad profile, and ITERATIONS (default 1000) instantiations each in its own store
 * (load from guest bytes, infer, delete the store) with the live-state count back to 0 after each
 * and the process RSS printed (growth from iteration 100 to the last, bounded).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "wasinn_wasmtime.h"
#include "wasmtime_util.h"

#define PROG "wasinn-wasmtime-check"

/* witx errnos (spec numbering) */
enum { E_OK = 0, E_INVALID_ARGUMENT = 1, E_MISSING_MEMORY = 3 };

static const char WAT_HEAD[] =
    "(module\n"
    "  (import \"wasi_ephemeral_nn\" \"load\" (func $load (param i32 i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"load_by_name\" (func $lbn (param i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"init_execution_context\" (func $init (param i32 i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"set_input\" (func $set (param i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"compute\" (func $compute (param i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"get_output\" (func $get (param i32 i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 2)\n"
    "  (data (i32.const 0) \"add\")\n"
    /* dims [2, 3] at 32; tensor {dims 32, 2, f32 (1), data 128, 24 bytes} at 64; 1..6 at 128 */
    "  (data (i32.const 32) \"\\02\\00\\00\\00\\03\\00\\00\\00\")\n"
    "  (data (i32.const 64) \"\\20\\00\\00\\00\\02\\00\\00\\00\\01\\00\\00\\00\\80\\00\\00\\00\\18\\00\\00\\00\")\n"
    "  (data (i32.const 128) \"\\00\\00\\80\\3f\\00\\00\\00\\40\\00\\00\\40\\40\\00\\00\\80\\40\\00\\00\\a0\\40\\00\\00\\c0\\40\")\n"
    "  (func (export \"load_name\") (result i32) (call $lbn (i32.const 0) (i32.const 3) (i32.const 8)))\n"
    "  (func (export \"load_bytes\") (result i32)\n"
    "    (call $load (i32.const 512) (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 8)))\n"
    "  (func (export \"graph\") (result i32) (i32.load (i32.const 8)))\n"
    "  (func (export \"init\") (param $g i32) (result i32) (call $init (local.get $g) (i32.const 12)))\n"
    "  (func (export \"ctx\") (result i32) (i32.load (i32.const 12)))\n"
    "  (func (export \"infer\") (param $c i32) (result i32) (local $e i32)\n"
    "    (local.set $e (call $set (local.get $c) (i32.const 0) (i32.const 64)))\n"
    "    (if (local.get $e) (then (return (local.get $e))))\n"
    "    (local.set $e (call $set (local.get $c) (i32.const 1) (i32.const 64)))\n"
    "    (if (local.get $e) (then (return (local.get $e))))\n"
    "    (local.set $e (call $compute (local.get $c)))\n"
    "    (if (local.get $e) (then (return (local.get $e))))\n"
    "    (call $get (local.get $c) (i32.const 0) (i32.const 256) (i32.const 24) (i32.const 16)))\n"
    "  (func (export \"out_sum\") (result i32) (i32.trunc_f32_s (f32.add (f32.add (f32.add\n"
    "    (f32.load (i32.const 256)) (f32.load (i32.const 260))) (f32.add (f32.load (i32.const 264))\n"
    "    (f32.load (i32.const 268)))) (f32.add (f32.load (i32.const 272)) (f32.load (i32.const 276))))))\n"
    "  (func (export \"compute_then_trap\") (param $c i32) (drop (call $compute (local.get $c))) unreachable)\n";

static const char WAT_NO_MEMORY[] =
    "(module\n"
    "  (import \"wasi_ephemeral_nn\" \"load_by_name\" (func $lbn (param i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_ephemeral_nn\" \"compute\" (func $compute (param i32) (result i32)))\n"
    "  (func (export \"load_name\") (result i32) (call $lbn (i32.const 0) (i32.const 3) (i32.const 8)))\n"
    "  (func (export \"compute\") (param i32) (result i32) (call $compute (local.get 0))))\n";

static wasm_engine_t *engine;
static wasmtime_linker_t *linker;
static wasmtime_module_t *guest, *no_memory_guest;

/* The guest module: WAT_HEAD, the model's bytes at 4096 with their builder at 512, ")". */
static wasmtime_module_t *make_guest(const char *model_path)
{
    size_t len;
    uint8_t *model = read_file(model_path, &len);
    size_t cap = sizeof WAT_HEAD + 4 * len + 256;
    char *wat = malloc(cap);
    REQUIRE(wat != NULL);
    size_t n = (size_t)snprintf(wat, cap, "%s  (data (i32.const 512) \"\\00\\10\\00\\00", WAT_HEAD);
    for (int b = 0; b < 4; b++) n += (size_t)snprintf(wat + n, cap - n, "\\%02x", (unsigned)(len >> (8 * b)) & 0xff);
    n += (size_t)snprintf(wat + n, cap - n, "\")\n  (data (i32.const 4096) \"");
    for (size_t i = 0; i < len; i++) n += (size_t)snprintf(wat + n, cap - n, "\\%02x", model[i]);
    n += (size_t)snprintf(wat + n, cap - n, "\"))\n");
    wasmtime_module_t *m = wt_compile(PROG, engine, "guest", wat, n);
    free(wat);
    free(model);
    return m;
}

static void instantiate(wasmtime_context_t *cx, const wasmtime_module_t *m, wasmtime_instance_t *out)
{
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_linker_instantiate(linker, cx, m, out, &trap);
    if (err || trap) wt_report(PROG, "instantiate", err, trap);
    REQUIRE(err == NULL && trap == NULL);
}

/* Calls an export taking 0 or 1 i32 and returning one i32. With `trap_out`, the export returns
 * nothing and its trap is returned there; otherwise a trap fails the check. */
static int32_t call(wasmtime_context_t *cx, const wasmtime_instance_t *inst, const char *name,
                    int nargs, int32_t arg, wasm_trap_t **trap_out)
{
    wasmtime_extern_t f;
    REQUIRE(wasmtime_instance_export_get(cx, inst, name, strlen(name), &f) && f.kind == WASMTIME_EXTERN_FUNC);
    wasmtime_val_t a = {.kind = WASMTIME_I32, .of.i32 = arg}, r = {.kind = WASMTIME_I32, .of.i32 = -1};
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call(cx, &f.of.func, &a, (size_t)nargs, &r, trap_out ? 0 : 1, &trap);
    if (trap_out && trap) { *trap_out = trap; return -1; }
    if (err || trap) wt_report(PROG, name, err, trap);
    REQUIRE(err == NULL && trap == NULL);
    return r.of.i32;
}
#define CALL0(cx, i, name) call(cx, i, name, 0, 0, NULL)
#define CALL1(cx, i, name, v) call(cx, i, name, 1, v, NULL)

/* load_name + init + infer in one instance; returns its context handle. sum of outputs = 42. */
static int32_t load_and_infer(wasmtime_context_t *cx, const wasmtime_instance_t *i, const char *load)
{
    CHECK(CALL0(cx, i, load) == E_OK);
    CHECK(CALL1(cx, i, "init", CALL0(cx, i, "graph")) == E_OK);
    int32_t c = CALL0(cx, i, "ctx");
    CHECK(CALL1(cx, i, "infer", c) == E_OK);
    CHECK(CALL0(cx, i, "out_sum") == 42); /* 2 * (1 + ... + 6) */
    return c;
}

/* A in cxa, B in cxb (the same store or two): neither can use the other's handles. Handle ids
 * count per instance from 1 (graphs and contexts share one sequence), so A's second graph and
 * context have ids B never issues here. */
static void foreign_handles(wasmtime_context_t *cxa, const wasmtime_instance_t *a,
                            wasmtime_context_t *cxb, const wasmtime_instance_t *b)
{
    int32_t ca = load_and_infer(cxa, a, "load_name");   /* A: graph 1, context 2 */
    CHECK(CALL1(cxb, b, "infer", ca) == E_INVALID_ARGUMENT); /* B holds nothing yet */
    CHECK(CALL0(cxa, a, "load_name") == E_OK);
    int32_t ga2 = CALL0(cxa, a, "graph");
    CHECK(CALL1(cxa, a, "init", ga2) == E_OK);
    int32_t ca2 = CALL0(cxa, a, "ctx");
    int32_t cb = load_and_infer(cxb, b, "load_name");    /* B's own graph 1 and context 2 */
    CHECK(cb == ca);                                     /* same number, different handle */
    CHECK(ga2 != CALL0(cxb, b, "graph") && ca2 != cb);
    CHECK(CALL1(cxb, b, "init", ga2) == E_INVALID_ARGUMENT);  /* A's graph: not B's */
    CHECK(CALL1(cxb, b, "infer", ca2) == E_INVALID_ARGUMENT); /* A's context: not B's */
    CHECK(CALL1(cxa, a, "infer", ca2) == E_OK);
    CHECK(wasinn_wasmtime_live_instances() == 2);
}

static size_t rss_kib(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: " PROG " MODEL.onnx [ITERATIONS]\n");
        return 2;
    }
    int iterations = argc > 2 ? atoi(argv[2]) : 1000;
    REQUIRE(iterations > 100);
    char spec[4096];
    snprintf(spec, sizeof spec, "add:onnx:cpu:%s", argv[1]);
    REQUIRE_OK(wasinn_registry_preload(spec));

    engine = wasm_engine_new();
    linker = wasmtime_linker_new(engine);
    wasmtime_error_t *err = wasinn_wasmtime_define(linker, 12345);
    CHECK(err != NULL); /* unknown profile */
    if (err) wasmtime_error_delete(err);
    err = wasinn_wasmtime_define(linker, WASINN_WITX_PROFILE_SPEC);
    if (err) wt_report(PROG, "define", err, NULL);
    REQUIRE(err == NULL);
    err = wasinn_wasmtime_define(linker, WASINN_WITX_PROFILE_SPEC);
    CHECK(err != NULL); /* already defined: wasmtime's error, nothing leaks */
    if (err) wasmtime_error_delete(err);
    guest = make_guest(argv[1]);
    no_memory_guest = wt_compile(PROG, engine, "no-memory guest", WAT_NO_MEMORY, strlen(WAT_NO_MEMORY));
    REQUIRE(guest && no_memory_guest);
    wasmtime_instance_t a, b;

    /* two instances in one store */
    wasmtime_store_t *s = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_context_t *cx = wasmtime_store_context(s);
    instantiate(cx, guest, &a);
    instantiate(cx, guest, &b);
    foreign_handles(cx, &a, cx, &b);
    wasmtime_store_delete(s);
    CHECK(wasinn_wasmtime_live_instances() == 0);
    printf("one store, two instances: foreign handles refused, both freed with the store\n");

    /* two stores */
    wasmtime_store_t *s1 = wasmtime_store_new(engine, NULL, NULL), *s2 = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_context_t *cx1 = wasmtime_store_context(s1), *cx2 = wasmtime_store_context(s2);
    instantiate(cx1, guest, &a);
    instantiate(cx2, guest, &b);
    foreign_handles(cx1, &a, cx2, &b);
    wasmtime_store_delete(s1);
    CHECK(wasinn_wasmtime_live_instances() == 1);
    CHECK(CALL1(cx2, &b, "infer", CALL0(cx2, &b, "ctx")) == E_OK); /* the other store is untouched */
    wasmtime_store_delete(s2);
    CHECK(wasinn_wasmtime_live_instances() == 0);
    printf("two stores: foreign handles refused, each freed with its store\n");

    /* a trap right after a compute */
    s = wasmtime_store_new(engine, NULL, NULL);
    cx = wasmtime_store_context(s);
    instantiate(cx, guest, &a);
    int32_t c = load_and_infer(cx, &a, "load_bytes");
    wasm_trap_t *trap = NULL;
    call(cx, &a, "compute_then_trap", 1, c, &trap);
    REQUIRE(trap != NULL);
    wasmtime_trap_code_t code;
    CHECK(wasmtime_trap_code(trap, &code) && code == WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED);
    wasm_trap_delete(trap);
    CHECK(CALL1(cx, &a, "infer", c) == E_OK && CALL0(cx, &a, "out_sum") == 42); /* same instance */
    instantiate(cx, guest, &b);
    load_and_infer(cx, &b, "load_bytes");                                       /* a new one */
    wasmtime_store_delete(s);
    CHECK(wasinn_wasmtime_live_instances() == 0);
    printf("a trap after compute: the instance, a new instance and the host still work\n");

    /* a guest without memory: errnos, no state */
    s = wasmtime_store_new(engine, NULL, NULL);
    cx = wasmtime_store_context(s);
    instantiate(cx, no_memory_guest, &a);
    CHECK(CALL0(cx, &a, "load_name") == E_MISSING_MEMORY);
    CHECK(CALL1(cx, &a, "compute", 1) == E_INVALID_ARGUMENT);
    CHECK(wasinn_wasmtime_live_instances() == 0);
    wasmtime_store_delete(s);
    printf("a guest without memory: missing_memory / invalid_argument\n");

    /* teardown: one store per instantiation */
    size_t rss_100 = 0, peak_live = 0;
    for (int i = 1; i <= iterations; i++) {
        s = wasmtime_store_new(engine, NULL, NULL);
        cx = wasmtime_store_context(s);
        instantiate(cx, guest, &a);
        load_and_infer(cx, &a, "load_bytes"); /* its own graph, context, tensors */
        if (wasinn_wasmtime_live_instances() > peak_live) peak_live = wasinn_wasmtime_live_instances();
        wasmtime_store_delete(s);
        if (!CHECK(wasinn_wasmtime_live_instances() == 0)) break;
        if (i == 100) rss_100 = rss_kib();
    }
    size_t rss_end = rss_kib();
    long growth = (long)rss_end - (long)rss_100;
    printf("teardown: %d instantiations (one store each), live states after each: 0 (peak %zu); "
           "RSS %zu KiB after 100, %zu KiB after %d: %+ld KiB (%+.1f bytes per instantiation)\n",
           iterations, peak_live, rss_100, rss_end, iterations, growth,
           growth * 1024.0 / (iterations - 100));
    /* a leak of the instance state (a tract graph, a context and its tensors) per iteration would
     * be tens of KiB each: 900 of them far above this bound */
    CHECK(growth < 4096);

    wasmtime_module_delete(guest);
    wasmtime_module_delete(no_memory_guest);
    wasmtime_linker_delete(linker);
    wasm_engine_delete(engine);
    return check_done(PROG);
}
