// Knowledge distillation on Fashion-MNIST (Hinton et al. 2015): a 784-256-128-10 teacher is
// trained on the 60,000 training images first; then the same small 784-16-16-10 student is
// trained twice on a small transfer set (the first 2,000 training images), with the same seed,
// data order and epochs: once on the hard labels alone, once with
// nn::functional::distillation_loss against the teacher's softened outputs. The teacher's soft
// targets carry what it learned from all the data (which classes look alike), so the distilled
// student generalizes better from the few examples. Prints the test accuracy of all three.
//
//   build/examples/distill_fashion_mnist [temperature alpha]
#include <cstdio>
#include <cstdlib>

#include "soma/soma.h"

using namespace soma;

namespace {

const int64_t kBatch = 128;
const int kTeacherEpochs = 4, kStudentEpochs = 30;
const int64_t kTransferSet = 2000;  // the students see the first 2,000 training images
const double kStudentLr = 2e-3;

double test_accuracy(nn::Module& model, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  model.eval();
  double acc = metrics::accuracy(model(x), y);
  model.train();
  return acc;
}

// Adam over `epochs` passes over the first `examples` rows of x [N, 784] and y [N], in the
// loader's order (the same for every model: it depends only on the loader's seed and the
// epoch). With teacher_logits [N, 10] the loss is the distillation loss, else cross-entropy.
void train(nn::Module& model, const data::DataLoader& loader, const Tensor& x, const Tensor& y, int64_t examples,
           int epochs, double lr, const Tensor& teacher_logits = {},
           const nn::functional::DistillationOptions& distill = {}) {
  optim::Adam opt(model.parameters(), {.lr = lr});
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::vector<int64_t> order;
    for (int64_t i : loader.order(epoch))
      if (i < examples) order.push_back(i);
    for (size_t start = 0; start < order.size(); start += kBatch) {
      const size_t end = std::min(order.size(), start + kBatch);
      Tensor idx = from_vector(std::vector<int64_t>(order.begin() + start, order.begin() + end));
      Tensor logits = model(x.index_select(0, idx));
      Tensor target = y.index_select(0, idx);
      Tensor loss = teacher_logits.defined()
                        ? nn::functional::distillation_loss(logits, teacher_logits.index_select(0, idx), target, distill)
                        : nn::functional::cross_entropy(logits, target);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  nn::functional::DistillationOptions distill{.temperature = 4.0, .alpha = 0.9};
  if (argc == 3) distill = {.temperature = std::atof(argv[1]), .alpha = std::atof(argv[2])};
  data::FashionMNIST train_set("train"), test_set("test");
  data::DataLoader loader(train_set, {.batch_size = kBatch, .shuffle = true, .seed = 1});
  // Whole splits as [N, 784] floats in [0, 1].
  Tensor x = data::bytes_to_unit(train_set.images()).flatten(1), y = train_set.labels();
  Tensor x_test = data::bytes_to_unit(test_set.images()).flatten(1), y_test = test_set.labels();

  manual_seed(0);
  auto teacher = models::mlp({784, 256, 128, 10});
  train(*teacher, loader, x, y, x.size(0), kTeacherEpochs, 1e-3);
  std::printf("teacher 784-256-128-10 (%d epochs): test accuracy %.2f%%\n", kTeacherEpochs,
              100 * test_accuracy(*teacher, x_test, y_test));
  // The teacher's logits on the training set, computed once.
  Tensor teacher_logits;
  {
    NoGradGuard no_grad;
    teacher->eval();
    teacher_logits = (*teacher)(x);
  }

  double acc[2];
  for (int distilled = 0; distilled < 2; ++distilled) {
    manual_seed(1);  // the same initial weights for both students
    auto student = models::mlp({784, 16, 16, 10});
    train(*student, loader, x, y, kTransferSet, kStudentEpochs, kStudentLr, distilled ? teacher_logits : Tensor(), distill);
    acc[distilled] = test_accuracy(*student, x_test, y_test);
  }
  std::printf("student 784-16-16-10 (%lld images, %d epochs), hard labels only: test accuracy %.2f%%\n",
              static_cast<long long>(kTransferSet), kStudentEpochs, 100 * acc[0]);
  std::printf("student 784-16-16-10 (%lld images, %d epochs), distilled (T = %g, alpha = %g): test accuracy %.2f%%\n",
              static_cast<long long>(kTransferSet), kStudentEpochs, distill.temperature, distill.alpha, 100 * acc[1]);
  std::printf("distillation changed the student's accuracy by %+.2f points\n", 100 * (acc[1] - acc[0]));
  return 0;
}
