#include "soma/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "soma/creation.h"

namespace soma::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) { optimizer_.initial_lrs(); }

void LRScheduler::step() {
  ++last_epoch_;
  apply(false);
}

void LRScheduler::step(int64_t epoch) {
  SOMA_CHECK(epoch >= 0, "LRScheduler: step(epoch) needs epoch >= 0, got {}", epoch);
  last_epoch_ = epoch;
  apply(true);
}

void LRScheduler::initial_step() {
  last_epoch_ = 0;
  apply(false);
}

void LRScheduler::apply(bool closed_form) {
  const std::vector<double>& base = optimizer_.initial_lrs();
  for (size_t g = 0; g < base.size(); ++g)
    optimizer_.set_lr(closed_form ? lr_at(last_epoch_, base[g]) : chained_lr(optimizer_.lr(g), base[g]), g);
}

std::vector<double> LRScheduler::last_lrs() const {
  std::vector<double> out;
  for (size_t g = 0; g < optimizer_.num_groups(); ++g) out.push_back(optimizer_.lr(g));
  return out;
}

StateDict LRScheduler::state_dict() const { return {{"last_epoch", scalar_tensor(last_epoch_)}}; }

void LRScheduler::load_state_dict(const StateDict& state) {
  auto it = state.find("last_epoch");
  SOMA_CHECK(it != state.end(), "LRScheduler: load_state_dict: missing key 'last_epoch'");
  last_epoch_ = it->second.item<int64_t>();
}

ConstantLR::ConstantLR(Optimizer& optimizer, ConstantLROptions o) : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.factor >= 0 && o.factor <= 1, "ConstantLR: factor must be in [0, 1], got {}", o.factor);
  initial_step();
}
double ConstantLR::lr_at(int64_t epoch, double base) const {
  return epoch < options.total_iters ? base * options.factor : base;
}
double ConstantLR::chained_lr(double lr, double) const {
  if (last_epoch_ == 0) return lr * options.factor;
  return last_epoch_ == options.total_iters ? lr * (1.0 / options.factor) : lr;
}

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions o) : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.start_factor > 0 && o.start_factor <= 1 && o.end_factor >= 0 && o.end_factor <= 1,
             "LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got {} and {}", o.start_factor,
             o.end_factor);
  SOMA_CHECK(o.total_iters > 0, "LinearLR: total_iters must be positive, got {}", o.total_iters);
  initial_step();
}
double LinearLR::lr_at(int64_t epoch, double base) const {
  const double t = static_cast<double>(std::min(epoch, options.total_iters)) / options.total_iters;
  return base * (options.start_factor + (options.end_factor - options.start_factor) * t);
}
double LinearLR::chained_lr(double lr, double) const {
  const double start = options.start_factor, end = options.end_factor;
  if (last_epoch_ == 0) return lr * start;
  if (last_epoch_ > options.total_iters) return lr;
  // The ratio of the factor at last_epoch to the factor one step before.
  return lr * (1. + (end - start) / (static_cast<double>(options.total_iters) * start +
                                     static_cast<double>(last_epoch_ - 1) * (end - start)));
}

