#include "soma/nn/functional/distillation.h"

#include "soma/math.h"
#include "soma/nn/functional/loss.h"

namespace soma::nn::functional {

Tensor distillation_loss(const Tensor& student, const Tensor& teacher, const Tensor& targets,
                         const DistillationOptions& o) {
  SOMA_CHECK(o.temperature > 0, "distillation_loss: temperature must be positive, got {}", o.temperature);
  SOMA_CHECK(o.alpha >= 0 && o.alpha <= 1, "distillation_loss: alpha must be in [0, 1], got {}", o.alpha);
  SOMA_CHECK(student.dim() == 2 && student.is_floating_point(),
             "distillation_loss: student logits must be floating-point [N, C], got shape {}", student.shape());
  SOMA_CHECK(teacher.shape() == student.shape(),
             "distillation_loss: teacher logits of shape {} do not match student logits of shape {}", teacher.shape(),
             student.shape());
  SOMA_CHECK(targets.defined() || o.alpha == 1,
             "distillation_loss: targets are needed unless alpha is 1 (got alpha {})", o.alpha);
  const double t = o.temperature;
  // Both as log-probabilities (log_target): no log(0) where the teacher's softmax underflows.
  Tensor soft = kl_div((student / t).log_softmax(1), (teacher.detach() / t).log_softmax(1), Reduction::BatchMean,
                       /*log_target=*/true);
  Tensor loss = soft * (o.alpha * t * t);
  if (o.alpha < 1) loss = loss + cross_entropy(student, targets) * (1 - o.alpha);
  return loss;
}

}  // namespace soma::nn::functional
