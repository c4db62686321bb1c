// Character-level LSTM language model on the KJV Bible, the workload of
// reference/torch_lstm_char.py: Embedding 64 -> LSTM(64, 256) -> Linear(256, vocab), sequence
// length 100, batch 32, Adam lr 2e-3, random windows of the first 90% of the text, the hidden
// state reset every batch. A step is batch sampling + forward + backward + optimizer step.
// Reports the median step time over steps 10..60, tokens/s = 32 * 100 / median step, and the
// validation loss (mean over 20 fixed batches of the last 10%) after the training steps:
//   RESULT name=lstm_train_ms_per_step metric=<ms> unit=ms
//   RESULT name=lstm_train_tokens_per_s metric=<tokens/s> unit=tokens/s
//   RESULT name=lstm_val_loss_after_<steps>_steps metric=<loss> unit=nats/char
// The text comes from the Debian packages bible-kjv and bible-kjv-text (`bible -f`, one verse a line).
// Usage: bench_lstm_char [threads (default 2)] [steps (default 300)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t kEmbedding = 64, kHidden = 256, kSeq = 100, kBatch = 32, kEvalBatches = 20;

Tensor loss_of(models::CharRNN& model, const Tensor& x, const Tensor& y) {
  Tensor logits = model.logits(x);
  return nn::functional::cross_entropy(logits.reshape({-1, model.vocab_size()}), y.reshape({-1}));
}

double val_loss(models::CharRNN& model, const Tensor& val) {
  NoGradGuard no_grad;
  model.eval();
  Generator gen(999);
  double total = 0;
  for (int i = 0; i < kEvalBatches; ++i) {
    auto [x, y] = data::get_batch(val, kBatch, kSeq, &gen);
    total += loss_of(model, x, y).item();
  }
  model.train();
  return total / kEvalBatches;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 300;
  set_num_threads(threads);
  // The anchor's data: character ids over the sorted set of the text's characters, 90/10 split.
  const std::string text = data::kjv_bible_text();
  const data::CharTokenizer tokenizer = data::CharTokenizer::train(text);
  const Tensor ids = from_vector(tokenizer.encode(text));
  const int64_t n = static_cast<int64_t>(0.9 * static_cast<double>(ids.size(0)));
  const Tensor train = ids.narrow(0, 0, n), val = ids.narrow(0, n, ids.size(0) - n);

  manual_seed(1234);
  models::CharRNN model(tokenizer.vocab_size(), {.embedding_dim = kEmbedding, .hidden_size = kHidden});
  std::printf("# lstm_char: soma, threads=%d, vocab=%lld, params=%lld\n", threads,
              static_cast<long long>(tokenizer.vocab_size()), static_cast<long long>(model.num_parameters()));
  optim::Adam opt(model.parameters(), {.lr = 2e-3});
  Generator gen(1);
  std::vector<double> times;
  for (int step = 1; step <= steps; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    auto [x, y] = data::get_batch(train, kBatch, kSeq, &gen);
    Tensor loss = loss_of(model, x, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (step == 1 || step == 10 || step == 60 || step % 100 == 0)
      std::printf("  step %d: loss %.4f, %.1f ms\n", step, loss.item(), times.back() * 1e3);
    std::fflush(stdout);
  }
  // Median over steps 10..60 (indices 10..60 as in the anchor), or all but the first.
  std::vector<double> timed(times.begin() + (times.size() > 11 ? 10 : 1),
                            times.begin() + std::min<size_t>(times.size(), 61));
  std::sort(timed.begin(), timed.end());
  const double ms = timed[timed.size() / 2] * 1e3;
  const double vl = val_loss(model, val);
  std::printf("RESULT name=lstm_train_ms_per_step metric=%.2f unit=ms\n", ms);
  std::printf("RESULT name=lstm_train_tokens_per_s metric=%.0f unit=tokens/s\n", kBatch * kSeq / (ms / 1e3));
  std::printf("RESULT name=lstm_val_loss_after_%d_steps metric=%.4f unit=nats/char\n", steps, vl);
}
