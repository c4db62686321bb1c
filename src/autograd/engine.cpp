// The backward engine: walks the graph from the roots in dependency order (each node runs once
// all nodes that feed it gradients have run), iteratively, so depth is limited only by memory.
#include <algorithm>
#include <atomic>

#include "autograd/node.h"
#include "soma/autograd.h"
#include "soma/creation.h"
#include "soma/math.h"

namespace soma::autograd {
namespace {

// Accumulates the gradient of a leaf into its .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : Node("AccumulateGrad"), leaf_(std::move(leaf)) {}

  TensorList apply(TensorList&& grads) override {
    Tensor g = std::move(grads[0]);
    TensorImpl* leaf = leaf_.get();
    for (const GradHook& hook : leaf->leaf_hooks) {
      Tensor r = hook(g);
      if (r.defined()) g = std::move(r);
    }
    if (g.dtype() != leaf->dtype) g = g.to(leaf->dtype);
    SOMA_CHECK(g.shape() == leaf->shape, "backward: a gradient of shape {} reached a leaf of shape {}", g.shape(),
               leaf->shape);
    if (!leaf->grad) {
      bool stealable = !is_grad_enabled() && g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 &&
                       g.is_contiguous() && !g.requires_grad() && g.shape() == leaf->shape;
      if (stealable)
        leaf->grad = g.impl_ptr();
      else if (is_grad_enabled())  // create_graph: the stored gradient keeps its history
        leaf->grad = g.clone().impl_ptr();
      else
        leaf->grad = g.detach().clone().impl_ptr();
    } else if (is_grad_enabled()) {
      leaf->grad = (Tensor(leaf->grad) + g).impl_ptr();
    } else {
      Tensor(leaf->grad).add_(g);
    }
    return {};
  }

  std::shared_ptr<TensorImpl> leaf_;
};

std::atomic<uint64_t> next_run{1};

struct Capture {
  Node* node;
  uint32_t slot;
  size_t index;
};

void init_state(Node* n, uint64_t run, bool needed) {
  auto& st = n->engine;
  st.run = run;
  st.dependencies = 0;
  st.needed = needed;
  st.buffer.assign(n->num_outputs, Tensor());
}

void accumulate(Tensor& slot, Tensor&& g) {
  if (!slot.defined())
    slot = std::move(g);
  else
    slot = slot + g;  // out of place: the incoming tensors may be shared
}

// Runs backward from `roots` (seeded with `root_grads`). With `captures`, gradients reaching
// those edges are stored in `captured` and no .grad is touched (autograd::grad); only the
// nodes that lead to a captured edge run.
void execute(const std::vector<Edge>& roots, TensorList& root_grads, bool keep_graph, bool create_graph,
             const std::vector<Edge>* captures, TensorList* captured) {
  const uint64_t run = next_run.fetch_add(1);
  const bool capture_mode = captures != nullptr;

  // 1. Discover the graph and count, for each node, the edges that feed it.
  std::vector<Node*> nodes;
  std::vector<Node*> stack;
  for (const Edge& r : roots) {
    Node* n = r.node.get();
    if (n->engine.run != run) {
      init_state(n, run, !capture_mode);
      nodes.push_back(n);
      stack.push_back(n);
    }
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      Node* c = e.node.get();
      if (!c) continue;
      if (c->engine.run != run) {
        init_state(c, run, !capture_mode);
        nodes.push_back(c);
        stack.push_back(c);
      }
      c->engine.dependencies++;
    }
  }

  // 2. For grad(): mark the nodes that lead to a captured edge. A node's inputs were made
  //    before it, so ascending sequence numbers visit inputs first (accumulators have no inputs).
  std::vector<Capture> capture_list;
  if (capture_mode) {
    std::vector<Node*> targets;
    for (size_t i = 0; i < captures->size(); ++i) {
      Node* t = (*captures)[i].node.get();
      SOMA_CHECK(t->engine.run == run,
                 "grad: input {} is not reachable from the outputs (it was not used to compute them); "
                 "pass allow_unused=true to get an undefined gradient for it",
                 i);
      capture_list.push_back({t, (*captures)[i].input_nr, i});
      targets.push_back(t);
    }
    std::sort(nodes.begin(), nodes.end(),
              [](Node* a, Node* b) { return a->sequence_nr() < b->sequence_nr(); });
    for (Node* n : nodes) {
      for (const Edge& e : n->next_edges) {
        Node* c = e.node.get();
        if (c && (c->engine.needed || std::find(targets.begin(), targets.end(), c) != targets.end())) {
          n->engine.needed = true;
          break;
        }
      }
    }
  }

  // 3. Seed the roots and run nodes as their dependencies complete.
  for (size_t i = 0; i < roots.size(); ++i)
    accumulate(roots[i].node->engine.buffer[roots[i].input_nr], std::move(root_grads[i]));
  std::vector<Node*> ready;
  for (const Edge& r : roots) {
    Node* n = r.node.get();
    if (n->engine.dependencies == 0 && std::find(ready.begin(), ready.end(), n) == ready.end())
      ready.push_back(n);
  }

  GradModeGuard mode(create_graph);
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    TensorList grads = std::move(n->engine.buffer);
    n->engine.buffer.clear();

