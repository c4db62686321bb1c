// k-means clustering: KMeans and MiniBatchKMeans (see soma/ml/cluster.h; DBSCAN is in cluster_dbscan.cpp).
#include "soma/ml/cluster.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/parallel.h"
#include "validation.h"

namespace soma::ml {
namespace {

constexpr int64_t kChunk = 256;  // rows per task: the unit of parallel work and of summation order

constexpr int64_t kDirectCenters = 16;
// Loops with less arithmetic than this run on one thread: a thread team costs more than it saves.
constexpr int64_t kParallelWork = int64_t{1} << 16;  // up to this many centers, distances without GEMM

int64_t n_chunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

// A uniform double in [0, 1) from 53 random bits (the same on every standard library).
double uniform01(std::mt19937_64& gen) { return static_cast<double>(gen() >> 11) * 0x1.0p-53; }

// A seed per task from the base seed (splitmix64), so streams do not overlap.
uint64_t task_seed(uint64_t seed, uint64_t task) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (task + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Σ f(a_t, b_t) with 8 partial sums, which the compiler keeps in vector registers (a single
// running sum would serialize the additions). Always the same order: deterministic.
template <class F>
[[gnu::always_inline]] inline double sum8(const double* a, const double* b, int64_t d, F f) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t t = 0;
  for (; t + 8 <= d; t += 8)
    for (int u = 0; u < 8; ++u) acc[u] += f(a[t + u], b[t + u]);
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; t < d; ++t) s += f(a[t], b[t]);
  return s;
}

[[gnu::always_inline]] inline double sq_dist(const double* a, const double* b, int64_t d) {
  return sum8(a, b, d, [](double x, double y) { return (x - y) * (x - y); });
}

[[gnu::always_inline]] inline double dot(const double* a, const double* b, int64_t d) {
  return sum8(a, b, d, [](double x, double y) { return x * y; });
}

// Sum of per-chunk values in chunk order: the same total for any thread count.
double ordered_sum(const std::vector<double>& parts) { return std::accumulate(parts.begin(), parts.end(), 0.0); }

struct Data {
  const double* x;  // [n, d], centered
  int64_t n, d;
  std::vector<double> sq_norms;  // |x_i|²
};

// ---- seeding ---------------------------------------------------------------------------------

// scikit-learn's greedy k-means++: each new center is the best (lowest resulting potential) of
// 2 + log(k) candidates drawn with probability proportional to the squared distance to the
// nearest center chosen so far.
std::vector<double> kmeans_plus_plus(const Data& data, int64_t k, std::mt19937_64& gen) {
  const int64_t n = data.n, d = data.d;
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  std::vector<double> centers(k * d);
  int64_t first = static_cast<int64_t>(uniform01(gen) * static_cast<double>(n));
  std::copy_n(data.x + first * d, d, centers.begin());
  std::vector<double> closest(n);
#pragma omp parallel for schedule(static) if(n * d >= kParallelWork)
  for (int64_t i = 0; i < n; ++i) closest[i] = sq_dist(data.x + i * d, data.x + first * d, d);
  std::vector<double> cumulative(n), parts(n_chunks(n)), best_dist(n), trial_dist(n);
  for (int64_t c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumulative.begin());
    double potential = cumulative.back();
    int64_t best = -1;
    double best_potential = std::numeric_limits<double>::infinity();
    for (int64_t t = 0; t < trials; ++t) {
      double target = uniform01(gen) * potential;
      // numpy.searchsorted (left): the first index whose cumulative sum reaches the target.
      int64_t candidate = std::lower_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
      candidate = std::min(candidate, n - 1);
      const double* cx = data.x + candidate * d;
#pragma omp parallel for schedule(static) if(n * d >= kParallelWork)
      for (int64_t b = 0; b < n_chunks(n); ++b) {
        double s = 0;
        for (int64_t i = b * kChunk; i < std::min(n, (b + 1) * kChunk); ++i) {
          trial_dist[i] = std::min(closest[i], sq_dist(data.x + i * d, cx, d));
          s += trial_dist[i];
        }
        parts[b] = s;
      }
      double trial_potential = ordered_sum(parts);
      if (trial_potential < best_potential) {
        best_potential = trial_potential;
        best = candidate;
        best_dist.swap(trial_dist);
      }
    }
    std::copy_n(data.x + best * d, d, centers.begin() + c * d);
    closest.swap(best_dist);
  }
  return centers;
}

std::vector<double> random_rows(const Data& data, int64_t k, std::mt19937_64& gen) {
  // k distinct rows, uniformly (a partial Fisher-Yates shuffle).
  std::vector<int64_t> order(data.n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> centers(k * data.d);
  for (int64_t c = 0; c < k; ++c) {
    int64_t j = c + static_cast<int64_t>(uniform01(gen) * static_cast<double>(data.n - c));
    std::swap(order[c], order[j]);
    std::copy_n(data.x + order[c] * data.d, data.d, centers.begin() + c * data.d);
  }
  return centers;
}

// ---- Lloyd's iterations ----------------------------------------------------------------------

// Labels every row with its nearest center (|c|² - 2 x·c through a GEMM per chunk; the first
// center on a tie) and, with sums, adds each row into its cluster's sum (per chunk, then in
// chunk order). Returns nothing; labels [n], and sums [k, d] / counts [k] when given.
void assign(const Data& data, const std::vector<double>& centers, int64_t k, std::vector<int64_t>& labels,
            std::vector<double>* sums, std::vector<double>* counts) {
  const int64_t n = data.n, d = data.d, chunks = n_chunks(n);
  std::vector<double> c_sq(k);
  for (int64_t c = 0; c < k; ++c) c_sq[c] = dot(&centers[c * d], &centers[c * d], d);
  std::vector<double> partial_sums(sums ? chunks * k * d : 0), partial_counts(sums ? chunks * k : 0);
#pragma omp parallel if(n * d >= kParallelWork)
  {
    std::vector<double> dots(kChunk * k);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < chunks; ++b) {
      int64_t i0 = b * kChunk, rows = std::min(kChunk, n - i0);
      if (k <= kDirectCenters) {
        // Few centers: a GEMM would spend more time packing the rows than multiplying.
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < k; ++c) dots[r * k + c] = dot(data.x + (i0 + r) * d, &centers[c * d], d);
      } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(k),
                    static_cast<int>(d), 1.0, data.x + i0 * d, static_cast<int>(d), centers.data(),
                    static_cast<int>(d), 0.0, dots.data(), static_cast<int>(k));
      }
      for (int64_t r = 0; r < rows; ++r) {
        int64_t best = 0;
        double best_value = std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < k; ++c) {
          double value = c_sq[c] - 2.0 * dots[r * k + c];
          if (value < best_value) {
            best_value = value;
            best = c;
          }
        }
        labels[i0 + r] = best;
        if (!sums) continue;
        double* s = &partial_sums[(b * k + best) * d];
        const double* xi = data.x + (i0 + r) * d;
        for (int64_t t = 0; t < d; ++t) s[t] += xi[t];
        partial_counts[b * k + best] += 1;
      }
    }
  }
  if (!sums) return;
  sums->assign(k * d, 0.0);
  counts->assign(k, 0.0);
  for (int64_t b = 0; b < chunks; ++b) {
    for (int64_t t = 0; t < k * d; ++t) (*sums)[t] += partial_sums[b * k * d + t];
    for (int64_t c = 0; c < k; ++c) (*counts)[c] += partial_counts[b * k + c];
  }
}

