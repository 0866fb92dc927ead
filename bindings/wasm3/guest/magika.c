/*
 * magika.c - a wasm32-wasi guest that identifies file types with Google's
 * magika model (standard_v3_3) through wasi-nn's legacy witx ABI
 * (import module "wasi_ephemeral_nn").
 *
 * usage: magika.wasm <model-name> <labels-file> <file>...
 *        magika.wasm --bytes <model.onnx> <labels-file> <file>...
 *
 *   <model-name>   a model the host preloaded (load_by_name), e.g. "magika"
 *   --bytes PATH   read the ONNX file itself and hand its bytes to `load`
 *                  (one graph_builder, encoding onnx, target cpu)
 *   <labels-file>  one label per line, in the model's output order
 *                  (written by make-labels.py from the magika package)
 *
 * For each file it prints "<file>: <label> (score 0.xxx)" where label/score
 * are the model's best class (magika's "dl" prediction). Files the python
 * package answers without the model (empty, or fewer than 8 meaningful bytes)
 * get the same answer here: "empty", "txt" or "unknown", marked "(no model)".
 *
 * Features are built exactly as magika 1.0.3 (python) does for its
 * standard_v3_3 model: beg_size 1024, mid_size 0, end_size 1024,
 * block_size 4096, padding_token 256, min_file_size_for_dl 8.
 *
 * build: clang --target=wasm32-wasi -O2 -o magika.wasm magika.c
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_io.h"

/* ---- wasi-nn witx ABI (wasm32 layouts) --------------------------------- */

typedef uint32_t nn_graph;
typedef uint32_t nn_ctx;
typedef uint16_t nn_errno; /* returned as i32 */

typedef struct {
    const uint8_t *buf;
    uint32_t len;
} nn_graph_builder; /* 8 bytes */

typedef struct {
    const uint32_t *dims; /* dims.ptr */
    uint32_t dims_len;    /* number of dimensions */
    uint8_t type;         /* tensor_type; 3 padding bytes follow */
    const uint8_t *data;  /* data.ptr */
    uint32_t data_len;    /* bytes */
} nn_tensor; /* 20 bytes */

_Static_assert(sizeof(nn_graph_builder) == 8, "graph_builder layout");
_Static_assert(sizeof(nn_tensor) == 20, "tensor layout");
_Static_assert(offsetof(nn_tensor, type) == 8, "tensor.type offset");
_Static_assert(offsetof(nn_tensor, data) == 12, "tensor.data offset");

enum { NN_ENCODING_ONNX = 1 };
enum { NN_TARGET_CPU = 0 };
enum { NN_TYPE_F32 = 1, NN_TYPE_I32 = 4 };

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

NN_IMPORT("load")
int32_t nn_load(const nn_graph_builder *builders, uint32_t n, uint32_t encoding,
                uint32_t target, nn_graph *graph_out);
NN_IMPORT("load_by_name")
int32_t nn_load_by_name(const char *name, uint32_t name_len, nn_graph *graph_out);
NN_IMPORT("init_execution_context")
int32_t nn_init_execution_context(nn_graph graph, nn_ctx *ctx_out);
NN_IMPORT("set_input")
int32_t nn_set_input(nn_ctx ctx, uint32_t index, const nn_tensor *tensor);
NN_IMPORT("compute")
int32_t nn_compute(nn_ctx ctx);
NN_IMPORT("get_output")
int32_t nn_get_output(nn_ctx ctx, uint32_t index, uint8_t *out, uint32_t out_max,
                      uint32_t *bytes_written);
NN_IMPORT("finalize_execution_context")
int32_t nn_finalize_execution_context(nn_ctx ctx);
NN_IMPORT("unload")
int32_t nn_unload(nn_graph graph);

static const char *nn_errno_name(int32_t e)
{
    switch (e) {
    case 0: return "success";
    case 1: return "invalid_argument";
    case 2: return "invalid_encoding";
    case 3: return "missing_memory";
    case 4: return "busy";
    case 5: return "runtime_error";
    case 6: return "unsupported_operation";
    case 7: return "too_large";
    case 8: return "not_found";
    case 100: return "end_of_sequence";
    case 101: return "context_full";
    case 102: return "prompt_too_long";
    case 103: return "model_not_found";
    default: return "unknown errno";
    }
}

/* ---- magika standard_v3_3 feature extraction (python magika 1.0.3) ------ */

#define BEG_SIZE 1024
#define END_SIZE 1024
#define BLOCK_SIZE 4096
#define PADDING_TOKEN 256
#define MIN_FILE_SIZE_FOR_DL 8
#define N_FEATURES (BEG_SIZE + END_SIZE)

