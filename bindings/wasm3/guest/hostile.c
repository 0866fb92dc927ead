/*
 * hostile.c - a wasm32-wasi guest that attacks the host's wasi_ephemeral_nn: out-of-range and
 * straddling pointers, lengths whose u32 arithmetic wraps, dims whose product overflows, huge
 * ranks, dirty padding in the tensor struct, stale / forged / foreign-kind handles, calls in the
 * wrong order, memory grown between calls, too-small output buffers. Each case checks the errno
 * the host documents (include/wasinn.h, src/glue/profile.rs; ../shared/WASI-NN-ABI.md section 3
 * lists the bugs other runtimes shipped) and that canary bytes around every out-buffer are
 * unchanged (a failing call writes nothing, except get_output's needed size on too_large).
 *
 * Host-agnostic: the errno and tensor-type numbering come from the first argument, so any host
 * of the project (wasm3, wasmtime-py, WasmEdge, WAMR, wasmtime's C API) can run it under the
 * profile it serves; run-hostile.sh runs it in each (docs/stress.md has the counts).
 *
 * usage: hostile.wasm PROFILE MODEL.onnx NAME
 *   PROFILE     spec | wasmedge | wamr | wamr-2.1 (the numbering the host serves the guest with:
 *               the host's --profile of the same name, src/glue/profile.rs)
 *   MODEL.onnx  the add model (a + b, f32 [2,3], inputs a b, output sum), read through WASI
 *               (crate_mirror_cases.py writes it as add.onnx)
 *   NAME        the same model preloaded by the host (load_by_name)
 * Prints one line per case ("ok ..." or "FAIL ..."), then "N passed, M failed"; exits 1 on any
 * failure, 2 on a usage or setup error.
 *
 * Built twice: plain (the six spec functions, unload and finalize_execution_context, which every
 * glue of the project serves), and with -DHOSTILE_WASMEDGE_EXTRAS (also load_by_name_with_config,
 * compute_single, get_output_single, fini_single) for hosts that serve WasmEdge's extras.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_io.h"

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN_IMPORT("load") uint32_t nn_load(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
NN_IMPORT("load_by_name") uint32_t nn_load_by_name(uint32_t, uint32_t, uint32_t);
NN_IMPORT("init_execution_context") uint32_t nn_init(uint32_t, uint32_t);
NN_IMPORT("set_input") uint32_t nn_set_input(uint32_t, uint32_t, uint32_t);
NN_IMPORT("compute") uint32_t nn_compute(uint32_t);
NN_IMPORT("get_output") uint32_t nn_get_output(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
NN_IMPORT("unload") uint32_t nn_unload(uint32_t);
NN_IMPORT("finalize_execution_context") uint32_t nn_finalize(uint32_t);
#ifdef HOSTILE_WASMEDGE_EXTRAS
NN_IMPORT("load_by_name_with_config")
uint32_t nn_load_by_name_with_config(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
NN_IMPORT("compute_single") uint32_t nn_compute_single(uint32_t);
NN_IMPORT("get_output_single") uint32_t nn_get_output_single(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
NN_IMPORT("fini_single") uint32_t nn_fini_single(uint32_t);
#endif

#define P(x) ((uint32_t)(uintptr_t)(x))

/* ---- the profile's numbering ------------------------------------------------------------- */

enum { E_OK, E_INVALID_ARGUMENT, E_INVALID_ENCODING, E_MISSING_MEMORY, E_RUNTIME_ERROR,
       E_UNSUPPORTED_OPERATION, E_TOO_LARGE, E_NOT_FOUND, E_COUNT };
static const char *const errno_name[E_COUNT] = {"success", "invalid_argument", "invalid_encoding",
    "missing_memory", "runtime_error", "unsupported_operation", "too_large", "not_found"};
static uint32_t errno_value[E_COUNT];
static uint32_t tt_f32, tt_i32;
enum { ENC_ONNX = 1, TARGET_CPU = 0 }; /* the same in every profile */

