// Platt scaling for SVC (see svm_platt.h).
#include "svm_platt.h"

#include <algorithm>
#include <cmath>

namespace soma::ml::detail {
namespace {

// The negative log-likelihood of the targets t under the sigmoid (A, B), computed stably.
double sigmoid_loss(const std::vector<double>& dec, const std::vector<double>& t, double A, double B) {
  double f = 0;
  for (size_t i = 0; i < dec.size(); ++i) {
    double fApB = dec[i] * A + B;
    f += fApB >= 0 ? t[i] * fApB + std::log1p(std::exp(-fApB)) : (t[i] - 1) * fApB + std::log1p(std::exp(fApB));
  }
  return f;
}

}  // namespace

void fit_sigmoid(const std::vector<double>& dec, const std::vector<double>& sign, double& A, double& B) {
  double prior1 = 0, prior0 = 0;
  for (double s : sign) (s > 0 ? prior1 : prior0) += 1;
  constexpr int kMaxIter = 100;
  constexpr double kMinStep = 1e-10, kSigma = 1e-12, kEps = 1e-5;
  // Targets pulled away from 0 and 1 (Platt's regularization against overfitting).
  double hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
  std::vector<double> t(dec.size());
  for (size_t i = 0; i < dec.size(); ++i) t[i] = sign[i] > 0 ? hi : lo;
  A = 0;
  B = std::log((prior0 + 1) / (prior1 + 1));
  double fval = sigmoid_loss(dec, t, A, B);
  for (int iter = 0; iter < kMaxIter; ++iter) {
    double h11 = kSigma, h22 = kSigma, h21 = 0, g1 = 0, g2 = 0;
    for (size_t i = 0; i < dec.size(); ++i) {
      double fApB = dec[i] * A + B, p, q;
      if (fApB >= 0) {
        double e = std::exp(-fApB);
        p = e / (1 + e), q = 1 / (1 + e);
      } else {
        double e = std::exp(fApB);
        p = 1 / (1 + e), q = e / (1 + e);
      }
      double d2 = p * q, d1 = t[i] - p;
      h11 += dec[i] * dec[i] * d2;
      h22 += d2;
      h21 += dec[i] * d2;
      g1 += dec[i] * d1;
      g2 += d1;
    }
    if (std::fabs(g1) < kEps && std::fabs(g2) < kEps) break;
    double det = h11 * h22 - h21 * h21;
    double dA = -(h22 * g1 - h21 * g2) / det, dB = -(-h21 * g1 + h11 * g2) / det;
    double gd = g1 * dA + g2 * dB, step = 1;
    while (step >= kMinStep) {  // backtracking line search
      double newA = A + step * dA, newB = B + step * dB;
      double newf = sigmoid_loss(dec, t, newA, newB);
      if (newf < fval + 0.0001 * step * gd) {
        A = newA, B = newB, fval = newf;
        break;
      }
      step /= 2;
    }
    if (step < kMinStep) break;
  }
}

double sigmoid_predict(double dec, double A, double B) {
  double fApB = dec * A + B;
  return fApB >= 0 ? std::exp(-fApB) / (1 + std::exp(-fApB)) : 1 / (1 + std::exp(fApB));
}

void couple_pairwise(int64_t k, const std::vector<double>& r, double* p) {
  int64_t max_iter = std::max<int64_t>(100, k);
  double eps = 0.005 / static_cast<double>(k);
  std::vector<double> Q(k * k), Qp(k);
  for (int64_t t = 0; t < k; ++t) {
    p[t] = 1.0 / static_cast<double>(k);
    Q[t * k + t] = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (j == t) continue;
      Q[t * k + t] += r[j * k + t] * r[j * k + t];
      Q[t * k + j] = -r[j * k + t] * r[t * k + j];
    }
  }
  for (int64_t iter = 0; iter < max_iter; ++iter) {
    double pQp = 0;
    for (int64_t t = 0; t < k; ++t) {
      Qp[t] = 0;
      for (int64_t j = 0; j < k; ++j) Qp[t] += Q[t * k + j] * p[j];
      pQp += p[t] * Qp[t];
    }
    double max_error = 0;
    for (int64_t t = 0; t < k; ++t) max_error = std::max(max_error, std::fabs(Qp[t] - pQp));
    if (max_error < eps) break;
    for (int64_t t = 0; t < k; ++t) {
      double diff = (-Qp[t] + pQp) / Q[t * k + t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (int64_t j = 0; j < k; ++j) {
        Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

}  // namespace soma::ml::detail