/* bytes.strip()/lstrip()/rstrip() without arguments: ASCII whitespace */
static int py_isspace(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c;
}

/* bytes.decode("utf-8") succeeds (strict: no overlongs, no surrogates,
 * nothing above U+10FFFF, no truncated sequence) */
static int is_valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i < len) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += len;
    }
    return 1;
}

static int read_at(FILE *f, long off, uint8_t *buf, size_t n)
{
    if (fseek(f, off, SEEK_SET) != 0) return -1;
    if (fread(buf, 1, n, f) != n) return -1;
    return 0;
}

enum feat_result { FEAT_MODEL, FEAT_EMPTY, FEAT_TXT, FEAT_UNKNOWN, FEAT_ERROR };

/* Fills features[N_FEATURES] (beg then end) when the model is needed. */
static enum feat_result extract_features(const char *path, int32_t *features)
{
    static uint8_t block[BLOCK_SIZE];
    enum feat_result res = FEAT_ERROR;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "magika: cannot open %s: %s\n", path, strerror(errno));
        return FEAT_ERROR;
    }
    if (fseek(f, 0, SEEK_END) != 0) goto io_error;
    long size = ftell(f);
    if (size < 0) goto io_error;

    if (size == 0) { res = FEAT_EMPTY; goto out; }

    size_t to_read = size < BLOCK_SIZE ? (size_t)size : BLOCK_SIZE;
    if (read_at(f, 0, block, to_read) != 0) goto io_error;

    if (size < MIN_FILE_SIZE_FOR_DL) {
        res = is_valid_utf8(block, to_read) ? FEAT_TXT : FEAT_UNKNOWN;
        goto out;
    }

    /* beg: lstrip() the first block, take at most BEG_SIZE, pad at the end */
    size_t start = 0;
    while (start < to_read && py_isspace(block[start])) start++;
    size_t beg_n = to_read - start;
    if (beg_n > BEG_SIZE) beg_n = BEG_SIZE;
    for (size_t k = 0; k < BEG_SIZE; k++)
        features[k] = k < beg_n ? (int32_t)block[start + k] : PADDING_TOKEN;

    if (features[MIN_FILE_SIZE_FOR_DL - 1] == PADDING_TOKEN) {
        /* not enough meaningful bytes after stripping: magika decides on the
         * first (at most) block_size bytes, without the model */
        res = is_valid_utf8(block, to_read) ? FEAT_TXT : FEAT_UNKNOWN;
        goto out;
    }

    /* end: rstrip() the last block, take at most END_SIZE from its end, pad
     * at the beginning */
    if (read_at(f, size - (long)to_read, block, to_read) != 0) goto io_error;
    size_t stop = to_read;
    while (stop > 0 && py_isspace(block[stop - 1])) stop--;
    size_t end_n = stop > END_SIZE ? END_SIZE : stop;
    size_t pad = END_SIZE - end_n;
    for (size_t k = 0; k < END_SIZE; k++)
        features[BEG_SIZE + k] = k < pad ? PADDING_TOKEN : (int32_t)block[stop - end_n + (k - pad)];

    res = FEAT_MODEL;
    goto out;

io_error:
    fprintf(stderr, "magika: cannot read %s: %s\n", path, strerror(errno));
    res = FEAT_ERROR;
out:
    fclose(f);
    return res;
}

/* ---- helpers ------------------------------------------------------------ */

/* labels file: one label per line; returns the count, NULL-free array */
static char **read_labels(const char *path, uint32_t *count)
{
    size_t len = 0;
    char *text = (char *)guest_read_file(path, &len);
    if (!text) return NULL;
    size_t cap = 256, n = 0;
    char **labels = malloc(cap * sizeof *labels);
    if (!labels) { free(text); return NULL; }
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl) *nl = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[--l] = '\0';
        if (l) {
            if (n == cap) {
                cap *= 2;
                char **nlabels = realloc(labels, cap * sizeof *labels);
                if (!nlabels) { free(labels); free(text); return NULL; }
                labels = nlabels;
            }
            labels[n++] = p;
        }
        p = next;
    }
    if (n == 0) {
        fprintf(stderr, "magika: %s holds no labels\n", path);
        free(labels);
        free(text);
        return NULL;
    }
    *count = (uint32_t)n;
    return labels; /* text is kept alive by the labels (process lifetime) */
}

