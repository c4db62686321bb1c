// Regression metrics, the running mean and ranking metrics.
#include <cmath>

#include "soma/metrics.h"

namespace soma::metrics {

namespace {

// pred and target as float64 [N, D] (row-major), with N and D.
struct Columns {
  std::vector<double> pred, target;
  int64_t n, d;
};

Columns columns(const Tensor& pred, const Tensor& target, const char* op) {
  SOMA_CHECK(pred.shape() == target.shape(), "{}: pred has shape {} but target has shape {}", op, pred.shape(),
             target.shape());
  SOMA_CHECK(pred.dim() == 1 || pred.dim() == 2, "{}: expected [N] or [N, D] values, got shape {}", op, pred.shape());
  SOMA_CHECK(pred.dtype() != kBool && target.dtype() != kBool, "{}: expected numbers, got {} and {}", op,
             dtype_name(pred.dtype()), dtype_name(target.dtype()));
  SOMA_CHECK(pred.numel() > 0, "{}: no samples (shape {})", op, pred.shape());
  return {pred.to_vector<double>(), target.to_vector<double>(), pred.size(0), pred.dim() == 2 ? pred.size(1) : 1};
}

// The mean over outputs of f(per-output sums of g(pred, target)).
template <class G, class F>
double per_output(const Columns& c, G g, F f) {
  double total = 0;
  for (int64_t j = 0; j < c.d; ++j) {
    double s = 0;
    for (int64_t i = 0; i < c.n; ++i) s += g(c.pred[i * c.d + j], c.target[i * c.d + j]);
    total += f(s / static_cast<double>(c.n));
  }
  return total / static_cast<double>(c.d);
}

double squared(double p, double t) { return (t - p) * (t - p); }
double identity(double x) { return x; }

}  // namespace

double mean_squared_error(const Tensor& pred, const Tensor& target) {
  return per_output(columns(pred, target, "mean_squared_error"), squared, identity);
}

double mean_absolute_error(const Tensor& pred, const Tensor& target) {
  return per_output(
      columns(pred, target, "mean_absolute_error"), [](double p, double t) { return std::abs(t - p); }, identity);
}

double root_mean_squared_error(const Tensor& pred, const Tensor& target) {
  return per_output(columns(pred, target, "root_mean_squared_error"), squared, [](double m) { return std::sqrt(m); });
}

double r2_score(const Tensor& pred, const Tensor& target) {
  const Columns c = columns(pred, target, "r2_score");
  if (c.n < 2) return NAN;  // not defined for one sample
  double total = 0;
  for (int64_t j = 0; j < c.d; ++j) {
    double mean = 0, res = 0, tot = 0;
    for (int64_t i = 0; i < c.n; ++i) mean += c.target[i * c.d + j];
    mean /= static_cast<double>(c.n);
    for (int64_t i = 0; i < c.n; ++i) {
      const double t = c.target[i * c.d + j];
      res += squared(c.pred[i * c.d + j], t);
      tot += (t - mean) * (t - mean);
    }
    total += tot != 0 ? 1 - res / tot : res == 0 ? 1 : 0;
  }
  return total / static_cast<double>(c.d);
}

void RunningMean::add(double value, double weight) {
  SOMA_CHECK(weight >= 0 && std::isfinite(weight), "RunningMean::add: weight must be finite and >= 0, got {}", weight);
  sum_ += value * weight;
  weight_ += weight;
  ++count_;
}

double RunningMean::mean() const { return weight_ > 0 ? sum_ / weight_ : NAN; }

namespace {

// Calls f(query, rank of its first relevant result or -1) for each query, ranks from 1,
// looking at the first `k` results.
template <class F>
void first_hits(const std::vector<std::vector<int64_t>>& ranked,
                const std::vector<std::unordered_set<int64_t>>& relevant, std::optional<int64_t> k, const char* op,
                F f) {
  SOMA_CHECK(ranked.size() == relevant.size(), "{}: {} ranked lists but {} relevant sets", op, ranked.size(),
             relevant.size());
  SOMA_CHECK(!ranked.empty(), "{}: no queries", op);
  SOMA_CHECK(!k || *k >= 1, "{}: k must be >= 1, got {}", op, *k);
  for (size_t q = 0; q < ranked.size(); ++q) {
    const size_t depth = k ? std::min<size_t>(*k, ranked[q].size()) : ranked[q].size();
    int64_t rank = -1;
    for (size_t i = 0; i < depth && rank < 0; ++i)
      if (relevant[q].contains(ranked[q][i])) rank = static_cast<int64_t>(i) + 1;
    f(rank);
  }
}

}  // namespace

double hit_rate_at_k(const std::vector<std::vector<int64_t>>& ranked,
                     const std::vector<std::unordered_set<int64_t>>& relevant, int64_t k) {
  int64_t hits = 0;
  first_hits(ranked, relevant, k, "hit_rate_at_k", [&](int64_t rank) { hits += rank > 0; });
  return static_cast<double>(hits) / static_cast<double>(ranked.size());
}

double mean_reciprocal_rank(const std::vector<std::vector<int64_t>>& ranked,
                            const std::vector<std::unordered_set<int64_t>>& relevant, std::optional<int64_t> k) {
  double sum = 0;
  first_hits(ranked, relevant, k, "mean_reciprocal_rank", [&](int64_t rank) {
    if (rank > 0) sum += 1.0 / static_cast<double>(rank);
  });
  return sum / static_cast<double>(ranked.size());
}

}  // namespace soma::metrics
