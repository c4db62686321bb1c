// Nearest-neighbour estimators (see soma/ml/neighbors.h).
#include "soma/ml/neighbors.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/parallel.h"
#include "validation.h"

namespace soma::ml {
namespace {

using Metric = NeighborSearch::Metric;

Metric resolve_metric(const KNeighborsOptions& o) {
  if (o.metric == "euclidean" || o.metric == "l2") return Metric::Euclidean;
  if (o.metric == "manhattan" || o.metric == "cityblock" || o.metric == "l1") return Metric::Manhattan;
  if (o.metric == "cosine") return Metric::Cosine;
  // scikit-learn's effective metric: minkowski with p = 2 is the Euclidean metric, p = 1 Manhattan.
  if (o.p == 2) return Metric::Euclidean;
  if (o.p == 1) return Metric::Manhattan;
  return Metric::Minkowski;
}

int resolve_threads(const std::optional<int64_t>& n_jobs) {
  if (!n_jobs) return get_num_threads();
  int procs = omp_get_num_procs();
  int64_t n = *n_jobs < 0 ? procs + 1 + *n_jobs : *n_jobs;
  return static_cast<int>(std::clamp<int64_t>(n, 1, 4 * procs));
}

// A neighbour candidate: its rank-preserving distance and training index. Ordered by
// (distance, index), so equal distances keep the lower index, as scikit-learn's brute force.
struct Candidate {
  double rd;
  int64_t index;
  bool operator<(const Candidate& o) const { return rd < o.rd || (rd == o.rd && index < o.index); }
};

// The k best candidates seen so far, as a max-heap (the worst at the front).
class KBest {
 public:
  explicit KBest(int64_t k) : k_(k) { heap_.reserve(k); }
  bool full() const { return static_cast<int64_t>(heap_.size()) == k_; }
  double worst() const { return full() ? heap_.front().rd : std::numeric_limits<double>::infinity(); }
  void push(double rd, int64_t index) {
    Candidate c{rd, index};
    if (!full()) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end());
    } else if (c < heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end());
    }
  }
  std::vector<Candidate> sorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    return heap_;
  }

 private:
  int64_t k_;
  std::vector<Candidate> heap_;
};

// Rank-preserving distance of two rows for the Manhattan and Minkowski metrics (Σ|x-y|^p).
double rdist(const double* a, const double* b, int64_t d, Metric metric, double p) {
  double s = 0;
  if (metric == Metric::Euclidean) {
    for (int64_t j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  } else if (metric == Metric::Manhattan) {
    for (int64_t j = 0; j < d; ++j) s += std::fabs(a[j] - b[j]);
  } else {
    for (int64_t j = 0; j < d; ++j) s += std::pow(std::fabs(a[j] - b[j]), p);
  }
  return s;
}

double rdist_to_dist(double rd, Metric metric, double p) {
  switch (metric) {
    case Metric::Euclidean: return std::sqrt(std::max(rd, 0.0));
    case Metric::Minkowski: return std::pow(rd, 1.0 / p);
    case Metric::Cosine: return std::clamp(rd, 0.0, 2.0);
    default: return rd;
  }
}

void write_row(const std::vector<Candidate>& best, int64_t k, Metric metric, double p, double* dist, int64_t* idx) {
  for (int64_t j = 0; j < k; ++j) {
    dist[j] = rdist_to_dist(best[j].rd, metric, p);
    idx[j] = best[j].index;
  }
}

// ---- Brute force as a matrix product --------------------------------------------------------
//
// For the Euclidean metric the squared distance is |a|² + |b|² - 2 a·b; its rank within a query
// row is that of r = |b|² - 2 a·b. (Cosine: a and b are the unit rows and r = 1 - 2 a·b.) The
// products come from a float32 GEMM over blocks of query and training rows, whose rounding error
// is bounded per query row by E (below). A row keeps every training row with r <= R_k + 2E, R_k
// being the k-th smallest r seen so far; those candidates, a few more than k, are then measured
// exactly in float64. Any row left out has an exact distance strictly above the k-th, so the
// result is that of a float64 computation, ties included.

}  // namespace

