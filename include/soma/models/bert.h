#pragma once
// A BERT-style encoder (Devlin et al. 2018) and its two standard heads: masked-language modelling
// and sequence classification. Parameter names follow Hugging Face's BertModel where the layers
// are the same ("embeddings.word_embeddings.weight", "pooler.dense.weight"); the encoder is
// nn::TransformerEncoder (post-LN, GELU), so its layers carry PyTorch's names
// ("encoder.layers.0.self_attn.in_proj_weight").
#include <memory>

#include "soma/nn/dropout.h"
#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/normalization.h"
#include "soma/nn/transformer.h"

namespace soma::models {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t max_position = 512;    // longest input
  int64_t hidden = 768;          // H
  int64_t layers = 12;
  int64_t heads = 12;
  int64_t intermediate = 3072;   // feed-forward width
  double dropout = 0.1;          // embeddings, attention probabilities, residual branches
  int64_t type_vocab_size = 2;   // segments (sentence A / B); 0: no segment embeddings
  int64_t pad_id = 0;            // [PAD]: its embedding row is zero and keys holding it are masked
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;  // std of the normal initialization of weights
  DType dtype = kFloat32;
};

// Token + learned position (+ segment) embeddings, then LayerNorm and dropout.
class BertEmbeddings : public nn::Module {
 public:
  explicit BertEmbeddings(const BertConfig& config);
  // input_ids [B, T] int64, token_type_ids [B, T] (undefined: all segment 0) -> [B, T, H].
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, {}); }

  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings, token_type_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::shared_ptr<nn::Dropout> dropout;
};

struct BertOutput {
  Tensor last_hidden_state;  // [B, T, H]
  Tensor pooler_output;      // [B, H]: tanh(dense(hidden state of the first token, [CLS]))
};

// Embeddings, the encoder stack and the pooler. Keys holding pad_id are masked out of attention,
// so padding does not change the hidden states of real tokens. Weights are initialized as in BERT:
// N(0, initializer_range) for matrices and embeddings, zero biases, unit LayerNorm scales.
class BertModel : public nn::Module {
 public:
  explicit BertModel(BertConfig config);
  BertOutput forward(const Tensor& input_ids, const Tensor& token_type_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, {}).last_hidden_state; }

  BertConfig config;
  std::shared_ptr<BertEmbeddings> embeddings;
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::Linear> pooler;  // "pooler.dense" in Hugging Face; here "pooler"
};

// The masked-LM head: dense + GELU + LayerNorm, then a decoder whose weight is the word embedding
// matrix (tied: the same tensor, counted once by parameters()) plus its own bias [V].
class BertLMHead : public nn::Module {
 public:
  BertLMHead(const BertConfig& config, Tensor word_embeddings);
  Tensor forward(const Tensor& hidden) override;  // [B, T, H] -> logits [B, T, V]

  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  Tensor decoder_weight;  // not registered here: it is BertEmbeddings' word_embeddings.weight
  Tensor bias;
};

class BertForMaskedLM : public nn::Module {
 public:
  explicit BertForMaskedLM(const BertConfig& config);
  explicit BertForMaskedLM(std::shared_ptr<BertModel> bert);  // a head over an existing encoder
  // input_ids [B, T] -> logits [B, T, V].
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, {}); }
  // Mean cross-entropy over the positions whose label is not -100 (see data::mask_tokens).
  Tensor loss(const Tensor& input_ids, const Tensor& labels, const Tensor& token_type_ids = {});

  std::shared_ptr<BertModel> bert;
  std::shared_ptr<BertLMHead> cls;
};

// Dropout and a Linear layer on the pooled output.
class BertForSequenceClassification : public nn::Module {
 public:
  BertForSequenceClassification(const BertConfig& config, int64_t num_labels);
  // A head over an existing (e.g. pre-trained) encoder; its parameters are shared, not copied.
  BertForSequenceClassification(std::shared_ptr<BertModel> bert, int64_t num_labels);
  // input_ids [B, T] -> logits [B, num_labels].
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, {}); }

  int64_t num_labels;
  std::shared_ptr<BertModel> bert;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace soma::models