// Squared distance of every row to its center.
std::vector<double> row_inertia(const Data& data, const std::vector<double>& centers, const std::vector<int64_t>& labels) {
  std::vector<double> out(data.n);
#pragma omp parallel for schedule(static) if(data.n * data.d >= kParallelWork)
  for (int64_t i = 0; i < data.n; ++i) out[i] = sq_dist(data.x + i * data.d, &centers[labels[i] * data.d], data.d);
  return out;
}

double total_inertia(const Data& data, const std::vector<double>& centers, const std::vector<int64_t>& labels) {
  std::vector<double> per_row = row_inertia(data, centers, labels);
  std::vector<double> parts(n_chunks(data.n), 0.0);
  for (int64_t i = 0; i < data.n; ++i) parts[i / kChunk] += per_row[i];
  return ordered_sum(parts);
}

// scikit-learn's relocation of empty clusters: each takes one of the rows farthest from their
// centers (the farthest first), which leaves its old cluster's sum (labels are not changed: the
// next iteration relabels).
void relocate_empty(const Data& data, const std::vector<double>& centers, const std::vector<int64_t>& labels,
                    std::vector<double>& sums, std::vector<double>& counts, int64_t k) {
  std::vector<int64_t> empty;
  for (int64_t c = 0; c < k; ++c)
    if (counts[c] == 0) empty.push_back(c);
  if (empty.empty()) return;
  const int64_t d = data.d;
  std::vector<double> dist = row_inertia(data, centers, labels);
  std::vector<int64_t> order(data.n);
  std::iota(order.begin(), order.end(), 0);
  int64_t m = std::min<int64_t>(static_cast<int64_t>(empty.size()), data.n);
  std::partial_sort(order.begin(), order.begin() + m, order.end(), [&](int64_t a, int64_t b) {
    return dist[a] > dist[b] || (dist[a] == dist[b] && a < b);
  });
  for (int64_t e = 0; e < m; ++e) {
    int64_t row = order[e], from = labels[row], to = empty[e];
    const double* xi = data.x + row * d;
    for (int64_t t = 0; t < d; ++t) {
      sums[from * d + t] -= xi[t];
      sums[to * d + t] = xi[t];
    }
    counts[from] -= 1;
    counts[to] = 1;
  }
}

