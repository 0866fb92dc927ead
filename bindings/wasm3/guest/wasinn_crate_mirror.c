/*
 * wasinn_crate_mirror.c - a wasm32-wasi guest that drives wasi_ephemeral_nn exactly the way a
 * Rust guest built with the `wasi-nn` crate 0.6.x does, written in C so that it builds with
 * Debian's clang alone (no Rust wasm target needed).
 *
 * What "the way the crate does" means (wasi-nn 0.6.0, src/graph.rs + src/tensor.rs):
 *   - it imports only the six spec functions: load, load_by_name, init_execution_context,
 *     set_input, compute, get_output (no unload / finalize: the crate never releases handles);
 *   - GraphBuilder::new(encoding, target).build_from_bytes([..]) passes a `&[&[u8]]`, i.e. an
 *     array of (ptr, len) pairs, with the crate's GraphEncoding numbering (witx: onnx 1,
 *     autodetect 5) and ExecutionTarget (cpu 0);
 *   - build_from_cache(name) calls load_by_name with a NUL-terminated copy of the name (a
 *     CString) and name_len = name.len(), which excludes the NUL;
 *   - set_input(index, TensorType, &dims, &data) hands over a `#[repr(C)]` struct
 *     { dims: &[usize], tensor_type: TensorType, data: &[u8] }: the tensor type is a repr(C)
 *     enum, i.e. a full 4-byte integer at offset 8 (C guests usually write one byte there), dims
 *     are usize (u32 on wasm32), data.len is element count * size_of::<T>();
 *     TensorType numbering is witx: F16 0, F32 1, F64 2, U8 3, I32 4, I64 5;
 *   - get_output(index, &mut buf) passes the buffer's size in bytes as out_max and returns the
 *     bytes written; on an error the crate drops bytes_written, this mirror also reports it so
 *     a caller can retry after too_large (the host writes the needed size there).
 *
 * usage: wasinn_crate_mirror.wasm STEP...
 *   bytes:PATH        build_from_bytes(onnx) of the add model (a + b, f32 [2,3]) read from PATH;
 *                     runs it, including get_output with a 4-byte buffer (too_large, needed
 *                     size, retry) and an out-of-range output index
 *   autodetect:PATH   the same with GraphEncoding autodetect (5)
 *   cache:NAME        build_from_cache(NAME): an add model the host preloaded (--nn-preload)
 *   missing:NAME      build_from_cache(NAME) of a name the host does not know (not_found)
 *   multi:PATH        a model with inputs x i64 [2,2], y f32 [3] and outputs x+x (i64),
 *                     y*y (f32), float(x) (f32)
 *   ident:TYPE:PATH   an Identity model of TYPE (f16 f32 f64 u8 i32 i64) on [2,3]
 * Every step prints its results on stdout; the exit status is 1 when a call that must succeed
 * failed or a call that must fail did not fail the expected way ("FAIL" lines), else 0.
 *
 * build: bindings/wasm3/guest/build.sh out.wasm wasinn_crate_mirror.c
 *        (clang --target=wasm32-wasi -O2 -o out.wasm wasinn_crate_mirror.c)
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_io.h"

/* ---- the raw imports, as the crate's `generated` module declares them -- */

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

NN_IMPORT("load")
int32_t raw_load(int32_t builders_ptr, int32_t builders_len, int32_t encoding, int32_t target,
                 int32_t graph_out_ptr);
NN_IMPORT("load_by_name")
int32_t raw_load_by_name(int32_t name_ptr, int32_t name_len, int32_t graph_out_ptr);
NN_IMPORT("init_execution_context")
int32_t raw_init_execution_context(int32_t graph, int32_t ctx_out_ptr);
NN_IMPORT("set_input")
int32_t raw_set_input(int32_t ctx, int32_t index, int32_t tensor_ptr);
NN_IMPORT("compute")
int32_t raw_compute(int32_t ctx);
NN_IMPORT("get_output")
int32_t raw_get_output(int32_t ctx, int32_t index, int32_t out_ptr, int32_t out_max,
                       int32_t bytes_written_ptr);

#define PTR(p) ((int32_t)(uintptr_t)(p))

/* ---- the crate's types ---------------------------------------------------- */

