/*
 * llama_chat.c - a wasm32-wasi guest that chats with a GGML (llama.cpp) model the host preloaded,
 * the way LlamaEdge-style guests do, through WasmEdge's extensions of the witx ABI (import module
 * "wasi_ephemeral_nn", run with the WasmEdge profile).
 *
 * usage: llama_chat.wasm [--name NAME] [--n-predict N] [--seed S] [--ctx-size N] [--threads T]
 *                        [--out-max BYTES] [--turns FILE] [TURN...]
 *
 *   NAME        the preloaded model (load_by_name_with_config), default "default"
 *               (host: --nn-preload default:GGML:AUTO:model.gguf or WASINN_NN_PRELOAD)
 *   N, S        the config's n-predict (default 16), seed (default 42) and ctx-size (default 512);
 *               temp is always 0 and repeat-penalty 1.0 (plain greedy decoding: WasmEdge's default
 *               repeat-penalty is 1.1)
 *   T           the config's threads (default 1: the reference's thread count; llama.cpp's spinning
 *               workers crawl on a loaded shared machine)
 *   BYTES       the first attempt of every get_output / get_output_single uses a buffer of at most
 *               BYTES bytes (default: the whole fixed buffer), so a run can force too_large: the
 *               needed size is reported and the call retried with that size
 *   TURN        one user turn; --turns FILE reads one turn a line (after the TURN arguments)
 *
 * Each turn's prompt is the transcript so far followed by "User: <turn>\nAssistant:"; the reply (as
 * text: ill-formed UTF-8 replaced by U+FFFD, since a prompt must be UTF-8 and a random-weight model
 * emits byte tokens) and a newline are appended to the transcript after the turn. For every turn the guest
 *   1. loads the model by name with the JSON config, makes a context, sets input 0 to the prompt
 *      bytes (a u8 tensor of dims [len], no NUL),
 *   2. streams: compute_single + get_output_single until errno 100 (end_of_sequence), printing each
 *      piece as it arrives (hex on stdout; the raw text goes to stderr, a live chat), then fini_single,
 *   3. sets the same input again and runs compute + get_output index 0 (the whole reply) and index 1
 *      (the metadata JSON: input_tokens, output_tokens),
 * and prints the machine-checkable line
 *   turn T: reply=<hex> input_tokens=I output_tokens=O streamed_tokens=S streamed==computed=yes|no
 * (tests/llamacpp/run-guests.sh compares it with llama.cpp called directly). Other lines:
 *   turn T prompt=<hex>              the exact prompt bytes of the turn
 *   turn T piece K=<hex>             the K-th streamed piece
 *   turn T too_large CALL needed=N buffer=M   a too-small first buffer (then retried)
 *   turn T: FAIL ...                 a failed call, with its errno
 *   done: F failures                 last line; the exit status is 1 when F > 0
 *
 * All buffers are fixed-size: a transcript longer than PROMPT_MAX, or an output larger than its
 * buffer even after the needed size was reported, is a reported failure, never an overrun.
 *
 * build: bindings/wasm3/guest/build.sh OUT.wasm llama_chat.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_io.h"

/* ---- wasi-nn witx ABI (wasm32 layouts), with WasmEdge's extra functions ---------------------- */

typedef uint32_t nn_graph;
typedef uint32_t nn_ctx;

typedef struct {
    const uint32_t *dims; /* dims.ptr */
    uint32_t dims_len;    /* number of dimensions */
    uint8_t type;         /* tensor_type; 3 padding bytes follow */
    const uint8_t *data;  /* data.ptr */
    uint32_t data_len;    /* bytes */
} nn_tensor; /* 20 bytes */

_Static_assert(sizeof(nn_tensor) == 20, "tensor layout");
_Static_assert(offsetof(nn_tensor, type) == 8, "tensor.type offset");
_Static_assert(offsetof(nn_tensor, data) == 12, "tensor.data offset");

enum { NN_TYPE_U8 = 3 };
enum { NN_SUCCESS = 0, NN_TOO_LARGE = 7, NN_END_OF_SEQUENCE = 100 };

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

NN_IMPORT("load_by_name_with_config")
int32_t nn_load_by_name_with_config(const char *name, uint32_t name_len, const char *config,
                                    uint32_t config_len, nn_graph *graph_out);
