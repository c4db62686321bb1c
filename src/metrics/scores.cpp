// Metrics of probabilities and scores (log loss, ROC AUC, average precision) and of clusterings
// (silhouette, adjusted Rand index), with scikit-learn's semantics.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "soma/creation.h"
#include "soma/metrics.h"

namespace soma::metrics {
namespace {

std::vector<int64_t> labels_of(const Tensor& t, int64_t n, const char* op, const char* what) {
  SOMA_CHECK(t.defined() && t.dim() == 1 && is_integral(t.dtype()), "{}: {} must be integer labels [N]", op, what);
  SOMA_CHECK(t.size(0) == n, "{}: {} has {} entries, expected {}", op, what, t.size(0), n);
  return t.to_vector<int64_t>();
}

std::vector<double> finite_values(const Tensor& t, const char* op, const char* what) {
  std::vector<double> v = t.to(kFloat64).to_vector<double>();
  for (double x : v) SOMA_CHECK(!std::isnan(x), "{}: {} contains NaN", op, what);
  return v;
}

// Binary ROC AUC of `scores` for the samples where `positive` is true: the Mann-Whitney
// statistic, with tied scores counting half (the trapezoidal area of scikit-learn's curve).
double binary_auc(const std::vector<double>& scores, const std::vector<bool>& positive, const char* op) {
  size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double mid_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based average rank
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += mid_rank;
    i = j;
  }
  for (bool p : positive) (p ? pos : neg) += 1;
  SOMA_CHECK(pos > 0 && neg > 0,
             "{}: only one class is present in target; the ROC AUC is not defined in that case", op);
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace

double log_loss(const Tensor& proba, const Tensor& target, double eps) {
  const char* op = "log_loss";
  SOMA_CHECK(proba.defined() && proba.is_floating_point() && (proba.dim() == 1 || proba.dim() == 2),
             "log_loss: proba must be floating [N, C] or [N] probabilities");
  int64_t n = proba.size(0), k = proba.dim() == 2 ? proba.size(1) : 2;
  SOMA_CHECK(n > 0, "log_loss: no samples");
  std::vector<int64_t> t = labels_of(target, n, op, "target");
  std::vector<double> p = finite_values(proba, op, "proba");
  if (eps == 0) eps = proba.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                                : static_cast<double>(std::numeric_limits<float>::epsilon());
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    SOMA_CHECK(t[i] >= 0 && t[i] < k, "log_loss: target[{}] = {} is not a class index in [0, {})", i, t[i], k);
    double row[2];
    const double* r = p.data() + i * (proba.dim() == 2 ? k : 1);
    if (proba.dim() == 1) {
      row[0] = 1 - r[0];
      row[1] = r[0];
      r = row;
    }
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) sum += std::clamp(r[c], eps, 1 - eps);
    total -= std::log(std::clamp(r[t[i]], eps, 1 - eps) / sum);
  }
  return total / static_cast<double>(n);
}

double roc_auc_score(const Tensor& scores, const Tensor& target) {
  const char* op = "roc_auc_score";
  SOMA_CHECK(scores.defined() && (scores.dim() == 1 || scores.dim() == 2), "roc_auc_score: scores must be [N] or [N, C]");
  int64_t n = scores.size(0);
  std::vector<int64_t> t = labels_of(target, n, op, "target");
  std::vector<double> s = finite_values(scores, op, "scores");
  if (scores.dim() == 1) {
    std::vector<bool> positive(n);
    for (int64_t i = 0; i < n; ++i) {
      SOMA_CHECK(t[i] == 0 || t[i] == 1, "roc_auc_score: binary target must hold 0 and 1, got {}", t[i]);
      positive[i] = t[i] == 1;
    }
    return binary_auc(s, positive, op);
  }
  int64_t k = scores.size(1);
  double sum = 0;
  for (int64_t c = 0; c < k; ++c) {
    std::vector<double> column(n);
    std::vector<bool> positive(n);
    for (int64_t i = 0; i < n; ++i) {
      SOMA_CHECK(t[i] >= 0 && t[i] < k, "roc_auc_score: target[{}] = {} is not a class index in [0, {})", i, t[i], k);
      column[i] = s[i * k + c];
      positive[i] = t[i] == c;
    }
    sum += binary_auc(column, positive, op);
  }
  return sum / static_cast<double>(k);
}

