/*
 * llama_tokens.c - tokens per second: llama.cpp called directly vs the same model through
 * libwasinn's C API and the llama.cpp plugin, in one process, in interleaved rounds.
 *
 * Three ways, each timing one generation (prompt evaluation on a cleared KV cache + N greedy
 * tokens, each token's piece copied out):
 *   direct   libllama's C API: llama_memory_clear, llama_tokenize, llama_decode of the prompt,
 *            then per token llama_sampler_sample (greedy), llama_vocab_is_eog,
 *            llama_token_to_piece and llama_decode of that one token; the same library, context
 *            parameters and order of calls as the plugin;
 *   compute  wasinn_exec_ctx_set_input (the prompt) + wasinn_exec_ctx_compute (all N tokens in one
 *            call) + wasinn_exec_ctx_get_output (the text) into a caller buffer;
 *   stream   wasinn_exec_ctx_set_input + per token wasinn_exec_ctx_compute_single +
 *            wasinn_exec_ctx_get_output_single (the piece) until END_OF_SEQUENCE, then
 *            wasinn_exec_ctx_fini_single.
 * The generated text must be byte-identical in all three ways (checked every round: exit 1
 * otherwise). Per-token step times are kept too: the direct step (sample + piece + decode) and the
 * stream step (compute_single + get_output_single); the difference of their medians is the
 * per-token cost of libwasinn and the plugin.
 *
 * usage: llama_tokens MODEL.gguf TOKENS ROUNDS THREADS [PROMPT]
 * libwasinn finds the plugin as usual (WASINN_PLUGIN_PATH or beside libwasinn.so) and the plugin
 * finds libllama through WASINN_LLAMACPP_LIB; this program links the same libllama.so.
 * Prints one JSON object on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"
#include "wasinn.h"

#include "../bench_util.h"

#define MAX_TEXT (1 << 20)

static void die(const char *what)
{
    char msg[512];
    size_t n = wasinn_last_error_message(msg, sizeof msg);
    fprintf(stderr, "llama_tokens: %s failed: %.*s\n", what, (int)(n < sizeof msg ? n : sizeof msg - 1), msg);
    exit(1);
}

#define CHECK(call)                                                                               \
    do {                                                                                          \
        if ((call) != WASINN_STATUS_SUCCESS)                                                      \
            die(#call);                                                                           \
    } while (0)

struct direct {
    const struct llama_vocab *vocab;
    struct llama_context *lctx;
    llama_token *toks;
    int n_toks;
};

/* One generation with libllama directly; the text into out (returns its length). */
static size_t run_direct(struct direct *d, int n_predict, uint8_t *out, double *steps, long *n_steps)
{
    llama_memory_clear(llama_get_memory(d->lctx), true);
    struct llama_sampler *smpl = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(smpl, llama_sampler_init_greedy());
    if (llama_decode(d->lctx, llama_batch_get_one(d->toks, d->n_toks)) != 0) {
        fprintf(stderr, "llama_tokens: llama_decode of the prompt failed\n");
        exit(1);
    }
    size_t len = 0;
    for (int i = 0; i < n_predict; i++) {
        double t0 = now_us();
        llama_token tok = llama_sampler_sample(smpl, d->lctx, -1);
        if (llama_vocab_is_eog(d->vocab, tok))
            break;
        char piece[128];
        int n = llama_token_to_piece(d->vocab, tok, piece, sizeof piece, 0, true);
        if (n < 0 || len + (size_t)n > MAX_TEXT) {
            fprintf(stderr, "llama_tokens: llama_token_to_piece failed\n");
            exit(1);
        }
        memcpy(out + len, piece, (size_t)n);
        len += (size_t)n;
        /* As the plugin: the last sampled token is not decoded (nothing would read its logits). */
        if (i + 1 < n_predict && llama_decode(d->lctx, llama_batch_get_one(&tok, 1)) != 0) {
            fprintf(stderr, "llama_tokens: llama_decode failed\n");
            exit(1);
        }
        steps[(*n_steps)++] = now_us() - t0;
    }
    llama_sampler_free(smpl);
    return len;
}

