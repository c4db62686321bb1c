# Golden values for tests/ml/test_neighbors.cpp: scikit-learn 1.2.1's KNeighborsClassifier and
# KNeighborsRegressor on small fixed data. Run: python3 tests/golden/gen_ml_neighbors.py
import numpy as np
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from literals import emit

rng = np.random.RandomState(0)
# Few features, values on a grid so that some distances tie exactly,
# and one query row equal to a training row (a zero distance).
X = rng.randint(0, 4, size=(30, 3)).astype(float)
y = rng.randint(0, 3, size=30)
Q = rng.randint(0, 4, size=(6, 3)).astype(float) + 0.5
Q = np.vstack([Q, X[3]])
target = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=30) * 0.1
emit("kX", X)
emit("kY", y)
emit("kQ", Q)
emit("kTarget", target)
for name, kwargs in [("Euclid", {}), ("Manhattan", {"p": 1}), ("Minkowski3", {"p": 3}), ("Cosine", {"metric": "cosine"})]:
    dist, idx = KNeighborsClassifier(n_neighbors=4, algorithm="brute", **kwargs).fit(X, y).kneighbors(Q)
    emit(f"k{name}Dist", dist)
    emit(f"k{name}Idx", idx)
clf = KNeighborsClassifier(n_neighbors=5).fit(X, y)
emit("kProbaUniform", clf.predict_proba(Q))
emit("kPredUniform", clf.predict(Q))
clf = KNeighborsClassifier(n_neighbors=5, weights="distance").fit(X, y)
emit("kProbaDistance", clf.predict_proba(Q))
emit("kPredDistance", clf.predict(Q))
emit("kRegUniform", KNeighborsRegressor(n_neighbors=3).fit(X, target).predict(Q))
emit("kRegDistance", KNeighborsRegressor(n_neighbors=3, weights="distance").fit(X, target).predict(Q))
dist, idx = KNeighborsClassifier(n_neighbors=3, algorithm="brute").fit(X, y).kneighbors()
emit("kSelfDist", dist[:5])
emit("kSelfIdx", idx[:5])
# Many features (brute force under 'auto').
W = rng.normal(size=(60, 20))
wy = (W[:, 0] + W[:, 1] > 0).astype(int)
WQ = rng.normal(size=(10, 20))
emit("kW", W)
emit("kWy", wy)
emit("kWQ", WQ)
dist, idx = KNeighborsClassifier(n_neighbors=5).fit(W, wy).kneighbors(WQ)
emit("kWDist", dist)
emit("kWIdx", idx)
emit("kWProba", KNeighborsClassifier(n_neighbors=5, weights="distance").fit(W, wy).predict_proba(WQ))
