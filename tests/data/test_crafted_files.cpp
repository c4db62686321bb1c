// Crafted files against every data reader: a directory or a FIFO where a file is expected,
// deeply nested JSON, a BPE merge bomb, gzip bombs, and empty tensors with huge dims. Each
// must get a soma::Error quickly: no hang, no crash, no allocation of a size the file names.
#include <sys/stat.h>
#include <zlib.h>

#include <functional>

#include "data/bytes.h"
#include "data_helpers.h"
#include "error_of.h"

using namespace soma;
using namespace data_test;

namespace {

std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(d >> shift));
  return s;
}

// A gzip stream of `head` then `mib` MiB of zeros, in about mib KB: one deflate block of
// 1 MiB of zeros, flushed with a fresh dictionary (Z_FULL_FLUSH) so that it can be repeated.
// Its trailer is wrong (the CRC covers one block), which a reader that stops in time never sees.
std::string gzip_bomb(const std::string& head, uint64_t mib) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  const auto compress = [&](const std::string& in, int flush) {
    std::string out(deflateBound(&zs, in.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, flush);
    EXPECT_EQ(zs.avail_in, 0u);
    out.resize(out.size() - zs.avail_out);
    return out;
  };
  std::string gz = compress(head, Z_FULL_FLUSH);
  if (mib > 0) {
    const std::string block = compress(std::string(1 << 20, '\0'), Z_FULL_FLUSH);
    gz.reserve(gz.size() + mib * block.size() + 64);
    for (uint64_t i = 0; i < mib; ++i) gz += block;
  }
  gz += compress("", Z_FINISH);
  deflateEnd(&zs);
  return gz;
}

// A JSON value nested `depth` arrays deep.
std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

// Every reader of files refuses a directory (whose size reads as 2^63 - 1) and a FIFO (whose
// opening blocks until a writer comes) before reading a byte.
TEST(CraftedFiles, DirectoriesAndFifosAreRefused) {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string folder = dir.file("folder");
  std::filesystem::create_directories(folder);
  const std::vector<std::pair<const char*, std::function<void(const std::string&)>>> readers = {
      {"read_idx", [](const std::string& p) { data::read_idx(p); }},
      {"read_csv", [](const std::string& p) { data::read_csv(p); }},
      {"read_png", [](const std::string& p) { data::read_png(p); }},
      {"read_pgm", [](const std::string& p) { data::read_pgm(p); }},
      {"read_image", [](const std::string& p) { data::read_image(p); }},
      {"read_text_file", [](const std::string& p) { data::read_text_file(p); }},
      {"load_tokenizer", [](const std::string& p) { data::load_tokenizer(p); }},
      {"CharTokenizer::load", [](const std::string& p) { data::CharTokenizer::load(p); }},
      {"BPETokenizer::load", [](const std::string& p) { data::BPETokenizer::load(p); }},
  };
  for (const auto& [op, read] : readers) {
    expect_error([&] { read(folder); }, fmt::format("{}: '{}' is a directory, expected a regular file", op, folder));
    expect_error([&] { read(fifo); }, fmt::format("{}: '{}' is a FIFO, expected a regular file", op, fifo));
  }
  expect_error([] { data::read_text_file("/dev/null"); }, "'/dev/null' is a character device, expected a regular file");
}

