// Padding. "constant" crops with narrow and pads with cat; the other modes read every output
// position from a source position along each padded dim (one index_select per dim), so all of
// them are differentiable to any order without kernels of their own.
#include "soma/nn/padding.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "soma/creation.h"
#include "soma/indexing.h"
#include "soma/views.h"

namespace soma::nn::functional {

namespace {

enum class PadMode { Constant, Reflect, Replicate, Circular };

PadMode parse_mode(std::string_view mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  SOMA_FAIL("pad: mode must be \"constant\", \"reflect\", \"replicate\" or \"circular\", got \"{}\"", mode);
}

// x with `before` / `after` elements of value added to dim (a negative count crops instead).
Tensor constant_pad_dim(const Tensor& x, int64_t dim, int64_t before, int64_t after, double value) {
  const int64_t size = x.size(dim), crop_before = std::max<int64_t>(-before, 0), crop_after = std::max<int64_t>(-after, 0);
  const int64_t kept = size - crop_before - crop_after;
  SOMA_CHECK(kept >= 0, "pad: negative padding ({}, {}) of dim {} removes more than its size {}", before, after, dim,
             size);
  Tensor core = kept == size ? x : x.narrow(dim, crop_before, kept);
  if (before <= 0 && after <= 0) return core;
  auto block = [&](int64_t length) {
    Shape shape = x.shape();
    shape[dim] = length;
    return full(shape, value, x.dtype());
  };
  TensorList parts;
  if (before > 0) parts.push_back(block(before));
  parts.push_back(core);
  if (after > 0) parts.push_back(block(after));
  return cat(parts, dim);
}

// For each position of a dim of size n padded by (before, after), the position it copies.
std::vector<int64_t> source_positions(PadMode mode, int64_t n, int64_t before, int64_t after) {
  const int64_t out = n + before + after;
  std::vector<int64_t> src(out);
  // circular wraps within what is left after cropping: [first, first + kept)
  const int64_t first = std::max<int64_t>(-before, 0), kept = n - first - std::max<int64_t>(-after, 0);
  for (int64_t o = 0; o < out; ++o) {
    int64_t p = o - before;
    if (mode == PadMode::Reflect) {
      if (p < 0) p = -p;
      if (p >= n) p = 2 * (n - 1) - p;
    } else if (mode == PadMode::Replicate) {
      p = std::clamp<int64_t>(p, 0, n - 1);
    } else {
      p = first + ((o - std::max<int64_t>(before, 0)) % kept + kept) % kept;
    }
    src[o] = p;
  }
  return src;
}

// PyTorch's limits for one padded dim of size n.
void check_dim(PadMode mode, const Tensor& input, int64_t dim, int64_t before, int64_t after) {
  const int64_t n = input.size(dim), out = n + before + after;
  if (mode == PadMode::Reflect)
    SOMA_CHECK(before < n && after < n,
               "pad: reflect padding ({}, {}) of dim {} must be smaller than its size {} (input shape {})", before,
               after, dim, n, input.shape());
  if (mode == PadMode::Circular) {
    const int64_t kept = n - std::max<int64_t>(-before, 0) - std::max<int64_t>(-after, 0);
    SOMA_CHECK(before <= kept && after <= kept && out >= 0,
               "pad: circular padding ({}, {}) of dim {} (size {}, {} after cropping) wraps around more than once or "
               "leaves a negative size; each side must be at most that size",
               before, after, dim, n, kept);
  } else {
    SOMA_CHECK(n >= 1 && out >= 1, "pad: {} padding ({}, {}) of dim {} (size {}) gives size {}; expected at least 1",
               mode == PadMode::Reflect ? "reflect" : "replicate", before, after, dim, n, out);
  }
}

// The spatial dims a non-constant mode may pad: 1-3, of an input with 1 or 2 leading dims
// (circular: exactly 2, [N, C, ...]).
void check_rank(PadMode mode, const Tensor& input, size_t pairs) {
  const char* name = mode == PadMode::Reflect ? "reflect" : mode == PadMode::Replicate ? "replicate" : "circular";
  const int64_t lead = input.dim() - static_cast<int64_t>(pairs);
  SOMA_CHECK(pairs >= 1 && pairs <= 3 && (lead == 2 || (lead == 1 && mode != PadMode::Circular)),
             "pad: {} padding of {} dims needs a {}-D input, got shape {} (pad 1 to 3 trailing dims of an input "
             "with {} leading dims)",
             name, pairs, mode == PadMode::Circular ? fmt::format("{}", pairs + 2) : fmt::format("{}- or {}", pairs + 1, pairs + 2),
             input.shape(), mode == PadMode::Circular ? "2 (batch, channel)" : "1 or 2");
}

// The result as a tensor of its own, as PyTorch returns it: crops alone (narrow) and zero pads
// would otherwise alias the input.
Tensor new_storage(const Tensor& result, const Tensor& input) {
  return result.storage() == input.storage() ? result.clone() : result;
}

}  // namespace

Tensor pad(const Tensor& input, const std::vector<int64_t>& pad, std::string_view mode_name,
           std::optional<double> value) {
  const PadMode mode = parse_mode(mode_name);
  SOMA_CHECK(pad.size() % 2 == 0, "pad: the pad list must have an even length ((left, right) pairs), got {}",
             pad.size());
  SOMA_CHECK(static_cast<int64_t>(pad.size()) <= 2 * input.dim(),
             "pad: the pad list ({} values) is too long for a {}-D input of shape {} (at most {})", pad.size(),
             input.dim(), input.shape(), 2 * input.dim());
  Tensor y = input;
  if (mode == PadMode::Constant) {
    for (size_t i = 0; i < pad.size() / 2; ++i)
      y = constant_pad_dim(y, input.dim() - 1 - static_cast<int64_t>(i), pad[2 * i], pad[2 * i + 1], value.value_or(0.0));
    return new_storage(y, input);
  }
  SOMA_CHECK(value.value_or(0.0) == 0.0, "pad: mode \"{}\" takes no value (got {}); use mode \"constant\"", mode_name,
             *value);
  check_rank(mode, input, pad.size() / 2);
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t dim = input.dim() - 1 - static_cast<int64_t>(i), before = pad[2 * i], after = pad[2 * i + 1];
    check_dim(mode, input, dim, before, after);
    if (before == 0 && after == 0) continue;
    y = index_select(y, dim, from_vector(source_positions(mode, input.size(dim), before, after)));
  }
  return new_storage(y, input);
}

}  // namespace soma::nn::functional

