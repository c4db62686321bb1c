// Preprocessing transformers: scikit-learn's fitted attributes and outputs on fixed data,
// inverse transforms, persistence and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Golden values: tests/golden/gen_ml_preprocessing.py (scikit-learn 1.2.1).
const std::vector<double> kX = {1.764052345967664, 9.001572083672233, 0.7, 2.240893199201458, 23.675579901499674, 0.7, 0.9500884175255894, 3.486427917023021, 0.7, 0.41059850193837233, 6.44043571160878, 0.7, 0.7610377251469934, 6.216750164928284, 0.7, 0.33367432737426683, 19.94079073157606, 0.7, 0.31306770165090136, -3.5409573930172478, 0.7, 0.6536185954403606, 13.644361988595058, 0.7};
const std::vector<double> kT = {2.2697546239876076, -1.4543656745987648, 0.04575851730144607, -0.1871838500258336, 1.5327792143584575, 1.469358769900285, 0.1549474256969163, 0.37816251960217356, -0.8877857476301128};
const std::vector<double> kMean = {0.9283788517807006, 9.858120138235734, 0.7000000000000001};
const std::vector<double> kVar = {0.44067367886880593, 69.09070313691517, 0.0};
const std::vector<double> kScale = {0.6638325684001998, 8.312081757112063, 1.0};
const std::vector<double> kStandard = {2.020653755267762, -1.3609690259789855, -0.654241482698554, -1.6804880551356185, -1.0015951679919255, 0.769358769900285, -1.1651001516055648, -1.1405034136631569, -1.5877857476301127};
const std::vector<double> kStandardNoMean = {3.419167320244007, -0.17497008777065584, 0.04575851730144607, -0.28197449015937326, 0.18440377021640414, 1.469358769900285, 0.2334134133706804, 0.04549552454517264, -0.8877857476301128};
const std::vector<double> kMinMaxMin = {-1.4871826346036146, -0.6096905324840188, -3.0999999999999996};
const std::vector<double> kMinMaxScale = {1.556157444650317, 0.1102271008077278, 3.0};
const std::vector<double> kMinMax = {2.0449129210441823, -0.7700010443093159, -2.9627244480956616, -1.778470176339624, -0.4407367235069393, 1.308076309700855, -1.2460600445759564, -0.5680067743141257, -5.763357242890338};
const std::vector<double> kMinMaxClip = {2.0, -0.7700010443093159, -1.0, -1.0, -0.4407367235069393, 1.308076309700855, -1.0, -0.5680067743141257, -1.0};
const std::vector<double> kMissing = {1.0, kNaN, 3.0, kNaN, 2.0, 3.0, 7.0, 2.0, kNaN, 4.0, 5.0, 9.0, 4.0, kNaN, 9.0};
const std::vector<double> kStats_mean = {4.0, 3.0, 6.0};
const std::vector<double> kImputed_mean = {1.0, 3.0, 3.0, 4.0, 2.0, 3.0, 7.0, 2.0, 6.0, 4.0, 5.0, 9.0, 4.0, 3.0, 9.0};
const std::vector<double> kStats_median = {4.0, 2.0, 6.0};
const std::vector<double> kImputed_median = {1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 7.0, 2.0, 6.0, 4.0, 5.0, 9.0, 4.0, 2.0, 9.0};
const std::vector<double> kStats_most_frequent = {4.0, 2.0, 3.0};
const std::vector<double> kImputed_most_frequent = {1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 7.0, 2.0, 3.0, 4.0, 5.0, 9.0, 4.0, 2.0, 9.0};
const std::vector<double> kImputedConstant = {1.0, -1.0, 3.0, -1.0, 2.0, 3.0, 7.0, 2.0, -1.0, 4.0, 5.0, 9.0, 4.0, -1.0, 9.0};
const std::vector<double> kP = {1.0, 2.0, 3.0, -1.0, 0.5, 2.0};
const std::vector<double> kPowersDefault = {0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0};
const std::vector<double> kPolyDefault = {1.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 1.0, -1.0, 0.5, 2.0, 1.0, -0.5, -2.0, 0.25, 1.0, 4.0};
const std::vector<double> kPowersInteraction = {0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0};
const std::vector<double> kPolyInteraction = {1.0, 1.0, 2.0, 3.0, 2.0, 3.0, 6.0, 1.0, -1.0, 0.5, 2.0, -0.5, -2.0, 1.0};
const std::vector<double> kPowersDegree3NoBias = {1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 2.0, 1.0, 0.0, 2.0, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 0.0, 2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0};
const std::vector<double> kPolyDegree3NoBias = {1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 8.0, 12.0, 18.0, 27.0, -1.0, 0.5, 2.0, 1.0, -0.5, -2.0, 0.25, 1.0, 4.0, -1.0, 0.5, 2.0, -0.25, -1.0, -4.0, 0.125, 0.5, 2.0, 8.0};
const std::vector<double> kCat = {1.0, 10.0, 5.0, 2.0, 20.0, 5.0, 1.0, 30.0, 6.0, 3.0, 10.0, 6.0};
const std::vector<double> kOneHotNone = {1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0};
const std::vector<double> kOneHotFirst = {0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0};
const std::vector<double> kOneHotIfBinary = {1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0};
const std::vector<double> kOneHotUnknown = {0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0};
Tensor mat(const std::vector<double>& v, int64_t cols) {
  return from_vector(v, {static_cast<int64_t>(v.size()) / cols, cols});
}

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  std::vector<double> got = t.to(kFloat64).contiguous().to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << i;
}

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / "soma_ml_preprocessing";
  std::filesystem::create_directories(dir);
  return dir;
}