TEST(CraftedFiles, DeeplyNestedTokenizerJson) {
  const std::string deep = nested(100'000);
  const std::string part = "nests arrays and objects more than 64 deep";
  expect_error([&] { data::tokenizer_from_json(deep, "t.json"); }, "load_tokenizer: 't.json' " + part);
  expect_error([&] { data::BPETokenizer::from_json(R"({"type": "bpe", "merges": )" + deep + "}"); }, part);
  expect_error([&] { data::CharTokenizer::from_json(R"({"type": "char", "chars": )" + deep + "}"); }, part);
  // Brackets inside strings are not nesting; 64 levels are.
  std::string brackets = "\"";  // a string: "[[[...[\"["
  brackets += std::string(1000, '[') + "\\\"[\"";
  expect_error([&] { data::BPETokenizer::from_json(R"({"type": "bpe", "merges": [)" + brackets + "]}"); },
               "has merge 0 = \"[[[[");
  expect_error([&] { data::BPETokenizer::from_json(R"({"type": "bpe", "merges": )" + nested(63) + "}"); },
               "has merge 0 = [[[[");
}

// A value quoted in a message is cut short, however long it is in the file.
TEST(CraftedFiles, ErrorMessagesQuoteShortExcerpts) {
  const std::string long_string = "[\"" + std::string(100'000, 'a') + "\"]";
  std::string message =
      error_of([&] { data::BPETokenizer::from_json(R"({"type": "bpe", "merges": [)" + long_string + "]}"); });
  EXPECT_NE(message.find("has merge 0 = [\"aaaa"), std::string::npos) << message.substr(0, 300);
  EXPECT_LT(message.size(), 400u);
  // The parser's own message quotes the token it choked on: a number of 100,000 digits.
  const std::string long_number = std::string(100'000, '7');
  message = error_of([&] { data::BPETokenizer::from_json(R"({"type": "bpe", "merges": [)" + long_number + "]}"); });
  EXPECT_NE(message.find("is not valid JSON"), std::string::npos) << message.substr(0, 300);
  EXPECT_LT(message.size(), 400u);
}

// 40 merges, each joining the last token to itself, would make a token of 2^40 bytes.
TEST(CraftedFiles, BpeMergeBomb) {
  std::string merges = "[97, 97]";
  for (int i = 0; i < 40; ++i) merges += fmt::format(", [{}, {}]", 256 + i, 256 + i);
  const std::string json = R"({"type": "bpe", "special_tokens": [], "merges": [)" + merges + "]}";
  ASSERT_LT(json.size(), 1024u);
  expect_error([&] { data::BPETokenizer::from_json(json, "bomb.json"); },
               "BPETokenizer: the tokens of merges 0..26 hold 268435710 bytes in all, over the limit of 268435456 bytes");
  // The same limit holds for merges given in code.
  std::vector<data::BPETokenizer::Merge> m = {{97, 97}};
  for (int64_t i = 0; i < 40; ++i) m.emplace_back(256 + i, 256 + i);
  expect_error([&] { data::BPETokenizer tok(m); }, "over the limit of 268435456 bytes");
}

// An IDX file whose header names 16 bytes, followed by 6 GiB of zeros: inflating stops one
// byte past the 24 bytes of the file the header describes.
TEST(CraftedFiles, GzipBombIdxStopsAtItsHeadersSize) {
  const std::string bomb = gzip_bomb(idx_header(0x08, {16}) + std::string(16, 'x'), 6 << 10);
  ASSERT_LT(bomb.size(), 32u << 20);
  expect_error([&] { data::parse_idx(bomb, "bomb.gz"); },
               "read_idx: 'bomb.gz' decompresses to more than 24 bytes, the most it may hold");
  TempDir dir;  // through a file too (a smaller bomb: writing it is what takes time)
  write_bytes(dir.file("bomb.gz"), gzip_bomb(idx_header(0x08, {16}) + std::string(16, 'x'), 64));
  expect_error([&] { data::read_idx(dir.file("bomb.gz")); }, "decompresses to more than 24 bytes");
}

// Dims that honestly call for 6 GiB are refused by the limit before anything is inflated.
TEST(CraftedFiles, GzipIdxOverTheLimitIsRefusedFromItsHeader) {
  const std::string bomb = gzip_bomb(idx_header(0x08, {6, 1u << 30}), 6 << 10);
  expect_error([&] { data::parse_idx(bomb, "big.gz"); },
               "read_idx: 'big.gz' has dims [6, 1073741824] of 1-byte elements, too large (the limit is 4294967296 bytes)");
  expect_error([&] { data::parse_idx(idx_header(0x0E, {1u << 16, 1u << 16}), "big"); },
               "too large (the limit is 4294967296 bytes)");
}

// gunzip stops at the cap its caller gives (read_csv's is kMaxCsvGunzipBytes).
TEST(CraftedFiles, GunzipStopsAtItsCap) {
  const std::string bomb = gzip_bomb("a,b\n", 64);
  expect_error([&] { data::detail::gunzip(bomb, "bomb.csv.gz", "read_csv", 1000); },
               "read_csv: 'bomb.csv.gz' decompresses to more than 1000 bytes");
  EXPECT_EQ(data::detail::gunzip_prefix(bomb, "bomb.csv.gz", "read_csv", 6), std::string("a,b\n\0\0", 6));
  // Exactly at the cap is fine.
  const std::string small = gzip_bomb("", 0);
  EXPECT_EQ(data::detail::gunzip(small, "empty", "op", 0), "");
}

// An empty tensor with huge trailing dims has no elements but no int64 strides either.
TEST(CraftedFiles, EmptyIdxWithHugeTrailingDims) {
  expect_error([] { data::parse_idx(idx_header(0x08, {0, 0xFFFFFFFF, 0xFFFFFFFF}), "empty"); },
               "read_idx: 'empty' has dims [0, 4294967295, 4294967295], too large for int64 strides");
  expect_error([] { data::parse_idx(idx_header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0}), "empty"); },
               "too large for int64 strides");
  EXPECT_EQ(data::parse_idx(idx_header(0x08, {0, 0xFFFFFFFF, 2}), "ok").shape(), (Shape{0, 0xFFFFFFFF, 2}));
  const std::string gz = gzip_bomb(idx_header(0x0E, {0, 0xFFFFFFFF, 0xFFFFFFFF}), 0);
  expect_error([&] { data::parse_idx(gz, "empty.gz"); }, "too large for int64 strides");
}
