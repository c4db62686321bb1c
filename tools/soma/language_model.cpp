// Language models on the command line:
//   soma train --model gpt|lstm|gru|bert --data FILE|kjv   trains on text (progress bar,
//       validation loss in nats per token (bert: per masked token), perplexity and accuracy,
//       best/last checkpoints, a metrics log, a learning curve, Ctrl-C saves and --resume
//       continues), then prints a sample (bert: fills in masks of the validation text);
//   soma generate --checkpoint F --prompt "..."   streams sampled text token by token, or on a
//       bert checkpoint prints the likeliest tokens for each [MASK] of the prompt.
// The checkpoint carries the tokenizer and the model's shape, so generate needs nothing else.
// The masked-LM parts are in masked_lm.cpp.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "language_model.h"
#include "plot.h"
#include "progress.h"
#include "run_files.h"
#include "soma/soma.h"

namespace soma::cli {

namespace {

namespace fs = std::filesystem;

std::atomic<bool> interrupted{false};
extern "C" void on_lm_sigint(int) { interrupted.store(true); }

constexpr int64_t kEvalBatches = 20;      // validation loss: mean over 20 fixed batches
constexpr uint64_t kEvalSeed = 999;       // the same batches every time (as the references)

std::map<std::string, std::string> to_user(const LMShape& s) {
  return {{"model", s.model},
          {"vocab", std::to_string(s.vocab)},
          {"context", std::to_string(s.context)},
          {"layers", std::to_string(s.layers)},
          {"heads", std::to_string(s.heads)},
          {"width", std::to_string(s.width)},
          {"embedding", std::to_string(s.embedding)}};
}

// The shape a language-model checkpoint's metadata records, checked against its weights before
// any model is built: metadata saying vocab 1000000000 or context 1e12 (edited, or of another
// file) must be an error, not an allocation of that size.
LMShape from_user(const Metadata& user, const StateDict& weights, const std::string& file) {
  const char* op = "generate";
  const std::string& model = metadata_text(user, "model", file, op);
  SOMA_CHECK(is_language_model(model),
             "generate: checkpoint '{}' is of the image classifier {}; generate needs a language model's (gpt, lstm, gru "
             "or bert; use soma eval or soma predict for {})",
             file, model, model);
  auto count = [&](const char* key) { return metadata_count(user, key, file, op); };
  LMShape s{model, count("vocab"), count("context"), count("layers"), count("heads"), count("width"), count("embedding")};
  // Each layer has tensors of its own, so a checkpoint holds more tensors than layers.
  SOMA_CHECK(s.layers >= 1 && s.layers <= static_cast<int64_t>(weights.size()),
             "generate: checkpoint '{}': metadata 'layers' {} does not fit its {} tensors", file, s.layers, weights.size());
  // The tables whose shapes pin the vocabulary, context and widths, by model.
  std::vector<std::pair<std::string, Shape>> pinned;
  if (model == "gpt") pinned = {{"wte.weight", {s.vocab, s.width}}, {"wpe.weight", {s.context, s.width}}};
  if (model == "lstm" || model == "gru") pinned = {{"emb.weight", {s.vocab, s.embedding}}, {"head.weight", {s.vocab, s.width}}};
  if (model == "bert")
    pinned = {{"bert.embeddings.word_embeddings.weight", {s.vocab, s.width}},
              {"bert.embeddings.position_embeddings.weight", {s.context, s.width}}};
  for (const auto& [name, shape] : pinned) {
    auto it = weights.find(name);
    SOMA_CHECK(it != weights.end(), "generate: checkpoint '{}' of a {} has no tensor '{}'", file, model, name);
    SOMA_CHECK(it->second.shape() == shape,
               "generate: checkpoint '{}': its metadata (vocab {}, context {}, width {}, embedding {}) expects '{}' of "
               "shape {}, but the tensor is {}",
               file, s.vocab, s.context, s.width, s.embedding, name, shape, it->second.shape());
  }
  SOMA_CHECK(s.heads <= s.width, "generate: checkpoint '{}': metadata 'heads' {} is more than its width {}", file, s.heads,
             s.width);
  return s;
}

// Model defaults are the reference benchmarks' configurations.
LMShape default_shape(const TrainConfig& cfg, int64_t vocab) {
  LMShape s{cfg.model, vocab, cfg.context, cfg.layers, cfg.heads, cfg.width, 0};
  if (cfg.model == "gpt" || cfg.model == "bert") {  // bert: BERT-Mini's depth at twice its width
    // (Turc et al. 2019); its context of 128 is BERT's pre-training length, [CLS] and [SEP] included
    s.context = s.context ? s.context : 128;
    s.layers = s.layers ? s.layers : 4;
    s.heads = s.heads ? s.heads : 4;
    s.width = s.width ? s.width : 128;
  } else {
    s.context = s.context ? s.context : 100;
    s.layers = s.layers ? s.layers : 1;
    s.width = s.width ? s.width : 256;
    s.embedding = 64;
  }
  return s;
}

std::shared_ptr<models::LanguageModel> build_next_token_model(const LMShape& s) {
  SOMA_CHECK(s.vocab > 0 && s.context > 0 && s.layers > 0 && s.width > 0,
             "train: a language model needs a positive vocabulary, context, layer count and width");
  if (s.model == "gpt") {
    SOMA_CHECK(s.heads > 0 && s.width % s.heads == 0, "train: gpt width {} must be a multiple of the head count {}",
               s.width, s.heads);
    return std::make_shared<models::GPT>(models::GPTConfig{
        .vocab_size = s.vocab, .block_size = s.context, .n_layer = s.layers, .n_head = s.heads, .n_embd = s.width});
  }
  if (s.model == "lstm" || s.model == "gru")
    return std::make_shared<models::CharRNN>(s.vocab, models::CharRNNOptions{.embedding_dim = s.embedding,
                                                                             .hidden_size = s.width,
                                                                             .num_layers = s.layers,
                                                                             .cell = s.model});
  SOMA_FAIL("train: unknown language model '{}' (expected gpt, lstm, gru or bert)", s.model);
}

std::unique_ptr<data::Tokenizer> make_tokenizer(const TrainConfig& cfg, const std::string& text) {
  std::vector<std::string> specials = cfg.model == "bert" ? bert_special_tokens() : std::vector<std::string>{};
  if (cfg.tokenizer == "char")
    return std::make_unique<data::CharTokenizer>(data::CharTokenizer::train(text, {.special_tokens = specials}));
  if (cfg.tokenizer == "bpe")
    return std::make_unique<data::BPETokenizer>(data::BPETokenizer::train(text, cfg.vocab_size, specials));
  SOMA_FAIL("train: unknown tokenizer '{}' (expected char or bpe)", cfg.tokenizer);
}

struct Evaluation {
  double loss = 0, accuracy = 0;  // per predicted token
};

// Mean loss (nats) and accuracy over the predicted tokens of the fixed validation batches.
Evaluation validate(LMObjective& objective, const data::TokenWindows& val, int64_t batch) {
  NoGradGuard no_grad;
  objective.model->eval();
  Generator gen(kEvalSeed);
  double total = 0;
  int64_t correct = 0, predicted = 0;
  for (int64_t i = 0; i < kEvalBatches; ++i) {
    BatchLoss b = objective.batch_loss(val, batch, gen);
    total += b.loss.item() * static_cast<double>(b.predicted);
    correct += b.correct;
    predicted += b.predicted;
  }
  objective.model->train();
  return {total / static_cast<double>(predicted), static_cast<double>(correct) / static_cast<double>(predicted)};
}

// Samples tokens after `prompt`, calling on_text with the prompt, then with each new token's text.
void sample(models::LanguageModel& model, const data::Tokenizer& tok, const std::string& prompt,
            const models::GenerationOptions& options, const std::function<void(const std::string&)>& on_text) {
  std::vector<int64_t> ids = tok.encode(prompt);
  SOMA_CHECK(!ids.empty(), "generate: the prompt is empty (give at least one character)");
  Tensor start = from_vector(ids, {1, static_cast<int64_t>(ids.size())});
  on_text(prompt);
  models::generate(model, start, options, [&](const Tensor& next) {
    int64_t id = next.reshape({-1}).item<int64_t>();
    on_text(tok.decode(std::span<const int64_t>(&id, 1)));
  });
}

// Next-token prediction: windows x and their targets y (x shifted by one) [B, T].
LMObjective next_token_objective(const LMShape& shape, const data::Tokenizer& tok, uint64_t seed) {
  auto model = build_next_token_model(shape);
  return {.model = model,
          .window = shape.context,
          .batch_loss =
              [model](const data::TokenWindows& windows, int64_t batch, Generator& gen) {
                auto [x, y] = windows.sample(batch, &gen);
                Tensor logits = model->logits(x).flatten(0, 1);  // [B*T, V]
                Tensor target = y.flatten();
                Tensor loss = nn::functional::cross_entropy(logits, target);
                NoGradGuard no_grad;
                return BatchLoss{loss, static_cast<int64_t>((logits.argmax(1) == target).sum().item()), target.numel()};
              },
          .demo =
              [model, &tok, seed](const data::TokenWindows& val) {
                std::printf("sample: ");
                std::string prompt = tok.decode(std::span<const int64_t>(val.tokens().data<int64_t>(), 1));
                sample(*model, tok, prompt, {.max_new_tokens = 200, .temperature = 0.8, .seed = seed},
                       [](const std::string& piece) { std::printf("%s", piece.c_str()); });
                std::printf("\n");
              }};
}

// gpt and bert with AdamW decay the weight matrices and embeddings only, not the biases and
// LayerNorm parameters (the GPT-2 and BERT recipes), with PyTorch's default betas; other
// optimizers get make_optimizer's one group.
std::unique_ptr<optim::Optimizer> make_lm_optimizer(const TrainConfig& cfg, nn::Module& model) {
  if ((cfg.model != "gpt" && cfg.model != "bert") || cfg.optimizer != "adamw")
    return make_optimizer(cfg, model.parameters());
  return models::configure_adamw(model, cfg.lr, cfg.weight_decay, {0.9, 0.999});
}

void write_lm_curve(const fs::path& path, const std::string& per, const std::vector<nlohmann::json>& records) {
  std::vector<double> train_loss, val_loss, ppl, train_acc, val_acc;
  for (const nlohmann::json& r : records) {
    auto num = [&](const char* key) { return r.at(key).get<double>(); };
    train_loss.push_back(num("train_loss")), train_acc.push_back(num("train_accuracy"));
    val_loss.push_back(num("val_loss")), ppl.push_back(std::exp(num("val_loss"))), val_acc.push_back(num("val_accuracy"));
  }
  write_file_atomically(path, learning_curve_svg({{fmt::format("loss (nats/{})", per), {{"train", train_loss}, {"validation", val_loss}}},
                                                  {"validation perplexity", {{"validation", ppl}}},
                                                  {"accuracy", {{"train", train_acc}, {"validation", val_acc}}}}));
}

// The running loss and accuracy of the steps since the last evaluation (a checkpoint written
// between evaluations carries them, so a resumed run reports the same train loss).
struct RoundMeters {
  double loss_sum = 0, accuracy_sum = 0, batches = 0;
  double loss() const { return loss_sum / batches; }
  double accuracy() const { return accuracy_sum / batches; }
};

}  // namespace

bool is_language_model(const std::string& model) {
  return model == "gpt" || model == "lstm" || model == "gru" || model == "bert";
}

void apply_language_model_defaults(TrainConfig& cfg) {
  // Options the user did not set take the reference configurations' values.
  auto unset = [&](const char* name) { return !cfg.given.count(name); };
  if (unset("data")) cfg.data = "kjv";
  if (unset("batch-size")) cfg.batch_size = 32;
  if (cfg.model == "gpt") {
    if (unset("optimizer")) cfg.optimizer = "adamw";
    if (unset("lr")) cfg.lr = 3e-4;
    if (unset("weight-decay")) cfg.weight_decay = 0.01;
  } else if (cfg.model == "bert") {
    // ELECTRA-Small's pre-training recipe (Clark et al. 2020), for a BERT of about this size:
    // AdamW, lr 5e-4, weight decay 0.01. (BERT-Base's 1e-4 is for a model 30x larger.)
    if (unset("optimizer")) cfg.optimizer = "adamw";
    if (unset("lr")) cfg.lr = 5e-4;
    if (unset("weight-decay")) cfg.weight_decay = 0.01;
  } else {
    if (unset("optimizer")) cfg.optimizer = "adam";
    if (unset("lr")) cfg.lr = 2e-3;
  }
  if (unset("validation")) cfg.validation = 0.1;
}

int run_language_model_training(const TrainConfig& cfg) {
  validate(cfg);
  SOMA_CHECK(cfg.validation > 0 && cfg.validation < 1, "train: --validation must be in (0, 1), got {}", cfg.validation);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);
  create_output_directory(cfg.out);
  const fs::path out = cfg.out;
  remove_stale_temp_files(out);

