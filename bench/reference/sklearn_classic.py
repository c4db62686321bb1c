"""The reference side of bench/classic.py: the same arguments and output as bench_classic.

    python3 sklearn_classic.py SPLITS DATASET MODEL REPEATS PREDICTIONS [NAME=VALUE ...]

MODEL is a scikit-learn class name, or XGBClassifier / XGBRegressor (XGBoost's scikit-learn
interface, for the histogram gradient boosting benchmark).
"""
import statistics
import sys
import time

import numpy as np
from sklearn import datasets
from sklearn.base import ClusterMixin, clone
from sklearn.utils import all_estimators


def parse(text):
    for value, spelling in ((None, ("None", "none")), (True, ("True", "true")), (False, ("False", "false"))):
        if text in spelling:
            return value
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip("'\"")


def standardize(train, test):
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std == 0] = 1
    return (train - mean) / std, (test - mean) / std


def main():
    splits, dataset, model_name, repeats, out_path = sys.argv[1:6]
    params = {k: parse(v) for k, v in (a.split("=", 1) for a in sys.argv[6:])}
    if model_name.startswith("XGB"):
        import xgboost
        model = getattr(xgboost, model_name)(**params)
    else:
        model = dict(all_estimators())[model_name](**params)
    clusterer = isinstance(model, ClusterMixin)
    if dataset.startswith("synth:"):
        d = dataset[6:]
        X_train = np.fromfile(f"{d}/synth_X_train.bin").reshape(75000, 50)
        X_test = np.fromfile(f"{d}/synth_X_test.bin").reshape(25000, 50)
        y_train = np.fromfile(f"{d}/synth_y_train.bin", dtype=np.int64)
        y_test = np.fromfile(f"{d}/synth_y_test.bin", dtype=np.int64)
    else:
        loader = getattr(datasets, "load_" + dataset)
        data = loader(scaled=False) if dataset == "diabetes" else loader()
        X, y = data.data, data.target
        if clusterer:
            X_train, _ = standardize(X, X)
            X_test, y_train, y_test = X_train, None, None
        else:
            train_idx = np.loadtxt(f"{splits}/{dataset}_train_idx.csv", skiprows=1, dtype=np.int64)
            test_idx = np.loadtxt(f"{splits}/{dataset}_test_idx.csv", skiprows=1, dtype=np.int64)
            X_train, X_test = standardize(X[train_idx], X[test_idx])
            y_train, y_test = y[train_idx], y[test_idx]
    fit_s, predict_s, first, identical = [], [], None, True
    for _ in range(int(repeats)):
        fresh = clone(model)
        t0 = time.perf_counter()
        fresh.fit(X_train, y_train)
        t1 = time.perf_counter()
        pred = fresh.predict(X_test)
        t2 = time.perf_counter()
        fit_s.append(t1 - t0)
        predict_s.append(t2 - t1)
        if first is None:
            first = pred
        else:
            identical &= bool(np.array_equal(pred, first))
    score = fresh.score(X_test) if clusterer else fresh.score(X_test, y_test)
    print(f"RESULT name=fit_s metric={statistics.median_low(fit_s):.6g}")
    print(f"RESULT name=predict_s metric={statistics.median_low(predict_s):.6g}")
    print(f"RESULT name=score metric={score:.10g}")
    print(f"RESULT name=repeat_identical metric={int(identical)}")
    np.savetxt(out_path, np.asarray(pred, dtype=float), fmt="%.17g")


if __name__ == "__main__":
    main()
