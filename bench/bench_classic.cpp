// Fit and predict times of one soma::ml estimator on a fixed split, for bench/classic.py (which
// runs the scikit-learn side, bench/reference/sklearn_classic.py, alternately with this one).
//
//   bench_classic SPLITS DATASET MODEL REPEATS PREDICTIONS [NAME=VALUE ...]
//
// DATASET: iris, wine, breast_cancer, digits, diabetes (the bundled copies, split by
// SPLITS/<name>_{train,test}_idx.csv), or synth:DIR (raw float64/int64 files written by
// bench/classic/make_synthetic.py). Features are standardized with the training rows' mean and
// population std (constant columns keep scale 1), as the protocol asks; clusterers use all rows,
// standardized on all rows. Prints RESULT lines (fit_s and predict_s: the median of REPEATS
// runs; score: accuracy, R2 or the clusterer's score) and writes the test predictions, one a line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

std::vector<int64_t> read_indices(const std::string& path) {
  std::ifstream in(path);
  SOMA_CHECK(in, "bench_classic: cannot open {}", path);
  std::string line;
  std::getline(in, line);  // the header
  std::vector<int64_t> out;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(std::stoll(line));
  return out;
}

template <class T>
Tensor read_raw(const std::string& path, Shape shape) {
  std::ifstream in(path, std::ios::binary);
  SOMA_CHECK(in, "bench_classic: cannot open {} (run bench/classic/make_synthetic.py)", path);
  Tensor t = empty(shape, dtype_v<T>);
  in.read(static_cast<char*>(t.data_ptr()), t.numel() * sizeof(T));
  SOMA_CHECK(in.gcount() == static_cast<std::streamsize>(t.numel() * sizeof(T)), "bench_classic: {} is short", path);
  return t;
}

Tensor rows(const Tensor& m, const std::vector<int64_t>& idx) {
  return index_select(m, 0, from_vector(idx));
}

// (X - mean) / std with the statistics of `fit_rows`; a constant column keeps scale 1.
void standardize(Tensor& train, Tensor& test) {
  Tensor mean = train.mean({0});
  Tensor std = ((train - mean) * (train - mean)).mean({0}).sqrt();
  std = where(std == 0, ones_like(std), std);
  train = (train - mean) / std;
  if (test.defined()) test = (test - mean) / std;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: bench_classic SPLITS DATASET MODEL REPEATS PREDICTIONS [NAME=VALUE ...]\n");
    return 2;
  }
  std::string splits = argv[1], dataset = argv[2], model_name = argv[3], out_path = argv[5];
  int repeats = std::stoi(argv[4]);
  ml::Params params;
  for (int i = 6; i < argc; ++i) {
    std::string s = argv[i];
    params[s.substr(0, s.find('='))] = ml::parse_param_value(s.substr(s.find('=') + 1));
  }
  auto model = ml::make_estimator(model_name);
  model->set_params(params);
  bool clusterer = dynamic_cast<ml::Clusterer*>(model.get()) != nullptr;

  Tensor X_train, X_test, y_train, y_test;
  if (dataset.rfind("synth:", 0) == 0) {
    std::string dir = dataset.substr(6);
    X_train = read_raw<double>(dir + "/synth_X_train.bin", {75000, 50});
    X_test = read_raw<double>(dir + "/synth_X_test.bin", {25000, 50});
    y_train = read_raw<int64_t>(dir + "/synth_y_train.bin", {75000});
    y_test = read_raw<int64_t>(dir + "/synth_y_test.bin", {25000});
  } else {
    auto data = dataset == "diabetes" ? ml::datasets::load_diabetes(false) : ml::datasets::load(dataset);
    if (clusterer) {
      X_train = data.data;
      standardize(X_train, X_test);
      X_test = X_train;
    } else {
      auto train_idx = read_indices(splits + "/" + dataset + "_train_idx.csv");
      auto test_idx = read_indices(splits + "/" + dataset + "_test_idx.csv");
      X_train = rows(data.data, train_idx);
      X_test = rows(data.data, test_idx);
      y_train = rows(data.target, train_idx);
      y_test = rows(data.target, test_idx);
      standardize(X_train, X_test);
    }
  }

  std::vector<double> fit_s, predict_s;
  Tensor first;
  bool identical = true;
  Tensor pred;
  for (int r = 0; r < repeats; ++r) {
    auto fresh = model->clone();
    auto t0 = std::chrono::steady_clock::now();
    fresh->fit(X_train, y_train);
    auto t1 = std::chrono::steady_clock::now();
    pred = fresh->predict(X_test);
    auto t2 = std::chrono::steady_clock::now();
    fit_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    predict_s.push_back(std::chrono::duration<double>(t2 - t1).count());
    if (r == 0) first = pred;
    else identical &= pred.to(kFloat64).to_vector<double>() == first.to(kFloat64).to_vector<double>();
    if (r + 1 == repeats) model = std::move(fresh);
  }
  double score = clusterer ? model->score(X_test, Tensor()) : model->score(X_test, y_test);
  std::printf("RESULT name=fit_s metric=%.6g\nRESULT name=predict_s metric=%.6g\nRESULT name=score metric=%.10g\n"
              "RESULT name=repeat_identical metric=%d\n",
              median(fit_s), median(predict_s), score, identical ? 1 : 0);
  std::ofstream out(out_path);
  for (double v : pred.to(kFloat64).to_vector<double>()) out << fmt::format("{}", v) << "\n";
  return 0;
}