// The training side of the matrix-product search, prepared once at fit: the rows in float64
// and, scaled by 2^exponent and rounded, in float32. Euclidean rows are centered on their mean
// (queries too; distances do not change), which keeps |b|² small next to the distances for data
// far from the origin; cosine rows are the unit rows.
struct GemmCache {
  std::vector<double> rows;     // the rows searched [n, d]: centered, or unit rows for cosine
  std::vector<double> mean;     // Euclidean: the training mean [d] subtracted from every row
  const double* B = nullptr;    // rows.data()
  double largest = 0;           // max |row value|
  std::vector<double> b_sq;     // |b_j|²
  std::vector<float> B32;       // b_j * 2^exponent
  std::vector<float> bias32;    // r's bias (|b_j|², or 1 for cosine) * 4^exponent
  double b_max = 0, bias_max = 0;
  int exponent = 0;
  int64_t n = 0, d = 0;
  bool cosine = false;
};

namespace {

std::vector<double> unit_rows(const double* X, int64_t n, int64_t d) {
  // scikit-learn's normalize: a zero row stays zero (its cosine distance to anything is 1).
  std::vector<double> out(X, X + n * d);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t t = 0; t < d; ++t) s += out[i * d + t] * out[i * d + t];
    double norm = std::sqrt(s);
    if (norm == 0) continue;
    for (int64_t t = 0; t < d; ++t) out[i * d + t] /= norm;
  }
  return out;
}

std::vector<double> row_sq_norms(const double* X, int64_t n, int64_t d) {
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t t = 0; t < d; ++t) s += X[i * d + t] * X[i * d + t];
    out[i] = s;
  }
  return out;
}

double max_abs(const double* x, int64_t count) {
  double m = 0;
  for (int64_t t = 0; t < count; ++t) m = std::max(m, std::fabs(x[t]));
  return m;
}

// The scale 2^exponent brings the largest |value| into [1, 2): float32 then neither overflows
// nor loses the data to underflow, and ranks are unchanged (the scaling is exact).
int scale_exponent(double largest) { return largest > 0 ? -std::ilogb(largest) : 0; }

// query_largest: the largest |value| of the (centered) queries to fit in float32 as well.
std::shared_ptr<GemmCache> prepare_gemm(const double* X, int64_t n, int64_t d, bool cosine, double query_largest) {
  auto g = std::make_shared<GemmCache>();
  g->n = n;
  g->d = d;
  g->cosine = cosine;
  if (cosine) {
    g->rows = unit_rows(X, n, d);
  } else {
    g->mean.assign(d, 0.0);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t t = 0; t < d; ++t) g->mean[t] += X[j * d + t];
    // The mean rounded to 16 significant bits: data on a coarse grid (integers, halves, ...)
    // stays on it after centering, so its exact ties stay exact.
    for (double& m : g->mean) {
      m /= static_cast<double>(n);
      if (m != 0) m = std::ldexp(std::round(std::ldexp(m, 15 - std::ilogb(m))), std::ilogb(m) - 15);
    }
    g->rows.resize(n * d);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t t = 0; t < d; ++t) g->rows[j * d + t] = X[j * d + t] - g->mean[t];
  }
  g->B = g->rows.data();
  g->largest = max_abs(g->B, n * d);
  int exponent = scale_exponent(std::max(g->largest, query_largest));
  g->b_sq = row_sq_norms(g->B, n, d);
  g->exponent = exponent;
  double scale = std::ldexp(1.0, exponent), scale2 = scale * scale;
  g->B32.resize(n * d);
  g->bias32.resize(n);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t t = 0; t < d; ++t) g->B32[j * d + t] = static_cast<float>(g->B[j * d + t] * scale);
    double bias = cosine ? 1.0 : g->b_sq[j];
    g->bias32[j] = static_cast<float>(bias * scale2);
    g->b_max = std::max(g->b_max, std::sqrt(g->b_sq[j]));
    g->bias_max = std::max(g->bias_max, bias);
  }
  return g;
}

