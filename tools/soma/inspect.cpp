// `soma eval`, `soma predict` and `soma summary`: use a trained checkpoint, or describe a model.
#include <CLI/CLI.hpp>

#include <algorithm>

#include "commands.h"
#include "soma/soma.h"

namespace soma::cli {

namespace {

struct Loaded {
  std::shared_ptr<nn::Sequential> model;
  std::string data;
};

// The model a checkpoint was trained with, its weights loaded, in eval mode.
Loaded load_model(const std::string& path, const char* op) {
  io::Checkpoint ck = io::load_checkpoint(path);
  SOMA_CHECK(ck.user.count("model"), "{}: not a checkpoint written by `soma train` (no model name)", path);
  const std::string& model = ck.user["model"];
  SOMA_CHECK(!is_language_model(model),
             "{}: checkpoint '{}' is of the language model {}; this command needs an image classifier's (mlp, mlp-tiny "
             "or lenet; use soma generate for {})",
             op, path, model, model);
  Loaded out{models::by_name(model), ck.user.count("data") ? ck.user["data"] : "fashion-mnist"};
  SOMA_CHECK(out.data == "fashion-mnist" || out.data == "mnist",
             "{}: checkpoint '{}': metadata 'data' must be fashion-mnist or mnist, got '{}'", op, path, out.data);
  out.model->load_state_dict(ck.model);
  out.model->eval();
  return out;
}

data::MNIST test_split(const std::string& name) {
  return name == "mnist" ? data::MNIST("test") : data::FashionMNIST("test");
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  CLI::App app{"Evaluate a checkpoint on the test split", "soma eval"};
  std::string checkpoint;
  app.add_option("--checkpoint", checkpoint, "a .ckpt file from soma train")->required();
  CLI11_PARSE(app, argc, argv);
  Loaded m = load_model(checkpoint, "eval");
  data::MNIST test = test_split(m.data);
  data::DataLoader loader(test, {.batch_size = 1000});
  NoGradGuard no_grad;
  TensorList preds, targets;
  for (auto& [x, y] : loader) {
    preds.push_back((*m.model)(x).argmax(1));
    targets.push_back(y);
  }
  Tensor pred = cat(preds), target = cat(targets);
  std::printf("test accuracy %.4f on %lld images\n\n", metrics::accuracy(pred, target),
              static_cast<long long>(target.size(0)));
  std::printf("%s\n", metrics::classification_report(pred, target, test.classes()).c_str());
  int64_t classes = static_cast<int64_t>(test.classes().size());
  std::printf("confusion matrix (rows: true class, columns: predicted)\n%s\n",
              metrics::format_confusion_matrix(metrics::confusion_matrix(pred, target, classes), test.classes()).c_str());
  return 0;
}

int cmd_predict(int argc, char** argv) {
  CLI::App app{"Classify images with a checkpoint", "soma predict"};
  std::string checkpoint;
  std::vector<std::string> images;
  bool invert = false;
  app.add_option("--checkpoint", checkpoint, "a .ckpt file from soma train")->required();
  app.add_option("images", images, "PNG or PGM files")->required();
  app.add_flag("--invert", invert, "dark objects on a light background (Fashion-MNIST is light on dark)");
  CLI11_PARSE(app, argc, argv);
  Loaded m = load_model(checkpoint, "predict");
  const std::vector<std::string> classes = test_split(m.data).classes();
  NoGradGuard no_grad;
  for (const std::string& path : images) {
    Tensor img = data::read_image(path);                         // [C, H, W] in [0, 1]
    if (img.size(0) == 2 || img.size(0) == 4) img = img.narrow(0, 0, img.size(0) - 1);  // drop alpha
    Tensor gray = img.mean({0}, true);                           // [1, H, W]
    if (gray.size(1) != 28 || gray.size(2) != 28) gray = data::resize(gray, 28, 28);
    if (invert) gray = 1.0 - gray;
    Tensor probs = softmax((*m.model)(gray.unsqueeze(0)), 1).squeeze(0);
    std::vector<float> p = probs.to_vector<float>();
    auto best = std::max_element(p.begin(), p.end()) - p.begin();
    std::printf("%s: %s (%.1f%%)\n", path.c_str(), classes[best].c_str(), 100.0 * p[best]);
    for (size_t c = 0; c < p.size(); ++c) std::printf("  %-12s %.4f\n", classes[c].c_str(), p[c]);
  }
  return 0;
}

int cmd_summary(int argc, char** argv) {
  CLI::App app{"Describe a model: layers, output shapes, parameter counts", "soma summary"};
  std::string model = "lenet";
  app.add_option("--model", model, "mlp, mlp-tiny or lenet")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto net = models::by_name(model);
  std::printf("%s\n\n%s", net->str().c_str(), nn::summary(*net, {1, 1, 28, 28}).c_str());
  return 0;
}

}  // namespace soma::cli
