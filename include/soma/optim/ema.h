#pragma once
// Averages of parameters over training, evaluated by swapping them into the model:
//
//   optim::EMA ema(model.parameters(), {.decay = 0.999});
//   for (...) { ...; opt.step(); ema.update(); }
//   { auto guard = ema.swap_guard(); evaluate(model); }   // the averaged weights, then back
//
// EMA: avg = d avg + (1 - d) p with d = decay, or min(decay, (1 + n) / (10 + n)) with warm-up
// (n = updates so far). PolyakAverage: the plain mean of every parameter value seen by update().
// The first update copies the parameters.
#include <cstdint>

#include "soma/state_dict.h"
#include "soma/tensor.h"

namespace soma::optim {

class ParameterAverage {
 public:
  explicit ParameterAverage(TensorList params);
  virtual ~ParameterAverage() = default;
  ParameterAverage(const ParameterAverage&) = delete;
  ParameterAverage& operator=(const ParameterAverage&) = delete;

  // Folds the parameters' current values into the average.
  void update();
  int64_t num_updates() const { return num_updates_; }
  // The averaged values (one per parameter, contiguous).
  const TensorList& averages() const { return averages_; }

  // Exchanges the parameters' data with the averages (no copy); swap_out() exchanges them back.
  void swap_in();
  void swap_out();
  bool swapped_in() const { return swapped_; }
  // swap_in() now, swap_out() at the end of the scope.
  class SwapGuard {
   public:
    explicit SwapGuard(ParameterAverage& avg) : avg_(avg) { avg_.swap_in(); }
    ~SwapGuard() { avg_.swap_out(); }
    SwapGuard(const SwapGuard&) = delete;
    SwapGuard& operator=(const SwapGuard&) = delete;

   private:
    ParameterAverage& avg_;
  };
  [[nodiscard]] SwapGuard swap_guard() { return SwapGuard(*this); }
  // Copies the averages into the parameters for good.
  void copy_to_params() const;

  StateDict state_dict() const;  // "num_updates", "average.<i>"
  void load_state_dict(const StateDict& state);

 protected:
  // The weight of the new value at update number n (n = 0 for the first).
  virtual double new_weight(int64_t n) const = 0;

 private:
  void exchange();
  TensorList params_, averages_;
  int64_t num_updates_ = 0;
  bool swapped_ = false;
};

struct EMAOptions {
  double decay = 0.999;
  bool warmup = false;
};

class EMA : public ParameterAverage {
 public:
  explicit EMA(TensorList params, EMAOptions options = {});
  // The decay used at update number n.
  double decay_at(int64_t n) const;
  EMAOptions options;

 protected:
  double new_weight(int64_t n) const override { return n == 0 ? 1.0 : 1 - decay_at(n); }
};

class PolyakAverage : public ParameterAverage {
 public:
  explicit PolyakAverage(TensorList params) : ParameterAverage(std::move(params)) {}

 protected:
  double new_weight(int64_t n) const override { return 1.0 / static_cast<double>(n + 1); }
};

}  // namespace soma::optim
