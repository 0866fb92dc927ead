/* check.h: the tiny test harness of the C tests. Each test is a plain main() that runs CHECKs
 * (record a failure and go on) and REQUIREs (stop: later checks would only cascade), then returns
 * check_done(), nonzero when anything failed. A failed status check prints the status name and the
 * library's last error message, so a ctest log says why. Not thread-safe: worker threads in
 * threads.c count their own failures. */
#ifndef WASINN_CTESTS_CHECK_H
#define WASINN_CTESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasinn.h>

static int check_failures;
static int check_total;

static inline void check_print_last_error(void)
{
    char msg[1024];
    size_t n = wasinn_last_error_message(msg, sizeof msg);
    if (n > 0)
        fprintf(stderr, "    last error: %s%s\n", msg, n >= sizeof msg ? "..." : "");
}

static inline int check_impl(int ok, const char *expr, const char *file, int line)
{
    check_total++;
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    }
    return ok;
}

static inline int check_status_impl(wasinn_status_t got, wasinn_status_t want, const char *expr,
                                    const char *file, int line)
{
    check_total++;
    if (got != want) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s\n    returned %u (%s), expected %u (%s)\n", file, line, expr,
                (unsigned)got, wasinn_status_str(got), (unsigned)want, wasinn_status_str(want));
        check_print_last_error();
        return 0;
    }
    return 1;
}

#define CHECK(cond) check_impl(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_STATUS(call, want) check_status_impl((call), (want), #call, __FILE__, __LINE__)
#define CHECK_OK(call) CHECK_STATUS((call), WASINN_STATUS_SUCCESS)
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!CHECK(cond))                                                                          \
            exit(2);                                                                               \
    } while (0)
#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        if (!CHECK_OK(call))                                                                       \
            exit(2);                                                                               \
    } while (0)

/* Prints a summary; the value for main() to return. */
static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_total, check_failures);
    return check_failures ? 1 : 0;
}

/* Reads a whole file (the generated models); exits on failure. The caller frees. */
static inline uint8_t *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        exit(2);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *grown = realloc(buf, cap);
            if (!grown)
                exit(2);
            buf = grown;
        }
    }
    if (ferror(f)) {
        perror(path);
        exit(2);
    }
    fclose(f);
    *out_len = len;
    return buf;
}

/* Loads an ONNX model file for the CPU; exits on failure. */
static inline wasinn_graph_t load_onnx(const char *path)
{
    size_t len;
    uint8_t *bytes = read_file(path, &len);
    wasinn_buffer_t builder = {bytes, len};
    wasinn_graph_t graph = 0;
    REQUIRE_OK(wasinn_graph_load(&builder, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &graph));
    free(bytes); /* the library copies what it keeps */
    return graph;
}

static inline wasinn_tensor_t make_tensor(uint32_t type, const uint32_t *dims, size_t rank,
                                          const void *data, size_t data_len)
{
    wasinn_tensor_t t;
    memset(&t, 0, sizeof t);
    t.type = type;
    t.dims = dims;
    t.rank = rank;
    t.data = (const uint8_t *)data;
    t.data_len = data_len;
    return t;
}

#endif