typedef enum { ENC_OPENVINO = 0, ENC_ONNX, ENC_TENSORFLOW, ENC_PYTORCH, ENC_TFLITE, ENC_AUTODETECT } GraphEncoding;
typedef enum { TARGET_CPU = 0, TARGET_GPU, TARGET_TPU } ExecutionTarget;
typedef enum { TT_F16 = 0, TT_F32, TT_F64, TT_U8, TT_I32, TT_I64 } TensorType;

/* &[u8] / &[usize]: a fat pointer (ptr, len) */
typedef struct { const uint8_t *ptr; size_t len; } ByteSlice;
typedef struct { const size_t *ptr; size_t len; } DimSlice;

/* tensor::Tensor, #[repr(C)] */
typedef struct {
    DimSlice dimensions;
    TensorType tensor_type; /* repr(C) enum: 4 bytes */
    ByteSlice data;
} Tensor;

_Static_assert(sizeof(size_t) == 4, "wasm32: usize is u32");
_Static_assert(sizeof(ByteSlice) == 8, "&[u8] is (ptr, len)");
_Static_assert(sizeof(TensorType) == 4, "repr(C) enum");
_Static_assert(sizeof(Tensor) == 20, "tensor layout");
_Static_assert(offsetof(Tensor, tensor_type) == 8, "tensor.type offset");
_Static_assert(offsetof(Tensor, data) == 12, "tensor.data offset");

typedef struct { GraphEncoding encoding; ExecutionTarget target; } GraphBuilder;
typedef struct { GraphBuilder build_info; int32_t graph_handle; } Graph;
typedef struct { const Graph *graph; int32_t ctx_handle; } GraphExecutionContext;

/* Result<_, Error>: 0 or the backend errno */
typedef int32_t NnResult;

static GraphBuilder graph_builder_new(GraphEncoding encoding, ExecutionTarget target)
{
    GraphBuilder b = { encoding, target };
    return b;
}

/* GraphBuilder::build_from_bytes(bytes_array) */
static NnResult build_from_bytes(GraphBuilder self, const ByteSlice *bytes_array, size_t n, Graph *out)
{
    int32_t graph_handle = 0;
    NnResult res = raw_load(PTR(bytes_array), (int32_t)n, (int32_t)self.encoding,
                            (int32_t)self.target, PTR(&graph_handle));
    if (res == 0) {
        out->build_info = self;
        out->graph_handle = graph_handle;
    }
    return res;
}

/* GraphBuilder::build_from_cache(name) */
static NnResult build_from_cache(GraphBuilder self, const char *name, Graph *out)
{
    int32_t graph_handle = 0;
    size_t len = strlen(name);
    char *cstring = malloc(len + 1); /* CString::new(name) */
    if (!cstring) return 5;
    memcpy(cstring, name, len + 1);
    NnResult res = raw_load_by_name(PTR(cstring), (int32_t)len, PTR(&graph_handle));
    free(cstring);
    if (res == 0) {
        out->build_info = self;
        out->graph_handle = graph_handle;
    }
    return res;
}

/* Graph::init_execution_context() */
static NnResult init_execution_context(const Graph *self, GraphExecutionContext *out)
{
    int32_t ctx_handle = 0;
    NnResult res = raw_init_execution_context(self->graph_handle, PTR(&ctx_handle));
    if (res == 0) {
        out->graph = self;
        out->ctx_handle = ctx_handle;
    }
    return res;
}

/* GraphExecutionContext::set_input::<T>(index, tensor_type, dimensions, data) */
static NnResult set_input(GraphExecutionContext *self, size_t index, TensorType tensor_type,
                          const size_t *dims, size_t ndims, const void *data, size_t count,
                          size_t size_of_t)
{
    Tensor tensor_for_call = { { dims, ndims }, tensor_type, { data, count * size_of_t } };
    return raw_set_input(self->ctx_handle, (int32_t)index, PTR(&tensor_for_call));
}

/* GraphExecutionContext::compute() */
static NnResult compute(GraphExecutionContext *self) { return raw_compute(self->ctx_handle); }

/* GraphExecutionContext::get_output::<T>(index, out_buffer) -> bytes written. `out_size` is the
 * crate's local `out_size`, returned here on errors too (the crate drops it). */
