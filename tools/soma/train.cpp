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
#include "run_files.h"
#include "soma/soma.h"

namespace soma::cli {

namespace {

namespace fs = std::filesystem;

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

// Where a run is and the running loss/accuracy of the epoch in progress (sums weighted by batch
// size). A checkpoint written mid-epoch (Ctrl-C) carries it, so the resumed run continues at the
// next batch and reports the epoch as an uninterrupted run would.
struct Position {
  int64_t epoch = 0, batch = 0, step = 0;  // epoch and batches done in it; optimizer steps in all
  double loss_sum = 0, accuracy_sum = 0, samples = 0;
  void add(double loss, double accuracy, double n) { loss_sum += loss * n, accuracy_sum += accuracy * n, samples += n; }
  EpochStats stats() const { return {loss_sum / samples, accuracy_sum / samples}; }
  void next_epoch() { *this = {.epoch = epoch + 1, .step = step}; }
};

// The model, optimizer, position and history of an image run: what last.ckpt and best.ckpt hold.
struct RunState {
  Position at;
  double best_accuracy = -1;  // validation accuracy of best.ckpt (-1: none yet)
  int64_t best_step = -1;
  std::vector<nlohmann::json> records;  // one per finished epoch: metrics.jsonl
};

void write_curve(const fs::path& path, const std::vector<nlohmann::json>& records) {
  std::vector<double> train_loss, train_acc, val_loss, val_acc;
  for (const nlohmann::json& r : records) {
    auto num = [&](const char* key) { return r.at(key).get<double>(); };
    train_loss.push_back(num("train_loss")), train_acc.push_back(num("train_accuracy"));
    if (r.contains("val_loss")) val_loss.push_back(num("val_loss")), val_acc.push_back(num("val_accuracy"));
  }
  auto both = [&](std::vector<double> train, std::vector<double> val) {
    std::vector<Series> s{{"train", std::move(train)}};
    if (!val.empty()) s.push_back({"validation", std::move(val)});  // none with --validation 0
    return s;
  };
  write_file_atomically(path,
                        learning_curve_svg({{"loss", both(train_loss, val_loss)}, {"accuracy", both(train_acc, val_acc)}}));
}

// metrics.jsonl and learning_curve.svg from the history (after last.ckpt, which holds it too).
void write_history(const fs::path& out, const std::vector<nlohmann::json>& records) {
  write_file_atomically(out / "metrics.jsonl", records_to_jsonl(records));
  write_curve(out / "learning_curve.svg", records);
}

std::map<std::string, std::string> state_to_user(const TrainConfig& cfg, const RunState& run) {
  return {{"model", cfg.model},
          {"data", cfg.data},
          {"best_accuracy", exact(run.best_accuracy)},
          {"best_step", std::to_string(run.best_step)},
          {"metrics", records_to_jsonl(run.records)},
          {"epoch_batch", std::to_string(run.at.batch)},
          {"epoch_loss_sum", exact(run.at.loss_sum)},
          {"epoch_accuracy_sum", exact(run.at.accuracy_sum)},
          {"epoch_samples", exact(run.at.samples)}};
}

// The run state last.ckpt holds (its model, optimizer and RNG are restored by the caller).
RunState state_from_checkpoint(const io::Checkpoint& ck, const fs::path& file, const fs::path& log) {
  RunState run;
  const auto& user = ck.user;
  run.at.epoch = ck.epoch;
  run.at.step = ck.step;
  run.best_accuracy = metadata_real(user, "best_accuracy", file, "train --resume");
  // Checkpoints of an older soma have no position in the epoch (they were written at its start).
  auto optional = [&](const char* key) { return user.count(key) ? metadata_real(user, key, file, "train --resume") : 0.0; };
  run.best_step = user.count("best_step") ? static_cast<int64_t>(metadata_real(user, "best_step", file, "train --resume")) : -1;
  run.at.batch = static_cast<int64_t>(optional("epoch_batch"));
  run.at.loss_sum = optional("epoch_loss_sum");
  run.at.accuracy_sum = optional("epoch_accuracy_sum");
  run.at.samples = optional("epoch_samples");
  run.records = resumed_records(user, file, log, ck.step, {"epoch", "step", "train_loss", "train_accuracy"});
  return run;
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
  create_output_directory(cfg.out);
  const fs::path out = cfg.out;
  remove_stale_temp_files(out);

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

  // Resume: model, optimizer, RNG, the position in the epoch and the metrics so far, all from
  // last.ckpt; metrics.jsonl and the curve are rewritten from it (whatever a kill left there).
  RunState run;
  const fs::path last_ckpt = out / "last.ckpt", best_ckpt = out / "best.ckpt";
  if (cfg.resume) {
    io::Checkpoint ck = io::load_checkpoint(last_ckpt);
    check_resumable(ck.user, cfg, last_ckpt.string());
    run = state_from_checkpoint(ck, last_ckpt, out / "metrics.jsonl");
    SOMA_CHECK(run.at.batch <= train_loader.size(), "train: {} is at batch {} of an epoch of {} batches (another --batch-size?)",
               last_ckpt.string(), run.at.batch, train_loader.size());
    model->load_state_dict(ck.model);
    // --lr with --resume sets the learning rate from here on (as setting param_group['lr'] after
    // optimizer.load_state_dict does in PyTorch); without it the checkpoint's carries on.
    if (cfg.given.count("lr")) {
      const double old = override_lr(ck.optimizer, cfg.lr);
      std::fprintf(stderr, "learning rate %g from --lr (the checkpoint's was %g)\n", cfg.lr, old);
    }
    optimizer->load_state_dict(ck.optimizer);
    ck.rng.restore();
    if (validate) check_best_checkpoint(best_ckpt, run.best_step, run.at.step);
    std::fprintf(stderr, "resumed from %s at epoch %lld, batch %lld (step %lld)\n", last_ckpt.c_str(),
                 static_cast<long long>(run.at.epoch + 1), static_cast<long long>(run.at.batch),
                 static_cast<long long>(run.at.step));
  }
  write_history(out, run.records);
  std::fprintf(stderr, "soma train: %s (%lld parameters) on %s: %lld train / %lld validation / %lld test, %s lr %g, batch %lld, %d threads\n",
               cfg.model.c_str(), static_cast<long long>(model->num_parameters()), cfg.data.c_str(),
               static_cast<long long>(parts[0].size()), static_cast<long long>(parts[1].size()),
               static_cast<long long>(test_set.size()), cfg.optimizer.c_str(), optimizer->lr(0),
               static_cast<long long>(cfg.batch_size), get_num_threads());
  auto save = [&](const fs::path& path) {
    io::Checkpoint ck;
    ck.model = model->state_dict();
    ck.optimizer = optimizer->state_dict();
    ck.epoch = run.at.epoch;
    ck.step = run.at.step;
    ck.rng = io::RngState::capture();
    ck.user = state_to_user(cfg, run);
    io::save_checkpoint(ck, path);
  };

  interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_sigint);
  while (run.at.epoch < cfg.epochs) {
    Position& at = run.at;
    train_loader.start_at(at.epoch, at.batch);
    ProgressBar bar(fmt::format("epoch {}/{}", at.epoch + 1, cfg.epochs), train_loader.size());
    bar.start_at(at.batch);
    for (auto& [x, y] : train_loader) {
      Tensor logits = (*model)(x);
      Tensor loss = nn::functional::cross_entropy(logits, y);
      double loss_value = loss.item();
      SOMA_CHECK(std::isfinite(loss_value), "train: the loss became {} at step {} (epoch {}); lower the learning rate",
                 loss_value, at.step + 1, at.epoch + 1);
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      ++at.step, ++at.batch;
      {
        NoGradGuard no_grad;
        at.add(loss_value, metrics::accuracy(logits.argmax(1), y), static_cast<double>(y.size(0)));
      }
      bar.update(y.size(0), at.stats().loss, at.stats().accuracy);
      test_interrupt_point(at.step);
      if (interrupted.load()) {
        bar.finish();
        save(last_ckpt);
        std::signal(SIGINT, previous_handler);
        std::fprintf(stderr, "interrupted: saved %s at step %lld (epoch %lld, batch %lld of %lld); --resume continues there\n",
                     last_ckpt.c_str(), static_cast<long long>(at.step), static_cast<long long>(at.epoch + 1),
                     static_cast<long long>(at.batch), static_cast<long long>(train_loader.size()));
        return 130;
      }
    }
    bar.finish();
    const EpochStats tr = at.stats();
    nlohmann::json record{{"epoch", at.epoch + 1}, {"step", at.step}, {"train_loss", tr.loss}, {"train_accuracy", tr.accuracy}};
    bool best = false;
    if (validate) {
      EpochStats va = evaluate(*model, val_loader);
      // Diverged weights are not saved: last.ckpt keeps the previous epoch.
      SOMA_CHECK(std::isfinite(va.loss), "train: the validation loss became {} after epoch {} (step {}); lower the "
                 "learning rate ({} holds the last epoch with a finite loss)", va.loss, at.epoch + 1, at.step,
                 last_ckpt.string());
      best = va.accuracy > run.best_accuracy;
      if (best) run.best_accuracy = va.accuracy, run.best_step = at.step;
      std::fprintf(stderr, "  train loss %.4f acc %.4f | validation loss %.4f acc %.4f%s\n", tr.loss, tr.accuracy,
                   va.loss, va.accuracy, best ? "  (best)" : "");
      record["val_loss"] = va.loss;
      record["val_accuracy"] = va.accuracy;
    } else {
      std::fprintf(stderr, "  train loss %.4f acc %.4f\n", tr.loss, tr.accuracy);
    }
    // The saves of an epoch's end, in an order that a kill at any point leaves resumable: best.ckpt
    // before last.ckpt (so last.ckpt never names a best that is not on disk), the log and curve
    // after (rewritten from last.ckpt's history on resume).
    run.records.push_back(record);
    at.next_epoch();
    test_kill_point("before-best", at.step);
    if (best) save(best_ckpt);
    test_kill_point("before-last", at.step);
    save(last_ckpt);
    test_kill_point("before-log", at.step);
    write_history(out, run.records);
  }
  std::signal(SIGINT, previous_handler);

  // Final model weights and test metrics.
  io::save(model->state_dict(), (out / "model.safetensors").string(), {{"model", cfg.model}, {"data", cfg.data}});
  Tensor pred, target;
  EpochStats te = evaluate(*model, test_loader, &pred, &target);
  std::printf("%s", metrics::classification_report(pred, target, class_names).c_str());
  std::printf("test accuracy %.4f (loss %.4f) after %lld epochs; outputs in %s\n", te.accuracy, te.loss,
              static_cast<long long>(cfg.epochs), cfg.out.c_str());
  return 0;
}

}  // namespace soma::cli
