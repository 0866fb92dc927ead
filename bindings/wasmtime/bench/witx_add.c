/*
 * witx_add.c - the witx side of the WIT vs witx cost figure: N inferences of the 1-element Add
 * (a: f32[1] + b: f32[1] -> sum) through wasi_ephemeral_nn (set_input a, set_input b, compute,
 * get_output), timed inside the guest like the component's `bench-add` mode
 * (guest/rust-wit-nn). A benchmark, not a test: it checks only that every sum is 3.
 *
 * usage: witx_add.wasm ADD.onnx N
 * build: bindings/wasm3/guest/build.sh witx_add.wasm "$PWD/bindings/wasmtime/bench/witx_add.c"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../wasm3/guest/guest_io.h"

typedef struct { const uint8_t *buf; uint32_t len; } nn_builder;
typedef struct { const uint32_t *dims; uint32_t rank; uint8_t type; const uint8_t *data; uint32_t len; } nn_tensor;
#define NN(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN("load") int32_t nn_load(const nn_builder *, uint32_t, uint32_t, uint32_t, uint32_t *);
NN("init_execution_context") int32_t nn_init(uint32_t, uint32_t *);
NN("set_input") int32_t nn_set_input(uint32_t, uint32_t, const nn_tensor *);
NN("compute") int32_t nn_compute(uint32_t);
NN("get_output") int32_t nn_get_output(uint32_t, uint32_t, uint8_t *, uint32_t, uint32_t *);

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: witx_add.wasm ADD.onnx N\n"); return 2; }
    size_t len = 0;
    uint8_t *model = guest_read_file(argv[1], &len);
    long n = atol(argv[2]);
    if (!model || n <= 0) return 2;
    nn_builder b = { model, (uint32_t)len };
    uint32_t g, ctx;
    if (nn_load(&b, 1, 1 /* onnx */, 0 /* cpu */, &g) || nn_init(g, &ctx)) return 1;
    static const uint32_t dims[1] = { 1 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        float a = 1.0f, c = 2.0f, sum = 0;
        nn_tensor ta = { dims, 1, 1 /* f32 */, (const uint8_t *)&a, 4 };
        nn_tensor tc = { dims, 1, 1, (const uint8_t *)&c, 4 };
        uint32_t written = 0;
        if (nn_set_input(ctx, 0, &ta) || nn_set_input(ctx, 1, &tc) || nn_compute(ctx)
            || nn_get_output(ctx, 0, (uint8_t *)&sum, 4, &written) || written != 4 || sum != 3.0f) {
            fprintf(stderr, "witx_add: inference %ld failed\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / (double)n;
    printf("witx: %ld x (2 set_input + compute + get_output): %.2f us per inference\n", n, us);
    return 0;
}
