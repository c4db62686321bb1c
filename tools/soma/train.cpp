// `soma train`: trains a model on Fashion-MNIST with a live progress bar, per-epoch validation,
// best/last checkpoints, a JSON-lines metrics log and a learning-curve SVG; Ctrl-C saves a
// checkpoint and `--resume` continues from it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "plot.h"
#include "progress.h"
#include "soma/soma.h"

namespace soma::cli {

namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) { interrupted.store(true); }

struct EpochStats {
  double loss = 0, accuracy = 0;
};

// Loss and accuracy of `model` over a loader, in eval mode without autograd.
EpochStats evaluate(nn::Module& model, data::DataLoader& loader, Tensor* all_pred = nullptr,
                    Tensor* all_target = nullptr) {
  NoGradGuard no_grad;
  model.eval();
  metrics::RunningMean loss, acc;
  TensorList preds, targets;
  for (auto& [x, y] : loader) {
    Tensor logits = model(x);
    loss.add(nn::functional::cross_entropy(logits, y).item(), static_cast<double>(y.size(0)));
    Tensor pred = logits.argmax(1);
    acc.add(metrics::accuracy(pred, y), static_cast<double>(y.size(0)));
    if (all_pred) preds.push_back(pred), targets.push_back(y);
  }
  model.train();
  if (all_pred) *all_pred = cat(preds), *all_target = cat(targets);
  return {loss.mean(), acc.mean()};
}

void write_curve(const std::filesystem::path& path, const std::vector<EpochStats>& train,
                 const std::vector<EpochStats>& val) {
  auto series = [](const std::vector<EpochStats>& s, bool loss) {
    std::vector<double> v;
    for (const EpochStats& e : s) v.push_back(loss ? e.loss : e.accuracy);
    return v;
  };
  auto both = [&](bool loss) {
    std::vector<Series> s{{"train", series(train, loss)}};
    if (!val.empty()) s.push_back({"validation", series(val, loss)});  // none with --validation 0
    return s;
  };
  std::ofstream(path) << learning_curve_svg({{"loss", both(true)}, {"accuracy", both(false)}});
}

}  // namespace

int cmd_train(int argc, char** argv) {
  TrainConfig cfg;
  CLI::App app{"Train an image classifier on Fashion-MNIST, or a language model on text", "soma train"};
  std::string config_file;
  app.add_option("--config", config_file, "JSON file with any of the options below (flags override it)");
  add_train_options(app, cfg);
  app.add_flag("--resume", cfg.resume, "continue from OUT/last.ckpt");
  CLI11_PARSE(app, argc, argv);
  if (!config_file.empty()) {
    load_train_config(config_file, cfg);
    app.parse(argc, argv);  // flags given on the command line win over the file
  }
  record_given_options(app, cfg);
  if (is_language_model(cfg.model)) {
    apply_language_model_defaults(cfg);
    return run_language_model_training(cfg);
  }
  return run_training(cfg);
}