StepLR::StepLR(Optimizer& optimizer, StepLROptions o) : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.step_size > 0, "StepLR: step_size must be positive, got {}", o.step_size);
  initial_step();
}
double StepLR::lr_at(int64_t epoch, double base) const {
  return base * std::pow(options.gamma, static_cast<double>(epoch / options.step_size));
}
double StepLR::chained_lr(double lr, double) const {
  return last_epoch_ == 0 || last_epoch_ % options.step_size != 0 ? lr : lr * options.gamma;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, MultiStepLROptions o) : LRScheduler(optimizer), options(std::move(o)) {
  SOMA_CHECK(std::is_sorted(options.milestones.begin(), options.milestones.end()),
             "MultiStepLR: milestones must be increasing, got {}", fmt::join(options.milestones, ", "));
  initial_step();
}
double MultiStepLR::chained_lr(double lr, double) const {
  // A milestone listed twice multiplies by gamma twice (PyTorch counts them).
  auto [first, last] = std::equal_range(options.milestones.begin(), options.milestones.end(), last_epoch_);
  return last == first ? lr : lr * std::pow(options.gamma, static_cast<double>(last - first));
}
double MultiStepLR::lr_at(int64_t epoch, double base) const {
  auto passed =
      std::upper_bound(options.milestones.begin(), options.milestones.end(), epoch) - options.milestones.begin();
  return base * std::pow(options.gamma, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, ExponentialLROptions o) : LRScheduler(optimizer), options(o) {
  initial_step();
}
double ExponentialLR::lr_at(int64_t epoch, double base) const {
  return base * std::pow(options.gamma, static_cast<double>(epoch));
}
double ExponentialLR::chained_lr(double lr, double) const { return last_epoch_ == 0 ? lr : lr * options.gamma; }

PolynomialLR::PolynomialLR(Optimizer& optimizer, PolynomialLROptions o) : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.total_iters > 0, "PolynomialLR: total_iters must be positive, got {}", o.total_iters);
  initial_step();
}
double PolynomialLR::lr_at(int64_t epoch, double base) const {
  const double t = static_cast<double>(std::min(epoch, options.total_iters)) / options.total_iters;
  return base * std::pow(1.0 - t, options.power);
}
double PolynomialLR::chained_lr(double lr, double) const {
  if (last_epoch_ == 0 || last_epoch_ > options.total_iters) return lr;
  const auto e = static_cast<double>(last_epoch_), n = static_cast<double>(options.total_iters);
  return lr * std::pow((1.0 - e / n) / (1.0 - (e - 1) / n), options.power);
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : LRScheduler(optimizer), lr_lambda_(std::move(lr_lambda)) {
  SOMA_CHECK(bool(lr_lambda_), "LambdaLR: lr_lambda is empty");
  initial_step();
}
double LambdaLR::lr_at(int64_t epoch, double base) const { return base * lr_lambda_(epoch); }

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : LRScheduler(optimizer), lr_lambda_(std::move(lr_lambda)) {
  SOMA_CHECK(bool(lr_lambda_), "MultiplicativeLR: lr_lambda is empty");
  initial_step();
}
double MultiplicativeLR::lr_at(int64_t epoch, double base) const {
  for (int64_t e = 1; e <= epoch; ++e) base *= lr_lambda_(e);
  return base;
}
double MultiplicativeLR::chained_lr(double lr, double) const {
  return last_epoch_ > 0 ? lr * lr_lambda_(last_epoch_) : lr;
}

namespace {
double cosine_between(double eta_min, double base, double t, double period) {
  return eta_min + (base - eta_min) * (1 + std::cos(std::numbers::pi * t / period)) / 2;
}
}  // namespace

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions o)
    : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.T_max > 0, "CosineAnnealingLR: T_max must be positive, got {}", o.T_max);
  initial_step();
}
double CosineAnnealingLR::lr_at(int64_t epoch, double base) const {
  return cosine_between(options.eta_min, base, static_cast<double>(epoch), static_cast<double>(options.T_max));
}
double CosineAnnealingLR::chained_lr(double lr, double base) const {
  const double pi = std::numbers::pi, t_max = static_cast<double>(options.T_max), eta_min = options.eta_min;
  const auto e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lr;
  // Just past a trough (1 + cos = 0 one step before): the ratio below would divide by 0.
  const int64_t period = 2 * options.T_max, phase = ((last_epoch_ - 1 - options.T_max) % period + period) % period;
  if (phase == 0) return lr + (base - eta_min) * (1 - std::cos(pi / t_max)) / 2;
  return (1 + std::cos(pi * e / t_max)) / (1 + std::cos(pi * (e - 1) / t_max)) * (lr - eta_min) + eta_min;
}

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer, CosineAnnealingWarmRestartsOptions o)
    : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.T_0 > 0, "CosineAnnealingWarmRestarts: T_0 must be positive, got {}", o.T_0);
  SOMA_CHECK(o.T_mult >= 1, "CosineAnnealingWarmRestarts: T_mult must be >= 1, got {}", o.T_mult);
  initial_step();
}
double CosineAnnealingWarmRestarts::lr_at(int64_t epoch, double base) const {
  int64_t t = epoch, period = options.T_0;
  while (t >= period) {  // at most log(epoch) periods when T_mult > 1
    t -= period;
    period *= options.T_mult;
    if (options.T_mult == 1) {
      t %= period;
      break;
    }
  }
  return cosine_between(options.eta_min, base, static_cast<double>(t), static_cast<double>(period));
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions o) : LRScheduler(optimizer), options(o) {
  SOMA_CHECK(o.total_steps > 0, "OneCycleLR: total_steps must be positive, got {}", o.total_steps);
  SOMA_CHECK(o.pct_start > 0 && o.pct_start < 1, "OneCycleLR: pct_start must be in (0, 1), got {}", o.pct_start);
  if (o.cycle_momentum) {
    momentum_name_ = optimizer.has_option("momentum") ? "momentum" : optimizer.has_option("beta1") ? "beta1" : nullptr;
    SOMA_CHECK(momentum_name_, "OneCycleLR: {} has no momentum or beta1 to cycle (set cycle_momentum = false)",
               optimizer.name());
  }
  initial_step();
}

