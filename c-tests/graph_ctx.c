/* graph_ctx.c: graph loading and introspection, execution contexts (inputs by index and name,
 * outputs by index and name, too-small buffers, output type and shape), compute_named with an
 * outputs object, dynamic shapes, and handle lifetimes (double free, use after free, a context
 * outliving its graph handle), and the data-path counters of wasinn_stats_get.
 * usage: graph_ctx add.onnx multi_io.onnx dynamic.onnx */
#include "check.h"

static const uint32_t dims_2x3[2] = {2, 3};

static int floats_equal(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            fprintf(stderr, "    element %zu: got %g, want %g\n", i, (double)got[i], (double)want[i]);
            return 0;
        }
    }
    return 1;
}

static void check_name(wasinn_graph_t g, int input, size_t index, const char *want)
{
    char buf[64];
    size_t len = 0;
    wasinn_status_t st = input ? wasinn_graph_input_name(g, index, buf, sizeof buf, &len)
                               : wasinn_graph_output_name(g, index, buf, sizeof buf, &len);
    if (!CHECK_OK(st))
        return;
    CHECK(len == strlen(want));
    if (!CHECK(strcmp(buf, want) == 0))
        fprintf(stderr, "    %s %zu is named \"%s\", expected \"%s\"\n", input ? "input" : "output", index, buf, want);
}

static void check_graph_shape(wasinn_graph_t g, int input, size_t index, const int64_t *want, size_t rank)
{
    int64_t dims[8];
    size_t out_rank = 0;
    wasinn_status_t st = input ? wasinn_graph_input_shape(g, index, dims, 8, &out_rank)
                               : wasinn_graph_output_shape(g, index, dims, 8, &out_rank);
    if (!CHECK_OK(st))
        return;
    if (!CHECK(out_rank == rank))
        return;
    for (size_t i = 0; i < rank; i++)
        if (!CHECK(dims[i] == want[i]))
            fprintf(stderr, "    dim %zu is %lld, expected %lld\n", i, (long long)dims[i], (long long)want[i]);
}

static void test_introspection(wasinn_graph_t g)
{
    size_t n = 99;
    CHECK_OK(wasinn_graph_input_count(g, &n));
    CHECK(n == 2);
    CHECK_OK(wasinn_graph_output_count(g, &n));
    CHECK(n == 1);

    check_name(g, 1, 0, "a");
    check_name(g, 1, 1, "b");
    check_name(g, 0, 0, "sum");

    /* The name needs len + 1 bytes: a buffer of exactly len is too small but reports len. */
    char small[3];
    size_t len = 0;
    memset(small, 'X', sizeof small);
    CHECK_STATUS(wasinn_graph_output_name(g, 0, small, 3, &len), WASINN_STATUS_TOO_LARGE);
    CHECK(len == 3);
    CHECK_OK(wasinn_graph_input_name(g, 0, small, 2, &len));
    CHECK(len == 1 && small[0] == 'a' && small[1] == '\0');
    CHECK_STATUS(wasinn_graph_input_name(g, 0, NULL, 0, &len), WASINN_STATUS_TOO_LARGE);
    CHECK(len == 1);
    CHECK_STATUS(wasinn_graph_input_name(g, 2, small, sizeof small, &len), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_graph_output_name(g, 1, small, sizeof small, &len), WASINN_STATUS_INVALID_ARGUMENT);

    uint32_t type = 0xFFFF;
    CHECK_OK(wasinn_graph_input_type(g, 1, &type));
    CHECK(type == WASINN_TENSOR_TYPE_FP32);
    type = 0xFFFF;
    CHECK_OK(wasinn_graph_output_type(g, 0, &type));
    CHECK(type == WASINN_TENSOR_TYPE_FP32);
    CHECK_STATUS(wasinn_graph_input_type(g, 2, &type), WASINN_STATUS_INVALID_ARGUMENT);

    static const int64_t shape[2] = {2, 3};
    check_graph_shape(g, 1, 0, shape, 2);
    check_graph_shape(g, 1, 1, shape, 2);
    check_graph_shape(g, 0, 0, shape, 2);
    int64_t one[1] = {77};
    size_t rank = 0;
    CHECK_STATUS(wasinn_graph_input_shape(g, 0, one, 1, &rank), WASINN_STATUS_TOO_LARGE);
    CHECK(rank == 2);
    CHECK(one[0] == 77); /* nothing written on failure */
    rank = 0;
    CHECK_STATUS(wasinn_graph_output_shape(g, 0, NULL, 0, &rank), WASINN_STATUS_TOO_LARGE);
    CHECK(rank == 2);

    char backend[64];
    CHECK_OK(wasinn_graph_backend_name(g, backend, sizeof backend, &len));
    CHECK(len > 0 && strlen(backend) == len);
}

