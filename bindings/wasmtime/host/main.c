/*
 * wasinn-wasmtime-run: run a WASI command module in wasmtime (JIT, sandboxed) with wasi-nn
 * (import module "wasi_ephemeral_nn", served by libwasinn through wasinn_wasmtime_define), or a
 * WASI p2 command component (its wasi:cli/run export) with wasi:nn@0.2.0-rc-2024-10-28
 * (wasinn_wasmtime_wit_define). A component is recognised by its header (layer byte 1) or
 * forced with --component.
 *
 * usage: wasinn-wasmtime-run [--dir HOST[::GUEST]]... [--env NAME=VALUE]...
 *                            [--nn-preload name:encoding:target:path[:path...]]...
 *                            [--profile spec|wamr|wamr-2.1|wasmedge] [--component]
 *                            [--] guest.wasm [guest args...]
 *
 * With WASINN_WASMTIME_REPORT_LIVE=1 in the host's environment, it prints the number of wasi:nn
 * resources the WIT glue holds before and after the store's deletion (for leak tests) to stderr.
 *
 * Exit status: the guest's exit code (0 when _start returns); 134 when the guest traps (as
 * `wasmtime run` does), with wasmtime's message on stderr; 1 when the host cannot set up; 2 for a
 * usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasi.h>
#include <wasinn.h>
#include <wasmtime.h>

#include "wasinn_wasmtime.h"
#include "wasinn_wasmtime_wit.h"
#include "wasmtime_util.h"

#define PROG "wasinn-wasmtime-run"
#define EXIT_TRAP 134

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [options] [--] guest.wasm [guest args...]\n"
            "\n"
            "Runs a WASI command module (its _start) in wasmtime with wasi-nn\n"
            "(wasi_ephemeral_nn, served by libwasinn).\n"
            "  --dir HOST[::GUEST]  preopen a host directory (read-write), seen by the guest as\n"
            "                       GUEST (default: HOST); repeatable\n"
            "  --env NAME=VALUE     set an environment variable of the guest; repeatable\n"
            "  --nn-preload SPEC    register a model the guest can open with load_by_name\n"
            "                       (name:encoding:target:path[:path...]); repeatable\n"
            "  --profile NAME       numbering of the witx enums: spec (default), wamr, wamr-2.1, wasmedge\n"
            "  --component          run guest.wasm as a WASI p2 command component (wasi:cli/run)\n"
            "                       with wasi:nn@0.2.0-rc-2024-10-28; the default for a binary\n"
            "                       whose header says component\n");
}


struct options {
    const char **dirs, **envs, **preloads;
    int ndirs, nenvs, npreloads;
    uint32_t profile;
    int component;
};

/* Parses the host's options; returns the index of the guest module in argv, or -1 (exit 2). */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); exit(0); }
        if (a[0] != '-' || a[1] != '-') break;
        if (strcmp(a, "--component") == 0) { o->component = 1; continue; }
        static const char *const names[] = {"--dir", "--env", "--nn-preload", "--profile"};
        size_t k, n = 0;
        for (k = 0; k < 4; k++) {
            n = strlen(names[k]);
            if (strncmp(a, names[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) break;
        }
        if (k == 4) { fprintf(stderr, PROG ": unknown option %s\n", a); return -1; }
        const char *v = a[n] == '=' ? a + n + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (v == NULL) { fprintf(stderr, PROG ": %s needs a value\n", names[k]); return -1; }
        switch (k) {
        case 0: o->dirs[o->ndirs++] = v; break;
        case 1:
            if (strchr(v, '=') == NULL) {
                fprintf(stderr, PROG ": --env %s: expected NAME=VALUE\n", v);
                return -1;
            }
            o->envs[o->nenvs++] = v;
            break;
        case 2: o->preloads[o->npreloads++] = v; break;
        default:
            if (wasinn_witx_profile_from_name(v, &o->profile) != WASINN_STATUS_SUCCESS) {
                fprintf(stderr, PROG ": unknown profile '%s' (spec, wamr, wamr-2.1 or wasmedge)\n", v);
                return -1;
            }
        }
    }
    if (i >= argc) { usage(stderr); return -1; }
    return i;
}

