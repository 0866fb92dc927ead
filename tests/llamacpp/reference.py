"""The reference for tests/llamacpp_plugin.rs: llama.cpp called directly through llama-cpp-python
(0.3.36, on the same libllama.so as the plugin: LLAMA_CPP_LIB_PATH), on the same model.

Reads a JSON request on stdin and prints a JSON answer:
  {"model": PATH, "threads": N, "ctx": N, "batch": N, "seed": N, "n_predict": N,
   "prompts": [str...], "embed": [str...]}
  -> {"generate": [{"tokens": [int], "input_tokens": int, "pieces": [hex], "text": hex}],
      "embed": [[float...]], "layout": {"llama_model_params": int, ...}}
Greedy decoding (temp 0, repeat penalty 1: llama-cpp-python's greedy sampler chain), stopping at
an end-of-generation token or after n_predict tokens. Pieces are llama_token_to_piece with special
tokens rendered, as the plugin (and WasmEdge) renders them.
"""
import ctypes
import json
import sys

import llama_cpp
from llama_cpp import Llama


def piece(vocab, tok):
    buf = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, tok, buf, len(buf), 0, True)
    assert n >= 0, n
    return buf.raw[:n]


def main():
    req = json.load(sys.stdin)
    out = {"generate": [], "embed": []}
    if req.get("prompts"):
        llm = Llama(
            model_path=req["model"], n_ctx=req["ctx"], n_batch=req["batch"], n_ubatch=req["batch"],
            n_threads=req["threads"], n_threads_batch=req["threads"], seed=req["seed"],
            flash_attn=False, verbose=False,
        )
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        for prompt in req["prompts"]:
            toks = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            gen = []
            for t in llm.generate(toks, temp=0.0, repeat_penalty=1.0, top_k=0, top_p=1.0, min_p=0.0, reset=True):
                if llama_cpp.llama_vocab_is_eog(vocab, t) or len(gen) >= req["n_predict"]:
                    break
                gen.append(t)
            pieces = [piece(vocab, t) for t in gen]
            out["generate"].append({
                "tokens": gen, "input_tokens": len(toks),
                "pieces": [p.hex() for p in pieces], "text": b"".join(pieces).hex(),
            })
        llm.close()
    if req.get("embed"):
        emb = Llama(
            model_path=req["model"], n_ctx=req["ctx"], n_batch=req["ctx"], n_ubatch=req["ctx"],
            n_threads=req["threads"], n_threads_batch=req["threads"], embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN, flash_attn=False, verbose=False,
        )
        for text in req["embed"]:
            out["embed"].append(emb.embed(text, normalize=True))
        emb.close()
    out["layout"] = {
        "llama_model_params": ctypes.sizeof(llama_cpp.llama_model_params),
        "llama_context_params": ctypes.sizeof(llama_cpp.llama_context_params),
        "llama_batch": ctypes.sizeof(llama_cpp.llama_batch),
        "context_params.embeddings": llama_cpp.llama_context_params.embeddings.offset,
        "context_params.samplers": llama_cpp.llama_context_params.samplers.offset,
        "model_params.vocab_only": llama_cpp.llama_model_params.vocab_only.offset,
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
