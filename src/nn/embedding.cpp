#include "soma/nn/embedding.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "autograd/node.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/indexing.h"
#include "soma/math.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"

namespace soma::nn {

namespace functional {

namespace {

// The int64 indices, flattened and checked against the table of n rows.
Tensor checked_indices(const char* op, const Tensor& indices, int64_t n) {
  SOMA_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32,
             "{}: indices must be int64 or int32, got dtype {}", op, dtype_name(indices.dtype()));
  Tensor flat = indices.reshape({-1}).to(kInt64).contiguous();
  const int64_t* p = flat.data<int64_t>();
  for (int64_t i = 0, m = flat.numel(); i < m; ++i)
    SOMA_CHECK(p[i] >= 0 && p[i] < n, "{}: index {} is out of range for {} embeddings", op, p[i], n);
  return flat;
}

void check_weight(const char* op, const Tensor& weight) {
  SOMA_CHECK(weight.dim() == 2, "{}: weight must be 2-D [num_embeddings, dim], got shape {}", op, weight.shape());
}

void check_renorm_options(const char* op, double max_norm, double norm_type) {
  SOMA_CHECK(max_norm > 0, "{}: max_norm must be positive, got {}", op, max_norm);
  SOMA_CHECK(norm_type > 0, "{}: norm_type must be positive (or infinity), got {}", op, norm_type);
}

void renorm_rows(const Tensor& weight, const Tensor& flat, double max_norm, double norm_type) {
  NoGradGuard no_grad;
  std::vector<int64_t> rows(flat.data<int64_t>(), flat.data<int64_t>() + flat.numel());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  for (int64_t r : rows) {
    Tensor row = weight[r];
    const double norm = row.norm(norm_type).item();
    if (norm > max_norm) row.mul_(max_norm / (norm + 1e-7));
  }
}

// 1 / (how often each position's index occurs in flat): [m, 1] in dtype.
Tensor inverse_frequency(const Tensor& flat, DType dtype) {
  std::unordered_map<int64_t, int64_t> count;
  const int64_t* p = flat.data<int64_t>();
  for (int64_t i = 0; i < flat.numel(); ++i) ++count[p[i]];
  std::vector<double> scale(flat.numel());
  for (int64_t i = 0; i < flat.numel(); ++i) scale[i] = 1.0 / static_cast<double>(count[p[i]]);
  return from_vector(scale, {flat.numel(), 1}).to(dtype);
}

// rows unchanged, with a gradient multiplied by factor (broadcast to rows).
Tensor scale_gradient(const Tensor& rows, const Tensor& factor) {
  Tensor out = rows.detach();
  autograd::record("embedding_scale_grad_by_freq", out, {rows},
                   [factor](const Tensor& g, autograd::GradMask) -> TensorList { return {g * factor}; });
  return out;
}

}  // namespace

Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  check_weight("embedding_renorm_", weight);
  check_renorm_options("embedding_renorm_", max_norm, norm_type);
  renorm_rows(weight, checked_indices("embedding_renorm_", indices, weight.size(0)), max_norm, norm_type);
  return weight;
}

Tensor embedding(const Tensor& indices, const Tensor& weight, const EmbeddingFunctionalOptions& options) {
  check_weight("embedding", weight);
  const int64_t n = weight.size(0);
  Tensor flat = checked_indices("embedding", indices, n);
  std::optional<int64_t> pad;
  if (options.padding_idx) {
    pad = *options.padding_idx < 0 ? *options.padding_idx + n : *options.padding_idx;
    SOMA_CHECK(*pad >= 0 && *pad < n, "embedding: padding_idx {} is out of range for {} embeddings",
               *options.padding_idx, n);
  }
  if (options.max_norm) {
    check_renorm_options("embedding", *options.max_norm, options.norm_type);
    renorm_rows(weight, flat, *options.max_norm, options.norm_type);
  }
  Tensor rows = weight.index_select(0, flat);  // [m, dim]
  if (is_grad_enabled() && rows.requires_grad()) {
    // Rows looked up at padding_idx come from a detached copy: no gradient reaches that row.
    if (pad) rows = where(eq(flat, *pad).unsqueeze(1), rows.detach(), rows);
    if (options.scale_grad_by_freq) rows = scale_gradient(rows, inverse_frequency(flat, rows.dtype()));
  }
  Shape out = indices.shape();
  out.push_back(weight.size(1));
  return rows.view(out);
}

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  return embedding(indices, weight, EmbeddingFunctionalOptions{.padding_idx = padding_idx});
}

}  // namespace functional

Embedding::Embedding(int64_t num, int64_t dim, EmbeddingOptions options)
    : Module("Embedding"),
      num_embeddings(num),
      embedding_dim(dim),
      max_norm(options.max_norm),
      norm_type(options.norm_type),
      scale_grad_by_freq(options.scale_grad_by_freq) {
  SOMA_CHECK(num > 0 && dim > 0, "Embedding: num_embeddings and embedding_dim must be positive, got {} and {}", num,
             dim);
  if (options.padding_idx) {
    const int64_t pad = *options.padding_idx;
    SOMA_CHECK(pad >= -num && pad < num, "Embedding: padding_idx {} is out of range for {} embeddings", pad, num);
    padding_idx = pad < 0 ? pad + num : pad;
  }
  if (max_norm) functional::check_renorm_options("Embedding", *max_norm, norm_type);
  weight = register_parameter("weight", empty({num, dim}, options.dtype));
  reset_parameters();
}

void Embedding::reset_parameters() {
  NoGradGuard no_grad;
  init::normal_(weight);
  if (padding_idx) weight[*padding_idx].zero_();
}

Tensor Embedding::forward(const Tensor& indices) {
  return functional::embedding(indices, weight,
                               {.padding_idx = padding_idx,
                                .max_norm = max_norm,
                                .norm_type = norm_type,
                                .scale_grad_by_freq = scale_grad_by_freq});
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", num_embeddings, embedding_dim);
  if (padding_idx) s += fmt::format(", padding_idx={}", *padding_idx);
  if (max_norm) s += fmt::format(", max_norm={}", *max_norm);
  if (norm_type != 2) s += fmt::format(", norm_type={}", norm_type);
  if (scale_grad_by_freq) s += ", scale_grad_by_freq=true";
  return s;
}

}  // namespace soma::nn