static void set_prompt(wasinn_exec_ctx_t ctx, const char *prompt)
{
    uint32_t dims[1] = {(uint32_t)strlen(prompt)};
    wasinn_tensor_t t = {WASINN_TENSOR_TYPE_U8, dims, 1, (const uint8_t *)prompt, strlen(prompt)};
    CHECK(wasinn_exec_ctx_set_input(ctx, 0, &t));
}

static size_t run_compute(wasinn_exec_ctx_t ctx, const char *prompt, uint8_t *out)
{
    size_t len = 0;
    set_prompt(ctx, prompt);
    CHECK(wasinn_exec_ctx_compute(ctx));
    CHECK(wasinn_exec_ctx_get_output(ctx, 0, out, MAX_TEXT, &len));
    return len;
}

static size_t run_stream(wasinn_exec_ctx_t ctx, const char *prompt, uint8_t *out, double *steps, long *n_steps, int first)
{
    size_t len = 0;
    set_prompt(ctx, prompt);
    for (int i = 0;; i++) {
        double t0 = now_us();
        wasinn_status_t s = wasinn_exec_ctx_compute_single(ctx);
        if (s == WASINN_STATUS_END_OF_SEQUENCE)
            break;
        if (s != WASINN_STATUS_SUCCESS)
            die("wasinn_exec_ctx_compute_single");
        size_t n = 0;
        CHECK(wasinn_exec_ctx_get_output_single(ctx, 0, out + len, MAX_TEXT - len, &n));
        len += n;
        /* The first step evaluates the prompt: not a per-token step. */
        if (i > 0 || !first)
            steps[(*n_steps)++] = now_us() - t0;
    }
    CHECK(wasinn_exec_ctx_fini_single(ctx));
    return len;
}