double OneCycleLR::anneal(int64_t epoch, const double* values) const {
  SOMA_CHECK(epoch <= options.total_steps, "OneCycleLR: stepped {} times, more than total_steps = {}", epoch,
             options.total_steps);
  const double n = static_cast<double>(options.total_steps), up = options.pct_start * n - 1;
  const std::vector<double> ends = options.three_phase ? std::vector<double>{up, 2 * options.pct_start * n - 2, n - 1}
                                                       : std::vector<double>{up, n - 1};
  const double step = static_cast<double>(epoch);
  double start = 0;
  for (size_t i = 0;; ++i) {
    if (step <= ends[i] || i + 1 == ends.size()) {
      // Stepping once past the last phase (allowed, as in PyTorch) stays at its end.
      const double pct = std::min(1.0, (step - start) / (ends[i] - start));
      const double from = values[i], to = values[i + 1];
      return options.cosine ? to + (from - to) / 2 * (1 + std::cos(std::numbers::pi * pct)) : (to - from) * pct + from;
    }
    start = ends[i];
  }
}

double OneCycleLR::lr_at(int64_t epoch, double) const {
  const double initial = options.max_lr / options.div_factor, min_lr = initial / options.final_div_factor;
  const double three[] = {initial, options.max_lr, initial, min_lr}, two[] = {initial, options.max_lr, min_lr};
  return anneal(epoch, options.three_phase ? three : two);
}

double OneCycleLR::momentum_at(int64_t epoch) const {
  const double lo = options.base_momentum, hi = options.max_momentum;
  const double three[] = {hi, lo, hi, hi}, two[] = {hi, lo, hi};
  return anneal(epoch, options.three_phase ? three : two);
}

void OneCycleLR::apply(bool closed_form) {
  LRScheduler::apply(closed_form);
  if (!momentum_name_) return;
  for (size_t g = 0; g < optimizer_.num_groups(); ++g)
    optimizer_.set_option(momentum_name_, momentum_at(last_epoch_), g);
}

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  SOMA_CHECK(!schedulers_.empty() && milestones_.size() + 1 == schedulers_.size(),
             "SequentialLR: expected one milestone fewer than schedulers, got {} schedulers and {} milestones",
             schedulers_.size(), milestones_.size());
  SOMA_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
             "SequentialLR: milestones must be increasing, got {}", fmt::join(milestones_, ", "));
  for (size_t i = 0; i < schedulers_.size(); ++i)
    SOMA_CHECK(schedulers_[i] && &schedulers_[i]->optimizer() == &optimizer,
               "SequentialLR: scheduler {} is not on the optimizer given to SequentialLR", i);
  // As PyTorch: undo the schedulers' own initial steps, then take the first one's from the
  // initial lrs.
  const std::vector<double>& base = optimizer_.initial_lrs();
  for (size_t g = 0; g < base.size(); ++g) optimizer_.set_lr(base[g], g);
  for (size_t i = 1; i < schedulers_.size(); ++i) set_last_epoch(*schedulers_[i], -1);
  set_last_epoch(*schedulers_[0], -1);
  schedulers_[0]->step();
}

double SequentialLR::lr_at(int64_t epoch, double base) const {
  size_t i = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return schedulers_[i]->lr_at(i == 0 ? epoch : epoch - milestones_[i - 1], base);
}

void SequentialLR::apply(bool closed_form) {
  SOMA_CHECK(!closed_form, "SequentialLR: step(epoch) is not supported (as in PyTorch); use step()");
  const size_t i = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  if (i > 0 && milestones_[i - 1] == last_epoch_)
    schedulers_[i]->step(0);  // a scheduler starts from its closed form
  else
    schedulers_[i]->step();
}

int64_t SequentialLR::epoch_of(size_t i, int64_t epoch) const {
  const int64_t start = i == 0 ? 0 : milestones_[i - 1];
  if (epoch < start) return -1;
  return i + 1 < schedulers_.size() && epoch >= milestones_[i] ? milestones_[i] - 1 - start : epoch - start;
}

void SequentialLR::load_state_dict(const StateDict& state) {
  LRScheduler::load_state_dict(state);
  for (size_t i = 0; i < schedulers_.size(); ++i) set_last_epoch(*schedulers_[i], epoch_of(i, last_epoch_));
}

