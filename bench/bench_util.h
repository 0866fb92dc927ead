/*
 * bench_util.h - what the bench guest (guest/bench.c, wasm32-wasi) and the native OpenVINO program
 * (native/ov_native.c) share, so both time and summarise the same way: the clock, the quantile
 * and the output checksum. Header-only (static functions): each program is one C file.
 */
#ifndef WASINN_BENCH_UTIL_H
#define WASINN_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_IO 8
#define MAX_RANK 8

/* CLOCK_MONOTONIC in microseconds (through WASI in the guest). */
static inline double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of v[0..n), sorting v. */
static inline double quantile(double *v, long n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[(long)(q * (double)(n - 1) + 0.5)];
}

/* Stores iteration it's total and per-phase times (set_input t0-t1, compute t1-t2, get_output
 * t2-t3). */
static inline void record_iter(double *total, double *ph[3], long it, double t0, double t1, double t2, double t3)
{
    total[it] = t3 - t0;
    ph[0][it] = t1 - t0;
    ph[1][it] = t2 - t1;
    ph[2][it] = t3 - t2;
}

/* sum_j out[j] * (1 + j mod 13) over the f32 elements of len bytes at out (position-weighted, so a
 * softmax's outputs do not always sum to 1): the checksum both programs print. */
static inline double checksum_f32(const uint8_t *out, size_t len)
{
    double sum = 0;
    for (size_t j = 0; j + 4 <= len; j += 4) {
        float f;
        memcpy(&f, out + j, 4);
        sum += (double)f * (double)(1 + (j / 4) % 13);
    }
    return sum;
}

#endif
