"""Golden values for tests/nn/test_conv.cpp and tests/nn/test_pool.cpp: convolutions and pooling
in PyTorch on deterministic inputs, printed as C++ literals.

Inputs are seq(shape, a, b) = sin(a * i + b) over the row-major index i, in float64; gradients
are those of sum(y * seq(y.shape, 0.29, 0.4)). Run: python3 tests/golden/gen_conv.py"""
import torch
import torch.nn.functional as F


def seq(shape, a, b):
    n = 1
    for s in shape:
        n *= s
    return torch.sin(a * torch.arange(n, dtype=torch.float64) + b).reshape(shape)


def emit(name, t):
    vals = ", ".join(f"{v:.12g}" for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};")


def run(name, fn, *shapes):
    inputs = [seq(s, 0.37 + 0.11 * k, 0.1 * k).requires_grad_() for k, s in enumerate(shapes)]
    y = fn(*inputs)
    out = y[0] if isinstance(y, tuple) else y
    print(f"// {name}: output {list(out.shape)}")
    emit(f"{name}_out", out)
    if isinstance(y, tuple):
        emit(f"{name}_idx", y[1])
    (out * seq(out.shape, 0.29, 0.4)).sum().backward()
    for k, x in enumerate(inputs):
        emit(f"{name}_grad{k}", x.grad)


print("// ---- convolutions (test_conv.cpp)")
run("conv_basic", lambda x, w, b: F.conv2d(x, w, b), [2, 3, 5, 6], [4, 3, 3, 2], [4])
run("conv_groups", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
    [1, 4, 7, 5], [6, 2, 3, 3], [6])
run("conv_same", lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)), [1, 2, 5, 6], [3, 2, 4, 2])
run("conv_pointwise", lambda x, w, b: F.conv2d(x, w, b), [2, 3, 2, 3], [2, 3, 1, 1], [2])
run("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), [2, 2, 9], [4, 1, 3], [4])
run("convt_basic", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                                      groups=2), [2, 4, 3, 4], [4, 2, 3, 2], [4])
run("convt_dilated", lambda x, w: F.conv_transpose2d(x, w, stride=1, padding=1, output_padding=1, dilation=2),
    [1, 2, 3, 3], [2, 3, 2, 3])

print("// ---- pooling (test_pool.cpp)")
run("maxpool_ceil", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True), [2, 3, 7, 6])
run("maxpool_dilated", lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), dilation=(2, 1), return_indices=True),
    [1, 2, 6, 7])
run("maxpool1d", lambda x: F.max_pool1d(x, 3, 2, 1, dilation=2, ceil_mode=True, return_indices=True), [2, 3, 9])
run("minpool", lambda x: (lambda r: (-r[0], r[1]))(F.max_pool2d(-x, 3, 2, 1, return_indices=True)), [1, 2, 6, 5])
run("avgpool_incl", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True), [2, 2, 6, 7])
run("avgpool_excl", lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), ceil_mode=True, count_include_pad=False),
    [1, 2, 6, 5])
run("avgpool1d", lambda x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False), [2, 2, 10])
run("adaptive_down", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), [2, 2, 7, 5])
run("adaptive_up", lambda x: F.adaptive_avg_pool2d(x, (4, 3)), [1, 2, 3, 2])