NN_IMPORT("init_execution_context")
int32_t nn_init_execution_context(nn_graph graph, nn_ctx *ctx_out);
NN_IMPORT("set_input")
int32_t nn_set_input(nn_ctx ctx, uint32_t index, const nn_tensor *tensor);
NN_IMPORT("compute")
int32_t nn_compute(nn_ctx ctx);
NN_IMPORT("get_output")
int32_t nn_get_output(nn_ctx ctx, uint32_t index, uint8_t *out, uint32_t out_max,
                      uint32_t *bytes_written);
NN_IMPORT("compute_single")
int32_t nn_compute_single(nn_ctx ctx);
NN_IMPORT("get_output_single")
int32_t nn_get_output_single(nn_ctx ctx, uint32_t index, uint8_t *out, uint32_t out_max,
                             uint32_t *bytes_written);
NN_IMPORT("fini_single")
int32_t nn_fini_single(nn_ctx ctx);
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

/* ---- fixed-size buffers ----------------------------------------------------------------------- */

#define PROMPT_MAX 16384u  /* the whole transcript of a turn */
#define REPLY_MAX 8192u    /* output 0 of compute, and the concatenated streamed pieces */
#define PIECE_MAX 256u     /* one get_output_single */
#define META_MAX 1024u     /* output 1 (metadata JSON), NUL-terminated here */
#define MAX_STREAM 4096u   /* compute_single calls per turn before giving up (the host caps n-predict) */
#define MAX_TURNS 64

static uint8_t prompt[PROMPT_MAX];
static uint8_t reply[REPLY_MAX];
static uint8_t streamed[REPLY_MAX];
static uint8_t piece[PIECE_MAX];
static char meta[META_MAX + 1];

static unsigned failures;

static void print_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15]);
    }
}

static void fail(int turn, const char *what, int32_t e)
{
    printf("turn %d: FAIL %s: %s (%d)\n", turn, what, nn_errno_name(e), (int)e);
    failures++;
}

typedef int32_t (*get_fn)(nn_ctx, uint32_t, uint8_t *, uint32_t, uint32_t *);

/* get_output or get_output_single of `index` into buf[cap], the first attempt with at most
 * `first_max` bytes. On too_large the host wrote the needed size: report it, and retry with exactly
 * that size when it fits `cap`. Returns the errno; *n = bytes written on success. */
static int32_t get_into(int turn, const char *what, get_fn fn, nn_ctx ctx, uint32_t index,
                        uint8_t *buf, uint32_t cap, uint32_t first_max, uint32_t *n)
{
    uint32_t max = first_max < cap ? first_max : cap;
    uint32_t written = 0;
    int32_t e = fn(ctx, index, buf, max, &written);
    if (e == NN_TOO_LARGE) {
        printf("turn %d too_large %s needed=%u buffer=%u\n", turn, what, (unsigned)written,
               (unsigned)max);
        if (written <= max || written > cap) {
            printf("turn %d: FAIL %s: too_large with a needed size of %u (buffer %u, capacity %u)\n",
                   turn, what, (unsigned)written, (unsigned)max, (unsigned)cap);
            failures++;
            return e;
        }
        max = written; /* exactly the needed size */
        written = 0;
        e = fn(ctx, index, buf, max, &written);
        if (e == NN_SUCCESS && written != max) {
            printf("turn %d: FAIL %s: needed %u bytes, then wrote %u\n", turn, what,
                   (unsigned)max, (unsigned)written);
            failures++;
            return NN_TOO_LARGE;
        }
    }
    if (e == NN_SUCCESS && written > max) {
        /* a host claiming more than the buffer it was given: never read past it */
        printf("turn %d: FAIL %s: the host reports %u bytes written into %u\n", turn, what,
               (unsigned)written, (unsigned)max);
        failures++;
        return NN_TOO_LARGE;
    }
    *n = written;
    return e;
}

/* The unsigned value of "key": N in a flat JSON object, or -1. */
static long json_uint(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p) return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p++ != ':') return -1;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v > 100000000L) return -1;
        v = v * 10 + (*p++ - '0');
    }
    return v;
}

static int append(uint8_t *buf, size_t *len, size_t cap, const void *src, size_t n)
{
    if (n > cap - *len) return -1;
    memcpy(buf + *len, src, n);
    *len += n;
    return 0;
}

