# Golden values for tests/ml/test_mixture.cpp: scikit-learn 1.2.1's GaussianMixture on small
# fixed data. Run: python3 tests/golden/gen_ml_mixture.py
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

from literals import emit

# Three separated, differently shaped blobs: every KMeans seeding gives the same start, so EM
# runs the same iterations as scikit-learn's.
X, _ = make_blobs(n_samples=90, centers=[[0, 0], [8, 8], [0, 10]], cluster_std=[0.6, 1.0, 0.8], random_state=2)
X[:30] = X[:30] @ np.array([[1.0, 0.5], [0.0, 1.0]])  # a tilted blob for the full covariances
emit("kX", X)
probe = np.array([[0.5, 0.5], [5.0, 5.0], [1.0, 7.0], [3.0, 3.0]])
emit("kProbe", probe)
for cov in ("full", "tied", "diag", "spherical"):
    g = GaussianMixture(n_components=3, covariance_type=cov, random_state=0).fit(X)
    order = np.argsort(g.means_[:, 0] * 100 + g.means_[:, 1])  # components by mean
    c = cov.capitalize()
    emit(f"kWeights{c}", g.weights_[order])
    emit(f"kMeans{c}", g.means_[order])
    emit(f"kCov{c}", g.covariances_ if cov == "tied" else g.covariances_[order])
    emit(f"kPrecChol{c}", g.precisions_cholesky_ if cov == "tied" else g.precisions_cholesky_[order])
    emit(f"kProba{c}", g.predict_proba(probe)[:, order])
    emit(f"kScoreSamples{c}", g.score_samples(probe))
    emit(f"kLowerBound{c}", [g.lower_bound_])
    emit(f"kBicAic{c}", [g.bic(X), g.aic(X)])
