# C++ literals for golden values: the helpers the gen_*.py scripts print their tensors with.
import math


def lit(t):
    vals = t.detach().double().flatten().tolist()
    def f(v):
        if math.isnan(v): return "kNaN"
        if math.isinf(v): return "kInf" if v > 0 else "-kInf"
        return repr(v)
    return "{" + ", ".join(f(v) for v in vals) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};")
