#include "soma/models/bert.h"

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"

namespace soma::models {

namespace {

void check_config(const BertConfig& c) {
  SOMA_CHECK(c.vocab_size > 0 && c.max_position > 0 && c.hidden > 0 && c.layers >= 0 && c.intermediate > 0 &&
                 c.type_vocab_size >= 0,
             "BertModel: vocab_size, max_position, hidden, intermediate must be positive and layers, "
             "type_vocab_size >= 0; got vocab_size={}, max_position={}, hidden={}, layers={}, intermediate={}, "
             "type_vocab_size={}",
             c.vocab_size, c.max_position, c.hidden, c.layers, c.intermediate, c.type_vocab_size);
  SOMA_CHECK(c.heads > 0 && c.hidden % c.heads == 0, "BertModel: hidden ({}) must be a multiple of heads ({})", c.hidden,
             c.heads);
  SOMA_CHECK(c.pad_id >= 0 && c.pad_id < c.vocab_size, "BertModel: pad_id {} is not in [0, vocab_size={})", c.pad_id,
             c.vocab_size);
}

void check_ids(const char* op, const Tensor& ids, const Tensor& types, int64_t max_position) {
  SOMA_CHECK(ids.dim() == 2 && ids.dtype() == kInt64, "{}: input_ids must be int64 [B, T], got {} {}", op,
             dtype_name(ids.dtype()), ids.shape());
  SOMA_CHECK(ids.size(1) <= max_position, "{}: sequence length {} exceeds max_position {}", op, ids.size(1),
             max_position);
  SOMA_CHECK(!types.defined() || (types.shape() == ids.shape() && types.dtype() == kInt64),
             "{}: token_type_ids must be int64 shaped like input_ids {}, got {} {}", op, ids.shape(),
             types.defined() ? dtype_name(types.dtype()) : "undefined", types.defined() ? types.shape() : Shape{});
}

// BERT's initialization: N(0, std) for Linear weights, embeddings and attention projections,
// zero biases (the padding row stays zero); LayerNorms keep their ones and zeros.
void init_weights(nn::Module& root, double std) {
  NoGradGuard no_grad;
  for (auto& [name, m] : root.named_modules()) {
    if (auto* l = dynamic_cast<nn::Linear*>(m)) {
      nn::init::normal_(l->weight, 0.0, std);
      if (l->bias.defined()) nn::init::zeros_(l->bias);
    } else if (auto* e = dynamic_cast<nn::Embedding*>(m)) {
      nn::init::normal_(e->weight, 0.0, std);
      if (e->padding_idx) e->weight.select(0, *e->padding_idx).zero_();
    } else if (auto* a = dynamic_cast<nn::MultiheadAttention*>(m)) {
      for (Tensor* w : {&a->in_proj_weight, &a->q_proj_weight, &a->k_proj_weight, &a->v_proj_weight})
        if (w->defined()) nn::init::normal_(*w, 0.0, std);
    }
  }
}

}  // namespace

BertEmbeddings::BertEmbeddings(const BertConfig& c) : Module("BertEmbeddings") {
  word_embeddings = register_module("word_embeddings",
                                    nn::Embedding(c.vocab_size, c.hidden, {.padding_idx = c.pad_id, .dtype = c.dtype}));
  position_embeddings = register_module("position_embeddings", nn::Embedding(c.max_position, c.hidden, {.padding_idx = std::nullopt, .dtype = c.dtype}));
  if (c.type_vocab_size > 0)
    token_type_embeddings =
        register_module("token_type_embeddings", nn::Embedding(c.type_vocab_size, c.hidden, {.padding_idx = std::nullopt, .dtype = c.dtype}));
  LayerNorm = register_module("LayerNorm", nn::LayerNorm({c.hidden}, {.eps = c.layer_norm_eps, .dtype = c.dtype}));
  dropout = register_module("dropout", nn::Dropout(c.dropout));
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  check_ids("BertEmbeddings", input_ids, token_type_ids, position_embeddings->num_embeddings);
  const int64_t T = input_ids.size(1);
  // [B, T, H] + [T, H] (+ [B, T, H]).
  Tensor x = (*word_embeddings)(input_ids) + position_embeddings->weight.narrow(0, 0, T);
  if (token_type_embeddings)
    x = x + (token_type_ids.defined() ? (*token_type_embeddings)(token_type_ids) : token_type_embeddings->weight[0]);
  else
    SOMA_CHECK(!token_type_ids.defined(), "BertEmbeddings: token_type_ids given but type_vocab_size is 0");
  return (*dropout)((*LayerNorm)(x));
}

BertModel::BertModel(BertConfig c) : Module("BertModel"), config(c) {
  check_config(c);
  embeddings = register_module("embeddings", BertEmbeddings(c));
  encoder = register_module("encoder", nn::TransformerEncoder(c.hidden, c.heads, c.layers,
                                                              {.dim_feedforward = c.intermediate,
                                                               .dropout = c.dropout,
                                                               .activation = "gelu",
                                                               .layer_norm_eps = c.layer_norm_eps,
                                                               .batch_first = true,
                                                               .dtype = c.dtype}));
  pooler = register_module("pooler", nn::Linear(c.hidden, c.hidden, {.dtype = c.dtype}));
  init_weights(*this, c.initializer_range);
}

BertOutput BertModel::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  Tensor x = embeddings->forward(input_ids, token_type_ids);
  // [B, T] bool, true = [PAD]: those keys are ignored by every query. A batch without padding
  // passes no mask, which spares every attention layer the masking work.
  Tensor padding = input_ids == config.pad_id;
  if (!padding.any().item<bool>()) padding = Tensor();
  Tensor hidden = encoder->forward(x, {}, padding);
  Tensor pooled = (*pooler)(hidden.select(1, 0)).tanh();
  return {hidden, pooled};
}

