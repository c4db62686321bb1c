#pragma once
// Containers: Sequential (runs its children in order) and ModuleList (holds modules).
#include <memory>
#include <vector>

#include "soma/nn/module.h"

namespace soma::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  // Takes modules by value (moved in) or as shared_ptr (shared: the same module may appear twice).
  template <class... Ms>
  explicit Sequential(Ms&&... modules) : Module("Sequential") {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  template <class M>
  void push_back(std::shared_ptr<M> module) {
    add_child(std::to_string(layers_.size()), module);
    layers_.push_back(std::move(module));
  }
  template <class M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && (!std::is_lvalue_reference_v<M>)
  void push_back(M&& module) {
    push_back(std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }

  Tensor forward(const Tensor& input) override;
  size_t size() const { return layers_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return layers_.at(i); }
  auto begin() const { return layers_.begin(); }
  auto end() const { return layers_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  template <class M>
  void push_back(std::shared_ptr<M> module) {
    add_child(std::to_string(items_.size()), module);
    items_.push_back(std::move(module));
  }
  template <class M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && (!std::is_lvalue_reference_v<M>)
  void push_back(M&& module) {
    push_back(std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }
  size_t size() const { return items_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return items_.at(i); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> items_;
};

}  // namespace soma::nn