double average_precision_score(const Tensor& scores, const Tensor& target) {
  const char* op = "average_precision_score";
  SOMA_CHECK(scores.defined() && scores.dim() == 1, "average_precision_score: scores must be [N]");
  int64_t n = scores.size(0);
  std::vector<int64_t> t = labels_of(target, n, op, "target");
  std::vector<double> s = finite_values(scores, op, "scores");
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
  double positives = 0;
  for (int64_t v : t) {
    SOMA_CHECK(v == 0 || v == 1, "average_precision_score: target must hold 0 and 1, got {}", v);
    positives += v;
  }
  if (positives == 0) return 0;  // scikit-learn warns and returns 0 (recall is undefined)
  // One step per distinct score: precision at that threshold times the recall gained.
  double ap = 0, tp = 0, seen = 0, last_recall = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && s[order[j]] == s[order[i]]) {
      tp += t[order[j]];
      seen += 1;
      ++j;
    }
    double recall = tp / positives;
    ap += (recall - last_recall) * (tp / seen);
    last_recall = recall;
    i = j;
  }
  return ap;
}

double silhouette_score(const Tensor& X, const Tensor& labels) {
  const char* op = "silhouette_score";
  SOMA_CHECK(X.defined() && X.dim() == 2, "silhouette_score: X must be [N, D]");
  int64_t n = X.size(0), d = X.size(1);
  std::vector<int64_t> raw = labels_of(labels, n, op, "labels");
  std::vector<int64_t> distinct = raw;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  int64_t k = distinct.size();
  SOMA_CHECK(k >= 2 && k <= n - 1,
             "silhouette_score: the number of labels is {}; valid values are 2 to n_samples - 1 (inclusive)", k);
  std::vector<int64_t> c(n);
  std::vector<double> size(k, 0);
  for (int64_t i = 0; i < n; ++i) {
    c[i] = std::lower_bound(distinct.begin(), distinct.end(), raw[i]) - distinct.begin();
    size[c[i]] += 1;
  }
  std::vector<double> x = finite_values(X, op, "X");
  double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(dynamic, 16) if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> sum(k, 0);  // distances from i to each cluster's members
    for (int64_t j = 0; j < n; ++j) {
      double sq = 0;
      for (int64_t f = 0; f < d; ++f) sq += (x[i * d + f] - x[j * d + f]) * (x[i * d + f] - x[j * d + f]);
      sum[c[j]] += std::sqrt(sq);
    }
    if (size[c[i]] <= 1) continue;  // alone in its cluster: 0
    double a = sum[c[i]] / (size[c[i]] - 1), b = std::numeric_limits<double>::infinity();
    for (int64_t q = 0; q < k; ++q)
      if (q != c[i]) b = std::min(b, sum[q] / size[q]);
    double m = std::max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / static_cast<double>(n);
}

double adjusted_rand_score(const Tensor& labels_true, const Tensor& labels_pred) {
  const char* op = "adjusted_rand_score";
  SOMA_CHECK(labels_true.defined() && labels_true.dim() == 1, "adjusted_rand_score: labels_true must be [N]");
  int64_t n = labels_true.size(0);
  std::vector<int64_t> a = labels_of(labels_true, n, op, "labels_true");
  std::vector<int64_t> b = labels_of(labels_pred, n, op, "labels_pred");
  std::map<std::pair<int64_t, int64_t>, double> cells;
  std::map<int64_t, double> rows, cols;
  for (int64_t i = 0; i < n; ++i) {
    cells[{a[i], b[i]}] += 1;
    rows[a[i]] += 1;
    cols[b[i]] += 1;
  }
  auto pairs = [](double m) { return m * (m - 1) / 2; };
  double index = 0, sum_rows = 0, sum_cols = 0;
  for (const auto& [key, m] : cells) index += pairs(m);
  for (const auto& [key, m] : rows) sum_rows += pairs(m);
  for (const auto& [key, m] : cols) sum_cols += pairs(m);
  double expected = sum_rows * sum_cols / pairs(static_cast<double>(n));
  double max_index = (sum_rows + sum_cols) / 2;
  // One cluster on both sides, or every sample alone on both: identical partitions (scikit-learn's special case).
  if (n < 2 || max_index == expected) return 1.0;
  return (index - expected) / (max_index - expected);
}

}  // namespace soma::metrics
