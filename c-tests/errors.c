/* errors.c: status strings, NULL and unknown-enum arguments, the thread-local last error message
 * (with truncation into small buffers) and the version macros. Needs no model. */
#include <stddef.h>

#include "check.h"

/* The layout C callers and the bindings rely on (LP64 Linux). */
_Static_assert(sizeof(wasinn_buffer_t) == 2 * sizeof(void *), "wasinn_buffer_t layout");
_Static_assert(offsetof(wasinn_tensor_t, type) == 0, "wasinn_tensor_t.type offset");
_Static_assert(offsetof(wasinn_tensor_t, dims) == sizeof(void *), "wasinn_tensor_t.dims offset");
_Static_assert(offsetof(wasinn_tensor_t, data_len) == 4 * sizeof(void *), "wasinn_tensor_t.data_len offset");
_Static_assert(sizeof(wasinn_tensor_t) == 5 * sizeof(void *), "wasinn_tensor_t size");
_Static_assert(offsetof(wasinn_named_tensor_t, tensor) == 2 * sizeof(void *), "wasinn_named_tensor_t layout");
_Static_assert(sizeof(wasinn_graph_t) == 8 && sizeof(wasinn_exec_ctx_t) == 8 && sizeof(wasinn_outputs_t) == 8,
               "handles are 64-bit");

/* Codes 0..8 equal the witx nn_errno values. */
_Static_assert(WASINN_STATUS_SUCCESS == 0 && WASINN_STATUS_INVALID_ARGUMENT == 1 &&
                   WASINN_STATUS_INVALID_ENCODING == 2 && WASINN_STATUS_MISSING_MEMORY == 3 &&
                   WASINN_STATUS_BUSY == 4 && WASINN_STATUS_RUNTIME_ERROR == 5 &&
                   WASINN_STATUS_UNSUPPORTED_OPERATION == 6 && WASINN_STATUS_TOO_LARGE == 7 &&
                   WASINN_STATUS_NOT_FOUND == 8,
               "status codes match witx nn_errno");

static const wasinn_status_t all_statuses[] = {
    WASINN_STATUS_SUCCESS,     WASINN_STATUS_INVALID_ARGUMENT,      WASINN_STATUS_INVALID_ENCODING,
    WASINN_STATUS_MISSING_MEMORY, WASINN_STATUS_BUSY,               WASINN_STATUS_RUNTIME_ERROR,
    WASINN_STATUS_UNSUPPORTED_OPERATION, WASINN_STATUS_TOO_LARGE,   WASINN_STATUS_NOT_FOUND,
    WASINN_STATUS_END_OF_SEQUENCE, WASINN_STATUS_CONTEXT_FULL,     WASINN_STATUS_PROMPT_TOO_LONG,
    WASINN_STATUS_PANIC,       WASINN_STATUS_SECURITY,              WASINN_STATUS_EXHAUSTED,
};
#define N_STATUSES (sizeof all_statuses / sizeof all_statuses[0])

static void test_version(void)
{
    const char *v = wasinn_version();
    REQUIRE(v != NULL);
    CHECK(strcmp(v, WASINN_VERSION_STRING) == 0);
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", (int)WASINN_VERSION_MAJOR, (int)WASINN_VERSION_MINOR,
             (int)WASINN_VERSION_PATCH);
    if (!CHECK(strcmp(v, expected) == 0))
        fprintf(stderr, "    wasinn_version() = \"%s\", macros say \"%s\"\n", v, expected);
    CHECK(wasinn_version() == v); /* a static string */
}

