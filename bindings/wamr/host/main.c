/*
 * wamr-nn-run: run a wasm32-wasi command module in WAMR (interpreter) with WASI and wasi-nn
 * (import modules "wasi_ephemeral_nn" and the legacy "wasi_nn", served by libwasinn through
 * bindings/wamr/wasinn_wamr.c).
 *
 * usage: wamr-nn-run [options] guest.wasm [guest args...]   (see usage() below)
 *
 * Exit status: the guest's exit code; 1 (with a message on stderr) when the host cannot set up or
 * the guest traps; 2 for a usage error.
 *
 * File access: WAMR's libc-wasi gives the guest only the directories named with --dir (resolved
 * below them, no ".." escape); without --dir the guest sees no file system.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_io.h" /* guest_read_file: plain stdio, shared with the guests */
#include "wasinn.h"
#include "wasinn_wamr.h"
#include "wasm_export.h"

#define PROG "wamr-nn-run"
#define DEFAULT_STACK_BYTES (1024u * 1024u)
#define DEFAULT_HEAP_BYTES (64u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [--dir HOST[::GUEST]]... [--env NAME=VALUE]...\n"
            "       " PROG "   [--nn-preload name:encoding:target:path[:path...]]...\n"
            "       " PROG "   [--profile spec|wamr|wamr-2.1|wasmedge] [--stack-size BYTES]\n"
            "       " PROG "   [--] guest.wasm [guest args...]\n"
            "\n"
            "Runs a wasm32-wasi command module (its _start) in WAMR's interpreter with WASI and\n"
            "wasi-nn (wasi_ephemeral_nn and the legacy wasi_nn module, served by libwasinn).\n"
            "  --dir HOST[::GUEST]  give the guest the host directory HOST (as GUEST, default the\n"
            "                       same path); repeatable. Without it the guest sees no files.\n"
            "  --env NAME=VALUE     an environment variable of the guest; repeatable\n"
            "  --nn-preload SPEC    register a model the guest can open with load_by_name\n"
            "                       (e.g. magika:onnx:cpu:/path/model.onnx); repeatable\n"
            "  --profile NAME       numbering of the witx enums the guest was built with:\n"
            "                       wamr (default: WAMR >= 2.4's wasi_ephemeral_nn.h), wamr-2.1\n"
            "                       (WAMR 2.1-2.3), spec (the witx spec, e.g. the wasi-nn crate),\n"
            "                       wasmedge (the wasmedge-wasi-nn crate)\n"
            "  --stack-size BYTES   the wasm operand stack of each thread (default %u)\n",
            DEFAULT_STACK_BYTES);
}

static void print_wasinn_error(const char *what, wasinn_status_t st)
{
    char msg[1024];
    msg[0] = '\0';
    wasinn_last_error_message(msg, sizeof msg);
    const char *name = wasinn_status_str(st);
    fprintf(stderr, PROG ": %s: %s%s%s\n", what, name ? name : "error", msg[0] ? ": " : "", msg);
}

/* The host's options; the string arrays point into argv (or, for map_dirs, into `owned`). */
struct options {
    uint32_t profile;
    uint32_t stack_size;
    const char **dirs, **map_dirs, **envs, **preloads;
    uint32_t n_dirs, n_map_dirs, n_envs, n_preloads;
    char **owned;
    uint32_t n_owned;
    int guest_index; /* argv index of guest.wasm */
};

/* --dir HOST::GUEST becomes WAMR's map-dir "GUEST::HOST"; a plain --dir HOST stays a dir. */
static int add_dir(struct options *o, const char *spec)
{
    const char *sep = strstr(spec, "::");
    if (sep == NULL) {
        o->dirs[o->n_dirs++] = spec;
        return 0;
    }
    size_t host_len = (size_t)(sep - spec), guest_len = strlen(sep + 2);
    if (host_len == 0 || guest_len == 0) {
        fprintf(stderr, PROG ": --dir %s: expected HOST or HOST::GUEST\n", spec);
        return -1;
    }
    char *m = malloc(guest_len + 2 + host_len + 1);
    if (!m) return -1;
    memcpy(m, sep + 2, guest_len);
    memcpy(m + guest_len, "::", 2);
    memcpy(m + guest_len + 2, spec, host_len);
    m[guest_len + 2 + host_len] = '\0';
    o->owned[o->n_owned++] = m;
    o->map_dirs[o->n_map_dirs++] = m;
    return 0;
}

