#!/usr/bin/env python3
"""An independent, hand-written BERT forward pass in PyTorch (float64), used ONCE to
produce the golden outputs the TypeScript BERT is checked against. Not transformers:
the math is written out here from the BERT paper / HF BertModel semantics (post-norm
layers, exact erf GELU, [CLS] pooler with tanh).

  golden --folder DIR --rows ROWS.json --out GOLDEN.json
      tokenise ROWS with bert_tokenize.py (the folder's vocab.txt or tokenizer.json vocab),
      run the model, write ids, masks, last hidden states, pooled and mean-pooled outputs.
  to-bin --src model.safetensors --out pytorch_model.bin
      re-save a safetensors file with torch.save (a real PyTorch zip checkpoint).

Needs Debian's python3-torch (apt-get install -y python3-torch).
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_tokenize  # noqa: E402
from safetensors_file import safetensors_entries  # noqa: E402

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}


def read_safetensors(path):
    return {name: torch.frombuffer(bytearray(raw), dtype=DTYPES[dtype]).reshape(shape).clone()
            for name, dtype, shape, raw in safetensors_entries(path)}


def load_weights(folder):
    st = os.path.join(folder, "model.safetensors")
    if os.path.exists(st):
        sd = read_safetensors(st)
    else:
        sd = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in sd else ""
    return {k[len(prefix):]: v.to(torch.float64) for k, v in sd.items() if k.startswith(prefix) and v.is_floating_point()}


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def dense(x, W, prefix):
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def forward(W, cfg, ids, type_ids, mask):
    eps = cfg.get("layer_norm_eps", 1e-12)
    heads = cfg["num_attention_heads"]
    batch, seq = ids.shape
    hdim = cfg["hidden_size"]
    dh = hdim // heads
    pos = torch.arange(seq)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][pos][None] \
        + W["embeddings.token_type_embeddings.weight"][type_ids]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask.to(torch.float64))[:, None, None, :] * -1e9
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}"

        def split(t):
            return t.reshape(batch, seq, heads, dh).permute(0, 2, 1, 3)

        q = split(dense(x, W, p + ".attention.self.query"))
        k = split(dense(x, W, p + ".attention.self.key"))
        v = split(dense(x, W, p + ".attention.self.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(batch, seq, hdim)
        x = layer_norm(x + dense(ctx, W, p + ".attention.output.dense"),
                       W[p + ".attention.output.LayerNorm.weight"], W[p + ".attention.output.LayerNorm.bias"], eps)
        ffn = dense(gelu(dense(x, W, p + ".intermediate.dense")), W, p + ".output.dense")
        x = layer_norm(x + ffn, W[p + ".output.LayerNorm.weight"], W[p + ".output.LayerNorm.bias"], eps)
    pooled = torch.tanh(dense(x[:, 0], W, "pooler.dense"))
    m = mask.to(torch.float64)[:, :, None]
    mean = (x * m).sum(1) / m.sum(1)
    return x, pooled, mean


def vocab_path(folder):
    vt = os.path.join(folder, "vocab.txt")
    if os.path.exists(vt):
        return vt
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    tmp = os.path.join(folder, ".vocab-from-tokenizer-json.txt")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")
    return tmp


def rounded(x):
    """9 significant digits: far below the 1e-4 tolerance, half the file size."""
    if isinstance(x, float):
        return float(f"{x:.9g}")
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x


def golden(args):
    with open(os.path.join(args.folder, "config.json")) as f:
        cfg = json.load(f)
    with open(args.rows, encoding="utf-8") as f:
        spec = json.load(f)
    path = vocab_path(args.folder)
    vocab = bert_tokenize.load_vocab(path)
    if path.endswith(".vocab-from-tokenizer-json.txt"):
        os.remove(path)
    W = load_weights(args.folder)
    out = {"cases": []}
    for case in spec["cases"]:
        enc = [bert_tokenize.encode(r, vocab, True, case["max_length"]) for r in case["rows"]]
        seq = max(len(e["ids"]) for e in enc)
        ids = torch.tensor([e["ids"] + [vocab["[PAD]"]] * (seq - len(e["ids"])) for e in enc])
        tt = torch.tensor([e["type_ids"] + [0] * (seq - len(e["ids"])) for e in enc])
        mask = torch.tensor([[1] * len(e["ids"]) + [0] * (seq - len(e["ids"])) for e in enc])
        with torch.no_grad():
            hidden, pooled, mean = forward(W, cfg, ids, tt, mask)
        out["cases"].append({
            "name": case["name"], "pair": case["pair"], "max_length": case["max_length"], "rows": case["rows"],
            "ids": ids.tolist(), "type_ids": tt.tolist(), "mask": mask.tolist(),
            "lengths": [len(e["ids"]) for e in enc],
            # only real tokens: padded positions are not defined by the model
            "hidden": [hidden[b, : len(e["ids"])].tolist() for b, e in enumerate(enc)],
            "pooled": pooled.tolist(), "mean": mean.tolist(),
        })
    with open(args.out, "w") as f:
        json.dump(rounded(out), f)


def to_bin(args):
    """Save as a BertForPreTraining-style state_dict: 'bert.' prefix, the int64 position_ids
    buffer, a decoder weight tied to (sharing the storage of) the word embeddings, and one
    weight stored as a transposed (non-contiguous) view, as real checkpoints can have."""
    from collections import OrderedDict
    sd = OrderedDict(("bert." + k, v) for k, v in read_safetensors(args.src).items())
    w = sd["bert.pooler.dense.weight"]
    sd["bert.pooler.dense.weight"] = w.t().contiguous().t()
    assert not sd["bert.pooler.dense.weight"].is_contiguous()
    max_pos = sd["bert.embeddings.position_embeddings.weight"].shape[0]
    sd["bert.embeddings.position_ids"] = torch.arange(max_pos).expand((1, -1))
    sd["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"]
    sd["cls.predictions.bias"] = torch.zeros(sd["bert.embeddings.word_embeddings.weight"].shape[0])
    torch.save(sd, args.out)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("golden")
    g.add_argument("--folder", required=True)
    g.add_argument("--rows", required=True)
    g.add_argument("--out", required=True)
    b = sub.add_parser("to-bin")
    b.add_argument("--src", required=True)
    b.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    golden(a) if a.cmd == "golden" else to_bin(a)


if __name__ == "__main__":
    main()