// The exact rank value of (a, b_j) in float64, as scikit-learn computes it.
double exact_rd(const GemmCache& g, const double* a, double a_sq, int64_t j) {
  const double* b = g.B + j * g.d;
  double dot = 0;
  for (int64_t t = 0; t < g.d; ++t) dot += a[t] * b[t];
  if (g.cosine) return 1.0 - dot;
  return (a_sq + -2.0 * dot) + g.b_sq[j];
}

// One query row's screen: every training row with r <= threshold, where the threshold is the
// k-th smallest r seen so far (a max-heap of the k smallest) plus the margin.
struct Screen {
  std::vector<float> r;       // r of the candidates
  std::vector<int64_t> index;
  std::vector<float> best;    // max-heap of the k smallest r
  float threshold = std::numeric_limits<float>::infinity();
  size_t cap = 0;             // prune the candidates when there are this many

  void reset(int64_t k) {
    r.clear();
    index.clear();
    best.clear();
    threshold = std::numeric_limits<float>::infinity();
    cap = static_cast<size_t>(4 * k + 64);
  }

  void add(float value, int64_t j, int64_t k, double margin) {
    r.push_back(value);
    index.push_back(j);
    if (static_cast<int64_t>(best.size()) < k) {
      best.push_back(value);
      std::push_heap(best.begin(), best.end());
    } else if (value < best.front()) {
      std::pop_heap(best.begin(), best.end());
      best.back() = value;
      std::push_heap(best.begin(), best.end());
    } else {
      return;
    }
    if (static_cast<int64_t>(best.size()) == k) {
      // Rounded up, so that the float threshold never cuts below the bound.
      double limit = static_cast<double>(best.front()) + margin;
      float t = static_cast<float>(limit);
      if (static_cast<double>(t) < limit) t = std::nextafter(t, std::numeric_limits<float>::infinity());
      threshold = t;
    }
    if (r.size() >= cap) prune();
  }

  // Drops the candidates above the threshold.
  void prune() {
    size_t kept = 0;
    for (size_t c = 0; c < r.size(); ++c)
      if (r[c] <= threshold) {
        r[kept] = r[c];
        index[kept++] = index[c];
      }
    r.resize(kept);
    index.resize(kept);
    if (kept * 4 > cap * 3) cap *= 2;  // many near-ties: prune less often
  }
};

