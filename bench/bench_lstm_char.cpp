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
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t kEmbedding = 64, kHidden = 256, kSeq = 100, kBatch = 32, kEvalBatches = 20;

// The whole KJV text as `bible -f Gen1:1-Rev22:21` prints it (run from the temp directory: the
// program may write a history file where it runs).
std::string load_kjv() {
  const std::string cmd = "cd '" + std::filesystem::temp_directory_path().string() + "' && bible -f Gen1:1-Rev22:21";
  FILE* pipe = popen(cmd.c_str(), "r");
  SOMA_CHECK(pipe, "bench_lstm_char: cannot run `bible` (install bible-kjv and bible-kjv-text)");
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  const int status = pclose(pipe);
  SOMA_CHECK(status == 0 && text.size() > 1000000, "bench_lstm_char: `bible -f` failed (status {}, {} bytes)", status,
             text.size());
  return text;
}

// Character ids over the sorted set of characters of `text` (the anchor's vocabulary).
struct CharData {
  Tensor ids;  // int64 [n]
  int64_t vocab;
};
CharData encode(const std::string& text) {
  const std::set<unsigned char> chars(text.begin(), text.end());
  std::vector<int64_t> index(256, -1);
  int64_t next = 0;
  for (unsigned char c : chars) index[c] = next++;
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = index[static_cast<unsigned char>(text[i])];
  return {from_vector(ids), next};
}

// Random windows: x = data[i : i + seq], y = data[i + 1 : i + 1 + seq], batch of them.
std::pair<Tensor, Tensor> get_batch(const Tensor& data, Generator& gen) {
  Tensor starts = randint(0, data.size(0) - kSeq - 1, {kBatch}, kInt64, &gen);
  Tensor x = empty({kBatch, kSeq}, kInt64), y = empty({kBatch, kSeq}, kInt64);
  const int64_t* d = data.data<int64_t>();
  for (int64_t b = 0; b < kBatch; ++b) {
    const int64_t s = starts.data<int64_t>()[b];
    std::copy(d + s, d + s + kSeq, x.data<int64_t>() + b * kSeq);
    std::copy(d + s + 1, d + s + 1 + kSeq, y.data<int64_t>() + b * kSeq);
  }
  return {x, y};
}

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
    auto [x, y] = get_batch(val, gen);
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
  const CharData all = encode(load_kjv());
  const int64_t n = static_cast<int64_t>(0.9 * static_cast<double>(all.ids.size(0)));
  const Tensor train = all.ids.narrow(0, 0, n).contiguous(), val = all.ids.narrow(0, n, all.ids.size(0) - n).contiguous();

  manual_seed(1234);
  models::CharRNN model(all.vocab, {.embedding_dim = kEmbedding, .hidden_size = kHidden});
  std::printf("# lstm_char: soma, threads=%d, vocab=%lld, params=%lld\n", threads, static_cast<long long>(all.vocab),
              static_cast<long long>(model.num_parameters()));
  optim::Adam opt(model.parameters(), {.lr = 2e-3});
  Generator gen(1);
  std::vector<double> times;
  for (int step = 1; step <= steps; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    auto [x, y] = get_batch(train, gen);
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
