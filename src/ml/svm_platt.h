#pragma once
// Platt scaling for SVC's probability=True (private to src/ml), as libsvm: a sigmoid fitted to
// decision values from an internal 5-fold cross-validation, and pairwise coupling of the
// one-vs-one probabilities into class probabilities (Wu, Lin & Weng 2004).
#include <cstdint>
#include <vector>

namespace soma::ml::detail {

// A and B of P(y = +1 | f) = 1 / (1 + exp(A f + B)), by Newton's method with backtracking
// (Lin, Lin & Weng 2007). dec: decision values [n]; sign: +1 / -1 labels [n].
void fit_sigmoid(const std::vector<double>& dec, const std::vector<double>& sign, double& A, double& B);
double sigmoid_predict(double dec, double A, double B);

// Class probabilities p [k] from pairwise ones r [k, k] (r[i][j] = P(i | i or j)).
void couple_pairwise(int64_t k, const std::vector<double>& r, double* p);

}  // namespace soma::ml::detail
