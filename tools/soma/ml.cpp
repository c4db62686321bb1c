// `soma ml fit|predict|show|dataset`: scikit-learn's estimators on CSV files.
//
//   soma ml fit --model RandomForestClassifier --set n_estimators=200 --train train.csv
//       --test test.csv --predictions pred.csv --out forest.safetensors
//   soma ml predict --model forest.safetensors --data new.csv --predictions pred.csv
//   soma ml show --model forest.safetensors
//   soma ml dataset --name iris --out iris   (iris/train.csv and iris/test.csv)
//
// CSV files have a header; the target is the last column unless --target names one. Features
// must be numeric (missing values become NaN, which only some estimators accept). A text
// target holds class names; the model keeps them and predictions are written as names.
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>

#include "commands.h"
#include "data/untrusted_json.h"
#include "run_files.h"
#include "soma/soma.h"

namespace soma::cli {
namespace {

constexpr const char* kColumnsKey = "soma.cli.columns";

// What the program keeps beside a model: the training file's column names and class names.
struct Columns {
  std::vector<std::string> features;
  std::string target;
  std::vector<std::string> target_categories;  // empty when the target was numeric
};

struct Table {
  Tensor X;       // float64 [rows, features]
  Tensor y;       // int64 codes (text target) or float64; undefined without a target
  Columns columns;
};

// Reads a CSV file with a header; `target` names the target column ("" for the last one);
// with require_target false a file without that column is read as features only.
// expected_count: the model's feature count (0: unknown), used to tell whether a file without
// named columns has a target column.
Table read_table(const std::string& path, const std::string& target, bool require_target,
                 const std::vector<std::string>& expected_features = {}, int64_t expected_count = 0) {
  data::CsvOptions options{.header = true, .missing = data::Missing::NaN, .dtype = kFloat64};
  data::CsvTable probe = data::read_csv(path, options);
  bool has_target = true;
  if (!target.empty()) {
    bool found = std::count(probe.columns.begin(), probe.columns.end(), target) > 0;
    SOMA_CHECK(found || !require_target, "soma ml: {}: no column named '{}' (--target); the columns are: {}", path,
               target, fmt::join(probe.columns, ", "));
    has_target = found;
  } else if (!require_target) {
    has_target = expected_count > 0 && static_cast<int64_t>(probe.columns.size()) == expected_count + 1;
  }
  SOMA_CHECK(!require_target || probe.columns.size() >= 2,
             "soma ml: {}: needs at least one feature column and a target column, found {} column(s)", path,
             probe.columns.size());
  Table table;
  if (has_target) {
    if (target.empty()) options.target = int64_t{-1};
    else options.target = target;
    data::CsvTable t = data::read_csv(path, options);
    table.X = t.data;
    table.y = t.target;
    table.columns = {t.columns, t.target_name, t.target_categories};
    for (size_t j = 0; j < t.categories.size(); ++j)
      SOMA_CHECK(t.categories[j].empty(), "soma ml: {}: column '{}' is not numeric (its first value is text); "
                                          "soma ml needs numeric features", path, t.columns[j]);
  } else {
    table.X = probe.data;
    table.columns.features = probe.columns;
    for (size_t j = 0; j < probe.categories.size(); ++j)
      SOMA_CHECK(probe.categories[j].empty(), "soma ml: {}: column '{}' is not numeric (its first value is text); "
                                              "soma ml needs numeric features", path, probe.columns[j]);
  }
  if (!expected_features.empty())
    SOMA_CHECK(table.columns.features == expected_features,
               "soma ml: {}: the feature columns ({}) differ from the training file's ({})", path,
               fmt::join(table.columns.features, ", "), fmt::join(expected_features, ", "));
  return table;
}

// Codes of `table`'s text target in the order of `categories` (the training file's); a class
// the training file did not have is appended.
Tensor recode_target(const Table& table, std::vector<std::string>& categories) {
  std::vector<int64_t> codes = table.y.to_vector<int64_t>();
  for (int64_t& c : codes) {
    const std::string& name = table.columns.target_categories[c];
    auto it = std::find(categories.begin(), categories.end(), name);
    if (it == categories.end()) it = categories.insert(categories.end(), name);
    c = it - categories.begin();
  }
  return from_vector(codes);
}

std::string label_name(int64_t label, const std::vector<std::string>& categories) {
  if (!categories.empty() && label >= 0 && label < static_cast<int64_t>(categories.size())) return categories[label];
  return std::to_string(label);
}

// The classifier's report on labelled rows: accuracy, per-class precision/recall/F1 and the
// confusion matrix, classes named by the training file's class names.
void print_classification_report(const Tensor& pred, const Tensor& truth, const std::vector<std::string>& categories) {
  std::vector<int64_t> p = pred.to_vector<int64_t>();
  std::vector<int64_t> t = truth.to(kInt64).to_vector<int64_t>();
  std::vector<int64_t> labels = p;
  labels.insert(labels.end(), t.begin(), t.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  auto index = [&](int64_t v) { return std::lower_bound(labels.begin(), labels.end(), v) - labels.begin(); };
  for (auto& v : p) v = index(v);
  for (auto& v : t) v = index(v);
  std::vector<std::string> names;
  for (int64_t label : labels) names.push_back(label_name(label, categories));
  Tensor pi = from_vector(p), ti = from_vector(t);
  std::printf("test accuracy: %.4f\n%s\nconfusion matrix (rows: true class, columns: predicted):\n%s\n",
              metrics::accuracy(pi, ti), metrics::classification_report(pi, ti, names, 4).c_str(),
              metrics::format_confusion_matrix(metrics::confusion_matrix(pi, ti, labels.size()), names).c_str());
}

void print_regression_report(const Tensor& pred, const Tensor& truth) {
  Tensor p = pred.to(kFloat64), t = truth.to(kFloat64);
  std::printf("test R2: %.6f  MSE: %.6g  MAE: %.6g\n", metrics::r2_score(p, t), metrics::mean_squared_error(p, t),
              metrics::mean_absolute_error(p, t));
}

void write_predictions(const std::string& path, const Tensor& pred, const std::vector<std::string>& categories) {
  std::string text = "prediction\n";
  if (pred.dtype() == kInt64) {
    for (int64_t v : pred.to_vector<int64_t>()) text += label_name(v, categories) + "\n";
  } else {
    for (double v : pred.to(kFloat64).to_vector<double>()) text += exact(v) + "\n";
  }
  write_file_atomically(path, text);
}

std::string columns_json(const Columns& c) {
  return nlohmann::json{{"features", c.features}, {"target", c.target}, {"target_categories", c.target_categories}}
      .dump();
}

Columns read_columns(const std::string& path) {
  io::Loaded file = io::load_with_metadata(path);
  auto it = file.metadata.find(kColumnsKey);
  if (it == file.metadata.end()) return {};  // a model saved by the library: no names
  nlohmann::json j = data::detail::parse_untrusted_json(it->second, "soma ml: " + path + ": the column names");
  auto strings = [&](const char* key) {
    SOMA_CHECK(j.is_object() && j.contains(key) && j[key].is_array(), "soma ml: {}: the column names lack '{}'", path,
               key);
    std::vector<std::string> out;
    for (const auto& v : j[key]) {
      SOMA_CHECK(v.is_string(), "soma ml: {}: a column name is not a string", path);
      out.push_back(v.get<std::string>());
    }
    return out;
  };
  Columns c{strings("features"), "", strings("target_categories")};
  SOMA_CHECK(j["target"].is_string(), "soma ml: {}: the target name is not a string", path);
  c.target = j["target"].get<std::string>();
  return c;
}

struct FitOptions {
  std::string model, train, test, target, predictions, out;
  std::vector<std::string> set;
};

ml::Params parse_settings(const std::vector<std::string>& settings) {
  ml::Params params;
  for (const auto& s : settings) {
    size_t eq = s.find('=');
    SOMA_CHECK(eq != std::string::npos && eq > 0, "soma ml: --set expects NAME=VALUE, got '{}'", s);
    params[s.substr(0, eq)] = ml::parse_param_value(s.substr(eq + 1));
  }
  return params;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int fit(const FitOptions& o) {
  // Everything the user gave is checked before the (possibly long) fit.
  std::unique_ptr<ml::Estimator> model = ml::make_estimator(o.model);
  model->set_params(parse_settings(o.set));
  if (auto dir = std::filesystem::path(o.out).parent_path(); !dir.empty()) create_output_directory(dir.string());
  SOMA_CHECK(o.predictions.empty() || !o.test.empty(), "soma ml fit: --predictions needs --test (the rows to predict)");
  bool supervised = dynamic_cast<ml::Classifier*>(model.get()) || dynamic_cast<ml::Regressor*>(model.get());
  Table train = read_table(o.train, o.target, supervised);
  Table test;
  std::vector<std::string> categories = train.columns.target_categories;
  if (!o.test.empty()) {
    test = read_table(o.test, o.target.empty() ? train.columns.target : o.target, supervised, train.columns.features,
                      train.X.size(1));
    if (test.y.defined() && !train.columns.target_categories.empty()) test.y = recode_target(test, categories);
  }

  auto t0 = std::chrono::steady_clock::now();
  model->fit(train.X, train.y);
  double fit_seconds = seconds_since(t0);
  std::printf("%s fitted on %lld rows x %lld features in %.3f s\n", model->repr().c_str(),
              static_cast<long long>(train.X.size(0)), static_cast<long long>(train.X.size(1)), fit_seconds);
  if (supervised) {
    const char* what = dynamic_cast<ml::Classifier*>(model.get()) ? "accuracy" : "R2";
    std::printf("training %s: %.4f\n", what, model->score(train.X, train.y));
  }
  if (!o.test.empty()) {
    t0 = std::chrono::steady_clock::now();
    Tensor pred = model->predict(test.X);
    std::printf("predicted %lld test rows in %.3f s\n", static_cast<long long>(test.X.size(0)), seconds_since(t0));
    if (test.y.defined() && dynamic_cast<ml::Classifier*>(model.get()))
      print_classification_report(pred, test.y, categories);
    else if (test.y.defined() && dynamic_cast<ml::Regressor*>(model.get()))
      print_regression_report(pred, test.y);
    if (!o.predictions.empty()) {
      write_predictions(o.predictions, pred, train.columns.target_categories);
      std::printf("predictions written to %s\n", o.predictions.c_str());
    }
  }
  if (!o.out.empty()) {
    ml::save(*model, o.out, {{kColumnsKey, columns_json(train.columns)}});
    std::printf("model saved to %s\n", o.out.c_str());
  }
  return 0;
}

int predict(const std::string& model_path, const std::string& data_path, const std::string& predictions) {
  std::unique_ptr<ml::Estimator> model = ml::load(model_path);
  Columns columns = read_columns(model_path);
  Table table = read_table(data_path, columns.target, false, columns.features, model->n_features_in_);
  SOMA_CHECK(table.X.size(1) == model->n_features_in_, "soma ml predict: {} has {} feature columns, the model takes {}",
             data_path, table.X.size(1), model->n_features_in_);
  Tensor pred = model->predict(table.X);
  write_predictions(predictions, pred, columns.target_categories);
  std::printf("%lld predictions written to %s\n", static_cast<long long>(pred.size(0)), predictions.c_str());
  return 0;
}

// A tree's picture and text, with the training file's column names.
template <class Tree>
bool show_tree(const ml::Estimator& model, const Columns& columns, const std::string& svg) {
  auto* tree = dynamic_cast<const Tree*>(&model);
  if (!tree) return false;
  std::printf("%s", ml::export_text(*tree, columns.features).c_str());
  if (!svg.empty()) {
    write_file_atomically(svg, ml::export_svg(*tree, columns.features));
    std::printf("tree picture written to %s\n", svg.c_str());
  }
  return true;
}

int show(const std::string& model_path, const std::string& svg) {
  std::unique_ptr<ml::Estimator> model = ml::load(model_path);
  Columns columns = read_columns(model_path);
  bool is_tree = dynamic_cast<ml::DecisionTreeClassifier*>(model.get()) ||
                 dynamic_cast<ml::DecisionTreeRegressor*>(model.get());
  SOMA_CHECK(is_tree || svg.empty(), "soma ml show: --svg draws decision trees only; {} holds a {}", model_path,
             model->name());
  std::printf("%s\n", model->repr().c_str());
  std::printf("n_features_in_: %lld\n", static_cast<long long>(model->n_features_in_));
  if (!columns.features.empty())
    std::printf("features: %s\ntarget: %s\n", fmt::format("{}", fmt::join(columns.features, ", ")).c_str(),
                columns.target.c_str());
  if (!columns.target_categories.empty())
    std::printf("class names (labels 0, 1, ...): %s\n",
                fmt::format("{}", fmt::join(columns.target_categories, ", ")).c_str());
  // A tree reads better as its rules than as its arrays.
  if (show_tree<ml::DecisionTreeClassifier>(*model, columns, svg) ||
      show_tree<ml::DecisionTreeRegressor>(*model, columns, svg))
    return 0;
  for (const auto& [name, tensor] : model->fitted_state()) {
    if (name == "n_features_in_") continue;
    std::string text = tensor.str();
    if (text.size() > 600) text = text.substr(0, 600) + " ...";
    std::printf("%s\n", fmt::format("{}: {} {}\n{}", name, dtype_name(tensor.dtype()), tensor.shape(), text).c_str());
  }
  return 0;
}

struct DatasetOptions {
  std::string name, out;
  double test_size = 0.25;
  uint64_t seed = 0;
};

// One CSV line: the features (shortest round-trip text) and the target.
std::string csv_row(const double* features, int64_t d, const std::string& target) {
  std::string line;
  for (int64_t j = 0; j < d; ++j) line += fmt::format("{},", features[j]);
  return line + target + "\n";
}

// Writes a bundled data set as train.csv and test.csv: a shuffled split, stratified by class
// for the classification sets, with the class names as the target column.
int dataset(const DatasetOptions& o) {
  SOMA_CHECK(o.test_size >= 0 && o.test_size < 1, "soma ml dataset: --test-size must be in [0, 1), got {}", o.test_size);
  ml::datasets::Dataset data = ml::datasets::load(o.name);
  create_output_directory(o.out);
  int64_t n = data.data.size(0), d = data.data.size(1);
  bool classes = !data.target_names.empty();
  std::vector<std::string> targets(n);
  std::vector<std::vector<int64_t>> groups(classes ? data.target_names.size() : 1);
  for (int64_t i = 0; i < n; ++i) {
    if (classes) {
      int64_t c = data.target[i].item<int64_t>();
      targets[i] = data.target_names[c];
      groups[c].push_back(i);
    } else {
      targets[i] = fmt::format("{}", data.target[i].item<double>());
      groups[0].push_back(i);
    }
  }
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> train, test;
  for (auto& group : groups) {
    std::shuffle(group.begin(), group.end(), rng);
    auto held = static_cast<size_t>(std::llround(o.test_size * static_cast<double>(group.size())));
    test.insert(test.end(), group.begin(), group.begin() + held);
    train.insert(train.end(), group.begin() + held, group.end());
  }
  std::string header;
  for (const auto& f : data.feature_names) header += f + ",";
  header += "target\n";
  const double* x = data.data.data<double>();
  for (auto [rows, file] : {std::pair{&train, "train.csv"}, std::pair{&test, "test.csv"}}) {
    if (rows->empty()) continue;
    std::sort(rows->begin(), rows->end());
    std::string text = header;
    for (int64_t i : *rows) text += csv_row(x + i * d, d, targets[i]);
    write_file_atomically(std::filesystem::path(o.out) / file, text);
    std::printf("%s: %zu rows x %lld features -> %s\n", o.name.c_str(), rows->size(), static_cast<long long>(d),
                (std::filesystem::path(o.out) / file).string().c_str());
  }
  return 0;
}

}  // namespace

int cmd_ml(int argc, char** argv) {
  CLI::App app{"Classic machine learning with scikit-learn's estimators on CSV files", "soma ml"};
  app.require_subcommand(1);

  FitOptions f;
  CLI::App* fit_cmd = app.add_subcommand("fit", "fit an estimator on a CSV file, report on a test file, save it");
  fit_cmd->add_option("--model", f.model, "scikit-learn's class name, e.g. RandomForestClassifier")->required();
  fit_cmd->add_option("--set", f.set, "a parameter by scikit-learn's name: --set max_depth=5 (repeatable)");
  fit_cmd->add_option("--train", f.train, "training rows (CSV with a header)")->required();
  fit_cmd->add_option("--test", f.test, "test rows with the same columns: prints the test report");
  fit_cmd->add_option("--target", f.target, "the target column's name (default: the last column)");
  fit_cmd->add_option("--predictions", f.predictions, "write the test rows' predictions here (one column)");
  fit_cmd->add_option("--out", f.out, "save the fitted model here (safetensors)");

  std::string model_path, data_path, predictions;
  CLI::App* predict_cmd = app.add_subcommand("predict", "predict the rows of a CSV file with a saved model");
  predict_cmd->add_option("--model", model_path, "a model saved by soma ml fit --out")->required();
  predict_cmd->add_option("--data", data_path, "rows with the training file's feature columns (CSV)")->required();
  predict_cmd->add_option("--predictions", predictions, "the CSV file to write")->required();

  std::string svg;
  CLI::App* show_cmd = app.add_subcommand("show", "print a saved model's parameters and fitted attributes");
  show_cmd->add_option("--model", model_path, "a model saved by soma ml fit --out")->required();
  show_cmd->add_option("--svg", svg, "decision trees: also write the tree as an SVG picture");

  DatasetOptions ds;
  CLI::App* dataset_cmd = app.add_subcommand("dataset", "write a bundled data set as train.csv and test.csv");
  dataset_cmd->add_option("--name", ds.name, "iris, wine, breast_cancer, digits or diabetes")->required();
  dataset_cmd->add_option("--out", ds.out, "the folder to write train.csv and test.csv into")->required();
  dataset_cmd->add_option("--test-size", ds.test_size, "the fraction of rows in test.csv (stratified by class)");
  dataset_cmd->add_option("--seed", ds.seed, "the seed of the shuffle")->check(seed_validator());

  CLI11_PARSE(app, argc, argv);
  if (fit_cmd->parsed()) return fit(f);
  if (dataset_cmd->parsed()) return dataset(ds);
  if (predict_cmd->parsed()) return predict(model_path, data_path, predictions);
  return show(model_path, svg);
}

}  // namespace soma::cli