// Queries A [m, d] (unit rows for cosine) against the prepared training rows.
void brute_gemm(const GemmCache& g, const double* A, int64_t m, int64_t k, Metric metric, double p, int threads,
                double* out_dist, int64_t* out_idx) {
  constexpr int64_t kQueryBlock = 128, kTrainBlock = 1024;
  const int64_t d = g.d;
  const double scale = std::ldexp(1.0, g.exponent), scale2 = scale * scale;
  std::vector<double> a_sq = row_sq_norms(A, m, d);
  const double u32 = std::ldexp(1.0, -24), u64 = std::ldexp(1.0, -53);
  const int64_t n_blocks = (m + kQueryBlock - 1) / kQueryBlock;

#pragma omp parallel num_threads(threads) if(n_blocks > 1)
  {
    std::vector<float> A32(kQueryBlock * d), C(kQueryBlock * kTrainBlock);
    std::vector<Screen> screens(kQueryBlock);
    std::vector<double> margin(kQueryBlock);
#pragma omp for schedule(dynamic)
    for (int64_t blk = 0; blk < n_blocks; ++blk) {
      int64_t i0 = blk * kQueryBlock, mb = std::min(kQueryBlock, m - i0);
      for (int64_t i = 0; i < mb; ++i) {
        for (int64_t t = 0; t < d; ++t) A32[i * d + t] = static_cast<float>(A[(i0 + i) * d + t] * scale);
        // |r32 - r| <= u (2 |bias| + (2d + 7) |a| |b|) for the float32 GEMM and the float32
        // sums, plus the float64 rounding of the exact value; doubled for safety.
        double ab = std::sqrt(a_sq[i0 + i]) * g.b_max;
        double err = u32 * (2 * g.bias_max + (2 * d + 7) * ab) + u64 * (4 * g.bias_max + (2 * d + 7) * ab);
        margin[i] = 2.0 * (2.0 * err * scale2) + 1e-300;
        screens[i].reset(k);
      }
      for (int64_t j0 = 0; j0 < g.n; j0 += kTrainBlock) {
        int64_t nb = std::min(kTrainBlock, g.n - j0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(mb), static_cast<int>(nb),
                    static_cast<int>(d), 1.0f, A32.data(), static_cast<int>(d), g.B32.data() + j0 * d,
                    static_cast<int>(d), 0.0f, C.data(), static_cast<int>(nb));
        const float* bias = g.bias32.data() + j0;
        for (int64_t i = 0; i < mb; ++i) {
          Screen& s = screens[i];
          const float* c = C.data() + i * nb;
          auto consider = [&](int64_t j) {
            float r = bias[j] - 2.0f * c[j];
            if (r <= s.threshold) s.add(r, j0 + j, k, margin[i]);
          };
          int64_t j = 0;
          for (; j + 16 <= nb; j += 16) {
            // Most blocks of 16 hold no candidate once the threshold has settled: test them
            // with one vectorizable pass first.
            float t = s.threshold;
            bool any = false;
            for (int64_t u = 0; u < 16; ++u) any |= (bias[j + u] - 2.0f * c[j + u]) <= t;
            if (!any) continue;
            for (int64_t u = 0; u < 16; ++u) consider(j + u);
          }
          for (; j < nb; ++j) consider(j);
        }
      }
      for (int64_t i = 0; i < mb; ++i) {
        Screen& s = screens[i];
        s.prune();
        std::vector<Candidate> exact(s.r.size());
        const double* a = A + (i0 + i) * d;
        for (size_t c = 0; c < s.r.size(); ++c) exact[c] = {exact_rd(g, a, a_sq[i0 + i], s.index[c]), s.index[c]};
        std::partial_sort(exact.begin(), exact.begin() + k, exact.end());
        write_row(exact, k, metric, p, out_dist + (i0 + i) * k, out_idx + (i0 + i) * k);
      }
    }
  }
}

// Brute force with a direct distance (Manhattan, Minkowski).
void brute_direct(const double* Q, int64_t m, const double* T, int64_t n, int64_t d, int64_t k, Metric metric,
                  double p, int threads, double* out_dist, int64_t* out_idx) {
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) if(m * n * d >= (int64_t{1} << 16))
  for (int64_t i = 0; i < m; ++i) {
    KBest best(k);
    for (int64_t j = 0; j < n; ++j) best.push(rdist(Q + i * d, T + j * d, d, metric, p), j);
    write_row(best.sorted(), k, metric, p, out_dist + i * k, out_idx + i * k);
  }
}

// The smallest rank-preserving distance from x to a node's bounding box.
double box_rdist(const double* x, const double* lo, const double* hi, int64_t d, Metric metric, double p) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) {
    double gap = std::max({0.0, lo[t] - x[t], x[t] - hi[t]});
    s += metric == Metric::Euclidean ? gap * gap : metric == Metric::Manhattan ? gap : std::pow(gap, p);
  }
  return s;
}

}  // namespace

// ---- NeighborSearch -------------------------------------------------------------------------

