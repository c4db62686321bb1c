# Golden values for tests/ml/test_decomposition.cpp, from scikit-learn 1.2.
# Run: python3 tests/golden/gen_ml_decomposition.py
from sklearn.datasets import load_digits, load_iris
from sklearn.decomposition import PCA, TruncatedSVD

from literals import emit

iris = load_iris().data
full = PCA().fit(iris)
emit("iris_components", full.components_)
emit("iris_variance", full.explained_variance_)
emit("iris_ratio", full.explained_variance_ratio_)
emit("iris_singular", full.singular_values_)
emit("iris_transform_head", full.transform(iris[:3]))
two = PCA(n_components=2).fit(iris)
print(f"const double iris_noise2 = {two.noise_variance_!r};")
print(f"const double iris_score2 = {two.score(iris)!r};")
emit("iris_score_samples_head", two.score_samples(iris[:3]))
emit("iris_inverse_head", two.inverse_transform(two.transform(iris[:2])))
white = PCA(n_components=2, whiten=True).fit(iris)
emit("iris_white_head", white.transform(iris[:3]))
emit("iris_white_inverse_head", white.inverse_transform(white.transform(iris[:2])))
print(f"const int64_t iris_fraction_components = {PCA(n_components=0.95).fit(iris).n_components_};")

digits = load_digits().data
rand = PCA(n_components=5, svd_solver="randomized", random_state=0).fit(digits)
emit("digits_random_variance", rand.explained_variance_)
emit("digits_random_ratio", rand.explained_variance_ratio_)
emit("digits_random_components_head", rand.components_[:, :10])
print(f"const double digits_random_noise = {rand.noise_variance_!r};")
svd = TruncatedSVD(n_components=5, random_state=0)
z = svd.fit_transform(digits)
emit("digits_svd_singular", svd.singular_values_)
emit("digits_svd_variance", svd.explained_variance_)
emit("digits_svd_ratio", svd.explained_variance_ratio_)
emit("digits_svd_transform_head", z[:2])
