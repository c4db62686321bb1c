// Binning, tree growing and prediction for histogram gradient boosting (see hist_booster.h).
#include "hist_booster.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/parallel.h"

namespace soma::ml::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The bin of x: the number of thresholds below it (x <= t[b] falls in bin b or lower).
uint8_t bin_of(double x, const std::vector<double>& thresholds) {
  if (std::isnan(x)) return static_cast<uint8_t>(thresholds.size() + 1);
  // A branch-free lower_bound: the index of the first threshold >= x.
  const double* first = thresholds.data();
  const double* base = first;
  size_t length = thresholds.size();
  if (length == 0) return 0;
  while (length > 1) {
    size_t half = length / 2;
    base = base[half - 1] < x ? base + half : base;
    length -= half;
  }
  return static_cast<uint8_t>((base - first) + (base[0] < x ? 1 : 0));
}

std::vector<double> find_thresholds(std::vector<double> values, int max_bins) {
  std::sort(values.begin(), values.end());
  std::vector<double> distinct = values;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<double> out;
  if (static_cast<int64_t>(distinct.size()) <= max_bins) {
    for (size_t i = 0; i + 1 < distinct.size(); ++i) out.push_back((distinct[i] + distinct[i + 1]) / 2);
    return out;
  }
  // NumPy's percentile(method='midpoint') at 100 * j / max_bins, j = 1 .. max_bins - 1.
  double last = static_cast<double>(values.size() - 1);
  for (int j = 1; j < max_bins; ++j) {
    double position = last * j / max_bins;
    auto lo = static_cast<size_t>(std::floor(position)), hi = static_cast<size_t>(std::ceil(position));
    out.push_back((values[lo] + values[hi]) / 2);
  }
  return out;
}

// Sums of gradients and hessians, and the count, of the rows in one bin.
struct Bin {
  double g = 0, h = 0;
  int64_t count = 0;
};

struct Split {
  double gain = -1;
  int64_t feature = -1;
  int bin = 0;
  bool missing_left = false;
  double g_left = 0, h_left = 0;
  int64_t n_left = 0;
};

// A node being grown: its rows are order[begin, end).
struct Node {
  int64_t begin = 0, end = 0, depth = 0, out = 0;
  double g = 0, h = 0;
  std::vector<Bin> hist;  // [d * n_bins]
  Split split;
  int64_t count() const { return end - begin; }
};

class Grower {
 public:
  Grower(const BinnedData& data, const float* g, const float* h, const GrowerOptions& options, TreeArrays& trees)
      : data_(data), g_(g), h_(h), options_(options), trees_(trees), n_bins_(data.bin_offset.back()) {
    work_.order.resize(data.n);
    for (int64_t i = 0; i < data.n; ++i) work_.order[i] = i;
    work_.buffer.resize(data.n);
  }

  void grow(double* raw, int64_t stride) {
    base_ = static_cast<int64_t>(trees_.feature.size());
    auto root = std::make_unique<Node>();
    root->end = data_.n;
    root->out = add_output_node();
    build_histogram(*root);
    for (int64_t b = 0; b < data_.bin_offset[1]; ++b) {  // the sums of feature 0's bins are the node's
      root->g += root->hist[b].g;
      root->h += h_ ? root->hist[b].h : static_cast<double>(root->hist[b].count);
    }
    // Best first: `open` is a max-heap of the nodes with a split, by gain.
    std::vector<std::unique_ptr<Node>> open, leaves;
    consider(std::move(root), open, leaves);
    int64_t n_leaves = 1;
    while (!open.empty() && !(options_.max_leaf_nodes && n_leaves >= *options_.max_leaf_nodes)) {
      std::pop_heap(open.begin(), open.end(), by_gain);
      std::unique_ptr<Node> node = std::move(open.back());
      open.pop_back();
      auto [left, right] = split(*node);
      ++n_leaves;
      consider(std::move(left), open, leaves);
      consider(std::move(right), open, leaves);
    }
    for (auto& node : open) {
      release(node->hist);
      leaves.push_back(std::move(node));
    }
    for (const auto& leaf : leaves) {
      double value = node_value(leaf->g, leaf->h) * options_.learning_rate;
      trees_.value[base_ + leaf->out] = value;
      for (int64_t i = leaf->begin; i < leaf->end; ++i) raw[work_.order[i] * stride] += value;
    }
    trees_.offsets.push_back(static_cast<int64_t>(trees_.feature.size()));
  }

