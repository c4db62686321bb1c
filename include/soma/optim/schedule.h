#pragma once
// Learning-rate schedules. A scheduler sets the learning rates of an optimizer's groups as its
// step count advances (epochs, or iterations when stepped per batch). Call step() after the
// optimizer's step:
//
//   optim::SGD opt(params, {.lr = 0.1});
//   optim::CosineAnnealingLR sched(opt, {.T_max = 100});
//   for (epoch...) { train(...); sched.step(); }
//
// The formulas are PyTorch's (torch.optim.lr_scheduler). As there, step() is chainable: each
// group's new lr follows from its current one (StepLR multiplies it by gamma every step_size
// steps, ...), so two schedulers on one optimizer compose (StepLR + ExponentialLR) and an lr set
// by hand carries on from there. step(epoch) and lr_at() give the closed form from the initial
// lrs (Optimizer::initial_lrs()). CosineAnnealingWarmRestarts and OneCycleLR are closed forms
// only, as in PyTorch. A linear warm-up is a SequentialLR of a LinearLR and the main schedule:
//
//   auto warmup = std::make_shared<optim::LinearLR>(opt, optim::LinearLROptions{.start_factor = 0.01,
//                                                                                 .total_iters = 5});
//   auto cosine = std::make_shared<optim::CosineAnnealingLR>(opt, optim::CosineAnnealingLROptions{.T_max = 95});
//   optim::SequentialLR sched(opt, {warmup, cosine}, {5});
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "soma/optim/optimizer.h"

namespace soma::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one step: every group's lr follows from its current lr (PyTorch's get_lr()).
  void step();
  // Jumps to `epoch` and sets the closed form there (PyTorch's step(epoch)).
  void step(int64_t epoch);
  int64_t last_epoch() const { return last_epoch_; }
  const Optimizer& optimizer() const { return optimizer_; }
  // The closed form: the learning rate this schedule gives a group with initial lr `base_lr` at
  // `epoch` when nothing else changes it.
  virtual double lr_at(int64_t epoch, double base_lr) const = 0;
  // The current learning rate of every group.
  std::vector<double> last_lrs() const;

  StateDict state_dict() const;  // "last_epoch" (0-d int64)
  // Restores the step count. The learning rates are the optimizer's state, as in PyTorch: load
  // the optimizer's state_dict too.
  virtual void load_state_dict(const StateDict& state);

 protected:
  // The chainable rule: the lr at last_epoch of a group whose lr is now `lr` and whose initial
  // lr is `base_lr`. By default the closed form (schedules that have no chainable form).
  virtual double chained_lr(double lr, double base_lr) const { return lr_at(last_epoch_, base_lr); }
  // Sets every group's lr for last_epoch: chained, or in closed form.
  virtual void apply(bool closed_form);
  // Derived constructors call it once configured: last_epoch 0 and its learning rates
  // (PyTorch's initial step, e.g. LinearLR multiplies the lrs by start_factor).
  void initial_step();
  static void set_last_epoch(LRScheduler& s, int64_t epoch) { s.last_epoch_ = epoch; }

  Optimizer& optimizer_;
  int64_t last_epoch_ = 0;
};

// lr = base * factor for the first total_iters steps, then base.
struct ConstantLROptions {
  double factor = 1.0 / 3;
  int64_t total_iters = 5;
};
class ConstantLR : public LRScheduler {
 public:
  ConstantLR(Optimizer& optimizer, ConstantLROptions options = {});
  double lr_at(int64_t epoch, double base_lr) const override;
  ConstantLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * factor, factor linear from start_factor to end_factor over total_iters steps.
struct LinearLROptions {
  double start_factor = 1.0 / 3;
  double end_factor = 1.0;
  int64_t total_iters = 5;
};
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, LinearLROptions options = {});
  double lr_at(int64_t epoch, double base_lr) const override;
  LinearLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * gamma^(epoch / step_size).
struct StepLROptions {
  int64_t step_size = 1;
  double gamma = 0.1;
};
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, StepLROptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  StepLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * gamma^(number of milestones <= epoch).
struct MultiStepLROptions {
  std::vector<int64_t> milestones;
  double gamma = 0.1;
};
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, MultiStepLROptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  MultiStepLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * gamma^epoch.
struct ExponentialLROptions {
  double gamma = 0.9;
};
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, ExponentialLROptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  ExponentialLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2 (a cosine that keeps going
// past T_max, as PyTorch's).
struct CosineAnnealingLROptions {
  int64_t T_max = 1;
  double eta_min = 0;
};
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  CosineAnnealingLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * (1 - min(epoch, total_iters) / total_iters)^power.
struct PolynomialLROptions {
  int64_t total_iters = 5;
  double power = 1.0;
};
class PolynomialLR : public LRScheduler {
 public:
  PolynomialLR(Optimizer& optimizer, PolynomialLROptions options = {});
  double lr_at(int64_t epoch, double base_lr) const override;
  PolynomialLROptions options;

 protected:
  double chained_lr(double lr, double base_lr) const override;
};

// lr = base * lr_lambda(epoch) (closed form only, as PyTorch's LambdaLR).
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int64_t epoch)> lr_lambda);
  double lr_at(int64_t epoch, double base_lr) const override;

 private:
  std::function<double(int64_t)> lr_lambda_;
};

