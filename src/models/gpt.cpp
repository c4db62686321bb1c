#include "soma/models/gpt.h"

#include <cmath>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"
#include "soma/random.h"

namespace soma::models {

namespace F = nn::functional;

namespace {

// The LM head: a bias-free Linear whose weight is the token embedding's own tensor. It exists
// so that the state_dict has "head.weight" like PyTorch's; GPT computes the logits itself.
class TiedHead : public nn::Module {
 public:
  explicit TiedHead(const Tensor& weight) : Module("Linear") { register_parameter("weight", weight); }
  std::string extra_repr() const override { return "tied to wte.weight"; }
};

void check_config(const GPTConfig& c) {
  SOMA_CHECK(c.vocab_size > 0 && c.block_size > 0 && c.n_layer > 0 && c.n_head > 0 && c.n_embd > 0,
             "GPT: vocab_size, block_size, n_layer, n_head and n_embd must be positive, got {}, {}, {}, {}, {}",
             c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd);
  SOMA_CHECK(c.n_embd % c.n_head == 0, "GPT: n_embd {} is not divisible by n_head {}", c.n_embd, c.n_head);
  SOMA_CHECK(c.dropout >= 0 && c.dropout < 1, "GPT: dropout must be in [0, 1), got {}", c.dropout);
}

}  // namespace

// ---- KVCache ----------------------------------------------------------------------------------

KVCache::KVCache(const GPTConfig& config, int64_t batch, DType dtype)
    : batch_(batch), capacity_(config.block_size) {
  SOMA_CHECK(batch > 0, "KVCache: batch must be positive, got {}", batch);
  const int64_t d = config.n_embd / config.n_head;
  for (int64_t l = 0; l < config.n_layer; ++l) {
    k_.push_back(empty({batch, config.n_head, capacity_, d}, dtype));
    v_.push_back(empty({batch, config.n_head, capacity_, d}, dtype));
  }
}

std::pair<Tensor, Tensor> KVCache::append(size_t layer, const Tensor& k, const Tensor& v) {
  SOMA_CHECK(layer < k_.size(), "KVCache: layer {} out of range for {} layers", layer, k_.size());
  const Tensor& kb = k_[layer];
  SOMA_CHECK(k.dim() == 4 && k.size(0) == batch_ && k.size(1) == kb.size(1) && k.size(3) == kb.size(3) &&
                 v.shape() == k.shape(),
             "KVCache: expected k and v of shape [{}, {}, Tn, {}], got {} and {}", batch_, kb.size(1), kb.size(3),
             k.shape(), v.shape());
  const int64_t tn = k.size(2), end = length_ + tn;
  SOMA_CHECK(end <= capacity_, "KVCache: {} cached + {} new positions exceed the capacity {}", length_, tn, capacity_);
  NoGradGuard no_grad;
  kb.narrow(2, length_, tn).copy_(k);
  v_[layer].narrow(2, length_, tn).copy_(v);
  return {kb.narrow(2, 0, end), v_[layer].narrow(2, 0, end)};
}

// ---- GPTBlock ---------------------------------------------------------------------------------

GPTBlock::GPTBlock(const GPTConfig& c) : Module("GPTBlock"), n_head(c.n_head), dropout(c.dropout) {
  const int64_t C = c.n_embd;
  const nn::LinearOptions lin{.bias = c.bias};
  ln1 = register_module("ln1", nn::LayerNorm({C}));
  qkv = register_module("qkv", nn::Linear(C, 3 * C, lin));
  proj = register_module("proj", nn::Linear(C, C, lin));
  ln2 = register_module("ln2", nn::LayerNorm({C}));
  fc = register_module("fc", nn::Linear(C, 4 * C, lin));
  fc2 = register_module("fc2", nn::Linear(4 * C, C, lin));
}

// x [B, T, C] -> attention output after proj, [B, T, C].
Tensor GPTBlock::attention(const Tensor& x, KVCache* cache, size_t layer) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = n_head, D = C / H;
  // One GEMM for q, k and v, then each is rearranged to [B, H, T, D]. split (one node
  // for the three pieces) rather than three selects: its backward writes the three gradients
  // into one [B, T, 3C] tensor instead of zero-filling and summing three of them.
  TensorList parts = (*qkv)(x).split(C, 2);
  // [B, H, T, D] views, no copies: the attention kernel reads each head's rows where the
  // projection wrote them, and writes its output (and the gradients) in [B, T, H, D] order, so
  // the transpose back to [B, T, C] is free too.
  auto heads = [&](const Tensor& t) { return t.view({B, T, H, D}).transpose(1, 2); };
  Tensor q = heads(parts[0]), k = heads(parts[1]), v = heads(parts[2]);
  if (cache) std::tie(k, v) = cache->append(layer, k, v);
  const double p = dropout > 0 && is_training() ? dropout : 0.0;
  // LowerRight: with a cache the T new queries follow the cached keys, and each sees them all.
  Tensor y = F::scaled_dot_product_attention(
      q, k, v, {.is_causal = true, .causal_variant = F::CausalVariant::LowerRight, .dropout_p = p});  // [B, H, T, D]
  return (*proj)(y.transpose(1, 2).reshape({B, T, C}));
}

