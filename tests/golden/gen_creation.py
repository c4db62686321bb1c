# Golden values for tests/core/test_creation.cpp. Run: python3 tests/golden/gen_creation.py
import torch

cases = [
    ('arange(10, 0, -3)', torch.arange(10, 0, -3)),
    ('arange(0, 1, 0.1)', torch.arange(0, 1, 0.1)),
    ('arange(-1.5, 1, 0.5)', torch.arange(-1.5, 1, 0.5)),
    ('arange(0.5, 3, 1, kInt64)', torch.arange(0.5, 3, 1, dtype=torch.int64)),
    ('linspace(-1, 1, 7)', torch.linspace(-1, 1, 7)),
    ('linspace(0, 1, 1)', torch.linspace(0, 1, 1)),
    ('linspace(3, -7, 6, kFloat64)', torch.linspace(3, -7, 6, dtype=torch.float64)),
    ('linspace(0, 10, 4, kInt64)', torch.linspace(0, 10, 4, dtype=torch.int64)),
]
for name, t in cases:
    vals = ', '.join(repr(float(v)) for v in t.double().tolist())
    print('{"%s", {%s}},' % (name, vals))
