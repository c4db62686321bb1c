#pragma once
// Evaluation metrics with scikit-learn's semantics. Arguments come in torch order,
// (pred, target), where scikit-learn writes (y_true, y_pred).
//
// Classification: `pred` is class indices (an integer tensor [N]) or scores (logits or
// probabilities, floating [N, C], reduced with argmax); `target` is class indices (integer [N]).
// Class labels are non-negative. Unless `num_classes` is given, the classes are the labels that
// occur in pred or target (scikit-learn's unique_labels); with it they are 0..num_classes-1.
// A ratio with a zero denominator counts as 0, like scikit-learn's default zero_division.
//
// Regression: `pred` and `target` have the same shape, [N] or [N, D]; with D outputs the
// result is the mean of the per-output scores (scikit-learn's multioutput="uniform_average").
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "soma/tensor.h"

namespace soma::metrics {

// ---- classification ---------------------------------------------------------------------------

double accuracy(const Tensor& pred, const Tensor& target);
// The fraction of samples whose target is among the k highest of `scores` [N, C]. Ties rank the
// higher class index first, as scikit-learn's top_k_accuracy_score does.
double top_k_accuracy(const Tensor& scores, const Tensor& target, int64_t k);

enum class Average {
  Binary,    // the score of class pos_label; at most two classes may occur
  Macro,     // the unweighted mean of the per-class scores
  Micro,     // the score of the pooled counts (equals accuracy when every class is included)
  Weighted,  // the per-class scores weighted by support (the count of each class in target)
  None,      // the per-class scores, in class order
};

// float64: 0-d, or [number of classes] with Average::None.
Tensor precision(const Tensor& pred, const Tensor& target, Average average = Average::Binary, int64_t pos_label = 1,
                 std::optional<int64_t> num_classes = std::nullopt);
Tensor recall(const Tensor& pred, const Tensor& target, Average average = Average::Binary, int64_t pos_label = 1,
              std::optional<int64_t> num_classes = std::nullopt);
Tensor f1_score(const Tensor& pred, const Tensor& target, Average average = Average::Binary, int64_t pos_label = 1,
                std::optional<int64_t> num_classes = std::nullopt);

// int64 [C, C]: entry (i, j) counts the samples of true class i predicted as class j.
Tensor confusion_matrix(const Tensor& pred, const Tensor& target, int64_t num_classes);
// The matrix as an aligned text table, rows = true class; class_names default to 0, 1, ...
std::string format_confusion_matrix(const Tensor& matrix, const std::vector<std::string>& class_names = {});
// Per-class precision, recall, F1 and support, then accuracy and the macro and weighted
// averages, laid out exactly like scikit-learn's classification_report. With class_names the
// classes are 0..class_names.size()-1.
std::string classification_report(const Tensor& pred, const Tensor& target,
                                  const std::vector<std::string>& class_names = {}, int digits = 2);

// ---- probabilities and scores ------------------------------------------------------------------

// Cross-entropy of predicted probabilities `proba` [N, C] (rows are renormalized after clipping
// to [eps, 1 - eps]; eps 0 means the dtype's machine epsilon, scikit-learn 1.2's 'auto') or [N]
// (the probability of class 1 of two), against class indices `target` [N] in 0..C-1. The mean
// over samples, as scikit-learn's log_loss.
double log_loss(const Tensor& proba, const Tensor& target, double eps = 0);
// Area under the ROC curve. Binary: `scores` [N] rank class 1 above class 0 (target holds 0 and
// 1; tied scores count half). Multiclass: `scores` [N, C] and the unweighted mean of the
// one-vs-rest areas (scikit-learn's multi_class='ovr', average='macro'). Throws when a class
// (or, binary, either class) is absent from target, where the area is undefined.
double roc_auc_score(const Tensor& scores, const Tensor& target);
// Average precision of binary `scores` [N] for target 1: sum over thresholds of
// (R_n - R_{n-1}) * P_n, as scikit-learn's average_precision_score (no interpolation).
double average_precision_score(const Tensor& scores, const Tensor& target);

// ---- clustering ---------------------------------------------------------------------------------

// The mean silhouette coefficient (b - a) / max(a, b) of the rows of X [N, D] under integer
// cluster `labels` [N] (Euclidean distance; a sample alone in its cluster scores 0). Needs
// 2 <= number of clusters <= N - 1.
double silhouette_score(const Tensor& X, const Tensor& labels);
// The Rand index adjusted for chance (1: identical partitions up to renaming, about 0: random)
// between two integer labelings [N], as scikit-learn's adjusted_rand_score.
double adjusted_rand_score(const Tensor& labels_true, const Tensor& labels_pred);

// ---- regression -------------------------------------------------------------------------------

double mean_squared_error(const Tensor& pred, const Tensor& target);
double mean_absolute_error(const Tensor& pred, const Tensor& target);
// The square root of each output's mean squared error, averaged over outputs.
double root_mean_squared_error(const Tensor& pred, const Tensor& target);
// 1 - SS_res / SS_tot per output. A constant target scores 1 when predicted exactly, else 0;
// fewer than two samples give NaN.
double r2_score(const Tensor& pred, const Tensor& target);

// ---- running averages -------------------------------------------------------------------------

// A weighted running mean, e.g. of the batch losses of an epoch.
class RunningMean {
 public:
  void add(double value, double weight = 1);  // weight >= 0
  double mean() const;                        // NaN until some weight has been added
  int64_t count() const { return count_; }    // the number of add() calls
  double total_weight() const { return weight_; }
  void reset() { *this = RunningMean(); }

 private:
  double sum_ = 0, weight_ = 0;
  int64_t count_ = 0;
};

// ---- ranking ----------------------------------------------------------------------------------

// `ranked[q]` lists the items returned for query q, best first; `relevant[q]` its relevant items.
// The fraction of queries with a relevant item among their first k results.
double hit_rate_at_k(const std::vector<std::vector<int64_t>>& ranked,
                     const std::vector<std::unordered_set<int64_t>>& relevant, int64_t k);
// The mean over queries of 1 / (rank of the first relevant result), 0 when none is found
// (among the first k results, when k is given).
double mean_reciprocal_rank(const std::vector<std::vector<int64_t>>& ranked,
                            const std::vector<std::unordered_set<int64_t>>& relevant,
                            std::optional<int64_t> k = std::nullopt);

}  // namespace soma::metrics
