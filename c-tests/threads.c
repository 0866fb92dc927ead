/* threads.c: one graph shared by 4 threads, each with its own execution context, computing 200
 * times with inputs of its own and checking every result; plus the thread-locality of the last
 * error. usage: threads add.onnx */
#include <pthread.h>

#include "check.h"

#define N_THREADS 4
#define N_ITERS 200

struct worker {
    wasinn_graph_t graph;
    int id;
    int failures; /* counted here: the CHECK counters are not thread-safe */
    char first_error[256];
};

static void fail(struct worker *w, const char *what, wasinn_status_t st)
{
    if (w->failures++ == 0) {
        char msg[160];
        wasinn_last_error_message(msg, sizeof msg);
        snprintf(w->first_error, sizeof w->first_error, "%s: %s (%s)", what, wasinn_status_str(st), msg);
    }
}

static void *run(void *arg)
{
    struct worker *w = arg;
    static const uint32_t dims[2] = {2, 3};
    wasinn_exec_ctx_t ctx = 0;
    wasinn_status_t st = wasinn_exec_ctx_new(w->graph, &ctx);
    if (st != WASINN_STATUS_SUCCESS) {
        fail(w, "exec_ctx_new", st);
        return NULL;
    }
    for (int it = 0; it < N_ITERS; it++) {
        float a[6], b[6], out[6];
        for (int i = 0; i < 6; i++) {
            a[i] = (float)(w->id * 1000 + it);
            b[i] = (float)i * 0.25f;
        }
        wasinn_tensor_t ta = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, a, sizeof a);
        wasinn_tensor_t tb = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, b, sizeof b);
        size_t len = 0;
        if ((st = wasinn_exec_ctx_set_input(ctx, 0, &ta)) != WASINN_STATUS_SUCCESS) {
            fail(w, "set_input", st);
            continue;
        }
        if ((st = wasinn_exec_ctx_set_input_by_name(ctx, "b", 1, &tb)) != WASINN_STATUS_SUCCESS) {
            fail(w, "set_input_by_name", st);
            continue;
        }
        if ((st = wasinn_exec_ctx_compute(ctx)) != WASINN_STATUS_SUCCESS) {
            fail(w, "compute", st);
            continue;
        }
        if ((st = wasinn_exec_ctx_get_output(ctx, 0, out, sizeof out, &len)) != WASINN_STATUS_SUCCESS) {
            fail(w, "get_output", st);
            continue;
        }
        for (int i = 0; i < 6; i++) {
            if (out[i] != a[i] + b[i]) {
                fail(w, "wrong result", WASINN_STATUS_SUCCESS);
                break;
            }
        }
    }
    if ((st = wasinn_exec_ctx_free(ctx)) != WASINN_STATUS_SUCCESS)
        fail(w, "exec_ctx_free", st);
    return NULL;
}

static void *other_thread_last_error(void *arg)
{
    int *ok = arg;
    /* The main thread's failure is not visible here. */
    *ok = wasinn_last_error_status() == WASINN_STATUS_SUCCESS && wasinn_last_error_message(NULL, 0) == 0;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s add.onnx\n", argv[0]);
        return 2;
    }
    wasinn_graph_t g = load_onnx(argv[1]);

    struct worker workers[N_THREADS];
    pthread_t tids[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].graph = g;
        workers[i].id = i + 1;
        REQUIRE(pthread_create(&tids[i], NULL, run, &workers[i]) == 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        REQUIRE(pthread_join(tids[i], NULL) == 0);
        if (!CHECK(workers[i].failures == 0))
            fprintf(stderr, "    thread %d: %d failures, first: %s\n", workers[i].id, workers[i].failures,
                    workers[i].first_error);
    }
    CHECK_OK(wasinn_graph_free(g));

    /* The last error is per thread. */
    CHECK_STATUS(wasinn_graph_free(g), WASINN_STATUS_INVALID_ARGUMENT);
    int ok = 0;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, other_thread_last_error, &ok) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK(ok);
    CHECK(wasinn_last_error_status() == WASINN_STATUS_INVALID_ARGUMENT);

    return check_done("threads");
}