struct Run {
  std::vector<double> centers;
  std::vector<int64_t> labels;
  double inertia = 0;
  int64_t n_iter = 0;
};

Run lloyd(const Data& data, std::vector<double> centers, int64_t k, int64_t max_iter, double tol) {
  const int64_t n = data.n, d = data.d;
  std::vector<int64_t> labels(n, -1), old_labels(n, -1);
  std::vector<double> sums, counts;
  bool strict = false;
  int64_t iter = 0;
  for (; iter < max_iter; ++iter) {
    assign(data, centers, k, labels, &sums, &counts);
    relocate_empty(data, centers, labels, sums, counts, k);
    double shift = 0;
    for (int64_t c = 0; c < k; ++c)
      for (int64_t t = 0; t < d; ++t) {
        double updated = counts[c] > 0 ? sums[c * d + t] / counts[c] : centers[c * d + t];
        shift += (updated - centers[c * d + t]) * (updated - centers[c * d + t]);
        centers[c * d + t] = updated;
      }
    if (labels == old_labels) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
    old_labels = labels;
  }
  // Labels that match the final centers (scikit-learn's last E-step).
  if (!strict) assign(data, centers, k, labels, nullptr, nullptr);
  Run run{std::move(centers), std::move(labels), 0, std::min(iter + 1, max_iter)};
  run.inertia = total_inertia(data, run.centers, run.labels);
  return run;
}

// Elkan's k-means (scikit-learn's _kmeans_single_elkan): the same iterations as Lloyd's, but a
// distance is computed only when the triangle inequality cannot rule its center out, with an
// upper bound on each row's distance to its center and a lower bound per row and center.
class ElkanBounds {
 public:
  ElkanBounds(const Data& data, int64_t k) : data_(data), k_(k), upper_(data.n), lower_(data.n * k) {}

  // Labels all rows from scratch against `centers`, setting the bounds (scikit-learn's
  // init_bounds).
  void init(const std::vector<double>& centers, std::vector<int64_t>& labels) {
    compute_center_distances(centers);
    const int64_t d = data_.d;
#pragma omp parallel for schedule(static) if(data_.n * data_.d >= kParallelWork)
    for (int64_t i = 0; i < data_.n; ++i) {
      const double* xi = data_.x + i * d;
      int64_t label = 0;
      double upper = std::sqrt(sq_dist(xi, centers.data(), d));
      lower_[i * k_] = upper;
      for (int64_t j = 1; j < k_; ++j) {
        if (upper <= half_[label * k_ + j]) continue;
        double dist = std::sqrt(sq_dist(xi, &centers[j * d], d));
        lower_[i * k_ + j] = dist;
        if (dist < upper) {
          label = j;
          upper = dist;
        }
      }
      labels[i] = label;
      upper_[i] = upper;
    }
  }

  // One relabelling against `centers` (scikit-learn's elkan_iter_chunked_dense, without the
  // center update, which the caller does).
  void relabel(const std::vector<double>& centers, std::vector<int64_t>& labels) {
    compute_center_distances(centers);
    const int64_t d = data_.d;
#pragma omp parallel for schedule(static) if(data_.n * data_.d >= kParallelWork)
    for (int64_t i = 0; i < data_.n; ++i) {
      const double* xi = data_.x + i * d;
      int64_t label = labels[i];
      double upper = upper_[i];
      if (next_[label] >= upper) continue;  // no other center can be closer
      bool tight = false;
      for (int64_t j = 0; j < k_; ++j) {
        if (j == label || upper <= lower_[i * k_ + j] || upper <= half_[label * k_ + j]) continue;
        if (!tight) {
          upper = std::sqrt(sq_dist(xi, &centers[label * d], d));
          lower_[i * k_ + label] = upper;
          tight = true;
          if (upper <= lower_[i * k_ + j] || upper <= half_[label * k_ + j]) continue;
        }
        double dist = std::sqrt(sq_dist(xi, &centers[j * d], d));
        lower_[i * k_ + j] = dist;
        if (dist < upper) {
          label = j;
          upper = dist;
        }
      }
      labels[i] = label;
      upper_[i] = upper;
    }
  }

