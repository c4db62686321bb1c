// Training options: command-line flags, JSON config files, and the optimizer they name.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

#include "commands.h"
#include "data/bytes.h"
#include "data/untrusted_json.h"
#include "soma/models.h"
#include "soma/optim.h"
#include "soma/parallel.h"

namespace soma::cli {

namespace {

// Upper bounds of the model sizes a user can ask for: far above any model this program trains
// on a CPU, low enough that a typo (--width 1000000) is an error, not an allocation of terabytes.
constexpr int64_t kMaxContext = 1 << 20, kMaxWidth = 1 << 16, kMaxLayers = 1024;

// A JSON number that is a whole number (3 or 3.0 or 3e0; not 1.9, "3" or true) in [lo, hi].
int64_t whole_number(const nlohmann::json& value, const std::string& where, int64_t lo, int64_t hi) {
  const double d = value.is_number() ? value.get<double>() : NAN;
  SOMA_CHECK(std::trunc(d) == d, "{} must be an integer, got {}", where, value.dump());
  // 0x1p63 = 2^63: the first double past int64's range (static_cast<double>(INT64_MAX) rounds up to it).
  SOMA_CHECK(d >= static_cast<double>(lo) && d <= static_cast<double>(hi) && d < 0x1p63,
             "{} must be an integer in [{}, {}], got {}", where, lo, hi, value.dump());
  // Exact for integers beyond 2^53, which the double above only approximates.
  const int64_t n = value.is_number_integer() ? value.get<int64_t>() : static_cast<int64_t>(d);
  SOMA_CHECK(n >= lo && n <= hi, "{} must be an integer in [{}, {}], got {}", where, lo, hi, value.dump());
  return n;
}

// A seed: a whole JSON number in [0, 2^64 - 1] (-1 is not wrapped to 2^64 - 1).
uint64_t seed_number(const nlohmann::json& value, const std::string& where) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  const int64_t n = whole_number(value, where, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  SOMA_CHECK(n >= 0, "{} must be an integer in [0, {}], got {}", where, std::numeric_limits<uint64_t>::max(), n);
  return static_cast<uint64_t>(n);
}

// A number option (lr, momentum, ...): a finite JSON number, integers included.
double real_number(const nlohmann::json& value, const std::string& where) {
  SOMA_CHECK(value.is_number(), "{} must be a number, got {}", where, value.dump());
  return value.get<double>();
}

std::string text(const nlohmann::json& value, const std::string& where) {
  SOMA_CHECK(value.is_string(), "{} must be a string, got {}", where, value.dump());
  return value.get<std::string>();
}

}  // namespace

CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        uint64_t seed = 0;
        const char* end = value.data() + value.size();
        auto [ptr, ec] = std::from_chars(value.data(), end, seed);
        if (value.empty() || ec != std::errc() || ptr != end)
          return fmt::format("must be an integer in [0, {}], got '{}'", std::numeric_limits<uint64_t>::max(), value);
        return "";
      },
      "UINT64");
}

void add_train_options(CLI::App& app, TrainConfig& cfg) {
  app.add_option("--model", cfg.model, "images: mlp, mlp-tiny or lenet; text: gpt, lstm, gru or bert")->capture_default_str();
  app.add_option("--data", cfg.data, "fashion-mnist or mnist")->capture_default_str();
  app.add_option("--epochs", cfg.epochs)->capture_default_str();
  app.add_option("--batch-size", cfg.batch_size)->capture_default_str();
  app.add_option("--optimizer", cfg.optimizer, "sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam, radam, adamax")
      ->capture_default_str();
  app.add_option("--lr", cfg.lr, "learning rate")->capture_default_str();
  app.add_option("--momentum", cfg.momentum, "for sgd and rmsprop")->capture_default_str();
  app.add_option("--weight-decay", cfg.weight_decay)->capture_default_str();
  app.add_option("--validation", cfg.validation, "fraction of the training split held out (0: train on all of it, no validation)")
      ->capture_default_str();
  app.add_option("--seed", cfg.seed)->check(seed_validator())->capture_default_str();
  app.add_option("--threads", cfg.threads, "0: one per core (at most 4 per core)")->capture_default_str();
  app.add_option("--out", cfg.out, "output directory")->capture_default_str();
  // Language models: soma train --model gpt|lstm|gru --data FILE|kjv
  app.add_option("--steps", cfg.steps, "language models: optimizer steps")->capture_default_str();
  app.add_option("--eval-every", cfg.eval_every, "language models: steps between validations")->capture_default_str();
  app.add_option("--tokenizer", cfg.tokenizer, "language models: char or bpe")->capture_default_str();
  app.add_option("--vocab-size", cfg.vocab_size, "language models: bpe vocabulary size")->capture_default_str();
  app.add_option("--context", cfg.context, "language models: tokens per training window (0: model default)");
  app.add_option("--layers", cfg.layers, "language models: layers (0: model default)");
  app.add_option("--heads", cfg.heads, "gpt, bert: attention heads (0: default)");
  app.add_option("--width", cfg.width, "language models: transformer width or rnn hidden size (0: default)");
}

