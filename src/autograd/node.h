#pragma once
// The autograd graph. Each differentiable op that sees an input requiring grad records a Node
// holding its backward formula; the Node's edges point at the nodes that produced its inputs
// (or at a leaf's AccumulateGrad). The engine (engine.cpp) walks this graph in reverse.
//
// How an op records itself (see ops/*.cpp):
//
//   Tensor exp(const Tensor& x) {
//     Tensor out = ...forward kernel...;
//     if (autograd::needs_grad(x))
//       autograd::record("exp", out, {x}, [x = autograd::SavedTensor(x), y = autograd::SavedTensor::output(out)](
//                                             const Tensor& g, autograd::GradMask) -> TensorList {
//         // Under create_graph (grad mode on) recompute from the input so that the result
//         // stays connected to the graph; otherwise reuse the saved output.
//         Tensor e = is_grad_enabled() ? exp(x.get()) : y.get();
//         return {g * e};
//       });
//     return out;
//   }
//
// Backward formulas are written with Tensor ops, so with create_graph they are themselves
// recorded and can be differentiated again (Hessian-vector products).
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "soma/grad_mode.h"
#include "soma/tensor.h"

namespace soma::autograd {

class Node;

// Where a gradient goes: input slot `input_nr` of `node`.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

// Which inputs of a node need a gradient (bit i for input i; inputs past 63 always count as
// needing one).
class GradMask {
 public:
  explicit GradMask(uint64_t bits) : bits_(bits) {}
  bool operator[](size_t i) const { return i >= 64 || ((bits_ >> i) & 1u); }

 private:
  uint64_t bits_;
};

class Node {
 public:
  explicit Node(const char* name);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Gradients of the inputs (one per next edge; undefined where none) from the gradients of
  // the outputs (one per output; undefined for an output that received none).
  virtual TensorList apply(TensorList&& grad_outputs) = 0;
  // Frees what was saved for backward (after a backward pass without retain_graph).
  virtual void release_saved() {}

  const char* name() const { return name_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  GradMask input_mask() const;

  std::vector<Edge> next_edges;  // one per input
  uint32_t num_outputs = 1;
  // Hooks on output slots (hooks of non-leaf tensors): run on the incoming gradient first.
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks;
  // Slots whose tensors called retain_grad(): the engine stores the gradient into them.
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;

  // Per-backward bookkeeping owned by the engine.
  struct EngineState {
    uint64_t run = 0;  // the backward pass these fields belong to
    int dependencies = 0;
    bool needed = false;
    TensorList buffer;
  } engine;

 private:
  const char* name_;
  uint64_t sequence_nr_;
};

// A tensor saved by an op for its backward formula. Checks on use that it was not modified in
// place since (through any view), so a stale value can never silently give a wrong gradient.
class SavedTensor {
 public:
  SavedTensor() = default;
  // Saves an input (keeps its history, so double backward can differentiate through it). A view
  // is saved without the link to its base, which would make a cycle once the base's history
  // is rewritten to pass through this node (base[1:] = f(base[:-1])).
  explicit SavedTensor(const Tensor& t);
  // Saves an op's own output as data only (its history would point back at the node that
  // saves it: a reference cycle).
  static SavedTensor output(const Tensor& t) { return SavedTensor(t.detach()); }
  const Tensor& get() const;

 private:
  Tensor t_;
  uint32_t version_ = 0;
};

// True when grad mode is on and any of the tensors requires grad.
inline bool needs_grad(const Tensor& a) { return is_grad_enabled() && a.defined() && a.requires_grad(); }
template <class... Ts>
bool needs_grad(const Tensor& a, const Ts&... rest) {
  if (!is_grad_enabled()) return false;
  return (a.defined() && a.requires_grad()) || ((rest.defined() && rest.requires_grad()) || ...);
}
bool any_requires_grad(const TensorList& ts);

// The edge a gradient for `t` should flow along (invalid if t does not require grad).
Edge gradient_edge(const Tensor& t);
// The AccumulateGrad node of a leaf that requires grad (made on first use, then cached).
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

// Connects `node` to its inputs and makes `outputs` its outputs.
void connect(const std::shared_ptr<Node>& node, std::initializer_list<Tensor> inputs);
void connect(const std::shared_ptr<Node>& node, const TensorList& inputs);
void set_history(Tensor& output, const std::shared_ptr<Node>& node, uint32_t output_nr = 0);

// A node whose backward formula is a lambda: either (const Tensor& grad, GradMask) -> TensorList
// for single-output ops, or (const TensorList& grads, GradMask) -> TensorList for multi-output
// ops (undefined entries: outputs that got no gradient).
template <class F>
class LambdaNode final : public Node {
 public:
  LambdaNode(const char* name, F fn) : Node(name), fn_(std::move(fn)) {}
  TensorList apply(TensorList&& grads) override {
    check_not_released();
    if constexpr (std::is_invocable_v<F&, const Tensor&, GradMask>)
      return (*fn_)(grads[0], input_mask());
    else
      return (*fn_)(grads, input_mask());
  }
  void release_saved() override { fn_.reset(); }

 private:
  void check_not_released() const;
  std::optional<F> fn_;
};

[[noreturn]] void throw_released(const char* name);

template <class F>
void LambdaNode<F>::check_not_released() const {
  if (!fn_) throw_released(name());
}

// Records a single-output op: `out` becomes the output of a new node with `backward`.
template <class F>
void record(const char* name, Tensor& out, std::initializer_list<Tensor> inputs, F backward) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(backward));
  connect(node, inputs);
  set_history(out, node, 0);
}

template <class F>
void record(const char* name, Tensor& out, const TensorList& inputs, F backward) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(backward));
  connect(node, inputs);
  set_history(out, node, 0);
}

// Records a multi-output op.
template <class F>
void record(const char* name, TensorList& outs, std::initializer_list<Tensor> inputs, F backward) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(backward));
  node->num_outputs = static_cast<uint32_t>(outs.size());
  connect(node, inputs);
  for (size_t i = 0; i < outs.size(); ++i) set_history(outs[i], node, static_cast<uint32_t>(i));
}
template <class F>
void record(const char* name, TensorList& outs, const TensorList& inputs, F backward) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(backward));
  node->num_outputs = static_cast<uint32_t>(outs.size());
  connect(node, inputs);
  for (size_t i = 0; i < outs.size(); ++i) set_history(outs[i], node, static_cast<uint32_t>(i));
}

// Releases a node reference without recursing through long chains of nodes (a 100,000-step
// graph would otherwise overflow the stack in nested destructors).
void release_node(std::shared_ptr<Node>&& node);

}  // namespace soma::autograd