static int set_profile(const char *p)
{
    if (strcmp(p, "spec") == 0 || strcmp(p, "wasmedge") == 0) {
        /* witx nn_errno; WasmEdge shares it */
        const uint32_t v[E_COUNT] = {0, 1, 2, 3, 5, 6, 7, 8};
        memcpy(errno_value, v, sizeof v);
        tt_f32 = 1; tt_i32 = 4;
    } else if (strcmp(p, "wamr") == 0) {
        /* WAMR 2.4 and later: witx errnos and tensor types (only the encodings follow the WIT
         * order, and onnx is 1 there too) */
        const uint32_t v[E_COUNT] = {0, 1, 2, 3, 5, 6, 7, 8};
        memcpy(errno_value, v, sizeof v);
        tt_f32 = 1; tt_i32 = 4;
    } else if (strcmp(p, "wamr-2.1") == 0) {
        /* WAMR 2.1-2.3: success, then WIT error-code order; no missing_memory (out of range is
         * invalid_argument); WIT-order tensor types (bf16 3) */
        const uint32_t v[E_COUNT] = {0, 1, 2, 1, 4, 5, 6, 7};
        memcpy(errno_value, v, sizeof v);
        tt_f32 = 1; tt_i32 = 5;
    } else {
        return -1;
    }
    return 0;
}

/* ---- canaries ------------------------------------------------------------------------------ */

#define CANARY 0xA5
/* Out-buffers of the cases live in `arena`; the last bytes of the memory (a page the guest took
 * for itself, see main) are watched too, for the straddling pointers. */
static uint8_t arena[512];
enum { TAIL = 64 };

static uint32_t mem_end(void) { return (uint32_t)(__builtin_wasm_memory_size(0) * 65536u); }

static void arm(void)
{
    memset(arena, CANARY, sizeof arena);
    memset((uint8_t *)(uintptr_t)(mem_end() - TAIL), CANARY, TAIL);
}

static int kept(uint32_t at, uint32_t k1, uint32_t l1, uint32_t k2, uint32_t l2)
{
    return (at >= k1 && at - k1 < l1) || (at >= k2 && at - k2 < l2);
}

/* 1 when every watched byte outside [k1, k1 + l1) and [k2, k2 + l2) still holds the canary. */
static int intact_ranges(uint32_t k1, uint32_t l1, uint32_t k2, uint32_t l2)
{
    const uint8_t *tail = (const uint8_t *)(uintptr_t)(mem_end() - TAIL);
    for (uint32_t i = 0; i < sizeof arena; i++)
        if (!kept(P(arena + i), k1, l1, k2, l2) && arena[i] != CANARY) return 0;
    for (uint32_t i = 0; i < TAIL; i++)
        if (!kept(P(tail + i), k1, l1, k2, l2) && tail[i] != CANARY) return 0;
    return 1;
}
static int intact_except(uint32_t keep, uint32_t len) { return intact_ranges(keep, len, 0, 0); }
static int intact(void) { return intact_ranges(0, 0, 0, 0); }

/* ---- reporting ---------------------------------------------------------------------------- */

static int passed, failed;

static const char *name_of(uint32_t v)
{
    for (int i = 0; i < E_COUNT; i++)
        if (errno_value[i] == v) return errno_name[i];
    return "?";
}

/* One case: the call returned `got`, the profile's `want` was expected, and the canaries must be
 * intact (`canaries_ok`). */
static void expect(const char *what, uint32_t got, int want, int canaries_ok)
{
    int ok = got == errno_value[want] && canaries_ok;
    if (ok) {
        printf("ok   %s -> %s (%u)\n", what, errno_name[want], errno_value[want]);
        passed++;
    } else {
        printf("FAIL %s -> got %u (%s), want %u (%s)%s\n", what, got, name_of(got), errno_value[want],
               errno_name[want], canaries_ok ? "" : ", canary bytes changed");
        failed++;
    }
}

static void truth(const char *what, int ok)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (ok) passed++; else failed++;
}

/* ---- the wasm32 records ------------------------------------------------------------------ */

typedef struct { uint32_t ptr, len; } builder_t;
/* tensor: dims ptr/len, type (byte 8, then 3 padding bytes), data ptr/len: 20 bytes */
typedef struct { uint32_t dims_ptr, dims_len, type_word, data_ptr, data_len; } tensor_t;
_Static_assert(sizeof(tensor_t) == 20, "wasm32 tensor record");

