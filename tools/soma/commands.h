#pragma once
// The subcommands of the `soma` program and the training configuration they share.
#include <memory>
#include <string>

#include "soma/tensor.h"

namespace CLI {
class App;
}
namespace soma::optim {
class Optimizer;
}

namespace soma::cli {

struct TrainConfig {
  std::string model = "lenet";
  std::string data = "fashion-mnist";
  int64_t epochs = 3;
  int64_t batch_size = 128;
  std::string optimizer = "adam";
  double lr = 1e-3;
  double momentum = 0.9;      // sgd, rmsprop
  double weight_decay = 0;
  double validation = 1.0 / 12;  // fraction of the training split held out (5,000 of 60,000)
  uint64_t seed = 0;
  int threads = 0;            // 0: the default
  std::string out = "runs/soma";
  bool resume = false;
};

void add_train_options(CLI::App& app, TrainConfig& cfg);
// Reads a JSON object whose keys are option names ("batch-size" or "batch_size").
void load_train_config(const std::string& path, TrainConfig& cfg);
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& cfg, const TensorList& params);
int run_training(const TrainConfig& cfg);

int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_summary(int argc, char** argv);
int cmd_tokenizer(int argc, char** argv);

}  // namespace soma::cli
