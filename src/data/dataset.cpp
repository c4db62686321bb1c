// Datasets: TensorDataset's row-gather batches, Transformed, Subset, and the default collate.
#include "soma/data/dataset.h"

#include <cstring>

#include "soma/creation.h"
#include "soma/views.h"

namespace soma::data {

void check_index(const char* op, int64_t index, int64_t size) {
  SOMA_CHECK(index >= 0 && index < size, "{}: index {} is out of range for a dataset of size {}", op, index, size);
}

Tensor gather_rows(const Tensor& t, std::span<const int64_t> indices) {
  SOMA_CHECK(t.dim() >= 1, "gather_rows: expected a tensor with at least 1 dim, got a 0-d tensor");
  const Tensor src = t.contiguous();
  const int64_t n = src.size(0);
  Shape shape = src.shape();
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor out = empty(shape, src.dtype());
  const size_t row = n ? src.numel() / n * src.element_size() : 0;
  const char* from = static_cast<const char*>(src.data_ptr());
  char* to = static_cast<char*>(out.data_ptr());
  for (size_t k = 0; k < indices.size(); ++k) {
    check_index("gather_rows", indices[k], n);
    std::memcpy(to + k * row, from + indices[k] * row, row);
  }
  return out;
}

Batch collate(const std::vector<Example>& examples) {
  SOMA_CHECK(!examples.empty(), "collate: no examples to collate");
  TensorList inputs, targets;
  inputs.reserve(examples.size());
  bool with_targets = examples[0].target.defined();
  for (const Example& e : examples) {
    SOMA_CHECK(e.target.defined() == with_targets, "collate: some examples have targets and some do not");
    inputs.push_back(e.input);
    if (with_targets) targets.push_back(e.target);
  }
  return {stack(inputs), with_targets ? stack(targets) : Tensor()};
}

Batch Dataset::get_batch(std::span<const int64_t> indices) const {
  std::vector<Example> examples;
  examples.reserve(indices.size());
  for (int64_t i : indices) examples.push_back(get(i));
  return collate(examples);
}

std::optional<Batch> next_batch(IterableDataset& stream, int64_t batch_size) {
  SOMA_CHECK(batch_size >= 1, "next_batch: batch_size must be at least 1, got {}", batch_size);
  std::vector<Example> examples;
  while (static_cast<int64_t>(examples.size()) < batch_size) {
    std::optional<Example> e = stream.next();
    if (!e) break;
    examples.push_back(std::move(*e));
  }
  if (examples.empty()) return std::nullopt;
  return collate(examples);
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) {
  SOMA_CHECK(inputs.defined() && inputs.dim() >= 1, "TensorDataset: inputs must have at least 1 dim (samples first)");
  if (targets.defined()) {
    SOMA_CHECK(targets.dim() >= 1 && targets.size(0) == inputs.size(0),
               "TensorDataset: inputs of shape {} and targets of shape {} have different numbers of samples",
               inputs.shape(), targets.shape());
    targets_ = targets.detach().contiguous();
  }
  inputs_ = inputs.detach().contiguous();
}

Example TensorDataset::get(int64_t index) const {
  check_index("TensorDataset", index, size());
  return {inputs_[index], targets_.defined() ? targets_[index] : Tensor()};
}

Batch TensorDataset::get_batch(std::span<const int64_t> indices) const {
  return {gather_rows(inputs_, indices), targets_.defined() ? gather_rows(targets_, indices) : Tensor()};
}

Example Transformed::get(int64_t index) const {
  Example e = base_->get(index);
  if (transform_) e.input = transform_(e.input);
  if (target_transform_ && e.target.defined()) e.target = target_transform_(e.target);
  return e;
}

void Subset::check() const {
  for (int64_t i : indices_) check_index("Subset", i, base_->size());
}

Example Subset::get(int64_t index) const {
  check_index("Subset", index, size());
  return base_->get(indices_[index]);
}

Batch Subset::get_batch(std::span<const int64_t> indices) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    check_index("Subset", indices[k], size());
    mapped[k] = indices_[indices[k]];
  }
  return base_->get_batch(mapped);
}

}  // namespace soma::data
