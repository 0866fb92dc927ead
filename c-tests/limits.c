/* limits.c: the limits of wasinn_limits_t from C. ctest runs it with WASINN_MAX_TENSOR_BYTES=20,
 * WASINN_MAX_GRAPHS=2 and WASINN_MAX_RANK=lots (not a count: the default is kept), so it checks
 * the environment overrides, then each refusal (too_large, a message naming the limit), the
 * per-instance setter, the process default through the C API, and that dims claiming 2^40
 * elements with a 16-byte buffer are refused. Spec profile numbering. usage: limits add.onnx */
#include "check.h"
#include "guest_mem.h"

enum { NN_SUCCESS = 0, NN_INVALID_ARGUMENT = 1, NN_TOO_LARGE = 7 };
enum { WITX_ONNX = 1, WITX_CPU = 0, WITX_F32 = 1, WITX_U8 = 3 };

#define MEM_LEN 65536u
#define MODEL_AT 0x4000u

static uint8_t mem_buf[MEM_LEN];

/* The last error message contains `what`. */
static int last_error_has(const char *what)
{
    char msg[1024];
    wasinn_last_error_message(msg, sizeof msg);
    if (strstr(msg, what))
        return 1;
    fprintf(stderr, "    message \"%s\" does not name %s\n", msg, what);
    return 0;
}

static wasinn_limits_t get_default(void)
{
    wasinn_limits_t l;
    memset(&l, 0, sizeof l);
    l.struct_size = sizeof l;
    REQUIRE_OK(wasinn_limits_get_default(&l));
    return l;
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
    mem = mem_buf;
    memset(mem, 0x5A, MEM_LEN);
    memcpy(mem + MODEL_AT, model, model_len);

    /* The environment's overrides (set by ctest), the built-in defaults elsewhere. */
    wasinn_limits_t env = get_default();
    CHECK(env.max_tensor_bytes == 20);
    CHECK(env.max_graphs == 2);
    CHECK(env.max_rank == 16); /* WASINN_MAX_RANK=lots is refused: default kept */
    CHECK(env.max_model_bytes == 4ull << 30);
    CHECK(env.max_contexts == 4096);
    CHECK(env.max_name_bytes == 4096);
    CHECK(env.max_config_bytes == 1u << 20);

    struct wasinn_witx_instance *inst = NULL;
    REQUIRE_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &inst));
    wr32(0x100, MODEL_AT);
    wr32(0x104, (uint32_t)model_len);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x200), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x204), NN_SUCCESS);
    wr32(0x208, 0x11111111);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x208), NN_TOO_LARGE);
    CHECK(last_error_has("max_graphs"));
    CHECK(rd32(0x208) == 0x11111111); /* nothing written on refusal */
    uint32_t graph = rd32(0x200);
    CHECK_ERRNO(wasinn_witx_init_execution_context(inst, mem, MEM_LEN, graph, 0x20C), NN_SUCCESS);
    uint32_t ctx = rd32(0x20C);

    /* 24 bytes of f32 [2, 3] against the 20-byte tensor limit. */
    const float a[6] = {1, 2, 3, 4, 5, 6};
    memcpy(mem + 0x500, a, sizeof a);
    wr32(0x400, 2);
    wr32(0x404, 3);
    put_tensor(0x300, 0x400, 2, WITX_F32, 0x500, 24);
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x300), NN_TOO_LARGE);
    CHECK(last_error_has("max_tensor_bytes") && last_error_has("WASINN_MAX_TENSOR_BYTES"));

    /* Raise it for this instance only. */
    wasinn_limits_t mine = env;
    mine.max_tensor_bytes = 24;
    REQUIRE_OK(wasinn_witx_instance_set_limits(inst, &mine));
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x300), NN_SUCCESS);
    wasinn_limits_t got;
    memset(&got, 0, sizeof got);
    got.struct_size = sizeof got;
    CHECK_OK(wasinn_witx_instance_get_limits(inst, &got));
    CHECK(got.max_tensor_bytes == 24 && got.max_graphs == 2);
    mine.max_rank = 33; /* above the hard cap: refused, nothing changed */
    CHECK_STATUS(wasinn_witx_instance_set_limits(inst, &mine), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_OK(wasinn_witx_instance_get_limits(inst, &got));
    CHECK(got.max_rank == 16);
    mine.max_rank = 1;
    REQUIRE_OK(wasinn_witx_instance_set_limits(inst, &mine));
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x300), NN_TOO_LARGE);
    CHECK(last_error_has("max_rank"));

    /* The bound: dims claiming 2^40 u8 elements with a 16-byte buffer are refused (nothing of
     * that size is allocated: tests/limits.rs measures the host's allocations). */
    wr32(0x410, 1u << 20);
    wr32(0x414, 1u << 20);
    put_tensor(0x340, 0x410, 2, WITX_U8, 0x500, 16);
    mine.max_rank = 16;
    REQUIRE_OK(wasinn_witx_instance_set_limits(inst, &mine));
    CHECK_ERRNO(wasinn_witx_set_input(inst, mem, MEM_LEN, ctx, 0, 0x340), NN_INVALID_ARGUMENT);

    /* The process default: the C API checks it, new instances copy it. */
    wasinn_limits_t tight = env;
    tight.max_model_bytes = 16;
    REQUIRE_OK(wasinn_limits_set_default(&tight));
    wasinn_buffer_t builder = {model, model_len};
    wasinn_graph_t g = 0;
    CHECK_STATUS(wasinn_graph_load(&builder, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g), WASINN_STATUS_TOO_LARGE);
    CHECK(last_error_has("max_model_bytes"));
    CHECK(g == 0);
    struct wasinn_witx_instance *inst2 = NULL;
    REQUIRE_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &inst2));
    CHECK_ERRNO(wasinn_witx_load(inst2, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x208), NN_TOO_LARGE);
    wasinn_witx_instance_free(inst2);
    /* The old instance keeps its own limits. */
    CHECK_ERRNO(wasinn_witx_unload(inst, mem, MEM_LEN, rd32(0x204)), NN_SUCCESS);
    CHECK_ERRNO(wasinn_witx_load(inst, mem, MEM_LEN, 0x100, 1, WITX_ONNX, WITX_CPU, 0x208), NN_SUCCESS);

    /* NULL restores the environment's values. */
    CHECK_OK(wasinn_limits_set_default(NULL));
    wasinn_limits_t back = get_default();
    CHECK(back.max_model_bytes == env.max_model_bytes && back.max_tensor_bytes == 20);
    CHECK_OK(wasinn_graph_load(&builder, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g));
    CHECK_OK(wasinn_graph_free(g));
    /* A struct smaller than the first version is refused. */
    back.struct_size = 8;
    CHECK_STATUS(wasinn_limits_set_default(&back), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_limits_get_default(&back), WASINN_STATUS_INVALID_ARGUMENT);

    wasinn_witx_instance_free(inst);
    free(model);
    return check_done("limits");
}
