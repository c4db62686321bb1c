#!/usr/bin/env python3
"""Golden values for tests/metrics/test_metrics.cpp, computed by scikit-learn.

Run: python3 tests/golden/gen_metrics.py  (prints C++ literals to paste into the test)
Note that soma takes (pred, target) where scikit-learn takes (y_true, y_pred).
"""
import warnings

import numpy as np
from sklearn import metrics as m

warnings.filterwarnings("ignore")  # k == n_classes in top_k_accuracy_score
rng = np.random.default_rng(7)


def ints(v):
    return '{' + ', '.join(str(int(x)) for x in v) + '}'


def dbls(v):
    return '{' + ', '.join(repr(float(x)) for x in np.ravel(v)) + '}'


def cstr(s):
    lines = s.replace('\\', '\\\\').replace('"', '\\"').splitlines(keepends=True)
    return '\n    '.join('"%s"' % line.replace('\n', '\\n') for line in lines)


# Classification cases: name, target, pred, num_classes (None: the labels that occur).
true4 = rng.integers(0, 4, 30)
pred4 = np.where(rng.random(30) < 0.6, true4, rng.integers(0, 4, 30))
cases = [
    ('multiclass', true4, pred4, None),
    ('binary', rng.integers(0, 2, 17), rng.integers(0, 2, 17), None),
    # class 3 is never predicted, class 4 never occurs in target: zero divisions
    ('zero_division', np.array([0, 1, 2, 3, 3, 1, 0, 2]), np.array([0, 1, 2, 4, 1, 1, 2, 2]), None),
    # labels with gaps: only 0, 2 and 5 occur
    ('gaps', np.array([0, 2, 5, 5, 2, 0, 5]), np.array([0, 5, 5, 2, 2, 0, 0]), None),
    # six classes of which 3 and 4 never occur
    ('num_classes', np.array([0, 2, 5, 5, 2, 0, 5, 1]), np.array([0, 5, 5, 2, 2, 0, 0, 1]), 6),
]
print('// name, target, pred, num_classes (0: inferred), accuracy,')
print('// {precision, recall, f1} x {macro, micro, weighted}, then per class {precision, recall, f1}')
print('const std::vector<ClassCase> kClassCases = {')
for name, t, p, nc in cases:
    labels = None if nc is None else list(range(nc))
    avg = []
    for a in ['macro', 'micro', 'weighted']:
        pr, rc, f1, _ = m.precision_recall_fscore_support(t, p, labels=labels, average=a, zero_division=0)
        avg += [pr, rc, f1]
    pr, rc, f1, _ = m.precision_recall_fscore_support(t, p, labels=labels, average=None, zero_division=0)
    print('    {"%s", %s, %s, %d, %r, %s, %s, %s, %s},' % (
        name, ints(t), ints(p), nc or 0, float(m.accuracy_score(t, p)), dbls(avg), dbls(pr), dbls(rc), dbls(f1)))
print('};')

t, p = cases[1][1], cases[1][2]
print('// binary: {precision, recall, f1} with pos_label 1, then with pos_label 0')
vals = []
for pos in [1, 0]:
    vals += [m.precision_score(t, p, pos_label=pos), m.recall_score(t, p, pos_label=pos),
             m.f1_score(t, p, pos_label=pos)]
print('const std::vector<double> kBinary = %s;' % dbls(vals))

print('// confusion_matrix of the multiclass case')
print('const std::vector<int64_t> kConfusion = %s;' % ints(m.confusion_matrix(true4, pred4).ravel()))

print('// classification_report of the multiclass case, then with class names and digits=4,')
print('// then of the num_classes case (a class absent from both: a micro avg row)')
print('const std::string kReport = %s;' % cstr(m.classification_report(true4, pred4, zero_division=0)))
print('const std::string kReportNamed = %s;' % cstr(m.classification_report(
    true4, pred4, target_names=['cat', 'dog', 'bird', 'hippopotamus'], digits=4, zero_division=0)))
print('const std::string kReportAbsent = %s;' % cstr(m.classification_report(
    cases[4][1], cases[4][2], labels=list(range(6)), target_names=list('abcdef'), zero_division=0)))

# top-k accuracy on scores rounded to one decimal, so that ties occur
scores = np.round(rng.normal(size=(25, 5)), 1)
scores[3] = 0.5  # a row of ties
target = rng.integers(0, 5, 25)
print('// top_k_accuracy: scores [25, 5], target, then k = 1..5')
print('const std::vector<double> kScores = %s;' % dbls(scores))
print('const std::vector<int64_t> kScoreTarget = %s;' % ints(target))
print('const std::vector<double> kTopK = %s;' % dbls(
    [m.top_k_accuracy_score(target, scores, k=k, labels=list(range(5))) for k in range(1, 6)]))

# regression: [N] and [N, D] (the last column of the second has a constant target, predicted exactly)
y1 = rng.normal(size=12)
p1 = y1 + rng.normal(scale=0.3, size=12)
y2 = rng.normal(size=(9, 3))
p2 = y2 + rng.normal(scale=0.5, size=(9, 3))
y2[:, 2] = 1.5
p2[:, 2] = 1.5
y3 = np.full(6, 2.0)  # constant target, predicted wrongly: r2 = 0
p3 = y3 + rng.normal(size=6)
print('// regression: target, pred, shape, {mse, mae, rmse, r2}')
print('const std::vector<RegCase> kRegCases = {')
for y, p in [(y1, p1), (y2, p2), (y3, p3)]:
    vals = [m.mean_squared_error(y, p), m.mean_absolute_error(y, p), m.mean_squared_error(y, p, squared=False),
            m.r2_score(y, p)]
    print('    {%s, %s, %s, %s},' % (dbls(y), dbls(p), ints(y.shape), dbls(vals)))
print('};')
