# Golden values for tests/ml/test_tree.cpp and tests/ml/test_forest.cpp: scikit-learn 1.2.1's
# decision trees and forests fitted on small fixed data (120 rows, 3 continuous features).
# Most configurations are chosen so that no two splits tie (checked below: every random_state
# gives the same tree); the "tied" trees and the small forests rely on soma drawing features and
# bootstraps with scikit-learn's generators.
# Run: python3 tests/golden/gen_ml_tree.py  (prints C++ initializers to paste into the tests)
import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text
from sklearn.base import clone
from literals import emit


rng = np.random.RandomState(7)
X = np.round(rng.uniform(-2, 2, size=(120, 3)), 3)
y_class = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 1.0 * rng.normal(size=120) > 0.5).astype(int) + (X[:, 2] > 1.0)
y_reg = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=120)
print("// X: 120 x 3, rows in order")
emit("kX", X)
emit("kYClass", y_class)
emit("kYReg", y_reg)


def emit_tree(prefix, model):
    t = model.tree_
    emit(prefix + "Left", t.children_left)
    emit(prefix + "Right", t.children_right)
    emit(prefix + "Feature", t.feature)
    emit(prefix + "Threshold", t.threshold)
    emit(prefix + "Value", t.value.ravel())
    emit(prefix + "Impurity", t.impurity)
    emit(prefix + "Samples", t.n_node_samples)
    emit(prefix + "Importances", model.feature_importances_)


configs = [
    ("kGini", DecisionTreeClassifier(max_depth=3, min_samples_leaf=4, random_state=0), y_class),
    ("kEntropy", DecisionTreeClassifier(criterion="entropy", min_samples_leaf=3, random_state=0), y_class),
    ("kBestFirst", DecisionTreeClassifier(max_leaf_nodes=6, min_samples_leaf=3, random_state=0), y_class),
    ("kPruned", DecisionTreeClassifier(criterion="entropy", min_samples_leaf=3, ccp_alpha=0.03, random_state=0), y_class),
    ("kBalanced", DecisionTreeClassifier(class_weight="balanced", max_depth=3, min_samples_leaf=4, random_state=0), y_class),
    ("kMse", DecisionTreeRegressor(min_samples_leaf=3, random_state=0), y_reg),
    ("kFriedman", DecisionTreeRegressor(criterion="friedman_mse", min_samples_leaf=3, random_state=0), y_reg),
    ("kMae", DecisionTreeRegressor(criterion="absolute_error", min_samples_leaf=4, random_state=0), y_reg),
    ("kRegFrac", DecisionTreeRegressor(min_samples_leaf=0.05, min_samples_split=0.2, min_weight_fraction_leaf=0.05,
                                       min_impurity_decrease=0.01, random_state=0), y_reg),
]
# Every configuration gives one tree for any random_state (no ties between splits).
for prefix, model, y in configs:
    trees = {(tuple(m.tree_.feature), tuple(m.tree_.threshold)) for m in
             (clone(model).set_params(random_state=r).fit(X, y) for r in range(20))}
    assert len(trees) == 1, prefix
for prefix, model, y in configs:
    print("// " + " ".join(repr(model).split()))
    emit_tree(prefix, model.fit(X, y))

# With ties between splits, the feature order drawn from random_state decides; soma draws it
# with scikit-learn's generator, so these trees are scikit-learn's too.
print("// DecisionTreeClassifier(random_state=0) and (splitter='random', random_state=2), fully grown")
emit_tree("kTied", DecisionTreeClassifier(random_state=0).fit(X, y_class))
emit_tree("kRandomSplits", DecisionTreeClassifier(splitter="random", random_state=2).fit(X, y_class))
print("// DecisionTreeClassifier(criterion='entropy', random_state=1), fully grown")
emit_tree("kTiedEntropy", DecisionTreeClassifier(criterion="entropy", random_state=1).fit(X, y_class))

