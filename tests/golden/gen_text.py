#!/usr/bin/env python3
"""Golden values for tests/data/test_text.cpp and test_tokenizer.cpp, computed independently of soma.

Run: python3 tests/golden/gen_text.py  (prints C++ literals to paste into the tests)
The KJV text is what `bible -f Gen1:1-Rev22:21` prints (Debian packages bible-kjv,
bible-kjv-text); the character ids follow the PyTorch reference benchmarks' char_dataset:
chars = sorted(set(text)), stoi = {c: i}, and a 90% / 10% split.
"""
import hashlib
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
