/*
 * tflite_classify.c - a wasm32-wasi guest that classifies an image with a TensorFlow Lite model
 * through wasi_ephemeral_nn, built against WAMR's own guest header (wasi_ephemeral_nn.h from
 * WAMR's sources, core/iwasm/libraries/wasi-nn/include, added with -isystem by build-tflite.sh):
 * every enum value it sends is the one WAMR's own guests send (the host's --profile wamr).
 *
 * usage: tflite_classify.wasm MODEL.tflite LABELS IMAGE.ppm
 *
 *   MODEL.tflite  a float image classifier: input f32[1,H,W,3] (NHWC, RGB in [0,1]),
 *                 output f32[1,N] (scores of N classes); its bytes go to `load`
 *   LABELS        one label per line, N lines, in the model's output order
 *   IMAGE.ppm     a binary PPM (P6, maxval 255) of H x W pixels; each byte becomes byte / 255.0f
 *
 * Loads the model twice: as tensorflowlite (4 in WAMR's numbering) and as autodetect (6 in WAMR's
 * numbering, 5 in the witx spec's: under another profile this load is refused, which is what the
 * tests check to prove the profile is applied), target cpu, and classifies the image with each.
 * Prints (the tests compare it with LiteRT's interpreter on the same model and pixels):
 *
 *   load as tensorflowlite (4): success
 *   input: IMAGE.ppm WxH, f32[1,H,W,3], fnv1a32 0x........   (of the input tensor's bytes)
 *   top-1: INDEX LABEL (score S)
 *   checksum: sum S1, weighted S2          (sum of the scores, sum of (index + 1) * score)
 *   score INDEX: S                         (one line per class, %.9g)
 *   load as autodetect (6): ERRNO-NAME
 *   autodetect top-1: INDEX LABEL, max |diff| from the tensorflowlite run: D   (on success)
 *
 * Exits 0 when the tensorflowlite classification ran (whatever the autodetect load answered),
 * 1 otherwise.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_ephemeral_nn.h"
#include "guest_io.h"

#define NN(x) wasi_ephemeral_nn_##x

_Static_assert(sizeof(NN(tensor)) == 20, "tensor layout of WAMR's header");
_Static_assert(sizeof(NN(graph_builder)) == 8, "graph_builder layout of WAMR's header");

/* The name of an errno of WAMR's header (its enum constants, not numbers of our own). */
static const char *errno_name(int e)
{
    switch (e) {
    case NN(error_success): return "success";
    case NN(error_invalid_argument): return "invalid_argument";
    case NN(error_invalid_encoding): return "invalid_encoding";
    case NN(error_missing_memory): return "missing_memory";
    case NN(error_busy): return "busy";
    case NN(error_runtime_error): return "runtime_error";
    case NN(error_unsupported_operation): return "unsupported_operation";
    case NN(error_too_large): return "too_large";
    case NN(error_not_found): return "not_found";
    default: return "unknown";
    }
}

/* Labels: one per non-empty line; the text buffer stays alive with the labels. */
static char **read_labels(const char *path, uint32_t *count)
{
    size_t len = 0;
    char *text = (char *)guest_read_file(path, &len);
    if (!text) return NULL;
    uint32_t n = 0, cap = 0;
    char **labels = NULL;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl) *nl = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[--l] = '\0';
        if (l) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nb = realloc(labels, cap * sizeof *labels);
                if (!nb) { free(labels); free(text); return NULL; }
                labels = nb;
            }
            labels[n++] = p;
        }
        p = next;
    }
    if (n == 0) {
        fprintf(stderr, "tflite_classify: %s holds no labels\n", path);
        free(labels);
        free(text);
        return NULL;
    }
    *count = n;
    return labels;
}

/* Skips whitespace and '#' comments of a PPM header. */
static size_t ppm_skip(const uint8_t *b, size_t len, size_t i)
{
    for (;;) {
        while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) i++;
        if (i < len && b[i] == '#') {
            while (i < len && b[i] != '\n') i++;
            continue;
        }
        return i;
    }
}

static int ppm_number(const uint8_t *b, size_t len, size_t *i, uint32_t *out)
{
    *i = ppm_skip(b, len, *i);
    uint64_t v = 0;
    size_t start = *i;
    while (*i < len && b[*i] >= '0' && b[*i] <= '9' && v <= 100000) v = v * 10 + (b[(*i)++] - '0');
    if (*i == start || v == 0 || v > 100000) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Decodes a P6 PPM (maxval 255) into a malloc'd f32 HWC tensor of byte / 255.0f. */
static float *read_ppm(const char *path, uint32_t *w, uint32_t *h, size_t *n_out)
{
    size_t len = 0;
    uint8_t *b = guest_read_file(path, &len);
    if (!b) return NULL;
    size_t i = 2;
    uint32_t maxval = 0;
    float *px = NULL;
    if (len < 2 || b[0] != 'P' || b[1] != '6' || ppm_number(b, len, &i, w) != 0 ||
        ppm_number(b, len, &i, h) != 0 || ppm_number(b, len, &i, &maxval) != 0 || maxval != 255 ||
        i >= len) {
        fprintf(stderr, "tflite_classify: %s is not a binary PPM (P6, maxval 255)\n", path);
        goto out;
    }
    i++; /* the single whitespace byte after maxval */
    /* w, h <= 100000: the product fits in 64 bits (size_t is 32 bits on wasm32) */
    uint64_t n64 = (uint64_t)*w * *h * 3;
    if ((uint64_t)(len - i) < n64 || n64 > SIZE_MAX / sizeof *px) {
        fprintf(stderr, "tflite_classify: %s: %zu pixel bytes, expected %llu\n", path, len - i,
                (unsigned long long)n64);
        goto out;
    }
    size_t n = (size_t)n64;
    px = malloc(n * sizeof *px);
    if (!px) goto out;
    for (size_t k = 0; k < n; k++) px[k] = (float)b[i + k] / 255.0f;
    *n_out = n;
out:
    free(b);
    return px;
}

static uint32_t fnv1a32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < n; i++) hash = (hash ^ p[i]) * 16777619u;
    return hash;
}

