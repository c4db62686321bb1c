// The estimator interface: parameters by name, cloning, saving and input checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

Tensor two_blobs_X() {
  return tensor({{0.0, 0.1}, {0.2, -0.1}, {-0.1, 0.0}, {3.0, 3.1}, {2.9, 3.2}, {3.2, 2.8}}, kFloat64);
}
Tensor two_blobs_y() { return tensor({7, 7, 7, -2, -2, -2}, kInt64); }

}  // namespace

TEST(MlParams, ParseAndRepr) {
  EXPECT_EQ(ml::repr(ml::parse_param_value("None")), "None");
  EXPECT_EQ(ml::repr(ml::parse_param_value("true")), "True");
  EXPECT_EQ(ml::repr(ml::parse_param_value("12")), "12");
  EXPECT_EQ(ml::repr(ml::parse_param_value("0.1")), "0.1");
  EXPECT_EQ(ml::repr(ml::parse_param_value("1e-9")), "1e-09");
  EXPECT_EQ(ml::repr(ml::parse_param_value("2.")), "2.0");
  EXPECT_EQ(ml::repr(ml::parse_param_value("gini")), "'gini'");
  EXPECT_EQ(ml::repr(ml::parse_param_value("'12'")), "'12'");
  // repr is read back exactly, which is how saved models keep their parameters.
  double x = 0.1 + 0.2;
  EXPECT_EQ(std::get<double>(ml::parse_param_value(ml::repr(x))), x);
}

TEST(MlParams, Constraints) {
  ml::Constraint c = ml::int_or_none(ml::at_least(1));
  EXPECT_TRUE(c.accepts(int64_t{3}));
  EXPECT_TRUE(c.accepts(ml::None));
  EXPECT_FALSE(c.accepts(int64_t{0}));
  EXPECT_FALSE(c.accepts(3.0));  // as scikit-learn: a float is not an int
  EXPECT_FALSE(c.accepts(std::string("3")));
  EXPECT_EQ(c.describe(), "an int in [1, inf) or None");
  ml::Constraint r = ml::real_in(ml::greater_than(0));
  EXPECT_TRUE(r.accepts(int64_t{2}));
  EXPECT_FALSE(r.accepts(0.0));
  EXPECT_FALSE(r.accepts(std::nan("")));
}

TEST(MlEstimator, GetSetCloneRepr) {
  ml::GaussianNB nb;
  EXPECT_EQ(std::get<double>(nb.get_params().at("var_smoothing")), 1e-9);
  nb.set_param("var_smoothing", 0.5);
  auto copy = nb.clone();
  EXPECT_EQ(copy->repr(), "GaussianNB(var_smoothing=0.5)");
  EXPECT_FALSE(copy->fitted());
  EXPECT_ERROR(nb.set_param("var_smoothing", -1.0), "parameter 'var_smoothing' must be a float in [0.0, inf); got -1.0");
  EXPECT_ERROR(nb.set_param("smoothing", 1.0), "unknown parameter 'smoothing'; valid parameters are: var_smoothing");
  // All-or-nothing: a bad entry leaves the good ones unset.
  EXPECT_ERROR(nb.set_params({{"var_smoothing", 0.25}, {"bogus", 1.0}}), "unknown parameter 'bogus'");
  EXPECT_EQ(std::get<double>(nb.get_params().at("var_smoothing")), 0.5);
}

TEST(MlEstimator, LabelsAreKeptInClasses) {
  ml::GaussianNB nb;
  nb.fit(two_blobs_X(), two_blobs_y());
  EXPECT_EQ(nb.classes_.to_vector<int64_t>(), (std::vector<int64_t>{-2, 7}));
  EXPECT_EQ(nb.predict(two_blobs_X()).to_vector<int64_t>(), two_blobs_y().to_vector<int64_t>());
  EXPECT_EQ(nb.score(two_blobs_X(), two_blobs_y()), 1.0);
  // float32 X and integral float labels are accepted.
  nb.fit(two_blobs_X().to(kFloat32), two_blobs_y().to(kFloat32));
  EXPECT_EQ(nb.classes_.to_vector<int64_t>(), (std::vector<int64_t>{-2, 7}));
}

