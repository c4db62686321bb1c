#include "soma/nn/dropout.h"

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"

namespace soma::nn {

namespace functional {

Tensor dropout(const Tensor& input, double p, bool training, Generator* gen) {
  SOMA_CHECK(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got {}", p);
  SOMA_CHECK(is_floating(input.dtype()), "dropout: expected a floating-point input, got dtype {}",
             dtype_name(input.dtype()));
  if (!training || p == 0) return input;
  if (p == 1) return input * 0.0;
  // The mask already holds the scale: 0 or 1 / (1 - p), one multiply in the graph.
  Tensor mask = bernoulli(input.shape(), 1 - p, compute_dtype(input.dtype()), gen);
  {
    NoGradGuard no_grad;
    mask.mul_(1.0 / (1 - p));
  }
  return input * mask.to(input.dtype());
}

}  // namespace functional

Dropout::Dropout(double p, Generator* gen) : Module("Dropout"), p(p), gen(gen) {
  SOMA_CHECK(p >= 0 && p <= 1, "Dropout: probability p must be in [0, 1], got {}", p);
}

std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

}  // namespace soma::nn
