"""soma::ml beside scikit-learn on the classic-ML protocol (bench/classic/README.md): for each
workload, bench_classic and reference/sklearn_classic.py run alternately (--rounds times each,
fit and predict timed inside, median of --repeats), and one table row reports the median fit
and predict times, the median of the per-round speedups (scikit-learn time / soma time; above 1
means soma is faster), both test scores and the fraction of test rows with the same prediction.

    python3 bench/classic.py [--build build] [--rounds 3] [--repeats 3] [--synth DIR] [--filter TEXT]

--synth names the folder of bench/classic/make_synthetic.py's files (written there if absent);
--filter keeps the workloads whose line contains TEXT (e.g. --filter digits)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = os.path.join(HERE, "classic")
SMALL = ["iris", "wine", "breast_cancer", "digits"]

# (data set, class, parameters[, reference class, reference parameters]); "synth" is the
# 100,000 x 50 set. Without a reference class, scikit-learn's class of the same name and
# parameters is the reference.
CLASSIFIERS = [
    ("GaussianNB", []),
    ("LogisticRegression", []),
    ("LinearSVC", ["random_state=0"]),
    ("SVC", []),
    ("KNeighborsClassifier", []),
    ("DecisionTreeClassifier", ["random_state=0"]),
    ("RandomForestClassifier", ["random_state=0", "n_jobs=1"]),
    ("ExtraTreesClassifier", ["random_state=0", "n_jobs=1"]),
    ("HistGradientBoostingClassifier", ["random_state=0"]),
    ("SGDClassifier", ["random_state=0"]),
    ("Perceptron", ["random_state=0"]),
]
WORKLOADS = [(data, cls, params) for data in SMALL for cls, params in CLASSIFIERS]
WORKLOADS += [
    ("diabetes", "LinearRegression", []),
    ("diabetes", "Ridge", []),
    ("diabetes", "Lasso", []),
    ("diabetes", "ElasticNet", []),
    ("diabetes", "HistGradientBoostingRegressor", []),
    ("diabetes", "SVR", []),
    ("diabetes", "KNeighborsRegressor", []),
    ("diabetes", "RandomForestRegressor", ["random_state=0", "n_jobs=1"]),
    ("iris", "KMeans", ["n_clusters=3", "n_init=10", "random_state=0"]),
    ("wine", "KMeans", ["n_clusters=3", "n_init=10", "random_state=0"]),
    ("breast_cancer", "KMeans", ["n_clusters=2", "n_init=10", "random_state=0"]),
    ("digits", "RandomForestClassifier", ["random_state=0", "n_jobs=2"]),
    ("digits", "KMeans", ["n_clusters=10", "n_init=10", "random_state=0"]),
    ("synth", "LogisticRegression", []),
    ("synth", "DecisionTreeClassifier", ["random_state=0"]),
    ("synth", "RandomForestClassifier", ["n_estimators=50", "n_jobs=2", "random_state=0"]),
    ("synth", "KNeighborsClassifier", []),
    ("synth", "HistGradientBoostingClassifier", ["random_state=0"]),
    ("synth", "HistGradientBoostingClassifier", ["random_state=0"], "XGBClassifier",
     ["tree_method=hist", "n_jobs=2", "random_state=0"]),
]


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"RESULT name=(\S+) metric=(\S+)", out)}


def agreement(a, b):
    """Labels: the fraction of rows predicted alike. Real values: the largest difference
    relative to the largest prediction."""
    with open(a) as fa, open(b) as fb:
        x = [float(v) for v in fa.read().split()]
        y = [float(v) for v in fb.read().split()]
    if all(v == int(v) for v in x + y):
        return f"{sum(p == q for p, q in zip(x, y)) / max(len(x), 1):.1%}"
    scale = max(max(abs(v) for v in y), 1e-300)
    return f"max rel. diff. {max(abs(p - q) for p, q in zip(x, y)) / scale:.1e}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synth", default=os.path.join("build", "classic"))
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.synth, "synth_y_test.bin")):
        subprocess.run([sys.executable, os.path.join(SPLITS, "make_synthetic.py"), args.synth], check=True)
    soma = os.path.join(args.build, "bench", "bench_classic")
    reference = [sys.executable, os.path.join(HERE, "reference", "sklearn_classic.py")]
    tmp = tempfile.mkdtemp()
    print("| data | estimator | soma fit s | reference fit s | fit speedup | predict speedup | soma score | reference score "
          "| same predictions | repeatable |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for data, cls, params, *reference_model in WORKLOADS:
        ref_cls, ref_params = reference_model if reference_model else (cls, params)
        line = f"{data} {cls} {' '.join(params)} {ref_cls}"
        if args.filter not in line:
            continue
        dataset = f"synth:{args.synth}" if data == "synth" else data
        sides = {"soma": [soma] + [SPLITS, dataset, cls, str(args.repeats), os.path.join(tmp, "soma")] + params,
                 "sklearn": reference + [SPLITS, dataset, ref_cls, str(args.repeats), os.path.join(tmp, "sklearn")]
                 + ref_params}
        results = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, cmd in sides.items():
                results[side].append(run(cmd, os.environ))
        med = {s: {k: statistics.median(r[k] for r in results[s]) for k in results[s][0]} for s in sides}
        fit_ratio = statistics.median(b["fit_s"] / a["fit_s"] for a, b in zip(results["soma"], results["sklearn"]))
        pred_ratio = statistics.median(b["predict_s"] / max(a["predict_s"], 1e-9)
                                       for a, b in zip(results["soma"], results["sklearn"]))
        same = agreement(os.path.join(tmp, "soma"), os.path.join(tmp, "sklearn"))
        repeatable = "yes" if med["soma"]["repeat_identical"] == 1 else "no"
        name = cls + (f" ({', '.join(params)})" if params else "")
        if reference_model:
            name += f" vs {ref_cls} ({', '.join(ref_params)})"
        print(f"| {data} | {name} | {med['soma']['fit_s']:.4g} | {med['sklearn']['fit_s']:.4g} | {fit_ratio:.2f}x "
              f"| {pred_ratio:.2f}x | {med['soma']['score']:.4f} | {med['sklearn']['score']:.4f} | {same} "
              f"| {repeatable} |", flush=True)


if __name__ == "__main__":
    main()