int run_training(const TrainConfig& cfg) {
  validate(cfg);
  SOMA_CHECK(cfg.validation >= 0 && cfg.validation < 1, "train: --validation must be in [0, 1), got {}", cfg.validation);
  // --validation 0 trains on the whole training split (as the PyTorch reference recipe does);
  // there are then no validation metrics and no best.ckpt.
  const bool validate = cfg.validation > 0;
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);
  namespace fs = std::filesystem;
  create_output_directory(cfg.out);

  // Data: the training split minus a validation hold-out, and the test split.
  data::MNISTOptions data_options;
  auto full_train = cfg.data == "mnist" ? data::MNIST("train", data_options) : data::FashionMNIST("train", data_options);
  auto test_set = cfg.data == "mnist" ? data::MNIST("test", data_options) : data::FashionMNIST("test", data_options);
  check_image_data(cfg, full_train.size(), test_set.size(), full_train.root());
  const std::vector<std::string> class_names = full_train.classes();
  auto parts = data::random_split(std::move(full_train), {1.0 - cfg.validation, cfg.validation}, cfg.seed);
  data::DataLoader train_loader(parts[0], {.batch_size = cfg.batch_size, .shuffle = true, .seed = cfg.seed});
  data::DataLoader val_loader(parts[1], {.batch_size = 1000});
  data::DataLoader test_loader(test_set, {.batch_size = 1000});

  auto model = models::by_name(cfg.model);
  auto optimizer = make_optimizer(cfg, model->parameters());
  std::fprintf(stderr, "soma train: %s (%lld parameters) on %s: %lld train / %lld validation / %lld test, %s lr %g, batch %lld, %d threads\n",
               cfg.model.c_str(), static_cast<long long>(model->num_parameters()), cfg.data.c_str(),
               static_cast<long long>(parts[0].size()), static_cast<long long>(parts[1].size()),
               static_cast<long long>(test_set.size()), cfg.optimizer.c_str(), cfg.lr,
               static_cast<long long>(cfg.batch_size), get_num_threads());

  // Resume: model, optimizer, epoch, RNG and the metrics so far.
  int64_t start_epoch = 0, step = 0;
  double best_accuracy = -1;
  std::vector<EpochStats> train_hist, val_hist;
  const fs::path last_ckpt = fs::path(cfg.out) / "last.ckpt", best_ckpt = fs::path(cfg.out) / "best.ckpt";
  const fs::path log_path = fs::path(cfg.out) / "metrics.jsonl";
  if (cfg.resume) {
    io::Checkpoint ck = io::load_checkpoint(last_ckpt.string());
    check_resumable(ck.user, cfg, last_ckpt.string());
    model->load_state_dict(ck.model);
    optimizer->load_state_dict(ck.optimizer);
    start_epoch = ck.epoch;
    step = ck.step;
    ck.rng.restore();
    best_accuracy = ck.user.count("best_accuracy") ? metadata_real(ck.user, "best_accuracy", last_ckpt, "train --resume") : -1;
    std::ifstream log(log_path);
    for (std::string line; std::getline(log, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["epoch"].get<int64_t>() > start_epoch) break;
      train_hist.push_back({j["train_loss"], j["train_accuracy"]});
      if (j.contains("val_loss")) val_hist.push_back({j["val_loss"], j["val_accuracy"]});
    }
    std::fprintf(stderr, "resumed from %s at epoch %lld\n", last_ckpt.c_str(), static_cast<long long>(start_epoch));
  } else {
    std::ofstream(log_path, std::ios::trunc);
  }
  auto save = [&](const fs::path& path, int64_t epoch) {
    io::Checkpoint ck;
    ck.model = model->state_dict();
    ck.optimizer = optimizer->state_dict();
    ck.epoch = epoch;
    ck.step = step;
    ck.rng = io::RngState::capture();
    ck.user = {{"model", cfg.model}, {"data", cfg.data}, {"best_accuracy", std::to_string(best_accuracy)}};
    io::save_checkpoint(ck, path.string());
  };

  interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_sigint);
  for (int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    train_loader.set_epoch(epoch);
    ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, cfg.epochs), train_loader.size());
    metrics::RunningMean loss_meter, acc_meter;
    for (auto& [x, y] : train_loader) {
      Tensor logits = (*model)(x);
      Tensor loss = nn::functional::cross_entropy(logits, y);
      double loss_value = loss.item();
      SOMA_CHECK(std::isfinite(loss_value), "train: the loss became {} at step {} (epoch {}); lower the learning rate",
                 loss_value, step + 1, epoch + 1);
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      ++step;
      double n = static_cast<double>(y.size(0));
      loss_meter.add(loss_value, n);
      {
        NoGradGuard no_grad;
        acc_meter.add(metrics::accuracy(logits.argmax(1), y), n);
      }
      bar.update(y.size(0), loss_meter.mean(), acc_meter.mean());
      if (interrupted.load()) {
        bar.finish();
        save(last_ckpt, epoch);
        std::signal(SIGINT, previous_handler);
        std::fprintf(stderr, "interrupted: saved %s (resume with --resume; epoch %lld restarts)\n", last_ckpt.c_str(),
                     static_cast<long long>(epoch + 1));
        return 130;
      }
    }
    bar.finish();
    EpochStats tr{loss_meter.mean(), acc_meter.mean()};
    train_hist.push_back(tr);
    nlohmann::json record{{"epoch", epoch + 1}, {"step", step}, {"train_loss", tr.loss}, {"train_accuracy", tr.accuracy}};
    bool best = false;
    if (validate) {
      EpochStats va = evaluate(*model, val_loader);
      val_hist.push_back(va);
      best = va.accuracy > best_accuracy;
      if (best) best_accuracy = va.accuracy;
      std::fprintf(stderr, "  train loss %.4f acc %.4f | validation loss %.4f acc %.4f%s\n", tr.loss, tr.accuracy,
                   va.loss, va.accuracy, best ? "  (best)" : "");
      record["val_loss"] = va.loss;
      record["val_accuracy"] = va.accuracy;
    } else {
      std::fprintf(stderr, "  train loss %.4f acc %.4f\n", tr.loss, tr.accuracy);
    }
    std::ofstream(log_path, std::ios::app) << record.dump() << "\n";
    save(last_ckpt, epoch + 1);
    if (best) save(best_ckpt, epoch + 1);
    write_curve(fs::path(cfg.out) / "learning_curve.svg", train_hist, val_hist);
  }
  std::signal(SIGINT, previous_handler);

  // Final model weights and test metrics.
  io::save(model->state_dict(), (fs::path(cfg.out) / "model.safetensors").string(),
           {{"model", cfg.model}, {"data", cfg.data}});
  Tensor pred, target;
  EpochStats te = evaluate(*model, test_loader, &pred, &target);
  std::printf("%s", metrics::classification_report(pred, target, class_names).c_str());
  std::printf("test accuracy %.4f (loss %.4f) after %lld epochs; outputs in %s\n", te.accuracy, te.loss,
              static_cast<long long>(cfg.epochs), cfg.out.c_str());
  return 0;
}

}  // namespace soma::cli