static void print_quantiles(const char *name, double *v, long n, int last)
{
    printf("  \"%s\": {\"n\": %ld, \"median_us\": %.3f, \"p10_us\": %.3f, \"p90_us\": %.3f}%s\n", name, n,
           quantile(v, n, 0.5), quantile(v, n, 0.1), quantile(v, n, 0.9), last ? "" : ",");
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: llama_tokens MODEL.gguf TOKENS ROUNDS THREADS [PROMPT]\n");
        return 2;
    }
    const char *model_path = argv[1];
    int n_predict = atoi(argv[2]), rounds = atoi(argv[3]), threads = atoi(argv[4]);
    const char *prompt = argc > 5 ? argv[5] : "the people of the word said that";
    if (n_predict < 2 || n_predict > 4096 || rounds < 1 || rounds > 1000 || threads < 1 || threads > 64) {
        fprintf(stderr, "llama_tokens: TOKENS 2..4096, ROUNDS 1..1000, THREADS 1..64\n");
        return 2;
    }
    const int n_ctx = 1024, n_batch = 512;

    /* Direct: the plugin's context parameters (see plugins/llamacpp ensure_lctx). */
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(model_path, mp);
    if (!model) {
        fprintf(stderr, "llama_tokens: llama_model_load_from_file(%s) failed\n", model_path);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_ubatch = n_batch;
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    struct direct d = {llama_model_get_vocab(model), llama_init_from_model(model, cp), NULL, 0};
    if (!d.lctx) {
        fprintf(stderr, "llama_tokens: llama_init_from_model failed\n");
        return 1;
    }
    int plen = (int)strlen(prompt);
    d.toks = malloc(sizeof(llama_token) * (size_t)(plen + 8));
    d.n_toks = llama_tokenize(d.vocab, prompt, plen, d.toks, plen + 8, true, true);
    if (d.n_toks <= 0) {
        fprintf(stderr, "llama_tokens: llama_tokenize failed\n");
        return 1;
    }

    /* libwasinn: the registry's GGML entry (the path), a derived graph with the same settings. */
    const char *paths[1] = {model_path};
    CHECK(wasinn_registry_add_files("bench", WASINN_ENCODING_GGML, WASINN_TARGET_CPU, paths, 1));
    wasinn_graph_t base, graph;
    CHECK(wasinn_graph_load_by_name("bench", 5, &base));
    char config[256];
    int clen = snprintf(config, sizeof config,
                        "{\"temp\": 0, \"repeat-penalty\": 1.0, \"n-predict\": %d, \"ctx-size\": %d, "
                        "\"batch-size\": %d, \"threads\": %d}",
                        n_predict, n_ctx, n_batch, threads);
    CHECK(wasinn_graph_derive(base, (const uint8_t *)config, (size_t)clen, &graph));
    wasinn_exec_ctx_t ctx;
    CHECK(wasinn_exec_ctx_new(graph, &ctx));

    uint8_t *ref = malloc(MAX_TEXT), *out = malloc(MAX_TEXT);
    double *tot[3], *step_d = malloc(sizeof(double) * (size_t)rounds * (size_t)n_predict),
                    *step_s = malloc(sizeof(double) * (size_t)rounds * (size_t)n_predict);
    long n_step_d = 0, n_step_s = 0;
    for (int w = 0; w < 3; w++)
        tot[w] = malloc(sizeof(double) * (size_t)rounds);
    size_t ref_len = 0;
    /* Round 0 warms up every way (not recorded); the order of the ways rotates each round. */
    for (int r = -1; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            int w = (k + (r < 0 ? 0 : r)) % 3;
            long before_d = n_step_d, before_s = n_step_s;
            double t0 = now_us();
            size_t len = w == 0   ? run_direct(&d, n_predict, out, step_d, &n_step_d)
                         : w == 1 ? run_compute(ctx, prompt, out)
                                  : run_stream(ctx, prompt, out, step_s, &n_step_s, 1);
            double dt = now_us() - t0;
            if (r < 0) {
                n_step_d = before_d;
                n_step_s = before_s;
            } else {
                tot[w][r] = dt;
            }
            if (r < 0 && k == 0) {
                memcpy(ref, out, len);
                ref_len = len;
            } else if (len != ref_len || memcmp(ref, out, len) != 0) {
                fprintf(stderr, "llama_tokens: way %d produced different text (%zu bytes vs %zu)\n", w, len, ref_len);
                return 1;
            }
        }
    }
    /* Tokens generated: the metadata's count (output 1 of the last compute_single). */
    char meta[512];
    size_t mlen = 0;
    set_prompt(ctx, prompt);
    CHECK(wasinn_exec_ctx_compute(ctx));
    CHECK(wasinn_exec_ctx_get_output(ctx, 1, meta, sizeof meta - 1, &mlen));
    meta[mlen] = 0;
    const char *ot = strstr(meta, "\"output_tokens\":");
    long out_tokens = ot ? atol(ot + strlen("\"output_tokens\":")) : -1;

    printf("{\n  \"tokens\": %ld, \"prompt_tokens\": %d, \"rounds\": %d, \"threads\": %d, \"text_bytes\": %zu,\n",
           out_tokens, d.n_toks, rounds, threads, ref_len);
    print_quantiles("direct", tot[0], rounds, 0);
    print_quantiles("compute", tot[1], rounds, 0);
    print_quantiles("stream", tot[2], rounds, 0);
    print_quantiles("direct_step", step_d, n_step_d, 0);
    print_quantiles("stream_step", step_s, n_step_s, 1);
    printf("}\n");

    CHECK(wasinn_exec_ctx_free(ctx));
    CHECK(wasinn_graph_free(graph));
    CHECK(wasinn_graph_free(base));
    llama_free(d.lctx);
    llama_model_free(model);
    return 0;
}
