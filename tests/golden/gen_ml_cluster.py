# Golden values for tests/ml/test_cluster.cpp: scikit-learn 1.2.1's KMeans on small fixed data.
# Run: python3 tests/golden/gen_ml_cluster.py
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from literals import emit

# Three well-separated blobs: every seeding finds the same clustering.
X, _ = make_blobs(n_samples=60, centers=3, n_features=2, cluster_std=0.5, random_state=0)
km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
order = np.lexsort(km.cluster_centers_.T[::-1])
emit("kBlobs", X)
emit("kBlobCenters", km.cluster_centers_[order])  # sorted by the first coordinate, then the second
emit("kBlobInertia", [km.inertia_])
probe = np.array([[0.0, 0.0], [2.0, 4.0], [-1.5, 3.0]])
emit("kProbe", probe)
emit("kProbeDistances", km.transform(probe)[:, order])
emit("kProbeScore", [km.score(probe)])
# Overlapping blobs: the seedings matter; soma's inertia must be at most scikit-learn's.
Y, _ = make_blobs(n_samples=200, centers=6, n_features=4, cluster_std=2.0, random_state=1)
emit("kOverlap", Y)
for k in (4, 8):
    emit(f"kOverlapInertia{k}", [KMeans(n_clusters=k, n_init=10, random_state=0).fit(Y).inertia_])
emit("kOverlapInertiaRandom", [KMeans(n_clusters=8, init="random", n_init=10, random_state=0).fit(Y).inertia_])

from sklearn.cluster import DBSCAN

# DBSCAN: two dense groups, a bridge of border rows and noise.
rng = np.random.RandomState(3)
D = np.vstack([rng.normal(0, 0.3, size=(15, 2)), rng.normal(3, 0.3, size=(15, 2)), rng.uniform(-2, 5, size=(10, 2))])
emit("kDensity", D)
for name, kwargs in [("Default", {}), ("Manhattan", {"metric": "manhattan", "eps": 0.6, "min_samples": 4}),
                     ("Minkowski3", {"metric": "minkowski", "p": 3, "eps": 0.4, "min_samples": 3})]:
    db = DBSCAN(**kwargs).fit(D)
    emit(f"kDb{name}Labels", db.labels_)
    emit(f"kDb{name}Core", db.core_sample_indices_)

from sklearn.cluster import MiniBatchKMeans

# MiniBatchKMeans on the overlapping blobs: the mean inertia of seeds 0-4, per batch size.
for bs in (1024, 50):
    runs = [MiniBatchKMeans(n_clusters=8, batch_size=bs, n_init=3, random_state=s).fit(Y).inertia_ for s in range(5)]
    emit(f"kMiniBatchInertia{bs}", [np.mean(runs)])
