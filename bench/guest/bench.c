/*
 * bench.c - the whole-program benchmark guest (wasm32-wasi): loads a model, fills its inputs once,
 * warms up, then times N iterations of set_input (every input) + compute + get_output (every
 * output) inside the guest with clock_gettime(CLOCK_MONOTONIC) through WASI, and prints one line:
 *
 *   bench iters=N median_us=.. p90_us=.. set_input_us=.. compute_us=.. get_output_us=.. checksum=..
 *
 * (the phase figures are per-phase medians; checksum is sum_j out[j] * (1 + j mod 13) over each f32
 * output of the last iteration: position-weighted, so a softmax's outputs do not always sum to 1). bench/native/ov_native.c prints the same line for the OpenVINO C API called
 * natively, so the harness (bench/whole.py) compares the two directly.
 *
 * usage: bench.wasm MODEL N WARMUP OUTPUTS OUT_BYTES INPUT...
 *   MODEL   ir:XML:BIN (OpenVINO IR, encoding openvino), onnx:FILE, or name:NAME (load_by_name)
 *   INPUT   TYPE:DIMS:FILE, TYPE f32|i32|i64, DIMS like 1x3x224x224 or - for a scalar
 *   OUT_BYTES: the size of each output buffer
 * build: bindings/wasm3/guest/build.sh bench.wasm "$PWD/bench/guest/bench.c"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../bindings/wasm3/guest/guest_io.h"
#include "../bench_util.h"

typedef struct { const uint8_t *buf; uint32_t len; } nn_builder;
typedef struct { const uint32_t *dims; uint32_t rank; uint8_t type; const uint8_t *data; uint32_t len; } nn_tensor;
#define NN(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN("load") int32_t nn_load(const nn_builder *, uint32_t, uint32_t, uint32_t, uint32_t *);
NN("load_by_name") int32_t nn_load_by_name(const char *, uint32_t, uint32_t *);
NN("init_execution_context") int32_t nn_init(uint32_t, uint32_t *);
NN("set_input") int32_t nn_set_input(uint32_t, uint32_t, const nn_tensor *);
NN("compute") int32_t nn_compute(uint32_t);
NN("get_output") int32_t nn_get_output(uint32_t, uint32_t, uint8_t *, uint32_t, uint32_t *);

static int parse_input(char *spec, nn_tensor *t, uint32_t *dims)
{
    char *ty = strtok(spec, ":"), *d = strtok(NULL, ":"), *file = strtok(NULL, "");
    if (!ty || !d || !file) return -1;
    t->type = !strcmp(ty, "f32") ? 1 : !strcmp(ty, "i32") ? 4 : !strcmp(ty, "i64") ? 5 : 255;
    if (t->type == 255) return -1;
    t->rank = 0;
    if (strcmp(d, "-")) {
        for (char *p = strtok(d, "x"); p; p = strtok(NULL, "x")) {
            if (t->rank == MAX_RANK) return -1;
            dims[t->rank++] = (uint32_t)strtoul(p, NULL, 10);
        }
    }
    t->dims = dims;
    size_t len = 0;
    t->data = guest_read_file(file, &len);
    t->len = (uint32_t)len;
    return t->data ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: bench.wasm MODEL N WARMUP OUTPUTS OUT_BYTES INPUT...\n");
        return 2;
    }
    long n = atol(argv[2]), warmup = atol(argv[3]);
    uint32_t n_out = (uint32_t)atol(argv[4]), out_bytes = (uint32_t)atol(argv[5]);
    int n_in = argc - 6;
    if (n <= 0 || warmup < 0 || n_out == 0 || n_out > MAX_IO || n_in > MAX_IO) return 2;

    uint32_t g, ctx;
    int32_t e;
    char *model = argv[1];
    if (!strncmp(model, "name:", 5)) {
        e = nn_load_by_name(model + 5, (uint32_t)strlen(model + 5), &g);
    } else if (!strncmp(model, "onnx:", 5)) {
        size_t len = 0;
        uint8_t *bytes = guest_read_file(model + 5, &len);
        if (!bytes) return 2;
        nn_builder b = { bytes, (uint32_t)len };
        e = nn_load(&b, 1, 1 /* onnx */, 0 /* cpu */, &g);
        free(bytes);
    } else if (!strncmp(model, "ir:", 3)) {
        char *xml = strtok(model + 3, ":"), *bin = strtok(NULL, "");
        size_t xl = 0, bl = 0;
        uint8_t *x = xml ? guest_read_file(xml, &xl) : NULL, *w = bin ? guest_read_file(bin, &bl) : NULL;
        if (!x || !w) return 2;
        nn_builder b[2] = { { x, (uint32_t)xl }, { w, (uint32_t)bl } };
        e = nn_load(b, 2, 0 /* openvino */, 0 /* cpu */, &g);
        free(x);
        free(w);
    } else {
        fprintf(stderr, "bench: MODEL must start with ir:, onnx: or name:\n");
        return 2;
    }
    if (e || (e = nn_init(g, &ctx))) {
        fprintf(stderr, "bench: load/init_execution_context failed: errno %d\n", e);
        return 1;
    }

    nn_tensor in[MAX_IO];
    static uint32_t dims[MAX_IO][MAX_RANK];
    for (int i = 0; i < n_in; i++) {
        if (parse_input(argv[6 + i], &in[i], dims[i])) {
            fprintf(stderr, "bench: bad input %s\n", argv[6 + i]);
            return 2;
        }
    }
    uint8_t *out[MAX_IO];
    uint32_t written[MAX_IO];
    for (uint32_t k = 0; k < n_out; k++)
        if (!(out[k] = malloc(out_bytes))) return 1;

    double *total = malloc(sizeof(double) * (size_t)n), *ph[3];
    for (int p = 0; p < 3; p++) ph[p] = malloc(sizeof(double) * (size_t)n);
    if (!total || !ph[0] || !ph[1] || !ph[2]) return 1;

    for (long it = -warmup; it < n; it++) {
        double t0 = now_us();
        for (int i = 0; i < n_in; i++)
            if ((e = nn_set_input(ctx, (uint32_t)i, &in[i]))) goto fail;
        double t1 = now_us();
        if ((e = nn_compute(ctx))) goto fail;
        double t2 = now_us();
        for (uint32_t k = 0; k < n_out; k++)
            if ((e = nn_get_output(ctx, k, out[k], out_bytes, &written[k]))) goto fail;
        double t3 = now_us();
        if (it >= 0) record_iter(total, ph, it, t0, t1, t2, t3);
    }
    double sum = 0;
    for (uint32_t k = 0; k < n_out; k++) sum += checksum_f32(out[k], written[k]);
    double p90 = quantile(total, n, 0.9), med = quantile(total, n, 0.5);
    printf("bench iters=%ld median_us=%.3f p90_us=%.3f set_input_us=%.3f compute_us=%.3f get_output_us=%.3f checksum=%.9g\n",
           n, med, p90, quantile(ph[0], n, 0.5), quantile(ph[1], n, 0.5), quantile(ph[2], n, 0.5), sum);
    return 0;
fail:
    fprintf(stderr, "bench: inference failed: errno %d\n", e);
    return 1;
}
