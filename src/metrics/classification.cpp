// Classification metrics, computed from per-class counts in plain loops (they are O(N)).
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "soma/creation.h"
#include "soma/metrics.h"

namespace soma::metrics {

namespace {

std::string describe(const Tensor& t) { return fmt::format("{} {}", dtype_name(t.dtype()), t.shape()); }

// Class indices: pred as given ([N] integers) or the argmax of its scores ([N, C] floating).
std::vector<int64_t> pred_labels(const Tensor& pred, const char* op) {
  if (pred.dim() == 1 && is_integral(pred.dtype())) return pred.to_vector<int64_t>();
  SOMA_CHECK(pred.dim() == 2 && pred.is_floating_point(),
             "{}: pred must be class indices (integer [N]) or scores (floating [N, C]), got {}", op, describe(pred));
  return pred.argmax(1).to_vector<int64_t>();
}

std::vector<int64_t> target_labels(const Tensor& target, size_t n, const char* op) {
  SOMA_CHECK(target.dim() == 1 && is_integral(target.dtype()), "{}: target must be class indices (integer [N]), got {}",
             op, describe(target));
  SOMA_CHECK(static_cast<size_t>(target.size(0)) == n, "{}: pred has {} samples but target has {}", op, n,
             target.size(0));
  SOMA_CHECK(n > 0, "{}: no samples", op);
  return target.to_vector<int64_t>();
}

void check_labels(const std::vector<int64_t>& v, const char* what, std::optional<int64_t> num_classes, const char* op) {
  for (int64_t x : v) {
    SOMA_CHECK(x >= 0, "{}: {} holds label {}; class labels must be >= 0", op, what, x);
    SOMA_CHECK(!num_classes || x < *num_classes, "{}: {} holds label {}, out of range for {} classes", op, what, x,
               *num_classes);
  }
}

// Per-class counts over the classes `labels` (ascending).
struct Counts {
  std::vector<int64_t> labels;
  std::vector<double> tp, predicted, actual;  // actual = support
  int64_t n = 0, correct = 0;

