/*
 * wasinn_wasmtime.c - wasi_ephemeral_nn over wasmtime's C API. See wasinn_wasmtime.h.
 *
 * The glue only translates wasmtime's calling convention (raw i32 slots, the caller's `memory`
 * export) into wasinn_witx_* calls; every decoding, bounds check and errno is libwasinn's.
 *
 * Invariants:
 * - One `glue` per wasinn_wasmtime_define call, shared by its twelve definitions and by the store
 *   hooks; reference counted (wasmtime runs each definition's finalizer when the last copy of it
 *   goes, which may be after the linker is deleted, on any thread).
 * - Its table maps a guest memory (store id + wasmtime's private index) to that instance's
 *   wasinn_witx_instance_t. A store id is never reused by wasmtime within a process.
 * - The first time a store calls in, a host function carrying a `hook` is created in that store;
 *   its finalizer (run when the store is deleted) frees every state of that store.
 * - The table is guarded by a mutex (stores on different threads may share a glue); the witx
 *   instances themselves are thread-safe and are called without the lock.
 */
#include "wasinn_wasmtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t store_id;
    uint32_t priv1, priv2;
    wasinn_witx_instance_t *inst;
};

struct glue {
    atomic_size_t refs;
    uint32_t profile;
    /* for guests without a `memory` export: it can never hold a handle (every handle is
     * returned through guest memory), so one per glue is enough */
    wasinn_witx_instance_t *no_memory;
    pthread_mutex_t lock;
    struct entry *entries;
    size_t len, cap;
};

struct hook {
    struct glue *glue;
    uint64_t store_id;
};

static atomic_size_t live_instances;

static void glue_unref(void *p)
{
    struct glue *g = p;
    if (atomic_fetch_sub(&g->refs, 1) != 1) return;
    /* the last reference: every store hook has run, so the table is empty */
    wasinn_witx_instance_free(g->no_memory);
    pthread_mutex_destroy(&g->lock);
    free(g->entries);
    free(g);
}

static void hook_finalizer(void *p)
{
    struct hook *h = p;
    struct glue *g = h->glue;
    pthread_mutex_lock(&g->lock);
    size_t i = 0;
    while (i < g->len) {
        if (g->entries[i].store_id == h->store_id) {
            wasinn_witx_instance_free(g->entries[i].inst);
            atomic_fetch_sub(&live_instances, 1);
            g->entries[i] = g->entries[--g->len];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&g->lock);
    free(h);
    glue_unref(g);
}

static wasm_trap_t *hook_callback(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args,
                                  size_t nargs)
{
    (void)env; (void)caller; (void)args; (void)nargs;
    return NULL; /* never called: the function exists for its finalizer */
}

/* Registers the store-deletion hook of `store_id` in the caller's store. */
static int add_store_hook(struct glue *g, wasmtime_caller_t *caller, uint64_t store_id)
{
    struct hook *h = malloc(sizeof *h);
    wasm_functype_t *ty = wasm_functype_new_0_0();
    if (h == NULL || ty == NULL) {
        free(h);
        if (ty) wasm_functype_delete(ty);
        return -1;
    }
    h->glue = g;
    h->store_id = store_id;
    atomic_fetch_add(&g->refs, 1);
    wasmtime_func_t f;
    wasmtime_func_new_unchecked(wasmtime_caller_context(caller), ty, hook_callback, h,
                                hook_finalizer, &f);
    wasm_functype_delete(ty);
    return 0;
}

/* The calling instance's state and memory; NULL (and a trap in *trap) only when out of memory. */
static wasinn_witx_instance_t *instance_of(struct glue *g, wasmtime_caller_t *caller,
                                           uint8_t **mem, size_t *mem_len, wasm_trap_t **trap)
{
    static uint8_t empty[1];
    wasmtime_extern_t item;
    if (!wasmtime_caller_export_get(caller, "memory", 6, &item)) {
        *mem = empty;
        *mem_len = 0;
        return g->no_memory;
    }
    if (item.kind != WASMTIME_EXTERN_MEMORY) {
        wasmtime_extern_delete(&item);
        *mem = empty;
        *mem_len = 0;
        return g->no_memory;
    }
    wasmtime_context_t *cx = wasmtime_caller_context(caller);
    const wasmtime_memory_t *m = &item.of.memory;
    *mem = wasmtime_memory_data(cx, m);
    *mem_len = wasmtime_memory_data_size(cx, m);
    if (*mem == NULL) { *mem = empty; *mem_len = 0; }

    wasinn_witx_instance_t *inst = NULL;
    int store_known = 0;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->len; i++) {
        const struct entry *e = &g->entries[i];
        if (e->store_id != m->store_id) continue;
        store_known = 1;
        if (e->priv1 == m->__private1 && e->priv2 == m->__private2) {
            inst = e->inst;
            break;
        }
    }
    if (inst == NULL) {
        /* first wasi-nn call of this instance */
        if (g->len == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 8;
            struct entry *ne = realloc(g->entries, cap * sizeof *ne);
            if (ne == NULL) goto oom;
            g->entries = ne;
            g->cap = cap;
        }
        if (!store_known && add_store_hook(g, caller, m->store_id) != 0) goto oom;
        if (wasinn_witx_instance_new(g->profile, &inst) != WASINN_STATUS_SUCCESS) goto oom;
        g->entries[g->len++] = (struct entry){m->store_id, m->__private1, m->__private2, inst};
        atomic_fetch_add(&live_instances, 1);
    }
    pthread_mutex_unlock(&g->lock);
    return inst;
oom:
    pthread_mutex_unlock(&g->lock);
    *trap = wasmtime_trap_new("wasinn_wasmtime: out of memory", 30);
    return NULL;
}