/* WASI: argv, environment, preopens, the host's stdio. NULL (after a message) on a bad --dir. */
static wasi_config_t *make_wasi(const struct options *o, int guest_argc, const char **guest_argv)
{
    wasi_config_t *wasi = wasi_config_new();
    const char **names = calloc((size_t)o->nenvs + 1, sizeof *names);
    const char **values = calloc((size_t)o->nenvs + 1, sizeof *values);
    char **copies = calloc((size_t)o->nenvs + 1, sizeof *copies);
    int ok = wasi && names && values && copies;
    for (int e = 0; ok && e < o->nenvs; e++) {
        copies[e] = strdup(o->envs[e]);
        if (!copies[e]) { ok = 0; break; }
        char *eq = strchr(copies[e], '=');
        *eq = '\0';
        names[e] = copies[e];
        values[e] = eq + 1;
    }
    ok = ok && wasi_config_set_argv(wasi, (size_t)guest_argc, guest_argv)
            && wasi_config_set_env(wasi, (size_t)o->nenvs, names, values);
    for (int d = 0; ok && d < o->ndirs; d++) {
        char *host = strdup(o->dirs[d]);
        if (!host) { ok = 0; break; }
        char *sep = strstr(host, "::");
        const char *guest = host;
        if (sep) { *sep = '\0'; guest = sep + 2; }
        if (!wasi_config_preopen_dir(wasi, host, guest, true)) {
            fprintf(stderr, PROG ": --dir %s: cannot open the host directory\n", o->dirs[d]);
            ok = 0;
        }
        free(host);
    }
    for (int e = 0; copies && e < o->nenvs; e++) free(copies[e]);
    free(copies);
    free(names);
    free(values);
    if (!ok) {
        if (wasi) wasi_config_delete(wasi);
        return NULL;
    }
    wasi_config_inherit_stdin(wasi);
    wasi_config_inherit_stdout(wasi);
    wasi_config_inherit_stderr(wasi);
    return wasi;
}

static int preload_models(const struct options *o)
{
    for (int p = 0; p < o->npreloads; p++) {
        wasinn_status_t st = wasinn_registry_preload(o->preloads[p]);
        if (st != WASINN_STATUS_SUCCESS) {
            char msg[1024];
            wasinn_last_error_message(msg, sizeof msg);
            fprintf(stderr, PROG ": --nn-preload %s: %s: %s\n", o->preloads[p],
                    wasinn_status_str(st), msg);
            return -1;
        }
    }
    return 0;
}

/* Calls _start; returns the process exit code. */
static int run_start(wasmtime_context_t *cx, const wasmtime_instance_t *instance)
{
    wasmtime_extern_t start;
    if (!wasmtime_instance_export_get(cx, instance, "_start", 6, &start)
        || start.kind != WASMTIME_EXTERN_FUNC) {
        fprintf(stderr, PROG ": the module exports no _start function: not a WASI command\n");
        return 1;
    }
    wasm_trap_t *trap = NULL;
    fflush(stdout);
    wasmtime_error_t *err = wasmtime_func_call(cx, &start.of.func, NULL, 0, NULL, 0, &trap);
    fflush(stdout);
    int status;
    if (err && wasmtime_error_exit_status(err, &status)) {
        wasmtime_error_delete(err);
        return status;
    }
    if (err || trap) {
        wt_report(PROG, "guest trapped", err, trap);
        return EXIT_TRAP;
    }
    return 0;
}

/* A component binary: version 0x0d, layer 1 (a core module has version 1, layer 0). */
static int is_component(const wasm_byte_vec_t *b)
{
    return b->size >= 8 && memcmp(b->data, "\0asm", 4) == 0 && b->data[6] == 1 && b->data[7] == 0;
}

