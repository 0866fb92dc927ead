/* Plugin discovery beside an installed libwasinn: lists every backend and checks that the
 * installed plugins were found in the directory of the libwasinn.so this program runs with, then
 * runs one inference on the onnxruntime plugin by name.
 *
 *   usage: wasinn-discovery LIBDIR MODEL.onnx
 *
 * LIBDIR is the installed prefix's lib directory (where libwasinn.so and the plugins are);
 * MODEL.onnx is c-tests' add.onnx (a: f32[2,3] + b: f32[2,3] -> sum). The plugins find their
 * vendor libraries through WASINN_PYTHON_SITE_PACKAGES. Run by scripts/check-consumers.sh.
 * Exits 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasinn.h>

static int fail(const char *what, wasinn_status_t s) {
    char msg[512];
    wasinn_last_error_message(msg, sizeof msg);
    fprintf(stderr, "discovery: %s failed: %s (%u): %s\n", what, wasinn_status_str(s), (unsigned)s, msg);
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
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBDIR MODEL.onnx\n", argv[0]);
        return 2;
    }
    const char *libdir = argv[1];
    size_t libdir_len = strlen(libdir);
    size_t count = 0;
    wasinn_status_t s = wasinn_backend_count(&count);
    if (s != WASINN_STATUS_SUCCESS) return fail("wasinn_backend_count", s);

    int found_ort = 0, found_ov = 0;
    for (size_t i = 0; i < count; i++) {
        char name[256], path[4096], reason[4096];
        uint32_t status = 0;
        if ((s = wasinn_backend_name(i, name, sizeof name, NULL)) != WASINN_STATUS_SUCCESS) return fail("name", s);
        if ((s = wasinn_backend_path(i, path, sizeof path, NULL)) != WASINN_STATUS_SUCCESS) return fail("path", s);
        if ((s = wasinn_backend_status(i, &status)) != WASINN_STATUS_SUCCESS) return fail("status", s);
        if ((s = wasinn_backend_reason(i, reason, sizeof reason, NULL)) != WASINN_STATUS_SUCCESS) return fail("reason", s);
        int available = status == WASINN_BACKEND_STATUS_AVAILABLE;
        printf("backend %zu: %-12s %-9s %s%s%s\n", i, name, available ? "AVAILABLE" : "REJECTED",
               path[0] ? path : "(built-in)", available ? "" : ": ", available ? "" : reason);
        if (strcmp(name, "mock") == 0) {
            fprintf(stderr, "discovery: the test-only mock plugin is installed (%s)\n", path);
            return 1;
        }
        int is_ort = strcmp(name, "onnxruntime") == 0, is_ov = strcmp(name, "openvino") == 0;
        if (!is_ort && !is_ov) continue;
        if (!available) {
            fprintf(stderr, "discovery: the %s plugin was rejected: %s\n", name, reason);
            return 1;
        }
        if (strncmp(path, libdir, libdir_len) != 0 || path[libdir_len] != '/') {
            fprintf(stderr, "discovery: the %s plugin was found at %s, not in %s\n", name, path, libdir);
            return 1;
        }
        found_ort |= is_ort;
        found_ov |= is_ov;
    }
    if (!found_ort || !found_ov) {
        fprintf(stderr, "discovery: onnxruntime %s, openvino %s beside libwasinn\n",
                found_ort ? "found" : "MISSING", found_ov ? "found" : "MISSING");
        return 1;
    }

    size_t len = 0;
    unsigned char *model = read_file(argv[2], &len);
    if (!model) {
        perror(argv[2]);
        return 1;
    }
    wasinn_buffer_t builder = {model, len};
    wasinn_graph_t graph = 0;
    s = wasinn_graph_load_with_backend(&builder, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, "onnxruntime", &graph);
    free(model);
    if (s != WASINN_STATUS_SUCCESS) return fail("wasinn_graph_load_with_backend(onnxruntime)", s);
    char backend[64];
    if ((s = wasinn_graph_backend_name(graph, backend, sizeof backend, NULL)) != WASINN_STATUS_SUCCESS)
        return fail("wasinn_graph_backend_name", s);
    if (strcmp(backend, "onnxruntime") != 0) {
        fprintf(stderr, "discovery: the graph was loaded by %s, not onnxruntime\n", backend);
        return 1;
    }

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
        fprintf(stderr, "discovery: output is %zu bytes, expected %zu\n", written, sizeof sum);
        return 1;
    }
    for (int i = 0; i < 6; i++) {
        if (sum[i] != a[i] + b[i]) {
            fprintf(stderr, "discovery: sum[%d] = %g, expected %g\n", i, sum[i], a[i] + b[i]);
            return 1;
        }
    }
    printf("onnxruntime: sum = [%g %g %g %g %g %g]\n", sum[0], sum[1], sum[2], sum[3], sum[4], sum[5]);
    if ((s = wasinn_exec_ctx_free(ctx)) != WASINN_STATUS_SUCCESS) return fail("wasinn_exec_ctx_free", s);
    if ((s = wasinn_graph_free(graph)) != WASINN_STATUS_SUCCESS) return fail("wasinn_graph_free", s);
    printf("discovery: ok\n");
    return 0;
}
