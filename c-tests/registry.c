/* registry.c: the host's named-model registry: add_files, add_bytes, preload specs, load_by_name
 * (twice: both handles work and are independent), unknown names, removal.
 * usage: registry add.onnx multi_io.onnx */
#include "check.h"

/* Runs add.onnx through `g` and checks the sum. */
static void check_add_graph(wasinn_graph_t g, float bias)
{
    static const uint32_t dims[2] = {2, 3};
    float a[6], b[6], out[6];
    for (int i = 0; i < 6; i++) {
        a[i] = (float)i + bias;
        b[i] = 100.0f * (float)i;
    }
    wasinn_exec_ctx_t ctx = 0;
    if (!CHECK_OK(wasinn_exec_ctx_new(g, &ctx)))
        return;
    wasinn_tensor_t ta = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, a, sizeof a);
    wasinn_tensor_t tb = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, b, sizeof b);
    size_t len = 0;
    if (CHECK_OK(wasinn_exec_ctx_set_input(ctx, 0, &ta)) && CHECK_OK(wasinn_exec_ctx_set_input(ctx, 1, &tb))
        && CHECK_OK(wasinn_exec_ctx_compute(ctx))
        && CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &len))) {
        for (int i = 0; i < 6; i++)
            CHECK(out[i] == a[i] + b[i]);
    }
    CHECK_OK(wasinn_exec_ctx_free(ctx));
}

static wasinn_status_t by_name(const char *name, wasinn_graph_t *g)
{
    return wasinn_graph_load_by_name(name, strlen(name), g);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s add.onnx multi_io.onnx\n", argv[0]);
        return 2;
    }
    const char *add_path = argv[1];
    const char *mio_path = argv[2];

    /* add_files, then load_by_name twice: two working, independent handles. */
    const char *paths[1] = {add_path};
    CHECK_OK(wasinn_registry_add_files("add-files", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 1));
    wasinn_graph_t g1 = 0, g2 = 0;
    REQUIRE_OK(by_name("add-files", &g1));
    REQUIRE_OK(by_name("add-files", &g2));
    CHECK(g1 != g2);
    check_add_graph(g1, 0.5f);
    check_add_graph(g2, 1.5f);
    CHECK_OK(wasinn_graph_free(g1));
    check_add_graph(g2, 2.5f); /* freeing one handle leaves the other (and the model) alone */

    /* The name is (pointer, length): trailing bytes are not part of it. */
    wasinn_graph_t g3 = 0;
    CHECK_OK(wasinn_graph_load_by_name("add-files-and-more", 9, &g3));
    CHECK_OK(wasinn_graph_free(g3));
    CHECK_STATUS(wasinn_graph_load_by_name("add-files", 8, &g3), WASINN_STATUS_NOT_FOUND);

    /* A name is registered once. */
    CHECK(wasinn_registry_add_files("add-files", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 1)
          != WASINN_STATUS_SUCCESS);

    /* Unknown names: NOT_FOUND, and the message names the model. */
    wasinn_graph_t g = 4242;
    CHECK_STATUS(by_name("no-such-model", &g), WASINN_STATUS_NOT_FOUND);
    CHECK(g == 4242);
    char msg[512];
    wasinn_last_error_message(msg, sizeof msg);
    if (!CHECK(strstr(msg, "no-such-model") != NULL))
        fprintf(stderr, "    message: %s\n", msg);
    CHECK_STATUS(wasinn_graph_load_by_name("", 0, &g), WASINN_STATUS_NOT_FOUND);

    /* A missing file is reported at add time, and the name is not left registered. */
    const char *missing[1] = {"/nonexistent/dir/model.onnx"};
    CHECK_STATUS(wasinn_registry_add_files("missing", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, missing, 1),
                 WASINN_STATUS_NOT_FOUND);
    CHECK_STATUS(by_name("missing", &g), WASINN_STATUS_NOT_FOUND);
    CHECK_STATUS(wasinn_registry_add_files("none", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 0),
                 WASINN_STATUS_INVALID_ARGUMENT);

    /* Preload specs, ';'-separated, WasmEdge's name:encoding:target:path form. */
    char spec[4096];
    snprintf(spec, sizeof spec, "pre-add:onnx:cpu:%s;pre-mio:ONNX:CPU:%s", add_path, mio_path);
    CHECK_OK(wasinn_registry_preload(spec));
    wasinn_graph_t pa = 0, pm = 0;
    if (CHECK_OK(by_name("pre-add", &pa))) {
        check_add_graph(pa, 3.0f);
        CHECK_OK(wasinn_graph_free(pa));
    }
    if (CHECK_OK(by_name("pre-mio", &pm))) {
        size_t n = 0;
        CHECK_OK(wasinn_graph_output_count(pm, &n));
        CHECK(n == 2);
        CHECK_OK(wasinn_graph_free(pm));
    }
    CHECK_STATUS(wasinn_registry_preload("nonsense"), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_preload("x:bogus:cpu:/a.onnx"), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_preload("x:onnx:npu:/a.onnx"), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_preload("x:onnx:cpu"), WASINN_STATUS_INVALID_ARGUMENT);

    /* add_bytes: the registry copies the bytes. */
    size_t len = 0;
    uint8_t *bytes = read_file(add_path, &len);
    wasinn_buffer_t builder = {bytes, len};
    CHECK_OK(wasinn_registry_add_bytes("add-bytes", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &builder, 1));
    memset(bytes, 0, len);
    free(bytes);
    wasinn_graph_t gb = 0;
    if (CHECK_OK(by_name("add-bytes", &gb))) {
        check_add_graph(gb, 4.0f);
        CHECK_OK(wasinn_graph_free(gb));
    }
    static const uint8_t junk[3] = {1, 2, 3};
    wasinn_buffer_t bad = {junk, sizeof junk};
    CHECK(wasinn_registry_add_bytes("junk", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &bad, 1)
          != WASINN_STATUS_SUCCESS);
    CHECK_STATUS(by_name("junk", &g), WASINN_STATUS_NOT_FOUND);

    /* Removal: the name goes, graphs already handed out stay usable. */
    CHECK_OK(wasinn_registry_remove("add-files"));
    CHECK_STATUS(by_name("add-files", &g), WASINN_STATUS_NOT_FOUND);
    CHECK_STATUS(wasinn_registry_remove("add-files"), WASINN_STATUS_NOT_FOUND);
    check_add_graph(g2, 5.0f);
    CHECK_OK(wasinn_graph_free(g2));
    /* The name can be registered again after removal. */
    CHECK_OK(wasinn_registry_add_files("add-files", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 1));
    CHECK_OK(wasinn_registry_remove("add-files"));

    return check_done("registry");
}