void NeighborSearch::build(const Tensor& X, const KNeighborsOptions& o, std::string_view who) {
  fit_X_ = X;
  metric_ = resolve_metric(o);
  p_ = o.p;
  Metric metric = metric_;
  int64_t n = X.size(0), d = X.size(1);
  const std::string& algorithm = o.algorithm;
  if (algorithm == "brute") {
    method_ = "brute";
  } else if (algorithm == "auto") {
    bool brute = d > 15 || o.n_neighbors >= n / 2 || metric == Metric::Cosine;
    method_ = brute ? "brute" : "kd_tree";
  } else {
    SOMA_CHECK(metric != Metric::Cosine, "{}: metric 'cosine' is not valid for algorithm '{}'; use 'brute' or 'auto'",
               who, algorithm);
    method_ = "kd_tree";
  }
  order_.clear();
  nodes_.clear();
  bounds_.clear();
  gemm_.reset();
  if (method_ == "kd_tree") build_tree(o.leaf_size);
  if (method_ == "brute" && (metric == Metric::Euclidean || metric == Metric::Cosine)) {
    const double* x = X.data<double>();
    bool cosine = metric == Metric::Cosine;
    gemm_ = prepare_gemm(x, n, d, cosine, 0.0);
  }
}

void NeighborSearch::build_tree(int64_t leaf_size) {
  const double* x = fit_X_.data<double>();
  int64_t n = fit_X_.size(0), d = fit_X_.size(1);
  order_.resize(n);
  for (int64_t i = 0; i < n; ++i) order_[i] = i;
  std::vector<int64_t> stack{0};
  nodes_.push_back({0, n});
  while (!stack.empty()) {
    int64_t id = stack.back();
    stack.pop_back();
    Node node = nodes_[id];
    bounds_.resize(nodes_.size() * 2 * d);  // node id's box: bounds_[id * 2d, (id + 1) * 2d)
    double* lo = bounds_.data() + id * 2 * d;
    double* hi = lo + d;
    for (int64_t t = 0; t < d; ++t) {
      lo[t] = std::numeric_limits<double>::infinity();
      hi[t] = -lo[t];
    }
    for (int64_t r = node.start; r < node.end; ++r)
      for (int64_t t = 0; t < d; ++t) {
        lo[t] = std::min(lo[t], x[order_[r] * d + t]);
        hi[t] = std::max(hi[t], x[order_[r] * d + t]);
      }
    if (node.end - node.start <= leaf_size) continue;
    int64_t dim = 0;
    for (int64_t t = 1; t < d; ++t)
      if (hi[t] - lo[t] > hi[dim] - lo[dim]) dim = t;
    int64_t mid = node.start + (node.end - node.start) / 2;
    std::nth_element(order_.begin() + node.start, order_.begin() + mid, order_.begin() + node.end,
                     [&](int64_t a, int64_t c) { return x[a * d + dim] < x[c * d + dim]; });
    int64_t left = static_cast<int64_t>(nodes_.size());
    nodes_.push_back({node.start, mid});
    nodes_.push_back({mid, node.end});
    nodes_[id].left = left;
    nodes_[id].right = left + 1;
    stack.push_back(left + 1);
    stack.push_back(left);
  }
}

