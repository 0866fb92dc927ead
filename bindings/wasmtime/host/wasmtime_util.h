/*
 * wasmtime_util.h - small helpers shared by the wasmtime host program and its tests (header-only,
 * static functions): read a module file (binary or WAT text), print wasmtime errors and traps.
 */
#ifndef WASINN_WASMTIME_UTIL_H
#define WASINN_WASMTIME_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasmtime.h>

/* Prints "PROG: WHAT: MESSAGE" for an error or a trap (either may be NULL) and frees them. */
static inline void wt_report(const char *prog, const char *what, wasmtime_error_t *err, wasm_trap_t *trap)
{
    wasm_byte_vec_t msg = {0, NULL};
    if (err) wasmtime_error_message(err, &msg);
    else if (trap) wasm_trap_message(trap, &msg);
    fprintf(stderr, "%s: %s: %.*s\n", prog, what, (int)msg.size, msg.data ? msg.data : "");
    wasm_byte_vec_delete(&msg);
    if (err) wasmtime_error_delete(err);
    if (trap) wasm_trap_delete(trap);
}

/* The whole file in a wasm_byte_vec_t (owned by the caller); 0 on success. */
static inline int wt_read_file(const char *prog, const char *path, wasm_byte_vec_t *out)
{
    FILE *f = fopen(path, "rb");
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (!f || len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        if (f) fclose(f);
        return -1;
    }
    wasm_byte_vec_new_uninitialized(out, (size_t)len);
    size_t got = len ? fread(out->data, 1, (size_t)len, f) : 0;
    fclose(f);
    if (got != (size_t)len) {
        fprintf(stderr, "%s: short read of %s\n", prog, path);
        wasm_byte_vec_delete(out);
        return -1;
    }
    return 0;
}

/* Compiles a module from binary wasm or WAT text (anything not starting with "\0asm"). */
static inline wasmtime_module_t *wt_compile(const char *prog, wasm_engine_t *engine, const char *what,
                                     const char *bytes, size_t len)
{
    wasm_byte_vec_t wasm = {0, NULL};
    wasmtime_error_t *err = NULL;
    if (len < 4 || memcmp(bytes, "\0asm", 4) != 0) {
        err = wasmtime_wat2wasm(bytes, len, &wasm);
        if (err) { wt_report(prog, what, err, NULL); return NULL; }
        bytes = wasm.data;
        len = wasm.size;
    }
    wasmtime_module_t *module = NULL;
    err = wasmtime_module_new(engine, (const uint8_t *)bytes, len, &module);
    wasm_byte_vec_delete(&wasm);
    if (err) { wt_report(prog, what, err, NULL); return NULL; }
    return module;
}

#endif /* WASINN_WASMTIME_UTIL_H */
