#pragma once
// Knowledge distillation (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural
// Network"): a student learns from a teacher's softened class probabilities as well as from the
// hard labels.
#include "soma/tensor.h"

namespace soma::nn::functional {

struct DistillationOptions {
  double temperature = 4.0;  // T > 0: softens both distributions (T = 1: plain softmax)
  double alpha = 0.9;        // in [0, 1]: weight of the soft (teacher) term
};

// student_logits, teacher_logits [N, C]; targets class indices [N] (int64; may be undefined
// when alpha = 1):
//
//   alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T))   (summed over classes, mean over N)
//     + (1 - alpha) * cross_entropy(student, targets)
//
// T^2 keeps the soft term's gradient scale independent of T. The teacher's logits are treated
// as constants: they receive no gradient.
Tensor distillation_loss(const Tensor& student_logits, const Tensor& teacher_logits, const Tensor& targets,
                         const DistillationOptions& options = {});

}  // namespace soma::nn::functional