/* One turn on prompt[0..prompt_len). Returns the reply length (into `reply`), or -1. */
static long run_turn(int turn, const char *name, const char *config, size_t prompt_len,
                     uint32_t out_max)
{
    long result = -1;
    nn_graph graph;
    nn_ctx ctx;
    int32_t e = nn_load_by_name_with_config(name, (uint32_t)strlen(name), config,
                                            (uint32_t)strlen(config), &graph);
    if (e) { fail(turn, "load_by_name_with_config", e); return -1; }
    e = nn_init_execution_context(graph, &ctx);
    if (e) { fail(turn, "init_execution_context", e); nn_unload(graph); return -1; }

    uint32_t dims[1] = {(uint32_t)prompt_len};
    nn_tensor input = {dims, 1, NN_TYPE_U8, prompt, (uint32_t)prompt_len};

    /* streamed */
    size_t streamed_len = 0;
    unsigned pieces = 0;
    e = nn_set_input(ctx, 0, &input);
    if (e) { fail(turn, "set_input 0 (stream)", e); goto out; }
    for (;;) {
        if (pieces == MAX_STREAM) {
            printf("turn %d: FAIL no end_of_sequence after %u compute_single calls\n", turn, pieces);
            failures++;
            goto out;
        }
        e = nn_compute_single(ctx);
        if (e == NN_END_OF_SEQUENCE) break;
        if (e) { fail(turn, "compute_single", e); goto out; }
        uint32_t n = 0;
        e = get_into(turn, "get_output_single", nn_get_output_single, ctx, 0, piece, PIECE_MAX,
                     out_max, &n);
        if (e) { fail(turn, "get_output_single", e); goto out; }
        printf("turn %d piece %u=", turn, pieces);
        print_hex(piece, n);
        putchar('\n');
        fflush(stdout);
        fwrite(piece, 1, n, stderr);
        fflush(stderr);
        if (append(streamed, &streamed_len, sizeof streamed, piece, n)) {
            printf("turn %d: FAIL the streamed reply exceeds %u bytes\n", turn, REPLY_MAX);
            failures++;
            goto out;
        }
        pieces++;
    }
    fputc('\n', stderr);
    e = nn_fini_single(ctx);
    if (e) { fail(turn, "fini_single", e); goto out; }

    /* computed in one go */
    e = nn_set_input(ctx, 0, &input);
    if (e) { fail(turn, "set_input 0 (compute)", e); goto out; }
    e = nn_compute(ctx);
    if (e) { fail(turn, "compute", e); goto out; }
    uint32_t reply_len = 0, meta_len = 0;
    e = get_into(turn, "get_output 0", nn_get_output, ctx, 0, reply, REPLY_MAX, out_max, &reply_len);
    if (e) { fail(turn, "get_output 0", e); goto out; }
    e = get_into(turn, "get_output 1", nn_get_output, ctx, 1, (uint8_t *)meta, META_MAX, out_max,
                 &meta_len);
    if (e) { fail(turn, "get_output 1", e); goto out; }
    meta[meta_len] = '\0';
    long in_tok = json_uint(meta, "input_tokens"), out_tok = json_uint(meta, "output_tokens");
    if (in_tok < 0 || out_tok < 0) {
        printf("turn %d: FAIL the metadata has no input_tokens/output_tokens: %s\n", turn, meta);
        failures++;
        goto out;
    }
    int same = streamed_len == reply_len && memcmp(streamed, reply, reply_len) == 0;
    printf("turn %d: reply=", turn);
    print_hex(reply, reply_len);
    printf(" input_tokens=%ld output_tokens=%ld streamed_tokens=%u streamed==computed=%s\n", in_tok,
           out_tok, pieces, same ? "yes" : "no");
    if (!same) failures++;
    result = (long)reply_len;
out:
    e = nn_finalize_execution_context(ctx);
    if (e) fail(turn, "finalize_execution_context", e);
    e = nn_unload(graph);
    if (e) fail(turn, "unload", e);
    return result;
}

