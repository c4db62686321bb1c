#pragma once
// Datasets: random-access collections of (input, target) examples, as torch.utils.data.
//   Dataset          size() and get(i); get_batch(indices) gathers many at once
//   IterableDataset  a stream: next() until it returns nothing
//   TensorDataset    rows of an inputs tensor and a targets tensor (batches are row gathers)
//   Transformed      a dataset with a transform applied to each example's input (and target)
//   Subset           the examples of a dataset at given indices
// Datasets taking another dataset hold it by reference when given an lvalue (it must outlive
// them) and by value when given an rvalue or a shared_ptr.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

// One example, or a batch of them (inputs and targets stacked along a new first dim).
struct Example {
  Tensor input;
  Tensor target;
};
using Batch = Example;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The example at `index` in [0, size()). Called from the DataLoader's worker thread.
  virtual Example get(int64_t index) const = 0;
  // The examples at `indices`, stacked: inputs [B, ...] and targets [B, ...]. The default stacks
  // get(i); datasets backed by whole tensors override it with a gather of rows.
  virtual Batch get_batch(std::span<const int64_t> indices) const;
};

// A shared handle to a dataset: non-owning for an lvalue, owning for an rvalue.
using DatasetPtr = std::shared_ptr<const Dataset>;
// What the classes taking a dataset accept: a Dataset (lvalue or rvalue) or a DatasetPtr.
template <class D>
concept DatasetSource = std::is_base_of_v<Dataset, std::remove_cvref_t<D>> || std::is_convertible_v<D, DatasetPtr>;

template <class D>
  requires std::is_base_of_v<Dataset, std::remove_cvref_t<D>>
DatasetPtr hold(D&& dataset) {
  if constexpr (std::is_lvalue_reference_v<D>)
    return DatasetPtr(DatasetPtr(), &dataset);  // aliasing constructor: no ownership
  else
    return std::make_shared<const std::remove_cvref_t<D>>(std::move(dataset));
}
inline DatasetPtr hold(DatasetPtr dataset) { return dataset; }

class IterableDataset {
 public:
  virtual ~IterableDataset() = default;
  // The next example, or nothing at the end of the stream.
  virtual std::optional<Example> next() = 0;
};

class TensorDataset : public Dataset {
 public:
  // inputs [N, ...] and targets [N, ...] (same N); an undefined targets tensor gives examples
  // without targets.
  TensorDataset(Tensor inputs, Tensor targets = {});
  int64_t size() const override { return inputs_.size(0); }
  Example get(int64_t index) const override;
  Batch get_batch(std::span<const int64_t> indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;  // contiguous
};

using Transform = std::function<Tensor(const Tensor&)>;

// get() runs the transforms, on the DataLoader's worker thread when there is one; a stateful
// transform (a Compose drawing random numbers) then sees the examples in the loader's order.
class Transformed : public Dataset {
 public:
  // `transform` maps each input, `target_transform` each target (either may be empty).
  template <DatasetSource D>
  Transformed(D&& dataset, Transform transform, Transform target_transform = {})
      : base_(hold(std::forward<D>(dataset))), transform_(std::move(transform)),
        target_transform_(std::move(target_transform)) {}
  int64_t size() const override { return base_->size(); }
  Example get(int64_t index) const override;

 private:
  DatasetPtr base_;
  Transform transform_, target_transform_;
};

class Subset : public Dataset {
 public:
  template <DatasetSource D>
  Subset(D&& dataset, std::vector<int64_t> indices) : base_(hold(std::forward<D>(dataset))), indices_(std::move(indices)) {
    check();
  }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  Batch get_batch(std::span<const int64_t> indices) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const Dataset& dataset() const { return *base_; }

 private:
  void check() const;
  DatasetPtr base_;
  std::vector<int64_t> indices_;
};

// Up to `batch_size` examples from the stream, collated; nothing when the stream is exhausted.
std::optional<Batch> next_batch(IterableDataset& stream, int64_t batch_size);

// Stacks the inputs and the targets of `examples` (the DataLoader's default collate). Targets
// that are undefined stay undefined.
Batch collate(const std::vector<Example>& examples);

// Rows `indices` of `t` along dim 0, as one contiguous tensor (a copy; no autograd).
Tensor gather_rows(const Tensor& t, std::span<const int64_t> indices);

// Throws unless 0 <= index < size, naming `op`.
void check_index(const char* op, int64_t index, int64_t size);

}  // namespace soma::data