// save + load, then the loaded copy's transform of X equals the original's.
void expect_round_trip(const ml::Transformer& t, const Tensor& X) {
  auto path = temp_dir() / "t.safetensors";
  ml::save(t, path);
  auto back = ml::load(path);
  EXPECT_EQ(back->repr(), t.repr());
  EXPECT_EQ(back->predict(X).to_vector<double>(), t.transform(X).to_vector<double>());
  std::filesystem::remove(path);
}

}  // namespace

TEST(MlPreprocessing, StandardScaler) {
  Tensor X = mat(kX, 3), T = mat(kT, 3);
  ml::StandardScaler s;
  s.fit(X);
  expect_near(s.mean_, kMean);
  expect_near(s.var_, kVar);
  expect_near(s.scale_, kScale);  // the constant column gets scale 1
  EXPECT_EQ(s.n_samples_seen_, 8);
  expect_near(s.transform(T), kStandard);
  expect_near(s.inverse_transform(s.transform(T)), kT);
  ml::StandardScaler no_mean({.with_mean = false});
  expect_near(no_mean.fit(X).transform(T), kStandardNoMean);
  expect_near(ml::StandardScaler({.with_mean = false, .with_std = false}).fit_transform(X), kX);
  expect_round_trip(s, T);
}

TEST(MlPreprocessing, MinMaxScaler) {
  Tensor X = mat(kX, 3), T = mat(kT, 3);
  ml::MinMaxScaler m({.feature_range = "(-1, 2)"});
  m.fit(X);
  expect_near(m.min_, kMinMaxMin);
  expect_near(m.scale_, kMinMaxScale);
  expect_near(m.transform(T), kMinMax);
  expect_near(m.inverse_transform(m.transform(T)), kT);
  ml::MinMaxScaler clip({.feature_range = "(-1, 2)", .clip = true});
  expect_near(clip.fit(X).transform(T), kMinMaxClip);
  // The default range is (0, 1): the training rows span it (up to rounding).
  Tensor Z = ml::MinMaxScaler().fit_transform(X);
  EXPECT_NEAR(Z.narrow(1, 0, 1).min().item<double>(), 0.0, 1e-15);
  EXPECT_NEAR(Z.narrow(1, 0, 1).max().item<double>(), 1.0, 1e-15);
  expect_round_trip(m, T);
  ml::MinMaxScaler bad({.feature_range = "(2, 1)"});
  EXPECT_ERROR(bad.fit(X), "Minimum of desired feature range must be smaller than maximum. Got (2, 1)");
  bad.set_param("feature_range", std::string("0 to 1"));
  EXPECT_ERROR(bad.fit(X), "feature_range must be two numbers '(min, max)'; got '0 to 1'");
}