  const std::string text = cfg.data == "kjv" ? data::kjv_bible_text() : data::read_text_file(cfg.data);
  std::unique_ptr<data::Tokenizer> tok;
  const fs::path last_ckpt = out / "last.ckpt", best_ckpt = out / "best.ckpt", log_path = out / "metrics.jsonl";
  std::optional<io::Checkpoint> resumed;
  if (cfg.resume) {
    resumed = io::load_checkpoint(last_ckpt);
    check_resumable(resumed->user, cfg, last_ckpt);
    tok = data::tokenizer_from_json(metadata_text(resumed->user, "tokenizer", last_ckpt, "train --resume"), last_ckpt);
  } else {
    tok = make_tokenizer(cfg, text);
  }
  LMShape shape = default_shape(cfg, tok->vocab_size());
  // The tokenizer outlives the objective, whose demo refers to it.
  LMObjective objective = cfg.model == "bert" ? masked_lm_objective(shape, *tok, cfg.seed)
                                              : next_token_objective(shape, *tok, cfg.seed);
  nn::Module& model = *objective.model;
  auto [train, val] = data::TokenWindows(tok->encode(text), objective.window).split(1.0 - cfg.validation);
  SOMA_CHECK(cfg.batch_size <= train.size(), "train: --batch-size {} is more than the {} training windows of {} tokens in '{}'",
             cfg.batch_size, train.size(), objective.window, cfg.data);
  // The schedule's peak learning rate: --lr, or on resume without it the checkpoint's (its floor,
  // a tenth of the peak, must not fall back to the default's).
  TrainConfig lr_cfg = cfg;
  if (resumed && !cfg.given.count("lr") && resumed->optimizer.count("group.0.initial_lr"))
    lr_cfg.lr = resumed->optimizer.at("group.0.initial_lr").item();
  auto optimizer = make_lm_optimizer(lr_cfg, model);
  // Linear warm-up over the first 5% of the steps, then a cosine decay to a tenth.
  const int64_t warmup = std::max<int64_t>(1, cfg.steps / 20);
  auto warm = std::make_shared<optim::LinearLR>(*optimizer, optim::LinearLROptions{.start_factor = 0.1, .total_iters = warmup});
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(
      *optimizer, optim::CosineAnnealingLROptions{.T_max = std::max<int64_t>(1, cfg.steps - warmup), .eta_min = lr_cfg.lr / 10});
  optim::SequentialLR schedule(*optimizer, {warm, cosine}, {warmup});