NeighborSearch::Result NeighborSearch::query(const Tensor& Q, int64_t k, bool exclude_self,
                                             const KNeighborsOptions& o) const {
  Metric metric = metric_;
  double p = p_;
  int threads = resolve_threads(o.n_jobs);
  int64_t m = Q.size(0), d = Q.size(1), n = size();
  int64_t kq = exclude_self ? k + 1 : k;
  std::vector<double> dist(m * kq);
  std::vector<int64_t> idx(m * kq);
  const double* q = Q.data<double>();
  const double* x = fit_X_.data<double>();
  if (gemm_) {
    // Queries as the training rows: unit rows (cosine) or centered on the training mean.
    std::vector<double> a(q, q + m * d);
    if (gemm_->cosine) {
      a = unit_rows(q, m, d);
    } else {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t t = 0; t < d; ++t) a[i * d + t] -= gemm_->mean[t];
    }
    // Queries far larger than the training rows (2^40 times) could overflow float32 at the
    // training rows' scale: prepare the training side again at a scale that fits both.
    double query_largest = max_abs(a.data(), m * d);
    if (std::ldexp(query_largest, gemm_->exponent) > 0x1p40) {
      auto wider = prepare_gemm(x, n, d, gemm_->cosine, query_largest);
      brute_gemm(*wider, a.data(), m, kq, metric, p, threads, dist.data(), idx.data());
    } else {
      brute_gemm(*gemm_, a.data(), m, kq, metric, p, threads, dist.data(), idx.data());
    }
  } else if (method_ == "brute") {
    brute_direct(q, m, x, n, d, kq, metric, p, threads, dist.data(), idx.data());
  } else {
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) if(m >= 64)
    for (int64_t i = 0; i < m; ++i) {
      const double* qi = q + i * d;
      KBest best(kq);
      // Depth first, the nearer child first; a node farther than the current k-th is skipped
      // (strictly farther: an equal distance may still bring a lower index).
      auto visit = [&](auto&& self, int64_t id, double node_rd) -> void {
        if (node_rd > best.worst()) return;
        const Node& node = nodes_[id];
        if (node.left < 0) {
          for (int64_t r = node.start; r < node.end; ++r)
            best.push(rdist(qi, x + order_[r] * d, d, metric, p), order_[r]);
          return;
        }
        auto box = [&](int64_t c) {
          const double* lo = bounds_.data() + c * 2 * d;
          return box_rdist(qi, lo, lo + d, d, metric, p);
        };
        double l = box(node.left), r = box(node.right);
        if (l <= r) {
          self(self, node.left, l);
          self(self, node.right, r);
        } else {
          self(self, node.right, r);
          self(self, node.left, l);
        }
      };
      visit(visit, 0, 0.0);
      write_row(best.sorted(), kq, metric, p, dist.data() + i * kq, idx.data() + i * kq);
    }
  }
  if (!exclude_self)
    return {from_vector(std::move(dist), {m, k}), from_vector(std::move(idx), {m, k})};
  // scikit-learn's kneighbors(None): drop the row itself, or the farthest when a duplicate hid it.
  std::vector<double> d_out(m * k);
  std::vector<int64_t> i_out(m * k);
  for (int64_t i = 0; i < m; ++i) {
    int64_t skip = kq - 1;
    for (int64_t j = 0; j < kq; ++j)
      if (idx[i * kq + j] == i) {
        skip = j;
        break;
      }
    for (int64_t j = 0, w = 0; j < kq; ++j) {
      if (j == skip) continue;
      d_out[i * k + w] = dist[i * kq + j];
      i_out[i * k + w++] = idx[i * kq + j];
    }
  }
  return {from_vector(std::move(d_out), {m, k}), from_vector(std::move(i_out), {m, k})};
}

