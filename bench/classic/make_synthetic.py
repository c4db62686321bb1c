"""Writes the large synthetic classification set of the classic-ML benchmarks once, as raw
little-endian files that both soma (bench_classic) and scikit-learn read: its bits depend on the
BLAS, so it is written rather than regenerated on each side.

    python3 bench/classic/make_synthetic.py OUT_DIR

make_classification(n_samples=100000, n_features=50, random_state=0), split 75,000 / 25,000 with
train_test_split(test_size=0.25, random_state=0, stratify=y), standardized with the training
rows' mean and population std: synth_X_{train,test}.bin (float64, row-major) and
synth_y_{train,test}.bin (int64).
"""
import os
import sys

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=100000, n_features=50, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
std[std == 0] = 1
arrays = {"X_train": (X_train - mean) / std, "X_test": (X_test - mean) / std,
          "y_train": y_train.astype(np.int64), "y_test": y_test.astype(np.int64)}
for name, array in arrays.items():
    np.ascontiguousarray(array).tofile(os.path.join(out, f"synth_{name}.bin"))
print(f"wrote {out}/synth_*.bin")
