#pragma once
// optim::Optimizer: the base of the optimizers. An optimizer holds parameter groups (each a
// list of parameters with its own options: lr, weight_decay, ...) and per-parameter state
// (step count and buffers such as Adam's exp_avg), created on a parameter's first update.
//
//   optim::Adam opt(model.parameters(), {.lr = 1e-3});
//   optim::SGD opt({{model.weights(), {.lr = 0.1, .weight_decay = 1e-4}},
//                   {model.biases(), {.lr = 0.1}}});
//   loss.backward(); opt.step(); opt.zero_grad();
//
// state_dict() snapshots everything needed to resume bit-identically: buffers as
// "state.<i>.<name>" (i counts parameters across groups), step counts as "state.<i>.step" and
// every group option as a 0-d float64 tensor "group.<g>.<option>" (booleans as 0/1).
#include <functional>
#include <string>
#include <vector>

#include "soma/state_dict.h"
#include "soma/tensor.h"

namespace soma::optim {

// A closure re-evaluates the model: it clears the gradients, computes the loss, calls
// backward() on it and returns it.
using Closure = std::function<Tensor()>;

// The state of one parameter: its update count and the optimizer's named buffers, in the order
// of the optimizer's buffer names (an unused buffer stays undefined).
struct ParamState {
  int64_t step = 0;
  std::vector<Tensor> buffers;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (parameters without one are skipped).
  virtual void step() = 0;
  // Evaluates `closure` (with grad enabled), then updates; returns the closure's loss.
  virtual Tensor step(const Closure& closure);
  // Clears the gradients of every parameter (to undefined, or to zeros).
  void zero_grad(bool set_to_none = true);

  const std::string& name() const { return name_; }
  size_t num_groups() const { return groups_.size(); }
  const TensorList& params(size_t group = 0) const;
  // The learning rate of a group, and setting it (schedules do this); set_lr(lr) sets every group.
  double lr(size_t group = 0) const;
  void set_lr(double lr, size_t group);
  void set_lr(double lr);
  // Any group option by name ("momentum", "beta1", "weight_decay", ...; booleans as 0/1).
  bool has_option(const std::string& name) const;
  double option(const std::string& name, size_t group = 0) const;
  void set_option(const std::string& name, double value, size_t group);
  // The groups' learning rates when this was first called (schedules start from these; saved
  // in the state_dict as "group.<g>.initial_lr" once recorded).
  const std::vector<double>& initial_lrs();

  // A copy of the state and the group options (see the top of this file).
  StateDict state_dict() const;
  // Restores a state_dict() of an optimizer of the same kind over parameters of the same shapes.
  void load_state_dict(const StateDict& state);

 protected:
  Optimizer(std::string name, std::vector<TensorList> groups, std::vector<std::string> buffer_names);
  // The options of group g as named numbers (read, and written back on load).
  virtual void visit_options(size_t g, const std::function<void(const char*, double&)>& f) = 0;
  virtual double& lr_ref(size_t g) = 0;
  // State kept outside ParamState (e.g. L-BFGS's history), added to and read from the state_dict.
  virtual void save_extra(StateDict&) const {}
  virtual void load_extra(const StateDict&) {}
  // Calls f(group, param, grad, state) for each parameter with a gradient, in order. The
  // gradient is contiguous; so is the parameter (a non-contiguous one is updated through a
  // contiguous copy that is written back after f).
  void for_each_update(const std::function<void(size_t, const Tensor&, const Tensor&, ParamState&)>& f);
  // Buffer k of `state`, created as a contiguous tensor like `param` filled with `init`.
  static Tensor& buffer(ParamState& state, size_t k, const Tensor& param, double init = 0);

  std::string name_;
  std::vector<TensorList> groups_;
  std::vector<std::string> buffer_names_;
  std::vector<ParamState> states_;  // one per parameter, all groups in order
  std::vector<double> initial_lrs_;
};

// The common part of optimizers whose group options are a struct `Options` with an `lr` field
// and a `visit(f)` listing every field as f("name", field).
template <class Options>
class OptimizerWith : public Optimizer {
 public:
  struct Group {
    TensorList params;
    Options options = {};
  };
  Options& options(size_t group = 0) { return options_.at(group); }
  const Options& options(size_t group = 0) const { return options_.at(group); }

 protected:
  OptimizerWith(std::string name, std::vector<Group> groups, std::vector<std::string> buffer_names)
      : Optimizer(std::move(name), params_of(groups), std::move(buffer_names)) {
    for (auto& g : groups) options_.push_back(g.options);
  }
  void visit_options(size_t g, const std::function<void(const char*, double&)>& f) override {
    options_[g].visit([&](const char* key, auto& field) {
      double v = static_cast<double>(field);
      f(key, v);
      field = static_cast<std::remove_reference_t<decltype(field)>>(v);
    });
  }
  double& lr_ref(size_t g) override { return options_[g].lr; }

  std::vector<Options> options_;

 private:
  static std::vector<TensorList> params_of(const std::vector<Group>& groups) {
    std::vector<TensorList> out;
    for (const auto& g : groups) out.push_back(g.params);
    return out;
  }
};

}  // namespace soma::optim
