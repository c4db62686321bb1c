#include "autograd/node.h"

#include <atomic>

namespace soma::autograd {
namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

Node::Node(const char* name)
    : name_(name), sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  for (Edge& e : next_edges)
    if (e.node) release_node(std::move(e.node));
}

GradMask Node::input_mask() const {
  uint64_t bits = 0;
  for (size_t i = 0; i < next_edges.size() && i < 64; ++i)
    if (next_edges[i].valid()) bits |= uint64_t{1} << i;
  return GradMask(bits);
}

void throw_released(const char* name) {
  SOMA_FAIL(
      "backward: trying to backward through the graph a second time (node '{}' has already freed "
      "its saved tensors); pass retain_graph=true to the first backward if you need to",
      name);
}

SavedTensor::SavedTensor(const Tensor& t) : t_(t), version_(t.defined() ? t.version() : 0) {
  if (!t.defined() || !t.impl()->view_base || (t.is_leaf() && t.impl()->requires_grad)) return;
  const TensorImpl* p = t.impl();
  const TensorImpl* base = p->view_base.get();
  if (!base->grad_fn && base->requires_grad) return;  // a view of a parameter: its base never gets a history
  t_ = Tensor(p->storage, p->shape, p->strides, p->offset, p->dtype);  // same data and history, no base
  t_.impl()->is_view = true;
  t_.impl()->grad_fn = t.grad_fn();
  t_.impl()->output_nr = p->output_nr;
}

const Tensor& SavedTensor::get() const {
  SOMA_CHECK(t_.defined(), "backward: a saved tensor was accessed but none was saved");
  SOMA_CHECK(t_.version() == version_,
             "backward: a tensor of shape {} saved for backward was modified by an in-place operation "
             "(its version is {}, expected {}); use an out-of-place op or clone() it first",
             t_.shape(), t_.version(), version_);
  return t_;
}

bool any_requires_grad(const TensorList& ts) {
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void release_node(std::shared_ptr<Node>&& node) {
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  if (node.use_count() > 1) {  // not the last reference: nothing gets destroyed
    node.reset();
    return;
  }
  pending.push_back(std::move(node));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // its destructor pushes its own last references onto `pending`
  }
  draining = false;
}

}  // namespace soma::autograd
