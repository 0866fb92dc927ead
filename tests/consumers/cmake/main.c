/* A consumer of an installed libwasinn: version and status calls, then one real inference.
 *
 *   usage: wasinn-consumer MODEL.onnx
 *
 * MODEL.onnx is c-tests' add.onnx (a: f32[2,3] + b: f32[2,3] -> sum). Built by
 * tests/consumers/cmake (find_package(wasinn) only) and tests/consumers/pkgconfig
 * (`cc $(pkg-config --cflags --libs wasinn)`), both run by scripts/test.sh. Exits 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasinn.h>

static int fail(const char *what, wasinn_status_t s) {
    char msg[512];
    wasinn_last_error_message(msg, sizeof msg);
    fprintf(stderr, "consumer: %s failed: %s (%u): %s\n", what, wasinn_status_str(s), (unsigned)s, msg);
    return 1;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
            else *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
        return 2;
    }
    /* The header and the library it links against must agree. */
    if (strcmp(wasinn_version(), WASINN_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: header %s but library %s\n", WASINN_VERSION_STRING, wasinn_version());
        return 1;
    }
    printf("libwasinn %s (header %d.%d.%d)\n", wasinn_version(), WASINN_VERSION_MAJOR,
           WASINN_VERSION_MINOR, WASINN_VERSION_PATCH);
    const char *not_found = wasinn_status_str(WASINN_STATUS_NOT_FOUND);
    if (not_found == NULL || not_found[0] == '\0') {
        fprintf(stderr, "consumer: no status string for WASINN_STATUS_NOT_FOUND\n");
        return 1;
    }
    printf("status %u: %s\n", (unsigned)WASINN_STATUS_NOT_FOUND, not_found);

    size_t len = 0;
    unsigned char *model = read_file(argv[1], &len);
    if (!model) {
        perror(argv[1]);
        return 1;
    }
    wasinn_buffer_t builder = {model, len};
    wasinn_graph_t graph = 0;
    wasinn_status_t s = wasinn_graph_load(&builder, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &graph);
    free(model); /* the library copied what it needs */
    if (s != WASINN_STATUS_SUCCESS) return fail("wasinn_graph_load", s);

    wasinn_exec_ctx_t ctx = 0;
    if ((s = wasinn_exec_ctx_new(graph, &ctx)) != WASINN_STATUS_SUCCESS) return fail("wasinn_exec_ctx_new", s);

    uint32_t dims[2] = {2, 3};
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {10, 20, 30, 40, 50, 60}, sum[6] = {0};
    wasinn_tensor_t ta = {WASINN_TENSOR_TYPE_FP32, dims, 2, (const uint8_t *)a, sizeof a};
    wasinn_tensor_t tb = {WASINN_TENSOR_TYPE_FP32, dims, 2, (const uint8_t *)b, sizeof b};
    if ((s = wasinn_exec_ctx_set_input(ctx, 0, &ta)) != WASINN_STATUS_SUCCESS) return fail("set_input 0", s);
    if ((s = wasinn_exec_ctx_set_input(ctx, 1, &tb)) != WASINN_STATUS_SUCCESS) return fail("set_input 1", s);
    if ((s = wasinn_exec_ctx_compute(ctx)) != WASINN_STATUS_SUCCESS) return fail("compute", s);
    size_t written = 0;
    if ((s = wasinn_exec_ctx_get_output(ctx, 0, sum, sizeof sum, &written)) != WASINN_STATUS_SUCCESS)
        return fail("get_output", s);
    if (written != sizeof sum) {
        fprintf(stderr, "consumer: output is %zu bytes, expected %zu\n", written, sizeof sum);
        return 1;
    }
    for (int i = 0; i < 6; i++) {
        if (sum[i] != a[i] + b[i]) {
            fprintf(stderr, "consumer: sum[%d] = %g, expected %g\n", i, sum[i], a[i] + b[i]);
            return 1;
        }
    }
    printf("sum = [%g %g %g %g %g %g]\n", sum[0], sum[1], sum[2], sum[3], sum[4], sum[5]);

    if ((s = wasinn_exec_ctx_free(ctx)) != WASINN_STATUS_SUCCESS) return fail("wasinn_exec_ctx_free", s);
    if ((s = wasinn_graph_free(graph)) != WASINN_STATUS_SUCCESS) return fail("wasinn_graph_free", s);
    /* A freed handle is never reused: a second free is a clean error. */
    if (wasinn_graph_free(graph) != WASINN_STATUS_INVALID_ARGUMENT) {
        fprintf(stderr, "consumer: double free was not refused\n");
        return 1;
    }
    printf("consumer: ok\n");
    return 0;
}
