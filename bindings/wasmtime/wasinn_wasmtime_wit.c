/*
 * wasinn_wasmtime_wit.c - wasi:nn@0.2.0-rc-2024-10-28 for components over wasmtime's
 * component-model C API. See wasinn_wasmtime_wit.h.
 *
 * The glue converts wasmtime_component_val_t values to libwasinn calls and back; every check and
 * status is libwasinn's (the glue only maps a status to an error-code name).
 *
 * Invariants:
 * - One `wit` state per wasinn_wasmtime_wit_define call, reference counted by its definitions
 *   (wasmtime runs each finalizer when the last copy of a definition goes).
 * - A resource's rep is its slot index + 1 in the state's table; slots are never reused, so a
 *   rep names one object for the life of the state. The component model keeps the guest's
 *   handles per instance: a guest can only name its own resources.
 * - Each slot records its store (the wasmtime_context_t, stable for a store's life). The first
 *   time a store creates a resource, a host function carrying a `hook` is created in that store;
 *   its finalizer (run when the store is deleted) releases every slot of that store that the guest
 *   did not drop (wasmtime runs no resource destructor at store deletion). A later store at the
 *   same address is a new store: the old one's hook has run by then.
 * - The table is guarded by a mutex; libwasinn calls run without it (graphs and contexts are
 *   libwasinn handles, thread-safe, and a context keeps its graph alive).
 * - Values in `args` belong to wasmtime (it drops them after the callback); values written to
 *   `results` are built with wasmtime's allocators and taken over by wasmtime.
 */
#include "wasinn_wasmtime_wit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIT_VERSION "@0.2.0-rc-2024-10-28"

/* resource type ids (host-chosen, distinct) */
enum { TY_TENSOR = 0x6e6e0001, TY_GRAPH, TY_CTX, TY_ERROR };

enum kind { K_FREE = 0, K_TENSOR, K_GRAPH, K_CTX, K_ERROR };

struct slot {
    enum kind kind;
    const void *store;
    union {
        struct {
            uint32_t type;
            uint32_t *dims;
            size_t rank;
            uint8_t *data;
            size_t len;
        } tensor;
        wasinn_graph_t graph;
        wasinn_exec_ctx_t ctx;
        struct {
            uint32_t code; /* index into error_codes */
            char *msg;
        } error;
    } u;
};

struct wit {
    atomic_size_t refs;
    pthread_mutex_t lock;
    struct slot *slots;
    size_t len, cap;
    const void **stores; /* stores with a hook */
    size_t nstores, cap_stores;
};

struct hook {
    struct wit *w;
    const void *store;
};

static atomic_size_t live_resources;

size_t wasinn_wasmtime_wit_live_resources(void) { return atomic_load(&live_resources); }

/* WIT enums, in declaration order (wit/wasi-nn.wit) */
static const char *const tensor_types[] = { "FP16", "FP32", "FP64", "BF16", "U8", "I32", "I64" };
static const char *const encodings[] = { "openvino", "onnx", "tensorflow", "pytorch",
                                         "tensorflowlite", "ggml", "autodetect" };
static const char *const targets[] = { "cpu", "gpu", "tpu" };
static const char *const error_codes[] = { "invalid-argument", "invalid-encoding", "timeout",
                                           "runtime-error", "unsupported-operation", "too-large",
                                           "not-found", "security", "unknown" };
enum { EC_INVALID_ARGUMENT = 0, EC_INVALID_ENCODING, EC_TIMEOUT, EC_RUNTIME_ERROR,
       EC_UNSUPPORTED, EC_TOO_LARGE, EC_NOT_FOUND, EC_SECURITY, EC_UNKNOWN };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* libwasinn status -> WIT error-code (never a cast: the numberings differ) */
