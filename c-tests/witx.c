/* witx.c: the wasi_ephemeral_nn host functions (wasinn_witx_*) driven with a fake guest memory laid
 * out as a wasm32 guest would: graph_builder arrays of (ptr, len) pairs, the 20-byte tensor record
 * {dims ptr, dims len, type u8 + 3 padding bytes, data ptr, data len} with garbage in the padding,
 * little-endian u32 results. Out-of-bounds guest pointers must give an errno, never a crash, and the
 * too_large path must still report the needed size. Spec profile numbering: encoding onnx = 1,
 * target cpu = 0, tensor type f32 = 1. usage: witx add.onnx */
#include "check.h"
#include "guest_mem.h"

enum {
    NN_SUCCESS = 0,
    NN_INVALID_ARGUMENT = 1,
    NN_INVALID_ENCODING = 2,
    NN_MISSING_MEMORY = 3,
    NN_UNSUPPORTED_OPERATION = 6,
    NN_TOO_LARGE = 7,
    NN_NOT_FOUND = 8,
};
enum { WITX_ONNX = 1, WITX_CPU = 0, WITX_F32 = 1 };

#define MEM_LEN 65536u
#define MODEL_AT 0x4000u

static void put_floats(uint32_t at, const float *v, size_t n)
{
    memcpy(mem + at, v, n * sizeof *v); /* x86/arm little-endian hosts: same layout as wasm32 */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s add.onnx\n", argv[0]);
        return 2;
    }
    size_t model_len = 0;
    uint8_t *model = read_file(argv[1], &model_len);
    REQUIRE(MODEL_AT + model_len < MEM_LEN);

    mem = malloc(MEM_LEN);
    REQUIRE(mem != NULL);
    memset(mem, 0x5A, MEM_LEN); /* garbage everywhere, as in a real guest's heap */
    memcpy(mem + MODEL_AT, model, model_len);
    free(model);

    struct wasinn_witx_instance *inst = NULL;
    REQUIRE_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &inst));

    /* load: builder array of one (ptr, len) at 0x100; the graph handle goes to 0x200. */
    wr32(0x100, MODEL_AT);
    wr32(0x104, (uint32_t)model_len);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x200), NN_SUCCESS);
    uint32_t graph = rd32(0x200);

    /* Out-of-bounds guest pointers: an errno, no crash, nothing written. */
    wr32(0x204, 0x11111111);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, MEM_LEN - 4, 1, WITX_ONNX, WITX_CPU, 0x204),
                NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0xFFFFFFF8u, 2, WITX_ONNX, WITX_CPU, 0x204),
                NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 0x20000000u, WITX_ONNX, WITX_CPU, 0x204),
                NN_MISSING_MEMORY);
    wr32(0x110, MEM_LEN - 8); /* a builder whose bytes run past the end */
    wr32(0x114, 64);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x110, 1, WITX_ONNX, WITX_CPU, 0x204), NN_MISSING_MEMORY);
    wr32(0x110, 0xFFFFFFF0u); /* ... or wrap around 2^32 */
    wr32(0x114, 0x20);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x110, 1, WITX_ONNX, WITX_CPU, 0x204), NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, MEM_LEN - 2),
                NN_MISSING_MEMORY);
    CHECK(rd32(0x204) == 0x11111111);
    /* Unknown enum values. */
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, 200, WITX_CPU, 0x204), NN_INVALID_ENCODING);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, 200, 0x204), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 0, WITX_ONNX, WITX_CPU, 0x204), NN_INVALID_ARGUMENT);
    wr32(0x118, 0x3000); /* garbage bytes, not a model */
    wr32(0x11C, 16);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x118, 1, WITX_ONNX, WITX_CPU, 0x204), NN_INVALID_ENCODING);
    CHECK(rd32(0x204) == 0x11111111);

    /* init_execution_context */
    CHECK_ERRNO(wasinn_witx_init_execution_context(inst, mem, MEM_LEN, graph, 0x208), NN_SUCCESS);
    uint32_t ctx = rd32(0x208);
    CHECK_ERRNO(wasinn_witx_init_execution_context(inst, mem, MEM_LEN, graph, MEM_LEN), NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_init_execution_context(inst, mem, MEM_LEN, graph + 1000, 0x20C), NN_INVALID_ARGUMENT);

    /* set_input: tensors at 0x300 and 0x340, dims at 0x400, data at 0x500 and 0x600. */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {0.5f, 0.25f, 2, -4, 8, 100};
    wr32(0x400, 2);
    wr32(0x404, 3);
    put_floats(0x500, a, 6);
    put_floats(0x600, b, 6);
    put_tensor(0x300, 0x400, 2, WITX_F32, 0x500, 24);
    put_tensor(0x340, 0x400, 2, WITX_F32, 0x600, 24);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x300), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, 0x800, 64, 0x210), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_compute(inst, mem, MEM_LEN, ctx), NN_INVALID_ARGUMENT); /* input 1 unset */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 1, 0x340), NN_SUCCESS);

    /* Bad tensors. */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, MEM_LEN - 10), NN_MISSING_MEMORY);
    put_tensor(0x380, MEM_LEN - 4, 2, WITX_F32, 0x500, 24); /* dims out of bounds */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x380), NN_MISSING_MEMORY);
    put_tensor(0x380, 0x400, 2, WITX_F32, MEM_LEN - 8, 24); /* data out of bounds */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x380), NN_MISSING_MEMORY);
    put_tensor(0x380, 0x400, 2, WITX_F32, 0xFFFFFFF0u, 24); /* data wraps */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x380), NN_MISSING_MEMORY);
    put_tensor(0x380, 0x400, 2, 42, 0x500, 24); /* unknown tensor type */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x380), NN_INVALID_ARGUMENT);
    put_tensor(0x380, 0x400, 2, WITX_F32, 0x500, 20); /* length does not match dims */
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x380), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 7, 0x300), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx + 1000, 0, 0x300), NN_INVALID_ARGUMENT);

    /* compute + get_output */
    CHECK_ERRNO(wasinn_witx_compute(inst, mem, MEM_LEN, ctx), NN_SUCCESS);
    memset(mem + 0x800, 0, 64);
    wr32(0x210, 0);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, 0x800, 64, 0x210), NN_SUCCESS);
    CHECK(rd32(0x210) == 24);
    float out[6];
    memcpy(out, mem + 0x800, sizeof out);
    for (int i = 0; i < 6; i++)
        CHECK(out[i] == a[i] + b[i]);

    /* too_large: the needed size is still written, the buffer is not. */
    memset(mem + 0x900, 0x77, 64);
    wr32(0x210, 0);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, 0x900, 8, 0x210), NN_TOO_LARGE);
    CHECK(rd32(0x210) == 24);
    CHECK(mem[0x900] == 0x77 && mem[0x907] == 0x77);

    /* Out-of-bounds output pointers. */
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, MEM_LEN - 8, 64, 0x210), NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, 0xFFFFFFF0u, 64, 0x210), NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 0, 0x800, 64, MEM_LEN - 1), NN_MISSING_MEMORY);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx, 5, 0x800, 64, 0x210), NN_INVALID_ARGUMENT);

    /* load_by_name against the host registry. */
    const char *paths[1] = {argv[1]};
    REQUIRE_OK(wasinn_registry_add_files("witx-add", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 1));
    memcpy(mem + 0xA00, "witx-add", 8);
    CHECK_ERRNO(wasinn_witx_load_by_name(inst, mem, MEM_LEN, 0xA00, 8, 0x214), NN_SUCCESS);
    uint32_t named_graph = rd32(0x214);
    CHECK(named_graph != graph);
    CHECK_ERRNO(wasinn_witx_init_execution_context(inst, mem, MEM_LEN, named_graph, 0x218), NN_SUCCESS);
    uint32_t ctx2 = rd32(0x218);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx2, 0, 0x340), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx2, 1, 0x340), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_compute(inst, mem, MEM_LEN, ctx2), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx2, 0, 0x800, 64, 0x210), NN_SUCCESS);
    memcpy(out, mem + 0x800, sizeof out);
    for (int i = 0; i < 6; i++)
        CHECK(out[i] == b[i] + b[i]);
    memcpy(mem + 0xA00, "witx-nope", 9);
    CHECK_ERRNO(wasinn_witx_load_by_name(inst, mem, MEM_LEN, 0xA00, 9, 0x214), NN_NOT_FOUND);
    CHECK_ERRNO(wasinn_witx_load_by_name(inst, mem, MEM_LEN, MEM_LEN - 4, 9, 0x214), NN_MISSING_MEMORY);
    mem[0xA00] = 0xFF; /* not UTF-8 */
    CHECK_ERRNO(wasinn_witx_load_by_name(inst, mem, MEM_LEN, 0xA00, 9, 0x214), NN_INVALID_ARGUMENT);
    memcpy(mem + 0xA00, "witx-add", 8);
    CHECK_ERRNO(wasinn_witx_load_by_name_with_config(inst, mem, MEM_LEN, 0xA00, 8, 0xB00, 4, 0x21C), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_unload(inst, mem, MEM_LEN, rd32(0x21C)), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_load_by_name_with_config(inst, mem, MEM_LEN, 0xA00, 8, MEM_LEN - 2, 4, 0x21C),
                NN_MISSING_MEMORY);

    /* Teardown: a second unload/finalize is an error, not a crash. */
    CHECK_ERRNO(wasinn_witx_finalize_execution_context(inst, mem, MEM_LEN, ctx), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_finalize_execution_context(inst, mem, MEM_LEN, ctx), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_compute(inst, mem, MEM_LEN, ctx), NN_INVALID_ARGUMENT);
    CHECK_ERRNO(wasinn_witx_unload(inst, mem, MEM_LEN, graph), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_unload(inst, mem, MEM_LEN, graph), NN_INVALID_ARGUMENT);
    /* ctx2 still works after its graph is unloaded, until finalized. */
    CHECK_ERRNO(wasinn_witx_unload(inst, mem, MEM_LEN, named_graph), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_compute(inst, mem, MEM_LEN, ctx2), NN_SUCCESS);
    /* WasmEdge's streaming entry points: tract does not stream, so they are unsupported_operation
     * (never aliases of compute) and leave the context usable. */
    CHECK_ERRNO(wasinn_witx_compute_single(inst, mem, MEM_LEN, ctx2), NN_UNSUPPORTED_OPERATION);
    CHECK_ERRNO(wasinn_witx_get_output_single(inst, mem, MEM_LEN, ctx2, 0, 0x800, 64, 0x210),
                NN_UNSUPPORTED_OPERATION);
    CHECK_ERRNO(wasinn_witx_fini_single(inst, mem, MEM_LEN, ctx2), NN_UNSUPPORTED_OPERATION);
    CHECK_ERRNO(wasinn_witx_get_output(inst, mem, MEM_LEN, ctx2, 0, 0x800, 64, 0x210), NN_SUCCESS);
    CHECK(rd32(0x210) == 24);
    CHECK_ERRNO(wasinn_witx_finalize_execution_context(inst, mem, MEM_LEN, ctx2), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_fini_single(inst, mem, MEM_LEN, ctx2), NN_INVALID_ARGUMENT);

    /* Handles are per instance: another instance does not see this one's. */
    struct wasinn_witx_instance *other = NULL;
    REQUIRE_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &other));
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x200), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_init_execution_context(other, mem, MEM_LEN, rd32(0x200), 0x208), NN_INVALID_ARGUMENT);
    wasinn_witx_instance_free(other);

    /* The other profiles exist. */
    struct wasinn_witx_instance *p = NULL;
    CHECK_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_WAMR, &p));
    wasinn_witx_instance_free(p);
    p = NULL;
    CHECK_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_WASMEDGE, &p));
    wasinn_witx_instance_free(p);

    /* Freeing an instance with live handles releases them. */
    wasinn_witx_instance_free(inst);
    CHECK_OK(wasinn_registry_remove("witx-add"));
    free(mem);
    return check_done("witx");
}
