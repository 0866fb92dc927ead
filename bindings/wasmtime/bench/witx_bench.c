/*
 * witx_bench.c - the witx side of the WIT vs witx cost figures: N inferences through
 * wasi_ephemeral_nn, each timed inside the guest (WASI's monotonic clock) like the component's
 * `bench-add` and `bench-magika` modes (guest/rust-wit-nn), median and mean printed.
 * A benchmark, not a test: it checks only that every result is right.
 *
 * usage: witx_bench.wasm add ADD.onnx N [ELEMS]   (a: f32[ELEMS] + b -> sum: 2 set_input, compute,
 *                                                  get_output; ELEMS defaults to 1)
 *        witx_bench.wasm magika MODEL-NAME N      (magika by preloaded name on a fixed feature
 *                                                  vector: set_input, compute, get_output)
 * build: bindings/wasm3/guest/build.sh witx_bench.wasm "$PWD/bindings/wasmtime/bench/witx_bench.c"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../wasm3/guest/guest_io.h"

typedef struct { const uint8_t *buf; uint32_t len; } nn_builder;
typedef struct { const uint32_t *dims; uint32_t rank; uint8_t type; const uint8_t *data; uint32_t len; } nn_tensor;
#define NN(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN("load") int32_t nn_load(const nn_builder *, uint32_t, uint32_t, uint32_t, uint32_t *);
NN("load_by_name") int32_t nn_load_by_name(const char *, uint32_t, uint32_t *);
NN("init_execution_context") int32_t nn_init(uint32_t, uint32_t *);
NN("set_input") int32_t nn_set_input(uint32_t, uint32_t, const nn_tensor *);
NN("compute") int32_t nn_compute(uint32_t);
NN("get_output") int32_t nn_get_output(uint32_t, uint32_t, uint8_t *, uint32_t, uint32_t *);
enum { NN_TYPE_F32 = 1, NN_TYPE_I32 = 4 };

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* prints "witx WHAT: N x (STEPS): median M us, mean A us per inference" */
static void report(const char *what, const char *steps, double *us, long n)
{
    double sum = 0;
    for (long i = 0; i < n; i++) sum += us[i];
    qsort(us, (size_t)n, sizeof *us, cmp_double);
    printf("witx %s: %ld x (%s): median %.2f us, mean %.2f us per inference\n", what, n, steps,
           us[n / 2], sum / (double)n);
}

static int bench_add(const char *path, long n, uint32_t elems)
{
    size_t len = 0;
    uint8_t *model = guest_read_file(path, &len);
    float *a = malloc(elems * sizeof *a), *c = malloc(elems * sizeof *c), *sum = malloc(elems * sizeof *sum);
    double *us = malloc((size_t)n * sizeof *us);
    if (!model || !a || !c || !sum || !us) return 2;
    for (uint32_t k = 0; k < elems; k++) { a[k] = 1.0f; c[k] = 2.0f; }
    nn_builder b = { model, (uint32_t)len };
    uint32_t g, ctx;
    if (nn_load(&b, 1, 1 /* onnx */, 0 /* cpu */, &g) || nn_init(g, &ctx)) return 1;
    const uint32_t dims[1] = { elems };
    const uint32_t bytes = elems * (uint32_t)sizeof(float);
    for (long i = 0; i < n; i++) {
        nn_tensor ta = { dims, 1, NN_TYPE_F32, (const uint8_t *)a, bytes };
        nn_tensor tc = { dims, 1, NN_TYPE_F32, (const uint8_t *)c, bytes };
        uint32_t written = 0;
        double t0 = now_us();
        if (nn_set_input(ctx, 0, &ta) || nn_set_input(ctx, 1, &tc) || nn_compute(ctx)
            || nn_get_output(ctx, 0, (uint8_t *)sum, bytes, &written) || written != bytes) {
            fprintf(stderr, "witx_bench: inference %ld failed\n", i);
            return 1;
        }
        us[i] = now_us() - t0;
        if (sum[0] != 3.0f || sum[elems - 1] != 3.0f) { fprintf(stderr, "witx_bench: wrong sum\n"); return 1; }
    }
    char what[32];
    snprintf(what, sizeof what, "add %u", (unsigned)elems);
    report(what, "2 set_input + compute + get_output", us, n);
    return 0;
}

static int bench_magika(const char *name, long n)
{
    static int32_t features[2048];
    static float scores[4096];
    double *us = malloc((size_t)n * sizeof *us);
    if (!us) return 2;
    for (int k = 0; k < 2048; k++) features[k] = k % 256;
    uint32_t g, ctx;
    if (nn_load_by_name(name, (uint32_t)strlen(name), &g) || nn_init(g, &ctx)) return 1;
    static const uint32_t dims[2] = { 1, 2048 };
    for (long i = 0; i < n; i++) {
        nn_tensor t = { dims, 2, NN_TYPE_I32, (const uint8_t *)features, sizeof features };
        uint32_t written = 0;
        double t0 = now_us();
        if (nn_set_input(ctx, 0, &t) || nn_compute(ctx)
            || nn_get_output(ctx, 0, (uint8_t *)scores, sizeof scores, &written) || written == 0) {
            fprintf(stderr, "witx_bench: magika inference %ld failed\n", i);
            return 1;
        }
        us[i] = now_us() - t0;
    }
    report("magika", "set_input + compute + get_output", us, n);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc >= 4 ? atol(argv[3]) : 0;
    if (n > 0 && argc >= 4 && argc <= 5 && strcmp(argv[1], "add") == 0) {
        long elems = argc == 5 ? atol(argv[4]) : 1;
        if (elems > 0 && elems <= (1L << 28)) return bench_add(argv[2], n, (uint32_t)elems);
    }
    if (n > 0 && argc == 4 && strcmp(argv[1], "magika") == 0) return bench_magika(argv[2], n);
    fprintf(stderr, "usage: witx_bench.wasm add ADD.onnx N [ELEMS] | magika MODEL-NAME N\n");
    return 2;
}
