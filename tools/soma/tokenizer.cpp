// `soma tokenizer train|encode|decode`: learn a character or BPE tokenizer from a text file,
// and turn text into ids and back with it.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "commands.h"
#include "soma/soma.h"

namespace soma::cli {

namespace {

struct TrainOptions {
  std::string kind = "bpe";
  int64_t vocab_size = 0;
  std::string input;
  bool kjv = false;
  std::string out;
  std::vector<std::string> special;
  std::string unk;
};

int train(const TrainOptions& o) {
  SOMA_CHECK(o.input.empty() != !o.kjv, "soma tokenizer train: give either --input FILE or --kjv");
  const std::string text = o.kjv ? data::kjv_bible_text() : data::read_text_file(o.input);
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<data::Tokenizer> tok;
  if (o.kind == "char") {
    SOMA_CHECK(o.vocab_size == 0, "soma tokenizer train: --vocab-size applies to --kind bpe only (a character "
                                  "tokenizer's vocabulary is the text's characters)");
    tok = std::make_unique<data::CharTokenizer>(
        data::CharTokenizer::train(text, {.special_tokens = o.special, .unk_token = o.unk}));
  } else {
    SOMA_CHECK(o.kind == "bpe", "soma tokenizer train: unknown --kind '{}' (expected char or bpe)", o.kind);
    SOMA_CHECK(o.vocab_size != 0, "soma tokenizer train: --kind bpe needs --vocab-size N");
    SOMA_CHECK(o.vocab_size > 0, "soma tokenizer train: --vocab-size must be positive, got {}", o.vocab_size);
    SOMA_CHECK(o.unk.empty(), "soma tokenizer train: --unk applies to --kind char only (BPE encodes any bytes)");
    tok = std::make_unique<data::BPETokenizer>(data::BPETokenizer::train(text, o.vocab_size, o.special));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t tokens = tok->encode(text).size();
  tok->save(o.out);
  std::printf("%s tokenizer: %lld tokens (%zu special) learned from %zu bytes in %.2f s; the text is %zu tokens "
              "(%.2f bytes per token); saved to %s\n",
              o.kind.c_str(), static_cast<long long>(tok->vocab_size()), tok->special_tokens().size(), text.size(),
              seconds, tokens, static_cast<double>(text.size()) / static_cast<double>(tokens), o.out.c_str());
  return 0;
}

std::string read_stdin() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return s;
}

}  // namespace

int cmd_tokenizer(int argc, char** argv) {
  CLI::App app{"Train a tokenizer on a text file; encode text to ids and decode ids to text", "soma tokenizer"};
  app.require_subcommand(1);

  TrainOptions t;
  CLI::App* train_cmd = app.add_subcommand("train", "learn a tokenizer from a text file and save it as JSON");
  train_cmd->add_option("--kind", t.kind, "char or bpe (byte-level BPE as GPT-2)")->check(CLI::IsMember({"char", "bpe"}));
  train_cmd->add_option("--vocab-size", t.vocab_size, "BPE: tokens in all (256 bytes + merges + special tokens)");
  train_cmd->add_option("--input", t.input, "the training text");
  train_cmd->add_flag("--kjv", t.kjv, "train on the KJV Bible (Debian's bible-kjv) instead of --input");
  train_cmd->add_option("--out", t.out, "the tokenizer file to write (JSON)")->required();
  train_cmd->add_option("--special", t.special, "special tokens, e.g. --special '<eos>' '[PAD]'");
  train_cmd->add_option("--unk", t.unk, "char: the token standing for characters not in the vocabulary");

  std::string path;
  bool special = false;
  std::string text;
  CLI::App* encode_cmd = app.add_subcommand("encode", "print the ids of TEXT (or of standard input)");
  encode_cmd->add_option("--tokenizer", path, "a tokenizer file from soma tokenizer train")->required();
  encode_cmd->add_flag("--special", special, "recognize special tokens in the text");
  encode_cmd->add_option("text", text, "the text to encode");

  std::vector<int64_t> ids;
  CLI::App* decode_cmd = app.add_subcommand("decode", "print the text of IDS");
  decode_cmd->add_option("--tokenizer", path, "a tokenizer file from soma tokenizer train")->required();
  decode_cmd->add_option("ids", ids, "token ids");

  CLI11_PARSE(app, argc, argv);
  if (train_cmd->parsed()) return train(t);
  const std::unique_ptr<data::Tokenizer> tok = data::load_tokenizer(path);
  if (encode_cmd->parsed()) {
    if (encode_cmd->count("text") == 0) text = read_stdin();
    std::string line;
    for (int64_t id : tok->encode(text, {.special_tokens = special})) line += (line.empty() ? "" : " ") + std::to_string(id);
    std::printf("%s\n", line.c_str());
    return 0;
  }
  const std::string out = tok->decode(ids);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::printf("\n");
  return 0;
}

}  // namespace soma::cli
