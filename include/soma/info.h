#pragma once
// Facts about this build of soma, as `soma info` prints them.
#include <string>

namespace soma {

struct BuildInfo {
  std::string version;     // "0.1.0"
  std::string build_type;  // "Release", ...
  std::string blas;        // the BLAS library in use and its configuration
  std::string simd;        // widest vector instruction set compiled in
  int threads;             // kernel threads (see parallel.h)
};

BuildInfo build_info();

}  // namespace soma