// ---- shared estimator plumbing --------------------------------------------------------------
namespace {

void visit_knn_params(ParamVisitor& v, KNeighborsOptions& o) {
  v.visit("n_neighbors", &o.n_neighbors, int_in(at_least(1)));
  v.visit("weights", &o.weights, one_of({"uniform", "distance"}));
  v.visit("algorithm", &o.algorithm, one_of({"auto", "ball_tree", "kd_tree", "brute"}));
  v.visit("leaf_size", &o.leaf_size, int_in(at_least(1)));
  v.visit("p", &o.p, real_in(at_least(1)));
  v.visit("metric", &o.metric, one_of({"minkowski", "euclidean", "l2", "manhattan", "cityblock", "l1", "cosine"}));
  v.visit("n_jobs", &o.n_jobs, int_or_none({}));
}

NeighborSearch::Result run_kneighbors(const Estimator& est, const NeighborSearch& search, const KNeighborsOptions& o,
                                      const Tensor& X_in, int64_t n_neighbors) {
  std::string who = std::string(est.name()) + ".kneighbors";
  SOMA_CHECK(est.fitted(), "{}: this {} is not fitted yet; call fit first", who, est.name());
  SOMA_CHECK(n_neighbors >= 0, "{}: n_neighbors must be positive; got {}", who, n_neighbors);
  int64_t k = n_neighbors == 0 ? o.n_neighbors : n_neighbors;
  bool self = !X_in.defined();
  Tensor X = self ? search.fit_X_ : detail::check_matrix(X_in, who);
  SOMA_CHECK(X.size(1) == est.n_features_in_, "{}: X has shape {}, but this estimator was fitted with {} features",
             who, X.shape(), est.n_features_in_);
  int64_t available = search.size() - (self ? 1 : 0);
  SOMA_CHECK(k <= available, "{}: Expected n_neighbors <= n_samples_fit, but n_neighbors = {}, n_samples_fit = {}{}",
             who, k, search.size(), self ? " (each training row is left out of its own neighbours)" : "");
  return search.query(X, k, self, o);
}

// Per query row and neighbour, the vote weight: 1 ('uniform') or 1 / distance ('distance'),
// where a row with a neighbour at distance 0 gives those neighbours weight 1 and the rest 0.
std::vector<double> neighbour_weights(const Tensor& distances, const std::string& weights) {
  int64_t m = distances.size(0), k = distances.size(1);
  std::vector<double> w(m * k, 1.0);
  if (weights == "uniform") return w;
  const double* dist = distances.data<double>();
  for (int64_t i = 0; i < m; ++i) {
    const double* di = dist + i * k;
    bool exact = std::any_of(di, di + k, [](double v) { return v == 0; });
    for (int64_t j = 0; j < k; ++j) w[i * k + j] = exact ? (di[j] == 0 ? 1.0 : 0.0) : 1.0 / di[j];
  }
  return w;
}

// `checked` (made from `input` by a check_*) as a tensor of its own: a copy when the check
// returned the caller's storage, so that later writes to the caller's array do not reach it.
Tensor owned_copy(const Tensor& checked, const Tensor& input) {
  return checked.storage() == input.storage() ? checked.clone() : checked;
}

void check_search_state(const Estimator& est, const Tensor& fit_X, const Tensor& y, DType y_dtype) {
  SOMA_CHECK(fit_X.dtype() == kFloat64 && fit_X.dim() == 2 && fit_X.size(0) >= 1 &&
                 fit_X.size(1) == est.n_features_in_,
             "{}: _fit_X must be float64 [n_samples_fit, {}]", est.name(), est.n_features_in_);
  SOMA_CHECK(y.dtype() == y_dtype && y.dim() == 1 && y.size(0) == fit_X.size(0), "{}: _y must be {} [{}]",
             est.name(), y_dtype == kInt64 ? "int64" : "float64", fit_X.size(0));
  for (double v : fit_X.to_vector<double>())
    SOMA_CHECK(std::isfinite(v), "{}: _fit_X must be finite", est.name());
}

}  // namespace

// ---- KNeighborsClassifier -------------------------------------------------------------------

void KNeighborsClassifier::visit_params(ParamVisitor& v) { visit_knn_params(v, options_); }

void KNeighborsClassifier::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("_fit_X", search_.fit_X_);
  visit("_y", _y);
}

void KNeighborsClassifier::check_fitted_state() const {
  check_search_state(*this, search_.fit_X_, _y, kInt64);
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "KNeighborsClassifier: classes_ must be int64 [n_classes]");
  int64_t n_classes = classes_.size(0);
  for (int64_t c : _y.to_vector<int64_t>())
    SOMA_CHECK(c >= 0 && c < n_classes, "KNeighborsClassifier: _y holds class code {} outside [0, {})", c, n_classes);
}

void KNeighborsClassifier::load_fitted_state(const StateDict& state) {
  Classifier::load_fitted_state(state);
  // The search structure is not saved: it is rebuilt from the loaded rows.
  search_.build(search_.fit_X_, options_, "KNeighborsClassifier.load");
  n_samples_fit_ = search_.size();
}

KNeighborsClassifier& KNeighborsClassifier::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "KNeighborsClassifier.fit");
  detail::EncodedLabels labels = detail::encode_labels(y, X.size(0), "KNeighborsClassifier.fit", true);
  search_.build(owned_copy(X, X_in), options_, "KNeighborsClassifier.fit");
  classes_ = labels.classes;
  _y = from_vector(labels.codes, {X.size(0)});
  n_samples_fit_ = X.size(0);
  n_features_in_ = X.size(1);
  return *this;
}

