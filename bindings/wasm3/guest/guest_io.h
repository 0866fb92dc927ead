/*
 * guest_io.h - file and text helpers shared by the wasm32-wasi guests (magika.c,
 * wasinn_crate_mirror.c, llama_chat.c).
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

/* Copies src[0..n) to dst (capacity cap) with every ill-formed UTF-8 subsequence replaced by U+FFFD
 * (EF BF BD), one per maximal subpart, the Unicode-recommended practice that Rust's
 * String::from_utf8_lossy and Python's bytes.decode("utf-8", "replace") follow. Returns the
 * length written, or (size_t)-1 when it would exceed cap (nothing past cap is written). */
static inline size_t guest_utf8_lossy(uint8_t *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t out = 0, i = 0;
    while (i < n) {
        uint8_t c = src[i];
        size_t len = 0, k = 1;
        uint8_t lo = 0x80, hi = 0xbf;
        if (c < 0x80) len = 1;
        else if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c == 0xe0) { len = 3; lo = 0xa0; }
        else if (c == 0xed) { len = 3; hi = 0x9f; }
        else if (c >= 0xe1 && c <= 0xef) len = 3;
        else if (c == 0xf0) { len = 4; lo = 0x90; }
        else if (c >= 0xf1 && c <= 0xf3) len = 4;
        else if (c == 0xf4) { len = 4; hi = 0x8f; }
        if (len > 1 && i + 1 < n && src[i + 1] >= lo && src[i + 1] <= hi) {
            k = 2;
            while (k < len && i + k < n && src[i + k] >= 0x80 && src[i + k] <= 0xbf) k++;
        }
        if (len != 0 && k == len) {
            if (len > cap - out) return (size_t)-1;
            memcpy(dst + out, src + i, len);
            out += len;
        } else {
            if (3 > cap - out) return (size_t)-1;
            dst[out++] = 0xef; dst[out++] = 0xbf; dst[out++] = 0xbd;
        }
        i += k;
    }
    return out;
}

#endif /* WASINN_GUEST_IO_H */
