# Golden values for tests/ml/test_preprocessing.cpp: scikit-learn 1.2.1's preprocessing
# transformers on small fixed data. Run: python3 tests/golden/gen_ml_preprocessing.py
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, PolynomialFeatures, StandardScaler

from literals import emit

rng = np.random.RandomState(0)
X = rng.normal(size=(8, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
X[:, 2] = 0.7  # a constant column: scale 1
T = rng.normal(size=(3, 3))
emit("kX", X)
emit("kT", T)
s = StandardScaler().fit(X)
emit("kMean", s.mean_)
emit("kVar", s.var_)
emit("kScale", s.scale_)
emit("kStandard", s.transform(T))
emit("kStandardNoMean", StandardScaler(with_mean=False).fit(X).transform(T))
m = MinMaxScaler(feature_range=(-1, 2)).fit(X)
emit("kMinMaxMin", m.min_)
emit("kMinMaxScale", m.scale_)
emit("kMinMax", m.transform(T))
emit("kMinMaxClip", MinMaxScaler(feature_range=(-1, 2), clip=True).fit(X).transform(T))

M = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 3.0], [7.0, 2.0, np.nan], [4.0, 5.0, 9.0], [4.0, np.nan, 9.0]])
emit("kMissing", M)
for strategy in ("mean", "median", "most_frequent"):
    imp = SimpleImputer(strategy=strategy).fit(M)
    emit(f"kStats_{strategy}", imp.statistics_)
    emit(f"kImputed_{strategy}", imp.transform(M))
emit("kImputedConstant", SimpleImputer(strategy="constant", fill_value=-1).fit(M).transform(M))

P = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
emit("kP", P)
for name, kwargs in [("Default", {}), ("Interaction", {"interaction_only": True}),
                     ("Degree3NoBias", {"degree": 3, "include_bias": False})]:
    p = PolynomialFeatures(**kwargs).fit(P)
    emit(f"kPowers{name}", p.powers_)
    emit(f"kPoly{name}", p.transform(P))

C = np.array([[1, 10, 5], [2, 20, 5], [1, 30, 6], [3, 10, 6]], dtype=float)
emit("kCat", C)
for name, drop in [("None", None), ("First", "first"), ("IfBinary", "if_binary")]:
    enc = OneHotEncoder(sparse_output=False, drop=drop).fit(C)
    emit(f"kOneHot{name}", enc.transform(C))
enc = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(C)
emit("kOneHotUnknown", enc.transform(np.array([[2, 99, 6.0]])))
