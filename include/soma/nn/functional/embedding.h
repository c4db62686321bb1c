#pragma once
// Embedding lookup.
#include <optional>

#include "soma/tensor.h"

namespace soma::nn::functional {

// Rows of weight [num_embeddings, dim] picked by integer indices of any shape: [*indices, dim].
// Indices out of range raise an Error; the row padding_idx (if given; negative counts from the
// end) receives no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace soma::nn::functional