static void test_compute(wasinn_graph_t g)
{
    float a[6] = {1, 2, 3, 4, 5, 6};
    float b[6] = {10, 20, 30, 40, 50, 60};
    float want[6];
    for (int i = 0; i < 6; i++)
        want[i] = a[i] + b[i];

    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));

    /* Reading an output before any compute fails cleanly. */
    float out[6];
    size_t out_len = 0;
    CHECK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &out_len) != WASINN_STATUS_SUCCESS);

    wasinn_tensor_t ta = make_tensor(WASINN_TENSOR_TYPE_FP32, dims_2x3, 2, a, sizeof a);
    wasinn_tensor_t tb = make_tensor(WASINN_TENSOR_TYPE_FP32, dims_2x3, 2, b, sizeof b);

    /* Bad tensors. */
    wasinn_tensor_t bad = ta;
    bad.data_len = sizeof a - 4;
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    bad = ta;
    bad.type = 77;
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    bad.type = WASINN_TENSOR_TYPE_UNKNOWN;
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    bad = ta;
    bad.data = NULL;
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    bad = ta;
    bad.dims = NULL;
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    static const uint32_t huge_dims[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
    bad = ta;
    bad.dims = huge_dims; /* product * 4 overflows 32 bits, must not wrap to a match */
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &bad), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 2, &ta), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input_by_name(ctx, "nope", 4, &ta), WASINN_STATUS_NOT_FOUND);
    CHECK_STATUS(wasinn_exec_ctx_set_input_by_name(ctx, NULL, 1, &ta), WASINN_STATUS_INVALID_ARGUMENT);

    /* By index and by name; the name is a (pointer, length) pair, not NUL-terminated. */
    CHECK_OK(wasinn_exec_ctx_set_input(ctx, 0, &ta));
    CHECK_OK(wasinn_exec_ctx_set_input_by_name(ctx, "bxyz", 1, &tb));
    /* The library copied the data: changing it now must not affect the result. */
    a[0] = -1000;
    CHECK_OK(wasinn_exec_ctx_compute(ctx));
    a[0] = 1;

    memset(out, 0, sizeof out);
    out_len = 0;
    CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &out_len));
    CHECK(out_len == sizeof out);
    CHECK(floats_equal(out, want, 6));

    memset(out, 0, sizeof out);
    out_len = 0;
    CHECK_OK(wasinn_exec_ctx_get_output_by_name(ctx, "sum", 3, out, sizeof out, &out_len));
    CHECK(out_len == sizeof out);
    CHECK(floats_equal(out, want, 6));

    /* Too small: TOO_LARGE, the needed size, and nothing written. */
    float small[2] = {-7, -7};
    out_len = 0;
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 0, small, sizeof small, &out_len), WASINN_STATUS_TOO_LARGE);
    CHECK(out_len == 24);
    CHECK(small[0] == -7 && small[1] == -7);
    out_len = 0;
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 0, NULL, 0, &out_len), WASINN_STATUS_TOO_LARGE);
    CHECK(out_len == 24);
    out_len = 0;
    CHECK_STATUS(wasinn_exec_ctx_get_output_by_name(ctx, "sum", 3, small, sizeof small, &out_len),
                 WASINN_STATUS_TOO_LARGE);
    CHECK(out_len == 24);
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 1, out, sizeof out, &out_len), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_get_output_by_name(ctx, "nope", 4, out, sizeof out, &out_len),
                 WASINN_STATUS_NOT_FOUND);

    uint32_t type = 0;
    CHECK_OK(wasinn_exec_ctx_output_type(ctx, 0, &type));
    CHECK(type == WASINN_TENSOR_TYPE_FP32);
    uint32_t dims[4] = {0};
    size_t rank = 0;
    CHECK_OK(wasinn_exec_ctx_output_shape(ctx, 0, dims, 4, &rank));
    CHECK(rank == 2 && dims[0] == 2 && dims[1] == 3);
    rank = 0;
    CHECK_STATUS(wasinn_exec_ctx_output_shape(ctx, 0, dims, 1, &rank), WASINN_STATUS_TOO_LARGE);
    CHECK(rank == 2);
    CHECK_STATUS(wasinn_exec_ctx_output_type(ctx, 1, &type), WASINN_STATUS_INVALID_ARGUMENT);

    /* Compute again with new inputs in the same context. */
    float a2[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    wasinn_tensor_t ta2 = make_tensor(WASINN_TENSOR_TYPE_FP32, dims_2x3, 2, a2, sizeof a2);
    CHECK_OK(wasinn_exec_ctx_set_input_by_name(ctx, "a", 1, &ta2));
    CHECK_OK(wasinn_exec_ctx_compute(ctx));
    CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &out_len));
    for (int i = 0; i < 6; i++)
        want[i] = a2[i] + b[i];
    CHECK(floats_equal(out, want, 6));

    /* The data-path counters (wasinn_stats_get): one more steady-state inference copies its 48
     * input bytes in and 24 output bytes out, and allocates no tensor-sized buffer. */
    wasinn_stats_t s0, s1;
    memset(&s0, 0, sizeof s0);
    memset(&s1, 0, sizeof s1);
    CHECK_STATUS(wasinn_stats_get(NULL, sizeof s0), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_stats_get(&s0, 8), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_OK(wasinn_stats_get(&s0, sizeof s0));
    CHECK_OK(wasinn_exec_ctx_set_input(ctx, 0, &ta2));
    CHECK_OK(wasinn_exec_ctx_set_input(ctx, 1, &tb));
    CHECK_OK(wasinn_exec_ctx_compute(ctx));
    CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &out_len));
    CHECK_OK(wasinn_stats_get(&s1, sizeof s1));
    CHECK(s1.set_input_calls - s0.set_input_calls == 2);
    CHECK(s1.compute_calls - s0.compute_calls == 1);
    CHECK(s1.get_output_calls - s0.get_output_calls == 1);
    CHECK(s1.bytes_in - s0.bytes_in == 48);
    CHECK(s1.bytes_out - s0.bytes_out == 24);
    CHECK(s1.tensor_allocs == s0.tensor_allocs);
    CHECK(floats_equal(out, want, 6));

    /* compute_named: inputs by name, outputs in an object of their own. */
    wasinn_named_tensor_t named[2];
    named[0].name = "b";
    named[0].name_len = 1;
    named[0].tensor = tb;
    named[1].name = "a";
    named[1].name_len = 1;
    named[1].tensor = ta;
    wasinn_outputs_t outs = 0;
    REQUIRE_OK(wasinn_exec_ctx_compute_named(ctx, named, 2, &outs));
    size_t count = 0;
    CHECK_OK(wasinn_outputs_count(outs, &count));
    CHECK(count == 1);
    const char *name = NULL;
    size_t name_len = 0;
    wasinn_tensor_t t;
    memset(&t, 0, sizeof t);
    if (CHECK_OK(wasinn_outputs_get(outs, 0, &name, &name_len, &t))) {
        CHECK(name != NULL && name_len == 3 && memcmp(name, "sum", 3) == 0);
        CHECK(t.type == WASINN_TENSOR_TYPE_FP32);
        CHECK(t.rank == 2 && t.dims != NULL && t.dims[0] == 2 && t.dims[1] == 3);
        CHECK(t.data_len == 24 && t.data != NULL);
        for (int i = 0; i < 6; i++)
            want[i] = a[i] + b[i];
        if (t.data && t.data_len == 24) {
            memcpy(out, t.data, 24);
            CHECK(floats_equal(out, want, 6));
        }
    }
    CHECK_STATUS(wasinn_outputs_get(outs, 1, &name, &name_len, &t), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_outputs_get(outs, 0, &name, &name_len, NULL), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_OK(wasinn_outputs_free(outs));
    CHECK_STATUS(wasinn_outputs_free(outs), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_outputs_count(outs, &count), WASINN_STATUS_INVALID_ARGUMENT);

    named[0].name = "zzz";
    named[0].name_len = 3;
    outs = 0;
    CHECK_STATUS(wasinn_exec_ctx_compute_named(ctx, named, 2, &outs), WASINN_STATUS_NOT_FOUND);
    CHECK(outs == 0);
    CHECK_STATUS(wasinn_exec_ctx_compute_named(ctx, NULL, 2, &outs), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_compute_named(ctx, named, 2, NULL), WASINN_STATUS_INVALID_ARGUMENT);

    /* Double free and use after free. */
    CHECK_OK(wasinn_exec_ctx_free(ctx));
    CHECK_STATUS(wasinn_exec_ctx_free(ctx), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_compute(ctx), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_set_input(ctx, 0, &ta), WASINN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &out_len), WASINN_STATUS_INVALID_ARGUMENT);
}

