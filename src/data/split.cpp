// random_split, KFold and StratifiedKFold (the fold assignment of scikit-learn).
#include "soma/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "soma/random.h"

namespace soma::data {

namespace {

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  Generator gen(seed);
  return randperm(n, &gen).to_vector<int64_t>();
}

void check_splits(const char* op, int64_t n_splits) {
  SOMA_CHECK(n_splits >= 2, "{}: n_splits must be at least 2, got {}", op, n_splits);
}

// Folds from each sample's validation fold.
std::vector<Fold> folds_of(const std::vector<int64_t>& fold_of, int64_t n_splits) {
  std::vector<Fold> folds(n_splits);
  for (int64_t i = 0; i < static_cast<int64_t>(fold_of.size()); ++i)
    for (int64_t k = 0; k < n_splits; ++k) (k == fold_of[i] ? folds[k].val : folds[k].train).push_back(i);
  return folds;
}

}  // namespace

std::vector<Subset> random_split(DatasetPtr dataset, const std::vector<double>& lengths, uint64_t seed) {
  SOMA_CHECK(dataset != nullptr, "random_split: the dataset is null");
  const int64_t n = dataset->size();
  const double total = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  std::vector<int64_t> sizes;
  for (double l : lengths) SOMA_CHECK(l >= 0, "random_split: lengths must be non-negative, got {}", l);
  if (std::abs(total - 1) < 1e-9 && total <= n) {
    for (double f : lengths) sizes.push_back(static_cast<int64_t>(std::floor(f * n)));
    int64_t rest = n - std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
    for (size_t k = 0; rest > 0; k = (k + 1) % sizes.size(), --rest) ++sizes[k];
  } else {
    for (double l : lengths) {
      SOMA_CHECK(l == std::floor(l), "random_split: lengths must be whole sizes or fractions summing to 1, got {}", l);
      sizes.push_back(static_cast<int64_t>(l));
    }
    SOMA_CHECK(static_cast<int64_t>(total) == n,
               "random_split: the lengths sum to {} but the dataset has {} examples", total, n);
  }
  const std::vector<int64_t> perm = permutation(n, seed);
  std::vector<Subset> parts;
  auto it = perm.begin();
  for (int64_t s : sizes) {
    parts.emplace_back(dataset, std::vector<int64_t>(it, it + s));
    it += s;
  }
  return parts;
}

KFold::KFold(int64_t n_splits, bool shuffle, uint64_t seed) : n_splits_(n_splits), shuffle_(shuffle), seed_(seed) {
  check_splits("KFold", n_splits);
}

std::vector<Fold> KFold::split(int64_t n) const {
  SOMA_CHECK(n >= n_splits_, "KFold: cannot have n_splits={} greater than the number of samples {}", n_splits_, n);
  std::vector<int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), int64_t{0});
  if (shuffle_) indices = permutation(n, seed_);
  std::vector<int64_t> fold_of(n);
  for (int64_t k = 0, start = 0; k < n_splits_; ++k) {
    const int64_t stop = start + n / n_splits_ + (k < n % n_splits_ ? 1 : 0);
    for (int64_t j = start; j < stop; ++j) fold_of[indices[j]] = k;
    start = stop;
  }
  return folds_of(fold_of, n_splits_);
}

StratifiedKFold::StratifiedKFold(int64_t n_splits, bool shuffle, uint64_t seed)
    : n_splits_(n_splits), shuffle_(shuffle), seed_(seed) {
  check_splits("StratifiedKFold", n_splits);
}

std::vector<Fold> StratifiedKFold::split(const Tensor& y) const {
  SOMA_CHECK(y.dim() == 1 && (is_integral(y.dtype()) || y.dtype() == kBool),
             "StratifiedKFold: labels must be a 1-D integer tensor, got shape {} of dtype {}", y.shape(),
             dtype_name(y.dtype()));
  const std::vector<int64_t> labels = y.to_vector<int64_t>();
  const int64_t n = static_cast<int64_t>(labels.size());
  SOMA_CHECK(n >= n_splits_, "StratifiedKFold: cannot have n_splits={} greater than the number of samples {}",
             n_splits_, n);
  // Classes numbered by first appearance.
  std::map<int64_t, int64_t> code;
  std::vector<int64_t> encoded(n), counts;
  for (int64_t i = 0; i < n; ++i) {
    auto [it, added] = code.try_emplace(labels[i], static_cast<int64_t>(counts.size()));
    if (added) counts.push_back(0);
    encoded[i] = it->second;
    ++counts[it->second];
  }
  const int64_t classes = static_cast<int64_t>(counts.size());
  SOMA_CHECK(*std::max_element(counts.begin(), counts.end()) >= n_splits_,
             "StratifiedKFold: n_splits={} cannot be greater than the number of members in each class", n_splits_);
  // Deal the sorted labels round robin: fold k gets sorted positions k, k + n_splits, ...
  std::vector<std::vector<int64_t>> allocation(n_splits_, std::vector<int64_t>(classes));
  for (int64_t c = 0, pos = 0; c < classes; ++c)
    for (int64_t j = 0; j < counts[c]; ++j, ++pos) ++allocation[pos % n_splits_][c];
  // Each class's samples, in order, go to the folds in blocks of their allocation.
  std::vector<std::vector<int64_t>> fold_for_class(classes);
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t k = 0; k < n_splits_; ++k) fold_for_class[c].insert(fold_for_class[c].end(), allocation[k][c], k);
    if (shuffle_) {
      const std::vector<int64_t> p = permutation(counts[c], seed_ + static_cast<uint64_t>(c));
      std::vector<int64_t> shuffled(counts[c]);
      for (int64_t j = 0; j < counts[c]; ++j) shuffled[j] = fold_for_class[c][p[j]];
      fold_for_class[c] = std::move(shuffled);
    }
  }
  std::vector<int64_t> fold_of(n), next(classes, 0);
  for (int64_t i = 0; i < n; ++i) fold_of[i] = fold_for_class[encoded[i]][next[encoded[i]]++];
  return folds_of(fold_of, n_splits_);
}

}  // namespace soma::data
