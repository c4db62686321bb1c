// L-BFGS (a port of torch.optim.LBFGS with its strong-Wolfe line search), nonlinear conjugate
// gradient and Newton-CG, on the parameters flattened into one float64 vector.
#include "soma/optim/second_order.h"

#include <algorithm>
#include <cmath>

#include "soma/autograd.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"

namespace soma::optim {

namespace {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
double max_abs(const Vec& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}
double sum_abs(const Vec& a) {
  double s = 0;
  for (double v : a) s += std::abs(v);
  return s;
}
Vec axpy(double alpha, const Vec& x, const Vec& y) {  // alpha x + y
  Vec out(y.size());
  for (size_t i = 0; i < y.size(); ++i) out[i] = alpha * x[i] + y[i];
  return out;
}
Vec scaled(double alpha, const Vec& x) {
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = alpha * x[i];
  return out;
}

// The parameters as one flat vector.
class Flat {
 public:
  explicit Flat(const TensorList& params) : params_(params) {
    for (const Tensor& p : params_) numel_ += p.numel();
  }
  int64_t numel() const { return numel_; }
  Vec get() const {
    return gather([](const Tensor& p) { return p.detach(); });
  }
  // The gradients (zeros where a parameter has none).
  Vec grad() const {
    return gather([](const Tensor& p) { return p.grad().defined() ? p.grad() : zeros(p.shape(), kFloat64); });
  }
  Vec flatten(const TensorList& ts) const {
    size_t i = 0;
    return gather([&](const Tensor& p) {
      const Tensor& t = ts[i++];
      return t.defined() ? t.detach() : zeros(p.shape(), kFloat64);
    });
  }
  // Tensors shaped like the parameters holding x.
  TensorList unflatten(const Vec& x) const {
    TensorList out;
    int64_t offset = 0;
    for (const Tensor& p : params_) {
      Vec part(x.begin() + offset, x.begin() + offset + p.numel());
      out.push_back(from_vector(part, p.shape()).to(p.dtype()));
      offset += p.numel();
    }
    return out;
  }
  void set(const Vec& x) const {
    NoGradGuard no_grad;
    TensorList values = unflatten(x);
    for (size_t i = 0; i < params_.size(); ++i) params_[i].detach().copy_(values[i]);
  }