static uint32_t error_code_of(wasinn_status_t s)
{
    switch (s) {
    case WASINN_STATUS_INVALID_ARGUMENT: return EC_INVALID_ARGUMENT;
    case WASINN_STATUS_INVALID_ENCODING: return EC_INVALID_ENCODING;
    case WASINN_STATUS_RUNTIME_ERROR: return EC_RUNTIME_ERROR;
    case WASINN_STATUS_UNSUPPORTED_OPERATION: return EC_UNSUPPORTED;
    case WASINN_STATUS_TOO_LARGE: return EC_TOO_LARGE;
    case WASINN_STATUS_NOT_FOUND: return EC_NOT_FOUND;
    /* A generator's compute (llama.cpp) can fail for its context window: a size limit, as the
     * core's wit_error_code says; end_of_sequence only comes from compute_single (not in WIT). */
    case WASINN_STATUS_CONTEXT_FULL: return EC_TOO_LARGE;
    case WASINN_STATUS_PROMPT_TOO_LONG: return EC_TOO_LARGE;
    case WASINN_STATUS_END_OF_SEQUENCE: return EC_NOT_FOUND;
    case WASINN_STATUS_SECURITY: return EC_SECURITY;
    case WASINN_STATUS_EXHAUSTED: return EC_RUNTIME_ERROR;
    default: return EC_UNKNOWN; /* MISSING_MEMORY, BUSY, PANIC: not produced by these calls */
    }
}

/* ---- state and table ---------------------------------------------------- */

static void slot_release(struct slot *s)
{
    switch (s->kind) {
    case K_TENSOR: free(s->u.tensor.dims); free(s->u.tensor.data); break;
    case K_GRAPH: wasinn_graph_free(s->u.graph); break;
    case K_CTX: wasinn_exec_ctx_free(s->u.ctx); break;
    case K_ERROR: free(s->u.error.msg); break;
    case K_FREE: return;
    }
    s->kind = K_FREE;
    atomic_fetch_sub(&live_resources, 1);
}

static void wit_unref(void *p)
{
    struct wit *w = p;
    if (atomic_fetch_sub(&w->refs, 1) != 1) return;
    for (size_t i = 0; i < w->len; i++) slot_release(&w->slots[i]);
    pthread_mutex_destroy(&w->lock);
    free(w->slots);
    free(w->stores);
    free(w);
}

static struct wit *wit_ref(struct wit *w)
{
    atomic_fetch_add(&w->refs, 1);
    return w;
}

static wasm_trap_t *hook_callback(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args,
                                  size_t nargs)
{
    (void)env; (void)caller; (void)args; (void)nargs;
    return NULL; /* never called: the function exists for its finalizer */
}

/* run when the store is deleted: releases what its guest did not drop */
static void hook_finalizer(void *p)
{
    struct hook *h = p;
    struct wit *w = h->w;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->len; i++)
        if (w->slots[i].kind != K_FREE && w->slots[i].store == h->store) slot_release(&w->slots[i]);
    for (size_t i = 0; i < w->nstores; i++)
        if (w->stores[i] == h->store) { w->stores[i] = w->stores[--w->nstores]; break; }
    pthread_mutex_unlock(&w->lock);
    free(h);
    wit_unref(w);
}

/* Under the lock: makes sure the store `cx` has its hook; false when out of memory. */
static bool store_hook_locked(struct wit *w, wasmtime_context_t *cx)
{
    for (size_t i = 0; i < w->nstores; i++)
        if (w->stores[i] == cx) return true;
    if (w->nstores == w->cap_stores) {
        size_t cap = w->cap_stores ? w->cap_stores * 2 : 4;
        const void **n = realloc(w->stores, cap * sizeof *n);
        if (!n) return false;
        w->stores = n;
        w->cap_stores = cap;
    }
    struct hook *h = malloc(sizeof *h);
    wasm_functype_t *ty = wasm_functype_new_0_0();
    if (!h || !ty) {
        free(h);
        if (ty) wasm_functype_delete(ty);
        return false;
    }
    h->w = wit_ref(w);
    h->store = cx;
    wasmtime_func_t f;
    wasmtime_func_new_unchecked(cx, ty, hook_callback, h, hook_finalizer, &f);
    wasm_functype_delete(ty);
    w->stores[w->nstores++] = cx;
    return true;
}

/* Stores `s` in a new slot of the store `cx`; returns its rep (0 when out of memory or reps).
 * Takes `s`'s contents in every case. */
static uint32_t slot_add(struct wit *w, wasmtime_context_t *cx, struct slot s)
{
    uint32_t rep = 0;
    s.store = cx;
    pthread_mutex_lock(&w->lock);
    if (w->len == w->cap && w->len < UINT32_MAX - 1) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct slot *n = realloc(w->slots, cap * sizeof *n);
        if (n) { w->slots = n; w->cap = cap; }
    }
    if (w->len < w->cap && store_hook_locked(w, cx)) {
        w->slots[w->len++] = s;
        rep = (uint32_t)w->len;
        atomic_fetch_add(&live_resources, 1);
    }
    pthread_mutex_unlock(&w->lock);
    if (!rep) { atomic_fetch_add(&live_resources, 1); slot_release(&s); }
    return rep;
}