  // After the centers moved by shift[c] (Euclidean): loosen the bounds.
  void move(const std::vector<double>& shift, const std::vector<int64_t>& labels) {
#pragma omp parallel for schedule(static) if(data_.n * k_ >= kParallelWork)
    for (int64_t i = 0; i < data_.n; ++i) {
      upper_[i] += shift[labels[i]];
      for (int64_t j = 0; j < k_; ++j) lower_[i * k_ + j] = std::max(lower_[i * k_ + j] - shift[j], 0.0);
    }
  }

 private:
  // Half the distances between centers, and each center's half distance to its nearest other.
  void compute_center_distances(const std::vector<double>& centers) {
    const int64_t d = data_.d;
    half_.assign(k_ * k_, 0.0);
    next_.assign(k_, std::numeric_limits<double>::infinity());
    for (int64_t a = 0; a < k_; ++a)
      for (int64_t b = 0; b < k_; ++b) {
        if (a == b) continue;
        half_[a * k_ + b] = std::sqrt(sq_dist(&centers[a * d], &centers[b * d], d)) / 2;
        next_[a] = std::min(next_[a], half_[a * k_ + b]);
      }
  }

  const Data& data_;
  int64_t k_;
  std::vector<double> upper_, lower_, half_, next_;
};

// Cluster sums and counts of the labelled rows, per chunk then in chunk order (deterministic).
void cluster_sums(const Data& data, const std::vector<int64_t>& labels, int64_t k, std::vector<double>& sums,
                  std::vector<double>& counts) {
  const int64_t n = data.n, d = data.d, chunks = n_chunks(n);
  std::vector<double> partial_sums(chunks * k * d, 0.0), partial_counts(chunks * k, 0.0);
#pragma omp parallel for schedule(static) if(n * d >= kParallelWork)
  for (int64_t b = 0; b < chunks; ++b)
    for (int64_t i = b * kChunk; i < std::min(n, (b + 1) * kChunk); ++i) {
      double* s = &partial_sums[(b * k + labels[i]) * d];
      for (int64_t t = 0; t < d; ++t) s[t] += data.x[i * d + t];
      partial_counts[b * k + labels[i]] += 1;
    }
  sums.assign(k * d, 0.0);
  counts.assign(k, 0.0);
  for (int64_t b = 0; b < chunks; ++b) {
    for (int64_t t = 0; t < k * d; ++t) sums[t] += partial_sums[b * k * d + t];
    for (int64_t c = 0; c < k; ++c) counts[c] += partial_counts[b * k + c];
  }
}

Run elkan(const Data& data, std::vector<double> centers, int64_t k, int64_t max_iter, double tol) {
  const int64_t n = data.n, d = data.d;
  std::vector<int64_t> labels(n), old_labels(n, -1);
  std::vector<double> sums, counts, shift(k);
  ElkanBounds bounds(data, k);
  bounds.init(centers, labels);
  bool strict = false;
  int64_t iter = 0;
  for (; iter < max_iter; ++iter) {
    if (iter > 0) bounds.relabel(centers, labels);
    cluster_sums(data, labels, k, sums, counts);
    relocate_empty(data, centers, labels, sums, counts, k);
    double total_shift = 0;
    for (int64_t c = 0; c < k; ++c) {
      double s = 0;
      for (int64_t t = 0; t < d; ++t) {
        double updated = counts[c] > 0 ? sums[c * d + t] / counts[c] : centers[c * d + t];
        s += (updated - centers[c * d + t]) * (updated - centers[c * d + t]);
        centers[c * d + t] = updated;
      }
      shift[c] = std::sqrt(s);
      total_shift += s;
    }
    bounds.move(shift, labels);
    if (labels == old_labels) {
      strict = true;
      break;
    }
    if (total_shift <= tol) break;
    old_labels = labels;
  }
  if (!strict) bounds.relabel(centers, labels);
  Run run{std::move(centers), std::move(labels), 0, std::min(iter + 1, max_iter)};
  run.inertia = total_inertia(data, run.centers, run.labels);
  return run;
}

// Nearest-center labels and squared distances of new rows against fitted centers.
std::vector<int64_t> nearest(const Tensor& X, const Tensor& centers_t, std::vector<double>* inertia_rows) {
  Data data{X.data<double>(), X.size(0), X.size(1), {}};
  int64_t k = centers_t.size(0);
  std::vector<double> centers = centers_t.to_vector<double>();
  std::vector<int64_t> labels(data.n);
  assign(data, centers, k, labels, nullptr, nullptr);
  if (inertia_rows) *inertia_rows = row_inertia(data, centers, labels);
  return labels;
}

}  // namespace