 private:
  int64_t add_output_node() {
    trees_.feature.push_back(0);
    trees_.threshold.push_back(0);
    trees_.left.push_back(-1);
    trees_.right.push_back(-1);
    trees_.value.push_back(0);
    trees_.missing_left.push_back(0);
    return static_cast<int64_t>(trees_.feature.size()) - base_ - 1;
  }

  static bool by_gain(const std::unique_ptr<Node>& a, const std::unique_ptr<Node>& b) {
    return a->split.gain < b->split.gain;
  }

  // A node whose children could improve the loss goes to `open`, any other becomes a leaf.
  void consider(std::unique_ptr<Node> node, std::vector<std::unique_ptr<Node>>& open,
                std::vector<std::unique_ptr<Node>>& leaves) {
    bool too_deep = options_.max_depth && node->depth >= *options_.max_depth;
    if (!too_deep && node->count() >= 2 * options_.min_samples_leaf) find_split(*node);
    if (node->split.feature >= 0) {
      open.push_back(std::move(node));
      std::push_heap(open.begin(), open.end(), by_gain);
    } else {
      release(node->hist);
      leaves.push_back(std::move(node));
    }
  }

  // Buffers are reused from node to node and tree to tree (a fit grows its trees one after
  // another on one thread): fresh ones would cost page faults in every node.
  struct Workspace {
    std::vector<std::vector<Bin>> pool;  // free histograms
    std::vector<Bin> scratch;            // a second thread's partial histogram
    std::vector<int64_t> order, buffer;  // rows, grouped by node
  };
  static thread_local Workspace work_;

  std::vector<Bin> acquire() {
    auto& pool = work_.pool;
    if (!pool.empty() && pool.back().size() != static_cast<size_t>(n_bins_)) pool.clear();  // another fit
    if (pool.empty()) return std::vector<Bin>(n_bins_);
    std::vector<Bin> hist = std::move(pool.back());
    pool.pop_back();
    std::fill(hist.begin(), hist.end(), Bin{});
    return hist;
  }
  void release(std::vector<Bin>& hist) {
    if (!hist.empty()) work_.pool.push_back(std::move(hist));
    hist.clear();
  }

  // Adds rows[begin, end) to hist: each row's codes are contiguous, so its gradient, hessian and
  // index are read once for all features.
  void accumulate(Bin* hist, const int64_t* rows, int64_t begin, int64_t end) const {
    const int64_t d = data_.d;
    const int64_t* offset = data_.bin_offset.data();
    for (int64_t i = begin; i < end; ++i) {
      int64_t row = rows[i];
      const uint8_t* codes = data_.codes.data() + row * d;
      double g = g_[row], h = h_ ? h_[row] : 0.0;
      for (int64_t f = 0; f < d; ++f) {
        Bin& b = hist[offset[f] + codes[f]];
        b.g += g;
        b.h += h;
        ++b.count;
      }
    }
  }

