#include "soma/optim/early_stopping.h"

#include <cmath>

namespace soma::optim {

EarlyStopping::EarlyStopping(EarlyStoppingOptions o, nn::Module* model)
    : options(o), model_(model), best_(o.maximize ? -INFINITY : INFINITY) {
  SOMA_CHECK(o.patience >= 0 && o.min_delta >= 0, "EarlyStopping: patience and min_delta must be >= 0, got {} and {}",
             o.patience, o.min_delta);
}

bool EarlyStopping::step(double metric) {
  SOMA_CHECK(!stopped_, "EarlyStopping: step() after it said to stop");
  const bool better = options.maximize ? metric > best_ + options.min_delta : metric < best_ - options.min_delta;
  if (better) {
    best_ = metric;
    best_epoch_ = epoch_;
    num_bad_epochs_ = 0;
    if (model_) {
      best_state_.clear();
      for (const auto& [name, t] : model_->state_dict()) best_state_[name] = t.detach().clone();
    }
  } else {
    ++num_bad_epochs_;
  }
  ++epoch_;
  stopped_ = num_bad_epochs_ >= options.patience || std::isnan(metric);
  if (stopped_ && options.restore_best_weights && model_ && !best_state_.empty()) restore_best();
  return stopped_;
}

void EarlyStopping::restore_best() const {
  SOMA_CHECK(model_, "EarlyStopping: restore_best() needs the model given at construction");
  SOMA_CHECK(!best_state_.empty(), "EarlyStopping: restore_best() before any metric was recorded");
  model_->load_state_dict(best_state_);
}

}  // namespace soma::optim
