#pragma once
// Embedding lookup.
#include <optional>

#include "soma/tensor.h"

namespace soma::nn::functional {

// PyTorch's F.embedding options.
struct EmbeddingFunctionalOptions {
  // The row padding_idx (negative counts from the end) receives no gradient.
  std::optional<int64_t> padding_idx = std::nullopt;
  // Before the lookup, every row looked up whose norm_type-norm exceeds max_norm is scaled in
  // place (without gradient) by max_norm / (norm + 1e-7), as torch.embedding_renorm_ does.
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2;  // the p of the norm: any p > 0, or infinity
  // Divide the gradient of each row by the number of times its index occurs in `indices`.
  bool scale_grad_by_freq = false;
};

// Rows of weight [num_embeddings, dim] picked by integer indices of any shape: [*indices, dim].
// Indices out of range raise an Error.
Tensor embedding(const Tensor& indices, const Tensor& weight, const EmbeddingFunctionalOptions& options = {});
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx);

// Scales, in place and without gradient, the rows of weight looked up by indices whose
// norm_type-norm exceeds max_norm to norm max_norm (torch.embedding_renorm_). Returns weight.
Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type = 2);

}  // namespace soma::nn::functional
