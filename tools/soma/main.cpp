// The `soma` command-line program.
#include <cstdio>
#include <cstring>
#include <string>

#include "soma/soma.h"

namespace {

int cmd_info() {
  soma::BuildInfo info = soma::build_info();
  std::printf("soma %s\n", info.version.c_str());
  std::printf("  build type : %s\n", info.build_type.c_str());
  std::printf("  BLAS       : %s\n", info.blas.c_str());
  std::printf("  SIMD       : %s\n", info.simd.c_str());
  std::printf("  threads    : %d\n", info.threads);
  return 0;
}

int usage(FILE* out) {
  std::fprintf(out,
               "usage: soma <command>\n"
               "commands:\n"
               "  info   print the version, build type, BLAS, SIMD level and thread count\n");
  return out == stdout ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string cmd = argv[1];
  try {
    if (cmd == "info") return cmd_info();
    if (cmd == "help" || cmd == "--help" || cmd == "-h") return usage(stdout);
    std::fprintf(stderr, "soma: unknown command '%s'\n", cmd.c_str());
    return usage(stderr);
  } catch (const soma::Error& e) {
    std::fprintf(stderr, "soma: error: %s\n", e.what());
    return 1;
  }
}
