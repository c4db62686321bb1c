# Golden values for tests/nn/test_transformer.cpp from torch 1.13's nn.MultiheadAttention,
# nn.TransformerEncoderLayer, nn.TransformerDecoderLayer and nn.Transformer (eval mode, float64).
# Weights are set from a formula the C++ test repeats (fill below), so no weights are pasted.
# Run: python3 tests/golden/gen_transformer.py, then paste the printed block into the test.
import math

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


def emit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


def wave(shape, a, b):
    n = math.prod(shape)
    return torch.sin(a * torch.arange(n, dtype=torch.float64) + b).reshape(shape)


# Parameter `name` of shape s: c = (sum of the name's character codes) mod 97, u[i] = sin(0.37 i + 0.1 c);
# matrices u / sqrt(columns), layer-norm weights 1 + 0.1 u, other vectors 0.1 u.
def fill(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            c = sum(ord(ch) for ch in name) % 97
            u = wave(list(p.shape), 0.37, 0.1 * c)
            if p.dim() >= 2:
                p.copy_(u / math.sqrt(p.shape[-1]))
            elif "norm" in name.rsplit(".", 1)[0].rsplit(".", 1)[-1] and name.endswith("weight"):
                p.copy_(1 + 0.1 * u)
            else:
                p.copy_(0.1 * u)
    module.eval()
    return module


def grads(out, inputs, prefix):
    g = wave(list(out.shape), 0.23, 0.7)
    for name, d in zip(prefix, torch.autograd.grad(out, inputs, g)):
        emit(name, d)


# ---- MultiheadAttention: packed self-attention, sequence first [L=5, B=2, E=8], 2 heads ----
mha = fill(nn.MultiheadAttention(8, 2))
x = wave([5, 2, 8], 0.7, 0.1).requires_grad_()
pad = torch.tensor([[False, False, False, True, False], [False, True, False, False, False]])
causal = nn.Transformer.generate_square_subsequent_mask(5)
out, w = mha(x, x, x, key_padding_mask=pad, attn_mask=causal, need_weights=True)
emit("kMhaSelfOut", out)
emit("kMhaSelfWeights", w)
grads(out, [x, mha.in_proj_weight, mha.out_proj.weight], ["kMhaSelfDx", "kMhaSelfDinproj", "kMhaSelfDoutproj"])

# ---- MultiheadAttention: cross-attention, kdim 6, vdim 4, batch first, per-head weights ----
mha = fill(nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True))
q = wave([2, 3, 8], 0.9, 0.3).requires_grad_()
k = wave([2, 4, 6], 1.1, -0.4).requires_grad_()
v = wave([2, 4, 4], 0.6, 0.8).requires_grad_()
keep_out = wave([3, 4], 1.7, 0.2) > 0.6  # bool attn_mask, true = blocked
out, w = mha(q, k, v, attn_mask=keep_out, need_weights=True, average_attn_weights=False)
emit("kMhaCrossOut", out)
emit("kMhaCrossWeights", w)
grads(out, [q, k, v], ["kMhaCrossDq", "kMhaCrossDk", "kMhaCrossDv"])

# ---- TransformerEncoderLayer: post-LN relu (sequence first), pre-LN gelu (batch first) ----
layer = fill(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0))
src = wave([5, 2, 8], 0.5, 0.2).requires_grad_()
out = layer(src, src_key_padding_mask=pad)
emit("kEncPostOut", out)
grads(out, [src], ["kEncPostDsrc"])
layer = fill(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True,
                                        norm_first=True, layer_norm_eps=1e-6))
src = wave([2, 5, 8], 0.5, 0.2).requires_grad_()
out = layer(src, src_mask=causal)
emit("kEncPreOut", out)
grads(out, [src], ["kEncPreDsrc"])

# ---- TransformerDecoderLayer: post-LN relu, pre-LN gelu ----
layer = fill(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0))
tgt = wave([4, 2, 8], 0.8, -0.1).requires_grad_()
mem = wave([5, 2, 8], 0.3, 0.9).requires_grad_()
out = layer(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4), memory_key_padding_mask=pad)
emit("kDecPostOut", out)
grads(out, [tgt, mem], ["kDecPostDtgt", "kDecPostDmem"])
layer = fill(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True,
                                        norm_first=True))
tgt = wave([2, 4, 8], 0.8, -0.1).requires_grad_()
mem = wave([2, 5, 8], 0.3, 0.9).requires_grad_()
out = layer(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))
emit("kDecPreOut", out)
grads(out, [tgt, mem], ["kDecPreDtgt", "kDecPreDmem"])

# ---- Transformer: 2 encoder and 2 decoder layers ----
model = fill(nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                            dropout=0.0))
src = wave([5, 2, 8], 0.5, 0.2)
tgt = wave([4, 2, 8], 0.8, -0.1)
emit("kTransformerOut", model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                              src_key_padding_mask=pad, memory_key_padding_mask=pad))
print(f"// Transformer parameter count: {sum(p.numel() for p in model.parameters())}")

# ---- sinusoidal positional encoding (the PyTorch tutorial's formula), max_len 6, d_model 6 ----
position = torch.arange(6).unsqueeze(1)
div_term = torch.exp(torch.arange(0, 6, 2) * (-math.log(10000.0) / 6))
pe = torch.zeros(6, 6)
pe[:, 0::2] = torch.sin(position * div_term)
pe[:, 1::2] = torch.cos(position * div_term)
emit("kSinusoids", pe)

# ---- MultiheadAttention with add_bias_kv and add_zero_attn ----
# Self-attention, sequence first, both options, padding (batch row 1 fully padded: its queries
# see only the appended keys) and the float causal mask.
mha = fill(nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True))
x = wave([5, 2, 8], 0.7, 0.1).requires_grad_()
pad_all = torch.tensor([[False, False, False, True, False], [True, True, True, True, True]])
out, w = mha(x, x, x, key_padding_mask=pad_all, attn_mask=causal, need_weights=True)
emit("kMhaKvSelfOut", out)
emit("kMhaKvSelfWeights", w)
grads(out, [x, mha.bias_k, mha.bias_v, mha.in_proj_weight], ["kMhaKvSelfDx", "kMhaKvSelfDbiask", "kMhaKvSelfDbiasv",
                                                           "kMhaKvSelfDinproj"])
# Cross-attention, batch first, kdim 6, vdim 4, add_bias_kv only, a per-head bool attn_mask
# [B * heads, L, S] and per-head weights.
mha = fill(nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True, add_bias_kv=True))
q = wave([2, 3, 8], 0.9, 0.3).requires_grad_()
k = wave([2, 4, 6], 1.1, -0.4).requires_grad_()
v = wave([2, 4, 4], 0.6, 0.8).requires_grad_()
blocked = wave([4, 3, 4], 1.7, 0.2) > 0.3
out, w = mha(q, k, v, attn_mask=blocked, need_weights=True, average_attn_weights=False)
emit("kMhaKvCrossOut", out)
emit("kMhaKvCrossWeights", w)
grads(out, [q, k, v, mha.bias_k, mha.bias_v], ["kMhaKvCrossDq", "kMhaKvCrossDk", "kMhaKvCrossDv",
                                               "kMhaKvCrossDbiask", "kMhaKvCrossDbiasv"])
# add_zero_attn only, batch first, no masks, no biases.
mha = fill(nn.MultiheadAttention(8, 4, bias=False, batch_first=True, add_zero_attn=True))
x = wave([2, 5, 8], 0.5, 0.2).requires_grad_()
out, _ = mha(x, x, x)
emit("kMhaZeroOut", out)
grads(out, [x], ["kMhaZeroDx"])
