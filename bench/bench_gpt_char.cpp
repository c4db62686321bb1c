// Character-level GPT on the KJV Bible, the workload of reference/torch_gpt_char.py:
// n_layer 4, n_head 4, n_embd 128, block 128, batch 32, tied LM head, GPT-2 init, no dropout,
// AdamW lr 3e-4 (betas 0.9/0.999, weight decay 0.01 on every parameter, as
// torch.optim.AdamW(model.parameters())), 90/10 train/val split, random windows.
// Reports (one RESULT line each):
//   gpt_train_ms_per_step     median over steps 10..60 (batch sampling + forward + backward + step)
//   gpt_train_tokens_per_s    32 * 128 / that median
//   gpt_val_loss              mean loss of 20 fixed validation batches after training
//   gpt_val_loss_full         mean loss over every non-overlapping window of the validation split:
//                             the same windows as the reference's (gpt_val_loss's random windows
//                             differ between the two, as their generators do)
//   gpt_generate_b1_*         200 new tokens from "\n", batch 1, median of 3 runs: with the KV
//                             cache and with the naive path (whole window recomputed per token)
//   gpt_generate_paths_agree  1 when both paths produced the same tokens
// Usage: bench_gpt_char [steps (default 500)] [threads (default 2)] [generate (default 1; 0 skips it)]
//                       [seed (default 0)]
// seed s initializes the weights with manual_seed(1234 + s) and draws the training batches from
// Generator(1 + s), as the reference does with its own generators; the validation batches stay fixed.
// The text comes from the Debian packages bible-kjv and bible-kjv-text (data::kjv_bible_text).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t kLayers = 4, kHeads = 4, kEmbd = 128, kBlock = 128, kBatch = 32, kEvalBatches = 20, kGenTokens = 200;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void result(const char* name, double metric, const char* unit) {
  std::printf("RESULT name=%s metric=%.4g unit=%s\n", name, metric, unit);
  std::fflush(stdout);
}

double val_loss(models::GPT& model, const data::TokenWindows& val) {
  NoGradGuard no_grad;
  model.eval();
  Generator gen(999);  // the same batches every time
  double sum = 0;
  for (int i = 0; i < kEvalBatches; ++i) {
    auto [x, y] = val.sample(kBatch, &gen);
    sum += model.loss(x, y).item();
  }
  model.train();
  return sum / kEvalBatches;
}

// Mean loss per token over the validation split cut into consecutive windows (the last partial
// window dropped), in batches of kBatch windows.
double full_val_loss(models::GPT& model, const data::TokenWindows& val) {
  NoGradGuard no_grad;
  model.eval();
  const int64_t windows = (val.tokens().numel() - 1) / kBlock;
  double sum = 0;
  for (int64_t first = 0; first < windows; first += kBatch) {
    std::vector<int64_t> starts;
    for (int64_t w = first; w < std::min(windows, first + kBatch); ++w) starts.push_back(w * kBlock);
    auto [x, y] = val.get_batch(starts);
    sum += model.loss(x, y).item() * static_cast<double>(starts.size());
  }
  model.train();
  return sum / static_cast<double>(windows);
}

// Tokens per second of 200 new tokens (median of 3 runs) and the tokens of the last run.
std::pair<double, Tensor> time_generation(models::GPT& model, const Tensor& start, bool use_cache) {
  const models::GenerationOptions warm{.max_new_tokens = 10, .seed = 7, .use_cache = use_cache};
  models::generate(model, start, warm);
  std::vector<double> times;
  Tensor out;
  for (int r = 0; r < 3; ++r) {
    const double t0 = now();
    out = models::generate(model, start, {.max_new_tokens = kGenTokens, .seed = 7, .use_cache = use_cache});
    times.push_back(now() - t0);
  }
  return {kGenTokens / median(times), out};
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t max_steps = argc > 1 ? std::atoll(argv[1]) : 500;  // 0: generation only (untrained model)
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const bool run_generation = argc > 3 ? std::atoi(argv[3]) != 0 : true;
  const int64_t seed = argc > 4 ? std::atoll(argv[4]) : 0;
  set_num_threads(threads);
  manual_seed(1234 + seed);
  const std::string text = data::kjv_bible_text();
  const data::CharTokenizer tok = data::CharTokenizer::train(text);
  const auto [train, val] = data::TokenWindows(tok.encode(text), kBlock).split(0.9);
  models::GPT model({.vocab_size = tok.vocab_size(), .block_size = kBlock, .n_layer = kLayers, .n_head = kHeads,
                     .n_embd = kEmbd});
  std::printf("# gpt_char: soma, threads=%d seed=%lld vocab=%lld train_tokens=%lld val_tokens=%lld params=%lld\n", threads,
              static_cast<long long>(seed), static_cast<long long>(tok.vocab_size()), static_cast<long long>(train.tokens().numel()),
              static_cast<long long>(val.tokens().numel()), static_cast<long long>(model.num_parameters()));
  optim::AdamW opt(model.parameters(), {.lr = 3e-4});
  Generator gen(1 + seed);
  std::vector<double> step_times;
  double t_train = 0;
  for (int64_t step = 1; step <= max_steps; ++step) {
    const double t0 = now();
    auto [x, y] = train.sample(kBatch, &gen);
    Tensor loss = model.loss(x, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    const double dt = now() - t0;
    step_times.push_back(dt);
    t_train += dt;
    if (step == 1 || step == 10 || step == 60 || step % 100 == 0)
      std::printf("  step %lld: loss %.4f, %.1f ms, train time so far %.1f s\n", static_cast<long long>(step),
                  loss.item(), dt * 1e3, t_train), std::fflush(stdout);
  }
  // Steps 10..60 (or all but the first in a shorter run).
  const size_t first = step_times.size() > 11 ? 10 : std::min<size_t>(step_times.size(), 1);
  const size_t last = std::min<size_t>(step_times.size(), 61);
  const double ms = first < last ? median({step_times.begin() + first, step_times.begin() + last}) * 1e3 : 0;
  const double vl = val_loss(model, val), vl_full = full_val_loss(model, val);
  std::printf("  trained %lld steps in %.1f s; median step over steps 10..60: %.1f ms; val loss %.4f"
              " (all windows %.4f)\n",
              static_cast<long long>(max_steps), t_train, ms, vl, vl_full);
  result("gpt_train_ms_per_step", ms, "ms");
  result("gpt_train_tokens_per_s", ms > 0 ? kBatch * kBlock / (ms / 1e3) : 0, "tokens/s");
  result("gpt_steps_trained", static_cast<double>(max_steps), "steps");
  result("gpt_val_loss", vl, "nats/char");
  result("gpt_val_loss_full", vl_full, "nats/char");
  if (!run_generation) return 0;

  const Tensor start = full({1, 1}, *tok.token_to_id("\n"), kInt64);
  auto [cached_rate, cached] = time_generation(model, start, true);
  auto [naive_rate, naive] = time_generation(model, start, false);
  const std::string sample = tok.decode(cached.to_vector<int64_t>());
  std::printf("  sample: %s\n", sample.substr(0, 120).c_str());
  result("gpt_generate_b1_cache_tokens_per_s", cached_rate, "tokens/s");
  result("gpt_generate_b1_nocache_tokens_per_s", naive_rate, "tokens/s");
  result("gpt_generate_paths_agree", equal(cached, naive) ? 1 : 0, "bool");
}
