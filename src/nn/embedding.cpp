#include "soma/nn/embedding.h"

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/indexing.h"
#include "soma/math.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"

namespace soma::nn {

namespace functional {

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  SOMA_CHECK(weight.dim() == 2, "embedding: weight must be 2-D [num_embeddings, dim], got shape {}", weight.shape());
  SOMA_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32,
             "embedding: indices must be int64 or int32, got dtype {}", dtype_name(indices.dtype()));
  const int64_t n = weight.size(0);
  Tensor flat = indices.reshape({-1}).to(kInt64).contiguous();
  const int64_t* p = flat.data<int64_t>();
  for (int64_t i = 0, m = flat.numel(); i < m; ++i)
    SOMA_CHECK(p[i] >= 0 && p[i] < n, "embedding: index {} is out of range for {} embeddings", p[i], n);
  Tensor rows = weight.index_select(0, flat);
  if (padding_idx) {
    const int64_t pad = *padding_idx < 0 ? *padding_idx + n : *padding_idx;
    SOMA_CHECK(pad >= 0 && pad < n, "embedding: padding_idx {} is out of range for {} embeddings", *padding_idx, n);
    // Rows looked up at padding_idx come from a detached copy: no gradient reaches that row.
    if (is_grad_enabled() && rows.requires_grad()) rows = where(eq(flat, pad).unsqueeze(1), rows.detach(), rows);
  }
  Shape out = indices.shape();
  out.push_back(weight.size(1));
  return rows.view(out);
}

}  // namespace functional

Embedding::Embedding(int64_t num, int64_t dim, EmbeddingOptions options)
    : Module("Embedding"), num_embeddings(num), embedding_dim(dim) {
  SOMA_CHECK(num > 0 && dim > 0, "Embedding: num_embeddings and embedding_dim must be positive, got {} and {}", num,
             dim);
  if (options.padding_idx) {
    const int64_t pad = *options.padding_idx;
    SOMA_CHECK(pad >= -num && pad < num, "Embedding: padding_idx {} is out of range for {} embeddings", pad, num);
    padding_idx = pad < 0 ? pad + num : pad;
  }
  weight = register_parameter("weight", empty({num, dim}, options.dtype));
  reset_parameters();
}

void Embedding::reset_parameters() {
  NoGradGuard no_grad;
  init::normal_(weight);
  if (padding_idx) weight[*padding_idx].zero_();
}

Tensor Embedding::forward(const Tensor& indices) { return functional::embedding(indices, weight, padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", num_embeddings, embedding_dim);
  if (padding_idx) s += fmt::format(", padding_idx={}", *padding_idx);
  return s;
}

}  // namespace soma::nn
