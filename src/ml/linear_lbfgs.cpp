// L-BFGS with a strong-Wolfe line search (see linear_lbfgs.h).
#include "linear_lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>

namespace soma::ml::detail {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::fabs(e));
  return m;
}

// A point on the search line x + step * direction: its value, gradient and slope.
struct LinePoint {
  double step = 0, f = 0, slope = 0;
  std::vector<double> x, grad;
};

// The minimizer of the cubic through (a, fa, da) and (b, fb, db), kept inside the middle 80%
// of [a, b]; the midpoint when the cubic has no minimum there.
double cubic_step(const LinePoint& a, const LinePoint& b) {
  double lo = std::min(a.step, b.step), hi = std::max(a.step, b.step), width = hi - lo;
  double d1 = a.slope + b.slope - 3 * (a.f - b.f) / (a.step - b.step);
  double disc = d1 * d1 - a.slope * b.slope;
  double t = 0.5 * (lo + hi);
  if (disc >= 0) {
    double d2 = std::copysign(std::sqrt(disc), b.step - a.step);
    double denom = b.slope - a.slope + 2 * d2;
    if (denom != 0) t = b.step - (b.step - a.step) * (b.slope + d2 - d1) / denom;
  }
  if (!std::isfinite(t)) t = 0.5 * (lo + hi);
  return std::clamp(t, lo + 0.1 * width, hi - 0.1 * width);
}

class LineSearch {
 public:
  LineSearch(const Objective& f, const std::vector<double>& x, const std::vector<double>& direction, double f0,
             double slope0, int64_t& evaluations)
      : f_(f), x0_(x), d_(direction), f0_(f0), slope0_(slope0), evaluations_(evaluations) {}

  // A step satisfying the strong Wolfe conditions (sufficient decrease c1 = 1e-4, curvature
  // c2 = 0.9, as scipy's L-BFGS-B); false when none was found in a few dozen evaluations.
  bool search(double step, LinePoint& out) {
    LinePoint prev;
    prev.step = 0, prev.f = f0_, prev.slope = slope0_;
    for (int i = 0; i < 20; ++i) {
      LinePoint cur = evaluate(step);
      if (!std::isfinite(cur.f) || cur.f > f0_ + kC1 * step * slope0_ || (i > 0 && cur.f >= prev.f))
        return zoom(prev, cur, out);
      if (std::fabs(cur.slope) <= -kC2 * slope0_) {
        out = std::move(cur);
        return true;
      }
      if (cur.slope >= 0) return zoom(cur, prev, out);
      prev = std::move(cur);
      step *= 4;
    }
    return false;
  }

 private:
  static constexpr double kC1 = 1e-4, kC2 = 0.9;

  LinePoint evaluate(double step) {
    LinePoint p;
    p.step = step;
    p.x.resize(x0_.size());
    for (size_t i = 0; i < x0_.size(); ++i) p.x[i] = x0_[i] + step * d_[i];
    p.grad.resize(x0_.size());
    p.f = f_(p.x, p.grad);
    p.slope = dot(p.grad, d_);
    ++evaluations_;
    return p;
  }

  // lo satisfies sufficient decrease with the lower value; the minimizer lies between lo and hi.
  bool zoom(LinePoint lo, LinePoint hi, LinePoint& out) {
    for (int i = 0; i < 30; ++i) {
      if (!std::isfinite(hi.f)) hi.f = lo.f + 1e300, hi.slope = 0;
      LinePoint cur = evaluate(cubic_step(lo, hi));
      if (!std::isfinite(cur.f) || cur.f > f0_ + kC1 * cur.step * slope0_ || cur.f >= lo.f) {
        hi = std::move(cur);
      } else {
        if (std::fabs(cur.slope) <= -kC2 * slope0_) {
          out = std::move(cur);
          return true;
        }
        if (cur.slope * (hi.step - lo.step) >= 0) hi = lo;
        lo = std::move(cur);
      }
      if (std::fabs(hi.step - lo.step) <= 1e-12 * std::max(1.0, lo.step)) break;
    }
    // No Wolfe point in the interval; lo still decreases f, which is progress.
    if (lo.step > 0 && lo.f < f0_) {
      out = std::move(lo);
      return true;
    }
    return false;
  }

  const Objective& f_;
  const std::vector<double>& x0_;
  const std::vector<double>& d_;
  double f0_, slope0_;
  int64_t& evaluations_;
};

}  // namespace

LbfgsResult minimize_lbfgs(const Objective& f, std::vector<double>& x, const LbfgsOptions& options) {
  const size_t m = x.size();
  std::vector<double> grad(m), direction(m);
  LbfgsResult result;
  result.f = f(x, grad);
  int64_t evaluations = 1;
  if (max_abs(grad) <= options.gtol) {
    result.converged = true;
    return result;
  }
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  std::vector<double> alpha(options.history);
  while (result.iterations < options.max_iter && evaluations < options.max_evaluations) {
    // Two-loop recursion: direction = -H grad, H the L-BFGS inverse-Hessian estimate.
    direction = grad;
    int k = static_cast<int>(s_hist.size());
    for (int i = k - 1; i >= 0; --i) {
      alpha[i] = rho_hist[i] * dot(s_hist[i], direction);
      for (size_t j = 0; j < m; ++j) direction[j] -= alpha[i] * y_hist[i][j];
    }
    double gamma = k > 0 ? 1.0 / (rho_hist[k - 1] * dot(y_hist[k - 1], y_hist[k - 1])) : 1.0;
    for (double& v : direction) v *= gamma;
    for (int i = 0; i < k; ++i) {
      double beta = rho_hist[i] * dot(y_hist[i], direction);
      for (size_t j = 0; j < m; ++j) direction[j] += (alpha[i] - beta) * s_hist[i][j];
    }
    for (double& v : direction) v = -v;
    double slope = dot(grad, direction);
    if (!(slope < 0)) {  // not a descent direction (rounding): restart from steepest descent
      s_hist.clear(), y_hist.clear(), rho_hist.clear();
      for (size_t j = 0; j < m; ++j) direction[j] = -grad[j];
      slope = -dot(grad, grad);
      k = 0;
    }
    // The first step is scaled to unit length, as L-BFGS-B does; later ones try the full step.
    double step = k == 0 ? 1.0 / std::sqrt(-slope) : 1.0;
    LinePoint next;
    LineSearch search(f, x, direction, result.f, slope, evaluations);
    if (!search.search(step, next)) break;
    ++result.iterations;
    std::vector<double> s(m), y(m);
    for (size_t j = 0; j < m; ++j) s[j] = next.x[j] - x[j], y[j] = next.grad[j] - grad[j];
    double sy = dot(s, y);
    if (sy > 2.2e-16 * dot(y, y)) {  // keep only pairs that keep H positive definite
      if (static_cast<int>(s_hist.size()) == options.history) s_hist.pop_front(), y_hist.pop_front(), rho_hist.pop_front();
      s_hist.push_back(std::move(s)), y_hist.push_back(std::move(y)), rho_hist.push_back(1.0 / sy);
    }
    double f_old = result.f;
    x = std::move(next.x);
    grad = std::move(next.grad);
    result.f = next.f;
    if ((f_old - result.f) / std::max({std::fabs(f_old), std::fabs(result.f), 1.0}) <= options.ftol ||
        max_abs(grad) <= options.gtol) {
      result.converged = true;
      break;
    }
  }
  return result;
}

}  // namespace soma::ml::detail
