/* stress.c: THREADS threads (default 8) create, use and free graphs and contexts on one backend for
 * SECONDS, through the C API alone, while a watchdog fails the run on a stall (no deadlock), and
 * every output is compared bit for bit with the single-threaded run of the same inputs.
 *
 * usage: stress add.onnx SECONDS BACKEND[,BACKEND...] [THREADS]
 *
 * Each iteration picks one of four operations (a per-thread xorshift, seeded by the thread id):
 *   own-ctx       a context of its own on the shared graph: set, compute, get, compare, free
 *   own-graph     a graph of its own, a context, the graph freed before the compute (a live
 *                 context keeps its graph alive), compute, compare, free
 *   slot-graph    a context on the graph in a shared slot that other threads replace and free:
 *                 exec_ctx_new succeeds or, only when that graph was freed, INVALID_ARGUMENT;
 *                 sometimes the thread replaces the slot's graph itself and frees the old one
 *   slot-ctx      set, compute and get on the context in a shared slot (all threads give it the
 *                 same inputs, derived from its handle), while other threads replace it and free
 *                 the old one during those calls: each call succeeds or, only when the context
 *                 was freed, INVALID_ARGUMENT ("a call running on the context in another thread
 *                 finishes normally", wasinn.h)
 * Any other status, any output that differs from the reference, or a stale handle that still
 * works is a failure. Prints one line per backend; exits 1 on any failure, 3 when the watchdog
 * finds a thread stalled (nothing finished for STALL_SECONDS) or the threads do not stop.
 *
 * c-tests/CMakeLists.txt registers a 2-second run on tract (and so under valgrind and ASan too);
 * scripts/test.sh runs it for longer on every backend, and built with -DWASINN_TSAN=ON
 * (ThreadSanitizer; docs/stress.md says what it covers). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

#define MAX_THREADS 64
#define NPAT 16          /* input patterns */
#define STALL_SECONDS 60 /* a thread that finishes nothing for this long is stuck */

enum { OP_OWN_CTX, OP_OWN_GRAPH, OP_SLOT_GRAPH, OP_SLOT_CTX, N_OPS };
static const char *const op_name[N_OPS] = {"own-ctx", "own-graph", "slot-graph", "slot-ctx"};

static const uint32_t dims[2] = {2, 3};
static float in_a[NPAT][6], in_b[NPAT][6];
static uint8_t ref[NPAT][24]; /* the single-threaded outputs */

static wasinn_buffer_t model;
static const char *backend;
static wasinn_graph_t shared_graph;
static _Atomic uint64_t slot_graph, slot_ctx;
static atomic_int stop;