void KMeans::visit_params(ParamVisitor& v) {
  v.visit("n_clusters", &options_.n_clusters, int_in(at_least(1)));
  v.visit("init", &options_.init, one_of({"k-means++", "random"}));
  Constraint n_init = int_in(at_least(1));
  n_init.options = {"auto"};
  v.visit("n_init", &options_.n_init, n_init);
  v.visit("max_iter", &options_.max_iter, int_in(at_least(1)));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("verbose", &options_.verbose, int_in(at_least(0)));
  v.visit("random_state", &options_.random_state, int_or_none({}));
  v.visit("copy_x", &options_.copy_x, boolean());
  v.visit("algorithm", &options_.algorithm, one_of({"lloyd", "elkan", "auto", "full"}));
}

void KMeans::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("cluster_centers_", cluster_centers_);
  visit("labels_", labels_);
}

StateDict KMeans::fitted_state() const {
  StateDict state = Clusterer::fitted_state();
  state["inertia_"] = scalar_tensor(inertia_, kFloat64);
  state["n_iter_"] = scalar_tensor(n_iter_, kInt64);
  return state;
}

void KMeans::load_fitted_state(const StateDict& state) {
  StateDict arrays = state;
  auto take = [&](const char* key, DType dtype) {
    auto it = arrays.find(key);
    SOMA_CHECK(it != arrays.end() && it->second.dim() == 0 && it->second.dtype() == dtype,
               "KMeans: the saved state needs a scalar '{}'", key);
    Tensor t = it->second;
    arrays.erase(it);
    return t;
  };
  double inertia = take("inertia_", kFloat64).item<double>();
  int64_t n_iter = take("n_iter_", kInt64).item<int64_t>();
  Clusterer::load_fitted_state(arrays);
  SOMA_CHECK(std::isfinite(inertia) && inertia >= 0 && n_iter >= 0, "KMeans: inertia_ and n_iter_ must be non-negative");
  inertia_ = inertia;
  n_iter_ = n_iter;
}

void KMeans::check_fitted_state() const {
  int64_t k = options_.n_clusters;
  SOMA_CHECK(cluster_centers_.dtype() == kFloat64 && cluster_centers_.shape() == Shape({k, n_features_in_}),
             "KMeans: cluster_centers_ must be float64 [{}, {}]", k, n_features_in_);
  for (double v : cluster_centers_.to_vector<double>()) SOMA_CHECK(std::isfinite(v), "KMeans: cluster_centers_ must be finite");
  SOMA_CHECK(labels_.dtype() == kInt64 && labels_.dim() == 1, "KMeans: labels_ must be int64 [n_samples]");
  for (int64_t l : labels_.to_vector<int64_t>())
    SOMA_CHECK(l >= 0 && l < k, "KMeans: labels_ holds {} outside [0, {})", l, k);
}

KMeans& KMeans::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "KMeans.fit").clone();
  const int64_t n = X.size(0), d = X.size(1), k = options_.n_clusters;
  SOMA_CHECK(n >= k, "KMeans.fit: n_samples={} should be >= n_clusters={}", n, k);
  int64_t n_init = std::holds_alternative<int64_t>(options_.n_init) ? std::get<int64_t>(options_.n_init)
                   : options_.init == "k-means++"                   ? 1
                                                                    : 10;
  // Centering keeps the |x|² + |c|² - 2 x·c distances accurate; tol is relative to the mean
  // feature variance.
  double* x = X.data<double>();
  std::vector<double> mean(d, 0.0), var(d, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t) mean[t] += x[i * d + t];
  for (double& m : mean) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t) {
      x[i * d + t] -= mean[t];
      var[t] += x[i * d + t] * x[i * d + t];
    }
  double tol = options_.tol * std::accumulate(var.begin(), var.end(), 0.0) / static_cast<double>(n * d);
  Data data{x, n, d, {}};

  uint64_t seed = detail::resolve_seed(options_.random_state);
  Run best;
  bool have_best = false;
  for (int64_t run = 0; run < n_init; ++run) {
    std::mt19937_64 gen(task_seed(seed, static_cast<uint64_t>(run)));
    std::vector<double> init = options_.init == "k-means++" ? kmeans_plus_plus(data, k, gen) : random_rows(data, k, gen);
    Run result = options_.algorithm == "elkan" ? elkan(data, std::move(init), k, options_.max_iter, tol)
                                               : lloyd(data, std::move(init), k, options_.max_iter, tol);
    if (!have_best || result.inertia < best.inertia) {
      best = std::move(result);
      have_best = true;
    }
  }
  for (int64_t c = 0; c < k; ++c)
    for (int64_t t = 0; t < d; ++t) best.centers[c * d + t] += mean[t];
  cluster_centers_ = from_vector(best.centers, {k, d});
  labels_ = from_vector(best.labels, {n});
  inertia_ = best.inertia;
  n_iter_ = best.n_iter;
  n_features_in_ = d;
  return *this;
}