/* Returns 0, or the exit status (2 for a usage error, 0 after --help, 1 out of memory). */
static int parse_args(int argc, char **argv, struct options *o)
{
    size_t n = (size_t)argc + 1;
    o->profile = WASINN_WITX_PROFILE_WAMR;
    o->stack_size = DEFAULT_STACK_BYTES;
    o->dirs = calloc(n, sizeof *o->dirs);
    o->map_dirs = calloc(n, sizeof *o->map_dirs);
    o->envs = calloc(n, sizeof *o->envs);
    o->preloads = calloc(n, sizeof *o->preloads);
    o->owned = calloc(n, sizeof *o->owned);
    if (!o->dirs || !o->map_dirs || !o->envs || !o->preloads || !o->owned) return 1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); return -1; }
        if (a[0] != '-' || a[1] != '-') break;
        static const char *const with_value[] = {"--dir", "--env", "--nn-preload", "--profile",
                                                 "--stack-size"};
        const char *value = NULL;
        size_t k;
        for (k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
            size_t l = strlen(with_value[k]);
            if (strncmp(a, with_value[k], l) == 0 && a[l] == '=') { value = a + l + 1; break; }
            if (strcmp(a, with_value[k]) == 0) {
                if (i + 1 >= argc) {
                    fprintf(stderr, PROG ": %s needs a value\n", a);
                    return 2;
                }
                value = argv[++i];
                break;
            }
        }
        if (value == NULL) {
            fprintf(stderr, PROG ": unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        switch (with_value[k][2]) {
        case 'd':
            if (add_dir(o, value)) return 2;
            break;
        case 'e':
            if (strchr(value, '=') == NULL) {
                fprintf(stderr, PROG ": --env %s: expected NAME=VALUE\n", value);
                return 2;
            }
            o->envs[o->n_envs++] = value;
            break;
        case 'n': o->preloads[o->n_preloads++] = value; break;
        case 'p':
            if (wasinn_witx_profile_from_name(value, &o->profile) != WASINN_STATUS_SUCCESS) {
                fprintf(stderr, PROG ": unknown profile '%s' (spec, wamr, wamr-2.1 or wasmedge)\n",
                        value);
                return 2;
            }
            break;
        case 's': {
            char *end = NULL;
            unsigned long v = strtoul(value, &end, 10);
            if (end == value || *end != '\0' || v < 4096 || v > UINT32_MAX) {
                fprintf(stderr, PROG ": --stack-size %s: expected a byte count >= 4096\n", value);
                return 2;
            }
            o->stack_size = (uint32_t)v;
            break;
        }
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    o->guest_index = i;
    return 0;
}

static void free_options(struct options *o)
{
    for (uint32_t k = 0; k < o->n_owned; k++) free(o->owned[k]);
    free(o->owned);
    free(o->dirs);
    free(o->map_dirs);
    free(o->envs);
    free(o->preloads);
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof o);
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        free_options(&o);
        return rc < 0 ? 0 : rc;
    }
    const char *wasm_path = argv[o.guest_index];
    /* the guest's argv: argv[0] is the module path, then its own arguments */
    int guest_argc = argc - o.guest_index;
    char **guest_argv = &argv[o.guest_index];

    rc = 1;
    char err[256];
    uint8_t *wasm = NULL;
    uint32_t wasm_len = 0;
    wasm_module_t module = NULL;
    wasm_module_inst_t inst = NULL;
    bool runtime_up = false, registered = false;

    RuntimeInitArgs init;
    memset(&init, 0, sizeof init);
    init.mem_alloc_type = Alloc_With_System_Allocator;
    if (!wasm_runtime_full_init(&init)) {
        fprintf(stderr, PROG ": wasm_runtime_full_init failed\n");
        goto out;
    }
    runtime_up = true;
    /* Registered before any module is loaded: WAMR resolves imports at load time. */
    if (!wasinn_wamr_register(o.profile)) {
        fprintf(stderr, PROG ": cannot register the wasi-nn natives\n");
        goto out;
    }
    registered = true;
    for (uint32_t p = 0; p < o.n_preloads; p++) {
        wasinn_status_t st = wasinn_registry_preload(o.preloads[p]);
        if (st != WASINN_STATUS_SUCCESS) {
            char what[512];
            snprintf(what, sizeof what, "--nn-preload %s", o.preloads[p]);
            print_wasinn_error(what, st);
            goto out;
        }
    }

    /* WAMR keeps pointers into the buffer: it lives until the module is unloaded. */
    size_t len = 0;
    wasm = guest_read_file(wasm_path, &len);
    if (!wasm) goto out;
    if (len > UINT32_MAX) {
        fprintf(stderr, PROG ": %s is too large\n", wasm_path);
        goto out;
    }
    wasm_len = (uint32_t)len;
    module = wasm_runtime_load(wasm, wasm_len, err, sizeof err);
    if (!module) {
        fprintf(stderr, PROG ": %s: cannot load: %s\n", wasm_path, err);
        goto out;
    }
    wasm_runtime_set_wasi_args(module, o.dirs, o.n_dirs, o.map_dirs, o.n_map_dirs, o.envs,
                               o.n_envs, guest_argv, guest_argc);
    inst = wasm_runtime_instantiate(module, o.stack_size, DEFAULT_HEAP_BYTES, err, sizeof err);
    if (!inst) {
        fprintf(stderr, PROG ": %s: cannot instantiate: %s\n", wasm_path, err);
        goto out;
    }

    fflush(stdout);
    /* A WASI command gets its argv through the WASI args set above; passed here too as iwasm does. */
    bool ok = wasm_application_execute_main(inst, guest_argc, guest_argv);
    const char *exception = wasm_runtime_get_exception(inst);
    if (exception != NULL) {
        fprintf(stderr, PROG ": guest failed: %s\n", exception);
        rc = 1;
    } else {
        rc = ok ? (int)wasm_runtime_get_wasi_exit_code(inst) : 1;
    }

out:
    if (inst) wasm_runtime_deinstantiate(inst); /* frees the instance's graphs and contexts */
    if (module) wasm_runtime_unload(module);
    free(wasm);
    if (registered) wasinn_wamr_unregister();
    if (runtime_up) wasm_runtime_destroy();
    free_options(&o);
    return rc;
}
