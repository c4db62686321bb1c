// Estimators by scikit-learn class name (see soma/ml/persistence.h).
#include <algorithm>
#include <functional>
#include <map>

#include "soma/error.h"
#include "soma/ml.h"

namespace soma::ml {
namespace {

using Factory = std::function<std::unique_ptr<Estimator>()>;

template <class T>
std::pair<const std::string, Factory> entry(const char* name) {
  return {name, [] { return std::make_unique<T>(); }};
}

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> table{
      entry<BernoulliNB>("BernoulliNB"),
      entry<DBSCAN>("DBSCAN"),
      entry<DecisionTreeClassifier>("DecisionTreeClassifier"),
      entry<DecisionTreeRegressor>("DecisionTreeRegressor"),
      entry<ElasticNet>("ElasticNet"),
      entry<ExtraTreesClassifier>("ExtraTreesClassifier"),
      entry<ExtraTreesRegressor>("ExtraTreesRegressor"),
      entry<GaussianMixture>("GaussianMixture"),
      entry<GaussianNB>("GaussianNB"),
      entry<HistGradientBoostingClassifier>("HistGradientBoostingClassifier"),
      entry<HistGradientBoostingRegressor>("HistGradientBoostingRegressor"),
      entry<KMeans>("KMeans"),
      entry<KNeighborsClassifier>("KNeighborsClassifier"),
      entry<KNeighborsRegressor>("KNeighborsRegressor"),
      entry<LabelEncoder>("LabelEncoder"),
      entry<Lasso>("Lasso"),
      entry<LinearRegression>("LinearRegression"),
      entry<LinearSVC>("LinearSVC"),
      entry<LogisticRegression>("LogisticRegression"),
      entry<MinMaxScaler>("MinMaxScaler"),
      entry<MiniBatchKMeans>("MiniBatchKMeans"),
      entry<MultinomialNB>("MultinomialNB"),
      entry<OneHotEncoder>("OneHotEncoder"),
      entry<PCA>("PCA"),
      entry<Perceptron>("Perceptron"),
      entry<Pipeline>("Pipeline"),
      entry<PolynomialFeatures>("PolynomialFeatures"),
      entry<RandomForestClassifier>("RandomForestClassifier"),
      entry<RandomForestRegressor>("RandomForestRegressor"),
      entry<Ridge>("Ridge"),
      entry<SGDClassifier>("SGDClassifier"),
      entry<SGDRegressor>("SGDRegressor"),
      entry<SVC>("SVC"),
      entry<SVR>("SVR"),
      entry<SimpleImputer>("SimpleImputer"),
      entry<StandardScaler>("StandardScaler"),
      entry<TruncatedSVD>("TruncatedSVD"),
  };
  return table;
}

}  // namespace

std::unique_ptr<Estimator> make_estimator(std::string_view class_name) {
  auto it = registry().find(std::string(class_name));
  if (it != registry().end()) return it->second();
  std::string list;
  for (const auto& [name, factory] : registry()) list += (list.empty() ? "" : ", ") + name;
  SOMA_FAIL("unknown estimator class '{}'; known classes are: {}", class_name, list);
}

std::vector<std::string> estimator_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

}  // namespace soma::ml
