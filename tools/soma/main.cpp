// The `soma` command-line program.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <ios>
#include <new>
#include <string>

#include "commands.h"
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
               "usage: soma <command> [options]   (soma <command> --help for its options)\n"
               "commands:\n"
               "  info      version, build type, BLAS, SIMD level and thread count\n"
               "  train     train a model on Fashion-MNIST, or a language model (gpt, lstm, gru, bert) on text\n"
               "  generate  sample text from a language-model checkpoint, or fill in [MASK]s with a bert one\n"
               "  eval      accuracy, per-class precision/recall/F1 and confusion matrix of a checkpoint\n"
               "  predict   classify PNG/PGM images with a checkpoint\n"
               "  summary   layers, output shapes and parameter counts of a model\n"
               "  tokenizer train a character or BPE tokenizer; encode text to ids, decode ids to text\n"
               "  ml        fit scikit-learn's estimators on CSV files, predict with them, show them\n");
  return out == stdout ? 0 : 2;
}

// Reports an error the way every command does: "soma: error: ..." and exit status 1.
int fail(const std::string& message) {
  std::fprintf(stderr, "soma: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string cmd = argv[1];
  try {
    if (cmd == "info") return cmd_info();
    if (cmd == "train") return soma::cli::cmd_train(argc - 1, argv + 1);
    if (cmd == "generate") return soma::cli::cmd_generate(argc - 1, argv + 1);
    if (cmd == "eval") return soma::cli::cmd_eval(argc - 1, argv + 1);
    if (cmd == "predict") return soma::cli::cmd_predict(argc - 1, argv + 1);
    if (cmd == "summary") return soma::cli::cmd_summary(argc - 1, argv + 1);
    if (cmd == "tokenizer") return soma::cli::cmd_tokenizer(argc - 1, argv + 1);
    if (cmd == "ml") return soma::cli::cmd_ml(argc - 1, argv + 1);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") return usage(stdout);
    std::fprintf(stderr, "soma: unknown command '%s'\n", cmd.c_str());
    return usage(stderr);
  } catch (const soma::Error& e) {
    return fail(e.what());
  }
  // The commands turn bad input into a soma::Error naming the file or option; these are the
  // last line, so that nothing escapes as "terminate called" (std::terminate, exit 134).
  catch (const std::bad_alloc&) {
    return fail("out of memory (a size in the options, a file or a checkpoint is too large for this machine)");
  } catch (const std::filesystem::filesystem_error& e) {
    return fail(e.what());
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed JSON: ") + e.what());
  } catch (const std::ios_base::failure& e) {
    return fail(std::string("input/output failure: ") + e.what());
  } catch (const std::exception& e) {
    return fail(std::string("unexpected failure: ") + e.what());
  } catch (...) {
    return fail("unexpected failure (an exception that is not a std::exception)");
  }
}
