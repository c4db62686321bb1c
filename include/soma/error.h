#pragma once
// soma::Error and the checks that raise it. Every op validates its inputs and throws an Error
// whose message names the op, what it was given and what it expected, e.g.
//   "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)".
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace soma {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_error(std::string message);

}  // namespace soma

// SOMA_CHECK(cond, "op: {} expected ...", args...): throws soma::Error with the formatted message.
#define SOMA_CHECK(cond, ...)                                    \
  do {                                                           \
    if (!(cond)) [[unlikely]]                                    \
      ::soma::throw_error(::fmt::format(__VA_ARGS__));           \
  } while (0)

#define SOMA_FAIL(...) ::soma::throw_error(::fmt::format(__VA_ARGS__))
