#pragma once
// A one-line progress bar for training epochs: batches done, running loss and accuracy,
// samples/s and ETA. Redraws in place on a terminal; on a pipe or file it prints a line at
// every 10% instead, so logs stay readable.
#include <chrono>
#include <cstdio>
#include <string>

namespace soma::cli {

class ProgressBar {
 public:
  // `unit` names what update() counts ("samples", "tokens") in the rate.
  ProgressBar(std::string label, int64_t total_batches, FILE* out = stderr, std::string unit = "samples");
  // After each batch: how many samples it had and the running metrics to show.
  void update(int64_t samples, double loss, double accuracy);
  // A resumed epoch: `batches` of it were done before (they count in the bar, not in the rate).
  void start_at(int64_t batches) { done_ = first_ = batches; }
  // Ends the line.
  void finish();

 private:
  void draw(bool final);

  std::string label_, unit_;
  int64_t total_, done_ = 0, first_ = 0, samples_ = 0;
  double loss_ = 0, accuracy_ = 0;
  FILE* out_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1:05" or "1:02:03".
std::string format_duration(double seconds);

}  // namespace soma::cli
