# Golden values for tests/ml/test_svm.cpp: scikit-learn's SVC, SVR and LinearSVC on small fixed
# data (tight tolerances, so that both sides converge to the same optimum).
import numpy as np
from sklearn.svm import SVC, SVR, LinearSVC

from literals import emit

rng = np.random.RandomState(0)
centers = np.array([[0.0, 0.0, 0.0], [1.5, 1.0, -0.5], [-1.0, 1.5, 1.0]])
X = np.vstack([c + rng.normal(scale=0.9, size=(10, 3)) for c in centers]).round(3)
y = np.repeat([0, 1, 2], 10)
probe = rng.normal(scale=1.2, size=(6, 3)).round(3)
y_reg = (X @ np.array([1.0, -2.0, 0.5]) + np.sin(3 * X[:, 0])).round(3)

emit("kX", X)
emit("kY", y)
emit("kProbe", probe)
emit("kYReg", y_reg)

# SVC, three classes, rbf with gamma 'scale'.
svc = SVC(tol=1e-8).fit(X, y)
emit("kSvcSupport", svc.support_)
emit("kSvcNSupport", svc.n_support_)
emit("kSvcDualCoef", svc.dual_coef_)
emit("kSvcIntercept", svc.intercept_)
emit("kSvcOvr", svc.decision_function(probe))
svc.set_params(decision_function_shape="ovo")
emit("kSvcOvo", svc.decision_function(probe))
emit("kSvcPredict", svc.predict(probe))

# SVC, classes 0 and 1 only, linear kernel, balanced weights (first 17 rows: 10 and 7).
svc2 = SVC(kernel="linear", C=0.5, class_weight="balanced", tol=1e-8).fit(X[:17], y[:17])
emit("kSvc2Support", svc2.support_)
emit("kSvc2DualCoef", svc2.dual_coef_)
emit("kSvc2Intercept", svc2.intercept_)
emit("kSvc2Decision", svc2.decision_function(probe))

# poly and sigmoid kernels, three classes: decision values.
poly = SVC(kernel="poly", degree=2, gamma=0.5, coef0=1.0, C=2.0, tol=1e-8).fit(X, y)
emit("kPolyOvo", SVC(kernel="poly", degree=2, gamma=0.5, coef0=1.0, C=2.0, tol=1e-8,
                     decision_function_shape="ovo").fit(X, y).decision_function(probe))
# (gamma, coef0 and C such that every pair has free support vectors, which fix the intercept.)
sig = SVC(kernel="sigmoid", gamma=0.15, C=2.0, tol=1e-8, decision_function_shape="ovo").fit(X, y)
emit("kSigmoidOvo", sig.decision_function(probe))

# SVR, rbf.
svr = SVR(C=3.0, epsilon=0.2, tol=1e-8).fit(X, y_reg)
emit("kSvrSupport", svr.support_)
emit("kSvrDualCoef", svr.dual_coef_)
emit("kSvrIntercept", svr.intercept_)
emit("kSvrPredict", svr.predict(probe))

# LinearSVC: three classes (squared hinge, balanced weights) and two (hinge), converged.
lin = LinearSVC(tol=1e-10, max_iter=100000, class_weight="balanced", random_state=0).fit(X[:27], y[:27])
emit("kLinCoef", lin.coef_)
emit("kLinIntercept", lin.intercept_)
emit("kLinDecision", lin.decision_function(probe))
lin2 = LinearSVC(loss="hinge", C=0.3, tol=1e-10, max_iter=100000, random_state=0).fit(X[:17], y[:17])
emit("kLin2Coef", lin2.coef_)
emit("kLin2Intercept", lin2.intercept_)

# Platt probabilities: the internal cross-validation's folds are random (soma's differ from
# libsvm's), so the test compares these loosely.
emit("kSvcProba", SVC(probability=True, random_state=0).fit(X, y).predict_proba(probe))
emit("kSvc2Proba", SVC(kernel="linear", C=0.5, class_weight="balanced", probability=True,
                       random_state=0).fit(X[:17], y[:17]).predict_proba(probe))

# Platt's sigmoid on fixed decision values: scikit-learn's own fit of the same regularized
# targets (sklearn.calibration), which libsvm's Newton method must reach too.
from sklearn.calibration import _sigmoid_calibration
rng = np.random.RandomState(3)
labels = (rng.rand(40) < 0.4).astype(int)
dec = (rng.normal(size=40) + 1.5 * (2 * labels - 1)).round(3)
emit("kPlattDec", dec)
emit("kPlattY", 2 * labels - 1)
emit("kPlattAB", list(_sigmoid_calibration(dec, labels)))
