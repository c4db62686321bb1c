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

LMShape from_user(const std::map<std::string, std::string>& user, const std::string& file) {
  auto number = [&](const char* key) -> int64_t {
    auto it = user.find(key);
    SOMA_CHECK(it != user.end(), "generate: checkpoint '{}' has no '{}' (not a language-model checkpoint)", file, key);
    try {
      return std::stoll(it->second);
    } catch (const std::exception&) {
      SOMA_FAIL("generate: checkpoint '{}': '{}' is not a number ('{}')", file, key, it->second);
    }
  };
  auto model = user.find("model");
  SOMA_CHECK(model != user.end(), "generate: checkpoint '{}' names no model", file);
  return {model->second, number("vocab"), number("context"), number("layers"),
          number("heads"), number("width"),  number("embedding")};
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

void write_lm_curve(const fs::path& path, const std::string& per, const std::vector<Evaluation>& train,
                    const std::vector<Evaluation>& val) {
  std::vector<double> train_loss, val_loss, ppl, train_acc, val_acc;
  for (const Evaluation& e : train) train_loss.push_back(e.loss), train_acc.push_back(e.accuracy);
  for (const Evaluation& e : val) val_loss.push_back(e.loss), ppl.push_back(std::exp(e.loss)), val_acc.push_back(e.accuracy);
  std::ofstream(path) << learning_curve_svg({{fmt::format("loss (nats/{})", per), {{"train", train_loss}, {"validation", val_loss}}},
                                             {"validation perplexity", {{"validation", ppl}}},
                                             {"accuracy", {{"train", train_acc}, {"validation", val_acc}}}});
}

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
  SOMA_CHECK(cfg.steps >= 1 && cfg.eval_every >= 1 && cfg.batch_size >= 1,
             "train: steps, eval-every and batch size must be positive");
  SOMA_CHECK(cfg.validation > 0 && cfg.validation < 1, "train: --validation must be in (0, 1), got {}", cfg.validation);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);
  fs::create_directories(cfg.out);

  const std::string text = cfg.data == "kjv" ? data::kjv_bible_text() : data::read_text_file(cfg.data);
  std::unique_ptr<data::Tokenizer> tok;
  const fs::path last_ckpt = fs::path(cfg.out) / "last.ckpt", best_ckpt = fs::path(cfg.out) / "best.ckpt";
  std::optional<io::Checkpoint> resumed;
  if (cfg.resume) {
    resumed = io::load_checkpoint(last_ckpt);
    tok = data::tokenizer_from_json(resumed->user.at("tokenizer"), last_ckpt.string());
  } else {
    tok = make_tokenizer(cfg, text);
  }
  LMShape shape = default_shape(cfg, tok->vocab_size());
  // The tokenizer outlives the objective, whose demo refers to it.
  LMObjective objective = cfg.model == "bert" ? masked_lm_objective(shape, *tok, cfg.seed)
                                              : next_token_objective(shape, *tok, cfg.seed);
  nn::Module& model = *objective.model;
  auto [train, val] = data::TokenWindows(tok->encode(text), objective.window).split(1.0 - cfg.validation);
  auto optimizer = make_lm_optimizer(cfg, model);
  // Linear warm-up over the first 5% of the steps, then a cosine decay to a tenth.
  const int64_t warmup = std::max<int64_t>(1, cfg.steps / 20);
  auto warm = std::make_shared<optim::LinearLR>(*optimizer, optim::LinearLROptions{.start_factor = 0.1, .total_iters = warmup});
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(
      *optimizer, optim::CosineAnnealingLROptions{.T_max = std::max<int64_t>(1, cfg.steps - warmup), .eta_min = cfg.lr / 10});
  optim::SequentialLR schedule(*optimizer, {warm, cosine}, {warmup});

  std::fprintf(stderr,
               "soma train: %s (%lld parameters) on %s: %lld tokens (%s tokenizer, vocabulary %lld), context %lld, "
               "batch %lld, %s lr %g, %lld steps, %d threads\n",
               cfg.model.c_str(), static_cast<long long>(model.num_parameters()), cfg.data.c_str(),
               static_cast<long long>(train.tokens().numel() + val.tokens().numel()), cfg.tokenizer.c_str(),
               static_cast<long long>(shape.vocab), static_cast<long long>(shape.context),
               static_cast<long long>(cfg.batch_size), cfg.optimizer.c_str(), cfg.lr, static_cast<long long>(cfg.steps),
               get_num_threads());

  int64_t step = 0;
  double best_loss = INFINITY;
  std::vector<Evaluation> train_hist, val_hist;
  const fs::path log_path = fs::path(cfg.out) / "metrics.jsonl";
  if (resumed) {
    model.load_state_dict(resumed->model);
    // The schedule is chainable (each lr follows from the last): replay it from the initial lr,
    // then the optimizer's state sets the very lr it had saved.
    for (int64_t i = 0; i < resumed->step; ++i) schedule.step();
    optimizer->load_state_dict(resumed->optimizer);
    step = resumed->step;
    resumed->rng.restore();
    best_loss = std::stod(resumed->user.at("best_val_loss"));
    std::ifstream log(log_path);
    for (std::string line; std::getline(log, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["step"].get<int64_t>() > step) break;
      train_hist.push_back({j["train_loss"], j.value("train_accuracy", 0.0)});
      val_hist.push_back({j["val_loss"], j.value("val_accuracy", 0.0)});
    }
    std::fprintf(stderr, "resumed from %s at step %lld\n", last_ckpt.c_str(), static_cast<long long>(step));
  } else {
    std::ofstream(log_path, std::ios::trunc);
  }
  auto save = [&](const fs::path& path) {
    io::Checkpoint ck;
    ck.model = model.state_dict();
    ck.optimizer = optimizer->state_dict();
    ck.step = step;
    ck.rng = io::RngState::capture();
    ck.user = to_user(shape);
    ck.user["tokenizer"] = tok->to_json();
    ck.user["best_val_loss"] = fmt::format("{:.17g}", best_loss);
    io::save_checkpoint(ck, path);
  };

  interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_lm_sigint);
  const char* per = objective.per.c_str();
  while (step < cfg.steps) {
    const int64_t round_steps = std::min(cfg.eval_every, cfg.steps - step);
    ProgressBar bar(fmt::format("steps {}-{}", step + 1, step + round_steps), round_steps, stderr, "tokens");
    metrics::RunningMean loss_meter, acc_meter;
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
      loss_meter.add(loss_value);
      acc_meter.add(static_cast<double>(batch.correct) / static_cast<double>(batch.predicted));
      bar.update(cfg.batch_size * objective.window, loss_meter.mean(), acc_meter.mean());
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
    train_hist.push_back({loss_meter.mean(), acc_meter.mean()});
    val_hist.push_back(v);
    const bool best = v.loss < best_loss;
    if (best) best_loss = v.loss;
    std::fprintf(stderr,
                 "  step %lld: train loss %.4f | validation loss %.4f nats/%s, perplexity %.2f, accuracy %.1f%%%s\n",
                 static_cast<long long>(step), loss_meter.mean(), v.loss, per, std::exp(v.loss), 100 * v.accuracy,
                 best ? "  (best)" : "");
    std::ofstream(log_path, std::ios::app) << nlohmann::json{{"step", step},
                                                             {"train_loss", loss_meter.mean()},
                                                             {"train_accuracy", acc_meter.mean()},
                                                             {"val_loss", v.loss},
                                                             {"val_perplexity", std::exp(v.loss)},
                                                             {"val_accuracy", v.accuracy},
                                                             {"lr", schedule.last_lrs().front()}}
                                                  .dump()
                                           << "\n";
    save(last_ckpt);
    if (best) save(best_ckpt);
    write_lm_curve(fs::path(cfg.out) / "learning_curve.svg", objective.per, train_hist, val_hist);
  }
  std::signal(SIGINT, previous_handler);

  io::save(model.state_dict(), (fs::path(cfg.out) / "model.safetensors").string(), to_user(shape));
  tok->save((fs::path(cfg.out) / "tokenizer.json").string());
  const Evaluation& last = val_hist.back();
  std::printf("validation loss %.4f nats/%s (perplexity %.2f, accuracy %.1f%%) after %lld steps; outputs in %s\n",
              last.loss, per, std::exp(last.loss), 100 * last.accuracy, static_cast<long long>(step), cfg.out.c_str());
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
  app.add_option("--max-tokens", options.max_new_tokens)->capture_default_str();
  app.add_option("--temperature", options.temperature, "0: greedy")->capture_default_str();
  CLI::Option* top_k = app.add_option("--top-k", options.top_k, "0: off (bert: tokens listed per mask, default 5)");
  app.add_option("--top-p", options.top_p, "1: off")->capture_default_str();
  app.add_option("--repetition-penalty", options.repetition_penalty)->capture_default_str();
  app.add_option("--seed", options.seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  io::Checkpoint ck = io::load_checkpoint(checkpoint);
  auto tok_json = ck.user.find("tokenizer");
  SOMA_CHECK(tok_json != ck.user.end(), "generate: checkpoint '{}' holds no tokenizer (not a language-model checkpoint)",
             checkpoint);
  auto tok = data::tokenizer_from_json(tok_json->second, checkpoint);
  const LMShape shape = from_user(ck.user, checkpoint);
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
