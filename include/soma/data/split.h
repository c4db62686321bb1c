#pragma once
// Splitting a dataset: random_split (torch.utils.data.random_split) and the cross-validation
// index generators KFold and StratifiedKFold (sklearn.model_selection).
//
// Without shuffling, KFold and StratifiedKFold give exactly scikit-learn's folds. With
// shuffle = true they permute with soma's generator, so the folds differ from scikit-learn's
// for the same seed (scikit-learn draws from NumPy's RandomState), but keep the same fold
// sizes and per-class counts. random_split likewise matches PyTorch's sizes, not its draws.
#include <cstdint>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data {

// Splits `dataset` into non-overlapping random subsets. `lengths` are sizes summing to
// dataset.size(), or fractions summing to 1 (each gets floor(fraction * n) examples and the
// remainder is spread one by one over the first subsets, as in PyTorch).
std::vector<Subset> random_split(DatasetPtr dataset, const std::vector<double>& lengths, uint64_t seed = 0);
template <DatasetSource D>
std::vector<Subset> random_split(D&& dataset, const std::vector<double>& lengths, uint64_t seed = 0) {
  return random_split(hold(std::forward<D>(dataset)), lengths, seed);
}

// The training and validation indices of one fold (each in increasing order).
struct Fold {
  std::vector<int64_t> train;
  std::vector<int64_t> val;
};

class KFold {
 public:
  explicit KFold(int64_t n_splits = 5, bool shuffle = false, uint64_t seed = 0);
  // The folds of n samples: fold k validates on the k-th of n_splits consecutive blocks (of
  // sizes n / n_splits, the first n % n_splits one larger) of the (shuffled) indices.
  std::vector<Fold> split(int64_t n) const;

 private:
  int64_t n_splits_;
  bool shuffle_;
  uint64_t seed_;
};

class StratifiedKFold {
 public:
  explicit StratifiedKFold(int64_t n_splits = 5, bool shuffle = false, uint64_t seed = 0);
  // Folds that keep each class's share of the labels y (a 1-D integer tensor): the samples of
  // each class are dealt to the folds in blocks, in order of appearance.
  std::vector<Fold> split(const Tensor& y) const;

 private:
  int64_t n_splits_;
  bool shuffle_;
  uint64_t seed_;
};

}  // namespace soma::data