TEST(MlPreprocessing, SimpleImputer) {
  Tensor M = mat(kMissing, 3);
  ml::SimpleImputer mean;
  mean.fit(M);
  expect_near(mean.statistics_, kStats_mean);
  expect_near(mean.transform(M), kImputed_mean);
  ml::SimpleImputer median({.strategy = "median"});
  expect_near(median.fit(M).statistics_, kStats_median);
  expect_near(median.transform(M), kImputed_median);
  ml::SimpleImputer frequent({.strategy = "most_frequent"});
  expect_near(frequent.fit(M).statistics_, kStats_most_frequent);
  expect_near(frequent.transform(M), kImputed_most_frequent);
  ml::SimpleImputer constant({.strategy = "constant", .fill_value = -1.0});
  expect_near(constant.fit(M).transform(M), kImputedConstant);
  // A column with no observed value is dropped (not for 'constant').
  Tensor empty_column = tensor({{1.0, kNaN}, {2.0, kNaN}}, kFloat64);
  EXPECT_EQ(mean.fit(empty_column).transform(empty_column).to_vector<double>(), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(ml::SimpleImputer({.strategy = "constant"}).fit_transform(empty_column).to_vector<double>(),
            (std::vector<double>{1.0, 0.0, 2.0, 0.0}));
  // missing_values may be a number; NaN then is bad input, as in scikit-learn.
  ml::SimpleImputer zeros_missing({.missing_values = 0.0});
  EXPECT_EQ(zeros_missing.fit_transform(tensor({{0.0}, {2.0}, {4.0}}, kFloat64)).to_vector<double>(),
            (std::vector<double>{3.0, 2.0, 4.0}));
  EXPECT_ERROR(zeros_missing.fit(M), "input X contains NaN");
  // The NaN default survives clone and save/load.
  EXPECT_EQ(mean.clone()->repr(), mean.repr());
  mean.fit(M);
  expect_round_trip(mean, M);
}

TEST(MlPreprocessing, PolynomialFeatures) {
  Tensor P = mat(kP, 3);
  struct Case {
    ml::PolynomialFeaturesOptions options;
    const std::vector<double>& powers;
    const std::vector<double>& values;
  };
  std::vector<Case> cases{{{}, kPowersDefault, kPolyDefault},
                          {{.interaction_only = true}, kPowersInteraction, kPolyInteraction},
                          {{.degree = 3, .include_bias = false}, kPowersDegree3NoBias, kPolyDegree3NoBias}};
  for (const Case& c : cases) {
    ml::PolynomialFeatures p(c.options);
    p.fit(P);
    expect_near(p.powers_, c.powers);
    EXPECT_EQ(p.n_output_features_, static_cast<int64_t>(c.powers.size()) / 3);
    expect_near(p.transform(P), c.values);
  }
  ml::PolynomialFeatures p;
  p.fit(P);
  expect_round_trip(p, P);
  ml::PolynomialFeatures empty_output({.degree = 0, .include_bias = false});
  EXPECT_ERROR(empty_output.fit(P), "would result in an empty output array");
  ml::PolynomialFeatures huge({.degree = 40});
  EXPECT_ERROR(huge.fit(ones({2, 50}, kFloat64)), "too many");
}

TEST(MlPreprocessing, OneHotEncoder) {
  Tensor C = mat(kCat, 3);
  ml::OneHotEncoder plain;
  plain.fit(C);
  EXPECT_EQ(plain.categories_.size(), 3u);
  EXPECT_EQ(plain.categories_[1].to_vector<double>(), (std::vector<double>{10, 20, 30}));
  expect_near(plain.transform(C), kOneHotNone);
  expect_near(plain.inverse_transform(plain.transform(C)), kCat);
  ml::OneHotEncoder first({.drop = std::string("first")});
  expect_near(first.fit(C).transform(C), kOneHotFirst);
  expect_near(first.inverse_transform(first.transform(C)), kCat);
  ml::OneHotEncoder binary({.drop = std::string("if_binary")});
  expect_near(binary.fit(C).transform(C), kOneHotIfBinary);
  expect_near(binary.inverse_transform(binary.transform(C)), kCat);
  Tensor unknown = tensor({{2.0, 99.0, 6.0}}, kFloat64);
  EXPECT_ERROR(plain.transform(unknown), "Found unknown categories [99] in column 1 during transform");
  ml::OneHotEncoder ignore({.handle_unknown = "ignore"});
  expect_near(ignore.fit(C).transform(unknown), kOneHotUnknown);
  std::vector<double> back = ignore.inverse_transform(ignore.transform(unknown)).to_vector<double>();
  EXPECT_EQ(back[0], 2.0);
  EXPECT_TRUE(std::isnan(back[1]));
  expect_round_trip(first, C);
  ml::OneHotEncoder sparse({.sparse_output = true});
  EXPECT_ERROR(sparse.fit(C), "sparse_output=True is not supported");
  // Crafted states: unsorted categories, a drop index out of range, a missing column.
  StateDict state = first.fitted_state();
  ml::OneHotEncoder target;
  StateDict bad = state;
  bad["categories_.1"] = tensor({30.0, 10.0}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "categories_.1 must be finite, sorted and distinct");
  bad = state;
  bad["drop_idx_"] = tensor({0, 5, 0}, kInt64);
  EXPECT_ERROR(target.load_fitted_state(bad), "drop_idx_[1] = 5 is out of range");
  bad = state;
  bad.erase("categories_.2");
  EXPECT_ERROR(target.load_fitted_state(bad), "must hold 5 arrays");
}

TEST(MlPreprocessing, LabelEncoder) {
  ml::LabelEncoder enc;
  enc.fit(tensor({7, -2, 7, 3}, kInt64));
  EXPECT_EQ(enc.classes_.to_vector<int64_t>(), (std::vector<int64_t>{-2, 3, 7}));
  EXPECT_EQ(enc.transform(tensor({3, 7, -2, 3}, kInt64)).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 0, 1}));
  EXPECT_EQ(enc.inverse_transform(tensor({2, 0}, kInt64)).to_vector<int64_t>(), (std::vector<int64_t>{7, -2}));
  EXPECT_EQ(enc.fit_transform(tensor({5.0, 5.0}, kFloat64)).to_vector<int64_t>(), (std::vector<int64_t>{0, 0}));
  enc.fit(tensor({7, -2, 7, 3}, kInt64));
  EXPECT_ERROR(enc.transform(tensor({3, 4}, kInt64)), "y contains previously unseen labels: [4]");
  EXPECT_ERROR(enc.inverse_transform(tensor({3}, kInt64)), "y contains previously unseen labels: [3]");
  EXPECT_ERROR(enc.fit(tensor({0.5, 1.0}, kFloat64)), "Unknown label type: continuous");
  EXPECT_ERROR(ml::LabelEncoder().transform(tensor({1}, kInt64)), "not fitted yet");
  auto path = temp_dir() / "le.safetensors";
  ml::save(enc, path);
  auto loaded = ml::load(path);
  auto* back = dynamic_cast<ml::LabelEncoder*>(loaded.get());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->transform(tensor({3, 7}, kInt64)).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  std::filesystem::remove(path);
}

