// Growing, pruning and checking decision trees (see tree_builder.h).
#include "tree_builder.h"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <queue>

#include "soma/error.h"

namespace soma::ml::detail {
namespace {

// scikit-learn's constants: values closer than this are one value; impurities below this are 0.
constexpr double kFeatureThreshold = 1e-7;
constexpr double kEpsilon = DBL_EPSILON;
constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

// Order-preserving map of float32 to uint32 (negative values flipped) and back.
inline uint32_t float_key(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
inline float key_float(uint32_t k) {
  uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Sorts items (key << 32 | row) by key: LSD radix over the low key bytes in which the smallest
// and largest keys differ (every key between them shares the higher bytes); std::sort for short
// ranges. Returns the buffer holding the result.
uint64_t* sort_by_key(uint64_t* items, uint64_t* scratch, int64_t m, uint32_t min_key, uint32_t max_key) {
  if (m < 32) {
    std::sort(items, items + m);
    return items;
  }
  int passes = (32 - std::countl_zero(min_key ^ max_key) + 7) / 8;
  uint32_t counts[4][256];
  std::memset(counts, 0, sizeof(counts[0]) * passes);
  for (int64_t i = 0; i < m; ++i) {
    uint32_t key = static_cast<uint32_t>(items[i] >> 32);
    for (int pass = 0; pass < passes; ++pass) ++counts[pass][(key >> (8 * pass)) & 255];
  }
  uint64_t* from = items;
  uint64_t* to = scratch;
  for (int pass = 0; pass < passes; ++pass) {
    uint32_t* count = counts[pass];
    int shift = 32 + 8 * pass;
    if (count[(from[0] >> shift) & 255] == static_cast<uint32_t>(m)) continue;  // one bucket: nothing to do
    uint32_t offset[256];
    uint32_t sum = 0;
    for (int b = 0; b < 256; ++b) offset[b] = sum, sum += count[b];
    for (int64_t i = 0; i < m; ++i) to[offset[(from[i] >> shift) & 255]++] = from[i];
    std::swap(from, to);
  }
  return from;
}

// x, rounded to a double here: keeps the compiler from fusing the product that made x with
// the sum that uses it (a fused multiply-add rounds once), so that split scores round as
// scikit-learn's (built without fused multiply-adds) do and equally good splits tie the same
// way.
inline double rounded(double x) {
#if defined(__GNUC__)
  asm("" : "+g"(x));
#endif
  return x;
}

inline double x_log_x(double x) { return x > 0 ? x * std::log(x) : 0.0; }

// ---- Split criteria. Each keeps the node's totals and the left side's running statistics as
// rows move from right to left (add), and scores a split by a proxy that orders splits as the
// impurity decrease does. ----

struct ScanBase {
  const double* y;
  const double* w;
  double wn = 0, wl = 0, wr = 0;
};

template <Criterion C>
struct ClassScan : ScanBase {
  const int32_t* codes = nullptr;  // y as int32 class codes, cheaper to index with than doubles
  int64_t k = 0;
  std::vector<double> total, left;
  double parent_entropy = 0;  // bits; for the gain ratio
  double sq_l = 0, sq_r = 0;  // Gini: sums of squared class weights
  double xl_l = 0, xl_r = 0;  // entropy: sums of c ln c
  void init(const int32_t* rows, int64_t m) {
    std::fill(total.begin(), total.end(), 0.0);
    wn = 0;
    for (int64_t i = 0; i < m; ++i) total[static_cast<int64_t>(y[rows[i]])] += w[rows[i]], wn += w[rows[i]];
    parent_entropy = 0;
    for (double c : total)
      if (c > 0) parent_entropy -= (c / wn) * std::log2(c / wn);
  }
  void reset() {
    std::fill(left.begin(), left.end(), 0.0);
    wl = 0, wr = wn, sq_l = 0, sq_r = 0, xl_l = 0, xl_r = 0;
    for (double c : total) sq_r += c * c, xl_r += x_log_x(c);
  }
  void add(int32_t row) {
    int32_t c = codes[row];
    double weight = w[row], cl = left[c], cr = total[c] - cl;
    if constexpr (C == Criterion::kGini) {
      sq_l += weight * (2 * cl + weight);
      sq_r += weight * (weight - 2 * cr);
    } else {
      xl_l += x_log_x(cl + weight) - x_log_x(cl);
      xl_r += x_log_x(cr - weight) - x_log_x(cr);
    }
    left[c] = cl + weight;
    wl += weight, wr -= weight;
  }
  // One side's entropy in bits, summed as scikit-learn's Entropy.children_impurity does.
  double entropy(double side_weight, bool right) const {
    double h = 0;
    for (int64_t c = 0; c < k; ++c) {
      double count = right ? total[c] - left[c] : left[c];
      if (count <= 0) continue;
      count /= side_weight;
      h -= rounded(count * (std::log(count) / std::numbers::ln2));
    }
    return h;
  }
  double proxy() const {
    // scikit-learn's own expression, so that equally good splits (integer class weights give
    // exact sums) compare the same and the same one wins.
    if constexpr (C == Criterion::kGini)
      return -rounded(wr * (1.0 - sq_r / (wr * wr))) - rounded(wl * (1.0 - sq_l / (wl * wl)));
    // scikit-learn's expression too (O(n_classes) per candidate split).
    if constexpr (C == Criterion::kEntropy) return -rounded(wr * entropy(wr, true)) - rounded(wl * entropy(wl, false));
    // -(wl * H_left + wr * H_right) in nats.
    double weighted = xl_l - x_log_x(wl) + xl_r - x_log_x(wr);
    // C4.5's gain ratio: the information gain over the split's own entropy.
    double pl = wl / wn, pr = wr / wn;
    double gain = parent_entropy + weighted / (wn * std::numbers::ln2);
    double split_info = -(pl * std::log2(pl) + pr * std::log2(pr));
    return gain / split_info;
  }
};

template <Criterion C>
struct MeanScan : ScanBase {
  double sum = 0, sl = 0;
  void init(const int32_t* rows, int64_t m) {
    wn = 0, sum = 0;
    for (int64_t i = 0; i < m; ++i) wn += w[rows[i]], sum += w[rows[i]] * y[rows[i]];
  }
  void reset() { wl = 0, wr = wn, sl = 0; }
  void add(int32_t row) {
    sl += w[row] * y[row];
    wl += w[row], wr -= w[row];
  }
  double proxy() const {
    double sr = sum - sl;
    if constexpr (C == Criterion::kSquaredError) return sl * sl / wl + sr * sr / wr;
    double diff = wr * sl - wl * sr;  // Friedman's improvement, up to constants
    return diff * diff / (wl * wr);
  }
};

// Absolute error: each side's weighted median and absolute deviation from Fenwick trees over
// the ranks of the node's targets, O(log m) per row moved.
struct MedianScan : ScanBase {
  std::vector<int32_t> rank;  // [n_samples]: the row's rank among the node's targets
  std::vector<double> sorted_y;
  std::vector<double> wl_tree, sl_tree, wr_tree, sr_tree;  // Fenwick trees of weight and weight*y
  double sum = 0, sl = 0;
  int64_t m = 0;
  std::vector<std::pair<double, int32_t>> order;
  void init(const int32_t* rows, int64_t count) {
    m = count;
    order.resize(m);
    for (int64_t i = 0; i < m; ++i) order[i] = {y[rows[i]], rows[i]};
    std::sort(order.begin(), order.end());
    sorted_y.resize(m);
    wn = 0, sum = 0;
    for (int64_t i = 0; i < m; ++i) {
      sorted_y[i] = order[i].first;
      rank[order[i].second] = static_cast<int32_t>(i);
      wn += w[order[i].second], sum += w[order[i].second] * order[i].first;
    }
    for (auto* t : {&wl_tree, &sl_tree, &wr_tree, &sr_tree}) t->resize(m + 1);
  }
  void reset() {
    wl = 0, wr = wn, sl = 0;
    std::fill(wl_tree.begin(), wl_tree.end(), 0.0);
    std::fill(sl_tree.begin(), sl_tree.end(), 0.0);
    // Linear-time Fenwick build of the right side (all rows).
    std::fill(wr_tree.begin(), wr_tree.end(), 0.0);
    std::fill(sr_tree.begin(), sr_tree.end(), 0.0);
    for (int64_t i = 1; i <= m; ++i) {
      double weight = w[order[i - 1].second];
      wr_tree[i] += weight, sr_tree[i] += weight * sorted_y[i - 1];
      int64_t parent = i + (i & -i);
      if (parent <= m) wr_tree[parent] += wr_tree[i], sr_tree[parent] += sr_tree[i];
    }
  }
  static void bump(std::vector<double>& tree, int64_t i, double delta) {
    for (++i; i < static_cast<int64_t>(tree.size()); i += i & -i) tree[i] += delta;
  }
  void add(int32_t row) {
    int64_t r = rank[row];
    double weight = w[row], wy = weight * y[row];
    bump(wl_tree, r, weight), bump(sl_tree, r, wy);
    bump(wr_tree, r, -weight), bump(sr_tree, r, -wy);
    wl += weight, wr -= weight, sl += wy;
  }
  // Sum of weight * |y - median| over one side: the median is the first rank whose prefix
  // weight reaches half the side's weight.
  double deviation(const std::vector<double>& wt, const std::vector<double>& st, double side_w, double side_s) const {
    int64_t pos = 0;
    double below_w = 0, below_s = 0;
    int64_t step = 1;
    while (step * 2 <= m) step *= 2;
    for (; step > 0; step /= 2)
      if (pos + step <= m && below_w + wt[pos + step] < side_w / 2) {
        pos += step;
        below_w += wt[pos], below_s += st[pos];
      }
    double median = sorted_y[std::min<int64_t>(pos, m - 1)];
    return median * below_w - below_s + (side_s - below_s) - median * (side_w - below_w);
  }
  double proxy() const { return -(deviation(wl_tree, sl_tree, wl, sl) + deviation(wr_tree, sr_tree, wr, sum - sl)); }
};

struct Split {
  int64_t feature = -1;
  double threshold = 0;
  int64_t pos = -1;  // first row of the right child; -1: no valid split
  double proxy = kMinusInf;
};

// What a node passes to its children when grown depth first.
struct Pending {
  int64_t start, end, depth, parent;
  bool is_left;
  int64_t n_constants;
};

// A split node waiting in the best-first frontier.
struct FrontierEntry {
  int64_t node, start, end, pos, depth;
  bool is_leaf;
  double improvement;
  bool operator<(const FrontierEntry& other) const { return improvement < other.improvement; }
};

template <class Scan>
class Grower {
 public:
  Grower(const TreeData& data, const std::vector<double>& weight, const TreeSettings& settings)
      : data_(data), settings_(settings), rng_(settings.seed) {
    int64_t n = data.n_samples, d = data.n_features;
    weight_ = weight.empty() ? std::vector<double>(n, 1.0) : weight;
    for (int64_t i = 0; i < n; ++i)
      if (weight_[i] != 0) rows_.push_back(static_cast<int32_t>(i));
    SOMA_CHECK(!rows_.empty(), "DecisionTree.fit: every sample has weight 0");
    for (int64_t i = 0; i < n; ++i) total_weight_ += weight_[i];
    features_.resize(d);
    for (int64_t f = 0; f < d; ++f) features_[f] = f;
    constant_features_.assign(d, 0);
    keys_.resize(rows_.size());
    scratch_.resize(rows_.size());
    scan_.y = data.y;
    scan_.w = weight_.data();
    if constexpr (requires { scan_.total; }) {
      codes_.assign(data.y, data.y + n);
      scan_.codes = codes_.data();
      scan_.k = data.n_classes;
      scan_.total.assign(data.n_classes, 0.0);
      scan_.left.assign(data.n_classes, 0.0);
    }
    if constexpr (requires { scan_.rank; }) scan_.rank.assign(n, 0);
    tree_.value_width = is_classification(settings.criterion) ? data.n_classes : 1;
    stats_.resize(tree_.value_width);
  }

  TreeNodes grow() {
    int64_t m = static_cast<int64_t>(rows_.size());
    if (settings_.max_leaf_nodes > 0)
      grow_best_first(m);
    else
      grow_depth_first(m);
    return std::move(tree_);
  }

 private:
  void grow_depth_first(int64_t m) {
    std::vector<Pending> stack{{0, m, 0, -1, false, 0}};
    while (!stack.empty()) {
      Pending r = stack.back();
      stack.pop_back();
      int64_t node = add_node(r.parent, r.is_left, r.start, r.end);
      int64_t n_constants = r.n_constants;
      Split split = try_split(node, r.start, r.end, r.depth, n_constants);
      if (split.pos < 0) continue;
      stack.push_back({split.pos, r.end, r.depth + 1, node, false, n_constants});
      stack.push_back({r.start, split.pos, r.depth + 1, node, true, n_constants});
    }
  }

  // scikit-learn's BestFirstTreeBuilder: split the frontier node with the largest impurity
  // improvement until max_leaf_nodes leaves.
  void grow_best_first(int64_t m) {
    std::priority_queue<FrontierEntry> frontier;
    frontier.push(add_split_node(-1, false, 0, m, 0));
    int64_t splits_left = settings_.max_leaf_nodes - 1;
    while (!frontier.empty()) {
      FrontierEntry e = frontier.top();
      frontier.pop();
      if (e.is_leaf || splits_left <= 0) {
        make_leaf(e.node);
        continue;
      }
      --splits_left;
      frontier.push(add_split_node(e.node, true, e.start, e.pos, e.depth + 1));
      frontier.push(add_split_node(e.node, false, e.pos, e.end, e.depth + 1));
    }
  }

  FrontierEntry add_split_node(int64_t parent, bool is_left, int64_t start, int64_t end, int64_t depth) {
    int64_t node = add_node(parent, is_left, start, end);
    int64_t n_constants = 0;  // as scikit-learn: no constant features carried in best-first order
    Split split = try_split(node, start, end, depth, n_constants);
    return {node, start, end, split.pos, depth, split.pos < 0, split.pos < 0 ? 0.0 : last_improvement_};
  }

  // Appends a leaf for rows_[start, end) with its statistics; links it to its parent.
  int64_t add_node(int64_t parent, bool is_left, int64_t start, int64_t end) {
    int64_t node = tree_.node_count();
    if (parent >= 0) (is_left ? tree_.left : tree_.right)[parent] = node;
    double weight = 0;
    double impurity = node_statistics(start, end, stats_.data(), weight);
    tree_.left.push_back(TreeNodes::kLeaf);
    tree_.right.push_back(TreeNodes::kLeaf);
    tree_.feature.push_back(TreeNodes::kUndefined);
    tree_.threshold.push_back(TreeNodes::kUndefined);
    tree_.impurity.push_back(impurity);
    tree_.n_samples.push_back(end - start);
    tree_.weighted_n_samples.push_back(weight);
    tree_.value.insert(tree_.value.end(), stats_.begin(), stats_.end());
    return node;
  }

  void make_leaf(int64_t node) {
    tree_.left[node] = tree_.right[node] = TreeNodes::kLeaf;
    tree_.feature[node] = TreeNodes::kUndefined;
    tree_.threshold[node] = TreeNodes::kUndefined;
  }

  // Decides whether `node` splits; if so partitions its rows, records the split and returns it
  // (pos < 0: the node stays a leaf).
  Split try_split(int64_t node, int64_t start, int64_t end, int64_t depth, int64_t& n_constants) {
    int64_t m = end - start;
    double wn = tree_.weighted_n_samples[node], impurity = tree_.impurity[node];
    if (depth >= settings_.max_depth || m < settings_.min_samples_split || m < 2 * settings_.min_samples_leaf ||
        wn < 2 * settings_.min_weight_leaf || impurity <= kEpsilon)
      return {};
    Split split = find_split(start, end, n_constants);
    if (split.pos < 0) return {};
    partition(split, start, end);
    double wl = 0, wr = 0;
    double impurity_left = node_statistics(start, split.pos, stats_.data(), wl);
    double impurity_right = node_statistics(split.pos, end, stats_.data(), wr);
    last_improvement_ = improvement(wn, impurity, wl, impurity_left, wr, impurity_right, start, split.pos, end);
    if (last_improvement_ + kEpsilon < settings_.min_impurity_decrease) return {};
    tree_.feature[node] = split.feature;
    tree_.threshold[node] = split.threshold;
    return split;
  }

  double improvement(double wn, double impurity, double wl, double impurity_left, double wr, double impurity_right,
                     int64_t start, int64_t pos, int64_t end) const {
    if (settings_.criterion == Criterion::kFriedmanMse) {
      double sl = 0, sr = 0;
      for (int64_t i = start; i < pos; ++i) sl += weight_[rows_[i]] * data_.y[rows_[i]];
      for (int64_t i = pos; i < end; ++i) sr += weight_[rows_[i]] * data_.y[rows_[i]];
      double diff = wr * sl - wl * sr;
      return diff * diff / (wl * wr * wn);
    }
    return wn / total_weight_ * (impurity - wl / wn * impurity_left - wr / wn * impurity_right);
  }

  // Weighted count, value (class weights or prediction) and impurity of rows_[start, end).
  double node_statistics(int64_t start, int64_t end, double* value, double& weight) {
    weight = 0;
    const double* y = data_.y;
    if (is_classification(settings_.criterion)) {
      int64_t k = data_.n_classes;
      std::fill(value, value + k, 0.0);
      for (int64_t i = start; i < end; ++i) value[static_cast<int64_t>(y[rows_[i]])] += weight_[rows_[i]];
      for (int64_t c = 0; c < k; ++c) weight += value[c];
      double impurity = settings_.criterion == Criterion::kGini ? 1.0 : 0.0;
      for (int64_t c = 0; c < k; ++c) {
        double p = value[c] / weight;
        if (settings_.criterion == Criterion::kGini)
          impurity -= p * p;
        else if (p > 0)
          impurity -= p * std::log2(p);
      }
      return impurity;
    }
    if (settings_.criterion == Criterion::kAbsoluteError) return median_statistics(start, end, value, weight);
    double sum = 0;
    for (int64_t i = start; i < end; ++i) weight += weight_[rows_[i]], sum += weight_[rows_[i]] * y[rows_[i]];
    double mean = sum / weight, squares = 0;
    for (int64_t i = start; i < end; ++i) squares += weight_[rows_[i]] * (y[rows_[i]] - mean) * (y[rows_[i]] - mean);
    value[0] = mean;
    return squares / weight;
  }

  // The weighted median as scikit-learn's WeightedMedianCalculator (the mean of the two middle
  // values when the weight splits exactly in half) and the mean absolute deviation from it.
  double median_statistics(int64_t start, int64_t end, double* value, double& weight) {
    pairs_.clear();
    for (int64_t i = start; i < end; ++i)
      pairs_.push_back({data_.y[rows_[i]], weight_[rows_[i]]}), weight += weight_[rows_[i]];
    std::sort(pairs_.begin(), pairs_.end());
    double cumulative = 0;
    size_t k = 0;
    while (k < pairs_.size() && cumulative < weight / 2) cumulative += pairs_[k++].second;
    double median = pairs_[k - 1].first;
    if (cumulative == weight / 2 && k < pairs_.size()) median = (pairs_[k - 1].first + pairs_[k].first) / 2;
    double deviation = 0;
    for (const auto& [v, w] : pairs_) deviation += w * std::fabs(v - median);
    value[0] = median;
    return deviation / weight;
  }

  // scikit-learn's feature sampling: draw features without replacement until max_features
  // non-constant ones were evaluated; constant features found are skipped in the subtree.
  Split find_split(int64_t start, int64_t end, int64_t& n_constants) {
    int64_t d = data_.n_features;
    int64_t n_known = n_constants, n_total = n_known, n_found = 0, n_drawn = 0, n_visited = 0;
    int64_t f_i = d;
    scan_.init(rows_.data() + start, end - start);
    Split best;
    while (f_i > n_total && (n_visited < settings_.max_features || n_visited <= n_found + n_drawn)) {
      ++n_visited;
      int64_t f_j = rng_.rand_int(n_drawn, f_i - n_found);
      if (f_j < n_known) {
        std::swap(features_[n_drawn], features_[f_j]);
        ++n_drawn;
        continue;
      }
      f_j += n_found;
      int64_t feature = features_[f_j];
      bool constant = settings_.random_splitter ? !evaluate_random(feature, start, end, best)
                                                : !evaluate_sorted(feature, start, end, best);
      if (constant) {
        std::swap(features_[f_j], features_[n_total]);
        ++n_found, ++n_total;
        continue;
      }
      --f_i;
      std::swap(features_[f_i], features_[f_j]);
    }
    std::copy(constant_features_.begin(), constant_features_.begin() + n_known, features_.begin());
    std::copy(features_.begin() + n_known, features_.begin() + n_total, constant_features_.begin() + n_known);
    n_constants = n_total;
    return best;
  }

  // The best threshold of `feature` over the node's sorted values; false if it is constant.
  bool evaluate_sorted(int64_t feature, int64_t start, int64_t end, Split& best) {
    int64_t m = end - start;
    uint64_t* keys = keys_.data();
    const uint32_t* ranks = data_.ranks + feature * data_.n_samples;
    const float* distinct = data_.distinct + data_.distinct_start[feature];
    uint32_t min_rank = UINT32_MAX, max_rank = 0;
    for (int64_t i = 0; i < m; ++i) {
      uint32_t row = static_cast<uint32_t>(rows_[start + i]);
      uint32_t rank = ranks[row];
      min_rank = std::min(min_rank, rank), max_rank = std::max(max_rank, rank);
      keys[i] = (static_cast<uint64_t>(rank) << 32) | row;
    }
    if (distinct[max_rank] <= distinct[min_rank] + kFeatureThreshold) return false;  // constant: no need to sort
    keys = sort_by_key(keys, scratch_.data(), m, min_rank, max_rank);
    int64_t min_leaf = settings_.min_samples_leaf;
    double min_weight = settings_.min_weight_leaf;
    scan_.reset();
    float value = distinct[keys[0] >> 32], next;
    for (int64_t i = 0; i + 1 < m; ++i, value = next) {
      next = distinct[keys[i + 1] >> 32];
      scan_.add(static_cast<int32_t>(keys[i]));
      int64_t n_left = i + 1;
      if (next <= value + kFeatureThreshold || n_left < min_leaf) continue;
      if (m - n_left < min_leaf) break;
      if (scan_.wl < min_weight || scan_.wr < min_weight) continue;
      double proxy = scan_.proxy();
      if (proxy > best.proxy) {
        double threshold = value / 2.0 + next / 2.0;
        if (threshold == next || std::isinf(threshold)) threshold = value;
        best = {feature, threshold, start + n_left, proxy};
      }
    }
    return true;
  }

  // Extra-trees: one threshold drawn uniformly between the node's min and max of `feature`.
  bool evaluate_random(int64_t feature, int64_t start, int64_t end, Split& best) {
    const float* column = data_.columns + feature * data_.n_samples;
    float lo = column[rows_[start]], hi = lo;
    for (int64_t i = start + 1; i < end; ++i) lo = std::min(lo, column[rows_[i]]), hi = std::max(hi, column[rows_[i]]);
    if (hi <= lo + kFeatureThreshold) return false;
    double threshold = rng_.rand_uniform(lo, hi);
    if (threshold == hi) threshold = lo;
    scan_.reset();
    int64_t n_left = 0;
    for (int64_t i = start; i < end; ++i)
      if (static_cast<double>(column[rows_[i]]) <= threshold) scan_.add(rows_[i]), ++n_left;
    if (n_left < settings_.min_samples_leaf || end - start - n_left < settings_.min_samples_leaf) return true;
    if (scan_.wl < settings_.min_weight_leaf || scan_.wr < settings_.min_weight_leaf) return true;
    double proxy = scan_.proxy();
    if (proxy > best.proxy) best = {feature, threshold, start + n_left, proxy};
    return true;
  }

  void partition(const Split& split, int64_t start, int64_t end) {
    const float* column = data_.columns + split.feature * data_.n_samples;
    int32_t* mid = std::partition(rows_.data() + start, rows_.data() + end,
                                  [&](int32_t row) { return static_cast<double>(column[row]) <= split.threshold; });
    SOMA_CHECK(mid - rows_.data() == split.pos, "DecisionTree.fit: internal error: split partition mismatch");
  }

  const TreeData& data_;
  const TreeSettings& settings_;
  SplitterRandom rng_;
  std::vector<double> weight_;
  double total_weight_ = 0;
  std::vector<int32_t> rows_;   // the rows of weight > 0; each node owns a range
  std::vector<int32_t> codes_;  // classification: y as int32
  std::vector<int64_t> features_, constant_features_;
  std::vector<uint64_t> keys_, scratch_;
  std::vector<double> stats_;
  std::vector<std::pair<double, double>> pairs_;
  double last_improvement_ = 0;
  Scan scan_;
  TreeNodes tree_;
};

template <class Scan>
TreeNodes grow_with(const TreeData& data, const std::vector<double>& weight, const TreeSettings& settings) {
  return Grower<Scan>(data, weight, settings).grow();
}

}  // namespace

Criterion parse_criterion(std::string_view name) {
  if (name == "gini") return Criterion::kGini;
  if (name == "entropy" || name == "log_loss") return Criterion::kEntropy;
  if (name == "gain_ratio") return Criterion::kGainRatio;
  if (name == "squared_error") return Criterion::kSquaredError;
  if (name == "friedman_mse") return Criterion::kFriedmanMse;
  if (name == "absolute_error") return Criterion::kAbsoluteError;
  SOMA_FAIL("unknown tree criterion '{}'", name);
}

int64_t TreeNodes::max_depth() const {
  std::vector<int64_t> depth(node_count(), 0);
  int64_t deepest = 0;
  for (int64_t i = 0; i < node_count(); ++i) {
    deepest = std::max(deepest, depth[i]);
    if (!is_leaf(i)) depth[left[i]] = depth[right[i]] = depth[i] + 1;
  }
  return deepest;
}

int64_t TreeNodes::n_leaves() const {
  int64_t count = 0;
  for (int64_t i = 0; i < node_count(); ++i) count += is_leaf(i);
  return count;
}

TreeNodes grow_tree(const TreeData& data, const std::vector<double>& sample_weight, const TreeSettings& settings) {
  SOMA_CHECK(data.n_samples < INT32_MAX, "DecisionTree.fit: at most {} samples are supported", INT32_MAX - 1);
  switch (settings.criterion) {
    case Criterion::kGini:
      return grow_with<ClassScan<Criterion::kGini>>(data, sample_weight, settings);
    case Criterion::kEntropy:
      return grow_with<ClassScan<Criterion::kEntropy>>(data, sample_weight, settings);
    case Criterion::kGainRatio:
      return grow_with<ClassScan<Criterion::kGainRatio>>(data, sample_weight, settings);
    case Criterion::kSquaredError:
      return grow_with<MeanScan<Criterion::kSquaredError>>(data, sample_weight, settings);
    case Criterion::kFriedmanMse:
      return grow_with<MeanScan<Criterion::kFriedmanMse>>(data, sample_weight, settings);
    case Criterion::kAbsoluteError:
      return grow_with<MedianScan>(data, sample_weight, settings);
  }
  SOMA_FAIL("unknown tree criterion");
}

TreeNodes without_subtrees(const TreeNodes& tree, const std::vector<char>& make_leaf) {
  TreeNodes out;
  out.value_width = tree.value_width;
  struct Item {
    int64_t node, parent;
    bool is_left;
  };
  std::vector<Item> stack{{0, -1, false}};
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    int64_t id = out.node_count();
    if (it.parent >= 0) (it.is_left ? out.left : out.right)[it.parent] = id;
    bool leaf = tree.is_leaf(it.node) || make_leaf[it.node];
    out.left.push_back(TreeNodes::kLeaf);
    out.right.push_back(TreeNodes::kLeaf);
    out.feature.push_back(leaf ? TreeNodes::kUndefined : tree.feature[it.node]);
    out.threshold.push_back(leaf ? TreeNodes::kUndefined : tree.threshold[it.node]);
    out.impurity.push_back(tree.impurity[it.node]);
    out.n_samples.push_back(tree.n_samples[it.node]);
    out.weighted_n_samples.push_back(tree.weighted_n_samples[it.node]);
    auto v = tree.value.begin() + it.node * tree.value_width;
    out.value.insert(out.value.end(), v, v + tree.value_width);
    if (leaf) continue;
    stack.push_back({tree.right[it.node], id, false});
    stack.push_back({tree.left[it.node], id, true});
  }
  return out;
}

namespace {

// scikit-learn's _cost_complexity_prune: repeatedly collapse the internal node with the
// smallest effective alpha (R(node) - R(branch)) / (leaves - 1) while it is at most ccp_alpha.
// Calls record(alpha, total leaf impurity) after each step; returns the nodes made leaves.
template <class Record>
std::vector<char> cost_complexity_prune(const TreeNodes& tree, double ccp_alpha, bool whole_path, Record record) {
  int64_t n = tree.node_count();
  double total = tree.weighted_n_samples[0];
  std::vector<double> r_node(n), r_branch(n, 0.0);
  std::vector<int64_t> parent(n, -1), n_leaves(n, 0);
  std::vector<char> pruned(n, 0), removed(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    r_node[i] = tree.weighted_n_samples[i] * tree.impurity[i] / total;
    if (!tree.is_leaf(i)) parent[tree.left[i]] = parent[tree.right[i]] = i;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!tree.is_leaf(i)) continue;
    r_branch[i] = r_node[i];
    for (int64_t a = parent[i]; a >= 0; a = parent[a]) r_branch[a] += r_node[i], n_leaves[a] += 1;
  }
  auto candidate = [&](int64_t i) { return !tree.is_leaf(i) && !pruned[i] && !removed[i]; };
  record(0.0, r_branch[0]);
  while (candidate(0)) {
    double alpha = std::numeric_limits<double>::max();
    int64_t best = -1;
    for (int64_t i = 0; i < n; ++i) {
      if (!candidate(i)) continue;
      double a = (r_node[i] - r_branch[i]) / static_cast<double>(n_leaves[i] - 1);
      if (a < alpha) alpha = a, best = i;
    }
    if (!whole_path && ccp_alpha < alpha) break;
    std::vector<int64_t> stack{tree.left[best], tree.right[best]};
    while (!stack.empty()) {
      int64_t i = stack.back();
      stack.pop_back();
      removed[i] = 1;
      if (!tree.is_leaf(i)) stack.push_back(tree.left[i]), stack.push_back(tree.right[i]);
    }
    pruned[best] = 1;
    int64_t lost_leaves = n_leaves[best] - 1;
    double r_diff = r_node[best] - r_branch[best];
    r_branch[best] = r_node[best];
    n_leaves[best] = 0;
    for (int64_t a = parent[best]; a >= 0; a = parent[a]) n_leaves[a] -= lost_leaves, r_branch[a] += r_diff;
    record(alpha, r_branch[0]);
  }
  return pruned;
}

}  // namespace

TreeNodes prune_cost_complexity(const TreeNodes& tree, double ccp_alpha) {
  return without_subtrees(tree, cost_complexity_prune(tree, ccp_alpha, false, [](double, double) {}));
}

void cost_complexity_path(const TreeNodes& tree, std::vector<double>& ccp_alphas, std::vector<double>& impurities) {
  ccp_alphas.clear(), impurities.clear();
  cost_complexity_prune(tree, 0, true, [&](double alpha, double impurity) {
    ccp_alphas.push_back(alpha);
    impurities.push_back(impurity);
  });
}

std::vector<double> feature_importances(const TreeNodes& tree, int64_t n_features) {
  std::vector<double> importances(n_features, 0.0);
  const auto& w = tree.weighted_n_samples;
  const auto& imp = tree.impurity;
  for (int64_t i = 0; i < tree.node_count(); ++i) {
    if (tree.is_leaf(i)) continue;
    int64_t l = tree.left[i], r = tree.right[i];
    importances[tree.feature[i]] += w[i] * imp[i] - w[l] * imp[l] - w[r] * imp[r];
  }
  double sum = 0;
  for (double& v : importances) v /= w[0], sum += v;
  if (sum > 0)
    for (double& v : importances) v /= sum;
  return importances;
}

void check_tree(const TreeNodes& t, int64_t n_features, std::string_view who) {
  int64_t n = t.node_count();
  SOMA_CHECK(n >= 1, "{}: the tree has no nodes", who);
  SOMA_CHECK(static_cast<int64_t>(t.right.size()) == n && static_cast<int64_t>(t.feature.size()) == n &&
                 static_cast<int64_t>(t.threshold.size()) == n && static_cast<int64_t>(t.impurity.size()) == n &&
                 static_cast<int64_t>(t.n_samples.size()) == n &&
                 static_cast<int64_t>(t.weighted_n_samples.size()) == n &&
                 static_cast<int64_t>(t.value.size()) == n * t.value_width,
             "{}: the tree's arrays must all have node_count = {} entries", who, n);
  std::vector<int64_t> parents(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (t.left[i] == TreeNodes::kLeaf) {
      SOMA_CHECK(t.right[i] == TreeNodes::kLeaf, "{}: node {} has a left child but no right child", who, i);
    } else {
      // Children after their parent: a walk from the root always ends.
      for (int64_t child : {t.left[i], t.right[i]})
        SOMA_CHECK(child > i && child < n, "{}: node {} has child {}; expected an index in ({}, {})", who, i, child, i,
                   n);
      SOMA_CHECK(t.feature[i] >= 0 && t.feature[i] < n_features,
                 "{}: node {} splits on feature {}; expected an index in [0, {})", who, i, t.feature[i], n_features);
      SOMA_CHECK(!std::isnan(t.threshold[i]), "{}: node {} has a NaN threshold", who, i);
      ++parents[t.left[i]], ++parents[t.right[i]];
    }
    SOMA_CHECK(std::isfinite(t.impurity[i]) && std::isfinite(t.weighted_n_samples[i]) && t.n_samples[i] >= 0,
               "{}: node {} has non-finite or negative statistics", who, i);
  }
  for (int64_t i = 1; i < n; ++i)
    SOMA_CHECK(parents[i] == 1, "{}: node {} has {} parents; a tree needs exactly one", who, i, parents[i]);
  for (double v : t.value) SOMA_CHECK(std::isfinite(v), "{}: the tree's values must be finite", who);
}

uint32_t NumpyRandomState::randint(uint64_t bound) {
  uint64_t range = bound - 1;
  if (range == 0) return 0;  // numpy draws nothing
  if (range == 0xFFFFFFFFull) return mt_();
  uint32_t mask = static_cast<uint32_t>(range);
  for (int shift = 1; shift < 32; shift *= 2) mask |= mask >> shift;
  uint32_t value;
  do value = mt_() & mask;
  while (value > range);
  return value;
}

}  // namespace soma::ml::detail

