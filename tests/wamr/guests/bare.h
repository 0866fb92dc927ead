/*
 * bare.h - output and exit for the freestanding guests of tests/wamr (built with -nostdlib: the
 * thread guest needs a shared memory, which Debian's wasi-libc, built without atomics, cannot
 * link into). Imports WASI's fd_write and proc_exit directly. Header-only.
 */
#ifndef WASINN_TESTS_WAMR_BARE_H
#define WASINN_TESTS_WAMR_BARE_H

#include <stdint.h>

struct bare_iovec { const void *buf; uint32_t len; };
int32_t bare_fd_write(int32_t fd, const struct bare_iovec *iovs, uint32_t n, uint32_t *written)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")));
_Noreturn void bare_proc_exit(int32_t code)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit")));

static inline uint32_t bare_strlen(const char *s) { uint32_t n = 0; while (s[n]) n++; return n; }

static inline void bare_puts(const char *s)
{
    struct bare_iovec v = {s, bare_strlen(s)};
    uint32_t written;
    bare_fd_write(1, &v, 1, &written);
}

static inline void bare_put_int(int64_t v)
{
    char buf[24];
    int i = (int)sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    buf[--i] = '\0';
    do { buf[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) buf[--i] = '-';
    bare_puts(buf + i);
}

/* "what -> got\n", counted as a failure when got != want */
static int bare_failures;
static inline void bare_check(const char *what, int64_t got, int64_t want)
{
    bare_puts(what);
    bare_puts(" -> ");
    bare_put_int(got);
    bare_puts(got == want ? "\n" : " (UNEXPECTED)\n");
    if (got != want) bare_failures++;
}

static inline int bare_memeq(const void *a, const void *b, uint32_t n)
{
    const uint8_t *x = a, *y = b;
    for (uint32_t i = 0; i < n; i++)
        if (x[i] != y[i]) return 0;
    return 1;
}

#endif