Tensor GPTBlock::forward(const Tensor& x) { return forward(x, nullptr, 0); }

Tensor GPTBlock::forward(const Tensor& x, KVCache* cache, size_t layer) {
  const bool drop = dropout > 0 && is_training();
  Tensor a = attention((*ln1)(x), cache, layer);
  if (drop) a = F::dropout(a, dropout);
  Tensor h = x + a;
  Tensor m = (*fc2)(F::gelu((*fc)((*ln2)(h)), "tanh"));
  if (drop) m = F::dropout(m, dropout);
  return h + m;
}

// ---- GPT --------------------------------------------------------------------------------------

GPT::GPT(const GPTConfig& c) : LanguageModel("GPT"), config(c) {
  check_config(c);
  wte = register_module("wte", nn::Embedding(c.vocab_size, c.n_embd));
  wpe = register_module("wpe", nn::Embedding(c.block_size, c.n_embd));
  auto list = std::make_shared<nn::ModuleList>();
  for (int64_t l = 0; l < c.n_layer; ++l) {
    blocks.push_back(std::make_shared<GPTBlock>(c));
    list->push_back(blocks.back());
  }
  add_child("blocks", list);
  ln_f = register_module("ln_f", nn::LayerNorm({c.n_embd}));
  add_child("head", std::make_shared<TiedHead>(wte->weight));
  init_weights();
}

void GPT::init_weights() {
  NoGradGuard no_grad;
  const double std_resid = 0.02 / std::sqrt(2.0 * static_cast<double>(config.n_layer));
  nn::init::normal_(wte->weight, 0.0, 0.02);
  nn::init::normal_(wpe->weight, 0.0, 0.02);
  for (auto& b : blocks) {
    for (auto* lin : {b->qkv.get(), b->proj.get(), b->fc.get(), b->fc2.get()}) {
      nn::init::normal_(lin->weight, 0.0, lin == b->proj.get() || lin == b->fc2.get() ? std_resid : 0.02);
      if (lin->bias.defined()) lin->bias.zero_();
    }
  }
}

Tensor GPT::run(const Tensor& tokens, KVCache* cache) {
  SOMA_CHECK(tokens.dim() == 2 && (tokens.dtype() == kInt64 || tokens.dtype() == kInt32),
             "GPT: expected tokens [B, T] of int64, got shape {} and dtype {}", tokens.shape(),
             dtype_name(tokens.dtype()));
  const int64_t T = tokens.size(1), start = cache ? cache->length() : 0;
  SOMA_CHECK(T >= 1 && start + T <= config.block_size,
             "GPT: {} tokens after {} cached positions do not fit the context length {} (expected 1..{} tokens)", T,
             start, config.block_size, config.block_size - start);
  if (cache)
    SOMA_CHECK(cache->batch() == tokens.size(0) && cache->capacity() == config.block_size,
               "GPT: the KV cache holds batch {} and {} positions, the tokens have shape {} and the model block_size {}",
               cache->batch(), cache->capacity(), tokens.shape(), config.block_size);
  // wte checks the token ids (error names the id and the vocabulary size).
  Tensor x = (*wte)(tokens) + (*wpe)(arange(start, start + T, 1, kInt64));
  if (config.dropout > 0 && is_training()) x = F::dropout(x, config.dropout);
  for (size_t l = 0; l < blocks.size(); ++l) x = blocks[l]->forward(x, cache, l);
  if (cache) cache->commit(T);
  return F::linear((*ln_f)(x), wte->weight);
}

Tensor GPT::logits(const Tensor& tokens) { return run(tokens, nullptr); }

Tensor GPT::forward_with_cache(const Tensor& tokens, KVCache& cache) {
  NoGradGuard no_grad;  // inference only: the cache buffers are written in place
  return run(tokens, &cache);
}

Tensor GPT::loss(const Tensor& tokens, const Tensor& targets) {
  SOMA_CHECK(targets.shape() == tokens.shape(), "GPT::loss: targets of shape {} do not match tokens of shape {}",
             targets.shape(), tokens.shape());
  Tensor lg = logits(tokens);
  return F::cross_entropy(lg.view({-1, config.vocab_size}), targets.reshape({-1}));
}

std::string GPT::extra_repr() const {
  return fmt::format("vocab_size={}, block_size={}, n_layer={}, n_head={}, n_embd={}, dropout={}, bias={}",
                     config.vocab_size, config.block_size, config.n_layer, config.n_head, config.n_embd,
                     config.dropout, config.bias);
}

std::unique_ptr<optim::AdamW> configure_adamw(const nn::Module& model, double lr, double weight_decay,
                                              std::pair<double, double> betas) {
  TensorList decay, no_decay;
  for (const Tensor& p : model.parameters())
    if (p.requires_grad()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  std::vector<optim::AdamW::Group> groups{
      {decay, {.lr = lr, .betas = betas, .weight_decay = weight_decay}},
      {no_decay, {.lr = lr, .betas = betas, .weight_decay = 0.0}}};
  return std::make_unique<optim::AdamW>(std::move(groups));
}

}  // namespace soma::models
