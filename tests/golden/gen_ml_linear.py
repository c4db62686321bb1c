# Golden values for tests/ml/test_linear.cpp: scikit-learn 1.2.1's linear models on small fixed
# data (LinearRegression, Ridge, Lasso, ElasticNet, LogisticRegression).
# Run: python3 tests/golden/gen_ml_linear.py  (prints C++ initializers to paste into the test)
import warnings

import numpy as np
from scipy.optimize import nnls
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge

from literals import emit

warnings.simplefilter("ignore")
rng = np.random.RandomState(0)

# Regression: 20 x 5, y linear in X plus noise; values rounded so the literals are exact.
X = np.round(rng.normal(size=(20, 5)), 3)
y = np.round(X @ np.array([1.5, -2.0, 0.0, 0.5, 3.0]) + 4.0 + 0.3 * rng.normal(size=20), 3)
# Wide and rank-deficient: 6 x 8 (more features than samples), and 20 x 6 with a repeated column.
X_wide = np.round(rng.normal(size=(6, 8)), 3)
y_wide = np.round(rng.normal(size=6), 3)
X_dup = np.hstack([X, X[:, :1]])
emit("kX", X)
emit("kY", y)
emit("kXWide", X_wide)
emit("kYWide", y_wide)


def emit_fit(name, model, X, y):
    model.fit(X, y)
    emit(name + "Coef", model.coef_)
    emit(name + "Intercept", [model.intercept_])
    return model


emit_fit("kOls", LinearRegression(), X, y)
emit_fit("kOlsNoIntercept", LinearRegression(fit_intercept=False), X, y)
ols_dup = emit_fit("kOlsDup", LinearRegression(), X_dup, y)
print(f"// rank_ of kOlsDup: {ols_dup.rank_}")
emit("kOlsDupSingular", ols_dup.singular_)
emit_fit("kOlsWide", LinearRegression(), X_wide, y_wide)
emit_fit("kOlsPositive", LinearRegression(positive=True), X, y)

emit_fit("kRidge", Ridge(alpha=2.5), X, y)
emit_fit("kRidgeSvd", Ridge(alpha=0.7, solver="svd", fit_intercept=False), X, y)
emit_fit("kRidgeWide", Ridge(alpha=0.3), X_wide, y_wide)
# positive=True goes through scipy's L-BFGS-B, which stops near the bound-constrained optimum
# (to about 1e-8 with tol=1e-12). soma solves it exactly; the exact answer is non-negative least
# squares on X (centered) stacked over sqrt(alpha) I.
ridge_pos = Ridge(alpha=1.0, positive=True, tol=1e-12).fit(X, y)
Xm, ym = X - X.mean(axis=0), y - y.mean()
coef_pos = nnls(np.vstack([Xm, np.eye(5)]), np.concatenate([ym, np.zeros(5)]))[0]
assert np.allclose(coef_pos, ridge_pos.coef_, atol=1e-7)
emit("kRidgePositiveCoef", coef_pos)
emit("kRidgePositiveIntercept", [y.mean() - X.mean(axis=0) @ coef_pos])

lasso = emit_fit("kLasso", Lasso(alpha=0.1), X, y)
print(f"// Lasso(alpha=0.1): n_iter_ {lasso.n_iter_}, dual_gap_ {lasso.dual_gap_!r}")
emit("kLassoGap", [lasso.dual_gap_])
lasso_big = emit_fit("kLassoBig", Lasso(alpha=1.0), X, y)
print(f"// Lasso(alpha=1.0): n_iter_ {lasso_big.n_iter_}")
enet = emit_fit("kEnet", ElasticNet(alpha=0.2, l1_ratio=0.3), X, y)
print(f"// ElasticNet(alpha=0.2, l1_ratio=0.3): n_iter_ {enet.n_iter_}, dual_gap_ {enet.dual_gap_!r}")
emit("kEnetGap", [enet.dual_gap_])
emit_fit("kEnetPositive", ElasticNet(alpha=0.1, positive=True, fit_intercept=False), X, y)
emit_fit("kLassoExact", Lasso(alpha=0.05, tol=1e-12, max_iter=100000), X, y)

# Classification: 3 classes of 15 points in 4 features; the binary problem is the first 30.
centers = np.array([[0, 0, 0, 0], [1.5, 1, 0, -1], [0, 2, 1.5, 1]])
Xc = np.round(np.vstack([c + rng.normal(size=(15, 4)) for c in centers]), 3)
yc = np.repeat([3, 5, 9], 15)
emit("kXc", Xc)
emit("kYc", yc)
exact = dict(tol=1e-10, max_iter=10000)


def emit_logistic(name, model, X, y, probe):
    model.fit(X, y)
    emit(name + "Coef", model.coef_)
    emit(name + "Intercept", model.intercept_)
    emit(name + "Proba", model.predict_proba(probe))
    print(f"// {name}: n_iter_ {model.n_iter_}")


probe = Xc[::7]
emit_logistic("kLogBinary", LogisticRegression(**exact), Xc[:30], yc[:30], probe)
emit_logistic("kLogMulti", LogisticRegression(C=0.5, **exact), Xc, yc, probe)
emit_logistic("kLogOvr", LogisticRegression(multi_class="ovr", **exact), Xc, yc, probe)
emit_logistic("kLogBalanced", LogisticRegression(class_weight="balanced", fit_intercept=False, **exact),
              Xc[5:], yc[5:], probe)
emit_logistic("kLogNone", LogisticRegression(penalty=None, **exact), Xc, yc, probe)
emit_logistic("kLogBinaryMultinomial", LogisticRegression(multi_class="multinomial", **exact), Xc[:30], yc[:30],
              probe)
emit_logistic("kLogDefault", LogisticRegression(), Xc, yc, probe)
emit_logistic("kLogOvrBalanced", LogisticRegression(multi_class="ovr", class_weight="balanced", **exact), Xc[5:],
              yc[5:], probe)
# The l1 and elastic-net penalties (saga), converged tightly: the optimum, not saga's path to it.
emit_logistic("kLogL1", LogisticRegression(penalty="l1", solver="saga", C=0.5, tol=1e-12, max_iter=100000), Xc, yc,
              probe)
emit_logistic("kLogEnet", LogisticRegression(penalty="elasticnet", l1_ratio=0.4, solver="saga", C=0.3, tol=1e-12,
                                             max_iter=100000), Xc[:30], yc[:30], probe)