/* One trampoline per import: a[0..N-1] are the guest's i32s (as u32), the errno goes to a[0]. */
#define A(k) ((uint32_t)a[k].i32)
#define TRAMPOLINE(NAME, CALL)                                                               \
    static wasm_trap_t *tr_##NAME(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *a, \
                                  size_t n)                                                  \
    {                                                                                        \
        (void)n;                                                                             \
        uint8_t *mem;                                                                        \
        size_t mem_len;                                                                      \
        wasm_trap_t *trap = NULL;                                                            \
        wasinn_witx_instance_t *inst = instance_of(env, caller, &mem, &mem_len, &trap);      \
        if (inst == NULL) return trap;                                                       \
        a[0].i32 = CALL;                                                                     \
        return NULL;                                                                         \
    }

TRAMPOLINE(load, wasinn_witx_load(inst, mem, mem_len, A(0), A(1), A(2), A(3), A(4)))
TRAMPOLINE(load_by_name, wasinn_witx_load_by_name(inst, mem, mem_len, A(0), A(1), A(2)))
TRAMPOLINE(load_by_name_with_config,
           wasinn_witx_load_by_name_with_config(inst, mem, mem_len, A(0), A(1), A(2), A(3), A(4)))
TRAMPOLINE(init_execution_context,
           wasinn_witx_init_execution_context(inst, mem, mem_len, A(0), A(1)))
TRAMPOLINE(set_input, wasinn_witx_set_input(inst, mem, mem_len, A(0), A(1), A(2)))
TRAMPOLINE(compute, wasinn_witx_compute(inst, mem, mem_len, A(0)))
TRAMPOLINE(get_output,
           wasinn_witx_get_output(inst, mem, mem_len, A(0), A(1), A(2), A(3), A(4)))
TRAMPOLINE(unload, wasinn_witx_unload(inst, mem, mem_len, A(0)))
TRAMPOLINE(finalize_execution_context,
           wasinn_witx_finalize_execution_context(inst, mem, mem_len, A(0)))
TRAMPOLINE(compute_single, wasinn_witx_compute_single(inst, mem, mem_len, A(0)))
TRAMPOLINE(get_output_single,
           wasinn_witx_get_output_single(inst, mem, mem_len, A(0), A(1), A(2), A(3), A(4)))
TRAMPOLINE(fini_single, wasinn_witx_fini_single(inst, mem, mem_len, A(0)))

static const struct {
    const char *name;
    size_t nparams;
    wasmtime_func_unchecked_callback_t cb;
} imports[] = {
    {"load", 5, tr_load},
    {"load_by_name", 3, tr_load_by_name},
    {"load_by_name_with_config", 5, tr_load_by_name_with_config},
    {"init_execution_context", 2, tr_init_execution_context},
    {"set_input", 3, tr_set_input},
    {"compute", 1, tr_compute},
    {"get_output", 5, tr_get_output},
    {"unload", 1, tr_unload},
    {"finalize_execution_context", 1, tr_finalize_execution_context},
    {"compute_single", 1, tr_compute_single},
    {"get_output_single", 5, tr_get_output_single},
    {"fini_single", 1, tr_fini_single},
};

static wasm_functype_t *i32_functype(size_t nparams)
{
    wasm_valtype_t *p[5];
    wasm_valtype_vec_t params, results;
    for (size_t i = 0; i < nparams; i++) p[i] = wasm_valtype_new_i32();
    wasm_valtype_vec_new(&params, nparams, p);
    wasm_valtype_vec_new_empty(&results);
    wasm_valtype_t *r = wasm_valtype_new_i32();
    wasm_valtype_vec_new(&results, 1, &r);
    return wasm_functype_new(&params, &results); /* takes the vectors */
}

static wasmtime_error_t *error(const char *msg)
{
    return wasmtime_error_new(msg);
}

wasmtime_error_t *wasinn_wasmtime_define(wasmtime_linker_t *linker, uint32_t profile)
{
    static const char module[] = "wasi_ephemeral_nn";
    if (linker == NULL) return error("wasinn_wasmtime_define: NULL linker");
    struct glue *g = calloc(1, sizeof *g);
    if (g == NULL) return error("wasinn_wasmtime_define: out of memory");
    /* libwasinn validates the profile */
    if (wasinn_witx_instance_new(profile, &g->no_memory) != WASINN_STATUS_SUCCESS) {
        free(g);
        return error("wasinn_wasmtime_define: unknown wasi-nn profile (see WASINN_WITX_PROFILE_*)");
    }
    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        wasinn_witx_instance_free(g->no_memory);
        free(g);
        return error("wasinn_wasmtime_define: cannot create a mutex");
    }
    g->profile = profile;
    atomic_init(&g->refs, 1); /* ours, dropped below */

    wasmtime_error_t *err = NULL;
    for (size_t i = 0; i < sizeof imports / sizeof imports[0] && err == NULL; i++) {
        wasm_functype_t *ty = i32_functype(imports[i].nparams);
        if (ty == NULL) { err = error("wasinn_wasmtime_define: out of memory"); break; }
        /* wasmtime owns this reference from here on, on success and on error alike */
        atomic_fetch_add(&g->refs, 1);
        err = wasmtime_linker_define_func_unchecked(linker, module, sizeof module - 1,
                                                    imports[i].name, strlen(imports[i].name), ty,
                                                    imports[i].cb, g, glue_unref);
        wasm_functype_delete(ty);
    }
    glue_unref(g);
    return err;
}

size_t wasinn_wasmtime_live_instances(void)
{
    return atomic_load(&live_instances);
}

const char *wasinn_wasmtime_header_version(void)
{
    return WASMTIME_VERSION;
}

const void *wasinn_wasmtime_api_probe(void)
{
    return (const void *)&wasmtime_linker_define_func_unchecked;
}
