#include "soma/nn/positional_encoding.h"

#include <cmath>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/nn/init.h"

namespace soma::nn {

namespace {

// pos [T, E] added to x [B, T, E] (batch_first) or [T, B, E].
Tensor add_positions(const char* op, const Tensor& x, const Tensor& table, int64_t d_model, bool batch_first) {
  SOMA_CHECK(x.dim() == 3 && x.size(2) == d_model, "{}: expected input [{}, E={}], got {}", op,
             batch_first ? "B, T" : "T, B", d_model, x.shape());
  const int64_t T = x.size(batch_first ? 1 : 0);
  SOMA_CHECK(T <= table.size(0), "{}: sequence length {} exceeds max_len {}", op, T, table.size(0));
  const Tensor pos = table.narrow(0, 0, T);
  return x + (batch_first ? pos : pos.unsqueeze(1));
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t d_model, PositionalEncodingOptions o)
    : Module("SinusoidalPositionalEncoding"), d_model(d_model), max_len(o.max_len), batch_first(o.batch_first) {
  SOMA_CHECK(d_model > 0 && o.max_len > 0, "SinusoidalPositionalEncoding: d_model and max_len must be positive, got {} and {}",
             d_model, o.max_len);
  std::vector<double> v(o.max_len * d_model);
  for (int64_t t = 0; t < o.max_len; ++t)
    for (int64_t i = 0; i < d_model; ++i) {
      const double angle = static_cast<double>(t) * std::exp(-std::log(10000.0) * static_cast<double>(i - i % 2) / d_model);
      v[t * d_model + i] = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
    }
  pe = register_buffer("pe", from_vector(v, {o.max_len, d_model}).to(o.dtype), /*persistent=*/false);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) {
  return add_positions("SinusoidalPositionalEncoding", x, pe.to(x.dtype()), d_model, batch_first);
}

std::string SinusoidalPositionalEncoding::extra_repr() const { return fmt::format("d_model={}, max_len={}", d_model, max_len); }

LearnedPositionalEncoding::LearnedPositionalEncoding(int64_t d_model, PositionalEncodingOptions o)
    : Module("LearnedPositionalEncoding"), d_model(d_model), max_len(o.max_len), batch_first(o.batch_first) {
  SOMA_CHECK(d_model > 0 && o.max_len > 0, "LearnedPositionalEncoding: d_model and max_len must be positive, got {} and {}",
             d_model, o.max_len);
  weight = register_parameter("weight", empty({o.max_len, d_model}, o.dtype));
  NoGradGuard no_grad;
  init::normal_(weight, 0.0, 0.02);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x) {
  return add_positions("LearnedPositionalEncoding", x, weight, d_model, batch_first);
}

std::string LearnedPositionalEncoding::extra_repr() const { return fmt::format("d_model={}, max_len={}", d_model, max_len); }

}  // namespace soma::nn
