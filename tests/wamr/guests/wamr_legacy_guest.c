/*
 * A guest built against WAMR's default guest header, wasi_nn.h without
 * WASM_ENABLE_WASI_EPHEMERAL_NN (what WAMR's own tests use): it imports the legacy module
 * "wasi_nn", whose load takes a graph_builder_array, whose tensor holds a pointer to its
 * dimensions and a bare data pointer, whose get_output takes an in/out size pointer, and whose
 * tensor types are fp16 0, fp32 1, u8 2, i32 3. Its get_output counts sizes in fp32 elements, not
 * bytes (as WAMR's TensorFlow Lite backend, the only one serving that module, does).
 *
 *   usage: wamr_legacy_guest NAME      in a directory holding add.onnx (a f32[2,3] + b -> sum);
 *                                      NAME is the same model, preloaded
 *
 * Prints one line per step; the last line is "done: N failures"; exits 1 when N > 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wasi_nn.h"
#include "../../../bindings/wasm3/guest/guest_io.h"

static int failures;

static void check(const char *what, int got, int want)
{
    printf("%s -> %d%s\n", what, got, got == want ? "" : " (UNEXPECTED)");
    if (got != want) failures++;
}

/* a + b through graph g, a = 1..6, b = 10*a; prints the sum */
static void run_add(const char *label, graph g)
{
    graph_execution_context ctx = 0;
    int err = init_execution_context(g, &ctx);
    check("init_execution_context", err, success);
    if (err) return;
    float a[6], b[6];
    for (int i = 0; i < 6; i++) { a[i] = (float)(i + 1); b[i] = 10.0f * (float)(i + 1); }
    uint32_t dims_buf[2] = {2, 3};
    tensor_dimensions dims = {dims_buf, 2};
    tensor ta = {&dims, fp32, {0}, (uint8_t *)a};
    tensor tb = {&dims, fp32, {0}, (uint8_t *)b};
    err = set_input(ctx, 0, &ta);
    if (!err) err = set_input(ctx, 1, &tb);
    check("set_input a, b", err, success);
    err = compute(ctx);
    check("compute", err, success);
    float sum[6];
    uint32_t size = 2; /* too small: the legacy get_output reads the buffer's size (in fp32) here */
    err = get_output(ctx, 0, (uint8_t *)sum, &size);
    check("get_output into 2 floats: too_large", err, too_large);
    printf("%s: needed %" PRIu32 " floats\n", label, size);
    size = 6;
    err = get_output(ctx, 0, (uint8_t *)sum, &size);
    check("get_output", err, success);
    printf("%s: %" PRIu32 " floats, sum =", label, size);
    for (int i = 0; i < 6; i++) printf(" %g", sum[i]);
    printf("\n");
    for (int i = 0; i < 6; i++)
        if (sum[i] != a[i] + b[i]) failures++;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: wamr_legacy_guest NAME\n"); return 2; }
    size_t len = 0;
    uint8_t *bytes = guest_read_file("add.onnx", &len);
    if (!bytes) return 1;
    graph_builder builder = {bytes, (uint32_t)len};
    graph_builder_array builders = {&builder, 1};
    graph g = 0;
    int err = load(&builders, onnx, cpu, &g);
    free(bytes);
    check("load add.onnx (graph_builder_array)", err, success);
    if (!err) run_add("bytes", g);

    graph gn = 0;
    err = load_by_name(argv[1], (uint32_t)strlen(argv[1]), &gn);
    check("load_by_name", err, success);
    if (!err) run_add("name", gn);
    err = load_by_name("no-such-model", 13, &gn);
    check("load_by_name of an unknown name: not_found", err, not_found);

    printf("done: %d failures\n", failures);
    return failures ? 1 : 0;
}
