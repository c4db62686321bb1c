#pragma once
// Classic machine learning with scikit-learn's interface (see soma/ml/estimator.h).
#include "soma/ml/datasets.h"
#include "soma/ml/decomposition.h"
#include "soma/ml/estimator.h"
#include "soma/ml/gradient_boosting.h"
#include "soma/ml/linear.h"
#include "soma/ml/naive_bayes.h"
#include "soma/ml/params.h"
#include "soma/ml/persistence.h"
#include "soma/ml/svm.h"