  void build_histogram(Node& node) {
    node.hist = acquire();
    const int64_t* rows = work_.order.data() + node.begin;
    int64_t count = node.count();
    // Two halves summed on two threads into two histograms, for the few big nodes of a tree (a
    // parallel region per node would cost more than it saves).
    bool split_work = count * data_.d > 1000000 && get_num_threads() > 1;
    if (!split_work) return accumulate(node.hist.data(), rows, 0, count);
    work_.scratch.assign(n_bins_, Bin{});
    Bin* scratch = work_.scratch.data();
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
      accumulate(node.hist.data(), rows, 0, count / 2);
#pragma omp section
      accumulate(scratch, rows, count / 2, count);
    }
    for (int64_t b = 0; b < n_bins_; ++b) {
      node.hist[b].g += scratch[b].g;
      node.hist[b].h += scratch[b].h;
      node.hist[b].count += scratch[b].count;
    }
  }

  // The best split of each feature, scanning its bins left to right (NaN goes right) and, when
  // the feature has NaN, right to left (NaN goes left); the first feature wins ties. Serial: it
  // reads the histogram only (microseconds), less than a parallel region costs.
  void find_split(Node& node) {
    for (int64_t f = 0; f < data_.d; ++f) {
      Split s = best_split_of(node, f);
      if (s.feature >= 0 && s.gain > node.split.gain) node.split = s;
    }
  }

  // scikit-learn's node value -G / (H + l2 + 1e-15) and the loss G * value it is scored by.
  double node_value(double g, double h) const { return -g / (h + options_.l2_regularization + 1e-15); }
  double leaf_loss(double g, double h) const { return g * node_value(g, h); }

  Split best_split_of(const Node& node, int64_t f) const {
    const Bin* hist = node.hist.data() + data_.bin_offset[f];
    int n_non_missing = static_cast<int>(data_.thresholds[f].size()) + 1;
    bool missing = data_.has_missing[f];
    double parent = leaf_loss(node.g, node.h);
    int64_t n = node.count(), min_leaf = options_.min_samples_leaf;
    Split best;
    auto consider_split = [&](int bin, bool missing_left, double gl, double hl, int64_t nl) {
      double gr = node.g - gl, hr = node.h - hl;
      int64_t nr = n - nl;
      if (nl < min_leaf || nr < min_leaf || hl < kMinHessian || hr < kMinHessian) return;
      double gain = parent - leaf_loss(gl, hl) - leaf_loss(gr, hr);
      if (gain > best.gain && gain > 0) best = {gain, f, bin, missing_left, gl, hl, nl};
    };
    auto hess = [&](const Bin& b) { return h_ ? b.h : static_cast<double>(b.count); };
    double gl = 0, hl = 0;
    int64_t nl = 0;
    for (int bin = 0; bin < n_non_missing - 1 + (missing ? 1 : 0); ++bin) {
      gl += hist[bin].g;
      hl += hess(hist[bin]);
      nl += hist[bin].count;
      consider_split(bin, false, gl, hl, nl);
    }
    if (missing) {  // right to left: the right child takes bins above `bin`, NaN goes left
      double gr = 0, hr = 0;
      int64_t nr = 0;
      for (int bin = n_non_missing - 2; bin >= 0; --bin) {
        gr += hist[bin + 1].g;
        hr += hess(hist[bin + 1]);
        nr += hist[bin + 1].count;
        consider_split(bin, true, node.g - gr, node.h - hr, n - nr);
      }
    }
    return best;
  }

  bool goes_left(const Split& s, int64_t row) const {
    uint8_t code = data_.codes[row * data_.d + s.feature];
    if (code == data_.missing_code(s.feature)) return s.missing_left;
    return code <= s.bin;
  }

  std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>> split(Node& node) {
    const Split& s = node.split;
    // Stable partition of the node's rows: left rows first.
    auto& order = work_.order;
    int64_t left_end = node.begin, right_at = 0;
    for (int64_t i = node.begin; i < node.end; ++i) {
      int64_t row = order[i];
      if (goes_left(s, row)) order[left_end++] = row;
      else work_.buffer[right_at++] = row;
    }
    std::copy(work_.buffer.begin(), work_.buffer.begin() + right_at, order.begin() + left_end);

    auto left = std::make_unique<Node>(), right = std::make_unique<Node>();
    left->begin = node.begin;
    left->end = right->begin = left_end;
    right->end = node.end;
    left->depth = right->depth = node.depth + 1;
    left->g = s.g_left;
    left->h = s.h_left;
    right->g = node.g - s.g_left;
    right->h = node.h - s.h_left;
    left->out = add_output_node();
    right->out = add_output_node();
    int64_t at = base_ + node.out;
    trees_.feature[at] = s.feature;
    const auto& thresholds = data_.thresholds[s.feature];
    trees_.threshold[at] = s.bin < static_cast<int>(thresholds.size()) ? thresholds[s.bin] : kInf;
    trees_.missing_left[at] = s.missing_left;
    trees_.left[at] = left->out;
    trees_.right[at] = right->out;

    // The smaller child's histogram is summed; the larger one's is the parent's minus it.
    Node& small = left->count() <= right->count() ? *left : *right;
    Node& large = &small == left.get() ? *right : *left;
    build_histogram(small);
    large.hist = std::move(node.hist);
    for (size_t b = 0; b < large.hist.size(); ++b) {
      large.hist[b].g -= small.hist[b].g;
      large.hist[b].h -= small.hist[b].h;
      large.hist[b].count -= small.hist[b].count;
    }
    return {std::move(left), std::move(right)};
  }

  static constexpr double kMinHessian = 1e-3;  // scikit-learn's min_hessian_to_split
  const BinnedData& data_;
  const float* g_;
  const float* h_;
  const GrowerOptions& options_;
  TreeArrays& trees_;
  int64_t n_bins_;
  int64_t base_ = 0;  // the tree's first node in trees_
};

