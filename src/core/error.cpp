#include "soma/error.h"

namespace soma {

void throw_error(std::string message) { throw Error(std::move(message)); }

}  // namespace soma