// ---- modules ------------------------------------------------------------------------------------

namespace soma::nn {

PadNd::PadNd(const char* name, int dims, const PadSizes& sizes, std::string mode, double value)
    : Module(name), mode(std::move(mode)), value(value) {
  if (sizes.same_for_all) {
    padding.assign(2 * dims, sizes.values[0]);
  } else {
    SOMA_CHECK(static_cast<int>(sizes.values.size()) == 2 * dims,
               "{}: padding must be one number or {} numbers (before and after each of the last {} dims, last dim "
               "first), got {}",
               name, 2 * dims, dims, sizes.values.size());
    padding = sizes.values;
  }
}

Tensor PadNd::forward(const Tensor& input) {
  return functional::pad(input, padding, mode, mode == "constant" ? std::optional<double>(value) : std::nullopt);
}

// PyTorch's: "(1, 1, 2, 2)" or, for the ConstantPad layers, "padding=(1, 1), value=3.5".
std::string PadNd::extra_repr() const {
  const std::string sizes = fmt::format("({})", fmt::join(padding, ", "));
  if (mode != "constant" || type_name() == "ZeroPad2d") return sizes;
  const bool whole = std::isfinite(value) && value == std::trunc(value);  // Python prints 0.0, not 0
  return whole ? fmt::format("padding={}, value={:.1f}", sizes, value) : fmt::format("padding={}, value={}", sizes, value);
}

}  // namespace soma::nn