struct worker {
    int id;
    uint64_t rng;
    _Atomic uint64_t progress; /* iterations finished: the watchdog's heartbeat */
    atomic_int op;             /* the operation running (for the watchdog's report) */
    uint64_t ops[N_OPS], refused[N_OPS], outputs;
    int failures;
    char first_error[300];
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t next(struct worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static void fail(struct worker *w, const char *what, wasinn_status_t st)
{
    if (w->failures++ == 0) {
        char msg[200];
        msg[0] = '\0';
        wasinn_last_error_message(msg, sizeof msg);
        snprintf(w->first_error, sizeof w->first_error, "%s: %s (%s)", what, wasinn_status_str(st), msg);
    }
}

static wasinn_status_t load(wasinn_graph_t *g)
{
    return wasinn_graph_load_with_backend(&model, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, backend, g);
}

static wasinn_status_t set_inputs(wasinn_exec_ctx_t c, int p)
{
    wasinn_tensor_t a = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, in_a[p], sizeof in_a[p]);
    wasinn_tensor_t b = make_tensor(WASINN_TENSOR_TYPE_FP32, dims, 2, in_b[p], sizeof in_b[p]);
    wasinn_status_t st = wasinn_exec_ctx_set_input(c, 0, &a);
    return st ? st : wasinn_exec_ctx_set_input(c, 1, &b);
}

/* set, compute, get pattern p on c; 0 or the first failing status. `out` gets the output. */
static wasinn_status_t infer(wasinn_exec_ctx_t c, int p, uint8_t out[24])
{
    size_t len = 0;
    wasinn_status_t st = set_inputs(c, p);
    if (st == 0) st = wasinn_exec_ctx_compute(c);
    if (st == 0) st = wasinn_exec_ctx_get_output(c, 0, out, 24, &len);
    if (st == 0 && len != 24) st = WASINN_STATUS_RUNTIME_ERROR;
    return st;
}

static void compare(struct worker *w, const uint8_t out[24], int p)
{
    w->outputs++;
    if (memcmp(out, ref[p], 24) != 0) fail(w, "output differs from the single-threaded run", 0);
}

/* An inference of a random pattern on a context only this thread uses. */
static void own(struct worker *w, wasinn_exec_ctx_t c)
{
    uint8_t out[24];
    int p = (int)(next(w) % NPAT);
    wasinn_status_t st = infer(c, p, out);
    if (st) fail(w, "infer on an own context", st); else compare(w, out, p);
}

static void op_own_ctx(struct worker *w)
{
    wasinn_exec_ctx_t c;
    wasinn_status_t st = wasinn_exec_ctx_new(shared_graph, &c);
    if (st) { fail(w, "exec_ctx_new on the shared graph", st); return; }
    int n = 1 + (int)(next(w) % 3); /* a context computes several times */
    for (int i = 0; i < n; i++) own(w, c);
    if ((st = wasinn_exec_ctx_free(c))) fail(w, "exec_ctx_free", st);
    if (wasinn_exec_ctx_compute(c) != WASINN_STATUS_INVALID_ARGUMENT) fail(w, "a freed context still computes", 0);
}

static void op_own_graph(struct worker *w)
{
    wasinn_graph_t g;
    wasinn_exec_ctx_t c;
    wasinn_status_t st = load(&g);
    if (st) { fail(w, "load", st); return; }
    if ((st = wasinn_exec_ctx_new(g, &c))) { fail(w, "exec_ctx_new on an own graph", st); wasinn_graph_free(g); return; }
    if ((st = wasinn_graph_free(g))) fail(w, "graph_free", st);
    own(w, c); /* the context outlives its graph handle */
    wasinn_exec_ctx_t c2;
    if (wasinn_exec_ctx_new(g, &c2) != WASINN_STATUS_INVALID_ARGUMENT) fail(w, "a freed graph still makes contexts", 0);
    if ((st = wasinn_exec_ctx_free(c))) fail(w, "exec_ctx_free", st);
}

static void op_slot_graph(struct worker *w)
{
    if (next(w) % 8 == 0) { /* replace the slot's graph, free the old one */
        wasinn_graph_t g, old;
        wasinn_status_t st = load(&g);
        if (st) { fail(w, "load", st); return; }
        old = atomic_exchange(&slot_graph, g);
        if ((st = wasinn_graph_free(old))) fail(w, "graph_free of the replaced slot graph", st);
        return;
    }
    wasinn_graph_t g = atomic_load(&slot_graph);
    wasinn_exec_ctx_t c;
    wasinn_status_t st = wasinn_exec_ctx_new(g, &c);
    if (st == WASINN_STATUS_INVALID_ARGUMENT && atomic_load(&slot_graph) != g) {
        w->refused[OP_SLOT_GRAPH]++; /* freed by another thread meanwhile: documented */
        return;
    }
    if (st) { fail(w, "exec_ctx_new on the slot graph", st); return; }
    own(w, c);
    if ((st = wasinn_exec_ctx_free(c))) fail(w, "exec_ctx_free", st);
}

static void op_slot_ctx(struct worker *w)
{
    if (next(w) % 8 == 0) { /* replace the slot's context while others may be computing on it */
        wasinn_exec_ctx_t c, old;
        wasinn_status_t st = wasinn_exec_ctx_new(shared_graph, &c);
        if (st) { fail(w, "exec_ctx_new", st); return; }
        old = atomic_exchange(&slot_ctx, c);
        if ((st = wasinn_exec_ctx_free(old))) fail(w, "exec_ctx_free of the replaced slot context", st);
        return;
    }
    wasinn_exec_ctx_t c = atomic_load(&slot_ctx);
    int p = (int)(c % NPAT); /* every thread gives this context the same inputs */
    uint8_t out[24];
    wasinn_status_t st = infer(c, p, out);
    if (st == WASINN_STATUS_INVALID_ARGUMENT && atomic_load(&slot_ctx) != c) {
        w->refused[OP_SLOT_CTX]++;
        return;
    }
    if (st) fail(w, "infer on the slot context", st); else compare(w, out, p);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load(&stop)) {
        int op = (int)(next(w) % N_OPS);
        atomic_store(&w->op, op);
        w->ops[op]++;
        switch (op) {
        case OP_OWN_CTX: op_own_ctx(w); break;
        case OP_OWN_GRAPH: op_own_graph(w); break;
        case OP_SLOT_GRAPH: op_slot_graph(w); break;
        default: op_slot_ctx(w); break;
        }
        atomic_fetch_add(&w->progress, 1);
    }
    return NULL;
}

/* The watchdog: every 100 ms until `deadline`, then until every thread has stopped; exits the
 * process (3) when a thread finished nothing for STALL_SECONDS. Returns when all have stopped. */
