#pragma once
// Padding (torch.nn.functional.pad). `pad` lists (left, right) pairs starting from the LAST dim:
// {1, 2} pads the last dim by 1 before and 2 after; {1, 2, 3, 4} also pads the dim before it by 3
// and 4. Modes:
//   "constant"  `value` (default 0) outside; any dims, any dtype; a negative pad crops.
//   "reflect"   mirrored without repeating the edge (pad < that dim's size): [a b c] -> [c b | a b c | b a]
//   "replicate" the edge repeated:                                            [a b c] -> [a a | a b c | c c]
//   "circular"  wrapped around (pad <= that dim's size):                      [a b c] -> [b c | a b c | a b]
// The non-constant modes pad the last 1, 2 or 3 dims of an input with 1 or 2 more dims (reflect
// and replicate) or exactly 2 more dims (circular: [N, C, ...]), as in PyTorch 1.13; a negative
// pad crops there too. Differentiable to any order (built from index_select, cat and narrow).
//
//   Tensor y = nn::functional::pad(x, {1, 1, 2, 0});                 // zeros: H + 2 (top), W + 1 + 1
//   Tensor r = nn::functional::pad(x, {2, 2}, "reflect");
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "soma/tensor.h"

namespace soma::nn::functional {

// `value` is for "constant" only (PyTorch rejects a nonzero value with another mode).
Tensor pad(const Tensor& input, const std::vector<int64_t>& pad, std::string_view mode = "constant",
           std::optional<double> value = std::nullopt);

}  // namespace soma::nn::functional