static void test_multi_io(const char *path)
{
    wasinn_graph_t g = load_onnx(path);
    size_t n = 0;
    CHECK_OK(wasinn_graph_input_count(g, &n));
    CHECK(n == 2);
    CHECK_OK(wasinn_graph_output_count(g, &n));
    CHECK(n == 2);
    check_name(g, 1, 0, "x");
    check_name(g, 1, 1, "k");
    check_name(g, 0, 0, "k2");
    check_name(g, 0, 1, "x2");
    uint32_t type = 0;
    CHECK_OK(wasinn_graph_input_type(g, 1, &type));
    CHECK(type == WASINN_TENSOR_TYPE_I64);
    CHECK_OK(wasinn_graph_output_type(g, 0, &type));
    CHECK(type == WASINN_TENSOR_TYPE_I64);
    CHECK_OK(wasinn_graph_output_type(g, 1, &type));
    CHECK(type == WASINN_TENSOR_TYPE_FP32);
    static const int64_t s3[1] = {3};
    check_graph_shape(g, 1, 1, s3, 1);
    check_graph_shape(g, 0, 0, s3, 1);

    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));
    float x[4] = {1, -2, 3, 0.5f};
    int64_t k[3] = {1, -5, 4000000000LL};
    static const uint32_t d22[2] = {2, 2};
    static const uint32_t d3[1] = {3};
    wasinn_tensor_t tx = make_tensor(WASINN_TENSOR_TYPE_FP32, d22, 2, x, sizeof x);
    wasinn_tensor_t tk = make_tensor(WASINN_TENSOR_TYPE_I64, d3, 1, k, sizeof k);
    /* A rank the model does not declare is refused at set_input. */
    static const uint32_t d13[2] = {1, 3};
    wasinn_tensor_t wrong = make_tensor(WASINN_TENSOR_TYPE_I64, d13, 2, k, sizeof k);
    CHECK(wasinn_exec_ctx_set_input(ctx, 1, &wrong) != WASINN_STATUS_SUCCESS);
    CHECK_OK(wasinn_exec_ctx_set_input_by_name(ctx, "k", 1, &tk));
    CHECK_OK(wasinn_exec_ctx_set_input_by_name(ctx, "x", 1, &tx));
    CHECK_OK(wasinn_exec_ctx_compute(ctx));

    int64_t k2[3] = {0};
    size_t len = 0;
    CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, k2, sizeof k2, &len));
    CHECK(len == sizeof k2);
    CHECK(k2[0] == 2 && k2[1] == -10 && k2[2] == 8000000000LL);
    float x2[4] = {0};
    CHECK_OK(wasinn_exec_ctx_get_output_by_name(ctx, "x2", 2, x2, sizeof x2, &len));
    CHECK(len == sizeof x2);
    static const float want_x2[4] = {1, 4, 9, 0.25f};
    CHECK(floats_equal(x2, want_x2, 4));
    CHECK_OK(wasinn_exec_ctx_output_type(ctx, 0, &type));
    CHECK(type == WASINN_TENSOR_TYPE_I64);
    CHECK_OK(wasinn_exec_ctx_output_type(ctx, 1, &type));
    CHECK(type == WASINN_TENSOR_TYPE_FP32);

    wasinn_named_tensor_t named[2] = {{"x", 1, tx}, {"k", 1, tk}};
    wasinn_outputs_t outs = 0;
    if (CHECK_OK(wasinn_exec_ctx_compute_named(ctx, named, 2, &outs))) {
        size_t count = 0;
        CHECK_OK(wasinn_outputs_count(outs, &count));
        CHECK(count == 2);
        const char *name = NULL;
        size_t name_len = 0;
        wasinn_tensor_t t;
        if (CHECK_OK(wasinn_outputs_get(outs, 0, &name, &name_len, &t))) {
            CHECK(name_len == 2 && memcmp(name, "k2", 2) == 0);
            CHECK(t.type == WASINN_TENSOR_TYPE_I64 && t.rank == 1 && t.dims[0] == 3 && t.data_len == 24);
        }
        if (CHECK_OK(wasinn_outputs_get(outs, 1, &name, &name_len, &t))) {
            CHECK(name_len == 2 && memcmp(name, "x2", 2) == 0);
            CHECK(t.type == WASINN_TENSOR_TYPE_FP32 && t.rank == 2 && t.data_len == 16);
        }
        CHECK_OK(wasinn_outputs_free(outs));
    }
    CHECK_OK(wasinn_exec_ctx_free(ctx));
    CHECK_OK(wasinn_graph_free(g));
}

