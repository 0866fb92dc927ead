"""The reference for the llama chat guests (bindings/wasm3/guest/llama_chat.c and
rust-wasmedge-llama), and the checker of their output; used by tests/llamacpp/run-guests.sh.

  guests_reference.py expect MODEL.gguf OUT.json [--n-predict N] [--ctx-size N] [--seed S] TURN...
      Replays the guests' chat on llama.cpp called directly through llama-cpp-python (the library
      LLAMA_CPP_LIB_PATH names, i.e. the very libllama the plugin runs): each turn's prompt is the
      transcript so far + "User: <turn>\\nAssistant:", tokenized as WasmEdge's GGML backend does
      (the vocabulary's BOS rule, special tokens parsed), then greedy decoding (the argmax of the
      last logits, ties to the lowest id, as llama.cpp's greedy sampler) until an end-of-generation
      token or N tokens; the reply is the concatenation of the pieces (special tokens rendered) and
      joins the transcript as text (ill-formed UTF-8 replaced by U+FFFD) with a newline. Writes the prompts, replies and token counts to OUT.json.

  guests_reference.py check OUT.json GUEST.stdout LABEL
      Checks a guest's stdout against OUT.json: per turn the prompt, the reply (computed),
      input_tokens / output_tokens, streamed_tokens == output_tokens, streamed==computed=yes, the
      printed pieces concatenated == the reply and one piece per streamed token; then
      "done: 0 failures". Prints one "ok: LABEL ..." or "FAIL: LABEL ..." line per check and
      exits 1 on any failure.
"""

import argparse
import ctypes
import json
import re
import sys


def expect(args):
    import numpy as np
    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(model_path=args.model, n_ctx=args.ctx_size, seed=args.seed, n_threads=1,
                n_threads_batch=1, verbose=False)
    vocab = llm._model.vocab
    n_vocab = llm.n_vocab()
    buf = ctypes.create_string_buffer(256)

    def piece(tok):
        n = llama_cpp.llama_token_to_piece(vocab, tok, buf, len(buf), 0, True)
        if n < 0:
            raise RuntimeError(f"token {tok}: a piece of {-n} bytes")
        return buf.raw[:n]

    turns, replies, history = [], [], b""
    for i, user in enumerate(args.turns):
        prompt = history + b"User: " + user.encode() + b"\nAssistant:"
        tokens = llm.tokenize(prompt, add_bos=True, special=True)
        llm.reset()
        llm.eval(tokens)
        out = []
        while len(out) < args.n_predict:
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,))
            tok = int(np.argmax(logits))
            if llama_cpp.llama_vocab_is_eog(vocab, tok):
                break
            out.append(tok)
            llm.eval([tok])
        reply = b"".join(piece(t) for t in out)
        turns.append({
            "turn": i + 1,
            "prompt_hex": prompt.hex(),
            "reply_hex": reply.hex(),
            "input_tokens": len(tokens),
            "output_tokens": len(out),
            "prompt_token_ids": tokens,
            "reply_token_ids": out,
        })
        replies.append(reply)
        # the guests keep the reply as text: ill-formed UTF-8 -> U+FFFD (maximal subparts, as
        # Rust's from_utf8_lossy and the C guest's guest_utf8_lossy)
        history = prompt + reply.decode("utf-8", "replace").encode() + b"\n"
        print(f"reference turn {i + 1}: {len(tokens)} prompt tokens, {len(out)} generated: {reply!r}")
    with open(args.out, "w") as f:
        json.dump({"n_predict": args.n_predict, "ctx_size": args.ctx_size, "seed": args.seed,
                   "turns": turns}, f, indent=1)


LINE = re.compile(r"^turn (\d+): reply=([0-9a-f]*) input_tokens=(\d+) output_tokens=(\d+) "
                  r"streamed_tokens=(\d+) streamed==computed=(yes|no)$")


def check(args):
    with open(args.expected) as f:
        want = json.load(f)["turns"]
    with open(args.stdout, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    passed = failed = 0

    def verdict(ok, what):
        nonlocal passed, failed
        print(f"{'ok' if ok else 'FAIL'}: {args.label} {what}")
        if ok:
            passed += 1
        else:
            failed += 1

    for exp in want:
        t = exp["turn"]
        prompts = [l.split("=", 1)[1] for l in lines if l.startswith(f"turn {t} prompt=")]
        pieces = [l.split("=", 1)[1] for l in lines if re.match(rf"^turn {t} piece \d+=", l)]
        got = [LINE.match(l) for l in lines if l.startswith(f"turn {t}: ")]
        fails = [l for l in lines if l.startswith(f"turn {t}: FAIL")]
        verdict(prompts == [exp["prompt_hex"]], f"turn {t}: the prompt is the transcript's")
        if fails or len(got) != 1 or got[0] is None:
            verdict(False, f"turn {t}: one reply line ({fails or 'none'})")
            continue
        _, reply, n_in, n_out, n_stream, same = got[0].groups()
        verdict(reply == exp["reply_hex"],
                f"turn {t}: reply == llama.cpp's greedy reply ({len(exp['reply_hex']) // 2} bytes,"
                f" {exp['output_tokens']} tokens)"
                + ("" if reply == exp["reply_hex"] else f": got {reply}, want {exp['reply_hex']}"))
        verdict(int(n_in) == exp["input_tokens"] and int(n_out) == exp["output_tokens"],
                f"turn {t}: metadata input_tokens={n_in} output_tokens={n_out}"
                f" (llama.cpp: {exp['input_tokens']}, {exp['output_tokens']})")
        verdict(same == "yes" and int(n_stream) == exp["output_tokens"]
                and "".join(pieces) == reply and len(pieces) == int(n_stream),
                f"turn {t}: streamed == computed ({n_stream} pieces, concatenated == the reply)")
    done = [l for l in lines if l.startswith("done: ")]
    verdict(done == ["done: 0 failures"], f"guest's own verdict: {done[-1] if done else 'no done line'}")
    print(f"{args.label}: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("expect")
    e.add_argument("model")
    e.add_argument("out")
    e.add_argument("--n-predict", type=int, default=16)
    e.add_argument("--ctx-size", type=int, default=512)
    e.add_argument("--seed", type=int, default=42)
    e.add_argument("turns", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("expected")
    c.add_argument("stdout")
    c.add_argument("label")
    args = p.parse_args()
    if args.cmd == "expect":
        expect(args)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
