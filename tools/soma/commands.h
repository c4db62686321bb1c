#pragma once
// The subcommands of the `soma` program and the training configuration they share.
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "soma/tensor.h"

namespace CLI {
class App;
class Validator;
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
  // Language models (gpt, lstm, gru, bert); 0 means the model's default.
  int64_t steps = 1000;       // optimizer steps
  int64_t eval_every = 100;   // steps between validation evaluations and checkpoints
  std::string tokenizer = "char";  // char or bpe
  int64_t vocab_size = 1000;  // bpe vocabulary size
  int64_t context = 0, layers = 0, heads = 0, width = 0;
  std::set<std::string> given;  // options set explicitly (flags or config file)
};

void add_train_options(CLI::App& app, TrainConfig& cfg);
// Adds the names ("batch-size") of the options given on the command line to cfg.given.
void record_given_options(const CLI::App& app, TrainConfig& cfg);
// Reads a JSON object whose keys are option names ("batch-size" or "batch_size").
void load_train_config(const std::string& path, TrainConfig& cfg);
// Throws unless every option is in its range (the message names the option and the range);
// called before anything is read, built or written.
void validate(const TrainConfig& cfg);
// Throws unless the image data set read from `root` has training and test images and more
// training images than --batch-size (checked before training, not after it).
void check_image_data(const TrainConfig& cfg, int64_t train_images, int64_t test_images, const std::string& root);
// Creates --out (and its parents), or throws naming it and why it cannot be created.
void create_output_directory(const std::string& dir);
// CLI11 check of a seed option: a whole number in [0, 2^64 - 1] (CLI11 would wrap -1).
CLI::Validator seed_validator();
// The metadata of a checkpoint (its `user` map), read strictly: a missing key, a number with
// trailing characters ("64abc") or out of range is an Error naming the op, the file and the key.
using Metadata = std::map<std::string, std::string>;
const std::string& metadata_text(const Metadata& user, const std::string& key, const std::string& file, const char* op);
// A whole decimal number in [0, most].
int64_t metadata_count(const Metadata& user, const std::string& key, const std::string& file, const char* op,
                       int64_t most = std::numeric_limits<int64_t>::max());
// A floating-point number ("inf" included: a best loss before any validation).
double metadata_real(const Metadata& user, const std::string& key, const std::string& file, const char* op);
// --resume: the checkpoint in `file` must be one of cfg.model (an lstm run cannot resume a gpt).
void check_resumable(const Metadata& user, const TrainConfig& cfg, const std::string& file);
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& cfg, const TensorList& params);
int run_training(const TrainConfig& cfg);
bool is_language_model(const std::string& model);
// Defaults of the reference configurations for the options the user did not give.
void apply_language_model_defaults(TrainConfig& cfg);
int run_language_model_training(const TrainConfig& cfg);

int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_summary(int argc, char** argv);
int cmd_tokenizer(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_ml(int argc, char** argv);

}  // namespace soma::cli