thread_local Grower::Workspace Grower::work_;

// The leaf of tree t that row x reaches.
double tree_value(const int64_t* feature, const double* threshold, const int64_t* left, const int64_t* right,
                  const double* value, const uint8_t* missing_left, int64_t base, const double* x) {
  int64_t node = 0;
  while (left[base + node] >= 0) {
    int64_t at = base + node;
    double v = x[feature[at]];
    bool go_left = std::isnan(v) ? missing_left[at] != 0 : v <= threshold[at];
    node = go_left ? left[at] : right[at];
  }
  return value[base + node];
}

}  // namespace

BinnedData bin_features(const double* X, int64_t d, const std::vector<int64_t>& rows, int max_bins) {
  BinnedData out;
  int64_t n = static_cast<int64_t>(rows.size());
  out.n = n;
  out.d = d;
  out.thresholds.resize(d);
  out.has_missing.assign(d, 0);
  // Column by column (a row-major column read would touch a cache line per value), then the
  // codes are laid out row-major.
  // Uninitialized (every entry is written): zeroing 8 n d bytes first would cost as much again.
  std::unique_ptr<double[]> columns(new double[n * d]);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t f = 0; f < d; ++f) columns[f * n + i] = X[rows[i] * d + f];
  std::unique_ptr<uint8_t[]> column_codes(new uint8_t[n * d]);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t f = 0; f < d; ++f) {
    const double* column = columns.get() + f * n;
    std::vector<double> values;
    values.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(column[i])) out.has_missing[f] = 1;
      else values.push_back(column[i]);
    }
    out.thresholds[f] = find_thresholds(std::move(values), max_bins);
    for (int64_t i = 0; i < n; ++i) column_codes[f * n + i] = bin_of(column[i], out.thresholds[f]);
  }
  out.codes.resize(n * d);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t f = 0; f < d; ++f) out.codes[i * d + f] = column_codes[f * n + i];
  out.bin_offset.assign(d + 1, 0);
  for (int64_t f = 0; f < d; ++f) out.bin_offset[f + 1] = out.bin_offset[f] + out.thresholds[f].size() + 2;
  return out;
}

void grow_tree(const BinnedData& data, const float* g, const float* h, const GrowerOptions& options,
               TreeArrays& trees, double* raw, int64_t stride) {
  Grower(data, g, h, options, trees).grow(raw, stride);
}

void add_tree_predictions(const TreeArrays& trees, int64_t t, const double* X, int64_t n, int64_t d, double* raw,
                          int64_t stride) {
  int64_t base = trees.offsets[t];
#pragma omp parallel for schedule(static) if (n > 2000)
  for (int64_t i = 0; i < n; ++i)
    raw[i * stride] += tree_value(trees.feature.data(), trees.threshold.data(), trees.left.data(), trees.right.data(),
                                  trees.value.data(), trees.missing_left.data(), base, X + i * d);
}

