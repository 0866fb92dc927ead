"""Writes a tiny llama-architecture GGUF with random weights (fixed seed) for the llamacpp tests.

No model is downloaded or committed: tests/llamacpp/setup.sh and the tests run this with the
`gguf` package (0.19.0) in the venv. The model: 2 layers, n_embd 64, 4 heads (2 KV heads: grouped
attention), n_ff 128, context 256, f32 weights drawn from a seeded normal distribution; a
SentencePiece ("llama") vocabulary of <unk>, <s>, </s>, the 256 byte tokens and ~100 word
pieces, so any UTF-8 text tokenizes (unknown characters fall back to bytes). BOS is added.

Usage: make_model.py OUT.gguf [--seed N] [--preset tiny|bench]
(bench: 4 layers, n_embd 256, n_ff 768, context 1024, for bench/llama_tokens.py)
"""
import argparse

import numpy as np
import gguf

WORDS = (
    "the of and to in is it you that he was for on are with as his they be at one have this from "
    "or had by hot word but what some we can out other were all there when up use your how said an "
    "each she which do their time if will way about many then them write would like so these her "
    "long make thing see him two has look more day could go come did number sound no most people"
).split()


def vocab():
    tokens, scores, types = [], [], []

    def add(text, score, ty):
        tokens.append(text)
        scores.append(score)
        types.append(ty)

    add("<unk>", 0.0, gguf.TokenType.UNKNOWN)
    add("<s>", 0.0, gguf.TokenType.CONTROL)
    add("</s>", 0.0, gguf.TokenType.CONTROL)
    for b in range(256):
        add(f"<0x{b:02X}>", 0.0, gguf.TokenType.BYTE)
    add("\u2581", -1.0, gguf.TokenType.NORMAL)
    for c in "abcdefghijklmnopqrstuvwxyz.,!?":
        add(c, -2.0, gguf.TokenType.NORMAL)
        add("\u2581" + c, -2.5, gguf.TokenType.NORMAL)
    for i, w in enumerate(WORDS):
        add("\u2581" + w, -3.0 - i * 0.01, gguf.TokenType.NORMAL)
    return tokens, scores, types


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--preset", choices=["tiny", "bench"], default="tiny")
    args = ap.parse_args()

    if args.preset == "tiny":
        n_embd, n_head, n_head_kv, n_ff, n_layer, n_ctx = 64, 4, 2, 128, 2, 256
    else:
        n_embd, n_head, n_head_kv, n_ff, n_layer, n_ctx = 256, 8, 4, 768, 4, 1024
    head_dim = n_embd // n_head
    tokens, scores, types = vocab()
    n_vocab = len(tokens)
    rng = np.random.default_rng(args.seed)

    def w(*shape, scale=0.2):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(args.out, "llama")
    writer.add_name("wasinn-tiny-llama")
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(
        "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )

    # numpy shapes are ggml's ne reversed: token_embd ne = [n_embd, n_vocab].
    writer.add_tensor("token_embd.weight", w(n_vocab, n_embd, scale=1.0))
    for i in range(n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", (1.0 + w(n_embd, scale=0.05)).astype(np.float32))
        writer.add_tensor(f"blk.{i}.attn_q.weight", w(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.attn_k.weight", w(n_head_kv * head_dim, n_embd))
        writer.add_tensor(f"blk.{i}.attn_v.weight", w(n_head_kv * head_dim, n_embd))
        writer.add_tensor(f"blk.{i}.attn_output.weight", w(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", (1.0 + w(n_embd, scale=0.05)).astype(np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", w(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", w(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", w(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", w(n_vocab, n_embd, scale=0.5))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