static long parse_num(const char *opt, const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > max) {
        fprintf(stderr, "llama_chat: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *name = "default";
    long n_predict = 16, seed = 42, ctx_size = 512, threads = 1;
    uint32_t out_max = UINT32_MAX;
    const char *turns[MAX_TURNS];
    int n_turns = 0;
    uint8_t *file = NULL;

    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strncmp(a, "--", 2) != 0) break;
        if (i + 1 >= argc) { fprintf(stderr, "llama_chat: %s needs a value\n", a); return 2; }
        const char *v = argv[++i];
        if (strcmp(a, "--name") == 0) name = v;
        else if (strcmp(a, "--n-predict") == 0) n_predict = parse_num(a, v, 1000000);
        else if (strcmp(a, "--seed") == 0) seed = parse_num(a, v, 2147483647L);
        else if (strcmp(a, "--ctx-size") == 0) ctx_size = parse_num(a, v, 1000000);
        else if (strcmp(a, "--threads") == 0) threads = parse_num(a, v, 1024);
        else if (strcmp(a, "--out-max") == 0) out_max = (uint32_t)parse_num(a, v, 1000000);
        else if (strcmp(a, "--turns") == 0) {
            size_t len;
            file = guest_read_file(v, &len);
            if (!file) return 1;
        } else {
            fprintf(stderr, "llama_chat: unknown option %s\n", a);
            return 2;
        }
    }
    for (; i < argc; i++) {
        if (n_turns == MAX_TURNS) { fprintf(stderr, "llama_chat: more than %d turns\n", MAX_TURNS); return 2; }
        turns[n_turns++] = argv[i];
    }
    if (file) {
        char *line = (char *)file;
        while (*line) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            size_t l = strlen(line);
            if (l && line[l - 1] == '\r') line[l - 1] = '\0'; /* CRLF files */
            if (*line) {
                if (n_turns == MAX_TURNS) { fprintf(stderr, "llama_chat: more than %d turns\n", MAX_TURNS); return 2; }
                turns[n_turns++] = line;
            }
            if (!nl) break;
            line = nl + 1;
        }
    }
    if (n_turns == 0) {
        fprintf(stderr, "usage: llama_chat.wasm [--name NAME] [--n-predict N] [--seed S] [--ctx-size N]"
                        " [--threads T] [--out-max BYTES] [--turns FILE] [TURN...]\n");
        return 2;
    }

    char config[256];
    snprintf(config, sizeof config, "{\"temp\":0.0,\"repeat-penalty\":1.0,\"seed\":%ld,\"n-predict\":%ld,\"ctx-size\":%ld,"
             "\"threads\":%ld}", seed, n_predict, ctx_size, threads);
    printf("config: %s\n", config);

    static uint8_t history[PROMPT_MAX];
    size_t history_len = 0;
    for (int t = 0; t < n_turns; t++) {
        int turn = t + 1;
        size_t len = 0;
        if (append(prompt, &len, PROMPT_MAX, history, history_len) ||
            append(prompt, &len, PROMPT_MAX, "User: ", 6) ||
            append(prompt, &len, PROMPT_MAX, turns[t], strlen(turns[t])) ||
            append(prompt, &len, PROMPT_MAX, "\nAssistant:", 11)) {
            printf("turn %d: FAIL the transcript exceeds %u bytes\n", turn, PROMPT_MAX);
            failures++;
            break;
        }
        printf("turn %d prompt=", turn);
        print_hex(prompt, len);
        putchar('\n');
        fprintf(stderr, "[turn %d] User: %s\n[turn %d] Assistant:", turn, turns[t], turn);
        long r = run_turn(turn, name, config, len, out_max);
        if (r < 0) break;
        /* the next turn's history: this prompt, the reply as text (ill-formed UTF-8 replaced by
         * U+FFFD, as a chat app holding strings does: the prompt must be UTF-8) and a newline */
        static uint8_t reply_text[3 * REPLY_MAX];
        size_t text_len = guest_utf8_lossy(reply_text, sizeof reply_text, reply, (size_t)r);
        history_len = 0;
        if (append(history, &history_len, PROMPT_MAX, prompt, len) ||
            append(history, &history_len, PROMPT_MAX, reply_text, text_len) ||
            append(history, &history_len, PROMPT_MAX, "\n", 1)) {
            if (t + 1 < n_turns) {
                printf("turn %d: FAIL the transcript exceeds %u bytes\n", turn + 1, PROMPT_MAX);
                failures++;
            }
            break;
        }
    }
    free(file);
    printf("done: %u failures\n", failures);
    return failures ? 1 : 0;
}
