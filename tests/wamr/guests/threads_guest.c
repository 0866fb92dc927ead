/*
 * A guest whose threads share one module instance's wasi-nn handles, through WAMR's lib-pthread
 * (pthread_create / pthread_join imported from module "env"; each thread runs in a WAMR
 * sub-instance sharing the memory, which WAMR gives it only for a shared memory). Freestanding:
 * Debian's wasi-libc has no threads build.
 *
 *   1. thread A makes the instance's first wasi-nn calls: loads the preloaded model and creates a
 *      context (the glue then stores the instance's state with wasm_runtime_set_context_spread);
 *   2. after A is joined, the main thread uses A's graph and A's context;
 *   3. three threads at once each create a context from that graph and run it 20 times;
 *   4. the main thread runs the first of those contexts after they are joined.
 */
#include "nn_steps.h"

int32_t pthread_create(uint32_t *thread, const void *attr, void *(*start)(void *), void *arg)
    __attribute__((import_module("env"), import_name("pthread_create")));
int32_t pthread_join(uint32_t thread, void **retval)
    __attribute__((import_module("env"), import_name("pthread_join")));

#define WORKERS 3
#define ROUNDS 20

static int32_t a_graph, a_ctx;
static int32_t worker_ctx[WORKERS];

static void *thread_a(void *arg)
{
    (void)arg;
    a_graph = nn_load_named();
    a_ctx = a_graph > 0 ? nn_new_context(a_graph) : a_graph;
    return 0;
}

static void *worker(void *arg)
{
    int32_t id = (int32_t)(uintptr_t)arg;
    int32_t ctx = nn_new_context(a_graph);
    worker_ctx[id] = ctx;
    if (ctx <= 0) return (void *)(uintptr_t)1000;
    for (int32_t r = 0; r < ROUNDS; r++) {
        int32_t err = nn_roundtrip(ctx, id * 100 + r);
        if (err) return (void *)(uintptr_t)err;
    }
    return 0;
}

void _start(void)
{
    uint32_t t = 0;
    void *ret = (void *)1;
    bare_check("pthread_create A", pthread_create(&t, 0, thread_a, 0), 0);
    bare_check("pthread_join A", pthread_join(t, &ret), 0);
    bare_check("A loaded a graph", a_graph > 0, 1);
    bare_check("A created a context", a_ctx > 0, 1);
    bare_check("main: run A's context", nn_roundtrip(a_ctx, 7), 0);
    bare_check("main: new context from A's graph", nn_new_context(a_graph) > 0, 1);

    uint32_t tids[WORKERS];
    for (int32_t i = 0; i < WORKERS; i++)
        bare_check("pthread_create worker", pthread_create(&tids[i], 0, worker, (void *)(uintptr_t)i), 0);
    for (int32_t i = 0; i < WORKERS; i++) {
        ret = (void *)1;
        bare_check("pthread_join worker", pthread_join(tids[i], &ret), 0);
        bare_check("worker: own context from the shared graph, 20 round trips", (int32_t)(uintptr_t)ret, 0);
    }
    bare_check("main: run worker 0's context", nn_roundtrip(worker_ctx[0], 9), 0);
    bare_puts(bare_failures ? "done: FAILED\n" : "done: 0 failures\n");
    bare_proc_exit(bare_failures ? 1 : 0);
}
