# Golden strings for tests/core/test_print.cpp: how PyTorch prints each case.
# Run: python3 tests/golden/gen_print.py
# soma prints dtypes without the "torch." prefix and adds size=(...) to summarized tensors; this
# script applies both differences so that the output can be pasted into the test as is.
import torch
import torch._tensor_str as ts

_add_suffixes = ts._add_suffixes
summary_size = []


def add_suffixes(tensor_str, suffixes, indent, force_newline):
    if summary_size:
        suffixes = ['size=' + str(summary_size[0])] + suffixes
    return _add_suffixes(tensor_str, [s.replace('torch.', '') for s in suffixes], indent, force_newline)


ts._add_suffixes = add_suffixes

x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
cases = [
    ('int_mode', torch.tensor([[1., 2.], [3., 4.]])),
    ('decimals_f64', torch.tensor([[1.5, 2.], [3., -4.25]], dtype=torch.float64)),
    ('sci_small', torch.tensor([1e-5, 1.0, 100.0])),
    ('sci_int_mode', torch.tensor([1e10, 1.0])),
    ('int32', torch.tensor([-5, 100, 7], dtype=torch.int32)),
    ('int64', torch.tensor([1, 2, 3])),
    ('uint8', torch.tensor([0, 255], dtype=torch.uint8)),
    ('bool', torch.tensor([True, False, True])),
    ('scalar', torch.tensor(3.25)),
    ('scalar_int', torch.tensor(7)),
    ('empty_2d', torch.zeros(0, 3)),
    ('empty_int', torch.zeros(0, dtype=torch.int64)),
    ('nonfinite', torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5])),
    ('zero_nan', torch.tensor([0., float('nan')])),
    ('wrap', torch.arange(30, dtype=torch.float32) / 7),
    ('cube', torch.arange(12, dtype=torch.float32).reshape(2, 2, 3)),
    ('transposed', torch.arange(6, dtype=torch.float32).reshape(2, 3).t()),
    ('half', torch.tensor([0.5, 1.25], dtype=torch.float16)),
    ('requires_grad', x),
    ('grad_fn', x * 2),
    ('sum_grad_fn', (x * 2).sum()),
]
# An in-place op on a view: the base's grad_fn is CopySlices, other views' are regenerated.
y = x * 2
v = y[0:2]
y[1:3].mul_(3)
cases += [('copy_slices', y), ('regenerated_view', v)]
summarized = [
    ('summary_1d', torch.arange(2000, dtype=torch.float32)),
    ('summary_2d', torch.arange(10000, dtype=torch.float32).reshape(100, 100) / 3),
    ('summary_3d', torch.arange(8000, dtype=torch.int32).reshape(20, 20, 20)),
]
for name, t in cases:
    print('{"%s", R"g(%s)g"},' % (name, str(t)))
for name, t in summarized:
    summary_size[:] = [tuple(t.shape)]
    print('{"%s", R"g(%s)g"},' % (name, str(t)))
    summary_size.clear()