TEST(MlPreprocessing, BadInput) {
  Tensor X = mat(kX, 3);
  ml::StandardScaler s;
  EXPECT_ERROR(s.transform(X), "this StandardScaler is not fitted yet");
  Tensor nan_X = X.clone();
  nan_X.data<double>()[0] = kNaN;
  EXPECT_ERROR(s.fit(nan_X), "input X contains NaN (row 0, column 0)");
  s.fit(X);
  EXPECT_ERROR(s.transform(ones({2, 4}, kFloat64)), "X has shape [2, 4], but this estimator was fitted with 3 features");
  EXPECT_ERROR(s.set_param("with_mean", int64_t{2}), "parameter 'with_mean' must be a bool");
  EXPECT_ERROR(ml::SimpleImputer().set_param("strategy", std::string("max")), "parameter 'strategy' must be one of");
  EXPECT_ERROR(ml::PolynomialFeatures().set_param("degree", int64_t{-1}), "parameter 'degree' must be an int in [0, inf)");
  // Crafted states.
  StateDict state = s.fitted_state();
  ml::StandardScaler target;
  StateDict bad = state;
  bad["scale_"] = tensor({1.0, 0.0, 1.0}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "scale_ must be finite and positive");
  bad["scale_"] = ones({4}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "scale_ must be float64 [3]");
  ml::PolynomialFeatures p;
  p.fit(X);
  StateDict poly = p.fitted_state();
  poly["powers_"] = full({10, 3}, -1, kInt64);
  EXPECT_ERROR(ml::PolynomialFeatures().load_fitted_state(poly), "powers_ holds -1, outside [0, 64]");
}