  // Resume: model, optimizer, RNG, the meters of the steps since the last evaluation and the
  // metrics so far, all from last.ckpt; metrics.jsonl and the curve are rewritten from it.
  int64_t step = 0, best_step = -1;
  double best_loss = INFINITY;
  RoundMeters round;
  std::vector<nlohmann::json> records;
  if (resumed) {
    const auto& user = resumed->user;
    step = resumed->step;
    best_loss = metadata_real(user, "best_val_loss", last_ckpt, "train --resume");
    best_step = user.count("best_step") ? static_cast<int64_t>(metadata_real(user, "best_step", last_ckpt, "train --resume")) : -1;
    if (user.count("round_batches"))
      round = {metadata_real(user, "round_loss_sum", last_ckpt, "train --resume"), metadata_real(user, "round_accuracy_sum", last_ckpt, "train --resume"),
               metadata_real(user, "round_batches", last_ckpt, "train --resume")};
    records = resumed_records(user, last_ckpt, log_path, step, {"step", "train_loss", "train_accuracy", "val_loss", "val_accuracy"});
    model.load_state_dict(resumed->model);
    // The schedule is chainable (each lr follows from the last): replay it from the peak, then
    // the optimizer's state sets the very lr it had saved. --lr with --resume is the schedule's
    // peak from here on (see train.cpp): the replayed lr, not the saved one, carries on.
    for (int64_t i = 0; i < step; ++i) schedule.step();
    const double replayed_lr = optimizer->lr(0);
    if (cfg.given.count("lr")) {
      const double old = override_lr(resumed->optimizer, cfg.lr);
      std::fprintf(stderr, "peak learning rate %g from --lr (the checkpoint's was %g)\n", cfg.lr, old);
    }
    optimizer->load_state_dict(resumed->optimizer);
    if (cfg.given.count("lr")) optimizer->set_lr(replayed_lr);
    resumed->rng.restore();
    check_best_checkpoint(best_ckpt, best_step, step);
    std::fprintf(stderr, "resumed from %s at step %lld\n", last_ckpt.c_str(), static_cast<long long>(step));
  }
  auto write_history = [&] {  // metrics.jsonl and the curve, after last.ckpt which holds them too
    write_file_atomically(log_path, records_to_jsonl(records));
    write_lm_curve(out / "learning_curve.svg", objective.per, records);
  };
  write_history();
  std::fprintf(stderr,
               "soma train: %s (%lld parameters) on %s: %lld tokens (%s tokenizer, vocabulary %lld), context %lld, "
               "batch %lld, %s lr %g, %lld steps, %d threads\n",
               cfg.model.c_str(), static_cast<long long>(model.num_parameters()), cfg.data.c_str(),
               static_cast<long long>(train.tokens().numel() + val.tokens().numel()), cfg.tokenizer.c_str(),
               static_cast<long long>(shape.vocab), static_cast<long long>(shape.context),
               static_cast<long long>(cfg.batch_size), cfg.optimizer.c_str(), optimizer->initial_lrs().front(),
               static_cast<long long>(cfg.steps), get_num_threads());