/* Instantiates a command component with WASI p2 + wasi:nn and calls wasi:cli/run.run. */
static int run_component(wasm_engine_t *engine, wasmtime_context_t *cx, const char *path,
                         const wasm_byte_vec_t *bytes)
{
    int rc = 1;
    wasmtime_component_t *component = NULL;
    wasmtime_component_linker_t *linker = NULL;
    wasmtime_component_export_index_t *iface = NULL, *run = NULL;
    wasmtime_error_t *err =
        wasmtime_component_new(engine, (const uint8_t *)bytes->data, bytes->size, &component);
    if (err) { wt_report(PROG, path, err, NULL); goto out; }

    /* the run interface's version is the guest's (wasi:cli/run@0.2.x) */
    wasmtime_component_type_t *ty = wasmtime_component_type(component);
    size_t n = wasmtime_component_type_export_count(ty, engine);
    char run_name[64] = "";
    for (size_t i = 0; i < n; i++) {
        const char *name;
        size_t len;
        wasmtime_component_extern_t *ext = NULL;
        if (wasmtime_component_type_export_nth(ty, engine, i, &name, &len, &ext)) {
            if (len < sizeof run_name && len > 13 && memcmp(name, "wasi:cli/run@", 13) == 0) {
                memcpy(run_name, name, len);
                run_name[len] = '\0';
            }
            wasmtime_component_extern_delete(ext);
        }
    }
    wasmtime_component_type_delete(ty);
    if (run_name[0]) iface = wasmtime_component_get_export_index(component, NULL, run_name, strlen(run_name));
    if (iface) run = wasmtime_component_get_export_index(component, iface, "run", 3);
    if (!run) {
        fprintf(stderr, PROG ": %s exports no wasi:cli/run: not a WASI command component\n", path);
        goto out;
    }

    linker = wasmtime_component_linker_new(engine);
    err = wasmtime_component_linker_add_wasip2(linker);
    if (err) { wt_report(PROG, "cannot define WASI p2", err, NULL); goto out; }
    err = wasinn_wasmtime_wit_define(linker);
    if (err) { wt_report(PROG, "cannot define wasi:nn", err, NULL); goto out; }

    wasmtime_component_instance_t instance;
    err = wasmtime_component_linker_instantiate(linker, cx, component, &instance);
    if (err) { wt_report(PROG, "cannot instantiate", err, NULL); rc = EXIT_TRAP; goto out; }
    wasmtime_component_func_t func;
    if (!wasmtime_component_instance_get_func(&instance, cx, run, &func)) {
        fprintf(stderr, PROG ": wasi:cli/run.run is not a function\n");
        goto out;
    }
    wasmtime_component_val_t result;
    result.kind = WASMTIME_COMPONENT_BOOL;
    result.of.boolean = false;
    fflush(stdout);
    err = wasmtime_component_func_call(&func, cx, NULL, 0, &result, 1);
    fflush(stdout);
    int status;
    if (err && wasmtime_error_exit_status(err, &status)) {
        wasmtime_error_delete(err);
        rc = status;
    } else if (err) {
        wt_report(PROG, "guest trapped", err, NULL);
        rc = EXIT_TRAP;
    } else {
        rc = result.kind == WASMTIME_COMPONENT_RESULT && result.of.result.is_ok ? 0 : 1;
        wasmtime_component_val_delete(&result);
    }

out:
    if (run) wasmtime_component_export_index_delete(run);
    if (iface) wasmtime_component_export_index_delete(iface);
    if (linker) wasmtime_component_linker_delete(linker);
    if (component) wasmtime_component_delete(component);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    o.profile = WASINN_WITX_PROFILE_SPEC;
    o.dirs = calloc((size_t)argc, sizeof *o.dirs);
    o.envs = calloc((size_t)argc, sizeof *o.envs);
    o.preloads = calloc((size_t)argc, sizeof *o.preloads);
    if (!o.dirs || !o.envs || !o.preloads) return 1;
    int first = parse_args(argc, argv, &o);
    if (first < 0) return 2;
    const char *wasm_path = argv[first];

    int rc = 1;
    wasm_engine_t *engine = NULL;
    wasmtime_store_t *store = NULL;
    wasmtime_linker_t *linker = NULL;
    wasmtime_module_t *module = NULL;
    wasm_byte_vec_t bytes = {0, NULL};
    wasmtime_error_t *err;
    wasm_trap_t *trap = NULL;

    if (preload_models(&o) != 0 || wt_read_file(PROG, wasm_path, &bytes) != 0) goto out;
    engine = wasm_engine_new();
    if (!engine) { fprintf(stderr, PROG ": cannot create the engine\n"); goto out; }

    store = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_context_t *cx = wasmtime_store_context(store);
    wasi_config_t *wasi = make_wasi(&o, argc - first, (const char **)&argv[first]);
    if (!wasi) goto out;
    err = wasmtime_context_set_wasi(cx, wasi); /* takes wasi; serves p1 and p2 */
    if (err) { wt_report(PROG, "cannot set up WASI", err, NULL); goto out; }
    if (o.component || is_component(&bytes)) {
        rc = run_component(engine, cx, wasm_path, &bytes);
        goto out;
    }

    module = wt_compile(PROG, engine, wasm_path, bytes.data, bytes.size);
    if (!module) goto out;

    linker = wasmtime_linker_new(engine);
    err = wasmtime_linker_define_wasi(linker);
    if (err) { wt_report(PROG, "cannot define WASI", err, NULL); goto out; }
    err = wasinn_wasmtime_define(linker, o.profile);
    if (err) { wt_report(PROG, "cannot define wasi_ephemeral_nn", err, NULL); goto out; }

    wasmtime_instance_t instance;
    err = wasmtime_linker_instantiate(linker, cx, module, &instance, &trap);
    if (err || trap) {
        wt_report(PROG, "cannot instantiate", err, trap);
        rc = trap ? EXIT_TRAP : 1;
        goto out;
    }
    rc = run_start(cx, &instance);

out:
    if (linker) wasmtime_linker_delete(linker);
    size_t live_before = wasinn_wasmtime_wit_live_resources();
    if (store) wasmtime_store_delete(store); /* frees the guest's wasi-nn state */
    const char *report = getenv("WASINN_WASMTIME_REPORT_LIVE");
    if (report && strcmp(report, "1") == 0)
        fprintf(stderr, PROG ": live wasi:nn resources: %zu before the store's deletion, %zu after\n",
                live_before, wasinn_wasmtime_wit_live_resources());
    if (module) wasmtime_module_delete(module);
    if (engine) wasm_engine_delete(engine);
    wasm_byte_vec_delete(&bytes);
    free(o.dirs);
    free(o.envs);
    free(o.preloads);
    return rc;
}