namespace soma::ml::detail {

Columns to_columns(const float* X, int64_t n, int64_t d) {
  Columns out;
  out.values.resize(static_cast<size_t>(n * d));
  constexpr int64_t kBlock = 64;  // transpose in blocks of rows to stay in cache
  for (int64_t i0 = 0; i0 < n; i0 += kBlock)
    for (int64_t f = 0; f < d; ++f)
      for (int64_t i = i0; i < std::min(n, i0 + kBlock); ++i) out.values[f * n + i] = X[i * d + f];
  out.ranks.resize(static_cast<size_t>(n * d));
  out.distinct_start.push_back(0);
  std::vector<uint64_t> keys(n), scratch(n);
  for (int64_t f = 0; f < d; ++f) {
    const float* column = out.values.data() + f * n;
    uint32_t min_key = UINT32_MAX, max_key = 0;
    for (int64_t i = 0; i < n; ++i) {
      uint32_t key = float_key(column[i]);
      min_key = std::min(min_key, key), max_key = std::max(max_key, key);
      keys[i] = (static_cast<uint64_t>(key) << 32) | static_cast<uint32_t>(i);
    }
    const uint64_t* sorted = sort_by_key(keys.data(), scratch.data(), n, min_key, max_key);
    uint32_t* rank = out.ranks.data() + f * n;
    for (int64_t i = 0; i < n; ++i) {
      float value = column[static_cast<uint32_t>(sorted[i])];
      // Equal floats (0.0 and -0.0 too) share a rank.
      if (i == 0 || value != out.distinct.back()) out.distinct.push_back(value);
      rank[static_cast<uint32_t>(sorted[i])] =
          static_cast<uint32_t>(static_cast<int64_t>(out.distinct.size()) - 1 - out.distinct_start.back());
    }
    out.distinct_start.push_back(static_cast<int64_t>(out.distinct.size()));
  }
  return out;
}

}  // namespace soma::ml::detail