static uint8_t *model;
static uint32_t model_len;
static const char *model_name;
static uint32_t dims23[2] = {2, 3};
static float in_a[6] = {1, 2, 3, 4, 5, 6}, in_b[6] = {10.5f, 20.5f, 30.5f, 40.5f, 50.5f, 60.5f};

static tensor_t tensor_of(uint32_t type, const float *data)
{
    tensor_t t = {P(dims23), 2, type, P(data), 24};
    return t;
}

/* A set-up call that must succeed: 1 when it did, else a FAIL line and 0. */
static int setup(uint32_t e, const char *what)
{
    if (e == 0) return 1;
    printf("FAIL setup: %s -> %u (%s)\n", what, e, name_of(e));
    failed++;
    return 0;
}

/* A graph of the add model loaded by bytes, or 0 after a FAIL line. */
static uint32_t load_graph(void)
{
    builder_t b = {P(model), model_len};
    uint32_t g;
    return setup(nn_load(P(&b), 1, ENC_ONNX, TARGET_CPU, P(&g)), "load of the add model") ? g : 0;
}

static uint32_t new_ctx(uint32_t g)
{
    uint32_t c;
    return setup(nn_init(g, P(&c)), "init_execution_context") ? c : 0;
}

/* A context with both inputs set and computed. */
static uint32_t computed_ctx(uint32_t g)
{
    uint32_t c = new_ctx(g);
    tensor_t a = tensor_of(tt_f32, in_a), b = tensor_of(tt_f32, in_b);
    uint32_t e = nn_set_input(c, 0, P(&a));
    if (e == 0) e = nn_set_input(c, 1, P(&b));
    if (e == 0) e = nn_compute(c);
    setup(e, "set_input/compute");
    return c;
}

