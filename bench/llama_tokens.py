"""Tokens per second: the llamacpp plugin vs llama.cpp called directly, same library, same model,
same thread count, greedy, the same number of generated tokens, in interleaved rounds.

Four ways, each timing prompt evaluation + N generated tokens on a cleared cache:
  llama.cpp (direct)      llama_decode + llama_sampler_sample per token through llama-cpp-python's
                          ctypes bindings of libllama (a thin loop: the closest to "llama.cpp
                          called directly" from Python);
  llama-cpp-python        its high-level Llama.generate (what Python users run);
  plugin compute          the plugin's ctx_compute (one call generates all N tokens);
  plugin compute_single   ctx_compute_single + ctx_get_output_single per token (streaming).
The plugin is called through its own table (plugin ABI 3) with ctypes, not through libwasinn:
libwasinn's host side of the streaming entries is not on this branch yet; its fixed per-call
cost is in BENCHMARKS.md (< 0.5 us). Every way pays one Python->C call per token except
"plugin compute". every way stops at an end-of-generation token or after N tokens (n-predict for the plugin), so
all generate the same greedy tokens; the count is printed.

Usage: bench/llama_tokens.py --plugin target/release/libwasinn_backend_llamacpp.so
         --lib build/llamacpp/lib --model build/llamacpp/models/bench.gguf [--threads 2]
         [--tokens 128] [--rounds 5]
(the model: tests/llamacpp/make_model.py OUT --preset bench)
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--lib", required=True, help="directory of libllama.so")
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--prompt", default="the people of the word said that")
    args = ap.parse_args()
    os.environ["LLAMA_CPP_LIB_PATH"] = args.lib
    os.environ["WASINN_LLAMACPP_LIB"] = os.path.join(args.lib, "libllama.so")

    import llama_cpp
    from llama_cpp import Llama

    n_ctx = 1024
    llm = Llama(model_path=args.model, n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_threads=args.threads,
                n_threads_batch=args.threads, flash_attn=False, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    prompt_toks = llm.tokenize(args.prompt.encode(), add_bos=True, special=True)

    def direct():
        ctx = llm.ctx
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        arr = (llama_cpp.llama_token * len(prompt_toks))(*prompt_toks)
        t0 = time.perf_counter()
        assert llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(arr, len(prompt_toks))) == 0
        one = (llama_cpp.llama_token * 1)()
        n = 0
        while n < args.tokens:
            tok = llama_cpp.llama_sampler_sample(chain, ctx, -1)
            if llama_cpp.llama_vocab_is_eog(vocab, tok):
                break
            n += 1
            if n == args.tokens:
                break
            one[0] = tok
            assert llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)) == 0
        dt = time.perf_counter() - t0
        llama_cpp.llama_sampler_free(chain)
        llm.reset()  # the cache was cleared behind Llama's back: it must not reuse a "cached" prompt
        return n, dt

    def high_level():
        t0 = time.perf_counter()
        n = 0
        for tok in llm.generate(list(prompt_toks), temp=0.0, repeat_penalty=1.0, top_k=0, top_p=1.0, min_p=0.0, reset=True):
            if llama_cpp.llama_vocab_is_eog(vocab, tok):
                break
            n += 1
            if n == args.tokens:
                break
        return n, time.perf_counter() - t0

    plugin = Plugin(args.plugin)
    graph = plugin.load(args.model)
    ctx = plugin.ctx(graph)
    cfg = json.dumps({"temp": 0, "n-predict": args.tokens, "ctx-size": n_ctx, "batch-size": 512,
                      "threads": args.threads, "repeat-penalty": 1.0}).encode()
    plugin.set(ctx, 1, cfg)
    plugin.set(ctx, 0, args.prompt.encode())

    def p_compute():
        t0 = time.perf_counter()
        plugin.compute(ctx)
        dt = time.perf_counter() - t0
        return json.loads(plugin.output(ctx, 1))["output_tokens"], dt

    def p_single():
        t0 = time.perf_counter()
        n = 0
        while plugin.step(ctx):
            plugin.output_single(ctx, 0)
            n += 1
        dt = time.perf_counter() - t0
        plugin.fini(ctx)
        return n, dt

    ways = [("llama.cpp (direct)", direct), ("llama-cpp-python generate", high_level),
            ("plugin compute", p_compute), ("plugin compute_single", p_single)]
    for _, f in ways:  # warm-up
        f()
    rates = {name: [] for name, _ in ways}
    counts = set()
    for k in range(args.rounds):
        for name, f in ways:
            n, dt = f()
            counts.add(n)
            rates[name].append(n / dt)
        print(f"round {k + 1}: " + ", ".join(f"{r[-1]:.0f}" for r in rates.values()), file=sys.stderr, flush=True)
    if len(counts) != 1:
        sys.exit(f"the ways generated different token counts: {sorted(counts)}")
    generated = counts.pop()
    base = statistics.median(rates["llama.cpp (direct)"])
    print(f"model {os.path.basename(args.model)}, {len(prompt_toks)} prompt tokens + {generated} generated (at most {args.tokens}), "
          f"{args.threads} threads, {args.rounds} interleaved rounds (median tokens/s, prompt included)")
    for name, _ in ways:
        m = statistics.median(rates[name])
        print(f"{name:28s} {m:9.1f} tok/s  ratio {m / base:5.3f}  (min {min(rates[name]):.1f}, max {max(rates[name]):.1f})")
    per_tok = (1 / statistics.median(rates["plugin compute_single"]) - 1 / statistics.median(rates["plugin compute"])) * 1e6
    print(f"compute_single + get_output_single cost over compute: {per_tok:+.1f} us per token (ctypes call included)")


class Tensor(ctypes.Structure):
    _fields_ = [("dims", ctypes.POINTER(ctypes.c_size_t)), ("rank", ctypes.c_size_t), ("data", ctypes.c_void_p),
                ("len", ctypes.c_size_t), ("ty", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


class Bytes(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Error(ctypes.Structure):
    _fields_ = [("message", ctypes.c_void_p), ("capacity", ctypes.c_size_t), ("len", ctypes.c_size_t)]


F = ctypes.c_void_p
TABLE = ["load", "graph_free", "graph_io_count", "graph_io_info", "ctx_new", "ctx_free", "ctx_set_input",
         "ctx_compute", "ctx_get_output", "graph_io_quantization", "graph_derive", "ctx_compute_single",
         "ctx_get_output_single", "ctx_fini_single"]


class Table(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("struct_size", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("version", ctypes.c_char_p), ("encodings", ctypes.c_void_p), ("encodings_len", ctypes.c_size_t),
                ("targets", ctypes.c_void_p), ("targets_len", ctypes.c_size_t)] + [(n, F) for n in TABLE]


class Plugin:
    """The plugin's ABI-3 table through ctypes (statuses checked; 100 = end of sequence)."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.t = Table()
        self.buf = ctypes.create_string_buffer(1024)
        self.err = Error(ctypes.cast(self.buf, ctypes.c_void_p), 1024, 0)
        entry = self.lib.wasinn_backend_plugin_entry
        entry.argtypes = [ctypes.c_uint32, ctypes.POINTER(Table), ctypes.c_size_t, ctypes.POINTER(Error)]
        self.check(entry(3, ctypes.byref(self.t), ctypes.sizeof(Table), ctypes.byref(self.err)))
        P, S, U32, E = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32, ctypes.POINTER(Error)
        proto = ctypes.CFUNCTYPE
        self.f_load = proto(U32, ctypes.POINTER(Bytes), S, U32, U32, ctypes.c_char_p, ctypes.POINTER(P), E)(self.t.load)
        self.f_ctx_new = proto(U32, P, ctypes.POINTER(P), E)(self.t.ctx_new)
        self.f_set = proto(U32, P, S, ctypes.POINTER(Tensor), E)(self.t.ctx_set_input)
        self.f_compute = proto(U32, P, E)(self.t.ctx_compute)
        self.f_get = proto(U32, P, S, ctypes.POINTER(Tensor), E)(self.t.ctx_get_output)
        self.f_single = proto(U32, P, E)(self.t.ctx_compute_single)
        self.f_get_single = proto(U32, P, S, ctypes.POINTER(Tensor), E)(self.t.ctx_get_output_single)
        self.f_fini = proto(U32, P, E)(self.t.ctx_fini_single)
        self.out = Tensor()

    def check(self, status):
        if status != 0:
            raise RuntimeError(f"plugin status {status}: {self.buf.raw[:self.err.len].decode(errors='replace')}")

    def load(self, path):
        p = path.encode()
        b = Bytes(ctypes.cast(ctypes.c_char_p(p), ctypes.c_void_p), len(p))
        g = ctypes.c_void_p()
        self.check(self.f_load(ctypes.byref(b), 1, 5, 0, os.path.dirname(os.path.abspath(path)).encode(), ctypes.byref(g), ctypes.byref(self.err)))
        return g

    def ctx(self, g):
        c = ctypes.c_void_p()
        self.check(self.f_ctx_new(g, ctypes.byref(c), ctypes.byref(self.err)))
        return c

    def set(self, c, i, data):
        self._keep = ctypes.create_string_buffer(data, len(data))
        dims = (ctypes.c_size_t * 1)(len(data))
        t = Tensor(dims, 1, ctypes.cast(self._keep, ctypes.c_void_p), len(data), 4, 0)
        self.check(self.f_set(c, i, ctypes.byref(t), ctypes.byref(self.err)))

    def compute(self, c):
        self.check(self.f_compute(c, ctypes.byref(self.err)))

    def output(self, c, i):
        self.check(self.f_get(c, i, ctypes.byref(self.out), ctypes.byref(self.err)))
        return ctypes.string_at(self.out.data, self.out.len)

    def step(self, c):
        s = self.f_single(c, ctypes.byref(self.err))
        if s == 100:
            return False
        self.check(s)
        return True

    def output_single(self, c, i):
        self.check(self.f_get_single(c, i, ctypes.byref(self.out), ctypes.byref(self.err)))
        return ctypes.string_at(self.out.data, self.out.len)

    def fini(self, c):
        self.check(self.f_fini(c, ctypes.byref(self.err)))


if __name__ == "__main__":
    main()
