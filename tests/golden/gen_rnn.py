# Golden values for tests/nn/test_rnn.cpp, from PyTorch (computed in float64).
# Run: python3 tests/golden/gen_rnn.py > rnn_golden.txt, then paste the blocks.
#
# Every tensor is closed-form so the C++ side builds the same ones:
#   input x[i]  = sin(1.7 i + 0.3)              h0[i] = 0.5 cos(0.9 i)     c0[i] = 0.5 sin(1.3 i + 0.5)
#   parameter k (in named_parameters order): p[i] = 0.4 sin(0.7 i + 1.1 k + 0.2)
#   loss = sum(output * wo) + sum(h_n * wh) + sum(c_n * wc) with
#   wo[i] = cos(0.37 i + 0.1), wh[i] = sin(0.23 i + 0.4), wc[i] = cos(0.51 i + 0.2)
# Variable lengths go through pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence.
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)


def lit(t):
    return "{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


def wave(n, a, b, fn=torch.sin, scale=1.0):
    return scale * fn(a * torch.arange(n, dtype=torch.float64) + b)


def closed(shape, a, b, fn=torch.sin, scale=1.0):
    n = 1
    for s in shape:
        n *= s
    return wave(n, a, b, fn, scale).reshape(shape)


def fill_params(module):
    with torch.no_grad():
        for k, (_, p) in enumerate(module.named_parameters()):
            p.copy_(closed(p.shape, 0.7, 1.1 * k + 0.2, scale=0.4))


def run(name, cls, T, B, I, H, lengths=None, with_state=False, **kw):
    m = cls(I, H, **kw)
    fill_params(m)
    bf = kw.get("batch_first", False)
    dirs = 2 if kw.get("bidirectional", False) else 1
    L = kw.get("num_layers", 1)
    x = closed((B, T, I) if bf else (T, B, I), 1.7, 0.3).requires_grad_()
    lstm = cls is torch.nn.LSTM
    state = None
    if with_state:
        h0 = closed((L * dirs, B, kw.get("proj_size", 0) or H), 0.9, 0.0, torch.cos, 0.5).requires_grad_()
        c0 = closed((L * dirs, B, H), 1.3, 0.5, scale=0.5).requires_grad_()
        state = (h0, c0) if lstm else h0
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    out, hn = m(inp, state)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=bf, total_length=T)
    h_n, c_n = hn if lstm else (hn, None)
    loss = (out * closed(out.shape, 0.37, 0.1, torch.cos)).sum() + (h_n * closed(h_n.shape, 0.23, 0.4)).sum()
    if lstm:
        loss = loss + (c_n * closed(c_n.shape, 0.51, 0.2, torch.cos)).sum()
    loss.backward()
    emit(f"k{name}Out", out)
    emit(f"k{name}H", h_n)
    if lstm:
        emit(f"k{name}C", c_n)
    emit(f"k{name}GradX", x.grad)
    if with_state:
        emit(f"k{name}GradH0", state[0].grad if lstm else state.grad)
        if lstm:
            emit(f"k{name}GradC0", state[1].grad)
    emit(f"k{name}GradParams", torch.cat([p.grad.reshape(-1) for p in m.parameters()]))


print("// ---- layers ----")
run("Lstm", torch.nn.LSTM, 5, 3, 3, 4, with_state=True)
run("LstmBi2", torch.nn.LSTM, 5, 3, 3, 4, lengths=[5, 3, 2], num_layers=2, bidirectional=True, batch_first=True)
run("GruBi2", torch.nn.GRU, 4, 3, 2, 3, lengths=[2, 4, 1], with_state=True, num_layers=2, bidirectional=True)
run("GruBf", torch.nn.GRU, 4, 2, 3, 4, batch_first=True)
run("RnnTanh2", torch.nn.RNN, 4, 2, 3, 3, with_state=True, num_layers=2, bias=False)
run("RnnReluBi", torch.nn.RNN, 4, 3, 2, 3, lengths=[4, 1, 3], nonlinearity="relu", bidirectional=True)
# LSTM with projections (weight_hr_l{k}[_reverse] after the biases in named_parameters order).
run("LstmProj", torch.nn.LSTM, 5, 3, 3, 5, with_state=True, proj_size=2)
run("LstmProjBi2", torch.nn.LSTM, 5, 3, 3, 4, lengths=[5, 3, 2], with_state=True, num_layers=2, bidirectional=True,
    batch_first=True, proj_size=3)
run("LstmProjNoBias", torch.nn.LSTM, 4, 2, 2, 3, lengths=[1, 4], bias=False, proj_size=1)

print("// ---- cells: x [3, 3], h [3, 4] ----")
x = closed((3, 3), 1.7, 0.3)
h = closed((3, 4), 0.9, 0.0, torch.cos, 0.5)
c = closed((3, 4), 1.3, 0.5, scale=0.5)
for name, cls in (("LstmCell", torch.nn.LSTMCell), ("GruCell", torch.nn.GRUCell), ("RnnCell", torch.nn.RNNCell)):
    cell = cls(3, 4)
    fill_params(cell)
    if cls is torch.nn.LSTMCell:
        hn, cn = cell(x, (h, c))
        emit(f"k{name}H", hn)
        emit(f"k{name}C", cn)
    else:
        emit(f"k{name}H", cell(x, h))
