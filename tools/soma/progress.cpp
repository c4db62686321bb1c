#include "progress.h"

#include <unistd.h>

#include <cmath>

namespace soma::cli {

std::string format_duration(double seconds) {
  auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total_batches, FILE* out, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(std::max<int64_t>(total_batches, 1)), out_(out),
      tty_(isatty(fileno(out)) != 0), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(int64_t samples, double loss, double accuracy) {
  ++done_;
  samples_ += samples;
  loss_ = loss;
  accuracy_ = accuracy;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    // Redraw at most 20 times a second: drawing must not cost training time.
    if (now - last_draw_ > std::chrono::milliseconds(50) || done_ == total_) {
      last_draw_ = now;
      draw(false);
    }
  } else {
    int decile = static_cast<int>(done_ * 10 / total_);
    if (decile != last_decile_ && decile > 0) {
      last_decile_ = decile;
      draw(false);
    }
  }
}

void ProgressBar::finish() { draw(true); }

void ProgressBar::draw(bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(samples_) / elapsed : 0;
  double eta = done_ > first_ ? elapsed * static_cast<double>(total_ - done_) / static_cast<double>(done_ - first_) : 0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(kWidth * done_ / total_);
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
  std::fprintf(out_, "%s%s [%s] %lld/%lld  loss %.4f  acc %.4f  %.0f %s/s  %s %s%s", tty_ ? "\r" : "",
               label_.c_str(), bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), loss_,
               accuracy_, rate, unit_.c_str(), final ? "took" : "ETA", format_duration(final ? elapsed : eta).c_str(),
               tty_ && !final ? "\033[K" : "\n");
  std::fflush(out_);
}

}  // namespace soma::cli
