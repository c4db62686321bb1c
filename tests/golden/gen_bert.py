# Golden values for tests/models/test_bert.cpp: a torch 1.13 re-implementation of models::BertModel
# and its heads (no transformers library needed), float64, eval mode. Parameters carry the same
# names as in soma and are set from a formula the C++ test repeats (fill below).
# Run: python3 tests/golden/gen_bert.py, then paste the printed block into the test.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
V, T_MAX, H, LAYERS, HEADS, INTER, TYPES, PAD = 12, 8, 8, 2, 2, 16, 2, 0


def emit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


def wave(shape, a, b):
    n = math.prod(shape)
    return torch.sin(a * torch.arange(n, dtype=torch.float64) + b).reshape(shape)


# Parameter `name`: c = (sum of the name's character codes) mod 97, u[i] = sin(0.37 i + 0.1 c);
# matrices u / sqrt(columns), weights of modules whose name contains "norm" (any case) 1 + 0.1 u,
# other vectors 0.1 u.
def fill(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            c = sum(ord(ch) for ch in name) % 97
            u = wave(list(p.shape), 0.37, 0.1 * c)
            owner = name.rsplit(".", 1)[0].rsplit(".", 1)[-1] if "." in name else ""
            if p.dim() >= 2:
                p.copy_(u / math.sqrt(p.shape[-1]))
            elif "norm" in owner.lower() and name.endswith("weight"):
                p.copy_(1 + 0.1 * u)
            else:
                p.copy_(0.1 * u)
    module.eval()
    return module


class BertEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, H, padding_idx=PAD)
        self.position_embeddings = nn.Embedding(T_MAX, H)
        self.token_type_embeddings = nn.Embedding(TYPES, H)
        self.LayerNorm = nn.LayerNorm(H, eps=1e-12)

    def forward(self, ids, types):
        x = self.word_embeddings(ids) + self.position_embeddings.weight[: ids.shape[1]] + self.token_type_embeddings(types)
        return self.LayerNorm(x)


class BertModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = BertEmbeddings()
        layer = nn.TransformerEncoderLayer(H, HEADS, INTER, dropout=0.0, activation="gelu", layer_norm_eps=1e-12,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.pooler = nn.Linear(H, H)

    def forward(self, ids, types):
        h = self.encoder(self.embeddings(ids, types), src_key_padding_mask=ids == PAD)
        return h, torch.tanh(self.pooler(h[:, 0]))


class BertLMHead(nn.Module):
    def __init__(self, word_embeddings):
        super().__init__()
        self.dense = nn.Linear(H, H)
        self.LayerNorm = nn.LayerNorm(H, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(V))
        self.tied = [word_embeddings]  # a list, so the tied weight is not registered twice

    def forward(self, h):
        return F.linear(self.LayerNorm(F.gelu(self.dense(h))), self.tied[0].weight, self.bias)


class BertForMaskedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.bert = BertModel()
        self.cls = BertLMHead(self.bert.embeddings.word_embeddings)


ids = torch.tensor([[1, 5, 6, 7, 8, 2], [1, 9, 4, 2, 0, 0]])
types = torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
mlm = fill(BertForMaskedLM())
hidden, pooled = mlm.bert(ids, types)
logits = mlm.cls(hidden)
emit("kHidden", hidden)
emit("kPooled", pooled)
emit("kLogits", logits)
g = wave(list(logits.shape), 0.23, 0.7)
emit("kDwordEmbeddings", torch.autograd.grad(logits, mlm.bert.embeddings.word_embeddings.weight, g)[0])

classifier = nn.Linear(H, 3)
with torch.no_grad():  # the classifier's parameters as named in BertForSequenceClassification
    for name, p in [("classifier.weight", classifier.weight), ("classifier.bias", classifier.bias)]:
        c = sum(ord(ch) for ch in name) % 97
        u = wave(list(p.shape), 0.37, 0.1 * c)
        p.copy_(u / math.sqrt(p.shape[-1]) if p.dim() >= 2 else 0.1 * u)
emit("kClassLogits", classifier(pooled))
