# C++ literals for golden values (from torch tensors or NumPy arrays): the helpers the gen_*.py scripts print their tensors with.
import math


def lit(t):
    if hasattr(t, "detach"):  # a torch tensor
        vals = t.detach().double().flatten().tolist()
    else:  # a NumPy array, a list or a number (scikit-learn's golden values)
        import numpy
        vals = [float(v) for v in numpy.asarray(t, dtype=float).ravel()]
    def f(v):
        if math.isnan(v): return "kNaN"
        if math.isinf(v): return "kInf" if v > 0 else "-kInf"
        return repr(v)
    return "{" + ", ".join(f(v) for v in vals) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};")