// Each step multiplies the lrs by lr_lambda(epoch); the closed form is base times the product
// of lr_lambda(1..epoch).
class MultiplicativeLR : public LRScheduler {
 public:
  MultiplicativeLR(Optimizer& optimizer, std::function<double(int64_t epoch)> lr_lambda);
  double lr_at(int64_t epoch, double base_lr) const override;

 protected:
  double chained_lr(double lr, double base_lr) const override;

 private:
  std::function<double(int64_t)> lr_lambda_;
};

// SGDR: cosine annealing restarted after T_0 steps, each period T_mult times the last.
struct CosineAnnealingWarmRestartsOptions {
  int64_t T_0 = 1;
  int64_t T_mult = 1;
  double eta_min = 0;
};
class CosineAnnealingWarmRestarts : public LRScheduler {
 public:
  CosineAnnealingWarmRestarts(Optimizer& optimizer, CosineAnnealingWarmRestartsOptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  CosineAnnealingWarmRestartsOptions options;
};

// The 1cycle policy (stepped per batch, total_steps steps in all): from max_lr / div_factor up
// to max_lr over pct_start of the steps, then down to max_lr / div_factor / final_div_factor
// (three_phase: back to the initial lr first, then down). Ignores the optimizer's initial lrs.
// With cycle_momentum, the optimizer's "momentum" (or Adam's "beta1") moves the other way,
// between max_momentum and base_momentum.
struct OneCycleLROptions {
  double max_lr = 0.1;
  int64_t total_steps = 0;
  double pct_start = 0.3;
  bool cosine = true;  // false: linear annealing
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
};
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);
  double lr_at(int64_t epoch, double base_lr) const override;
  double momentum_at(int64_t epoch) const;
  OneCycleLROptions options;

 protected:
  void apply(bool closed_form) override;

 private:
  // The value at `epoch` of a schedule through the given phase end points.
  double anneal(int64_t epoch, const double* values) const;
  const char* momentum_name_ = nullptr;  // "momentum" or "beta1"
};

// Runs schedulers one after another: schedulers[i] from milestones[i-1] on, counting its own
// steps from 0 there (where it starts from its closed form at 0), as PyTorch's SequentialLR. The
// schedulers must be on the same optimizer; constructing it resets the lrs to the initial ones.
// No step(epoch).
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  double lr_at(int64_t epoch, double base_lr) const override;
  void load_state_dict(const StateDict& state) override;  // also sets the schedulers' step counts

 protected:
  void apply(bool closed_form) override;

 private:
  // The step count of schedulers_[i] when this one is at `epoch` (-1 before its milestone).
  int64_t epoch_of(size_t i, int64_t epoch) const;

  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

// Steps every scheduler at each step (they act on one optimizer; with chainable schedules their
// effects multiply), as PyTorch's ChainedScheduler.
class ChainedScheduler {
 public:
  explicit ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers);
  void step();
  std::vector<double> last_lrs() const { return schedulers_.back()->last_lrs(); }
  StateDict state_dict() const;  // "<i>.last_epoch" for scheduler i
  void load_state_dict(const StateDict& state);

 private:
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
};

// Lowers the learning rates by `factor` when a metric has stopped improving for more than
// `patience` steps (an improvement beats the best by more than threshold: relative,
// best * (1 -+ threshold), or absolute, best -+ threshold), then waits `cooldown` steps.
struct ReduceLROnPlateauOptions {
  bool maximize = false;  // mode "max": higher is better
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  bool relative_threshold = true;  // threshold_mode "rel" (else "abs")
  int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;  // changes smaller than this are ignored
};
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  double best() const { return best_; }

  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

  ReduceLROnPlateauOptions options;

 private:
  bool is_better(double a) const;
  Optimizer& optimizer_;
  double best_;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

// The learning-rate range test: runs `train_step(lr)` (one training step at that learning
// rate; returns the loss) with lr rising exponentially from start_lr to end_lr over num_steps,
// stopping early once the smoothed loss exceeds diverge_factor times its best. Suggests the lr
// where the smoothed loss falls fastest against log(lr). The model is trained by the test:
// save and restore its state around it.
struct LRRangeTestOptions {
  double start_lr = 1e-7;
  double end_lr = 10;
  int64_t num_steps = 100;
  double smoothing = 0.05;  // weight of the newest loss in the exponential moving average
  double diverge_factor = 4;
};
struct LRRangeTestResult {
  std::vector<double> lrs, losses;  // losses are smoothed
  double suggested_lr = 0;
};
LRRangeTestResult lr_range_test(const std::function<double(double lr)>& train_step, LRRangeTestOptions options = {});

}  // namespace soma::optim
