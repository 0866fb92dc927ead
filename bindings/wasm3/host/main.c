/*
 * wasinn-wasm3-run: run a wasm32-wasi command module in wasm3 (0.5.0) with
 * WASI (wasi_snapshot_preview1, wasi.c: confined to the --dir directories)
 * and wasi-nn (import module "wasi_ephemeral_nn", served by libwasinn).
 *
 * usage: wasinn-wasm3-run [--dir HOST[::GUEST]]... [--nn-preload name:encoding:target:path[:path...]]...
 *                         [--profile spec|wamr|wamr-2.1|wasmedge] [--] guest.wasm [guest args...]
 *
 * Exit status: the guest's exit code; 1 (with a message on stderr) when the
 * host cannot set up or the guest traps; 2 for a usage error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m3_env.h" /* M3Module.functions: no accessor for a function's names */
#include "wasi.h"
#include "wasinn.h"
#include "wasinn_wasm3.h"
#include "wasm3.h"

#define PROG "wasinn-wasm3-run"
#define STACK_BYTES (1024u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [--dir HOST[::GUEST]]... [--nn-preload name:encoding:target:path[:path...]]...\n"
            "       " PROG "   [--profile spec|wamr|wamr-2.1|wasmedge] [--] guest.wasm [guest args...]\n"
            "\n"
            "Runs a wasm32-wasi command module (its _start) in wasm3 0.5.0 with WASI and\n"
            "wasi-nn (wasi_ephemeral_nn, served by libwasinn).\n"
            "  --dir HOST[::GUEST] preopen the host directory HOST as GUEST (default: the same\n"
            "                      name); repeatable. The guest can open files only beneath these\n"
            "                      (the kernel resolves its paths with openat2 RESOLVE_BENEATH);\n"
            "                      without --dir it can open none. It sees stdin/stdout/stderr,\n"
            "                      its arguments, an empty environment and the clocks.\n"
            "  --nn-preload SPEC   register a model the guest can open with load_by_name\n"
            "                      (e.g. magika:onnx:cpu:/path/model.onnx); repeatable\n"
            "  --profile NAME      numbering of the witx enums: spec (default), wamr, wamr-2.1, wasmedge\n"
            "Not a full sandbox: an interpreter bug in wasm3 itself is not contained, and\n"
            "the guest's CPU time and memory (up to 4 GiB) are not limited.\n");
}

static void print_wasinn_error(const char *what, wasinn_status_t st)
{
    char msg[1024];
    msg[0] = '\0';
    wasinn_last_error_message(msg, sizeof msg);
    const char *name = wasinn_status_str(st);
    fprintf(stderr, PROG ": %s: %s%s%s\n", what, name ? name : "error",
            msg[0] ? ": " : "", msg);
}

static uint8_t *read_file(const char *path, uint32_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, PROG ": cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > UINT32_MAX) {
                fprintf(stderr, PROG ": %s is too large\n", path);
                goto fail;
            }
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, PROG ": out of memory reading %s\n", path);
                goto fail;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    if (ferror(f)) {
        fprintf(stderr, PROG ": error reading %s\n", path);
        goto fail;
    }
    fclose(f);
    *len_out = (uint32_t)len;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* ---- a minimal reader for the module's export section ---------------- */

static int read_leb_u32(const uint8_t *w, uint32_t len, uint32_t *pos, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len) return -1;
        uint8_t b = w[(*pos)++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *out = v; return 0; }
    }
    return -1;
}

/* Index (in the function index space, imports first) of the function
 * exported as `name`; -1 if there is none or the module is malformed. */
static int64_t find_exported_func(const uint8_t *w, uint32_t len, const char *name)
{
    size_t name_len = strlen(name);
    uint32_t pos = 8; /* magic + version */
    while (pos < len) {
        uint8_t id = w[pos++];
        uint32_t size;
        if (read_leb_u32(w, len, &pos, &size) || size > len - pos) return -1;
        uint32_t end = pos + size;
        if (id == 7) { /* export section */
            uint32_t count;
            if (read_leb_u32(w, end, &pos, &count)) return -1;
            for (uint32_t k = 0; k < count; k++) {
                uint32_t nlen, index;
                if (read_leb_u32(w, end, &pos, &nlen) || nlen > end - pos) return -1;
                const uint8_t *n = w + pos;
                pos += nlen;
                if (pos >= end) return -1;
                uint8_t kind = w[pos++];
                if (read_leb_u32(w, end, &pos, &index)) return -1;
                if (kind == 0 && nlen == name_len && memcmp(n, name, nlen) == 0) return index;
            }
            return -1;
        }
        pos = end;
    }
    return -1;
}

/*
 * wasm3 (0.4.7 and 0.5.0) looks functions up by name, and names from the
 * "name" custom section count too: with wasi-libc, the internal `_start`
 * (which skips the constructors and destructors: no preopens, no stdout
 * flush) has a lower index than the exported `_start` wrapper that wasm-ld
 * generates. Take the name `_start` away from every function but the
 * exported one.
 */
static void keep_only_exported(IM3Module module, const uint8_t *w, uint32_t len,
                               const char *name)
{
    int64_t idx = find_exported_func(w, len, name);
    if (idx < 0) return;
    for (uint32_t k = 0; k < module->numFunctions; k++) {
        IM3Function f = &module->functions[k];
        if (k == (uint32_t)idx || f->import.fieldUtf8) continue;
        /* blank the name in place: wasm3 owns (and frees) the string */
        for (uint16_t j = 0; j < f->numNames; j++)
            if (f->names[j] && strcmp(f->names[j], name) == 0) ((char *)f->names[j])[0] = '\0';
    }
}

