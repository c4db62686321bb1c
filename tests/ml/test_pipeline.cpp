// Pipeline: fitting through the steps, nested parameters, clone, save/load and bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

Tensor blobs_X() {
  return tensor({{0.0, 100.0}, {0.2, 130.0}, {-0.1, 90.0}, {0.1, 120.0}, {3.0, 500.0}, {2.9, 520.0}, {3.2, 480.0},
                 {3.1, 505.0}},
                kFloat64);
}
Tensor blobs_y() { return tensor({0, 0, 0, 0, 1, 1, 1, 1}, kInt64); }

}  // namespace

TEST(MlPipeline, FitsThroughTheSteps) {
  auto model = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsClassifier({.n_neighbors = 3}));
  EXPECT_EQ(model.steps()[0].first, "standardscaler");
  EXPECT_EQ(model.steps()[1].first, "kneighborsclassifier");
  model.fit(blobs_X(), blobs_y());
  // The same as fitting the steps by hand.
  ml::StandardScaler scaler;
  Tensor Z = scaler.fit_transform(blobs_X());
  ml::KNeighborsClassifier knn({.n_neighbors = 3});
  knn.fit(Z, blobs_y());
  Tensor probe = tensor({{1.0, 300.0}, {2.0, 150.0}}, kFloat64);
  EXPECT_EQ(model.predict_proba(probe).to_vector<double>(), knn.predict_proba(scaler.transform(probe)).to_vector<double>());
  EXPECT_EQ(model.predict(probe).to_vector<int64_t>(), knn.predict(scaler.transform(probe)).to_vector<int64_t>());
  EXPECT_EQ(model.score(blobs_X(), blobs_y()), 1.0);
  EXPECT_EQ(model.n_features_in_, 2);
  // A pipeline of transformers transforms.
  auto chain = ml::make_pipeline(ml::StandardScaler(), ml::MinMaxScaler());
  chain.fit(blobs_X(), Tensor());
  EXPECT_EQ(chain.transform(blobs_X()).size(1), 2);
  EXPECT_ERROR(model.transform(blobs_X()), "the last step 'kneighborsclassifier' (KNeighborsClassifier) is not a transformer");
  auto regression = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsRegressor({.n_neighbors = 2}));
  regression.fit(blobs_X(), tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}, kFloat64));
  EXPECT_ERROR(regression.predict_proba(blobs_X()), "is not a classifier");
}

TEST(MlPipeline, NestedParametersAndClone) {
  auto model = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsClassifier());
  ml::Params params = model.get_params();
  EXPECT_EQ(std::get<std::string>(params.at("steps")), "standardscaler=StandardScaler;kneighborsclassifier=KNeighborsClassifier");
  EXPECT_EQ(std::get<int64_t>(params.at("kneighborsclassifier__n_neighbors")), 5);
  EXPECT_EQ(std::get<bool>(params.at("standardscaler__with_mean")), true);
  model.set_params({{"kneighborsclassifier__n_neighbors", int64_t{3}}, {"standardscaler__with_mean", false}});
  EXPECT_EQ(std::get<int64_t>(model.named_step("kneighborsclassifier").get_params().at("n_neighbors")), 3);
  EXPECT_ERROR(model.set_param("kneighborsclassifier__n_neighbors", int64_t{0}),
               "parameter 'kneighborsclassifier__n_neighbors' must be an int in [1, inf)");
  EXPECT_ERROR(model.set_param("knn__n_neighbors", int64_t{3}), "unknown parameter 'knn__n_neighbors'");
  auto copy = model.clone();
  EXPECT_EQ(copy->repr(), model.repr());
  EXPECT_FALSE(copy->fitted());
  // A new structure replaces the steps by default ones.
  model.set_params({{"steps", std::string("scale=MinMaxScaler;knn=KNeighborsRegressor")}, {"knn__n_neighbors", int64_t{2}}});
  EXPECT_EQ(model.named_step("knn").name(), "KNeighborsRegressor");
  EXPECT_EQ(std::get<int64_t>(model.get_params().at("knn__n_neighbors")), 2);
  EXPECT_ERROR(model.set_param("steps", std::string("knn=KNeighborsClassifier;scale=MinMaxScaler")),
               "all intermediate steps should be transformers; 'knn' (KNeighborsClassifier) is not");
  EXPECT_EQ(model.named_step("knn").name(), "KNeighborsRegressor");  // unchanged after the error
  EXPECT_ERROR(model.set_param("steps", std::string("a=Nope")), "unknown estimator class 'Nope'");
  EXPECT_ERROR(model.set_param("steps", std::string("a__b=StandardScaler;c=GaussianNB")), "must not contain '__'");
}

