/*
 * guest_io.h - file helpers shared by the wasm32-wasi guests (magika.c, wasinn_crate_mirror.c).
 * Header-only: each guest is a single translation unit built by build.sh.
 */
#ifndef WASINN_GUEST_IO_H
#define WASINN_GUEST_IO_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file through WASI. Returns a malloc'd buffer with a NUL after the last byte (so
 * text files can be parsed as strings) and its length in *len_out, or NULL after printing why to
 * stderr. The caller frees the buffer. */
static uint8_t *guest_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                fprintf(stderr, "out of memory reading %s\n", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "error reading %s\n", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

#endif /* WASINN_GUEST_IO_H */