void record_given_options(const CLI::App& app, TrainConfig& cfg) {
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0) cfg.given.insert(opt->get_name().substr(opt->get_name().find_first_not_of('-')));
}

void load_train_config(const std::string& path, TrainConfig& cfg) {
  const nlohmann::json j = data::detail::parse_untrusted_json(data::detail::read_file(path, "train --config"),
                                                              fmt::format("train: config file '{}'", path));
  SOMA_CHECK(j.is_object(), "train: config file '{}' must hold a JSON object", path);
  for (auto& [key, value] : j.items()) {
    std::string k = key;
    std::replace(k.begin(), k.end(), '_', '-');
    const std::string where = fmt::format("train: config file '{}': option '{}'", path, key);
    constexpr int64_t kAny = std::numeric_limits<int64_t>::max();  // ranges: validate()'s
    // Integers are taken whole (1.9 epochs is an error, not 1 epoch); threads must fit an int.
    if (k == "model") cfg.model = text(value, where);
    else if (k == "data") cfg.data = text(value, where);
    else if (k == "epochs") cfg.epochs = whole_number(value, where, -kAny, kAny);
    else if (k == "batch-size") cfg.batch_size = whole_number(value, where, -kAny, kAny);
    else if (k == "optimizer") cfg.optimizer = text(value, where);
    else if (k == "lr") cfg.lr = real_number(value, where);
    else if (k == "momentum") cfg.momentum = real_number(value, where);
    else if (k == "weight-decay") cfg.weight_decay = real_number(value, where);
    else if (k == "validation") cfg.validation = real_number(value, where);
    else if (k == "seed") cfg.seed = seed_number(value, where);
    else if (k == "threads") cfg.threads = static_cast<int>(whole_number(value, where, 0, max_num_threads()));
    else if (k == "out") cfg.out = text(value, where);
    else if (k == "steps") cfg.steps = whole_number(value, where, -kAny, kAny);
    else if (k == "eval-every") cfg.eval_every = whole_number(value, where, -kAny, kAny);
    else if (k == "tokenizer") cfg.tokenizer = text(value, where);
    else if (k == "vocab-size") cfg.vocab_size = whole_number(value, where, -kAny, kAny);
    else if (k == "context") cfg.context = whole_number(value, where, -kAny, kAny);
    else if (k == "layers") cfg.layers = whole_number(value, where, -kAny, kAny);
    else if (k == "heads") cfg.heads = whole_number(value, where, -kAny, kAny);
    else if (k == "width") cfg.width = whole_number(value, where, -kAny, kAny);
    else SOMA_FAIL("train: config file '{}': unknown option '{}'", path, key);
    cfg.given.insert(k);
  }
}

void validate(const TrainConfig& cfg) {
  const bool language = is_language_model(cfg.model);
  if (!language) {
    const std::vector<std::string> images = models::names();
    SOMA_CHECK(std::find(images.begin(), images.end(), cfg.model) != images.end(),
               "train: unknown model '{}' (expected {}, gpt, lstm, gru or bert)", cfg.model, fmt::join(images, ", "));
    SOMA_CHECK(cfg.data == "fashion-mnist" || cfg.data == "mnist",
               "train: unknown data set '{}' for the image model {} (expected fashion-mnist or mnist)", cfg.data,
               cfg.model);
    SOMA_CHECK(cfg.epochs >= 1, "train: --epochs must be at least 1, got {}", cfg.epochs);
  } else {
    SOMA_CHECK(cfg.steps >= 1, "train: --steps must be at least 1, got {}", cfg.steps);
    SOMA_CHECK(cfg.eval_every >= 1, "train: --eval-every must be at least 1, got {}", cfg.eval_every);
    SOMA_CHECK(cfg.tokenizer == "char" || cfg.tokenizer == "bpe", "train: unknown tokenizer '{}' (expected char or bpe)",
               cfg.tokenizer);
    SOMA_CHECK(cfg.vocab_size >= 1, "train: --vocab-size must be at least 1, got {}", cfg.vocab_size);
    auto size = [](const char* name, int64_t value, int64_t most) {
      SOMA_CHECK(value >= 0 && value <= most, "train: --{} must be in [0, {}] (0: the model's default), got {}", name,
                 most, value);
    };
    size("context", cfg.context, kMaxContext);
    size("layers", cfg.layers, kMaxLayers);
    size("heads", cfg.heads, kMaxWidth);
    size("width", cfg.width, kMaxWidth);
  }
  // The batch size's upper bound is the data's size, checked once the data is read.
  SOMA_CHECK(cfg.batch_size >= 1, "train: --batch-size must be at least 1, got {}", cfg.batch_size);
  SOMA_CHECK(cfg.threads >= 0 && cfg.threads <= max_num_threads(),
             "train: --threads must be in [0, {}] (0: one per core; at most 4 per core), got {}", max_num_threads(),
             cfg.threads);
  auto non_negative = [](const char* name, double value) {
    SOMA_CHECK(value >= 0 && std::isfinite(value), "train: --{} must be a finite number >= 0, got {}", name, value);
  };
  non_negative("lr", cfg.lr);
  non_negative("momentum", cfg.momentum);
  non_negative("weight-decay", cfg.weight_decay);
  SOMA_CHECK(!cfg.out.empty(), "train: --out must name a directory, got an empty string");
}