  std::vector<int64_t> present() const {  // the labels occurring in pred or target
    std::vector<int64_t> out;
    for (size_t i = 0; i < labels.size(); ++i)
      if (predicted[i] + actual[i] > 0) out.push_back(labels[i]);
    return out;
  }
};

Counts count(const Tensor& pred, const Tensor& target, std::optional<int64_t> num_classes, const char* op) {
  SOMA_CHECK(!num_classes || *num_classes >= 1, "{}: num_classes must be >= 1, got {}", op, *num_classes);
  SOMA_CHECK(!num_classes || pred.dim() != 2 || pred.size(1) == *num_classes,
             "{}: pred has scores for {} classes but num_classes is {}", op, pred.dim() == 2 ? pred.size(1) : 0,
             *num_classes);
  const std::vector<int64_t> p = pred_labels(pred, op), t = target_labels(target, p.size(), op);
  check_labels(p, "pred", num_classes, op);
  check_labels(t, "target", num_classes, op);
  Counts c;
  if (num_classes) {
    c.labels.resize(*num_classes);
    std::iota(c.labels.begin(), c.labels.end(), 0);
  } else {
    c.labels = p;
    c.labels.insert(c.labels.end(), t.begin(), t.end());
    std::sort(c.labels.begin(), c.labels.end());
    c.labels.erase(std::unique(c.labels.begin(), c.labels.end()), c.labels.end());
  }
  const size_t k = c.labels.size();
  c.tp.assign(k, 0);
  c.predicted.assign(k, 0);
  c.actual.assign(k, 0);
  const bool dense = c.labels.back() == static_cast<int64_t>(k) - 1;  // labels are 0..k-1
  const auto index = [&](int64_t label) {
    return dense ? label : std::lower_bound(c.labels.begin(), c.labels.end(), label) - c.labels.begin();
  };
  c.n = static_cast<int64_t>(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    const int64_t ip = index(p[i]), it = index(t[i]);
    c.predicted[ip] += 1;
    c.actual[it] += 1;
    if (ip == it) {
      c.tp[it] += 1;
      ++c.correct;
    }
  }
  return c;
}

enum class Kind { Precision, Recall, F1 };

double ratio(double a, double b) { return b == 0 ? 0 : a / b; }

double score(Kind kind, double tp, double predicted, double actual) {
  const double p = ratio(tp, predicted), r = ratio(tp, actual);
  if (kind == Kind::Precision) return p;
  if (kind == Kind::Recall) return r;
  return ratio(2 * p * r, p + r);
}

std::vector<double> per_class(Kind kind, const Counts& c) {
  std::vector<double> s(c.labels.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = score(kind, c.tp[i], c.predicted[i], c.actual[i]);
  return s;
}

double averaged(Kind kind, const Counts& c, Average average, int64_t pos_label, const char* op) {
  switch (average) {
    case Average::Binary: {
      const std::vector<int64_t> present = c.present();
      SOMA_CHECK(present.size() <= 2,
                 "{}: average=binary needs at most 2 classes, but the labels are [{}]; use macro, micro, weighted or "
                 "none",
                 op, fmt::join(present, ", "));
      const bool found = std::find(present.begin(), present.end(), pos_label) != present.end();
      SOMA_CHECK(found || present.size() < 2, "{}: pos_label={} is not one of the labels [{}]", op, pos_label,
                 fmt::join(present, ", "));
      if (!found) return 0;
      const size_t i = std::find(c.labels.begin(), c.labels.end(), pos_label) - c.labels.begin();
      return score(kind, c.tp[i], c.predicted[i], c.actual[i]);
    }
    case Average::Micro:
      return score(kind, std::reduce(c.tp.begin(), c.tp.end()), std::reduce(c.predicted.begin(), c.predicted.end()),
                   std::reduce(c.actual.begin(), c.actual.end()));
    case Average::Macro: {
      const std::vector<double> s = per_class(kind, c);
      return std::reduce(s.begin(), s.end()) / static_cast<double>(s.size());
    }
    case Average::Weighted: {
      const std::vector<double> s = per_class(kind, c);
      return ratio(std::transform_reduce(s.begin(), s.end(), c.actual.begin(), 0.0),
                   std::reduce(c.actual.begin(), c.actual.end()));
    }
    case Average::None:
      break;
  }
  __builtin_unreachable();
}

Tensor classification_score(Kind kind, const char* op, const Tensor& pred, const Tensor& target, Average average,
                            int64_t pos_label, std::optional<int64_t> num_classes) {
  const Counts c = count(pred, target, num_classes, op);
  if (average == Average::None) return from_vector(per_class(kind, c));
  return scalar_tensor(averaged(kind, c, average, pos_label, op), kFloat64);
}

std::vector<std::string> names_or_indices(const std::vector<std::string>& names, const std::vector<int64_t>& labels) {
  if (!names.empty()) return names;
  std::vector<std::string> out;
  for (int64_t l : labels) out.push_back(std::to_string(l));
  return out;
}

}  // namespace

double accuracy(const Tensor& pred, const Tensor& target) {
  const std::vector<int64_t> p = pred_labels(pred, "accuracy"), t = target_labels(target, p.size(), "accuracy");
  int64_t correct = 0;
  for (size_t i = 0; i < p.size(); ++i) correct += p[i] == t[i];
  return static_cast<double>(correct) / static_cast<double>(p.size());
}

double top_k_accuracy(const Tensor& scores, const Tensor& target, int64_t k) {
  const char* op = "top_k_accuracy";
  SOMA_CHECK(scores.dim() == 2 && scores.is_floating_point(), "{}: scores must be floating [N, C], got {}", op,
             describe(scores));
  const int64_t n = scores.size(0), classes = scores.size(1);
  SOMA_CHECK(k >= 1 && k <= classes, "{}: k = {} is out of range for {} classes", op, k, classes);
  const std::vector<int64_t> t = target_labels(target, n, op);
  check_labels(t, "target", classes, op);
  const std::vector<double> s = scores.to_vector<double>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = s.data() + i * classes;
    const double st = row[t[i]];
    // The target's rank: classes scoring higher, and tied classes of higher index, come first.
    int64_t rank = 0;
    for (int64_t j = 0; j < classes; ++j) rank += row[j] > st || (row[j] == st && j > t[i]);
    hits += rank < k;
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

Tensor precision(const Tensor& pred, const Tensor& target, Average average, int64_t pos_label,
                 std::optional<int64_t> num_classes) {
  return classification_score(Kind::Precision, "precision", pred, target, average, pos_label, num_classes);
}

Tensor recall(const Tensor& pred, const Tensor& target, Average average, int64_t pos_label,
              std::optional<int64_t> num_classes) {
  return classification_score(Kind::Recall, "recall", pred, target, average, pos_label, num_classes);
}

Tensor f1_score(const Tensor& pred, const Tensor& target, Average average, int64_t pos_label,
                std::optional<int64_t> num_classes) {
  return classification_score(Kind::F1, "f1_score", pred, target, average, pos_label, num_classes);
}

Tensor confusion_matrix(const Tensor& pred, const Tensor& target, int64_t num_classes) {
  const char* op = "confusion_matrix";
  SOMA_CHECK(num_classes >= 1, "{}: num_classes must be >= 1, got {}", op, num_classes);
  const std::vector<int64_t> p = pred_labels(pred, op), t = target_labels(target, p.size(), op);
  check_labels(p, "pred", num_classes, op);
  check_labels(t, "target", num_classes, op);
  std::vector<int64_t> m(num_classes * num_classes, 0);
  for (size_t i = 0; i < p.size(); ++i) ++m[t[i] * num_classes + p[i]];
  return from_vector(m, {num_classes, num_classes});
}

std::string format_confusion_matrix(const Tensor& matrix, const std::vector<std::string>& class_names) {
  const char* op = "format_confusion_matrix";
  SOMA_CHECK(matrix.dim() == 2 && matrix.size(0) == matrix.size(1) && is_integral(matrix.dtype()),
             "{}: expected a square integer matrix, got {}", op, describe(matrix));
  const int64_t c = matrix.size(0);
  SOMA_CHECK(class_names.empty() || static_cast<int64_t>(class_names.size()) == c,
             "{}: {} class names for a {} x {} matrix", op, class_names.size(), c, c);
  std::vector<int64_t> labels(c);
  std::iota(labels.begin(), labels.end(), 0);
  const std::vector<std::string> names = names_or_indices(class_names, labels);
  const std::vector<int64_t> m = matrix.to_vector<int64_t>();
  const std::string corner = "true\\pred";
  size_t first = corner.size();
  for (const std::string& s : names) first = std::max(first, s.size());
  std::vector<size_t> width(c);
  for (int64_t j = 0; j < c; ++j) {
    width[j] = names[j].size();
    for (int64_t i = 0; i < c; ++i) width[j] = std::max(width[j], fmt::formatted_size("{}", m[i * c + j]));
  }
  std::string out = fmt::format("{:>{}}", corner, first);
  for (int64_t j = 0; j < c; ++j) out += fmt::format("  {:>{}}", names[j], width[j]);
  for (int64_t i = 0; i < c; ++i) {
    out += fmt::format("\n{:>{}}", names[i], first);
    for (int64_t j = 0; j < c; ++j) out += fmt::format("  {:>{}}", m[i * c + j], width[j]);
  }
  return out + "\n";
}

std::string classification_report(const Tensor& pred, const Tensor& target, const std::vector<std::string>& class_names,
                                  int digits) {
  const char* op = "classification_report";
  SOMA_CHECK(digits >= 0 && digits <= 17, "{}: digits must be in [0, 17], got {}", op, digits);
  std::optional<int64_t> num_classes;
  if (!class_names.empty()) num_classes = static_cast<int64_t>(class_names.size());
  const Counts c = count(pred, target, num_classes, op);
  const std::vector<std::string> names = names_or_indices(class_names, c.labels);
  const std::vector<double> p = per_class(Kind::Precision, c), r = per_class(Kind::Recall, c),
                            f = per_class(Kind::F1, c);

  size_t w = std::max<size_t>(std::string_view("weighted avg").size(), digits);
  for (const std::string& s : names) w = std::max(w, s.size());
  const auto row = [&](std::string_view name, double a, double b, double d, int64_t support) {
    return fmt::format("{:>{}}  {:>9.{}f} {:>9.{}f} {:>9.{}f} {:>9}\n", name, w, a, digits, b, digits, d, digits,
                       support);
  };
  std::string out =
      fmt::format("{:>{}}  {:>9} {:>9} {:>9} {:>9}\n\n", "", w, "precision", "recall", "f1-score", "support");
  for (size_t i = 0; i < names.size(); ++i) out += row(names[i], p[i], r[i], f[i], static_cast<int64_t>(c.actual[i]));
  out += "\n";
  // Micro averages equal accuracy unless some class occurs in neither pred nor target.
  if (c.present().size() == c.labels.size())
    out += fmt::format("{:>{}}  {:>9} {:>9} {:>9.{}f} {:>9}\n", "accuracy", w, "", "",
                       static_cast<double>(c.correct) / static_cast<double>(c.n), digits, c.n);
  else
    out += row("micro avg", averaged(Kind::Precision, c, Average::Micro, 0, op),
               averaged(Kind::Recall, c, Average::Micro, 0, op), averaged(Kind::F1, c, Average::Micro, 0, op), c.n);
  for (auto [name, average] : {std::pair{"macro avg", Average::Macro}, std::pair{"weighted avg", Average::Weighted}})
    out += row(name, averaged(Kind::Precision, c, average, 0, op), averaged(Kind::Recall, c, average, 0, op),
               averaged(Kind::F1, c, average, 0, op), c.n);
  return out;
}

}  // namespace soma::metrics
