#!/usr/bin/env python3
"""Golden values for tests/data/test_text.cpp and test_tokenizer.cpp, computed independently of soma.

Run: python3 tests/golden/gen_text.py  (prints C++ literals to paste into the tests)
The KJV text is what `bible -f Gen1:1-Rev22:21` prints (Debian packages bible-kjv,
bible-kjv-text); the character ids follow the PyTorch reference benchmarks' char_dataset:
chars = sorted(set(text)), stoi = {c: i}, and a 90% / 10% split.
"""
import hashlib
import re
import subprocess
import tempfile

import torch


def ints(v):
    return "{" + ", ".join(str(int(x)) for x in v) + "}"


def cpp_string(s):
    return '"' + "".join(c if c.isalnum() or c in " !'(),-.:;?" else "\\x%02x" % ord(c) for c in s) + '"'


# ---- KJV (test_text.cpp) ----
with tempfile.TemporaryDirectory() as d:
    raw = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], cwd=d, check=True, capture_output=True).stdout
text = raw.decode("ascii")
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(0.9 * len(data))
print("// ---- KJV (test_text.cpp) ----")
print(f"// {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}")
print(f"constexpr int64_t kKjvBytes = {len(raw)};")
print(f"constexpr int64_t kKjvVocab = {len(chars)};")
print(f'const std::string kKjvChars = {cpp_string("".join(chars))};')
print(f"const std::vector<int64_t> kKjvFirstIds = {ints(data[:24])};")
print(f"const std::vector<int64_t> kKjvLastIds = {ints(data[-8:])};")
print(f"constexpr int64_t kKjvIdSum = {int(data.sum())};")
print(f"constexpr int64_t kKjvTrainTokens = {n};")
print(f"const std::vector<int64_t> kKjvValFirstIds = {ints(data[n:n + 8])};")

# ---- non-ASCII characters (test_tokenizer.cpp) ----
s = "h\u00e9llo w\u00f6rld \u20ac\U0001F600 \u00e9"
chars = sorted(set(s))
print("// ---- non-ASCII characters (test_tokenizer.cpp) ----")
print(f"// sorted(set({s!r})): {[hex(ord(c)) for c in chars]}")
print(f"const std::vector<int64_t> kUtf8Ids = {ints([chars.index(c) for c in s])};")

# ---- BPE (test_tokenizer.cpp) ----
# GPT-2's pre-splitting pattern written for bytes, with A-Z, a-z and bytes >= 0x80 as letters
# (what soma's hand-written splitter implements; for ASCII it is GPT-2's \p{L}/\p{N} pattern).
PIECE = re.compile(rb"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z\x80-\xff]+| ?[0-9]+| ?[^\sA-Za-z0-9\x80-\xff]+|\s+(?!\S)|\s+")


def cpp_bytes(b):
    return '"' + "".join(chr(c) if 32 <= c < 127 and c not in b'"\\?' else "\\%03o" % c for c in b) + '"'


def train_bpe(corpus, vocab_size, specials):
    """Naive byte-level BPE: recount every pair before each merge; ties to the smaller (left, right)."""
    for s in specials:
        corpus = corpus.replace(s, b"\0SPLIT\0")
    words = {}
    for part in corpus.split(b"\0SPLIT\0"):
        for p in PIECE.findall(part):
            words[p] = words.get(p, 0) + 1
    words = {tuple(w): c for w, c in words.items()}
    merges = []
    while 256 + len(merges) + len(specials) < vocab_size:
        counts = {}
        for w, c in words.items():
            for pair in zip(w, w[1:]):
                counts[pair] = counts.get(pair, 0) + c
        if not counts:
            break
        best = max(counts.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        if best[1] < 2:
            break
        pair, new = best[0], 256 + len(merges)
        merges.append(pair)
        words = {merge_word(w, pair, new): c for w, c in words.items()}
    return merges


def merge_word(w, pair, new):
    out, k = [], 0
    while k < len(w):
        if k + 1 < len(w) and (w[k], w[k + 1]) == pair:
            out.append(new)
            k += 2
        else:
            out.append(w[k])
            k += 1
    return tuple(out)


def encode_bpe(text, merges):
    """GPT-2's encoder: in each piece, merge the lowest-ranked adjacent pair everywhere, repeat."""
    rank = {p: i for i, p in enumerate(merges)}
    ids = []
    for piece in PIECE.findall(text):
        w = tuple(piece)
        while len(w) > 1:
            pair = min(zip(w, w[1:]), key=lambda p: rank.get(p, 1 << 60))
            if pair not in rank:
                break
            w = merge_word(w, pair, 256 + rank[pair])
        ids += w
    return ids


print("// ---- BPE (test_tokenizer.cpp) ----")
split_cases = [b"Hello world's 123 don't  stop!!\n\n  x\t\ty  ", b"a  b   c\n", b"'re'll 'LL x've", b"caf\xc3\xa9 \xe2\x82\xac5 \xff\xfe!", b" \n ", b"x  "]
print("const std::vector<std::pair<std::string, std::vector<std::string>>> kPreSplit = {")
for s in split_cases:
    print(f"    {{{cpp_bytes(s)}, {{{', '.join(cpp_bytes(p) for p in PIECE.findall(s))}}}}},")
print("};")
corpus = (b"the cat sat on the mat. the cat ate the rat<eos>that cat, the fat cat, sat flat.<eos>"
          b"<eos>the the the thethe 1234 12 1234 caf\xc3\xa9 caf\xc3\xa9<eos>")
merges = train_bpe(corpus, 256 + 40 + 1, [b"<eos>"])
print(f"const std::string kBpeCorpus = {cpp_bytes(corpus)};")
print(f"const std::vector<std::pair<int64_t, int64_t>> kBpeMerges = {{{', '.join('{%d, %d}' % m for m in merges)}}};")
probe = b"the fat rat sat, then the cat1234 caf\xc3\xa9!"
print(f"const std::string kBpeProbe = {cpp_bytes(probe)};")
print(f"const std::vector<int64_t> kBpeProbeIds = {ints(encode_bpe(probe, merges))};")