 private:
  template <class F>
  Vec gather(F of) const {
    Vec out;
    out.reserve(numel_);
    for (const Tensor& p : params_) {
      std::vector<double> v = of(p).template to_vector<double>();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
  const TensorList& params_;
  int64_t numel_ = 0;
};

double evaluate(const Closure& closure, const char* name) {
  EnableGradGuard enable;
  Tensor loss = closure();
  SOMA_CHECK(loss.defined() && loss.numel() == 1, "{}: the closure must return a one-element loss", name);
  return loss.item();
}

// Minimizer of the cubic interpolating (x1, f1, g1) and (x2, f2, g2), within bounds.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi) {
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0) return (lo + hi) / 2;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(min_pos, lo), hi);
}
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2) {
  return cubic_interpolate(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

struct LineSearch {
  double f;
  Vec g;
  double t;
  int64_t evals;
};

// The strong-Wolfe line search of torch.optim.LBFGS (bracketing, then zoom by cubic
// interpolation). obj(t) evaluates the loss and gradient at x + t d.
template <class Obj>
LineSearch strong_wolfe(const Obj& obj, double t, const Vec& d, double f, const Vec& g, double gtd, double c1 = 1e-4,
                        double c2 = 0.9, double tolerance_change = 1e-9, int max_ls = 25) {
  const double d_norm = max_abs(d);
  auto [f_new, g_new] = obj(t);
  int64_t evals = 1;
  double gtd_new = dot(g_new, d);
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Vec g_prev = g;
  bool done = false;
  int ls_iter = 0;
  double bracket[2], bracket_f[2], bracket_gtd[2] = {0, 0};
  Vec bracket_g[2];
  int size = 2;
  auto bracket_with_previous = [&] {
    bracket[0] = t_prev, bracket[1] = t, bracket_f[0] = f_prev, bracket_f[1] = f_new;
    bracket_g[0] = g_prev, bracket_g[1] = g_new, bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
  };
  while (ls_iter < max_ls) {
    // PyTorch's order: sufficient decrease fails -> bracket; the curvature condition holds ->
    // done (also when the slope has turned positive, a step that overshoots slightly); only
    // then a positive slope brackets.
    if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
      bracket_with_previous();
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new, size = 1, done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket_with_previous();
      break;
    }
    const double min_step = t + 0.01 * (t - t_prev), max_step = t * 10, tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
    t_prev = tmp, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
    std::tie(f_new, g_new) = obj(t);
    ++evals, ++ls_iter;
    gtd_new = dot(g_new, d);
  }
  if (ls_iter == max_ls) {
    bracket[0] = 0, bracket[1] = t, bracket_f[0] = f, bracket_f[1] = f_new, bracket_g[0] = g, bracket_g[1] = g_new;
  }
  // Zoom into the bracket.
  bool insufficient_progress = false;
  int low = bracket_f[0] <= bracket_f[size - 1] ? 0 : 1, high = 1 - low;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    const double b_max = std::max(bracket[0], bracket[1]), b_min = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (b_max - b_min);
    if (std::min(b_max - t, t - b_min) < eps) {
      if (insufficient_progress || t >= b_max || t <= b_min) {
        t = std::abs(t - b_max) < std::abs(t - b_min) ? b_max - eps : b_min + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(f_new, g_new) = obj(t);
    ++evals, ++ls_iter;
    gtd_new = dot(g_new, d);
    if (f_new > f + c1 * t * gtd || f_new >= bracket_f[low]) {
      bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new, bracket_gtd[high] = gtd_new;
      low = bracket_f[0] <= bracket_f[1] ? 0 : 1, high = 1 - low;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low], bracket_f[high] = bracket_f[low];
        bracket_g[high] = bracket_g[low], bracket_gtd[high] = bracket_gtd[low];
      }
      bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new, bracket_gtd[low] = gtd_new;
    }
  }
  return {bracket_f[low], bracket_g[low], bracket[low], evals};
}

// obj(t) for the line searches: the loss and gradient at x + t d, leaving the parameters at x + t d.
auto directional(const Flat& flat, const Closure& closure, const Vec& x, const Vec& d, const char* name) {
  return [&flat, &closure, &x, &d, name](double t) {
    flat.set(axpy(t, d, x));
    double f = evaluate(closure, name);
    return std::pair<double, Vec>(f, flat.grad());
  };
}

Tensor vec_tensor(const Vec& v) { return from_vector(v); }
Vec tensor_vec(const StateDict& s, const std::string& key) {
  auto it = s.find(key);
  SOMA_CHECK(it != s.end(), "load_state_dict: missing key '{}'", key);
  return it->second.to_vector<double>();
}

template <class Options>
void check_single_group(const char* name, const std::vector<Options>& options) {
  SOMA_CHECK(options.size() == 1, "{}: supports one parameter group, got {}", name, options.size());
  SOMA_CHECK(options[0].lr > 0 && options[0].max_iter > 0, "{}: lr and max_iter must be positive, got {} and {}", name,
             options[0].lr, options[0].max_iter);
}

}  // namespace

// ---- L-BFGS ------------------------------------------------------------------------------------

LBFGS::LBFGS(TensorList params, LBFGSOptions options)
    : OptimizerWith("LBFGS", std::vector<Group>{{std::move(params), options}}, {}) {
  check_single_group("LBFGS", options_);
  SOMA_CHECK(options.history_size > 0, "LBFGS: history_size must be positive, got {}", options.history_size);
}

void LBFGS::step() { SOMA_FAIL("LBFGS: step() needs a closure that re-evaluates the loss"); }