static void test_dynamic(const char *path)
{
    wasinn_graph_t g = load_onnx(path);
    static const int64_t dyn[2] = {-1, 4};
    check_graph_shape(g, 1, 0, dyn, 2);
    check_graph_shape(g, 0, 0, dyn, 2);

    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));
    for (uint32_t batch = 1; batch <= 5; batch += 2) {
        float x[20], y[20], want[20];
        for (uint32_t i = 0; i < batch * 4; i++) {
            x[i] = (float)i * 1.5f - 3.0f + (float)batch;
            want[i] = -x[i];
        }
        const uint32_t dims[2] = {batch, 4};
        wasinn_tensor_t tx = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, x, batch * 16);
        if (!CHECK_OK(wasinn_exec_ctx_set_input(ctx, 0, &tx)) || !CHECK_OK(wasinn_exec_ctx_compute(ctx)))
            continue;
        size_t len = 0;
        CHECK_OK(wasinn_exec_ctx_get_output(ctx, 0, y, sizeof y, &len));
        CHECK(len == batch * 16);
        CHECK(floats_equal(y, want, batch * 4));
        uint32_t odims[4] = {0};
        size_t rank = 0;
        CHECK_OK(wasinn_exec_ctx_output_shape(ctx, 0, odims, 4, &rank));
        CHECK(rank == 2 && odims[0] == batch && odims[1] == 4);
    }
    /* The static dimension is still checked. */
    float x[6] = {0};
    static const uint32_t bad_dims[2] = {2, 3};
    wasinn_tensor_t bad = make_tensor(WASINN_TENSOR_TYPE_FP32, bad_dims, 2, x, sizeof x);
    CHECK(wasinn_exec_ctx_set_input(ctx, 0, &bad) != WASINN_STATUS_SUCCESS
          || wasinn_exec_ctx_compute(ctx) != WASINN_STATUS_SUCCESS);
    CHECK_OK(wasinn_exec_ctx_free(ctx));
    CHECK_OK(wasinn_graph_free(g));
}

