#pragma once
// Embedding: a lookup table of learnable vectors.
#include <optional>

#include "soma/nn/functional/embedding.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct EmbeddingOptions {
  std::optional<int64_t> padding_idx = std::nullopt;  // its row starts at zero and gets no gradient
  // Rows looked up whose norm_type-norm exceeds max_norm are first scaled in place to max_norm.
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2;
  bool scale_grad_by_freq = false;  // each row's gradient divided by its index's count in the batch
  DType dtype = kFloat32;
};

// weight [num_embeddings, embedding_dim], initialized N(0, 1) like PyTorch.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, EmbeddingOptions options = {});
  Tensor forward(const Tensor& indices) override;  // [*] -> [*, embedding_dim]
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;  // wrapped into [0, num_embeddings)
  std::optional<double> max_norm;
  double norm_type;
  bool scale_grad_by_freq;
  Tensor weight;
};

}  // namespace soma::nn
