#!/usr/bin/env python3
"""Golden values for tests/data/*.cpp, computed independently of soma.

Run: python3 tests/golden/gen_data.py  (prints C++ literals to paste into the tests)
Uses scikit-learn (folds, scalers), torch (bilinear resize), and zlib/struct/gzip for PNG
bytes and the Fashion-MNIST statistics.
"""
import gzip
import os
import struct
import zlib

import numpy as np
import torch
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import MinMaxScaler, StandardScaler


def ints(v):
    return "{" + ", ".join(str(int(x)) for x in v) + "}"


def floats(v):
    return "{" + ", ".join(repr(float(x)) for x in np.asarray(v).ravel()) + "}"


def folds(name, splitter, *args):
    print(f"// {name}")
    print(f"const std::vector<std::vector<int64_t>> {name} = {{")
    for _, val in splitter.split(*args):
        print(f"    {ints(val)},")
    print("};")


print("// ---- folds (test_split.cpp) ----")
folds("kKFold10x3", KFold(3), np.zeros(10))
folds("kKFold7x7", KFold(7), np.zeros(7))
y = [2, 0, 1, 1, 0, 2, 2, 2, 1, 0, 0, 0, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1, 1]
print(f"const std::vector<int64_t> kStratY = {ints(y)};")
folds("kStrat3", StratifiedKFold(3), np.zeros(len(y)), y)
folds("kStrat5", StratifiedKFold(5), np.zeros(len(y)), y)
y2 = [5, 5, 5, 9, 9, 9, 9, 9, 9, 9, 5, 5]
print(f"const std::vector<int64_t> kStratY2 = {ints(y2)};")
folds("kStrat2b", StratifiedKFold(2), np.zeros(len(y2)), y2)

print("// ---- scalers (test_transforms.cpp) ----")
X = np.array([[1.0, 5.0, -2.0, 3.0], [2.0, 5.0, 0.5, 1.0], [4.0, 5.0, 7.0, 3.0], [8.5, 5.0, 1.0, -6.0],
              [0.0, 5.0, 2.0, 2.0]])
X_test = np.array([[3.0, 4.0, 1.0, 0.0], [-1.0, 6.0, 10.0, 5.0]])
print(f"const std::vector<double> kScalerX = {floats(X)};")
print(f"const std::vector<double> kScalerXTest = {floats(X_test)};")
s = StandardScaler().fit(X)
print(f"const std::vector<double> kStdMean = {floats(s.mean_)};")
print(f"const std::vector<double> kStdScale = {floats(s.scale_)};")
print(f"const std::vector<double> kStdTest = {floats(s.transform(X_test))};")
m = MinMaxScaler().fit(X)
print(f"const std::vector<double> kMinMaxTest = {floats(m.transform(X_test))};")
m = MinMaxScaler(feature_range=(-1, 2)).fit(X)
print(f"const std::vector<double> kMinMaxRangeTest = {floats(m.transform(X_test))};")
Xn = X.copy()
Xn[1, 0] = np.nan
Xn[3, 2] = np.nan
s = StandardScaler().fit(Xn)
print(f"const std::vector<double> kStdNanMean = {floats(s.mean_)};")
print(f"const std::vector<double> kStdNanScale = {floats(s.scale_)};")

print("// ---- bilinear resize (test_image.cpp) ----")
img = torch.arange(2 * 5 * 7, dtype=torch.float64).reshape(1, 2, 5, 7)
img = torch.sin(img) * 0.5 + 0.5
print(f"const std::vector<double> kResizeIn = {floats(img.numpy())};")
for h, w in [(3, 4), (8, 11), (5, 7)]:
    out = torch.nn.functional.interpolate(img, size=(h, w), mode="bilinear", align_corners=False)
    print(f"const std::vector<double> kResize{h}x{w} = {floats(out.numpy())};")


print("// ---- PNG files written with zlib + struct (test_image.cpp) ----")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, color, rows, extra=b""):
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 on every row
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def emit_png(name, data):
    print(f"const std::vector<uint8_t> {name} = {ints(data)};")


# 3x2 RGB 8-bit
emit_png("kPngRgb", png(3, 2, 8, 2, [bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]), bytes([10, 20, 30, 40, 50, 60, 70, 80, 90])]))
# 2x2 gray 16-bit
emit_png("kPngGray16", png(2, 2, 16, 0, [struct.pack(">HH", 0, 65535), struct.pack(">HH", 257, 32768)]))
# 2x1 gray+alpha 8-bit
emit_png("kPngGrayAlpha", png(2, 1, 8, 4, [bytes([100, 255, 200, 0])]))
# 2x2 RGBA 8-bit
emit_png("kPngRgba", png(2, 2, 8, 6, [bytes([1, 2, 3, 4, 5, 6, 7, 8]), bytes([9, 10, 11, 12, 13, 14, 15, 16])]))
# 4x1 palette, 2-bit indices, with a tRNS entry making color 1 half transparent
plte = chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]))
trns = chunk(b"tRNS", bytes([255, 128]))
emit_png("kPngPalette", png(4, 1, 2, 3, [bytes([0b00011011])], plte + trns))
# 5x1 gray 1-bit: 1 0 1 1 0
emit_png("kPngGray1", png(5, 1, 1, 0, [bytes([0b10110000])]))

print("// ---- Fashion-MNIST statistics (test_readers.cpp), read with gzip + struct ----")
root = "/usr/share/datasets/fashion-mnist"
if os.path.exists(root):
    for split in ["train", "t10k"]:
        with gzip.open(f"{root}/{split}-images-idx3-ubyte.gz") as f:
            magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
            pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows * cols)
        with gzip.open(f"{root}/{split}-labels-idx1-ubyte.gz") as f:
            magic, n = struct.unpack(">II", f.read(8))
            labels = np.frombuffer(f.read(), dtype=np.uint8)
        print(f"// {split}: n={n} first labels {ints(labels[:10])} pixel sum {int(pixels.sum(dtype=np.int64))}"
              f" first-image sum {int(pixels[0].sum())} last-image sum {int(pixels[-1].sum())}"
              f" label counts {ints(np.bincount(labels))}")
