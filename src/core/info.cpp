#include "soma/info.h"

#include <cblas.h>

#include "soma/parallel.h"

namespace soma {

namespace {
std::string simd_level() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__)
  return "AVX2";
#elif defined(__AVX__)
  return "AVX";
#elif defined(__SSE4_2__)
  return "SSE4.2";
#else
  return "baseline";
#endif
}
}  // namespace

BuildInfo build_info() {
  BuildInfo info;
  info.version = SOMA_VERSION;
  info.build_type = SOMA_BUILD_TYPE;
  info.blas = std::string("OpenBLAS ") + openblas_get_config() + " (" + openblas_get_corename() + ")";
  info.simd = simd_level();
  info.threads = get_num_threads();
  return info;
}

}  // namespace soma