path = DecisionTreeClassifier(criterion="entropy", min_samples_leaf=3, random_state=0).cost_complexity_pruning_path(X, y_class)
print("// DecisionTreeClassifier(criterion='entropy', min_samples_leaf=3, random_state=0).cost_complexity_pruning_path")
emit("kPathAlphas", path.ccp_alphas)
emit("kPathImpurities", path.impurities)
path = DecisionTreeRegressor(min_samples_leaf=3, random_state=0).cost_complexity_pruning_path(X, y_reg)
print("// DecisionTreeRegressor(min_samples_leaf=3, random_state=0).cost_complexity_pruning_path")
emit("kRegPathAlphas", path.ccp_alphas)
emit("kRegPathImpurities", path.impurities)

limited = configs[0][1].fit(X, y_class)
print("// export_text(kGini tree, feature_names=['a', 'b', 'c'])")
print("const char* kGiniText =\n" + "\n".join('    "' + line + '\\n"' for line in
      export_text(limited, feature_names=["a", "b", "c"]).splitlines()) + ";")
print("// export_text(kGini tree, max_depth=1, show_weights=True)")
print("const char* kGiniTextShort =\n" + "\n".join('    "' + line + '\\n"' for line in
      export_text(limited, max_depth=1, show_weights=True).splitlines()) + ";")
mse = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y_reg)
print("// export_text(DecisionTreeRegressor(max_depth=2), decimals=3)")
print("const char* kRegText =\n" + "\n".join('    "' + line + '\\n"' for line in
      export_text(mse, decimals=3).splitlines()) + ";")

# Forests (tests/ml/test_forest.cpp): randomized, so the tests compare quality, not bits.
# Train on the first 80 rows, test on the last 40.
from sklearn.ensemble import RandomForestClassifier, ExtraTreesClassifier, RandomForestRegressor, ExtraTreesRegressor
print("// Forests fitted on rows 0..79, scored on rows 80..119 (accuracy or R^2), random_state 0..4:")
for cls, y in [(RandomForestClassifier, y_class), (ExtraTreesClassifier, y_class),
               (RandomForestRegressor, y_reg), (ExtraTreesRegressor, y_reg)]:
    scores = [cls(random_state=r).fit(X[:80], y[:80]).score(X[80:], y[80:]) for r in range(5)]
    emit("k" + cls.__name__ + "Scores", np.array(scores))
# Small forests, fitted on rows 0..79: scikit-learn's trees, so the same predictions.
print("// n_estimators=10, random_state=0, fitted on rows 0..79, predicting rows 80..119")
emit("kForestProba", RandomForestClassifier(n_estimators=10, random_state=0).fit(X[:80], y_class[:80]).predict_proba(X[80:]))
emit("kExtraProba", ExtraTreesClassifier(n_estimators=10, random_state=0).fit(X[:80], y_class[:80]).predict_proba(X[80:]))
emit("kForestRegPredict", RandomForestRegressor(n_estimators=10, random_state=0).fit(X[:80], y_reg[:80]).predict(X[80:]))
emit("kExtraRegPredict", ExtraTreesRegressor(n_estimators=10, random_state=0).fit(X[:80], y_reg[:80]).predict(X[80:]))
model = RandomForestClassifier(n_estimators=10, max_samples=0.5, oob_score=True, random_state=0).fit(X, y_class)
print("// RandomForestClassifier(n_estimators=10, max_samples=0.5, oob_score=True, random_state=0).fit(X, y_class)")
emit("kForestOobDecision", model.oob_decision_function_)
print(f"const double kForestOobScore = {model.oob_score_!r};")
oob = [RandomForestClassifier(oob_score=True, random_state=r).fit(X, y_class).oob_score_ for r in range(5)]
print("// RandomForestClassifier(oob_score=True).fit(X, y_class).oob_score_, random_state 0..4")
emit("kForestOobScores", np.array(oob))
oob = [RandomForestRegressor(oob_score=True, random_state=r).fit(X, y_reg).oob_score_ for r in range(5)]
print("// RandomForestRegressor(oob_score=True).fit(X, y_reg).oob_score_, random_state 0..4")
emit("kForestRegOobScores", np.array(oob))