static void usage(void)
{
    fprintf(stderr,
            "usage: magika.wasm <model-name> <labels-file> <file>...\n"
            "       magika.wasm --bytes <model.onnx> <labels-file> <file>...\n");
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *model_name = NULL, *model_path = NULL;
    int i = 1;
    if (i < argc && strcmp(argv[i], "--bytes") == 0) {
        if (i + 1 >= argc) { usage(); return 2; }
        model_path = argv[i + 1];
        i += 2;
    } else if (i < argc) {
        model_name = argv[i++];
    }
    if (argc - i < 2 || (!model_name && !model_path)) { usage(); return 2; }
    const char *labels_path = argv[i++];
    int first_file = i;

    uint32_t n_labels = 0;
    char **labels = read_labels(labels_path, &n_labels);
    if (!labels) return 1;

    nn_graph graph = 0;
    int32_t e;
    if (model_path) {
        size_t model_len = 0;
        uint8_t *model = guest_read_file(model_path, &model_len);
        if (!model) return 1;
        nn_graph_builder b = { model, (uint32_t)model_len };
        e = nn_load(&b, 1, NN_ENCODING_ONNX, NN_TARGET_CPU, &graph);
        free(model); /* the host copied the bytes during the call */
        if (e != 0) {
            fprintf(stderr, "magika: load(%s, %zu bytes) failed: %s (%d)\n", model_path,
                    model_len, nn_errno_name(e), (int)e);
            return 1;
        }
    } else {
        e = nn_load_by_name(model_name, (uint32_t)strlen(model_name), &graph);
        if (e != 0) {
            fprintf(stderr, "magika: load_by_name(\"%s\") failed: %s (%d)%s\n", model_name,
                    nn_errno_name(e), (int)e,
                    e == 8 ? " - did the host preload it (--nn-preload)?" : "");
            return 1;
        }
    }

    nn_ctx ctx = 0;
    e = nn_init_execution_context(graph, &ctx);
    if (e != 0) {
        fprintf(stderr, "magika: init_execution_context failed: %s (%d)\n", nn_errno_name(e),
                (int)e);
        return 1;
    }

    static int32_t features[N_FEATURES];
    static const uint32_t dims[2] = { 1, N_FEATURES };
    float *scores = malloc(n_labels * sizeof *scores);
    if (!scores) return 1;

    int failures = 0;
    for (i = first_file; i < argc; i++) {
        const char *path = argv[i];
        switch (extract_features(path, features)) {
        case FEAT_EMPTY: printf("%s: empty (no model)\n", path); continue;
        case FEAT_TXT: printf("%s: txt (no model: too few bytes)\n", path); continue;
        case FEAT_UNKNOWN: printf("%s: unknown (no model: too few bytes)\n", path); continue;
        case FEAT_ERROR: failures++; continue;
        case FEAT_MODEL: break;
        }

        nn_tensor t = { dims, 2, NN_TYPE_I32, (const uint8_t *)features, sizeof features };
        e = nn_set_input(ctx, 0, &t);
        if (e != 0) {
            fprintf(stderr, "magika: %s: set_input failed: %s (%d)\n", path, nn_errno_name(e),
                    (int)e);
            failures++;
            continue;
        }
        e = nn_compute(ctx);
        if (e != 0) {
            fprintf(stderr, "magika: %s: compute failed: %s (%d)\n", path, nn_errno_name(e),
                    (int)e);
            failures++;
            continue;
        }
        uint32_t written = 0;
        e = nn_get_output(ctx, 0, (uint8_t *)scores, n_labels * sizeof *scores, &written);
        if (e != 0) {
            fprintf(stderr, "magika: %s: get_output failed: %s (%d)\n", path, nn_errno_name(e),
                    (int)e);
            failures++;
            continue;
        }
        if (written != n_labels * sizeof *scores) {
            fprintf(stderr, "magika: %s: model gave %u bytes, expected %u scores (%u labels)\n",
                    path, written, n_labels, n_labels);
            failures++;
            continue;
        }
        uint32_t best = 0;
        for (uint32_t k = 1; k < n_labels; k++)
            if (scores[k] > scores[best]) best = k;
        printf("%s: %s (score %.3f)\n", path, labels[best], (double)scores[best]);
    }

    e = nn_finalize_execution_context(ctx);
    if (e != 0)
        fprintf(stderr, "magika: finalize_execution_context: %s (%d)\n", nn_errno_name(e), (int)e);
    e = nn_unload(graph);
    if (e != 0) fprintf(stderr, "magika: unload: %s (%d)\n", nn_errno_name(e), (int)e);

    free(scores);
    return failures ? 1 : 0;
}