TEST(MlPipeline, SaveAndLoad) {
  auto dir = std::filesystem::temp_directory_path() / "soma_ml_pipeline";
  std::filesystem::create_directories(dir);
  auto model = ml::make_pipeline(ml::StandardScaler({.with_mean = false}), ml::KNeighborsClassifier({.n_neighbors = 3}));
  model.fit(blobs_X(), blobs_y());
  ml::save(model, dir / "pipe.safetensors");
  StateDict state = model.fitted_state();
  EXPECT_TRUE(state.count("standardscaler.scale_"));
  EXPECT_TRUE(state.count("kneighborsclassifier._fit_X"));
  auto loaded = ml::load(dir / "pipe.safetensors");
  EXPECT_EQ(loaded->repr(), model.repr());
  Tensor probe = tensor({{1.0, 300.0}, {2.0, 150.0}}, kFloat64);
  auto* back = dynamic_cast<ml::Pipeline*>(loaded.get());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->predict_proba(probe).to_vector<double>(), model.predict_proba(probe).to_vector<double>());
  // Crafted states: an unknown step, a step's bad array.
  ml::Pipeline target = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsClassifier());
  StateDict bad = state;
  bad["other.scale_"] = ones({2}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "unexpected tensor 'other.scale_'");
  bad = state;
  bad["standardscaler.scale_"] = ones({3}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "step 'standardscaler': StandardScaler: scale_ must be float64 [2]");
  std::filesystem::remove_all(dir);
}

TEST(MlPipeline, BadInput) {
  ml::Pipeline empty_pipeline;
  EXPECT_ERROR(empty_pipeline.fit(blobs_X(), blobs_y()), "the pipeline has no steps");
  auto model = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsClassifier());
  EXPECT_ERROR(model.predict(blobs_X()), "Pipeline.predict: this Pipeline is not fitted yet");
  EXPECT_ERROR(ml::save(model, std::filesystem::temp_directory_path() / "unfitted_pipe.safetensors"),
               "cannot save a pipeline that is not fitted");
  std::vector<ml::Pipeline::Step> steps;
  steps.emplace_back("knn", std::make_unique<ml::KNeighborsClassifier>());
  steps.emplace_back("scale", std::make_unique<ml::StandardScaler>());
  EXPECT_ERROR(ml::Pipeline(std::move(steps)), "'knn' (KNeighborsClassifier) is not");
  std::vector<ml::Pipeline::Step> twice;
  twice.emplace_back("s", std::make_unique<ml::StandardScaler>());
  twice.emplace_back("s", std::make_unique<ml::StandardScaler>());
  EXPECT_ERROR(ml::Pipeline(std::move(twice)), "step names must be distinct; 's' appears twice");
  auto repeated = ml::make_pipeline(ml::StandardScaler(), ml::StandardScaler());
  EXPECT_EQ(repeated.steps()[1].first, "standardscaler-2");
  model.fit(blobs_X(), blobs_y());
  EXPECT_ERROR(model.predict(ones({2, 3}, kFloat64)), "X has shape [2, 3], but this estimator was fitted with 2 features");
}
