# Golden values for tests/ml/test_naive_bayes.cpp, from scikit-learn 1.2.
# Run: python3 tests/golden/gen_ml_naive_bayes.py
import numpy as np
from sklearn.datasets import load_digits
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

from literals import emit

X = np.array([[0, 2, 1], [1, 0, 3], [4, 1, 0], [2, 2, 2], [0, 5, 1], [3, 0, 0], [1, 1, 4], [0, 3, 2]], dtype=float)
y = np.array([9, 3, 5, 9, 3, 5, 9, 3])
probe = np.array([[1, 1, 1], [0, 4, 0], [3, 0, 2.5]])

g = GaussianNB().fit(X, y)
emit("gaussian_theta", g.theta_)
emit("gaussian_var", g.var_)
emit("gaussian_proba", g.predict_proba(probe))
m = MultinomialNB(alpha=0.5).fit(X, y)
emit("multinomial_log_prob", m.feature_log_prob_)
emit("multinomial_proba", m.predict_proba(probe))
u = MultinomialNB(fit_prior=False).fit(X, y)
emit("uniform_prior_proba", u.predict_proba(probe))
b = BernoulliNB(binarize=1.0).fit(X, y)
emit("bernoulli_log_prob", b.feature_log_prob_)
emit("bernoulli_proba", b.predict_proba(probe))
z = MultinomialNB(alpha=0).fit(X, y)  # raised to 1e-10
emit("alpha_zero_log_prob", z.feature_log_prob_)

digits = load_digits()
for name, model in [("gaussian", GaussianNB()), ("multinomial", MultinomialNB()), ("bernoulli", BernoulliNB(binarize=8))]:
    model.fit(digits.data[::2], digits.target[::2])
    print(f"const double digits_{name}_accuracy = {model.score(digits.data[1::2], digits.target[1::2])!r};")
    emit(f"digits_{name}_proba_head", model.predict_proba(digits.data[1:6:2]))
