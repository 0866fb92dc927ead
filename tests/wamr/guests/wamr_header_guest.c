/*
 * A guest built against WAMR's own guest header, wasi_ephemeral_nn.h from WAMR's sources
 * (core/iwasm/libraries/wasi-nn/include, added with -isystem by tests/wamr/run.sh): every enum
 * value it sends is the one current WAMR's users send, so it runs only under a host profile that
 * numbers tensor types, encodings and errnos as that header does (--profile wamr).
 *
 *   usage: wamr_header_guest NAME      in a directory holding ident_{f32,u8,i32,i64}.onnx
 *                                      (Identity, [2,3]); NAME is the preloaded ident_f32 model
 *
 * Prints one line per check; the last line is "done: N failures"; exits 1 when N > 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wasi_ephemeral_nn.h"
#include "../../../bindings/wasm3/guest/guest_io.h"

#define NN(x) wasi_ephemeral_nn_##x

static int failures;

static void check(const char *what, int got, int want)
{
    printf("%s -> %d%s\n", what, got, got == want ? "" : " (UNEXPECTED)");
    if (got != want) failures++;
}

static NN(graph) load_file(const char *path, NN(graph_encoding) encoding, int *err)
{
    size_t len = 0;
    uint8_t *bytes = guest_read_file(path, &len);
    NN(graph) g = 0;
    if (!bytes) { *err = -1; return 0; }
    NN(graph_builder) builder = {bytes, (uint32_t)len};
    *err = NN(load)(&builder, 1, encoding, NN(target_cpu), &g);
    free(bytes);
    return g;
}

/* Sends `data` (6 elements of `type`) through an identity graph and compares what comes back. */
static void identity(const char *label, NN(graph) g, NN(tensor_type) type, const void *data,
                     uint32_t elem_size)
{
    NN(graph_execution_context) ctx = 0;
    int err = NN(init_execution_context)(g, &ctx);
    if (err) { check("init_execution_context", err, 0); return; }
    uint32_t dims[2] = {2, 3};
    NN(tensor) t;
    memset(&t, 0xAB, sizeof t); /* garbage in the padding bytes, as C guests leave it */
    t.dimensions.buf = dims;
    t.dimensions.size = 2;
    t.type = type;
    t.data.buf = (uint8_t *)data;
    t.data.size = 6 * elem_size;
    err = NN(set_input)(ctx, 0, &t);
    if (!err) err = NN(compute)(ctx);
    uint8_t out[64];
    uint32_t written = 0;
    if (!err) err = NN(get_output)(ctx, 0, out, sizeof out, &written);
    printf("%s: identity wrote %" PRIu32 " bytes, equal to the input: %s\n", label, written,
           !err && written == 6 * elem_size && memcmp(out, data, written) == 0 ? "yes" : "no");
    if (err || written != 6 * elem_size || memcmp(out, data, written) != 0) failures++;
    if (err) check("identity errno", err, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: wamr_header_guest NAME\n"); return 2; }
    const char *name = argv[1];
    int err = 0;

    static const float f32[6] = {1.0f, -2.5f, 0.125f, 0.0f, 3e38f, -1e-30f};
    static const uint8_t u8[6] = {0, 1, 127, 128, 254, 255};
    static const int32_t i32[6] = {INT32_MIN, -1, 0, 1, 42, INT32_MAX};
    static const int64_t i64[6] = {INT64_MIN, -1, 0, 1, (int64_t)1 << 40, INT64_MAX};

    /* by bytes: onnx (1) and autodetect (6 in WAMR's header, 5 in the witx spec) */
    NN(graph) g = load_file("ident_f32.onnx", NN(encoding_onnx), &err);
    check("load ident_f32.onnx as onnx", err, NN(error_success));
    if (!err) identity("bytes f32", g, NN(type_fp32), f32, 4);
    g = load_file("ident_f32.onnx", NN(encoding_autodetect), &err);
    check("load ident_f32.onnx as autodetect", err, NN(error_success));
    if (!err) identity("autodetect f32", g, NN(type_fp32), f32, 4);

    /* by name */
    NN(graph) gn = 0;
    err = NN(load_by_name)(name, (uint32_t)strlen(name), &gn);
    check("load_by_name of the preloaded model", err, NN(error_success));
    if (!err) identity("name f32", gn, NN(type_fp32), f32, 4);

    /* the integer types, numbered u8 3, i32 4, i64 5 in current WAMR */
    g = load_file("ident_u8.onnx", NN(encoding_onnx), &err);
    if (!err) identity("bytes u8", g, NN(type_u8), u8, 1);
    else check("load ident_u8.onnx", err, 0);
    g = load_file("ident_i32.onnx", NN(encoding_onnx), &err);
    if (!err) identity("bytes i32", g, NN(type_i32), i32, 4);
    else check("load ident_i32.onnx", err, 0);
    g = load_file("ident_i64.onnx", NN(encoding_onnx), &err);
    if (!err) identity("bytes i64", g, NN(type_i64), i64, 8);
    else check("load ident_i64.onnx", err, 0);

    /* errnos, in WAMR's numbering */
    NN(graph) none = 0;
    err = NN(load_by_name)("no-such-model", 13, &none);
    check("load_by_name of an unknown name: not_found", err, NN(error_not_found));
    NN(graph_execution_context) ctx = 0;
    err = NN(init_execution_context)(gn + 1000, &ctx);
    check("init_execution_context of an unknown graph: invalid_argument", err,
          NN(error_invalid_argument));
    err = NN(init_execution_context)(gn, &ctx);
    check("init_execution_context", err, NN(error_success));
    uint32_t dims[2] = {2, 3};
    NN(tensor) t = {{dims, 2}, NN(type_fp32), {0}, {(uint8_t *)f32, 24}};
    err = NN(set_input)(ctx, 0, &t);
    if (!err) err = NN(compute)(ctx);
    check("set_input + compute", err, NN(error_success));
    uint8_t small[8];
    uint32_t written = 0;
    err = NN(get_output)(ctx, 0, small, sizeof small, &written);
    check("get_output into 8 bytes: too_large", err, NN(error_too_large));
    err = NN(get_output)(ctx, 0, small, sizeof small, (uint32_t *)(uintptr_t)0xFFFFFFF0u);
    check("get_output with an out-of-range size pointer: missing_memory", err,
          NN(error_missing_memory));
    err = NN(load_by_name)((const char *)(uintptr_t)0xFFFFFF00u, 200, &none);
    check("load_by_name with an out-of-range name: missing_memory", err, NN(error_missing_memory));
    t.type = 6; /* bf16 in WIT numbering: not a witx tensor type */
    err = NN(set_input)(ctx, 0, &t);
    check("set_input with tensor type 6: invalid_argument", err, NN(error_invalid_argument));

    printf("done: %d failures\n", failures);
    return failures ? 1 : 0;
}
