# Golden values for tests/metrics/test_scores.cpp, from scikit-learn 1.2.
# Run: python3 tests/golden/gen_metrics_scores.py
import numpy as np
from sklearn import metrics

rng = np.random.RandomState(0)
y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
s = np.array([0.1, 0.8, 0.35, 0.35, 0.9, 0.2, 0.6, 0.35, 0.7, 0.05])  # with ties
print(f"const double auc = {metrics.roc_auc_score(y, s)!r};")
print(f"const double ap = {metrics.average_precision_score(y, s)!r};")
print(f"const double binary_log_loss = {metrics.log_loss(y, s)!r};")
y3 = np.array([0, 1, 2, 2, 1, 0, 2, 1])
p3 = rng.dirichlet([1, 1, 1], size=8)
p3[0] = [0.0, 0.5, 0.5]  # a zero probability of the true class: clipped at eps
print("const std::vector<double> proba3 = {" + ", ".join(repr(v) for v in p3.ravel()) + "};")
print(f"const double multiclass_log_loss = {metrics.log_loss(y3, p3)!r};")
print(f"const double ovr_auc = {metrics.roc_auc_score(y3, p3, multi_class='ovr')!r};")
X = rng.normal(size=(12, 3))
labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 5])  # cluster 5 has a single sample
print("const std::vector<double> points = {" + ", ".join(repr(v) for v in X.ravel()) + "};")
print(f"const double silhouette = {metrics.silhouette_score(X, labels)!r};")
a = np.array([0, 0, 1, 1, 2, 2, 2, 3])
b = np.array([1, 1, 0, 0, 0, 2, 2, 2])
print(f"const double ari = {metrics.adjusted_rand_score(a, b)!r};")
