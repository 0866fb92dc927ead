/*
 * ov_native.c - the native side of the whole-program benchmark: the bench guest's work
 * (bench/guest/bench.c) done by a C program calling OpenVINO's C API directly, printing the same
 * result line. Built against the openvino wheel's own headers (openvino/include/openvino/c) and
 * libopenvino_c.so (bench/whole.py builds it).
 *
 * What "native" does per iteration: set_input binds a tensor that wraps the caller's input bytes
 * (made once, ov_tensor_create_from_host_ptr: no copy), compute is ov_infer_request_infer,
 * get_output copies each output into the caller's buffer (one copy), as a program wanting its
 * result in its own memory would. It also prints memcpy_in_us: a memcpy of the first input's bytes
 * (timed between iterations), the memory-bandwidth term of the large-tensor target.
 *
 * With --copy-in, each input is an OpenVINO-allocated tensor (ov_tensor_create) and set_input
 * copies the caller's bytes into it on every iteration: what a native program whose input arrives
 * in its own memory each time does, and what a wasi-nn host does with the guest's bytes (one copy
 * in). This is "native + one copy of the input" measured in the loop, where the copy's dirty cache
 * lines are written back during compute; memcpy_in_us alone misses that.
 *
 * usage: ov_native [--copy-in] PRECISION MODEL N WARMUP OUTPUTS OUT_BYTES INPUT...
 *   PRECISION  default (OpenVINO's own: bf16 on CPUs with avx512_bf16) or a value for
 *              INFERENCE_PRECISION_HINT (f32, bf16); MODEL ir:XML:BIN or onnx:FILE; the rest as
 *              bench.c. Threads: OpenVINO's default, sized by the process's CPU affinity.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openvino/c/openvino.h>

#include "../bench_util.h"

#define CHECK(call)                                                                   \
    do {                                                                              \
        ov_status_e s_ = (call);                                                      \
        if (s_ != OK) {                                                               \
            fprintf(stderr, "ov_native: %s failed: %d %s\n", #call, (int)s_, ov_get_last_err_msg()); \
            return 1;                                                                 \
        }                                                                             \
    } while (0)

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    int copy_in = argc > 1 && !strcmp(argv[1], "--copy-in");
    if (copy_in) { argv++; argc--; }
    if (argc < 8) {
        fprintf(stderr, "usage: ov_native [--copy-in] PRECISION MODEL N WARMUP OUTPUTS OUT_BYTES INPUT...\n");
        return 2;
    }
    const char *precision = argv[1];
    long n = atol(argv[3]), warmup = atol(argv[4]);
    size_t n_out = (size_t)atol(argv[5]), out_bytes = (size_t)atol(argv[6]);
    int n_in = argc - 7;
    if (n <= 0 || warmup < 0 || n_out == 0 || n_out > MAX_IO || n_in > MAX_IO) return 2;

    ov_core_t *core;
    ov_model_t *model;
    ov_compiled_model_t *compiled;
    ov_infer_request_t *req;
    CHECK(ov_core_create(&core));
    char *m = argv[2];
    if (!strncmp(m, "ir:", 3)) {
        char *xml = strtok(m + 3, ":"), *bin = strtok(NULL, "");
        CHECK(ov_core_read_model(core, xml, bin, &model));
    } else if (!strncmp(m, "onnx:", 5)) {
        CHECK(ov_core_read_model(core, m + 5, NULL, &model));
    } else {
        fprintf(stderr, "ov_native: MODEL must be ir:XML:BIN or onnx:FILE\n");
        return 2;
    }
    if (strcmp(precision, "default"))
        CHECK(ov_core_compile_model(core, model, "CPU", 2, &compiled, ov_property_key_hint_inference_precision, precision));
    else
        CHECK(ov_core_compile_model(core, model, "CPU", 0, &compiled));
    CHECK(ov_compiled_model_create_infer_request(compiled, &req));

    ov_tensor_t *in[MAX_IO];
    void *src[MAX_IO], *dst[MAX_IO]; /* --copy-in: the caller's bytes of each input, copied into its tensor's */
    size_t src_len[MAX_IO];
    for (int i = 0; i < n_in; i++) {
        char *ty = strtok(argv[7 + i], ":"), *d = strtok(NULL, ":"), *file = strtok(NULL, "");
        if (!ty || !d || !file) return 2;
        ov_element_type_e et = !strcmp(ty, "f32") ? F32 : !strcmp(ty, "i32") ? I32 : I64;
        int64_t dims[MAX_RANK];
        int64_t rank = 0;
        if (strcmp(d, "-"))
            for (char *p = strtok(d, "x"); p && rank < MAX_RANK; p = strtok(NULL, "x")) dims[rank++] = atoll(p);
        size_t len;
        void *data = read_file(file, &len);
        if (!data) return 2;
        ov_shape_t shape;
        CHECK(ov_shape_create(rank, dims, &shape));
        src[i] = data;
        src_len[i] = len;
        if (copy_in) {
            size_t size;
            CHECK(ov_tensor_create(et, shape, &in[i]));
            CHECK(ov_tensor_data(in[i], &dst[i]));
            CHECK(ov_tensor_get_byte_size(in[i], &size));
            if (size != len) { fprintf(stderr, "ov_native: input %d holds %zu bytes, the file %zu\n", i, size, len); return 1; }
        } else {
            CHECK(ov_tensor_create_from_host_ptr(et, shape, data, &in[i]));
        }
        ov_shape_free(&shape);
    }
    uint8_t *out[MAX_IO];
    size_t written[MAX_IO];
    for (size_t k = 0; k < n_out; k++)
        if (!(out[k] = malloc(out_bytes))) return 1;
    /* Memory bandwidth for the "native + one copy of the input" target: a memcpy of the first
     * input's bytes, timed between iterations (never inside one). */
    size_t in0_len = 0;
    CHECK(ov_tensor_get_byte_size(in[0], &in0_len));
    void *in0_data, *copy = malloc(in0_len ? in0_len : 1);
    CHECK(ov_tensor_data(in[0], &in0_data));
    double *copy_us = malloc(sizeof(double) * (size_t)n);
    double *total = malloc(sizeof(double) * (size_t)n), *ph[3];
    for (int p = 0; p < 3; p++) ph[p] = malloc(sizeof(double) * (size_t)n);
    if (!total || !ph[0] || !ph[1] || !ph[2] || !copy || !copy_us) return 1;

    for (long it = -warmup; it < n; it++) {
        double t0 = now_us();
        for (int i = 0; i < n_in; i++) {
            if (copy_in) memcpy(dst[i], src[i], src_len[i]);
            CHECK(ov_infer_request_set_input_tensor_by_index(req, (size_t)i, in[i]));
        }
        double t1 = now_us();
        CHECK(ov_infer_request_infer(req));
        double t2 = now_us();
        for (size_t k = 0; k < n_out; k++) {
            ov_tensor_t *t;
            void *data;
            size_t size;
            CHECK(ov_infer_request_get_output_tensor_by_index(req, k, &t));
            CHECK(ov_tensor_data(t, &data));
            CHECK(ov_tensor_get_byte_size(t, &size));
            if (size > out_bytes) { fprintf(stderr, "ov_native: output %zu is %zu bytes\n", k, size); return 1; }
            memcpy(out[k], data, size);
            written[k] = size;
            ov_tensor_free(t);
        }
        double t3 = now_us();
        if (it >= 0) {
            record_iter(total, ph, it, t0, t1, t2, t3);
            double c0 = now_us();
            memcpy(copy, in0_data, in0_len);
            copy_us[it] = now_us() - c0;
        }
    }
    double sum = 0;
    for (size_t k = 0; k < n_out; k++) sum += checksum_f32(out[k], written[k]);
    double p90 = quantile(total, n, 0.9), med = quantile(total, n, 0.5);
    printf("bench iters=%ld median_us=%.3f p90_us=%.3f set_input_us=%.3f compute_us=%.3f get_output_us=%.3f checksum=%.9g memcpy_in_us=%.3f\n",
           n, med, p90, quantile(ph[0], n, 0.5), quantile(ph[1], n, 0.5), quantile(ph[2], n, 0.5), sum,
           quantile(copy_us, n, 0.5));
    return 0;
}