ChainedScheduler::ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers)
    : schedulers_(std::move(schedulers)) {
  SOMA_CHECK(!schedulers_.empty() && schedulers_[0], "ChainedScheduler: expected at least one scheduler");
  for (size_t i = 1; i < schedulers_.size(); ++i)
    SOMA_CHECK(schedulers_[i] && &schedulers_[i]->optimizer() == &schedulers_[0]->optimizer(),
               "ChainedScheduler: schedulers 0 and {} are not on the same optimizer", i);
}

void ChainedScheduler::step() {
  for (auto& s : schedulers_) s->step();
}

StateDict ChainedScheduler::state_dict() const {
  StateDict out;
  for (size_t i = 0; i < schedulers_.size(); ++i)
    for (auto& [key, value] : schedulers_[i]->state_dict()) out[fmt::format("{}.{}", i, key)] = value;
  return out;
}

void ChainedScheduler::load_state_dict(const StateDict& state) {
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    const std::string prefix = fmt::format("{}.", i);
    StateDict part;
    for (const auto& [key, value] : state)
      if (key.starts_with(prefix)) part[key.substr(prefix.size())] = value;
    schedulers_[i]->load_state_dict(part);
  }
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions o)
    : options(o), optimizer_(optimizer) {
  SOMA_CHECK(o.factor < 1 && o.factor >= 0, "ReduceLROnPlateau: factor must be in [0, 1), got {}", o.factor);
  best_ = o.maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool ReduceLROnPlateau::is_better(double a) const {
  const double t = options.threshold;
  if (options.maximize) return a > (options.relative_threshold ? best_ * (1 + t) : best_ + t);
  return a < (options.relative_threshold ? best_ * (1 - t) : best_ - t);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > options.patience) {
    for (size_t g = 0; g < optimizer_.num_groups(); ++g) {
      const double old_lr = optimizer_.lr(g), new_lr = std::max(old_lr * options.factor, options.min_lr);
      if (old_lr - new_lr > options.eps) optimizer_.set_lr(new_lr, g);
    }
    cooldown_counter_ = options.cooldown;
    num_bad_epochs_ = 0;
  }
}

StateDict ReduceLROnPlateau::state_dict() const {
  return {{"best", scalar_tensor(best_, kFloat64)},
          {"num_bad_epochs", scalar_tensor(num_bad_epochs_)},
          {"cooldown_counter", scalar_tensor(cooldown_counter_)},
          {"last_epoch", scalar_tensor(last_epoch_)}};
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  for (const char* key : {"best", "num_bad_epochs", "cooldown_counter", "last_epoch"})
    SOMA_CHECK(state.contains(key), "ReduceLROnPlateau: load_state_dict: missing key '{}'", key);
  best_ = state.at("best").item();
  num_bad_epochs_ = state.at("num_bad_epochs").item<int64_t>();
  cooldown_counter_ = state.at("cooldown_counter").item<int64_t>();
  last_epoch_ = state.at("last_epoch").item<int64_t>();
}

LRRangeTestResult lr_range_test(const std::function<double(double)>& train_step, LRRangeTestOptions o) {
  SOMA_CHECK(o.start_lr > 0 && o.end_lr > o.start_lr && o.num_steps >= 3,
             "lr_range_test: expected 0 < start_lr < end_lr and num_steps >= 3, got {}, {} and {}", o.start_lr,
             o.end_lr, o.num_steps);
  LRRangeTestResult r;
  double avg = 0, best = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < o.num_steps; ++i) {
    const double lr = o.start_lr * std::pow(o.end_lr / o.start_lr, static_cast<double>(i) / (o.num_steps - 1));
    const double loss = train_step(lr);
    avg = o.smoothing * loss + (1 - o.smoothing) * avg;
    const double smoothed = avg / (1 - std::pow(1 - o.smoothing, static_cast<double>(i + 1)));  // bias-corrected
    if (!std::isfinite(smoothed) || smoothed > o.diverge_factor * best) break;
    best = std::min(best, smoothed);
    r.lrs.push_back(lr);
    r.losses.push_back(smoothed);
  }
  SOMA_CHECK(r.lrs.size() >= 3, "lr_range_test: the loss diverged after {} steps, start from a lower lr", r.lrs.size());
  // Steepest descent: the most negative slope d loss / d log(lr) (central differences).
  double steepest = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i + 1 < r.lrs.size(); ++i) {
    const double slope = (r.losses[i + 1] - r.losses[i - 1]) / std::log(r.lrs[i + 1] / r.lrs[i - 1]);
    if (slope < steepest) steepest = slope, r.suggested_lr = r.lrs[i];
  }
  return r;
}

}  // namespace soma::optim