/* A context keeps its graph alive: freeing the graph handle only ends the handle. */
static void test_graph_freed_first(const char *path)
{
    wasinn_graph_t g = load_onnx(path);
    wasinn_exec_ctx_t ctx = 0;
    REQUIRE_OK(wasinn_exec_ctx_new(g, &ctx));
    CHECK_OK(wasinn_graph_free(g));
    CHECK_STATUS(wasinn_graph_free(g), WASINN_STATUS_INVALID_ARGUMENT);
    size_t n = 0;
    CHECK_STATUS(wasinn_graph_input_count(g, &n), WASINN_STATUS_INVALID_ARGUMENT);
    wasinn_exec_ctx_t ctx2 = 0;
    CHECK_STATUS(wasinn_exec_ctx_new(g, &ctx2), WASINN_STATUS_INVALID_ARGUMENT);

    float a[6] = {1, 1, 1, 1, 1, 1}, b[6] = {1, 2, 3, 4, 5, 6}, out[6], want[6];
    for (int i = 0; i < 6; i++)
        want[i] = a[i] + b[i];
    wasinn_tensor_t ta = make_tensor(WASINN_TENSOR_TYPE_FP32, dims_2x3, 2, a, sizeof a);
    wasinn_tensor_t tb = make_tensor(WASINN_TENSOR_TYPE_FP32, dims_2x3, 2, b, sizeof b);
    CHECK_OK(wasinn_exec_ctx_set_input(ctx, 0, &ta));
    CHECK_OK(wasinn_exec_ctx_set_input_by_name(ctx, "b", 1, &tb));
    CHECK_OK(wasinn_exec_ctx_compute(ctx));
    size_t len = 0;
    CHECK_OK(wasinn_exec_ctx_get_output_by_name(ctx, "sum", 3, out, sizeof out, &len));
    CHECK(floats_equal(out, want, 6));
    CHECK_OK(wasinn_exec_ctx_free(ctx));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s add.onnx multi_io.onnx dynamic.onnx\n", argv[0]);
        return 2;
    }
    wasinn_graph_t g = load_onnx(argv[1]);
    test_introspection(g);
    test_compute(g);
    CHECK_OK(wasinn_graph_free(g));
    CHECK_STATUS(wasinn_graph_free(g), WASINN_STATUS_INVALID_ARGUMENT);
    wasinn_exec_ctx_t ctx = 0;
    CHECK_STATUS(wasinn_exec_ctx_new(g, &ctx), WASINN_STATUS_INVALID_ARGUMENT);

    test_multi_io(argv[2]);
    test_dynamic(argv[3]);
    test_graph_freed_first(argv[1]);

    /* Two loads of the same bytes are independent graphs with distinct handles. */
    wasinn_graph_t g1 = load_onnx(argv[1]), g2 = load_onnx(argv[1]);
    CHECK(g1 != g2);
    CHECK(g1 != g); /* handles are never reused */
    CHECK_OK(wasinn_graph_free(g1));
    size_t n = 0;
    CHECK_OK(wasinn_graph_input_count(g2, &n));
    CHECK_OK(wasinn_graph_free(g2));
    return check_done("graph_ctx");
}
