#pragma once
// Loss modules: forward(input, target) calls the functional form with the module's settings.
#include "soma/nn/functional/ctc_loss.h"
#include "soma/nn/functional/loss.h"
#include "soma/nn/module.h"

namespace soma::nn {

using functional::Reduction;

// The base of the losses: a two-input forward (the one-input Module::forward throws).
class Loss : public Module {
 public:
  using Module::forward;
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }

  Reduction reduction;

 protected:
  Loss(std::string type_name, Reduction reduction) : Module(std::move(type_name)), reduction(reduction) {}
};

// options.reduction is ignored: the module's `reduction` applies.
class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(functional::CrossEntropyOptions options = {})
      : Loss("CrossEntropyLoss", options.reduction), options(std::move(options)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    functional::CrossEntropyOptions o = options;
    o.reduction = reduction;
    return functional::cross_entropy(input, target, o);
  }
  functional::CrossEntropyOptions options;
};

// options.reduction is ignored: the module's `reduction` applies.
class NLLLoss : public Loss {
 public:
  explicit NLLLoss(functional::NLLLossOptions options = {})
      : Loss("NLLLoss", options.reduction), options(std::move(options)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    functional::NLLLossOptions o = options;
    o.reduction = reduction;
    return functional::nll_loss(input, target, o);
  }
  functional::NLLLossOptions options;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(Tensor weight = {}, Reduction reduction = Reduction::Mean)
      : Loss("BCELoss", reduction), weight(std::move(weight)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::binary_cross_entropy(input, target, weight, reduction);
  }
  Tensor weight;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Tensor weight = {}, Tensor pos_weight = {}, Reduction reduction = Reduction::Mean)
      : Loss("BCEWithLogitsLoss", reduction), weight(std::move(weight)), pos_weight(std::move(pos_weight)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction);
  }
  Tensor weight, pos_weight;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Loss("MSELoss", reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::mse_loss(input, target, reduction);
  }
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::Mean) : Loss("L1Loss", reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::l1_loss(input, target, reduction);
  }
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::Mean, double beta = 1.0)
      : Loss("SmoothL1Loss", reduction), beta(beta) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::smooth_l1_loss(input, target, reduction, beta);
  }
  double beta;
};

class HuberLoss : public Loss {
 public:
  explicit HuberLoss(Reduction reduction = Reduction::Mean, double delta = 1.0)
      : Loss("HuberLoss", reduction), delta(delta) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::huber_loss(input, target, reduction, delta);
  }
  double delta;
};

class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(Reduction reduction = Reduction::Mean, bool log_target = false)
      : Loss("KLDivLoss", reduction), log_target(log_target) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::kl_div(input, target, reduction, log_target);
  }
  bool log_target;
};

class HingeEmbeddingLoss : public Loss {
 public:
  explicit HingeEmbeddingLoss(double margin = 1.0, Reduction reduction = Reduction::Mean)
      : Loss("HingeEmbeddingLoss", reduction), margin(margin) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::hinge_embedding_loss(input, target, margin, reduction);
  }
  double margin;
};

class MultiMarginLoss : public Loss {
 public:
  explicit MultiMarginLoss(int p = 1, double margin = 1.0, Tensor weight = {}, Reduction reduction = Reduction::Mean)
      : Loss("MultiMarginLoss", reduction), p(p), margin(margin), weight(std::move(weight)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::multi_margin_loss(input, target, p, margin, weight, reduction);
  }
  int p;
  double margin;
  Tensor weight;
};

// forward(input1, input2, target).
class MarginRankingLoss : public Module {
 public:
  explicit MarginRankingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : Module("MarginRankingLoss"), margin(margin), reduction(reduction) {}
  using Module::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
    return functional::margin_ranking_loss(input1, input2, target, margin, reduction);
  }
  Tensor operator()(const Tensor& input1, const Tensor& input2, const Tensor& target) {
    return forward(input1, input2, target);
  }
  double margin;
  Reduction reduction;
};

// forward(input1, input2, target).
class CosineEmbeddingLoss : public Module {
 public:
  explicit CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : Module("CosineEmbeddingLoss"), margin(margin), reduction(reduction) {}
  using Module::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
    return functional::cosine_embedding_loss(input1, input2, target, margin, reduction);
  }
  Tensor operator()(const Tensor& input1, const Tensor& input2, const Tensor& target) {
    return forward(input1, input2, target);
  }
  double margin;
  Reduction reduction;
};

// forward(anchor, positive, negative).
class TripletMarginLoss : public Module {
 public:
  explicit TripletMarginLoss(double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false,
                             Reduction reduction = Reduction::Mean)
      : Module("TripletMarginLoss"), margin(margin), p(p), eps(eps), swap(swap), reduction(reduction) {}
  using Module::forward;
  Tensor forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) {
    return functional::triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction);
  }
  Tensor operator()(const Tensor& anchor, const Tensor& positive, const Tensor& negative) {
    return forward(anchor, positive, negative);
  }
  double margin, p, eps;
  bool swap;
  Reduction reduction;
};

class SoftMarginLoss : public Loss {
 public:
  explicit SoftMarginLoss(Reduction reduction = Reduction::Mean) : Loss("SoftMarginLoss", reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::soft_margin_loss(input, target, reduction);
  }
};

class MultiLabelMarginLoss : public Loss {
 public:
  explicit MultiLabelMarginLoss(Reduction reduction = Reduction::Mean) : Loss("MultiLabelMarginLoss", reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::multilabel_margin_loss(input, target, reduction);
  }
};

class PoissonNLLLoss : public Loss {
 public:
  explicit PoissonNLLLoss(bool log_input = true, bool full = false, double eps = 1e-8,
                          Reduction reduction = Reduction::Mean)
      : Loss("PoissonNLLLoss", reduction), log_input(log_input), full(full), eps(eps) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::poisson_nll_loss(input, target, log_input, full, eps, reduction);
  }
  bool log_input, full;
  double eps;
};

// forward(input, target, var).
class GaussianNLLLoss : public Module {
 public:
  explicit GaussianNLLLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction::Mean)
      : Module("GaussianNLLLoss"), full(full), eps(eps), reduction(reduction) {}
  using Module::forward;
  Tensor forward(const Tensor& input, const Tensor& target, const Tensor& var) {
    return functional::gaussian_nll_loss(input, target, var, full, eps, reduction);
  }
  Tensor operator()(const Tensor& input, const Tensor& target, const Tensor& var) {
    return forward(input, target, var);
  }
  bool full;
  double eps;
  Reduction reduction;
};

// forward(log_probs, targets, input_lengths, target_lengths): see functional::ctc_loss.
class CTCLoss : public Module {
 public:
  explicit CTCLoss(int64_t blank = 0, Reduction reduction = Reduction::Mean, bool zero_infinity = false)
      : Module("CTCLoss"), blank(blank), reduction(reduction), zero_infinity(zero_infinity) {}
  using Module::forward;
  Tensor forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                 const Tensor& target_lengths) {
    return functional::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity);
  }
  Tensor operator()(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                    const Tensor& target_lengths) {
    return forward(log_probs, targets, input_lengths, target_lengths);
  }
  int64_t blank;
  Reduction reduction;
  bool zero_infinity;
};

}  // namespace soma::nn
