#pragma once
// Classic machine learning with scikit-learn's interface (see soma/ml/estimator.h).
#include "soma/ml/ensemble.h"
#include "soma/ml/estimator.h"
#include "soma/ml/naive_bayes.h"
#include "soma/ml/params.h"
#include "soma/ml/persistence.h"
#include "soma/ml/tree.h"