static void watch(struct worker *ws, int n, double deadline, const atomic_int *stopped)
{
    uint64_t last[MAX_THREADS];
    double since[MAX_THREADS];
    for (int i = 0; i < n; i++) { last[i] = 0; since[i] = now(); }
    while (atomic_load(stopped) < n) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        double t = now();
        if (t >= deadline) atomic_store(&stop, 1);
        for (int i = 0; i < n; i++) {
            uint64_t p = atomic_load(&ws[i].progress);
            if (p != last[i]) { last[i] = p; since[i] = t; continue; }
            if (t - since[i] > STALL_SECONDS && !(atomic_load(stopped) == n)) {
                fprintf(stderr, "stress %s: WATCHDOG: thread %d made no progress for %d s (in %s, after %llu iterations): deadlock or hang\n",
                        backend, ws[i].id, STALL_SECONDS, op_name[atomic_load(&ws[i].op)], (unsigned long long)p);
                fflush(stderr);
                _Exit(3);
            }
        }
    }
}

static atomic_int stopped;
static void *run_and_count(void *arg)
{
    run(arg);
    atomic_fetch_add(&stopped, 1);
    return NULL;
}

static int stress(double seconds, int n)
{
    /* the reference: each pattern once, single-threaded, on a fresh context */
    REQUIRE_OK(load(&shared_graph));
    for (int p = 0; p < NPAT; p++) {
        wasinn_exec_ctx_t c;
        REQUIRE_OK(wasinn_exec_ctx_new(shared_graph, &c));
        REQUIRE_OK(infer(c, p, ref[p]));
        REQUIRE_OK(wasinn_exec_ctx_free(c));
        float sum[6];
        memcpy(sum, ref[p], sizeof sum);
        for (int i = 0; i < 6; i++) REQUIRE(sum[i] == in_a[p][i] + in_b[p][i]);
    }
    wasinn_graph_t g;
    wasinn_exec_ctx_t c;
    REQUIRE_OK(load(&g));
    atomic_store(&slot_graph, g);
    REQUIRE_OK(wasinn_exec_ctx_new(shared_graph, &c));
    atomic_store(&slot_ctx, c);

    static struct worker ws[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    atomic_store(&stop, 0);
    atomic_store(&stopped, 0);
    double t0 = now();
    for (int i = 0; i < n; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].id = i;
        ws[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        REQUIRE(pthread_create(&tids[i], NULL, run_and_count, &ws[i]) == 0);
    }
    watch(ws, n, t0 + seconds, &stopped);
    for (int i = 0; i < n; i++) REQUIRE(pthread_join(tids[i], NULL) == 0);
    double elapsed = now() - t0;

    uint64_t ops[N_OPS] = {0}, refused[N_OPS] = {0}, outputs = 0, total = 0;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < N_OPS; k++) { ops[k] += ws[i].ops[k]; refused[k] += ws[i].refused[k]; total += ws[i].ops[k]; }
        outputs += ws[i].outputs;
        failures += ws[i].failures;
        if (ws[i].failures)
            fprintf(stderr, "stress %s: thread %d: %d failures, first: %s\n", backend, i, ws[i].failures, ws[i].first_error);
    }
    CHECK(failures == 0);
    CHECK_OK(wasinn_exec_ctx_free(atomic_load(&slot_ctx)));
    CHECK_OK(wasinn_graph_free(atomic_load(&slot_graph)));
    CHECK_OK(wasinn_graph_free(shared_graph));
    CHECK_STATUS(wasinn_graph_free(shared_graph), WASINN_STATUS_INVALID_ARGUMENT);
    /* every operation ran, and the races the slots exist for happened */
    for (int k = 0; k < N_OPS; k++) CHECK(ops[k] > 0);
    printf("stress %s: %d threads, %.1f s, %llu iterations (%s %llu, %s %llu, %s %llu of which %llu refused: graph freed, "
           "%s %llu of which %llu refused: context freed), %llu outputs identical to the single-threaded run, %d failures\n",
           backend, n, elapsed, (unsigned long long)total, op_name[0], (unsigned long long)ops[0], op_name[1],
           (unsigned long long)ops[1], op_name[2], (unsigned long long)ops[2], (unsigned long long)refused[2],
           op_name[3], (unsigned long long)ops[3], (unsigned long long)refused[3], (unsigned long long)outputs, failures);
    fflush(stdout);
    return failures;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s add.onnx SECONDS BACKEND[,BACKEND...] [THREADS]\n", argv[0]);
        return 2;
    }
    size_t len;
    uint8_t *bytes = read_file(argv[1], &len);
    model.data = bytes;
    model.len = len;
    double seconds = atof(argv[2]);
    int n = argc == 5 ? atoi(argv[4]) : 8;
    REQUIRE(seconds > 0 && n > 0 && n <= MAX_THREADS);
    for (int p = 0; p < NPAT; p++)
        for (int i = 0; i < 6; i++) {
            in_a[p][i] = (float)p * 7.0f + (float)i * 0.25f;
            in_b[p][i] = 100.0f - (float)p - (float)i * 1.5f;
        }
    char *list = strdup(argv[3]), *save = NULL;
    REQUIRE(list != NULL);
    for (char *b = strtok_r(list, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        backend = b;
        stress(seconds, n);
    }
    free(list);
    free(bytes);
    return check_done("stress");
}
