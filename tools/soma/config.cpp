// Training options: command-line flags, JSON config files, and the optimizer they name.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "commands.h"
#include "soma/optim.h"

namespace soma::cli {

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
  app.add_option("--seed", cfg.seed)->capture_default_str();
  app.add_option("--threads", cfg.threads, "0: one per core")->capture_default_str();
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
  std::ifstream in(path);
  SOMA_CHECK(in.good(), "train: cannot open config file '{}'", path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    SOMA_FAIL("train: config file '{}' is not valid JSON: {}", path, e.what());
  }
  SOMA_CHECK(j.is_object(), "train: config file '{}' must hold a JSON object", path);
  for (auto& [key, value] : j.items()) {
    std::string k = key;
    std::replace(k.begin(), k.end(), '_', '-');
    try {
      if (k == "model") cfg.model = value.get<std::string>();
      else if (k == "data") cfg.data = value.get<std::string>();
      else if (k == "epochs") cfg.epochs = value.get<int64_t>();
      else if (k == "batch-size") cfg.batch_size = value.get<int64_t>();
      else if (k == "optimizer") cfg.optimizer = value.get<std::string>();
      else if (k == "lr") cfg.lr = value.get<double>();
      else if (k == "momentum") cfg.momentum = value.get<double>();
      else if (k == "weight-decay") cfg.weight_decay = value.get<double>();
      else if (k == "validation") cfg.validation = value.get<double>();
      else if (k == "seed") cfg.seed = value.get<uint64_t>();
      else if (k == "threads") cfg.threads = value.get<int>();
      else if (k == "out") cfg.out = value.get<std::string>();
      else if (k == "steps") cfg.steps = value.get<int64_t>();
      else if (k == "eval-every") cfg.eval_every = value.get<int64_t>();
      else if (k == "tokenizer") cfg.tokenizer = value.get<std::string>();
      else if (k == "vocab-size") cfg.vocab_size = value.get<int64_t>();
      else if (k == "context") cfg.context = value.get<int64_t>();
      else if (k == "layers") cfg.layers = value.get<int64_t>();
      else if (k == "heads") cfg.heads = value.get<int64_t>();
      else if (k == "width") cfg.width = value.get<int64_t>();
      else SOMA_FAIL("train: config file '{}': unknown option '{}'", path, key);
      cfg.given.insert(k);
    } catch (const nlohmann::json::exception& e) {
      SOMA_FAIL("train: config file '{}': option '{}' has the wrong type ({})", path, key, e.what());
    }
  }
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