static void test_status_strings(void)
{
    for (size_t i = 0; i < N_STATUSES; i++) {
        const char *s = wasinn_status_str(all_statuses[i]);
        if (!CHECK(s != NULL && s[0] != '\0'))
            continue;
        for (size_t j = 0; j < i; j++) {
            const char *o = wasinn_status_str(all_statuses[j]);
            if (!CHECK(o == NULL || strcmp(s, o) != 0))
                fprintf(stderr, "    statuses %u and %u share the string \"%s\"\n",
                        (unsigned)all_statuses[i], (unsigned)all_statuses[j], s);
        }
    }
    /* Unknown codes still give a usable, distinct string. */
    const wasinn_status_t unknown[] = {9, 99, 999, 1003, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = wasinn_status_str(unknown[i]);
        if (!CHECK(s != NULL && s[0] != '\0'))
            continue;
        for (size_t j = 0; j < N_STATUSES; j++)
            CHECK(strcmp(s, wasinn_status_str(all_statuses[j])) != 0);
    }
}

static void test_null_arguments(void)
{
    static const uint8_t junk[4] = {1, 2, 3, 4};
    wasinn_buffer_t buf = {junk, sizeof junk};
    wasinn_graph_t g = 0;
    wasinn_exec_ctx_t ctx = 0;
    wasinn_outputs_t outs = 0;
    size_t n = 0;
    uint32_t t = 0;
    int64_t dims64[4];
    uint32_t dims32[4];
    char name[16];

    CHECK_STATUS(wasinn_graph_load(NULL, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load(&buf, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, NULL),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load(&buf, 0, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g),
                 WASINN_STATUS_INVALID_ARGUMENT);
    wasinn_buffer_t null_data = {NULL, 10};
    CHECK_STATUS(wasinn_graph_load(&null_data, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load_by_name(NULL, 3, &g), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load_by_name("abc", 3, NULL), WASINN_STATUS_INVALID_ARGUMENT);

    /* Handle 0 / never-issued handles are invalid, and NULL outputs are caught first or second:
     * either way the answer is INVALID_ARGUMENT. */
    CHECK_STATUS(wasinn_graph_input_count(0, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_input_count(0xDEADBEEF, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_output_count(0xDEADBEEF, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_input_name(0xDEADBEEF, 0, name, sizeof name, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_output_name(0xDEADBEEF, 0, name, sizeof name, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_input_type(0xDEADBEEF, 0, &t), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_output_type(0xDEADBEEF, 0, &t), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_input_shape(0xDEADBEEF, 0, dims64, 4, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_output_shape(0xDEADBEEF, 0, dims64, 4, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_backend_name(0xDEADBEEF, name, sizeof name, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_free(0xDEADBEEF), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_new(0xDEADBEEF, &ctx), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_new(0xDEADBEEF, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_free(0xDEADBEEF), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input(0xDEADBEEF, 0, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input_by_name(0xDEADBEEF, NULL, 1, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_compute(0xDEADBEEF), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_get_output(0xDEADBEEF, 0, NULL, 0, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_get_output_by_name(0xDEADBEEF, "x", 1, NULL, 0, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_output_type(0xDEADBEEF, 0, &t), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_output_shape(0xDEADBEEF, 0, dims32, 4, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_compute_named(0xDEADBEEF, NULL, 0, &outs), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_outputs_count(0xDEADBEEF, &n), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_outputs_get(0xDEADBEEF, 0, NULL, NULL, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_outputs_free(0xDEADBEEF), WASINN_STATUS_INVALID_ARGUMENT);

    const char *paths[1] = {"/nonexistent.onnx"};
    CHECK_STATUS(wasinn_registry_add_files(NULL, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, paths, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_add_files("m", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, NULL, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    const char *null_path[1] = {NULL};
    CHECK_STATUS(wasinn_registry_add_files("m", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null_path, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_add_bytes(NULL, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &buf, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_add_bytes("m", WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, NULL, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_preload(NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_remove(NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    wasinn_witx_instance_free(NULL); /* a no-op, like free(NULL) */
}

static void test_unknown_enums(void)
{
    static const uint8_t junk[4] = {1, 2, 3, 4};
    wasinn_buffer_t buf = {junk, sizeof junk};
    wasinn_graph_t g = 0;
    CHECK_STATUS(wasinn_graph_load(&buf, 1, 77, WASINN_TARGET_CPU, &g), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load(&buf, 1, 0xFFFFFFFFu, WASINN_TARGET_CPU, &g), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load(&buf, 1, WASINN_ENCODING_ONNX, 77, &g), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_load(&buf, 1, WASINN_ENCODING_ONNX, 3, &g), WASINN_STATUS_INVALID_ARGUMENT);
    const char *paths[1] = {"/nonexistent.onnx"};
    CHECK_STATUS(wasinn_registry_add_files("enum-test", 77, WASINN_TARGET_CPU, paths, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_registry_add_files("enum-test", WASINN_ENCODING_ONNX, 77, paths, 1),
                 WASINN_STATUS_INVALID_ARGUMENT);
    struct wasinn_witx_instance *inst = NULL;
    CHECK_STATUS(wasinn_witx_instance_new(99, &inst), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK(inst == NULL); /* outputs are written only on success */
    /* Garbage bytes with a valid encoding are a bad model, not a bad argument. */
    CHECK_STATUS(wasinn_graph_load(&buf, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &g),
                 WASINN_STATUS_INVALID_ENCODING);
}

static void test_last_error(void)
{
    wasinn_graph_t g = 12345;
    wasinn_status_t st = wasinn_graph_load_by_name("no-such-model-for-errors-c", 26, &g);
    CHECK_STATUS(st, WASINN_STATUS_NOT_FOUND);
    CHECK(g == 12345); /* untouched on failure */
    CHECK(wasinn_last_error_status() == WASINN_STATUS_NOT_FOUND);

    size_t full = wasinn_last_error_message(NULL, 0);
    REQUIRE(full > 0);
    char *msg = malloc(full + 1);
    REQUIRE(msg != NULL);
    memset(msg, 'X', full + 1);
    CHECK(wasinn_last_error_message(msg, full + 1) == full);
    CHECK(msg[full] == '\0');
    CHECK(strlen(msg) == full);
    if (!CHECK(strstr(msg, "no-such-model-for-errors-c") != NULL))
        fprintf(stderr, "    message: %s\n", msg);

    /* Truncation: always NUL-terminated, a prefix of the full message, full length returned. */
    for (size_t cap = 1; cap <= 8 && cap <= full; cap++) {
        char small[16];
        memset(small, 'X', sizeof small);
        CHECK(wasinn_last_error_message(small, cap) == full);
        CHECK(small[cap - 1] == '\0');
        CHECK(strlen(small) == cap - 1);
        CHECK(memcmp(small, msg, cap - 1) == 0);
        CHECK(small[cap] == 'X'); /* nothing written past the buffer */
    }
    /* A zero-length buffer is not touched. */
    char untouched = 'U';
    CHECK(wasinn_last_error_message(&untouched, 0) == full);
    CHECK(untouched == 'U');
    /* Reading the message does not consume it. */
    CHECK(wasinn_last_error_message(NULL, 0) == full);
    CHECK(wasinn_last_error_status() == WASINN_STATUS_NOT_FOUND);

    /* A later failure replaces it. */
    CHECK_STATUS(wasinn_graph_free(0xDEADBEEF), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK(wasinn_last_error_status() == WASINN_STATUS_INVALID_ARGUMENT);
    char msg2[512];
    CHECK(wasinn_last_error_message(msg2, sizeof msg2) > 0);
    CHECK(strcmp(msg2, msg) != 0);
    free(msg);

    /* A success clears it. */
    struct wasinn_witx_instance *inst = NULL;
    CHECK_OK(wasinn_witx_instance_new(WASINN_WITX_PROFILE_SPEC, &inst));
    CHECK(inst != NULL);
    CHECK(wasinn_last_error_status() == WASINN_STATUS_SUCCESS);
    char empty[8] = "XXXXXXX";
    CHECK(wasinn_last_error_message(empty, sizeof empty) == 0);
    CHECK(empty[0] == '\0');
    wasinn_witx_instance_free(inst);
}

int main(void)
{
    test_version();
    test_status_strings();
    test_null_arguments();
    test_unknown_enums();
    test_last_error();
    return check_done("errors");
}
