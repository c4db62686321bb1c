#pragma once
// StateDict: named tensors (a model's parameters and buffers, an optimizer's state), the unit
// that is saved to and loaded from safetensors files.
#include <map>
#include <string>

#include "soma/tensor.h"

namespace soma {

using StateDict = std::map<std::string, Tensor>;

}  // namespace soma