Tensor predict_raw(const BoostedTrees& trees, const Tensor& X) {
  int64_t n = X.size(0), d = X.size(1), k = trees.baseline_prediction_.size(0);
  int64_t n_trees = trees.tree_offsets_.size(0) - 1;
  const double* x = X.data<double>();
  const double* baseline = trees.baseline_prediction_.data<double>();
  const int64_t* offsets = trees.tree_offsets_.data<int64_t>();
  const int64_t* feature = trees.node_feature_.data<int64_t>();
  const int64_t* left = trees.node_left_.data<int64_t>();
  const int64_t* right = trees.node_right_.data<int64_t>();
  const double* threshold = trees.node_threshold_.data<double>();
  const double* value = trees.node_value_.data<double>();
  const uint8_t* missing_left = trees.node_missing_left_.data<uint8_t>();
  Tensor out = empty({n, k}, kFloat64);
  double* raw = out.data<double>();
#pragma omp parallel for schedule(static) if (n * n_trees > 20000)
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < k; ++c) raw[i * k + c] = baseline[c];
    for (int64_t t = 0; t < n_trees; ++t)
      raw[i * k + t % k] += tree_value(feature, threshold, left, right, value, missing_left, offsets[t], x + i * d);
  }
  return out;
}

BoostedTrees to_tensors(const TreeArrays& trees, const std::vector<double>& baseline) {
  int64_t n = static_cast<int64_t>(trees.feature.size());
  BoostedTrees out;
  out.baseline_prediction_ = from_vector(baseline);
  out.tree_offsets_ = from_vector(trees.offsets);
  out.node_feature_ = from_vector(trees.feature, {n});
  out.node_threshold_ = from_vector(trees.threshold, {n});
  out.node_left_ = from_vector(trees.left, {n});
  out.node_right_ = from_vector(trees.right, {n});
  out.node_value_ = from_vector(trees.value, {n});
  out.node_missing_left_ = from_vector(trees.missing_left, {n});
  return out;
}

void check_boosted_trees(const BoostedTrees& t, int64_t n_features, int64_t k, std::string_view who) {
  SOMA_CHECK(t.baseline_prediction_.dtype() == kFloat64 && t.baseline_prediction_.shape() == Shape({k}),
             "{}: baseline_prediction_ must be float64 [{}]", who, k);
  SOMA_CHECK(t.tree_offsets_.dtype() == kInt64 && t.tree_offsets_.dim() == 1 && t.tree_offsets_.size(0) >= 1 &&
                 (t.tree_offsets_.size(0) - 1) % k == 0,
             "{}: tree_offsets_ must be int64 [n_trees + 1] with n_trees a multiple of {}", who, k);
  int64_t n = t.node_feature_.defined() ? t.node_feature_.numel() : -1;
  for (const Tensor* a : {&t.node_feature_, &t.node_left_, &t.node_right_})
    SOMA_CHECK(a->dtype() == kInt64 && a->shape() == Shape({n}), "{}: node arrays must be int64 [n_nodes]", who);
  for (const Tensor* a : {&t.node_threshold_, &t.node_value_})
    SOMA_CHECK(a->dtype() == kFloat64 && a->shape() == Shape({n}), "{}: node arrays must be float64 [n_nodes]", who);
  SOMA_CHECK(t.node_missing_left_.dtype() == kUInt8 && t.node_missing_left_.shape() == Shape({n}),
             "{}: node_missing_left_ must be uint8 [n_nodes]", who);
  std::vector<int64_t> offsets = t.tree_offsets_.to_vector<int64_t>();
  SOMA_CHECK(offsets.front() == 0 && offsets.back() == n, "{}: tree_offsets_ must run from 0 to {}", who, n);
  const int64_t* feature = t.node_feature_.data<int64_t>();
  const int64_t* left = t.node_left_.data<int64_t>();
  const int64_t* right = t.node_right_.data<int64_t>();
  for (size_t tree = 0; tree + 1 < offsets.size(); ++tree) {
    int64_t base = offsets[tree], size = offsets[tree + 1] - base;
    SOMA_CHECK(size >= 1, "{}: tree {} has no nodes", who, tree);
    for (int64_t i = 0; i < size; ++i) {
      int64_t at = base + i;
      if (left[at] < 0) continue;
      // Children after their parent and inside the tree: every walk from the root ends.
      SOMA_CHECK(left[at] > i && left[at] < size && right[at] > i && right[at] < size,
                 "{}: tree {} node {} has children {} and {} (expected indices in ({}, {}))", who, tree, i, left[at],
                 right[at], i, size);
      SOMA_CHECK(feature[at] >= 0 && feature[at] < n_features, "{}: tree {} node {} splits on feature {} of {}", who,
                 tree, i, feature[at], n_features);
    }
  }
}

}  // namespace soma::ml::detail