Tensor KMeans::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, "KMeans.predict");
  std::vector<int64_t> labels = nearest(X, cluster_centers_, nullptr);
  return from_vector(labels, {X.size(0)});
}

Tensor KMeans::transform(const Tensor& X_in) const {
  check_fitted(X_in, "transform");
  Tensor X = detail::check_matrix(X_in, "KMeans.transform");
  int64_t n = X.size(0), d = X.size(1), k = cluster_centers_.size(0);
  const double* x = X.data<double>();
  const double* c = cluster_centers_.data<double>();
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
#pragma omp parallel for schedule(static) if(n * k * d >= kParallelWork)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) o[i * k + j] = std::sqrt(sq_dist(x + i * d, c + j * d, d));
  return out;
}

Tensor KMeans::fit_transform(const Tensor& X) {
  fit(X);
  return transform(X);
}

double KMeans::score(const Tensor& X_in, const Tensor&) const {
  check_fitted(X_in, "score");
  Tensor X = detail::check_matrix(X_in, "KMeans.score");
  std::vector<double> rows;
  nearest(X, cluster_centers_, &rows);
  return -std::accumulate(rows.begin(), rows.end(), 0.0);
}

// ---- MiniBatchKMeans ------------------------------------------------------------------------

namespace {

std::vector<double> gather_rows(const double* x, int64_t d, const std::vector<int64_t>& rows) {
  std::vector<double> out(rows.size() * d);
  for (size_t r = 0; r < rows.size(); ++r) std::copy_n(x + rows[r] * d, d, out.begin() + r * d);
  return out;
}

int64_t resolve_n_init(const ParamValue& n_init, const std::string& init, int64_t for_random) {
  if (const auto* v = std::get_if<int64_t>(&n_init)) return *v;
  return init == "k-means++" ? 1 : for_random;  // 'auto', as scikit-learn 1.4
}

// Rows drawn uniformly with replacement.
std::vector<int64_t> draw_rows(int64_t n, int64_t count, std::mt19937_64& gen) {
  std::vector<int64_t> rows(count);
  for (int64_t& r : rows) r = std::min(n - 1, static_cast<int64_t>(uniform01(gen) * static_cast<double>(n)));
  return rows;
}

// One mini-batch step (scikit-learn's _mini_batch_step): labels the batch with the current
// centers, moves each chosen center to the weighted mean of what it has seen, and, when asked,
// moves centers chosen far less than the most chosen one onto random batch rows. Returns the
// batch inertia (against the centers before the step).
double mini_batch_step(const Data& batch, std::vector<double>& centers, std::vector<double>& weight_sums, int64_t k,
                       bool reassign, double reassignment_ratio, std::mt19937_64& gen) {
  const int64_t n = batch.n, d = batch.d;
  std::vector<int64_t> labels(n);
  std::vector<double> sums, counts;
  assign(batch, centers, k, labels, &sums, &counts);
  double inertia = total_inertia(batch, centers, labels);
  for (int64_t c = 0; c < k; ++c) {
    if (counts[c] == 0) continue;
    double total = weight_sums[c] + counts[c];
    for (int64_t t = 0; t < d; ++t) centers[c * d + t] = (centers[c * d + t] * weight_sums[c] + sums[c * d + t]) / total;
    weight_sums[c] = total;
  }
  if (!reassign) return inertia;
  double top = *std::max_element(weight_sums.begin(), weight_sums.end());
  std::vector<char> move(k);
  for (int64_t c = 0; c < k; ++c) move[c] = weight_sums[c] < reassignment_ratio * top;
  // Never more than half the batch: keep the most chosen of the candidates.
  int64_t limit = n / 2, moving = std::count(move.begin(), move.end(), 1);
  if (moving > limit) {
    std::vector<int64_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return weight_sums[a] < weight_sums[b]; });
    for (int64_t r = limit; r < k; ++r) move[order[r]] = 0;
    moving = limit;
  }
  if (moving == 0) return inertia;
  double kept_min = std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < k; ++c)
    if (!move[c]) kept_min = std::min(kept_min, weight_sums[c]);
  // Distinct batch rows for the moved centers (a partial shuffle).
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  int64_t next = 0;
  for (int64_t c = 0; c < k; ++c) {
    if (!move[c]) continue;
    int64_t j = next + static_cast<int64_t>(uniform01(gen) * static_cast<double>(n - next));
    std::swap(order[next], order[j]);
    std::copy_n(batch.x + order[next++] * d, d, centers.begin() + c * d);
    weight_sums[c] = kept_min;
  }
  return inertia;
}

}  // namespace

