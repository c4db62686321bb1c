# Golden values for tests/ml/test_gradient_boosting.cpp, from scikit-learn 1.2.
# Run: python3 tests/golden/gen_ml_gradient_boosting.py
# Without early stopping (fewer than 10,000 rows) the fit is deterministic, and soma grows the
# same trees (float32 gradients, the same binning, gains and tie-breaking) up to summation order.
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from literals import emit

X, y = load_diabetes(return_X_y=True)
reg = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
emit("diabetes_pred_head", reg.predict(X[:8]))
print(f"const double diabetes_r2 = {reg.score(X, y)!r};")

X, y = load_breast_cancer(return_X_y=True)
clf = HistGradientBoostingClassifier(max_iter=15).fit(X, y)
emit("cancer_proba_head", clf.predict_proba(X[:5])[:, 1])
emit("cancer_decision_head", clf.decision_function(X[:5]))
print(f"const double cancer_accuracy = {clf.score(X, y)!r};")

X, y = load_iris(return_X_y=True)
clf = HistGradientBoostingClassifier(max_iter=10, max_leaf_nodes=8, min_samples_leaf=5, l2_regularization=0.5,
                                     learning_rate=0.2).fit(X, y)
emit("iris_proba_rows", clf.predict_proba(X[::30]))

# Missing values: NaN in a quarter of one feature's rows, learned direction; and NaN at predict
# time in a feature that had none (goes right).
Xm = X.copy()
Xm[::4, 2] = np.nan
clf = HistGradientBoostingClassifier(max_iter=10, min_samples_leaf=5).fit(Xm, y)
probe = Xm[:6].copy()
probe[1, 0] = np.nan
emit("missing_proba", clf.predict_proba(probe))