Tensor LBFGS::step(const Closure& closure) {
  const LBFGSOptions& o = options_[0];
  const int64_t max_eval = o.max_eval > 0 ? o.max_eval : o.max_iter * 5 / 4;
  Flat flat(groups_[0]);
  Tensor orig_loss;
  {
    EnableGradGuard enable;
    orig_loss = closure();
  }
  double loss = orig_loss.item();
  int64_t current_evals = 1;
  ++func_evals_;
  Vec g = flat.grad();
  if (max_abs(g) <= o.tolerance_grad) return orig_loss;
  for (int64_t n = 1; n <= o.max_iter; ++n) {
    ++n_iter_;
    if (n_iter_ == 1) {
      d_ = scaled(-1, g);
      old_dirs_.clear(), old_steps_.clear(), ro_.clear();
      h_diag_ = 1;
    } else {
      // Update the history with y = g - g_prev, s = t d; then the two-loop recursion.
      Vec y = axpy(-1, prev_grad_, g), s = scaled(t_, d_);
      const double ys = dot(y, s);
      if (ys > 1e-10) {
        if (static_cast<int64_t>(old_dirs_.size()) == o.history_size) {
          old_dirs_.erase(old_dirs_.begin()), old_steps_.erase(old_steps_.begin()), ro_.erase(ro_.begin());
        }
        old_dirs_.push_back(y), old_steps_.push_back(s), ro_.push_back(1 / ys);
        h_diag_ = ys / dot(y, y);
      }
      const size_t m = old_dirs_.size();
      Vec al(m), q = scaled(-1, g);
      for (size_t i = m; i-- > 0;) {
        al[i] = dot(old_steps_[i], q) * ro_[i];
        q = axpy(-al[i], old_dirs_[i], q);
      }
      d_ = scaled(h_diag_, q);
      for (size_t i = 0; i < m; ++i) {
        const double be = dot(old_dirs_[i], d_) * ro_[i];
        d_ = axpy(al[i] - be, old_steps_[i], d_);
      }
    }
    prev_grad_ = g;
    prev_loss_ = loss;
    t_ = n_iter_ == 1 ? std::min(1.0, 1.0 / sum_abs(g)) * o.lr : o.lr;
    const double gtd = dot(g, d_);
    if (gtd > -o.tolerance_change) break;
    int64_t ls_evals = 0;
    bool optimal = false;
    if (o.strong_wolfe) {
      const Vec x = flat.get();
      LineSearch ls = strong_wolfe(directional(flat, closure, x, d_, "LBFGS"), t_, d_, loss, g, gtd);
      loss = ls.f, g = std::move(ls.g), t_ = ls.t, ls_evals = ls.evals;
      flat.set(axpy(t_, d_, x));
      optimal = max_abs(g) <= o.tolerance_grad;
    } else {
      flat.set(axpy(t_, d_, flat.get()));
      if (n != o.max_iter) {
        loss = evaluate(closure, "LBFGS");
        g = flat.grad();
        optimal = max_abs(g) <= o.tolerance_grad;
        ls_evals = 1;
      }
    }
    current_evals += ls_evals;
    func_evals_ += ls_evals;
    if (n == o.max_iter || current_evals >= max_eval || optimal) break;
    if (max_abs(d_) * std::abs(t_) <= o.tolerance_change) break;
    if (std::abs(loss - prev_loss_) < o.tolerance_change) break;
  }
  return orig_loss;
}

void LBFGS::save_extra(StateDict& out) const {
  if (n_iter_ == 0) return;
  out["lbfgs.d"] = vec_tensor(d_);
  out["lbfgs.prev_grad"] = vec_tensor(prev_grad_);
  for (size_t i = 0; i < old_dirs_.size(); ++i) {
    out[fmt::format("lbfgs.old_dirs.{}", i)] = vec_tensor(old_dirs_[i]);
    out[fmt::format("lbfgs.old_steps.{}", i)] = vec_tensor(old_steps_[i]);
  }
  out["lbfgs.ro"] = vec_tensor(ro_);
  out["lbfgs.scalars"] =
      vec_tensor({t_, h_diag_, prev_loss_, static_cast<double>(n_iter_), static_cast<double>(func_evals_)});
}