  auto save = [&](const fs::path& path) {
    io::Checkpoint ck;
    ck.model = model.state_dict();
    ck.optimizer = optimizer->state_dict();
    ck.step = step;
    ck.rng = io::RngState::capture();
    ck.user = to_user(shape);
    ck.user["tokenizer"] = tok->to_json();
    ck.user["best_val_loss"] = exact(best_loss);
    ck.user["best_step"] = std::to_string(best_step);
    ck.user["metrics"] = records_to_jsonl(records);
    ck.user["round_loss_sum"] = exact(round.loss_sum);
    ck.user["round_accuracy_sum"] = exact(round.accuracy_sum);
    ck.user["round_batches"] = exact(round.batches);
    io::save_checkpoint(ck, path);
  };

  interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_lm_sigint);
  const char* per = objective.per.c_str();
  while (step < cfg.steps) {
    // Evaluations fall on multiples of --eval-every (and the last step), resumed or not.
    const int64_t round_steps = std::min(cfg.eval_every - step % cfg.eval_every, cfg.steps - step);
    ProgressBar bar(fmt::format("steps {}-{}", step + 1, step + round_steps), round_steps, stderr, "tokens");
    for (int64_t i = 0; i < round_steps; ++i) {
      // Each step's batch depends only on the seed and the step, so a resumed run sees the same data.
      Generator gen(cfg.seed * 1000003 + static_cast<uint64_t>(step));
      BatchLoss batch = objective.batch_loss(train, cfg.batch_size, gen);
      const double loss_value = batch.loss.item();
      SOMA_CHECK(std::isfinite(loss_value), "train: the loss became {} at step {}; lower the learning rate",
                 loss_value, step + 1);
      optimizer->zero_grad();
      batch.loss.backward();
      optim::clip_grad_norm_(model.parameters(), 1.0);
      optimizer->step();
      schedule.step();
      ++step;
      round.loss_sum += loss_value;
      round.accuracy_sum += static_cast<double>(batch.correct) / static_cast<double>(batch.predicted);
      round.batches += 1;
      bar.update(cfg.batch_size * objective.window, round.loss(), round.accuracy());
      test_interrupt_point(step);
      if (interrupted.load()) {
        bar.finish();
        save(last_ckpt);
        std::signal(SIGINT, previous_handler);
        std::fprintf(stderr, "interrupted: saved %s at step %lld (continue with --resume)\n", last_ckpt.c_str(),
                     static_cast<long long>(step));
        return 130;
      }
    }
    bar.finish();
    const Evaluation v = validate(objective, val, cfg.batch_size);
    // Diverged weights are not saved: last.ckpt keeps the last evaluation with a finite loss.
    SOMA_CHECK(std::isfinite(v.loss), "train: the validation loss became {} at step {}; lower the learning rate ({} "
               "holds the last evaluation with a finite loss)", v.loss, step, last_ckpt.string());
    const bool best = v.loss < best_loss;
    if (best) best_loss = v.loss, best_step = step;
    std::fprintf(stderr,
                 "  step %lld: train loss %.4f | validation loss %.4f nats/%s, perplexity %.2f, accuracy %.1f%%%s\n",
                 static_cast<long long>(step), round.loss(), v.loss, per, std::exp(v.loss), 100 * v.accuracy,
                 best ? "  (best)" : "");
    records.push_back({{"step", step},
                       {"train_loss", round.loss()},
                       {"train_accuracy", round.accuracy()},
                       {"val_loss", v.loss},
                       {"val_perplexity", std::exp(v.loss)},
                       {"val_accuracy", v.accuracy},
                       {"lr", schedule.last_lrs().front()}});
    round = {};
    // As in train.cpp: best.ckpt, then last.ckpt, then the log and curve rewritten from it.
    test_kill_point("before-best", step);
    if (best) save(best_ckpt);
    test_kill_point("before-last", step);
    save(last_ckpt);
    test_kill_point("before-log", step);
    write_history();
  }
  std::signal(SIGINT, previous_handler);

  io::save(model.state_dict(), (out / "model.safetensors").string(), to_user(shape));
  tok->save((out / "tokenizer.json").string());
  SOMA_CHECK(!records.empty(), "train: {} has no evaluation to report (--steps {} is not past its step)",
             last_ckpt.string(), cfg.steps);
  const nlohmann::json& last = records.back();
  const double last_loss = last.at("val_loss").get<double>(), last_accuracy = last.at("val_accuracy").get<double>();
  std::printf("validation loss %.4f nats/%s (perplexity %.2f, accuracy %.1f%%) after %lld steps; outputs in %s\n",
              last_loss, per, std::exp(last_loss), 100 * last_accuracy, static_cast<long long>(step), cfg.out.c_str());
  objective.demo(val);
  return 0;
}