static NnResult get_output(const GraphExecutionContext *self, size_t index, void *out_buffer,
                           size_t count, size_t size_of_t, size_t *out_size)
{
    size_t n = 0;
    NnResult res = raw_get_output(self->ctx_handle, (int32_t)index, PTR(out_buffer),
                                  (int32_t)(count * size_of_t), PTR(&n));
    *out_size = n;
    return res;
}

/* ---- the steps ------------------------------------------------------------ */

static int failures;

static const char *errno_name(int32_t e)
{
    switch (e) {
    case 0: return "success";
    case 1: return "invalid_argument";
    case 2: return "invalid_encoding";
    case 3: return "missing_memory";
    case 4: return "busy";
    case 5: return "runtime_error";
    case 6: return "unsupported_operation";
    case 7: return "too_large";
    case 8: return "not_found";
    default: return "unknown_errno";
    }
}

/* a call that must succeed */
static int ok(const char *step, const char *what, NnResult e)
{
    if (e == 0) return 1;
    printf("%s: FAIL %s: %s (%d)\n", step, what, errno_name(e), (int)e);
    failures++;
    return 0;
}

/* a call that must fail with `want` */
static void expect(const char *step, const char *what, NnResult e, NnResult want)
{
    printf("%s: %s -> %s (%d)\n", step, what, errno_name(e), (int)e);
    if (e != want) {
        printf("%s: FAIL %s: expected %s (%d)\n", step, what, errno_name(want), (int)want);
        failures++;
    }
}

/* build_from_bytes([std::fs::read(path)]) */
static int graph_from_file(const char *step, GraphEncoding enc, const char *path, Graph *g)
{
    size_t len = 0;
    uint8_t *bytes = guest_read_file(path, &len);
    if (!bytes) {
        printf("%s: FAIL cannot read %s\n", step, path);
        failures++;
        return 0;
    }
    ByteSlice arr[1] = { { bytes, len } };
    NnResult e = build_from_bytes(graph_builder_new(enc, TARGET_CPU), arr, 1, g);
    free(bytes); /* the host copied the bytes during the call */
    return ok(step, "build_from_bytes", e);
}

static void print_f32(const char *step, const char *label, const float *v, size_t n)
{
    printf("%s: %s", step, label);
    for (size_t i = 0; i < n; i++) printf(" %g", (double)v[i]);
    printf("\n");
}

/* The add model: sum = a + b, all f32 [2,3]. */
static void run_add(const char *step, const Graph *g)
{
    GraphExecutionContext ctx;
    if (!ok(step, "init_execution_context", init_execution_context(g, &ctx))) return;
    static const size_t dims[2] = { 2, 3 };
    float a[6], b[6], sum[6];
    for (int i = 0; i < 6; i++) { a[i] = (float)(i + 1); b[i] = (float)(10 * (i + 1)) + 0.5f; }
    size_t n = 0;

    expect(step, "get_output before compute", get_output(&ctx, 0, sum, 6, sizeof(float), &n), 1);
    if (!ok(step, "set_input 0", set_input(&ctx, 0, TT_F32, dims, 2, a, 6, sizeof(float)))) return;
    /* data.len must be product(dims) * 4: one element short */
    expect(step, "set_input with 5 of 6 elements", set_input(&ctx, 1, TT_F32, dims, 2, b, 5, sizeof(float)), 1);
    expect(step, "set_input index 2 (model has 2 inputs)", set_input(&ctx, 2, TT_F32, dims, 2, b, 6, sizeof(float)), 1);
    if (!ok(step, "set_input 1", set_input(&ctx, 1, TT_F32, dims, 2, b, 6, sizeof(float)))) return;
    if (!ok(step, "compute", compute(&ctx))) return;

    /* a buffer for one f32: too_large, and the host tells how many bytes are needed */
    memset(sum, 0, sizeof sum);
    NnResult e = get_output(&ctx, 0, sum, 1, sizeof(float), &n);
    expect(step, "get_output into 4 bytes", e, 7);
    printf("%s: needed %zu bytes, buffer untouched: %s\n", step, n, sum[0] == 0.0f ? "yes" : "no");
    if (n != sizeof sum || sum[0] != 0.0f) failures++;
    /* retry with the size the host asked for */
    size_t retry_count = n / sizeof(float);
    if (retry_count > 6) retry_count = 6;
    if (!ok(step, "get_output retry", get_output(&ctx, 0, sum, retry_count, sizeof(float), &n))) return;
    printf("%s: get_output 0 wrote %zu bytes\n", step, n);
    print_f32(step, "sum =", sum, 6);
    expect(step, "get_output index 1 (model has 1 output)", get_output(&ctx, 1, sum, 6, sizeof(float), &n), 1);

    /* a second inference on the same context: new inputs, same shapes */
    for (int i = 0; i < 6; i++) a[i] = -a[i];
    if (!ok(step, "set_input 0 again", set_input(&ctx, 0, TT_F32, dims, 2, a, 6, sizeof(float)))) return;
    if (!ok(step, "compute again", compute(&ctx))) return;
    if (!ok(step, "get_output again", get_output(&ctx, 0, sum, 6, sizeof(float), &n))) return;
    print_f32(step, "sum =", sum, 6);
}