NeighborSearch::Result KNeighborsClassifier::kneighbors(const Tensor& X, int64_t n_neighbors) const {
  return run_kneighbors(*this, search_, options_, X, n_neighbors);
}

Tensor KNeighborsClassifier::predict_proba(const Tensor& X) const {
  check_fitted(X, "predict_proba");
  NeighborSearch::Result r = kneighbors(X);
  int64_t m = r.indices.size(0), k = r.indices.size(1), n_classes = classes_.size(0);
  std::vector<double> w = neighbour_weights(r.distances, options_.weights);
  const int64_t* idx = r.indices.data<int64_t>();
  const int64_t* codes = _y.data<int64_t>();
  Tensor out = zeros({m, n_classes}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < m; ++i) {
    double total = 0;
    for (int64_t j = 0; j < k; ++j) {
      o[i * n_classes + codes[idx[i * k + j]]] += w[i * k + j];
      total += w[i * k + j];
    }
    for (int64_t c = 0; c < n_classes; ++c) o[i * n_classes + c] /= total;
  }
  return out;
}

Tensor KNeighborsClassifier::predict(const Tensor& X) const {
  check_fitted(X, "predict");
  Tensor proba = predict_proba(X);
  int64_t m = proba.size(0), n_classes = proba.size(1);
  const double* p = proba.data<double>();
  // The first largest: on a tie the smallest class wins, as scikit-learn's mode.
  std::vector<int64_t> codes(m);
  for (int64_t i = 0; i < m; ++i)
    codes[i] = std::max_element(p + i * n_classes, p + (i + 1) * n_classes) - (p + i * n_classes);
  return detail::decode_labels(classes_, codes);
}

// ---- KNeighborsRegressor --------------------------------------------------------------------

void KNeighborsRegressor::visit_params(ParamVisitor& v) { visit_knn_params(v, options_); }

void KNeighborsRegressor::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("_fit_X", search_.fit_X_);
  visit("_y", _y);
}

void KNeighborsRegressor::check_fitted_state() const {
  check_search_state(*this, search_.fit_X_, _y, kFloat64);
  for (double v : _y.to_vector<double>()) SOMA_CHECK(std::isfinite(v), "KNeighborsRegressor: _y must be finite");
}

void KNeighborsRegressor::load_fitted_state(const StateDict& state) {
  Regressor::load_fitted_state(state);
  search_.build(search_.fit_X_, options_, "KNeighborsRegressor.load");
  n_samples_fit_ = search_.size();
}

KNeighborsRegressor& KNeighborsRegressor::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "KNeighborsRegressor.fit");
  Tensor targets = detail::check_targets(y, X.size(0), "KNeighborsRegressor.fit");
  search_.build(owned_copy(X, X_in), options_, "KNeighborsRegressor.fit");
  _y = owned_copy(targets, y);
  n_samples_fit_ = X.size(0);
  n_features_in_ = X.size(1);
  return *this;
}

NeighborSearch::Result KNeighborsRegressor::kneighbors(const Tensor& X, int64_t n_neighbors) const {
  return run_kneighbors(*this, search_, options_, X, n_neighbors);
}

Tensor KNeighborsRegressor::predict(const Tensor& X) const {
  check_fitted(X, "predict");
  NeighborSearch::Result r = kneighbors(X);
  int64_t m = r.indices.size(0), k = r.indices.size(1);
  std::vector<double> w = neighbour_weights(r.distances, options_.weights);
  const int64_t* idx = r.indices.data<int64_t>();
  const double* y = _y.data<double>();
  std::vector<double> out(m);
  for (int64_t i = 0; i < m; ++i) {
    double sum = 0, total = 0;
    for (int64_t j = 0; j < k; ++j) {
      sum += y[idx[i * k + j]] * w[i * k + j];
      total += w[i * k + j];
    }
    out[i] = sum / total;
  }
  return from_vector(out, {m});
}

}  // namespace soma::ml
