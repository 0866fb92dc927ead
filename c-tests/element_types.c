/* element_types.c: the library-extension element types from C, with nothing but the installed
 * header: a STRING tensor framed as the header documents (uint32 little-endian length, then the
 * bytes, per element) round-trips through an Identity model on the built-in backend, its output
 * size is reported for a too-small buffer, and malformed framing is refused; a packed I4 tensor
 * is sized ceil(n * 4 / 8) bytes, and a backend without the type refuses it cleanly.
 * usage: element_types strings.onnx add.onnx */
#include "check.h"

/* Appends one element (length prefix + bytes) at `out`; returns the bytes written. */
static size_t put_string(uint8_t *out, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(n >> (8 * i));
    memcpy(out + 4, s, n);
    return 4 + n;
}

static void test_strings(const char *path)
{
    size_t model_len = 0;
    uint8_t *model = read_file(path, &model_len);
    wasinn_buffer_t b = {model, model_len};
    wasinn_graph_t g = 0;
    REQUIRE_OK(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g));
    free(model);
    uint32_t ty = 0;
    CHECK_OK(wasinn_graph_input_type(g, 0, &ty));
    CHECK(ty == WASINN_TENSOR_TYPE_STRING);

    /* "ab", "", "\xc3\xa9t\xc3\xa9" (UTF-8 for "ete" with accents): 3 prefixes + 9 bytes. */
    uint8_t data[64];
    size_t len = 0;
    len += put_string(data + len, "ab");
    len += put_string(data + len, "");
    len += put_string(data + len, "\xc3\xa9t\xc3\xa9");
    CHECK(len == 4 * 3 + 2 + 0 + 5);
    const uint32_t dims[1] = {3};
    wasinn_tensor_t t = {WASINN_TENSOR_TYPE_STRING, dims, 1, data, len};

    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));
    REQUIRE_OK(wasinn_exec_ctx_set_input(ctx, 0, &t));
    REQUIRE_OK(wasinn_exec_ctx_compute(ctx));
    CHECK_OK(wasinn_exec_ctx_output_type(ctx, 0, &ty));
    CHECK(ty == WASINN_TENSOR_TYPE_STRING);
    uint32_t out_dims[4];
    size_t rank = 0;
    CHECK_OK(wasinn_exec_ctx_output_shape(ctx, 0, out_dims, 4, &rank));
    CHECK(rank == 1 && out_dims[0] == 3);

    /* The size of a string output is only known from the library: ask with no buffer first. */
    size_t need = 0;
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 0, NULL, 0, &need), WASINN_STATUS_TOO_LARGE);
    CHECK(need == len);
    uint8_t out[64];
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 0, out, need - 1, &need), WASINN_STATUS_TOO_LARGE);
    size_t got = 0;
    CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &got));
    CHECK(got == len && memcmp(out, data, len) == 0);

    /* Framing errors: an element missing, bytes left over, a length running past the end. */
    const uint32_t four[1] = {4}, two[1] = {2};
    wasinn_tensor_t missing = {WASINN_TENSOR_TYPE_STRING, four, 1, data, len};
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &missing), WASINN_STATUS_INVALID_ARGUMENT);
    wasinn_tensor_t trailing = {WASINN_TENSOR_TYPE_STRING, two, 1, data, len};
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &trailing), WASINN_STATUS_INVALID_ARGUMENT);
    uint8_t liar[5] = {0xff, 0xff, 0xff, 0x7f, 'x'};
    const uint32_t one[1] = {1};
    wasinn_tensor_t past_end = {WASINN_TENSOR_TYPE_STRING, one, 1, liar, sizeof liar};
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &past_end), WASINN_STATUS_INVALID_ARGUMENT);

    CHECK_OK(wasinn_exec_ctx_free(ctx));
    CHECK_OK(wasinn_graph_free(g));
}

static void test_packed(const char *path)
{
    size_t model_len = 0;
    uint8_t *model = read_file(path, &model_len);
    wasinn_buffer_t b = {model, model_len};
    wasinn_graph_t g = 0;
    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g));
    free(model);
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));
    /* Five 4-bit elements take 3 bytes (the last high nibble carries none); 2 or 5 bytes are wrong. */
    const uint32_t five[1] = {5};
    uint8_t packed[5] = {0x21, 0xf3, 0x07, 0, 0};
    for (size_t n = 2; n <= 5; n += 3) {
        wasinn_tensor_t bad = {WASINN_TENSOR_TYPE_I4, five, 1, packed, n};
        CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    }
    /* The right size reaches the backend; tract has no 4-bit tensors and says so. */
    wasinn_tensor_t ok = {WASINN_TENSOR_TYPE_I4, five, 1, packed, 3};
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &ok), WASINN_STATUS_UNSUPPORTED_OPERATION);
    char msg[256];
    wasinn_last_error_message(msg, sizeof msg);
    CHECK(strstr(msg, "i4") != NULL);
    CHECK_OK(wasinn_exec_ctx_free(ctx));
    CHECK_OK(wasinn_graph_free(g));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s strings.onnx add.onnx\n", argv[0]);
        return 2;
    }
    test_strings(argv[1]);
    test_packed(argv[2]);
    return check_done("element_types");
}