TEST(MlEstimator, BadInput) {
  ml::GaussianNB nb;
  EXPECT_ERROR(nb.predict(two_blobs_X()), "GaussianNB.predict: this GaussianNB is not fitted yet; call fit first");
  EXPECT_ERROR(nb.fit(tensor({1.0, 2.0}, kFloat64), tensor({0, 1}, kInt64)), "expected X as a 2-D array");
  EXPECT_ERROR(nb.fit(two_blobs_X(), tensor({0, 1}, kInt64)), "X has 6 samples but y has 2");
  EXPECT_ERROR(nb.fit(two_blobs_X(), full({6}, 3, kInt64)), "y has only one class (3)");
  EXPECT_ERROR(nb.fit(two_blobs_X(), tensor({0.5, 1, 1, 0, 0, 1}, kFloat64)), "Unknown label type: continuous");
  Tensor nan_X = two_blobs_X().clone();
  nan_X.data<double>()[3] = std::nan("");
  EXPECT_ERROR(nb.fit(nan_X, two_blobs_y()), "input X contains NaN (row 1, column 1)");
  EXPECT_ERROR(nb.fit(empty({0, 2}, kFloat64), empty({0}, kInt64)), "X has 0 samples");
  nb.fit(two_blobs_X(), two_blobs_y());
  EXPECT_ERROR(nb.predict(ones({2, 3}, kFloat64)), "X has shape [2, 3], but this estimator was fitted with 2 features");
}

TEST(MlPersistence, RoundTripAndBadFiles) {
  auto dir = std::filesystem::temp_directory_path() / "soma_ml_persistence";
  std::filesystem::create_directories(dir);
  ml::GaussianNB nb({.var_smoothing = 1e-3});
  nb.fit(two_blobs_X(), two_blobs_y());
  ml::save(nb, dir / "nb.safetensors");
  auto loaded = ml::load(dir / "nb.safetensors");
  EXPECT_EQ(loaded->repr(), nb.repr());
  auto* back = dynamic_cast<ml::GaussianNB*>(loaded.get());
  ASSERT_NE(back, nullptr);
  Tensor probe = tensor({{1.5, 1.4}, {0.3, 0.2}}, kFloat64);
  EXPECT_EQ(back->predict_proba(probe).to_vector<double>(), nb.predict_proba(probe).to_vector<double>());

  EXPECT_ERROR(ml::save(ml::GaussianNB(), dir / "unfitted.safetensors"), "cannot save an estimator that is not fitted");
  // A plain tensor file, a damaged class, damaged parameters, a missing or wrongly shaped array.
  io::save({{"w", ones({2})}}, dir / "plain.safetensors");
  EXPECT_ERROR(ml::load(dir / "plain.safetensors"), "not a soma ml model");
  StateDict state = nb.fitted_state();
  auto write = [&](const StateDict& s, const std::string& cls, const std::string& params) {
    io::save(s, dir / "bad.safetensors", {{"soma.ml.class", cls}, {"soma.ml.params", params}});
    return dir / "bad.safetensors";
  };
  EXPECT_ERROR(ml::load(write(state, "Nope", "{}")), "unknown estimator class 'Nope'; known classes are:");
  EXPECT_ERROR(ml::load(write(state, "GaussianNB", "[1")), "the parameters is not valid JSON");
  EXPECT_ERROR(ml::load(write(state, "GaussianNB", R"({"var_smoothing": "-2"})")), "must be a float in [0.0, inf)");
  EXPECT_ERROR(ml::load(write(state, "GaussianNB", R"({"alpha": "1"})")), "unknown parameter 'alpha'");
  StateDict missing = state;
  missing.erase("var_");
  EXPECT_ERROR(ml::load(write(missing, "GaussianNB", "{}")), "the saved state has no 'var_'");
  StateDict wrong = state;
  wrong["theta_"] = zeros({3, 2}, kFloat64);
  EXPECT_ERROR(ml::load(write(wrong, "GaussianNB", "{}")), "theta_ and var_ must be float64 [2, 2]");
  StateDict extra = state;
  extra["junk"] = zeros({1});
  EXPECT_ERROR(ml::load(write(extra, "GaussianNB", "{}")), "unexpected tensor 'junk'");
  std::filesystem::remove_all(dir);
}