    for (auto& [slot, hook] : n->pre_hooks) {
      if (!grads[slot].defined()) continue;
      Tensor r = hook(grads[slot]);
      if (r.defined()) grads[slot] = std::move(r);
    }
    if (!capture_mode) {
      for (auto& [slot, weak] : n->retained) {
        auto impl = weak.lock();
        if (!impl || !grads[slot].defined()) continue;
        Tensor g = create_graph ? grads[slot] : grads[slot].detach();
        impl->grad = impl->grad ? (Tensor(impl->grad) + g).impl_ptr() : g.clone().impl_ptr();
      }
    }
    for (const Capture& c : capture_list)
      if (c.node == n) (*captured)[c.index] = grads[c.slot];

    TensorList outs;
    bool any_grad = std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
    if (n->engine.needed && any_grad) {
      outs = n->apply(std::move(grads));
      if (!keep_graph) n->release_saved();
      SOMA_CHECK(outs.empty() || outs.size() == n->next_edges.size(),
                 "backward: node '{}' returned {} gradients for {} inputs", n->name(), outs.size(),
                 n->next_edges.size());
    }
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      Node* c = e.node.get();
      if (!c) continue;
      if (i < outs.size() && outs[i].defined()) accumulate(c->engine.buffer[e.input_nr], std::move(outs[i]));
      if (--c->engine.dependencies == 0) ready.push_back(c);
    }
  }
  for (Node* n : nodes) n->engine.buffer.clear();
}

Tensor default_grad(const Tensor& t, const char* op) {
  SOMA_CHECK(t.numel() == 1,
             "{}: a gradient can be created implicitly only for one-element outputs (got shape {}); "
             "pass the gradient explicitly",
             op, t.shape());
  return ones_like(t);
}

void collect_roots(const TensorList& outputs, const TensorList& grad_outputs, const char* op,
                   std::vector<Edge>& roots, TensorList& grads) {
  SOMA_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
             "{}: got {} gradients for {} outputs", op, grad_outputs.size(), outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& t = outputs[i];
    SOMA_CHECK(t.defined(), "{}: output {} is undefined", op, i);
    SOMA_CHECK(t.requires_grad(), "{}: output {} (shape {}) does not require grad and has no grad_fn", op, i,
               t.shape());
    Tensor g = grad_outputs.empty() || !grad_outputs[i].defined() ? default_grad(t, op) : grad_outputs[i];
    SOMA_CHECK(g.shape() == t.shape(), "{}: gradient {} has shape {} but the output has shape {}", op, i,
               g.shape(), t.shape());
    roots.push_back(gradient_edge(t));
    grads.push_back(std::move(g));
  }
}

}  // namespace

// ---- graph construction -----------------------------------------------------------------------

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  TensorImpl* impl = leaf.impl();
  if (auto acc = impl->grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(leaf.impl_ptr());
  impl->grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return {};
  TensorImpl* impl = t.impl();
  refresh_if_stale(impl);
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  if (impl->requires_grad) return {grad_accumulator(t), 0};
  return {};
}

void connect(const std::shared_ptr<Node>& node, std::initializer_list<Tensor> inputs) {
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
}

void connect(const std::shared_ptr<Node>& node, const TensorList& inputs) {
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
}

void set_history(Tensor& output, const std::shared_ptr<Node>& node, uint32_t output_nr) {
  TensorImpl* impl = output.impl();
  impl->grad_fn = node;
  impl->output_nr = output_nr;
  impl->requires_grad = false;
}

// ---- public API -------------------------------------------------------------------------------

void backward(const TensorList& tensors, const TensorList& grad_tensors, bool retain_graph, bool create_graph) {
  std::vector<Edge> roots;
  TensorList grads;
  collect_roots(tensors, grad_tensors, "backward", roots, grads);
  execute(roots, grads, retain_graph || create_graph, create_graph, nullptr, nullptr);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                GradOptions options) {
  std::vector<Edge> roots;
  TensorList grads;
  collect_roots(outputs, grad_outputs, "grad", roots, grads);
  std::vector<Edge> captures;
  std::vector<size_t> which;  // positions in `inputs` of the captured edges
  for (size_t i = 0; i < inputs.size(); ++i) {
    SOMA_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input {} does not require grad", i);
    captures.push_back(gradient_edge(inputs[i]));
  }
  TensorList result(inputs.size());
  bool keep = options.retain_graph || options.create_graph;
  if (options.allow_unused) {
    // Capture only the inputs reachable from the roots; the others stay undefined.
    std::vector<Node*> seen;
    std::vector<Node*> stack;
    for (auto& r : roots) stack.push_back(r.node.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
      seen.push_back(n);
      for (auto& e : n->next_edges)
        if (e.node) stack.push_back(e.node.get());
    }
    std::vector<Edge> reachable;
    for (size_t i = 0; i < captures.size(); ++i)
      if (std::find(seen.begin(), seen.end(), captures[i].node.get()) != seen.end()) {
        reachable.push_back(captures[i]);
        which.push_back(i);
      }
    TensorList got(reachable.size());
    execute(roots, grads, keep, options.create_graph, &reachable, &got);
    for (size_t k = 0; k < which.size(); ++k) result[which[k]] = std::move(got[k]);
  } else {
    execute(roots, grads, keep, options.create_graph, &captures, &result);
    for (size_t i = 0; i < result.size(); ++i)
      SOMA_CHECK(result[i].defined(),
                 "grad: input {} received no gradient (it does not influence the outputs); pass "
                 "allow_unused=true to accept that",
                 i);
  }
  return result;
}

}  // namespace soma::autograd
