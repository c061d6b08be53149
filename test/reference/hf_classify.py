#!/usr/bin/env python3
"""An independent reader of an exported Hugging Face BertForSequenceClassification folder:
config.json (sizes, id2label), tokenizer_config.json + vocab.txt (tokenised by
bert_tokenize.py, written from BERT's own tokenization.py) and model.safetensors (parsed
here with struct + numpy, no safetensors package), then the classifier's logits
(pooler -> classifier) in float64.

  --engine numpy   a BERT forward pass written out below in numpy (erf via math.erf)
  --engine torch   bert_reference.py's hand-written PyTorch forward (needs python3-torch)

Reads JSON on stdin: {"folder": DIR, "max_length": N, "rows": [{"text", "pair"?}, ...]};
writes {"labels": [...], "ids": [[...]], "logits": [[...]]} on stdout.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_tokenize  # noqa: E402
from safetensors_file import safetensors_entries  # noqa: E402


def read_safetensors(path):
    out = {}
    for name, dtype, shape, raw in safetensors_entries(path):
        assert dtype == "F32", f"{name}: {dtype}"
        out[name] = np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float64)
    return out


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def dense(x, W, prefix):
    # HF layout: weight is [out, in].
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


erf = np.vectorize(math.erf)


def pooled_numpy(W, cfg, ids, type_ids, mask):
    eps, heads, hdim = cfg["layer_norm_eps"], cfg["num_attention_heads"], cfg["hidden_size"]
    batch, seq = ids.shape
    dh = hdim // heads
    x = W["bert.embeddings.word_embeddings.weight"][ids] + W["bert.embeddings.position_embeddings.weight"][:seq][None] \
        + W["bert.embeddings.token_type_embeddings.weight"][type_ids]
    x = layer_norm(x, W["bert.embeddings.LayerNorm.weight"], W["bert.embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask)[:, None, None, :] * -1e9
    for l in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{l}"

        def split(t):
            return t.reshape(batch, seq, heads, dh).transpose(0, 2, 1, 3)

        q, k, v = (split(dense(x, W, f"{p}.attention.self.{m}")) for m in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + bias
        probs = np.exp(s - s.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hdim)
        x = layer_norm(x + dense(ctx, W, p + ".attention.output.dense"),
                       W[p + ".attention.output.LayerNorm.weight"], W[p + ".attention.output.LayerNorm.bias"], eps)
        h = dense(x, W, p + ".intermediate.dense")
        x = layer_norm(x + dense(0.5 * h * (1.0 + erf(h / math.sqrt(2.0))), W, p + ".output.dense"),
                       W[p + ".output.LayerNorm.weight"], W[p + ".output.LayerNorm.bias"], eps)
    return np.tanh(dense(x[:, 0], W, "bert.pooler.dense"))


def pooled_torch(W, cfg, ids, type_ids, mask):
    import torch
    import bert_reference
    Wt = {k[len("bert."):]: torch.from_numpy(v) for k, v in W.items() if k.startswith("bert.")}
    with torch.no_grad():
        _, pooled, _ = bert_reference.forward(Wt, cfg, torch.from_numpy(ids), torch.from_numpy(type_ids), torch.from_numpy(mask))
    return pooled.numpy()


def main():
    engine = sys.argv[sys.argv.index("--engine") + 1] if "--engine" in sys.argv else "numpy"
    req = json.load(sys.stdin)
    folder = req["folder"]
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "tokenizer_config.json")) as f:
        lowercase = json.load(f).get("do_lower_case", True)
    vocab = bert_tokenize.load_vocab(os.path.join(folder, "vocab.txt"))
    enc = [bert_tokenize.encode(r, vocab, lowercase, req["max_length"]) for r in req["rows"]]
    seq = max(len(e["ids"]) for e in enc)
    pad = lambda xs, v: xs + [v] * (seq - len(xs))  # noqa: E731
    ids = np.array([pad(e["ids"], cfg.get("pad_token_id", 0)) for e in enc], dtype=np.int64)
    type_ids = np.array([pad(e["type_ids"], 0) for e in enc], dtype=np.int64)
    mask = np.array([pad([1] * len(e["ids"]), 0) for e in enc], dtype=np.float64)
    W = read_safetensors(os.path.join(folder, "model.safetensors"))
    pooled = (pooled_torch if engine == "torch" else pooled_numpy)(W, cfg, ids, type_ids, mask)
    logits = dense(pooled, W, "classifier")
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    json.dump({"engine": engine, "labels": labels, "ids": [e["ids"] for e in enc], "logits": logits.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