void check_image_data(const TrainConfig& cfg, int64_t train_images, int64_t test_images, const std::string& root) {
  SOMA_CHECK(train_images > 0, "train: the {} training split in '{}' has no images", cfg.data, root);
  SOMA_CHECK(test_images > 0, "train: the {} test split in '{}' has no images (the final report needs them)", cfg.data,
             root);
  SOMA_CHECK(cfg.batch_size <= train_images, "train: --batch-size {} is more than the {} training images in '{}'",
             cfg.batch_size, train_images, root);
}

void create_output_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SOMA_CHECK(!ec, "train: cannot create the output directory '{}' (--out): {}", dir, ec.message());
  SOMA_CHECK(std::filesystem::is_directory(dir), "train: the output directory '{}' (--out) is not a directory", dir);
}

const std::string& metadata_text(const Metadata& user, const std::string& key, const std::string& file, const char* op) {
  auto it = user.find(key);
  SOMA_CHECK(it != user.end(), "{}: checkpoint '{}' has no '{}' in its metadata (not written by this kind of soma train run)",
             op, file, key);
  return it->second;
}

int64_t metadata_count(const Metadata& user, const std::string& key, const std::string& file, const char* op,
                       int64_t most) {
  const std::string& text = metadata_text(user, key, file, op);
  int64_t n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  SOMA_CHECK(ec == std::errc() && end == text.data() + text.size() && n >= 0 && n <= most,
             "{}: checkpoint '{}': metadata '{}' must be a whole number in [0, {}], got '{}'", op, file, key, most, text);
  return n;
}

double metadata_real(const Metadata& user, const std::string& key, const std::string& file, const char* op) {
  const std::string& text = metadata_text(user, key, file, op);
  double x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  SOMA_CHECK(!text.empty() && ec == std::errc() && end == text.data() + text.size() && !std::isnan(x),
             "{}: checkpoint '{}': metadata '{}' must be a number, got '{}'", op, file, key, text);
  return x;
}

void check_resumable(const Metadata& user, const TrainConfig& cfg, const std::string& file) {
  const std::string& model = metadata_text(user, "model", file, "train --resume");
  SOMA_CHECK(model == cfg.model, "train --resume: checkpoint '{}' is of a {} model, not of the --model {} being trained",
             file, model, cfg.model);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& cfg, const TensorList& params) {
  const std::string& name = cfg.optimizer;
  const double lr = cfg.lr, wd = cfg.weight_decay;
  if (name == "sgd") return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = lr, .momentum = cfg.momentum, .weight_decay = wd});
  if (name == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = lr, .weight_decay = wd});
  if (name == "adamw") return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = lr, .weight_decay = wd});
  if (name == "adamax") return std::make_unique<optim::Adamax>(params, optim::AdamaxOptions{.lr = lr, .weight_decay = wd});
  if (name == "nadam") return std::make_unique<optim::NAdam>(params, optim::NAdamOptions{.lr = lr, .weight_decay = wd});
  if (name == "radam") return std::make_unique<optim::RAdam>(params, optim::RAdamOptions{.lr = lr, .weight_decay = wd});
  if (name == "rmsprop")
    return std::make_unique<optim::RMSprop>(params, optim::RMSpropOptions{.lr = lr, .weight_decay = wd, .momentum = cfg.momentum});
  if (name == "adagrad") return std::make_unique<optim::Adagrad>(params, optim::AdagradOptions{.lr = lr, .weight_decay = wd});
  if (name == "adadelta") return std::make_unique<optim::Adadelta>(params, optim::AdadeltaOptions{.lr = lr, .weight_decay = wd});
  SOMA_FAIL("train: unknown optimizer '{}' (expected sgd, adam, adamw, adamax, nadam, radam, rmsprop, adagrad or adadelta)", name);
}

}  // namespace soma::cli