void MiniBatchKMeans::visit_params(ParamVisitor& v) {
  v.visit("n_clusters", &options_.n_clusters, int_in(at_least(1)));
  v.visit("init", &options_.init, one_of({"k-means++", "random"}));
  v.visit("max_iter", &options_.max_iter, int_in(at_least(0)));
  v.visit("batch_size", &options_.batch_size, int_in(at_least(1)));
  v.visit("verbose", &options_.verbose, int_in(at_least(0)));
  v.visit("compute_labels", &options_.compute_labels, boolean());
  v.visit("random_state", &options_.random_state, int_or_none({}));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("max_no_improvement", &options_.max_no_improvement, int_or_none(at_least(0)));
  v.visit("init_size", &options_.init_size, int_or_none(at_least(1)));
  Constraint n_init = int_in(at_least(1));
  n_init.options = {"auto"};
  v.visit("n_init", &options_.n_init, n_init);
  v.visit("reassignment_ratio", &options_.reassignment_ratio, real_in(at_least(0)));
}

void MiniBatchKMeans::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("cluster_centers_", cluster_centers_);
  visit("labels_", labels_);
}

StateDict MiniBatchKMeans::fitted_state() const {
  StateDict state = Clusterer::fitted_state();
  state["inertia_"] = scalar_tensor(inertia_, kFloat64);
  state["n_iter_"] = scalar_tensor(n_iter_, kInt64);
  state["n_steps_"] = scalar_tensor(n_steps_, kInt64);
  return state;
}

void MiniBatchKMeans::load_fitted_state(const StateDict& state) {
  StateDict arrays = state;
  auto take = [&](const char* key, DType dtype) {
    auto it = arrays.find(key);
    SOMA_CHECK(it != arrays.end() && it->second.dim() == 0 && it->second.dtype() == dtype,
               "MiniBatchKMeans: the saved state needs a scalar '{}'", key);
    Tensor t = it->second;
    arrays.erase(it);
    return t;
  };
  double inertia = take("inertia_", kFloat64).item<double>();
  int64_t n_iter = take("n_iter_", kInt64).item<int64_t>();
  int64_t n_steps = take("n_steps_", kInt64).item<int64_t>();
  Clusterer::load_fitted_state(arrays);
  inertia_ = inertia;
  n_iter_ = n_iter;
  n_steps_ = n_steps;
}

void MiniBatchKMeans::check_fitted_state() const {
  int64_t k = options_.n_clusters;
  SOMA_CHECK(cluster_centers_.dtype() == kFloat64 && cluster_centers_.shape() == Shape({k, n_features_in_}),
             "MiniBatchKMeans: cluster_centers_ must be float64 [{}, {}]", k, n_features_in_);
  for (double v : cluster_centers_.to_vector<double>())
    SOMA_CHECK(std::isfinite(v), "MiniBatchKMeans: cluster_centers_ must be finite");
  SOMA_CHECK(labels_.dtype() == kInt64 && labels_.dim() == 1, "MiniBatchKMeans: labels_ must be int64 [n_samples]");
  for (int64_t l : labels_.to_vector<int64_t>())
    SOMA_CHECK(l >= 0 && l < k, "MiniBatchKMeans: labels_ holds {} outside [0, {})", l, k);
}

