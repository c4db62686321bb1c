#pragma once
// Parameter initializers (in place, no autograd), as in torch.nn.init. fan_in / fan_out of a
// weight [out, in, k...] are in * prod(k) and out * prod(k).
#include <string_view>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::nn::init {

enum class FanMode { FanIn, FanOut };

// The recommended gain for an activation: "linear"/"sigmoid"/"conv" 1, "tanh" 5/3, "relu" sqrt(2),
// "leaky_relu" sqrt(2 / (1 + param^2)), "selu" 3/4.
double calculate_gain(std::string_view nonlinearity, double param = 0.01);
// (fan_in, fan_out) of a weight of at least 2 dims.
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& weight);

Tensor& uniform_(Tensor& t, double low = 0, double high = 1, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0, double std = 1, Generator* gen = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
// Glorot: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); normal std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor& xavier_uniform_(Tensor& t, double gain = 1, Generator* gen = nullptr);
Tensor& xavier_normal_(Tensor& t, double gain = 1, Generator* gen = nullptr);
// He: std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a); uniform bound = sqrt(3) * std.
Tensor& kaiming_uniform_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                         std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
Tensor& kaiming_normal_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                        std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
// LeCun: U(-a, a) with a = sqrt(3 / fan_in); normal std = 1 / sqrt(fan_in) (unit variance for
// unit-variance inputs, the SELU recommendation).
Tensor& lecun_uniform_(Tensor& t, Generator* gen = nullptr);
Tensor& lecun_normal_(Tensor& t, Generator* gen = nullptr);
// N(mean, std) restricted to [a, b] (out-of-range draws are redrawn).
Tensor& trunc_normal_(Tensor& t, double mean = 0, double std = 1, double a = -2, double b = 2, Generator* gen = nullptr);
// A (semi-)orthogonal matrix (the weight flattened to [size(0), rest]) from the QR decomposition
// of a Gaussian matrix, times gain: rows orthonormal when rows <= cols, columns otherwise.
Tensor& orthogonal_(Tensor& t, double gain = 1, Generator* gen = nullptr);
// A 2-D weight with N(0, std) entries of which ceil(sparsity * rows) per column are zero.
Tensor& sparse_(Tensor& t, double sparsity, double std = 0.01, Generator* gen = nullptr);

}  // namespace soma::nn::init
