// The bundled data sets (see soma/ml/datasets.h).
#include "soma/ml/datasets.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "data/bytes.h"
#include "soma/creation.h"
#include "soma/error.h"

namespace soma::ml::datasets {
namespace files {  // generated from data/ml/ by cmake/embed_files.cmake
std::string_view iris_csv();
std::string_view wine_data_csv();
std::string_view breast_cancer_csv();
std::string_view digits_csv_gz();
std::string_view diabetes_data_raw_csv_gz();
std::string_view diabetes_target_csv_gz();
}  // namespace files

namespace {

// The numbers of each line of `text`, fields split by `separator` (a space: any run of spaces).
std::vector<std::vector<double>> parse_rows(std::string_view text, char separator) {
  std::vector<std::vector<double>> rows;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    std::vector<double> row;
    const char* p = line.c_str();
    while (*p) {
      while (*p == separator || *p == ' ' || *p == '\r') ++p;
      if (!*p) break;
      char* stop = nullptr;
      row.push_back(std::strtod(p, &stop));
      SOMA_CHECK(stop != p, "ml::datasets: a bundled file has a field that is not a number");
      p = stop;
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

// "150,4,setosa,versicolor,virginica" then rows of features and an integer label.
Dataset classification_csv(std::string_view text, std::vector<std::string> feature_names, bool gzipped) {
  std::string plain = gzipped ? data::detail::gunzip(text, "<bundled>", "ml::datasets", size_t{1} << 24)
                              : std::string(text);
  std::string_view body = plain;
  Dataset out;
  if (!gzipped) {  // the header line: counts, then the class names
    size_t end = body.find('\n');
    std::string_view header = body.substr(0, end);
    body = body.substr(end + 1);
    size_t field = 0, pos = 0;
    while (pos <= header.size()) {
      size_t comma = std::min(header.find(',', pos), header.size());
      std::string name(header.substr(pos, comma - pos));
      while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
      if (field++ >= 2) out.target_names.push_back(name);
      pos = comma + 1;
    }
  }
  auto rows = parse_rows(body, ',');
  int64_t n = rows.size(), d = rows[0].size() - 1;
  std::vector<double> X(n * d);
  std::vector<int64_t> y(n);
  for (int64_t i = 0; i < n; ++i) {
    SOMA_CHECK(static_cast<int64_t>(rows[i].size()) == d + 1, "ml::datasets: a bundled file is ragged");
    std::copy(rows[i].begin(), rows[i].end() - 1, X.begin() + i * d);
    y[i] = static_cast<int64_t>(rows[i].back());
  }
  out.data = from_vector(X, {n, d});
  out.target = from_vector(y);
  out.feature_names = std::move(feature_names);
  return out;
}

}  // namespace

Dataset load_iris() {
  return classification_csv(files::iris_csv(),
                            {"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}, false);
}

Dataset load_wine() {
  return classification_csv(files::wine_data_csv(),
                            {"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
                             "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
                             "od280/od315_of_diluted_wines", "proline"},
                            false);
}

Dataset load_breast_cancer() {
  std::vector<std::string> names;
  for (const char* prefix : {"mean ", "", "worst "})
    for (const char* feature : {"radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                                "concave points", "symmetry", "fractal dimension"})
      names.push_back(*prefix ? std::string(prefix) + feature : std::string(feature) + " error");
  return classification_csv(files::breast_cancer_csv(), names, false);
}

Dataset load_digits() {
  std::vector<std::string> names;
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) names.push_back("pixel_" + std::to_string(r) + "_" + std::to_string(c));
  Dataset out = classification_csv(files::digits_csv_gz(), names, true);
  for (int k = 0; k < 10; ++k) out.target_names.push_back(std::to_string(k));
  return out;
}

Dataset load_diabetes(bool scaled) {
  auto unzip = [](std::string_view bytes) {
    return data::detail::gunzip(bytes, "<bundled>", "ml::datasets", size_t{1} << 24);
  };
  auto X_rows = parse_rows(unzip(files::diabetes_data_raw_csv_gz()), ' ');
  auto y_rows = parse_rows(unzip(files::diabetes_target_csv_gz()), ' ');
  int64_t n = X_rows.size(), d = 10;
  SOMA_CHECK(static_cast<int64_t>(y_rows.size()) == n, "ml::datasets: the bundled diabetes files disagree");
  std::vector<double> X(n * d), y(n);
  for (int64_t i = 0; i < n; ++i) {
    std::copy(X_rows[i].begin(), X_rows[i].end(), X.begin() + i * d);
    y[i] = y_rows[i][0];
  }
  if (scaled) {  // as scikit-learn: standardize each column, then divide by sqrt(n) (unit norm)
    for (int64_t j = 0; j < d; ++j) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < n; ++i) mean += X[i * d + j];
      mean /= static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) var += (X[i * d + j] - mean) * (X[i * d + j] - mean);
      double std = std::sqrt(var / static_cast<double>(n));
      for (int64_t i = 0; i < n; ++i) X[i * d + j] = (X[i * d + j] - mean) / std / std::sqrt(static_cast<double>(n));
    }
  }
  Dataset out;
  out.data = from_vector(X, {n, d});
  out.target = from_vector(y);
  out.feature_names = {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"};
  return out;
}

Dataset load(const std::string& name) {
  if (name == "iris") return load_iris();
  if (name == "wine") return load_wine();
  if (name == "breast_cancer") return load_breast_cancer();
  if (name == "digits") return load_digits();
  if (name == "diabetes") return load_diabetes();
  SOMA_FAIL("ml::datasets: unknown data set '{}'; known: iris, wine, breast_cancer, digits, diabetes", name);
}

}  // namespace soma::ml::datasets