static int sum_is_right(const float *out)
{
    for (int i = 0; i < 6; i++)
        if (out[i] != in_a[i] + in_b[i]) return 0;
    return 1;
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void load_cases(void)
{
    uint32_t M = mem_end();
    uint32_t *out = (uint32_t *)arena;
    builder_t *b = (builder_t *)(arena + 64); /* armed with canaries, then filled by each case */
    uint32_t e;

    arm(); e = nn_load(M - 4, 1, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: builder array straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load(0xFFFFFFF8u, 1, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: builder array at 0xFFFFFFF8 (ptr + 8 wraps u32)", e, E_MISSING_MEMORY, intact());
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 0x20000000u, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: builder_len 0x20000000 (len * 8 wraps u32 to 0)", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 0x20000001u, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: builder_len 0x20000001 (len * 8 wraps u32 to 8)", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = M - 10; b->len = 100;
    e = nn_load(P(b), 1, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: model bytes straddle the memory end", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = 16; b->len = 0xFFFFFFFFu;
    e = nn_load(P(b), 1, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: model length 0xFFFFFFFF (ptr + len wraps u32)", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 1, ENC_ONNX, TARGET_CPU, M - 2);
    expect("load: graph_out straddles the memory end", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 1, ENC_ONNX, TARGET_CPU, 0xFFFFFFFFu);
    expect("load: graph_out at 0xFFFFFFFF", e, E_MISSING_MEMORY, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 1, 99, TARGET_CPU, P(out));
    expect("load: encoding 99", e, E_INVALID_ENCODING, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 1, 0xFFFFFFFFu, TARGET_CPU, P(out));
    expect("load: encoding 0xFFFFFFFF", e, E_INVALID_ENCODING, intact_except(P(b), 8));
    arm(); b->ptr = P(model); b->len = model_len;
    e = nn_load(P(b), 1, ENC_ONNX, 99, P(out));
    expect("load: target 99", e, E_INVALID_ARGUMENT, intact_except(P(b), 8));
    arm(); e = nn_load(P(b), 0, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: zero builders", e, E_INVALID_ARGUMENT, intact_except(P(b), 8));
    static const char junk[] = "this is not an onnx model, just 48 bytes of text";
    arm(); b->ptr = P(junk); b->len = sizeof junk - 1;
    e = nn_load(P(b), 1, ENC_ONNX, TARGET_CPU, P(out));
    expect("load: text bytes as onnx", e, E_INVALID_ENCODING, intact_except(P(b), 8));
}

static void load_by_name_cases(void)
{
    uint32_t M = mem_end();
    uint32_t *out = (uint32_t *)arena;
    uint32_t n = (uint32_t)strlen(model_name), e;
    static const char passwd[] = "/etc/passwd", bad_utf8[] = "\xff\xfe\xc0";

    arm(); e = nn_load_by_name(M - 2, 4, P(out));
    expect("load_by_name: name straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name(P(model_name), 0xFFFFFFFFu, P(out));
    expect("load_by_name: name_len 0xFFFFFFFF", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name(P(model_name), n, M - 3);
    expect("load_by_name: graph_out straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name(P("no-such-model"), 13, P(out));
    expect("load_by_name: unknown name", e, E_NOT_FOUND, intact());
    arm(); e = nn_load_by_name(P(passwd), sizeof passwd - 1, P(out));
    expect("load_by_name: a host path as the name", e, E_NOT_FOUND, intact());
    arm(); e = nn_load_by_name(P(bad_utf8), 3, P(out));
    expect("load_by_name: name not UTF-8", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_load_by_name(P(model_name), n - 1, P(out));
    expect("load_by_name: a prefix of a preloaded name", e, E_NOT_FOUND, intact());
    arm(); e = nn_load_by_name(P(model_name), n, P(out) + 1); /* unaligned out-pointer */
    truth("load_by_name: preloaded name, unaligned graph_out, only its 4 bytes written",
          e == 0 && intact_except(P(out) + 1, 4));
}

static void handle_cases(void)
{
    uint32_t *out = (uint32_t *)arena, e;
    uint32_t g = load_graph();
    if (g == 0) return;

    arm(); e = nn_init(0, P(out));
    expect("init_execution_context: graph 0 (never issued)", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_init(0xFFFFFFFFu, P(out));
    expect("init_execution_context: forged graph 0xFFFFFFFF", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_init(g + 1000, P(out));
    expect("init_execution_context: forged graph (issued + 1000)", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_init(g, mem_end() - 1);
    expect("init_execution_context: ctx_out straddles the memory end", e, E_MISSING_MEMORY, intact());
    uint32_t c = new_ctx(g);
    arm(); e = nn_init(c, P(out));
    expect("init_execution_context: a context handle as the graph", e, E_INVALID_ARGUMENT, intact());
    tensor_t a = tensor_of(tt_f32, in_a);
    e = nn_set_input(g, 0, P(&a));
    expect("set_input: a graph handle as the context", e, E_INVALID_ARGUMENT, 1);
    e = nn_compute(g);
    expect("compute: a graph handle as the context", e, E_INVALID_ARGUMENT, 1);
    e = nn_unload(c);
    expect("unload: a context handle as the graph", e, E_INVALID_ARGUMENT, 1);
    e = nn_finalize(g);
    expect("finalize_execution_context: a graph handle as the context", e, E_INVALID_ARGUMENT, 1);

    /* stale handles: released, then used; ids are never reused */
    truth("unload: graph released", nn_unload(g) == 0);
    expect("unload: the same graph again", nn_unload(g), E_INVALID_ARGUMENT, 1);
    arm(); e = nn_init(g, P(out));
    expect("init_execution_context: an unloaded graph", e, E_INVALID_ARGUMENT, intact());
    e = nn_set_input(c, 0, P(&a));
    truth("set_input: a context outlives its unloaded graph", e == 0);
    truth("finalize_execution_context: context released", nn_finalize(c) == 0);
    expect("finalize_execution_context: the same context again", nn_finalize(c), E_INVALID_ARGUMENT, 1);
    expect("set_input: a finalized context", nn_set_input(c, 0, P(&a)), E_INVALID_ARGUMENT, 1);
    expect("compute: a finalized context", nn_compute(c), E_INVALID_ARGUMENT, 1);
    arm(); e = nn_get_output(c, 0, P(arena + 64), 24, P(out));
    expect("get_output: a finalized context", e, E_INVALID_ARGUMENT, intact());
    uint32_t g2 = load_graph(), c2 = g2 ? new_ctx(g2) : 0;
    truth("handles: new graph and context ids differ from the released ones",
          g2 != 0 && g2 != g && g2 != c && c2 != 0 && c2 != g && c2 != c);
    nn_finalize(c2);
    nn_unload(g2);
}

/* set_input of `tensor` (input 0, input 1 correct) on a fresh context of g: refused with `want`
 * (or `also`) at set_input, or accepted and then refused by compute with runtime_error. */
static void late_refusal(const char *what, uint32_t g, uint32_t tensor, int want, int also)
{
    uint32_t c = new_ctx(g);
    tensor_t b = tensor_of(tt_f32, in_b);
    uint32_t e = nn_set_input(c, 0, tensor);
    char line[200];
    if (e != 0) {
        snprintf(line, sizeof line, "%s, refused by set_input", what);
        expect(line, e, e == errno_value[also] ? also : want, 1);
    } else {
        e = nn_set_input(c, 1, P(&b));
        if (e == 0) e = nn_compute(c);
        snprintf(line, sizeof line, "%s, accepted by set_input (this backend checks at compute), then compute", what);
        expect(line, e, E_RUNTIME_ERROR, 1);
    }
    nn_finalize(c);
}

static void set_input_cases(void)
{
    uint32_t M = mem_end(), e;
    uint32_t g = load_graph();
    if (g == 0) return;
    uint32_t c = new_ctx(g);
    tensor_t *t = (tensor_t *)(arena + 128);
    uint32_t *dims = (uint32_t *)(arena + 192);
    tensor_t ok = tensor_of(tt_f32, in_a);

#define TENSOR(...) (*t = (tensor_t){__VA_ARGS__}, P(t))
    e = nn_set_input(c, 0, M - 10);
    expect("set_input: tensor record straddles the memory end", e, E_MISSING_MEMORY, 1);
    e = nn_set_input(c, 0, 0xFFFFFFF0u);
    expect("set_input: tensor record at 0xFFFFFFF0 (ptr + 20 wraps u32)", e, E_MISSING_MEMORY, 1);
    e = nn_set_input(c, 0, TENSOR(M - 4, 2, tt_f32, P(in_a), 24));
    expect("set_input: dims straddle the memory end", e, E_MISSING_MEMORY, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 0x40000001u, tt_f32, P(in_a), 24));
    expect("set_input: rank 0x40000001 (rank * 4 wraps u32 to 4)", e, E_INVALID_ARGUMENT, 1);
    for (int i = 0; i < 33; i++) dims[i] = 1;
    e = nn_set_input(c, 0, TENSOR(P(dims), 33, tt_f32, P(in_a), 4));
    expect("set_input: rank 33 (above the cap of 32)", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims), 0xFFFFFFFFu, tt_f32, P(in_a), 4));
    expect("set_input: rank 0xFFFFFFFF", e, E_INVALID_ARGUMENT, 1);
    dims[0] = dims[1] = dims[2] = 0xFFFFFFFFu;
    e = nn_set_input(c, 0, TENSOR(P(dims), 3, tt_f32, P(in_a), 24));
    expect("set_input: dims product overflows 64 bits", e, E_INVALID_ARGUMENT, 1);
    dims[0] = 0x40000000u; dims[1] = 1;
    e = nn_set_input(c, 0, TENSOR(P(dims), 2, tt_f32, P(in_a), 0));
    expect("set_input: 2^30 f32 elements (bytes wrap u32 to 0), data_len 0", e, E_INVALID_ARGUMENT, 1);
    dims[0] = 0x40000000u; dims[1] = 4; dims[2] = 6;
    e = nn_set_input(c, 0, TENSOR(P(dims), 3, tt_f32, P(in_a), 24));
    expect("set_input: dims product * 4 wraps u32 to 24 bytes", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 2, tt_f32, M - 8, 24));
    expect("set_input: data straddles the memory end", e, E_MISSING_MEMORY, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 2, tt_f32, 0xFFFFFFF0u, 24));
    expect("set_input: data at 0xFFFFFFF0 (ptr + len wraps u32)", e, E_MISSING_MEMORY, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 2, tt_f32, P(in_a), 20));
    expect("set_input: 5 of 6 elements", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 2, tt_f32, P(in_a), 28));
    expect("set_input: 7 elements' bytes for 6", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(c, 0, TENSOR(P(dims23), 2, 200, P(in_a), 24));
    expect("set_input: tensor type 200", e, E_INVALID_ARGUMENT, 1);
    /* Backends differ here (measured in WasmEdge: tract and onnxruntime accept a wrong element
     * type or shape at set_input and refuse it at compute with runtime_error; openvino refuses
     * both at set_input with invalid_argument, where the header promises unsupported_operation
     * for a wrong element type). What every backend must do: refuse it at set_input or compute,
     * never trap and never compute on data the model cannot take. */
    late_refusal("set_input: i32 data for the f32 input", g, TENSOR(P(dims23), 2, tt_i32, P(in_a), 24),
                 E_UNSUPPORTED_OPERATION, E_INVALID_ARGUMENT);
    dims[0] = 3; dims[1] = 2;
    late_refusal("set_input: dims [3,2] for the [2,3] input", g, TENSOR(P(dims), 2, tt_f32, P(in_a), 24),
                 E_INVALID_ARGUMENT, E_INVALID_ARGUMENT);
    e = nn_set_input(c, 2, P(&ok));
    expect("set_input: index 2 (the model has 2 inputs)", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(c, 0xFFFFFFFFu, P(&ok));
    expect("set_input: index 0xFFFFFFFF", e, E_INVALID_ARGUMENT, 1);
    e = nn_set_input(0xFFFFFFFFu, 0, P(&ok));
    expect("set_input: forged context 0xFFFFFFFF", e, E_INVALID_ARGUMENT, 1);

    /* Dirty padding: bytes 9..11 of the type word hold garbage; only byte 8 counts. The tensor
     * record itself is unaligned (offset 1) to check unaligned reads. */
    uint8_t *raw = arena + 257;
    tensor_t dirty = tensor_of(tt_f32 | 0xDEADBE00u, in_a);
    memcpy(raw, &dirty, sizeof dirty);
    e = nn_set_input(c, 0, P(raw));
    truth("set_input: garbage in the tensor's padding bytes, record unaligned -> success", e == 0);
    nn_finalize(c);
    nn_unload(g);
#undef TENSOR
}

static void order_and_output_cases(void)
{
    uint32_t e;
    uint32_t *written = (uint32_t *)arena;
    float *buf = (float *)(arena + 64);
    uint32_t g = load_graph();
    if (g == 0) return;

    uint32_t c = new_ctx(g);
    expect("compute: before any set_input", nn_compute(c), E_INVALID_ARGUMENT, 1);
    arm(); e = nn_get_output(c, 0, P(buf), 24, P(written));
    expect("get_output: before compute", e, E_INVALID_ARGUMENT, intact());
    tensor_t a = tensor_of(tt_f32, in_a);
    nn_set_input(c, 0, P(&a));
    expect("compute: with input 1 never set", nn_compute(c), E_INVALID_ARGUMENT, 1);
    nn_finalize(c);

    c = computed_ctx(g);
    arm(); e = nn_get_output(c, 0, P(buf), 4, P(written));
    expect("get_output: 4-byte buffer for 24 bytes", e, E_TOO_LARGE, intact_except(P(written), 4));
    truth("get_output: too_large wrote the needed size 24, nothing in the buffer", *written == 24);
    arm(); e = nn_get_output(c, 0, P(buf), 0, P(written));
    expect("get_output: 0-byte buffer", e, E_TOO_LARGE, intact_except(P(written), 4));
    arm(); e = nn_get_output(c, 0, mem_end() - 8, 24, P(written));
    expect("get_output: buffer straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_get_output(c, 0, P(buf), 0xFFFFFFF8u, P(written));
    expect("get_output: out_max 0xFFFFFFF8 (ptr + max wraps u32)", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_get_output(c, 0, P(buf), 24, mem_end() - 2);
    expect("get_output: bytes_written straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_get_output(c, 0, P(buf), 24, 0xFFFFFFFEu);
    expect("get_output: bytes_written at 0xFFFFFFFE", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_get_output(c, 1, P(buf), 24, P(written));
    expect("get_output: index 1 (the model has 1 output)", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_get_output(c, 0xFFFFFFFFu, P(buf), 24, P(written));
    expect("get_output: index 0xFFFFFFFF", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_get_output(0xFFFFFFFFu, 0, P(buf), 24, P(written));
    expect("get_output: forged context 0xFFFFFFFF", e, E_INVALID_ARGUMENT, intact());
    arm(); e = nn_get_output(c, 0, P(buf), 24, P(written));
    truth("get_output: exact 24-byte buffer: right sum, only the buffer and bytes_written written",
          e == 0 && *written == 24 && sum_is_right(buf) && intact_ranges(P(buf), 24, P(written), 4));
    arm(); e = nn_get_output(c, 0, P(arena + 129), 100, P(arena + 250)); /* unaligned, roomy */
    float unaligned[6];
    memcpy(unaligned, arena + 129, 24);
    uint32_t w;
    memcpy(&w, arena + 250, 4);
    truth("get_output: unaligned 100-byte buffer: 24 bytes written, nothing past them",
          e == 0 && w == 24 && sum_is_right(unaligned) && intact_ranges(P(arena + 129), 24, P(arena + 250), 4));

    /* memory.grow between calls: the host must look the memory up again on every call. */
    uint32_t old_end = mem_end();
    if (__builtin_wasm_memory_grow(0, 1) == (size_t)-1) {
        truth("memory.grow by one page", 0);
    } else {
        float *fresh = (float *)(uintptr_t)(old_end + 1024);
        uint32_t *fresh_w = (uint32_t *)(uintptr_t)(old_end + 2048);
        arm();
        e = nn_get_output(c, 0, P(fresh), 24, P(fresh_w));
        truth("get_output: into a page grown after compute: right sum", e == 0 && *fresh_w == 24 && sum_is_right(fresh));
        arm(); e = nn_get_output(c, 0, mem_end() - 8, 24, P(written));
        expect("get_output: buffer straddles the new memory end", e, E_MISSING_MEMORY, intact());
        /* inputs read from the new page, then the memory grows again before compute */
        uint32_t c2 = new_ctx(g);
        memcpy(fresh, in_b, 24);
        tensor_t fb = tensor_of(tt_f32, fresh);
        e = nn_set_input(c2, 0, P(&a));
        if (e == 0) e = nn_set_input(c2, 1, P(&fb));
        if (e == 0 && __builtin_wasm_memory_grow(0, 1) == (size_t)-1) e = 0xFFFF;
        memset(fresh, 0, 24); /* the host copied the input: changing it now changes nothing */
        if (e == 0) e = nn_compute(c2);
        if (e == 0) e = nn_get_output(c2, 0, P(buf), 24, P(written));
        truth("set_input from a grown page, grow again, compute: right sum (input was copied)",
              e == 0 && sum_is_right(buf));
        nn_finalize(c2);
    }
    nn_finalize(c);
    nn_unload(g);
}

#ifdef HOSTILE_WASMEDGE_EXTRAS
static void wasmedge_extra_cases(void)
{
    uint32_t M = mem_end(), e;
    uint32_t *out = (uint32_t *)arena, *written = (uint32_t *)arena;
    uint32_t n = (uint32_t)strlen(model_name);
    static const char config[] = "{\"n-gpu-layers\": 0}";

    arm(); e = nn_load_by_name_with_config(P(model_name), n, M - 4, 16, P(out));
    expect("load_by_name_with_config: config straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name_with_config(P(model_name), n, P(config), 0xFFFFFFFFu, P(out));
    expect("load_by_name_with_config: config_len 0xFFFFFFFF", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name_with_config(M - 1, 8, P(config), sizeof config - 1, P(out));
    expect("load_by_name_with_config: name straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_load_by_name_with_config(P("nope"), 4, P(config), sizeof config - 1, P(out));
    expect("load_by_name_with_config: unknown name", e, E_NOT_FOUND, intact());
    arm(); e = nn_load_by_name_with_config(P(model_name), n, P(config), sizeof config - 1, M - 3);
    expect("load_by_name_with_config: graph_out straddles the memory end", e, E_MISSING_MEMORY, intact());

    uint32_t g = load_graph();
    if (g == 0) return;
    uint32_t c = new_ctx(g);
    expect("compute_single: before any set_input", nn_compute_single(c), E_INVALID_ARGUMENT, 1);
    expect("compute_single: forged context", nn_compute_single(0xFFFFFFFFu), E_INVALID_ARGUMENT, 1);
    expect("compute_single: a graph handle as the context", nn_compute_single(g), E_INVALID_ARGUMENT, 1);
    expect("fini_single: forged context", nn_fini_single(0xFFFFFFFFu), E_INVALID_ARGUMENT, 1);
    nn_finalize(c);
    c = computed_ctx(g);
    float *buf = (float *)(arena + 64);
    /* The ONNX backends do not stream: the streaming calls are unsupported_operation (they were
     * aliases of compute before the streaming plugin ABI); guest ranges are still checked first. */
    arm(); e = nn_get_output_single(c, 0, P(buf), 8, P(written));
    expect("get_output_single: on a backend that does not stream", e, E_UNSUPPORTED_OPERATION, intact());
    arm(); e = nn_get_output_single(c, 0, M - 4, 24, P(written));
    expect("get_output_single: buffer straddles the memory end", e, E_MISSING_MEMORY, intact());
    arm(); e = nn_get_output_single(c, 0, P(buf), 24, M - 1);
    expect("get_output_single: bytes_written straddles the memory end", e, E_MISSING_MEMORY, intact());
    expect("compute_single: on a backend that does not stream", nn_compute_single(c), E_UNSUPPORTED_OPERATION, 1);
    expect("fini_single: on a backend that does not stream", nn_fini_single(c), E_UNSUPPORTED_OPERATION, 1);
    truth("the context stays usable after the streaming calls", nn_compute(c) == 0);
    nn_finalize(c);
    expect("fini_single: a finalized context", nn_fini_single(c), E_INVALID_ARGUMENT, 1);
    expect("get_output_single: a finalized context", nn_get_output_single(c, 0, P(buf), 24, P(written)),
           E_INVALID_ARGUMENT, 1);
    nn_unload(g);
}
#endif

int main(int argc, char **argv)
{
    if (argc != 4 || set_profile(argv[1]) != 0) {
        fprintf(stderr, "usage: hostile.wasm spec|wasmedge|wamr|wamr-2.1 MODEL.onnx NAME\n");
        return 2;
    }
    size_t len;
    model = guest_read_file(argv[2], &len);
    if (model == NULL) return 2;
    model_len = (uint32_t)len;
    model_name = argv[3];
    printf("hostile guest: profile %s, model %s (%u bytes), name %s\n", argv[1], argv[2], model_len, model_name);
    fflush(stdout);
    /* A page of our own at the end of the memory (malloc never hands it out): the straddling
     * pointers land there and its last bytes are watched for writes. */
    if (__builtin_wasm_memory_grow(0, 1) == (size_t)-1) {
        fprintf(stderr, "memory.grow failed\n");
        return 2;
    }

    load_cases();
    load_by_name_cases();
    handle_cases();
    set_input_cases();
    order_and_output_cases();
#ifdef HOSTILE_WASMEDGE_EXTRAS
    wasmedge_extra_cases();
#endif

    /* after all of it, the host still serves a plain inference */
    uint32_t g = load_graph();
    if (g != 0) {
        uint32_t c = computed_ctx(g), w = 0;
        float out[6] = {0};
        uint32_t e = nn_get_output(c, 0, P(out), sizeof out, P(&w));
        truth("after every hostile case: a plain inference gives the right sum", e == 0 && w == 24 && sum_is_right(out));
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
