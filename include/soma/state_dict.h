#pragma once
// StateDict: named tensors, the saved state of a model or an optimizer (like
// torch's state_dict()). Keys are sorted, so iteration order is deterministic.
#include <map>
#include <string>

#include "soma/tensor.h"

namespace soma {

using StateDict = std::map<std::string, Tensor>;

}  // namespace soma
