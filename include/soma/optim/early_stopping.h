#pragma once
// Early stopping: stop when a validation metric has not improved for `patience` epochs in a
// row (or is NaN), optionally restoring the model's best weights.
//
//   optim::EarlyStopping stop({.patience = 5}, &model);
//   for (epoch...) { train(); if (stop.step(validation_loss())) break; }   // model has its best weights
#include <cstdint>
#include <limits>

#include "soma/nn/module.h"
#include "soma/state_dict.h"

namespace soma::optim {

struct EarlyStoppingOptions {
  int64_t patience = 10;
  double min_delta = 0;              // an improvement must beat the best by more than this
  bool maximize = false;             // higher metric is better
  bool restore_best_weights = true;  // on stopping, load the best state into the model
};

class EarlyStopping {
 public:
  // With a model, a copy of its state_dict is kept at each new best.
  explicit EarlyStopping(EarlyStoppingOptions options = {}, nn::Module* model = nullptr);
  // Records one epoch's metric; returns true when training should stop.
  bool step(double metric);
  bool should_stop() const { return stopped_; }
  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }  // 0-based; -1 before the first step
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  const StateDict& best_state() const { return best_state_; }
  // Loads the best state into the model.
  void restore_best() const;

  EarlyStoppingOptions options;

 private:
  nn::Module* model_;
  double best_;
  int64_t epoch_ = 0, best_epoch_ = -1, num_bad_epochs_ = 0;
  bool stopped_ = false;
  StateDict best_state_;
};

}  // namespace soma::optim