BertLMHead::BertLMHead(const BertConfig& c, Tensor word_embeddings)
    : Module("BertLMHead"), decoder_weight(std::move(word_embeddings)) {
  SOMA_CHECK(decoder_weight.dim() == 2 && decoder_weight.size(1) == c.hidden,
             "BertLMHead: tied word embeddings must be [V, H={}], got {}", c.hidden, decoder_weight.shape());
  dense = register_module("dense", nn::Linear(c.hidden, c.hidden, {.dtype = c.dtype}));
  LayerNorm = register_module("LayerNorm", nn::LayerNorm({c.hidden}, {.eps = c.layer_norm_eps, .dtype = c.dtype}));
  bias = register_parameter("bias", zeros({decoder_weight.size(0)}, c.dtype));
  init_weights(*this, c.initializer_range);
}

Tensor BertLMHead::forward(const Tensor& hidden) {
  Tensor h = (*LayerNorm)(nn::functional::gelu((*dense)(hidden)));
  return nn::functional::linear(h, decoder_weight, bias);
}

BertForMaskedLM::BertForMaskedLM(const BertConfig& config) : BertForMaskedLM(std::make_shared<BertModel>(config)) {}

BertForMaskedLM::BertForMaskedLM(std::shared_ptr<BertModel> model) : Module("BertForMaskedLM") {
  SOMA_CHECK(model != nullptr, "BertForMaskedLM: the encoder is null");
  bert = register_module("bert", std::move(model));
  cls = register_module("cls", BertLMHead(bert->config, bert->embeddings->word_embeddings->weight));
}

Tensor BertForMaskedLM::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  return cls->forward(bert->forward(input_ids, token_type_ids).last_hidden_state);
}

Tensor BertForMaskedLM::loss(const Tensor& input_ids, const Tensor& labels, const Tensor& token_type_ids) {
  SOMA_CHECK(labels.shape() == input_ids.shape() && labels.dtype() == kInt64,
             "BertForMaskedLM::loss: labels must be int64 shaped like input_ids {}, got {} {}", input_ids.shape(),
             dtype_name(labels.dtype()), labels.shape());
  Tensor logits = forward(input_ids, token_type_ids);
  return nn::functional::cross_entropy(logits.flatten(0, 1), labels.flatten());
}

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& config, int64_t num_labels)
    : BertForSequenceClassification(std::make_shared<BertModel>(config), num_labels) {}

BertForSequenceClassification::BertForSequenceClassification(std::shared_ptr<BertModel> model, int64_t num_labels)
    : Module("BertForSequenceClassification"), num_labels(num_labels) {
  SOMA_CHECK(model != nullptr, "BertForSequenceClassification: the encoder is null");
  SOMA_CHECK(num_labels > 0, "BertForSequenceClassification: num_labels must be positive, got {}", num_labels);
  bert = register_module("bert", std::move(model));
  const BertConfig& c = bert->config;
  dropout = register_module("dropout", nn::Dropout(c.dropout));
  classifier = register_module("classifier", nn::Linear(c.hidden, num_labels, {.dtype = c.dtype}));
  init_weights(*classifier, c.initializer_range);
}

Tensor BertForSequenceClassification::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  return (*classifier)((*dropout)(bert->forward(input_ids, token_type_ids).pooler_output));
}

}  // namespace soma::models