static void step_bytes(const char *step, GraphEncoding enc, const char *path)
{
    Graph g;
    if (!graph_from_file(step, enc, path, &g)) return;
    run_add(step, &g);
}

static void step_cache(const char *step, const char *name)
{
    Graph g;
    if (!ok(step, "build_from_cache", build_from_cache(graph_builder_new(ENC_ONNX, TARGET_CPU), name, &g)))
        return;
    run_add(step, &g);
}

static void step_missing(const char *step, const char *name)
{
    Graph g;
    expect(step, "build_from_cache of an unknown name",
           build_from_cache(graph_builder_new(ENC_ONNX, TARGET_CPU), name, &g), 8);
}

/* x: i64 [2,2], y: f32 [3] -> x+x (i64 [2,2]), y*y (f32 [3]), float(x) (f32 [2,2]) */
static void step_multi(const char *step, const char *path)
{
    Graph g;
    GraphExecutionContext ctx;
    if (!graph_from_file(step, ENC_ONNX, path, &g)) return;
    if (!ok(step, "init_execution_context", init_execution_context(&g, &ctx))) return;
    static const size_t xdims[2] = { 2, 2 }, ydims[1] = { 3 };
    static const int64_t x[4] = { 1, -2, 3, INT64_C(1) << 33 };
    static const float y[3] = { 1.5f, -2.0f, 0.25f };
    if (!ok(step, "set_input 0 (i64)", set_input(&ctx, 0, TT_I64, xdims, 2, x, 4, sizeof(int64_t)))) return;
    if (!ok(step, "set_input 1 (f32)", set_input(&ctx, 1, TT_F32, ydims, 1, y, 3, sizeof(float)))) return;
    if (!ok(step, "compute", compute(&ctx))) return;

    int64_t twice[4];
    float sq[3], fx[4];
    size_t n = 0;
    if (!ok(step, "get_output 0", get_output(&ctx, 0, twice, 4, sizeof(int64_t), &n))) return;
    printf("%s: output 0 (%zu bytes) x+x =", step, n);
    for (int i = 0; i < 4; i++) printf(" %" PRId64, twice[i]);
    printf("\n");
    if (!ok(step, "get_output 1", get_output(&ctx, 1, sq, 3, sizeof(float), &n))) return;
    char label[64];
    snprintf(label, sizeof label, "output 1 (%zu bytes) y*y =", n);
    print_f32(step, label, sq, 3);
    if (!ok(step, "get_output 2", get_output(&ctx, 2, fx, 4, sizeof(float), &n))) return;
    snprintf(label, sizeof label, "output 2 (%zu bytes) float(x) =", n);
    print_f32(step, label, fx, 4);
    /* output 1 is 12 bytes: a 2-element buffer is too small */
    NnResult e = get_output(&ctx, 1, sq, 2, sizeof(float), &n);
    expect(step, "get_output 1 into 8 bytes", e, 7);
    printf("%s: needed %zu bytes\n", step, n);
    if (n != 12) failures++;
    expect(step, "get_output index 3 (model has 3 outputs)", get_output(&ctx, 3, sq, 3, sizeof(float), &n), 1);
}