void LBFGS::load_extra(const StateDict& s) {
  if (!s.contains("lbfgs.scalars")) {
    d_.clear(), prev_grad_.clear(), old_dirs_.clear(), old_steps_.clear(), ro_.clear();
    t_ = 0, h_diag_ = 1, prev_loss_ = 0, n_iter_ = 0, func_evals_ = 0;
    return;
  }
  Vec scalars = tensor_vec(s, "lbfgs.scalars");
  SOMA_CHECK(scalars.size() == 5, "LBFGS: load_state_dict: 'lbfgs.scalars' has {} values, expected 5", scalars.size());
  d_ = tensor_vec(s, "lbfgs.d"), prev_grad_ = tensor_vec(s, "lbfgs.prev_grad"), ro_ = tensor_vec(s, "lbfgs.ro");
  old_dirs_.clear(), old_steps_.clear();
  for (size_t i = 0; i < ro_.size(); ++i) {
    old_dirs_.push_back(tensor_vec(s, fmt::format("lbfgs.old_dirs.{}", i)));
    old_steps_.push_back(tensor_vec(s, fmt::format("lbfgs.old_steps.{}", i)));
  }
  t_ = scalars[0], h_diag_ = scalars[1], prev_loss_ = scalars[2];
  n_iter_ = static_cast<int64_t>(scalars[3]), func_evals_ = static_cast<int64_t>(scalars[4]);
}

// ---- nonlinear conjugate gradient ----------------------------------------------------------------

ConjugateGradient::ConjugateGradient(TensorList params, ConjugateGradientOptions options)
    : OptimizerWith("ConjugateGradient", std::vector<Group>{{std::move(params), options}}, {}) {
  check_single_group("ConjugateGradient", options_);
}

void ConjugateGradient::step() { SOMA_FAIL("ConjugateGradient: step() needs a closure that re-evaluates the loss"); }

Tensor ConjugateGradient::step(const Closure& closure) {
  const ConjugateGradientOptions& o = options_[0];
  Flat flat(groups_[0]);
  const int64_t restart = o.restart > 0 ? o.restart : flat.numel();
  Tensor orig_loss;
  {
    EnableGradGuard enable;
    orig_loss = closure();
  }
  double loss = orig_loss.item();
  Vec g = flat.grad();
  if (max_abs(g) <= o.tolerance_grad) return orig_loss;
  for (int64_t n = 0; n < o.max_iter; ++n) {
    const bool first = d_.empty();
    if (first || n_iter_ % restart == 0) {
      d_ = scaled(-1, g);
    } else {
      const double gg_prev = dot(prev_grad_, prev_grad_);
      const double beta =
          o.polak_ribiere ? std::max(0.0, dot(g, axpy(-1, prev_grad_, g)) / gg_prev) : dot(g, g) / gg_prev;
      d_ = axpy(beta, d_, scaled(-1, g));
    }
    ++n_iter_;
    double gtd = dot(g, d_);
    if (gtd >= 0) {  // not a descent direction: restart
      d_ = scaled(-1, g);
      gtd = -dot(g, g);
    }
    if (gtd > -o.tolerance_change) break;
    // First trial step: scaled by the gradient at first, then t_prev * gtd_prev / gtd.
    const double t0 = first ? std::min(1.0, 1.0 / sum_abs(g)) * o.lr : t_ * prev_gtd_ / gtd;
    const Vec x = flat.get();
    LineSearch ls =
        strong_wolfe(directional(flat, closure, x, d_, "ConjugateGradient"), t0, d_, loss, g, gtd, 1e-4, 0.1);
    flat.set(axpy(ls.t, d_, x));
    const double prev_loss = loss;
    prev_grad_ = std::move(g);
    prev_gtd_ = gtd, t_ = ls.t, loss = ls.f, g = std::move(ls.g);
    if (max_abs(g) <= o.tolerance_grad) break;
    if (max_abs(d_) * std::abs(t_) <= o.tolerance_change) break;
    if (std::abs(loss - prev_loss) < o.tolerance_change) break;
  }
  return orig_loss;
}

void ConjugateGradient::save_extra(StateDict& out) const {
  if (d_.empty()) return;
  out["cg.d"] = vec_tensor(d_);
  out["cg.prev_grad"] = vec_tensor(prev_grad_);
  out["cg.scalars"] = vec_tensor({prev_gtd_, t_, static_cast<double>(n_iter_)});
}

