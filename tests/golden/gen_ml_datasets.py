# Golden values for tests/ml/test_datasets.cpp: scikit-learn's bundled data sets.
# Run: python3 tests/golden/gen_ml_datasets.py
from sklearn import datasets

from literals import emit

for name in ["iris", "wine", "breast_cancer", "digits", "diabetes"]:
    b = getattr(datasets, "load_" + name)()
    print(f"// {name}: shape {b.data.shape}")
    emit(f"{name}_first_row", b.data[0])
    emit(f"{name}_last_row", b.data[-1])
    emit(f"{name}_column_sums", b.data.sum(axis=0))
    emit(f"{name}_target_head", b.target[:5])
    print(f"const double {name}_target_sum = {float(b.target.sum())!r};")