/* load + init_execution_context + set_input + compute + get_output: 0 or the errno. */
static int classify(const uint8_t *model, size_t model_len, NN(graph_encoding) encoding,
                    const float *image, size_t n_values, uint32_t w, uint32_t h, float *scores,
                    uint32_t n_scores)
{
    NN(graph_builder) builder = {(uint8_t *)model, (uint32_t)model_len};
    NN(graph) g = 0;
    int err = NN(load)(&builder, 1, encoding, NN(target_cpu), &g);
    if (err) return err;
    NN(graph_execution_context) ctx = 0;
    err = NN(init_execution_context)(g, &ctx);
    if (err) {
        fprintf(stderr, "tflite_classify: init_execution_context: %s (%d)\n", errno_name(err), err);
        return err;
    }
    uint32_t dims[4] = {1, h, w, 3};
    NN(tensor) t;
    memset(&t, 0, sizeof t);
    t.dimensions.buf = dims;
    t.dimensions.size = 4;
    t.type = NN(type_fp32);
    t.data.buf = (uint8_t *)image;
    t.data.size = (uint32_t)(n_values * sizeof(float));
    const char *step = "set_input";
    err = NN(set_input)(ctx, 0, &t);
    if (!err) { step = "compute"; err = NN(compute)(ctx); }
    uint32_t written = 0;
    if (!err) {
        step = "get_output";
        err = NN(get_output)(ctx, 0, (uint8_t *)scores, n_scores * sizeof(float), &written);
    }
    if (err) {
        fprintf(stderr, "tflite_classify: %s: %s (%d)\n", step, errno_name(err), err);
        return err;
    }
    if (written != n_scores * sizeof(float)) {
        fprintf(stderr, "tflite_classify: the model wrote %u bytes, expected %u scores\n",
                written, n_scores);
        return NN(error_invalid_argument);
    }
    return 0;
}

static uint32_t argmax(const float *s, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t k = 1; k < n; k++)
        if (s[k] > s[best]) best = k;
    return best;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tflite_classify.wasm MODEL.tflite LABELS IMAGE.ppm\n");
        return 2;
    }
    uint32_t n_labels = 0, w = 0, h = 0;
    char **labels = read_labels(argv[2], &n_labels);
    if (!labels) return 1;
    size_t model_len = 0, n_values = 0;
    uint8_t *model = guest_read_file(argv[1], &model_len);
    if (!model) return 1;
    float *image = read_ppm(argv[3], &w, &h, &n_values);
    if (!image) return 1;
    float *scores = calloc(n_labels, sizeof *scores);
    float *again = calloc(n_labels, sizeof *again);
    if (!scores || !again) return 1;

    int err = classify(model, model_len, NN(encoding_tensorflowlite), image, n_values, w, h, scores,
                       n_labels);
    printf("load as tensorflowlite (%d): %s\n", (int)NN(encoding_tensorflowlite), errno_name(err));
    if (err) return 1;
    printf("input: %s %ux%u, f32[1,%u,%u,3], fnv1a32 0x%08x\n", argv[3], w, h, h, w,
           fnv1a32(image, n_values * sizeof(float)));
    uint32_t best = argmax(scores, n_labels);
    printf("top-1: %u %s (score %.6f)\n", best, labels[best], (double)scores[best]);
    double sum = 0, weighted = 0;
    for (uint32_t k = 0; k < n_labels; k++) {
        sum += scores[k];
        weighted += (double)(k + 1) * scores[k];
    }
    printf("checksum: sum %.7f, weighted %.7f\n", sum, weighted);
    for (uint32_t k = 0; k < n_labels; k++) printf("score %u: %.9g\n", k, (double)scores[k]);

    err = classify(model, model_len, NN(encoding_autodetect), image, n_values, w, h, again,
                   n_labels);
    printf("load as autodetect (%d): %s\n", (int)NN(encoding_autodetect), errno_name(err));
    if (!err) {
        double diff = 0;
        for (uint32_t k = 0; k < n_labels; k++) diff = fmax(diff, fabs((double)again[k] - scores[k]));
        uint32_t b2 = argmax(again, n_labels);
        printf("autodetect top-1: %u %s, max |diff| from the tensorflowlite run: %.3g\n", b2,
               labels[b2], diff);
    }
    free(again);
    free(scores);
    free(image);
    free(model);
    return 0;
}