int cmd_generate(int argc, char** argv) {
  std::string checkpoint, prompt = "\n";
  models::GenerationOptions options{.max_new_tokens = 200, .temperature = 1.0};
  CLI::App app{"Sample text from a language-model checkpoint, streaming tokens as they come; on a bert checkpoint, "
               "fill in the [MASK]s of the prompt",
               "soma generate"};
  app.add_option("--checkpoint", checkpoint, "a checkpoint written by soma train --model gpt|lstm|gru|bert")->required();
  app.add_option("--prompt", prompt, "text to continue (bert: text with [MASK]s to fill in)")->capture_default_str();
  app.add_option("--max-tokens", options.max_new_tokens, "tokens to generate (streamed: memory grows with those made)")
      ->capture_default_str();
  app.add_option("--temperature", options.temperature, "0: greedy")->capture_default_str();
  CLI::Option* top_k = app.add_option("--top-k", options.top_k, "0: off (bert: tokens listed per mask, default 5)");
  app.add_option("--top-p", options.top_p, "1: off")->capture_default_str();
  app.add_option("--repetition-penalty", options.repetition_penalty)->capture_default_str();
  app.add_option("--seed", options.seed)->check(seed_validator())->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  io::Checkpoint ck = io::load_checkpoint(checkpoint);
  SOMA_CHECK(options.max_new_tokens >= 0, "generate: --max-tokens must be >= 0, got {}", options.max_new_tokens);
  const LMShape shape = from_user(ck.user, ck.model, checkpoint);
  auto tok = data::tokenizer_from_json(metadata_text(ck.user, "tokenizer", checkpoint, "generate"), checkpoint);
  SOMA_CHECK(tok->vocab_size() == shape.vocab,
             "generate: checkpoint '{}': its tokenizer has {} tokens but the model's vocabulary is {}", checkpoint,
             tok->vocab_size(), shape.vocab);
  if (shape.model == "bert") {
    fill_mask(shape, ck.model, *tok, prompt, top_k->count() ? options.top_k : 5);
    return 0;
  }
  auto model = build_next_token_model(shape);
  model->load_state_dict(ck.model);
  model->eval();
  sample(*model, *tok, prompt, options, [](const std::string& piece) {
    std::printf("%s", piece.c_str());
    std::fflush(stdout);
  });
  std::printf("\n");
  return 0;
}

}  // namespace soma::cli