void ConjugateGradient::load_extra(const StateDict& s) {
  if (!s.contains("cg.scalars")) {
    d_.clear(), prev_grad_.clear(), prev_gtd_ = 0, t_ = 0, n_iter_ = 0;
    return;
  }
  Vec scalars = tensor_vec(s, "cg.scalars");
  SOMA_CHECK(scalars.size() == 3, "ConjugateGradient: load_state_dict: 'cg.scalars' has {} values, expected 3",
             scalars.size());
  d_ = tensor_vec(s, "cg.d"), prev_grad_ = tensor_vec(s, "cg.prev_grad");
  prev_gtd_ = scalars[0], t_ = scalars[1], n_iter_ = static_cast<int64_t>(scalars[2]);
}

// ---- Newton-CG -------------------------------------------------------------------------------------

NewtonCG::NewtonCG(TensorList params, NewtonCGOptions options)
    : OptimizerWith("NewtonCG", std::vector<Group>{{std::move(params), options}}, {}) {
  check_single_group("NewtonCG", options_);
}

void NewtonCG::step() { SOMA_FAIL("NewtonCG: step() needs a closure that computes the loss"); }

Tensor NewtonCG::step(const Closure& closure) {
  const NewtonCGOptions& o = options_[0];
  const TensorList& params = groups_[0];
  Flat flat(params);
  const int64_t max_cg = o.max_cg_iter > 0 ? o.max_cg_iter : flat.numel();
  Tensor orig_loss;
  for (int64_t n = 0; n < o.max_iter; ++n) {
    EnableGradGuard enable;
    Tensor loss = closure();
    SOMA_CHECK(loss.defined() && loss.numel() == 1, "NewtonCG: the closure must return a one-element loss");
    SOMA_CHECK(loss.requires_grad(),
               "NewtonCG: the loss does not depend on the parameters (or backward was "
               "already called on it: the closure must not call backward)");
    if (!orig_loss.defined()) orig_loss = loss.detach();
    TensorList grads = autograd::grad({loss}, params, {}, {.create_graph = true, .allow_unused = true});
    const Vec g = flat.flatten(grads);
    const double g_norm = std::sqrt(dot(g, g));
    if (max_abs(g) <= o.tolerance_grad) break;
    ++n_iter_;
    // Hessian-vector products through the gradient's graph.
    TensorList outs;
    std::vector<size_t> which;
    for (size_t i = 0; i < grads.size(); ++i)
      if (grads[i].defined() && grads[i].requires_grad()) outs.push_back(grads[i]), which.push_back(i);
    auto hessian_times = [&](const Vec& v) -> Vec {
      if (outs.empty()) return Vec(v.size(), 0.0);
      TensorList vs = flat.unflatten(v), used;
      for (size_t i : which) used.push_back(vs[i]);
      return flat.flatten(autograd::grad(outs, params, used, {.retain_graph = true, .allow_unused = true}));
    };
    // Truncated CG on H p = -g.
    Vec p(g.size(), 0.0), r = scaled(-1, g), dir = r;
    double rr = dot(r, r);
    const double tol = std::min(o.cg_rtol, std::sqrt(g_norm)) * g_norm;
    for (int64_t k = 0; k < max_cg; ++k) {
      Vec hd = hessian_times(dir);
      const double curvature = dot(dir, hd);
      if (curvature <= 0) {  // negative curvature: keep what we have (steepest descent at first)
        if (k == 0) p = scaled(-1, g);
        break;
      }
      const double alpha = rr / curvature;
      p = axpy(alpha, dir, p);
      r = axpy(-alpha, hd, r);
      const double rr_new = dot(r, r);
      if (std::sqrt(rr_new) <= tol) break;
      dir = axpy(rr_new / rr, dir, r);
      rr = rr_new;
    }
    // Backtracking (Armijo) along p.
    const double f0 = loss.item(), gtp = dot(g, p);
    const Vec x = flat.get();
    double t = o.lr, f = f0;
    bool accepted = false;
    for (int ls = 0; ls < 40 && !accepted; ++ls) {
      if (ls > 0) t *= 0.5;
      flat.set(axpy(t, p, x));
      NoGradGuard no_grad;
      f = closure().item();
      accepted = f <= f0 + 1e-4 * t * gtp;
    }
    if (!accepted) {
      flat.set(x);
      break;
    }
    if (std::abs(f0 - f) < o.tolerance_change) break;
  }
  if (!orig_loss.defined()) orig_loss = full({}, NAN, kFloat64);
  return orig_loss;
}

}  // namespace soma::optim