static void step_ident(const char *step, const char *type, const char *path)
{
    static const size_t dims[2] = { 2, 3 };
    static const uint16_t f16[6] = { 0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x3555 };
    static const float f32[6] = { 1.0f, -2.5f, 0.125f, 0.0f, 3.0e38f, -1.0e-30f };
    static const double f64[6] = { 1.0, -2.5, 0.1, 0.0, 1.0e300, -1.0e-300 };
    static const uint8_t u8[6] = { 0, 1, 127, 128, 254, 255 };
    static const int32_t i32[6] = { INT32_MIN, -1, 0, 1, 42, INT32_MAX };
    static const int64_t i64[6] = { INT64_MIN, -1, 0, 1, INT64_C(1) << 40, INT64_MAX };
    TensorType tt;
    const void *data;
    size_t size;
    if (strcmp(type, "f16") == 0) { tt = TT_F16; data = f16; size = 2; }
    else if (strcmp(type, "f32") == 0) { tt = TT_F32; data = f32; size = 4; }
    else if (strcmp(type, "f64") == 0) { tt = TT_F64; data = f64; size = 8; }
    else if (strcmp(type, "u8") == 0) { tt = TT_U8; data = u8; size = 1; }
    else if (strcmp(type, "i32") == 0) { tt = TT_I32; data = i32; size = 4; }
    else if (strcmp(type, "i64") == 0) { tt = TT_I64; data = i64; size = 8; }
    else {
        printf("%s: FAIL unknown tensor type %s\n", step, type);
        failures++;
        return;
    }

    Graph g;
    GraphExecutionContext ctx;
    if (!graph_from_file(step, ENC_ONNX, path, &g)) return;
    if (!ok(step, "init_execution_context", init_execution_context(&g, &ctx))) return;
    if (!ok(step, "set_input", set_input(&ctx, 0, tt, dims, 2, data, 6, size))) return;
    if (!ok(step, "compute", compute(&ctx))) return;
    _Alignas(8) uint8_t out[48];
    memset(out, 0xee, sizeof out);
    size_t n = 0;
    if (!ok(step, "get_output", get_output(&ctx, 0, out, sizeof out, 1, &n))) return;
    printf("%s: %s identity wrote %zu bytes, equal to the input: %s, values", step, type, n,
           n == 6 * size && memcmp(out, data, n) == 0 ? "yes" : "no");
    if (n != 6 * size || memcmp(out, data, n) != 0) failures++;
    for (int i = 0; i < 6; i++) {
        switch (tt) {
        case TT_F16: printf(" 0x%04x", ((const uint16_t *)(const void *)out)[i]); break;
        case TT_F32: printf(" %g", (double)((const float *)(const void *)out)[i]); break;
        case TT_F64: printf(" %g", ((const double *)(const void *)out)[i]); break;
        case TT_U8: printf(" %u", out[i]); break;
        case TT_I32: printf(" %" PRId32, ((const int32_t *)(const void *)out)[i]); break;
        case TT_I64: printf(" %" PRId64, ((const int64_t *)(const void *)out)[i]); break;
        }
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wasinn_crate_mirror.wasm STEP... (bytes:PATH autodetect:PATH "
                        "cache:NAME missing:NAME multi:PATH ident:TYPE:PATH)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        char *colon = strchr(arg, ':');
        if (!colon) {
            printf("%s: FAIL not a STEP:ARG\n", arg);
            failures++;
            continue;
        }
        *colon = '\0';
        const char *kind = arg, *rest = colon + 1;
        if (strcmp(kind, "bytes") == 0) step_bytes("bytes", ENC_ONNX, rest);
        else if (strcmp(kind, "autodetect") == 0) step_bytes("autodetect", ENC_AUTODETECT, rest);
        else if (strcmp(kind, "cache") == 0) step_cache("cache", rest);
        else if (strcmp(kind, "missing") == 0) step_missing("missing", rest);
        else if (strcmp(kind, "multi") == 0) step_multi("multi", rest);
        else if (strcmp(kind, "ident") == 0) {
            char *c2 = strchr(rest, ':');
            if (!c2) {
                printf("ident: FAIL expected ident:TYPE:PATH\n");
                failures++;
                continue;
            }
            *c2 = '\0';
            step_ident("ident", rest, c2 + 1);
        } else {
            printf("%s: FAIL unknown step\n", kind);
            failures++;
        }
    }
    printf("done: %d failure%s\n", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