MiniBatchKMeans& MiniBatchKMeans::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "MiniBatchKMeans.fit");
  const int64_t n = X.size(0), d = X.size(1), k = options_.n_clusters;
  SOMA_CHECK(n >= k, "MiniBatchKMeans.fit: n_samples={} should be >= n_clusters={}", n, k);
  const double* x = X.data<double>();
  const int64_t batch_size = std::min(options_.batch_size, n);
  int64_t init_size = options_.init_size.value_or(3 * batch_size);
  if (init_size < k) init_size = 3 * k;
  init_size = std::min(init_size, n);
  double tol = 0;
  if (options_.tol > 0) {
    std::vector<double> mean(d, 0.0), var(d, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < d; ++t) mean[t] += x[i * d + t] / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < d; ++t) var[t] += (x[i * d + t] - mean[t]) * (x[i * d + t] - mean[t]);
    tol = options_.tol * std::accumulate(var.begin(), var.end(), 0.0) / static_cast<double>(n * d);
  }
  std::mt19937_64 gen(task_seed(detail::resolve_seed(options_.random_state), 0));

  // Seedings on one random subset; the best by its inertia on that subset.
  std::vector<double> init_rows = gather_rows(x, d, draw_rows(n, init_size, gen));
  Data init_data{init_rows.data(), init_size, d, {}};
  std::vector<double> centers;
  double best_inertia = std::numeric_limits<double>::infinity();
  const int64_t n_init = resolve_n_init(options_.n_init, options_.init, 3);
  for (int64_t run = 0; run < n_init; ++run) {
    std::vector<double> candidate =
        options_.init == "k-means++" ? kmeans_plus_plus(init_data, k, gen) : random_rows(init_data, k, gen);
    std::vector<int64_t> labels(init_size);
    assign(init_data, candidate, k, labels, nullptr, nullptr);
    double inertia = total_inertia(init_data, candidate, labels);
    if (inertia < best_inertia) {
      best_inertia = inertia;
      centers = std::move(candidate);
    }
  }

  std::vector<double> weight_sums(k, 0.0);
  const int64_t n_steps = options_.max_iter * n / batch_size;
  const double alpha = std::min(1.0, 2.0 * static_cast<double>(batch_size) / static_cast<double>(n + 1));
  double ewa = 0, ewa_min = std::numeric_limits<double>::infinity();
  int64_t no_improvement = 0, since_reassign = 0, step = 0;
  for (; step < n_steps; ++step) {
    std::vector<double> batch_rows = gather_rows(x, d, draw_rows(n, batch_size, gen));
    Data batch{batch_rows.data(), batch_size, d, {}};
    since_reassign += batch_size;
    bool reassign = std::any_of(weight_sums.begin(), weight_sums.end(), [](double w) { return w == 0; }) ||
                    since_reassign >= 10 * k;
    if (reassign) since_reassign = 0;
    std::vector<double> before = centers;
    double batch_inertia =
        mini_batch_step(batch, centers, weight_sums, k, reassign, options_.reassignment_ratio, gen) /
        static_cast<double>(batch_size);
    // scikit-learn's stopping rules; the first step's inertia is not meaningful.
    if (step == 0) continue;
    ewa = step == 1 ? batch_inertia : ewa * (1 - alpha) + batch_inertia * alpha;
    if (tol > 0) {
      double shift = 0;
      for (int64_t t = 0; t < k * d; ++t) shift += (centers[t] - before[t]) * (centers[t] - before[t]);
      if (shift <= tol) break;
    }
    if (ewa < ewa_min) {
      no_improvement = 0;
      ewa_min = ewa;
    } else {
      ++no_improvement;
    }
    if (options_.max_no_improvement && no_improvement >= *options_.max_no_improvement) break;
  }
  n_steps_ = std::min(step + 1, std::max<int64_t>(n_steps, 0));
  n_iter_ = (n_steps_ * batch_size + n - 1) / n;
  cluster_centers_ = from_vector(centers, {k, d});
  n_features_in_ = d;
  inertia_ = 0;
  labels_ = empty({0}, kInt64);
  if (options_.compute_labels) {
    Data all{x, n, d, {}};
    std::vector<int64_t> labels(n);
    assign(all, centers, k, labels, nullptr, nullptr);
    inertia_ = total_inertia(all, centers, labels);
    labels_ = from_vector(labels, {n});
  }
  return *this;
}

Tensor MiniBatchKMeans::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, "MiniBatchKMeans.predict");
  return from_vector(nearest(X, cluster_centers_, nullptr), {X.size(0)});
}

Tensor MiniBatchKMeans::transform(const Tensor& X_in) const {
  check_fitted(X_in, "transform");
  Tensor X = detail::check_matrix(X_in, "MiniBatchKMeans.transform");
  int64_t n = X.size(0), d = X.size(1), k = cluster_centers_.size(0);
  const double* x = X.data<double>();
  const double* c = cluster_centers_.data<double>();
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
#pragma omp parallel for schedule(static) if(n * k * d >= kParallelWork)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) o[i * k + j] = std::sqrt(sq_dist(x + i * d, c + j * d, d));
  return out;
}

double MiniBatchKMeans::score(const Tensor& X_in, const Tensor&) const {
  check_fitted(X_in, "score");
  Tensor X = detail::check_matrix(X_in, "MiniBatchKMeans.score");
  std::vector<double> rows;
  nearest(X, cluster_centers_, &rows);
  return -std::accumulate(rows.begin(), rows.end(), 0.0);
}

}  // namespace soma::ml
