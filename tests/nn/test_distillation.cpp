#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_distillation.py (PyTorch 1.13).
// student = xs(4, 5), teacher = 2 cos(arange(20)) [4, 5], targets {1, 0, 4, 2}
const double kT4A07 = 2.8622463314614315;
const std::vector<double> kT4A07Grad = {-0.07821515442776948, 0.011651499937090914, -0.03480805211310002, -0.01997558028184761, 0.12134728688562617, -0.016424605663536235, -0.13475786032473366, -0.08591568794128128, 0.18306087895451945, 0.054037274975031906, -0.011460894034523706, 0.044935016965480606, 0.1772010484309795, -0.0821799974217301, -0.12849517394020626, 0.09422610258460098, 0.11773438920353435, -0.13302890965533948, -0.1123997015222202, 0.03346811938942437};  // shape [4, 5]
const double kT1A05 = 2.5879418574742035;
const double kT2A1 = 2.3914022944344;
const double kT3A0 = 3.3664906569531854;
const double kSharpTeacher = 3.2936361210376037;

Tensor teacher_logits() { return arange(0, 20, 1, kFloat64).cos().view({4, 5}) * 2.0; }
bool has(const std::string& msg, const char* what) { return msg.find(what) != std::string::npos; }
}  // namespace

TEST(Distillation, ValuesMatchPyTorch) {
  Tensor s = xs({4, 5}).requires_grad_(), t = teacher_logits().requires_grad_();
  Tensor y = tensor({1, 0, 4, 2}, kInt64);
  auto near = [](const Tensor& got, double want) { EXPECT_NEAR(got.item(), want, 1e-10 * (1 + std::abs(want))); };
  Tensor loss = F::distillation_loss(s, t, y, {.temperature = 4, .alpha = 0.7});
  near(loss, kT4A07);
  loss.backward();
  EXPECT_TRUE(allclose(s.grad(), golden(kT4A07Grad, {4, 5}), 1e-9, 1e-12));
  EXPECT_FALSE(t.grad().defined());  // the teacher gets no gradient
  near(F::distillation_loss(s, t, y, {.temperature = 1, .alpha = 0.5}), kT1A05);
  near(F::distillation_loss(s, t, {}, {.temperature = 2, .alpha = 1}), kT2A1);
  near(F::distillation_loss(s, t, y, {.temperature = 3, .alpha = 0}), kT3A0);
  near(F::distillation_loss(s, t * 400.0, y, {.temperature = 1, .alpha = 0.9}), kSharpTeacher);
  // Closed forms: alpha = 0 is cross-entropy; a student equal to the teacher has no soft loss.
  EXPECT_NEAR(F::distillation_loss(s, t, y, {.alpha = 0}).item(), F::cross_entropy(s, y).item(), 1e-12);
  EXPECT_NEAR(F::distillation_loss(t, t, y, {.temperature = 5, .alpha = 0.25}).item(),
              0.75 * F::cross_entropy(t, y).item(), 1e-12);
  // float32 inputs agree with float64.
  EXPECT_NEAR(F::distillation_loss(s.to(kFloat32), t.to(kFloat32), y, {.temperature = 4, .alpha = 0.7}).item(), kT4A07,
              1e-5);
}

TEST(Distillation, Gradcheck) {
  // Non-contiguous student logits (a transposed view).
  Tensor s = (xs({5, 4}) * 0.5).t().requires_grad_();
  Tensor t = teacher_logits(), y = tensor({1, 0, 4, 2}, kInt64);
  for (double temperature : {0.5, 1.0, 4.0})
    for (double alpha : {0.0, 0.3, 1.0}) {
      auto f = [&](const TensorList& in) {
        return F::distillation_loss(in[0], t, y, {.temperature = temperature, .alpha = alpha});
      };
      EXPECT_TRUE(gradcheck(f, {s})) << "T " << temperature << " alpha " << alpha;
    }
  auto soft = [&](const TensorList& in) { return F::distillation_loss(in[0], t, {}, {.temperature = 2, .alpha = 1}); };
  EXPECT_TRUE(gradgradcheck(soft, {s}));
}

TEST(Distillation, Errors) {
  Tensor s = zeros({3, 4}), t = zeros({3, 4}), y = tensor({0, 1, 2}, kInt64);
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(s, t, y, {.temperature = 0}); }),
                  "distillation_loss: temperature must be positive, got 0"));
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(s, t, y, {.alpha = 1.5}); }),
                  "distillation_loss: alpha must be in [0, 1], got 1.5"));
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(s, zeros({3, 5}), y); }),
                  "distillation_loss: teacher logits of shape [3, 5] do not match student logits of shape [3, 4]"));
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(zeros({4}), zeros({4}), y); }),
                  "student logits must be floating-point [N, C], got shape [4]"));
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(s, t, {}, {.alpha = 0.5}); }),
                  "targets are needed unless alpha is 1"));
  EXPECT_TRUE(has(error_of([&] { F::distillation_loss(s, t, tensor({0, 4, 1}, kInt64)); }),
                  "cross_entropy: target label 4 is out of range for 4 classes"));
}