static void print_m3_error(IM3Runtime runtime, const char *what, M3Result r)
{
    M3ErrorInfo info;
    memset(&info, 0, sizeof info);
    if (runtime) m3_GetErrorInfo(runtime, &info);
    fprintf(stderr, PROG ": %s: %s", what, r);
    if (info.message && info.message[0]) fprintf(stderr, " (%s)", info.message);
    if (info.function && info.file) fprintf(stderr, " [%s:%u]", info.file, info.line);
    fputc('\n', stderr);
}

/* Splits "HOST::GUEST" (or "HOST") in place. */
static void split_dir(char *spec, const char **host, const char **guest)
{
    char *sep = strstr(spec, "::");
    *host = spec;
    *guest = spec;
    if (sep) {
        *sep = '\0';
        *guest = sep + 2;
    }
}

int main(int argc, char **argv)
{
    uint32_t profile = WASINN_WITX_PROFILE_SPEC;
    const char **preloads = calloc((size_t)argc + 1, sizeof *preloads);
    char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int npreloads = 0, ndirs = 0;
    int i = 1;

    if (!preloads || !dirs) return 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); return 0; }
        if (strncmp(a, "--nn-preload=", 13) == 0) { preloads[npreloads++] = a + 13; continue; }
        if (strncmp(a, "--dir=", 6) == 0) { dirs[ndirs++] = a + 6; continue; }
        if (strncmp(a, "--profile=", 10) == 0) { a = a + 10; goto profile; }
        if (strcmp(a, "--nn-preload") == 0 || strcmp(a, "--profile") == 0 || strcmp(a, "--dir") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": %s needs a value\n", a);
                usage(stderr);
                return 2;
            }
            if (a[2] == 'n') { preloads[npreloads++] = argv[++i]; continue; }
            if (a[2] == 'd') { dirs[ndirs++] = argv[++i]; continue; }
            a = argv[++i];
        profile:
            if (wasinn_witx_profile_from_name(a, &profile) != WASINN_STATUS_SUCCESS) {
                fprintf(stderr, PROG ": unknown profile '%s' (spec, wamr, wamr-2.1 or wasmedge)\n", a);
                return 2;
            }
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, PROG ": unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        break;
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *wasm_path = argv[i];
    /* the guest's argv: argv[0] is the module path, then its own arguments */
    int guest_argc = argc - i;
    const char *const *guest_argv = (const char *const *)&argv[i];

    int rc = 1;
    wasinn_witx_instance_t *nn = NULL;
    host_wasi *wasi = NULL;
    IM3Environment env = NULL;
    IM3Runtime runtime = NULL;
    IM3Module module = NULL;
    uint8_t *wasm = NULL;
    uint32_t wasm_len = 0;
    M3Result r;

    wasi = host_wasi_new(guest_argc, guest_argv);
    if (!wasi) { fprintf(stderr, PROG ": out of memory\n"); goto out; }
    for (int d = 0; d < ndirs; d++) {
        const char *host_dir, *guest_dir;
        split_dir(dirs[d], &host_dir, &guest_dir);
        if (host_wasi_preopen(wasi, host_dir, guest_dir)) goto out;
    }

    wasinn_status_t st = wasinn_witx_instance_new(profile, &nn);
    if (st != 0 || nn == NULL) {
        print_wasinn_error("cannot create the wasi-nn instance", st);
        goto out;
    }
    for (int p = 0; p < npreloads; p++) {
        wasinn_status_t pst = wasinn_registry_preload(preloads[p]);
        if (pst != 0) {
            char what[512];
            snprintf(what, sizeof what, "--nn-preload %s", preloads[p]);
            print_wasinn_error(what, pst);
            goto out;
        }
    }

    wasm = read_file(wasm_path, &wasm_len);
    if (!wasm) goto out;

    env = m3_NewEnvironment();
    if (!env) { fprintf(stderr, PROG ": m3_NewEnvironment failed\n"); goto out; }
    runtime = m3_NewRuntime(env, STACK_BYTES, NULL);
    if (!runtime) { fprintf(stderr, PROG ": m3_NewRuntime failed\n"); goto out; }

    r = m3_ParseModule(env, &module, wasm, wasm_len);
    if (r) { fprintf(stderr, PROG ": %s: cannot parse: %s\n", wasm_path, r); goto out; }
    keep_only_exported(module, wasm, wasm_len, "_start");
    r = m3_LoadModule(runtime, module);
    if (r) {
        fprintf(stderr, PROG ": %s: cannot load: %s\n", wasm_path, r);
        m3_FreeModule(module);
        goto out;
    }
    /* the runtime owns the module now */
    r = host_wasi_link(wasi, module);
    if (r) { print_m3_error(runtime, "cannot link WASI", r); goto out; }
    r = wasinn_wasm3_link(module, nn);
    if (r) { print_m3_error(runtime, "cannot link wasi_ephemeral_nn", r); goto out; }

    IM3Function start = NULL;
    r = m3_FindFunction(&start, runtime, "_start");
    if (r) {
        print_m3_error(runtime, "no usable _start (is this a WASI command module?)", r);
        goto out;
    }

    fflush(stdout);
    r = m3_CallV(start);
    fflush(stdout);
    if (r == m3Err_none) {
        rc = 0;
    } else if (r == m3Err_trapExit) {
        rc = host_wasi_exit_code(wasi);
    } else {
        print_m3_error(runtime, "guest failed", r);
        rc = 1;
    }

out:
    if (runtime) m3_FreeRuntime(runtime);
    if (env) m3_FreeEnvironment(env);
    if (nn) wasinn_witx_instance_free(nn);
    host_wasi_free(wasi);
    free(wasm);
    free(preloads);
    free(dirs);
    return rc;
}
