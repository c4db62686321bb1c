#pragma once
// The small data sets people learn on, as scikit-learn bundles them (sklearn.datasets): the
// same values in the same row order as load_iris(), load_wine(), load_breast_cancer(),
// load_digits() and load_diabetes(). Their files are compiled into the library.
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::ml::datasets {

struct Dataset {
  Tensor data;                             // float64 [n_samples, n_features]
  Tensor target;                           // int64 class labels [n_samples], or float64 for regression
  std::vector<std::string> feature_names;
  std::vector<std::string> target_names;   // class names; empty for regression
};

Dataset load_iris();           // 150 x 4, 3 classes
Dataset load_wine();           // 178 x 13, 3 classes
Dataset load_breast_cancer();  // 569 x 30, 2 classes (0 malignant, 1 benign)
Dataset load_digits();         // 1797 x 64 (8x8 images, values 0..16), 10 classes
// 442 x 10, a disease-progression target. scaled=true (scikit-learn's default) centres each
// column and scales it to unit norm; false gives the raw values.
Dataset load_diabetes(bool scaled = true);

// A data set by name: "iris", "wine", "breast_cancer", "digits", "diabetes"; others list these.
Dataset load(const std::string& name);

}  // namespace soma::ml::datasets