/* Removes the slot `rep` of `kind` into `*out` (the caller releases it); false when absent. */
static bool slot_take(struct wit *w, uint32_t rep, enum kind kind, struct slot *out)
{
    bool ok = false;
    pthread_mutex_lock(&w->lock);
    if (rep >= 1 && rep <= w->len && w->slots[rep - 1].kind == kind) {
        *out = w->slots[rep - 1];
        w->slots[rep - 1].kind = K_FREE;
        ok = true;
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/* Copies the slot `rep` of `kind` into `*out` (shallow, under the lock). For tensors the caller
 * must hold no pointer past the call unless it knows the guest cannot drop it meanwhile: the
 * guest's borrow of `self` lasts for the whole host call, so reading a borrowed tensor is safe. */
static bool slot_get(struct wit *w, uint32_t rep, enum kind kind, struct slot *out)
{
    bool ok = false;
    pthread_mutex_lock(&w->lock);
    if (rep >= 1 && rep <= w->len && w->slots[rep - 1].kind == kind) {
        *out = w->slots[rep - 1];
        ok = true;
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/* ---- values ------------------------------------------------------------- */

static wasmtime_error_t *glue_error(const char *what)
{
    char buf[256];
    snprintf(buf, sizeof buf, "wasi:nn glue: %s", what);
    return wasmtime_error_new(buf);
}

static void set_string(wasmtime_component_val_t *v, const char *s, size_t n)
{
    v->kind = WASMTIME_COMPONENT_STRING;
    wasm_name_new(&v->of.string, n, s);
}

static void set_enum(wasmtime_component_val_t *v, const char *name)
{
    v->kind = WASMTIME_COMPONENT_ENUM;
    wasm_name_new(&v->of.enumeration, strlen(name), name);
}

/* True when every element of `l` has kind `k`. A component chooses the types of its imports and
 * wasmtime hands a dynamic host function the values of that type, so each kind is checked before
 * its union member is read. */
static bool all_of_kind(const wasmtime_component_vallist_t *l, wasmtime_component_valkind_t k)
{
    for (size_t i = 0; i < l->size; i++)
        if (l->data[i].kind != k) return false;
    return true;
}

/* index of an enum value's name in `names`, or -1 */
static int enum_index(const wasmtime_component_val_t *v, const char *const *names, size_t n)
{
    if (v->kind != WASMTIME_COMPONENT_ENUM) return -1;
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == v->of.enumeration.size &&
            memcmp(names[i], v->of.enumeration.data, v->of.enumeration.size) == 0)
            return (int)i;
    return -1;
}

/* an owned host resource value for a new rep */
static wasmtime_error_t *set_own(wasmtime_context_t *cx, wasmtime_component_val_t *v,
                                 uint32_t rep, uint32_t ty)
{
    wasmtime_component_resource_host_t *h = wasmtime_component_resource_host_new(true, rep, ty);
    wasmtime_component_resource_any_t *any = NULL;
    wasmtime_error_t *err = wasmtime_component_resource_host_to_any(cx, h, &any);
    wasmtime_component_resource_host_delete(h);
    if (err) return err;
    v->kind = WASMTIME_COMPONENT_RESOURCE;
    v->of.resource = any;
    return NULL;
}

/* the rep of a resource argument of host type `ty` (borrowed `self`, or owned: then the host
 * takes it over and must release the slot) */
static wasmtime_error_t *rep_of(wasmtime_context_t *cx, const wasmtime_component_val_t *v,
                                uint32_t ty, uint32_t *rep)
{
    if (v->kind != WASMTIME_COMPONENT_RESOURCE) return glue_error("expected a resource");
    wasmtime_component_resource_host_t *h = NULL;
    wasmtime_error_t *err = wasmtime_component_resource_any_to_host(cx, v->of.resource, &h);
    if (err) return err;
    bool right = wasmtime_component_resource_host_type(h) == ty;
    *rep = wasmtime_component_resource_host_rep(h);
    wasmtime_component_resource_host_delete(h);
    return right ? NULL : glue_error("a resource of another type");
}

/* results[0] = result::err(error{code, msg}); takes `msg` (malloc'd) */
static wasmtime_error_t *set_err(struct wit *w, wasmtime_context_t *cx,
                                 wasmtime_component_val_t *res, uint32_t code, char *msg)
{
    struct slot s = { .kind = K_ERROR };
    s.u.error.code = code;
    s.u.error.msg = msg;
    uint32_t rep = slot_add(w, cx, s);
    if (!rep) return glue_error("out of memory");
    wasmtime_component_val_t inner;
    wasmtime_error_t *err = set_own(cx, &inner, rep, TY_ERROR);
    if (err) return err;
    res->kind = WASMTIME_COMPONENT_RESULT;
    res->of.result.is_ok = false;
    res->of.result.val = wasmtime_component_val_new(&inner);
    return NULL;
}

/* results[0] = result::err(error{libwasinn's status and last message}) */
static wasmtime_error_t *set_err_from_last(struct wit *w, wasmtime_context_t *cx,
                                           wasmtime_component_val_t *res, wasinn_status_t st)
{
    size_t n = wasinn_last_error_message(NULL, 0);
    char *msg = malloc(n + 1);
    if (!msg) return glue_error("out of memory");
    wasinn_last_error_message(msg, n + 1);
    if (n == 0) {
        free(msg);
        msg = strdup(wasinn_status_str(st));
        if (!msg) return glue_error("out of memory");
    }
    return set_err(w, cx, res, error_code_of(st), msg);
}

static wasmtime_error_t *set_ok_own(struct wit *w, wasmtime_context_t *cx,
                                    wasmtime_component_val_t *res, struct slot s, uint32_t ty)
{
    uint32_t rep = slot_add(w, cx, s);
    if (!rep) return glue_error("out of memory");
    wasmtime_component_val_t inner;
    wasmtime_error_t *err = set_own(cx, &inner, rep, ty);
    if (err) return err;
    res->kind = WASMTIME_COMPONENT_RESULT;
    res->of.result.is_ok = true;
    res->of.result.val = wasmtime_component_val_new(&inner);
    return NULL;
}

#define CALLBACK(name)                                                                            \
    static wasmtime_error_t *name(void *env, wasmtime_context_t *cx,                              \
                                  const wasmtime_component_func_type_t *fty,                      \
                                  wasmtime_component_val_t *args, size_t nargs,                   \
                                  wasmtime_component_val_t *results, size_t nresults)
#define UNUSED_CB (void)fty

/* ---- tensor ------------------------------------------------------------- */

CALLBACK(tensor_new)
{
    struct wit *w = env;
    UNUSED_CB;
    if (nargs != 3 || nresults != 1 || args[0].kind != WASMTIME_COMPONENT_LIST ||
        args[2].kind != WASMTIME_COMPONENT_LIST)
        return glue_error("[constructor]tensor: unexpected signature");
    int ty = enum_index(&args[1], tensor_types, COUNT(tensor_types));
    if (ty < 0) return glue_error("[constructor]tensor: unknown tensor-type");
    const wasmtime_component_vallist_t *d = &args[0].of.list, *b = &args[2].of.list;
    if (!all_of_kind(d, WASMTIME_COMPONENT_U32) || !all_of_kind(b, WASMTIME_COMPONENT_U8))
        return glue_error("[constructor]tensor: unexpected signature");
    struct slot s = { .kind = K_TENSOR };
    s.u.tensor.type = (uint32_t)ty; /* WASINN_TENSOR_TYPE_* follow the WIT order */
    s.u.tensor.rank = d->size;
    s.u.tensor.len = b->size;
    s.u.tensor.dims = malloc(d->size ? d->size * sizeof(uint32_t) : 1);
    s.u.tensor.data = malloc(b->size ? b->size : 1);
    if (!s.u.tensor.dims || !s.u.tensor.data) {
        free(s.u.tensor.dims);
        free(s.u.tensor.data);
        return glue_error("out of memory");
    }
    for (size_t i = 0; i < d->size; i++) s.u.tensor.dims[i] = d->data[i].of.u32;
    for (size_t i = 0; i < b->size; i++) s.u.tensor.data[i] = b->data[i].of.u8; /* list<u8>: one value per byte */
    uint32_t rep = slot_add(w, cx, s);
    if (!rep) return glue_error("out of memory");
    return set_own(cx, &results[0], rep, TY_TENSOR);
}

static wasmtime_error_t *tensor_self(struct wit *w, wasmtime_context_t *cx,
                                     const wasmtime_component_val_t *args, size_t nargs,
                                     size_t nresults, struct slot *t)
{
    uint32_t rep;
    if (nargs != 1 || nresults != 1) return glue_error("tensor method: unexpected signature");
    wasmtime_error_t *err = rep_of(cx, &args[0], TY_TENSOR, &rep);
    if (err) return err;
    return slot_get(w, rep, K_TENSOR, t) ? NULL : glue_error("tensor: stale rep");
}

CALLBACK(tensor_dimensions)
{
    struct slot t;
    UNUSED_CB;
    wasmtime_error_t *err = tensor_self(env, cx, args, nargs, nresults, &t);
    if (err) return err;
    results[0].kind = WASMTIME_COMPONENT_LIST;
    wasmtime_component_vallist_new_uninit(&results[0].of.list, t.u.tensor.rank);
    for (size_t i = 0; i < t.u.tensor.rank; i++) {
        results[0].of.list.data[i].kind = WASMTIME_COMPONENT_U32;
        results[0].of.list.data[i].of.u32 = t.u.tensor.dims[i];
    }
    return NULL;
}

CALLBACK(tensor_ty)
{
    struct slot t;
    UNUSED_CB;
    wasmtime_error_t *err = tensor_self(env, cx, args, nargs, nresults, &t);
    if (err) return err;
    if (t.u.tensor.type >= COUNT(tensor_types)) return glue_error("tensor: type outside WIT");
    set_enum(&results[0], tensor_types[t.u.tensor.type]);
    return NULL;
}

CALLBACK(tensor_data)
{
    struct slot t;
    UNUSED_CB;
    wasmtime_error_t *err = tensor_self(env, cx, args, nargs, nresults, &t);
    if (err) return err;
    results[0].kind = WASMTIME_COMPONENT_LIST;
    wasmtime_component_vallist_new_uninit(&results[0].of.list, t.u.tensor.len);
    for (size_t i = 0; i < t.u.tensor.len; i++) {
        results[0].of.list.data[i].kind = WASMTIME_COMPONENT_U8;
        results[0].of.list.data[i].of.u8 = t.u.tensor.data[i];
    }
    return NULL;
}

/* ---- errors ------------------------------------------------------------- */

static wasmtime_error_t *error_self(struct wit *w, wasmtime_context_t *cx,
                                    const wasmtime_component_val_t *args, size_t nargs,
                                    size_t nresults, struct slot *e)
{
    uint32_t rep;
    if (nargs != 1 || nresults != 1) return glue_error("error method: unexpected signature");
    wasmtime_error_t *err = rep_of(cx, &args[0], TY_ERROR, &rep);
    if (err) return err;
    return slot_get(w, rep, K_ERROR, e) ? NULL : glue_error("error: stale rep");
}

CALLBACK(error_code)
{
    struct slot e;
    UNUSED_CB;
    wasmtime_error_t *err = error_self(env, cx, args, nargs, nresults, &e);
    if (err) return err;
    set_enum(&results[0], error_codes[e.u.error.code]);
    return NULL;
}

CALLBACK(error_data)
{
    struct wit *w = env;
    struct slot e;
    UNUSED_CB;
    wasmtime_error_t *err = error_self(w, cx, args, nargs, nresults, &e);
    if (err) return err;
    /* the message is immutable and the borrow of self lasts the call: read it unlocked */
    set_string(&results[0], e.u.error.msg, strlen(e.u.error.msg));
    return NULL;
}

/* ---- graph -------------------------------------------------------------- */

CALLBACK(graph_load)
{
    struct wit *w = env;
    UNUSED_CB;
    if (nargs != 3 || nresults != 1 || args[0].kind != WASMTIME_COMPONENT_LIST)
        return glue_error("load: unexpected signature");
    int enc = enum_index(&args[1], encodings, COUNT(encodings));
    int tgt = enum_index(&args[2], targets, COUNT(targets));
    if (enc < 0 || tgt < 0) return glue_error("load: unknown encoding or target");
    const wasmtime_component_vallist_t *bl = &args[0].of.list;
    if (!all_of_kind(bl, WASMTIME_COMPONENT_LIST)) return glue_error("load: unexpected signature");
    for (size_t i = 0; i < bl->size; i++)
        if (!all_of_kind(&bl->data[i].of.list, WASMTIME_COMPONENT_U8))
            return glue_error("load: unexpected signature");
    wasinn_buffer_t *bufs = calloc(bl->size ? bl->size : 1, sizeof *bufs);
    uint8_t **copies = calloc(bl->size ? bl->size : 1, sizeof *copies);
    wasmtime_error_t *err = NULL;
    if (!bufs || !copies) { err = glue_error("out of memory"); goto out; }
    for (size_t i = 0; i < bl->size; i++) {
        const wasmtime_component_vallist_t *b = &bl->data[i].of.list;
        copies[i] = malloc(b->size ? b->size : 1);
        if (!copies[i]) { err = glue_error("out of memory"); goto out; }
        for (size_t k = 0; k < b->size; k++) copies[i][k] = b->data[k].of.u8;
        bufs[i].data = copies[i];
        bufs[i].len = b->size;
    }
    wasinn_graph_t g = 0;
    wasinn_status_t st = wasinn_graph_load(bufs, bl->size, (uint32_t)enc, (uint32_t)tgt, &g);
    if (st != WASINN_STATUS_SUCCESS) {
        err = set_err_from_last(w, cx, &results[0], st);
    } else {
        struct slot s = { .kind = K_GRAPH, .u.graph = g };
        err = set_ok_own(w, cx, &results[0], s, TY_GRAPH);
    }
out:
    if (copies)
        for (size_t i = 0; i < bl->size; i++) free(copies[i]);
    free(copies);
    free(bufs);
    return err;
}

CALLBACK(graph_load_by_name)
{
    struct wit *w = env;
    UNUSED_CB;
    if (nargs != 1 || nresults != 1 || args[0].kind != WASMTIME_COMPONENT_STRING)
        return glue_error("load-by-name: unexpected signature");
    wasinn_graph_t g = 0;
    wasinn_status_t st =
        wasinn_graph_load_by_name(args[0].of.string.data ? args[0].of.string.data : "",
                                  args[0].of.string.size, &g);
    if (st != WASINN_STATUS_SUCCESS) return set_err_from_last(w, cx, &results[0], st);
    struct slot s = { .kind = K_GRAPH, .u.graph = g };
    return set_ok_own(w, cx, &results[0], s, TY_GRAPH);
}

CALLBACK(graph_init_execution_context)
{
    struct wit *w = env;
    struct slot g;
    uint32_t rep;
    UNUSED_CB;
    if (nargs != 1 || nresults != 1) return glue_error("init-execution-context: unexpected signature");
    wasmtime_error_t *err = rep_of(cx, &args[0], TY_GRAPH, &rep);
    if (err) return err;
    if (!slot_get(w, rep, K_GRAPH, &g)) return glue_error("graph: stale rep");
    wasinn_exec_ctx_t c = 0;
    wasinn_status_t st = wasinn_exec_ctx_new(g.u.graph, &c);
    if (st != WASINN_STATUS_SUCCESS) return set_err_from_last(w, cx, &results[0], st);
    struct slot s = { .kind = K_CTX, .u.ctx = c };
    return set_ok_own(w, cx, &results[0], s, TY_CTX);
}

/* ---- inference ---------------------------------------------------------- */

/* the outputs list of a successful compute: list<tuple<string, own<tensor>>> */
static wasmtime_error_t *outputs_to_list(struct wit *w, wasmtime_context_t *cx,
                                         wasinn_outputs_t outs, wasmtime_component_val_t *list)
{
    size_t n = 0;
    if (wasinn_outputs_count(outs, &n) != WASINN_STATUS_SUCCESS) return glue_error("outputs");
    list->kind = WASMTIME_COMPONENT_LIST;
    wasmtime_component_vallist_new_uninit(&list->of.list, n);
    for (size_t i = 0; i < n; i++) { /* a valid value in every element before anything fails */
        list->of.list.data[i].kind = WASMTIME_COMPONENT_BOOL;
        list->of.list.data[i].of.boolean = false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name;
        size_t name_len;
        wasinn_tensor_t t;
        if (wasinn_outputs_get(outs, i, &name, &name_len, &t) != WASINN_STATUS_SUCCESS)
            return glue_error("outputs_get");
        if (t.type >= COUNT(tensor_types))
            return glue_error("an output's element type has no WIT tensor-type");
        struct slot s = { .kind = K_TENSOR };
        s.u.tensor.type = t.type;
        s.u.tensor.rank = t.rank;
        s.u.tensor.len = t.data_len;
        s.u.tensor.dims = malloc(t.rank ? t.rank * sizeof(uint32_t) : 1);
        s.u.tensor.data = malloc(t.data_len ? t.data_len : 1);
        if (!s.u.tensor.dims || !s.u.tensor.data) {
            free(s.u.tensor.dims);
            free(s.u.tensor.data);
            return glue_error("out of memory");
        }
        if (t.rank) memcpy(s.u.tensor.dims, t.dims, t.rank * sizeof(uint32_t));
        if (t.data_len) memcpy(s.u.tensor.data, t.data, t.data_len);
        uint32_t rep = slot_add(w, cx, s);
        if (!rep) return glue_error("out of memory");
        wasmtime_component_val_t *el = &list->of.list.data[i];
        wasmtime_component_val_t res;
        wasmtime_error_t *err = set_own(cx, &res, rep, TY_TENSOR);
        if (err) return err;
        /* built in place: the vec constructors that copy do not copy a string's bytes */
        el->kind = WASMTIME_COMPONENT_TUPLE;
        wasmtime_component_valtuple_new_uninit(&el->of.tuple, 2);
        set_string(&el->of.tuple.data[0], name, name_len);
        el->of.tuple.data[1] = res;
    }
    return NULL;
}

CALLBACK(ctx_compute)
{
    struct wit *w = env;
    struct slot c;
    uint32_t rep;
    UNUSED_CB;
    if (nargs != 2 || nresults != 1 || args[1].kind != WASMTIME_COMPONENT_LIST)
        return glue_error("compute: unexpected signature");
    wasmtime_error_t *err = rep_of(cx, &args[0], TY_CTX, &rep);
    if (err) return err;
    if (!slot_get(w, rep, K_CTX, &c)) return glue_error("graph-execution-context: stale rep");

    /* the input tensors are owned by the call: take each one out of the table */
    const wasmtime_component_vallist_t *in = &args[1].of.list;
    size_t n = in->size;
    wasinn_named_tensor_t *named = calloc(n ? n : 1, sizeof *named);
    struct slot *taken = calloc(n ? n : 1, sizeof *taken);
    size_t n_taken = 0;
    if (!named || !taken) { err = glue_error("out of memory"); goto out; }
    for (size_t i = 0; i < n; i++) {
        const wasmtime_component_val_t *tup = &in->data[i];
        if (tup->kind != WASMTIME_COMPONENT_TUPLE || tup->of.tuple.size != 2 ||
            tup->of.tuple.data[0].kind != WASMTIME_COMPONENT_STRING) {
            err = glue_error("compute: unexpected named-tensor");
            goto out;
        }
        uint32_t trep;
        err = rep_of(cx, &tup->of.tuple.data[1], TY_TENSOR, &trep);
        if (err) goto out;
        if (!slot_take(w, trep, K_TENSOR, &taken[n_taken])) {
            err = glue_error("compute: stale tensor rep");
            goto out;
        }
        const struct slot *t = &taken[n_taken++];
        named[i].name = tup->of.tuple.data[0].of.string.data ? tup->of.tuple.data[0].of.string.data : "";
        named[i].name_len = tup->of.tuple.data[0].of.string.size;
        named[i].tensor.type = t->u.tensor.type;
        named[i].tensor.dims = t->u.tensor.dims;
        named[i].tensor.rank = t->u.tensor.rank;
        named[i].tensor.data = t->u.tensor.data;
        named[i].tensor.data_len = t->u.tensor.len;
    }
    wasinn_outputs_t outs = 0;
    wasinn_status_t st = wasinn_exec_ctx_compute_named(c.u.ctx, named, n, &outs);
    if (st != WASINN_STATUS_SUCCESS) {
        err = set_err_from_last(w, cx, &results[0], st);
        goto out;
    }
    /* an output whose element type WIT lacks (e.g. bool): an error, before any tensor is made */
    size_t n_out = 0;
    if (wasinn_outputs_count(outs, &n_out) != WASINN_STATUS_SUCCESS) n_out = 0;
    for (size_t i = 0; i < n_out; i++) {
        const char *name;
        size_t name_len;
        wasinn_tensor_t t;
        if (wasinn_outputs_get(outs, i, &name, &name_len, &t) == WASINN_STATUS_SUCCESS &&
            t.type >= COUNT(tensor_types)) {
            char *msg = malloc(name_len + 96);
            if (!msg) {
                wasinn_outputs_free(outs);
                err = glue_error("out of memory");
                goto out;
            }
            snprintf(msg, name_len + 96, "output \"%.*s\" has element type %u, which wasi:nn's tensor-type cannot express",
                     (int)name_len, name, (unsigned)t.type);
            err = set_err(w, cx, &results[0], EC_UNSUPPORTED, msg);
            wasinn_outputs_free(outs);
            goto out;
        }
    }
    wasmtime_component_val_t list;
    err = outputs_to_list(w, cx, outs, &list);
    wasinn_outputs_free(outs);
    if (err) {
        wasmtime_component_val_delete(&list);
        goto out;
    }
    results[0].kind = WASMTIME_COMPONENT_RESULT;
    results[0].of.result.is_ok = true;
    results[0].of.result.val = wasmtime_component_val_new(&list);
out:
    for (size_t i = 0; i < n_taken; i++) slot_release(&taken[i]); /* still counted until now */
    free(taken);
    free(named);
    return err;
}

/* ---- destructors and definitions ---------------------------------------- */

static wasmtime_error_t *destroy(void *env, wasmtime_context_t *cx, uint32_t rep)
{
    struct wit *w = env;
    (void)cx;
    struct slot s;
    pthread_mutex_lock(&w->lock);
    if (rep >= 1 && rep <= w->len) {
        s = w->slots[rep - 1];
        w->slots[rep - 1].kind = K_FREE;
    } else {
        s.kind = K_FREE;
    }
    pthread_mutex_unlock(&w->lock);
    slot_release(&s);
    return NULL;
}

struct func_def {
    const char *name;
    wasmtime_component_func_callback_t cb;
};

struct iface_def {
    const char *name;
    const char *resource;
    uint32_t ty;
    struct func_def funcs[5];
};

static const struct iface_def ifaces[] = {
    { "wasi:nn/errors" WIT_VERSION, "error", TY_ERROR,
      { { "[method]error.code", error_code }, { "[method]error.data", error_data } } },
    { "wasi:nn/tensor" WIT_VERSION, "tensor", TY_TENSOR,
      { { "[constructor]tensor", tensor_new }, { "[method]tensor.dimensions", tensor_dimensions },
        { "[method]tensor.ty", tensor_ty }, { "[method]tensor.data", tensor_data } } },
    { "wasi:nn/inference" WIT_VERSION, "graph-execution-context", TY_CTX,
      { { "[method]graph-execution-context.compute", ctx_compute } } },
    { "wasi:nn/graph" WIT_VERSION, "graph", TY_GRAPH,
      { { "[method]graph.init-execution-context", graph_init_execution_context },
        { "load", graph_load }, { "load-by-name", graph_load_by_name } } },
};

wasmtime_error_t *wasinn_wasmtime_wit_define(wasmtime_component_linker_t *linker)
{
    struct wit *w = calloc(1, sizeof *w);
    if (!w) return glue_error("out of memory");
    atomic_init(&w->refs, 1);
    pthread_mutex_init(&w->lock, NULL);
    wasmtime_error_t *err = NULL;
    wasmtime_component_linker_instance_t *root = wasmtime_component_linker_root(linker);
    for (size_t i = 0; i < COUNT(ifaces) && !err; i++) {
        const struct iface_def *d = &ifaces[i];
        wasmtime_component_linker_instance_t *li = NULL;
        err = wasmtime_component_linker_instance_add_instance(root, d->name, strlen(d->name), &li);
        if (err) break;
        wasmtime_component_resource_type_t *rt = wasmtime_component_resource_type_new_host(d->ty);
        err = wasmtime_component_linker_instance_add_resource(li, d->resource, strlen(d->resource),
                                                              rt, destroy, wit_ref(w), wit_unref);
        wasmtime_component_resource_type_delete(rt);
        for (size_t k = 0; !err && k < COUNT(d->funcs) && d->funcs[k].name; k++)
            err = wasmtime_component_linker_instance_add_func(
                li, d->funcs[k].name, strlen(d->funcs[k].name), d->funcs[k].cb, wit_ref(w),
                wit_unref);
        wasmtime_component_linker_instance_delete(li);
    }
    wasmtime_component_linker_instance_delete(root);
    wit_unref(w); /* the definitions hold their own references */
    return err;
}
