#!/usr/bin/env python3
"""An independent reference for BERT's WordPiece tokenisation, written from the original
BERT tokenization.py (BasicTokenizer + WordpieceTokenizer): clean text, split CJK
characters, whitespace split, lower-case and strip accents, split punctuation, then greedy
longest-match-first WordPiece with '##' continuations and 100-character words -> [UNK].
As transformers does, the special tokens are matched verbatim in the raw text first.
Then the [CLS] A [SEP] B [SEP] template with token types and longest-first truncation
(the Rust tokenizers' rule).

Plain python3, no third-party packages. Reads JSON on stdin:
  {"vocab": "path/vocab.txt", "lowercase": true, "max_length": 128,
   "rows": [{"text": "...", "pair": "..."?}, ...]}
and writes {"rows": [{"ids": [...], "type_ids": [...]}, ...]} on stdout.
"""
import json
import sys
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        tokens = f.read().split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    return {t: i for i, t in enumerate(tokens)}


def is_whitespace(ch):
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def clean_text(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    return "".join(out)


def basic_tokenize(text, lowercase):
    text = clean_text(text)
    text = "".join(f" {ch} " if is_cjk(ord(ch)) else ch for ch in text)
    words = []
    for token in text.split():
        if lowercase:
            token = token.lower()
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        current = []
        for ch in token:
            if is_punctuation(ch):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(ch)
            else:
                current.append(ch)
        if current:
            words.append("".join(current))
    return words


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def split_specials(text, specials):
    """Split raw text around verbatim occurrences of special tokens (leftmost, longest first)."""
    parts, i, buf = [], 0, []
    while i < len(text):
        hit = next((s for s in sorted(specials, key=len, reverse=True) if text.startswith(s, i)), None)
        if hit:
            parts.append(("text", "".join(buf)))
            parts.append(("special", hit))
            buf = []
            i += len(hit)
        else:
            buf.append(text[i])
            i += 1
    parts.append(("text", "".join(buf)))
    return parts


def tokenize(text, vocab, lowercase):
    specials = [s for s in SPECIALS if s in vocab]
    ids = []
    for kind, part in split_specials(text, specials):
        if kind == "special":
            ids.append(vocab[part])
            continue
        for word in basic_tokenize(part, lowercase):
            ids.extend(vocab[p] for p in wordpiece(word, vocab))
    return ids


def longest_first(na, nb, budget):
    if na + nb <= budget:
        return na, nb
    swap = na > nb
    n1, n2 = (nb, na) if swap else (na, nb)
    n2 = n1 if n1 > budget else max(n1, budget - n1)
    if n1 + n2 > budget:
        n1 = budget // 2
        n2 = n1 + budget % 2
    ka, kb = (n2, n1) if swap else (n1, n2)
    return min(na, ka), min(nb, kb)


def encode(row, vocab, lowercase, max_length):
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    a = tokenize(row["text"], vocab, lowercase)
    if row.get("pair") is None:
        ids = [cls] + a[: max_length - 2] + [sep]
        return {"ids": ids, "type_ids": [0] * len(ids)}
    b = tokenize(row["pair"], vocab, lowercase)
    na, nb = longest_first(len(a), len(b), max_length - 3)
    first = [cls] + a[:na] + [sep]
    second = b[:nb] + [sep]
    return {"ids": first + second, "type_ids": [0] * len(first) + [1] * len(second)}


def main():
    req = json.load(sys.stdin)
    vocab = load_vocab(req["vocab"])
    rows = [encode(r, vocab, req.get("lowercase", True), req.get("max_length", 512)) for r in req["rows"]]
    json.dump({"rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
