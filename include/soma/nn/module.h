#pragma once
// nn::Module: the base of every layer and model. A module owns named parameters (tensors that
// require grad), buffers (state such as running statistics) and child modules, and switches
// between training and evaluation behaviour.
//
// Writing a layer:
//
//   class Scale : public nn::Module {
//    public:
//     explicit Scale(int64_t n) : Module("Scale") { weight = register_parameter("weight", ones({n})); }
//     Tensor forward(const Tensor& x) override { return x * weight; }
//     Tensor weight;  // the same tensor as the registered parameter (a handle)
//   };
//
// Child modules are held by shared_ptr (`register_module` returns one), so a module can be
// used in two places and its parameters are shared, and counted once by parameters().
// Modules are movable, not copyable.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "soma/state_dict.h"
#include "soma/tensor.h"

namespace soma::nn {

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  // The computation of a single-input module. Modules with other signatures (losses,
  // attention, recurrent layers) define their own forward and leave this one throwing.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  // The layer's type ("Linear") and its configuration ("in_features=4, out_features=2").
  const std::string& type_name() const { return type_name_; }
  virtual std::string extra_repr() const { return ""; }

  // ---- parameters, buffers, children --------------------------------------------------------
  // Unique parameters of this module and (if recurse) its descendants, in registration order.
  TensorList parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  TensorList buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  // This module and all descendants with dotted names ("" for this one), depth first.
  std::vector<std::pair<std::string, Module*>> named_modules();
  // Number of scalars in the unique parameters (shared parameters count once).
  int64_t num_parameters(bool only_trainable = false) const;

  // ---- modes ---------------------------------------------------------------------------------
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad(bool set_to_none = true);
  // Converts floating-point parameters and buffers to `dtype` in place (handles stay valid).
  void to(DType dtype);

  // ---- state ---------------------------------------------------------------------------------
  // Parameters and persistent buffers by dotted name ("0.weight"), sharing data with the module.
  StateDict state_dict() const;
  // Copies values from `state` into the module's tensors (converting dtype). With strict, keys
  // must match exactly; shapes must always match. Nothing is modified unless all checks pass.
  void load_state_dict(const StateDict& state, bool strict = true);

  // A multi-line description of the module tree, like printing a torch.nn.Module.
  std::string str() const;

 protected:
  // Registers a parameter (it is made to require grad unless `requires_grad` is false) and
  // returns it, so it can be stored in a member.
  Tensor register_parameter(std::string name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(std::string name, Tensor value, bool persistent = true);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  template <class M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && (!std::is_lvalue_reference_v<M>)
  std::shared_ptr<std::remove_cvref_t<M>> register_module(std::string name, M&& module) {
    return register_module(std::move(name), std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }
  // Adds a child module under `name` (type-erased form of register_module).
  void add_child(std::string name, std::shared_ptr<Module> module);

 private:
  struct Buffer {
    std::string name;
    Tensor value;
    bool persistent;
  };
  void collect(const std::string& prefix, bool recurse, bool want_params,
               std::vector<std::pair<std::string, Tensor>>& out) const;
  void describe(std::string& out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<Buffer> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace soma::nn
