// Tokenizers: CharTokenizer (ids against Python's sorted(set(text)), UTF-8, unknown
// characters, special tokens, save/load), and a seeded mutation fuzz of the JSON files.
#include <random>

#include "data_helpers.h"

using namespace soma;
using namespace data_test;

namespace {

// Pasted from tests/golden/gen_text.py: ids of "héllo wörld €😀 é" under sorted(set(s)).
const std::vector<int64_t> kUtf8Ids = {2, 7, 3, 3, 4, 0, 6, 8, 5, 3, 1, 0, 9, 10, 0, 7};

std::vector<int64_t> ids(std::initializer_list<int64_t> v) { return v; }

}  // namespace

// ---- CharTokenizer --------------------------------------------------------------------------------

TEST(CharTokenizer, SortedDistinctCharacters) {
  auto tok = data::CharTokenizer::train("hello world");
  EXPECT_EQ(tok.vocab_size(), 8);  // ' ' d e h l o r w
  EXPECT_EQ(tok.encode("hello world"), ids({3, 2, 4, 4, 5, 0, 7, 5, 6, 4, 1}));
  EXPECT_EQ(tok.decode(ids({7, 5, 6, 1})), "word");
  EXPECT_EQ(tok.token_to_id("w"), 7);
  EXPECT_EQ(tok.token_to_id("x"), std::nullopt);
  EXPECT_EQ(tok.id_to_token(2), "e");
  EXPECT_TRUE(tok.encode("").empty());
  expect_error([&] { tok.id_to_token(8); }, "CharTokenizer: token id 8 is out of range for a vocabulary of 8");
  expect_error([&] { tok.decode(ids({1, -1})); }, "CharTokenizer: token id -1 is out of range");
  expect_error([] { data::CharTokenizer::train(""); }, "CharTokenizer::train: the corpus is empty");
}

TEST(CharTokenizer, Utf8CodePoints) {
  const std::string s = "h\u00e9llo w\u00f6rld \u20ac\U0001F600 \u00e9";
  auto tok = data::CharTokenizer::train(s);
  EXPECT_EQ(tok.vocab_size(), 11);
  EXPECT_EQ(tok.encode(s), kUtf8Ids);
  EXPECT_EQ(tok.decode(tok.encode(s)), s);
  EXPECT_EQ(tok.id_to_token(10), "\U0001F600");
  EXPECT_EQ(tok.token_to_id("\u20ac"), 9);
}

TEST(CharTokenizer, InvalidBytesAreCharacters) {
  // A stray continuation byte, a truncated 3-byte sequence, an overlong '/', a surrogate, 0xFF.
  const std::string s = std::string("a\x80") + "\xE2\x82" + "\xC0\xAF" + "\xED\xA0\x80" + "\xFF" + "\xC3\xA9";
  auto tok = data::CharTokenizer::train(s);
  // 'a', then bytes 80 82 A0 AF C0 E2 ED FF as single bytes, then "é" (C3 A9) sorts between C0 and E2.
  std::vector<std::string> expected = {"a",    "\x80", "\x82", "\xA0", "\xAF",    "\xC0",
                                       "\xC3\xA9", "\xE2", "\xED", "\xFF"};
  ASSERT_EQ(tok.vocab_size(), 10);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(tok.id_to_token(i), expected[i]) << i;
  EXPECT_EQ(tok.encode(s), ids({0, 1, 7, 2, 5, 4, 8, 3, 1, 9, 6}));
  EXPECT_EQ(tok.decode(tok.encode(s)), s);
}

TEST(CharTokenizer, UnknownCharacter) {
  auto tok = data::CharTokenizer::train("abc\n");
  expect_error([&] { tok.encode("abd"); },
               "CharTokenizer::encode: character 'd' (U+0064) at byte offset 2 is not in the vocabulary of 4 characters");
  expect_error([&] { tok.encode("ab\u00e9"); }, "character '\u00e9' (U+00E9) at byte offset 2");
  expect_error([&] { tok.encode("a\t"); }, "character '\\t' (U+0009) at byte offset 1");
  expect_error([&] { tok.encode("a\xFF"); }, "character byte 0xFF at byte offset 1");
  // With an unk token, unknown characters map to it.
  auto unk = data::CharTokenizer::train("abc\n", {.unk_token = "[UNK]"});
  EXPECT_EQ(unk.vocab_size(), 5);
  EXPECT_EQ(unk.token_to_id("[UNK]"), 4);
  EXPECT_EQ(unk.encode("a\u00e9d\nb"), ids({1, 4, 4, 0, 2}));
  EXPECT_EQ(unk.decode(ids({1, 4})), "a[UNK]");
}

TEST(CharTokenizer, SpecialTokens) {
  auto tok = data::CharTokenizer::train("ab<>", {.special_tokens = {"<eos>", "<e"}, .unk_token = "[UNK]"});
  EXPECT_EQ(tok.vocab_size(), 7);  // < > a b, then <eos> <e [UNK]
  EXPECT_EQ(tok.special_tokens(), (std::vector<std::string>{"<eos>", "<e", "[UNK]"}));
  EXPECT_EQ(tok.token_to_id("<eos>"), 4);
  // Not recognized unless asked: "<eos>" is then characters ('e', 'o', 's' unknown).
  EXPECT_EQ(tok.encode("a<eos>"), ids({2, 0, 6, 6, 6, 1}));
  // Recognized: the longest special token at the earliest position wins.
  EXPECT_EQ(tok.encode("a<eos>b<e<eos", {.special_tokens = true}), ids({2, 4, 3, 5, 5, 6, 6}));
  EXPECT_EQ(tok.decode(ids({2, 4, 3, 5})), "a<eos>b<e");
  expect_error([] { data::CharTokenizer::train("ab", {.special_tokens = {"a"}}); },
               "CharTokenizer: special token 'a' is also a character of the vocabulary");
  expect_error([] { data::CharTokenizer::train("ab", {.special_tokens = {"[X]", "[X]"}}); },
               "CharTokenizer: special token '[X]' is given twice");
  expect_error([] { data::CharTokenizer::train("ab", {.special_tokens = {""}}); }, "CharTokenizer: a special token is empty");
  expect_error([] { data::CharTokenizer({"a", "bc"}); }, "CharTokenizer: vocabulary entry 1 (2 bytes) is not one character");
  expect_error([] { data::CharTokenizer({"a", "a"}); }, "CharTokenizer: character 'a' (U+0061) is in the vocabulary twice");
}

TEST(CharTokenizer, SaveLoad) {
  TempDir dir;
  const std::string s = "h\u00e9llo\xFF\n";
  auto tok = data::CharTokenizer::train(s, {.special_tokens = {"<eos>"}, .unk_token = "[UNK]"});
  tok.save(dir.file("tok.json"));
  auto back = data::CharTokenizer::load(dir.file("tok.json"));
  EXPECT_EQ(back.vocab_size(), tok.vocab_size());
  for (int64_t i = 0; i < tok.vocab_size(); ++i) EXPECT_EQ(back.id_to_token(i), tok.id_to_token(i));
  EXPECT_EQ(back.unk_token(), "[UNK]");
  EXPECT_EQ(back.encode(s + "x<eos>", {.special_tokens = true}), tok.encode(s + "x<eos>", {.special_tokens = true}));
  auto any = data::load_tokenizer(dir.file("tok.json"));
  EXPECT_EQ(any->decode(tok.encode(s)), s);
}

TEST(CharTokenizer, BadFiles) {
  TempDir dir;
  const auto load = [&](const std::string& text) {
    write_bytes(dir.file("t.json"), text);
    return data::CharTokenizer::load(dir.file("t.json"));
  };
  expect_error([&] { load("{\"type\": \"char\", \"chars\": [\"a\""); }, "is not valid JSON");
  expect_error([&] { load("[1, 2]"); }, "is not a tokenizer (expected a JSON object)");
  expect_error([&] { load("{\"type\": \"bpe\"}"); }, "is a tokenizer of type \"bpe\", expected \"char\"");
  expect_error([&] { load("{\"type\": \"char\"}"); }, "has no \"chars\"");
  expect_error([&] { load("{\"type\": \"char\", \"chars\": {}}"); }, "has a \"chars\" of type object, expected array");
  expect_error([&] { load("{\"type\": \"char\", \"chars\": [65], \"special_tokens\": [], \"unk_token\": \"\"}"); },
               "has a \"chars\" entry 65, expected a string or a byte value in 128..255");
  expect_error([&] { load("{\"type\": \"char\", \"chars\": [\"a\", \"a\"], \"special_tokens\": [], \"unk_token\": \"\"}"); },
               "is not a valid tokenizer: CharTokenizer: character 'a' (U+0061) is in the vocabulary twice");
  expect_error([&] { load("{\"type\": \"char\", \"chars\": [\"a\"], \"special_tokens\": [3], \"unk_token\": \"\"}"); },
               "has a \"special_tokens\" entry of type number, expected a string");
  expect_error([&] { data::load_tokenizer(dir.file("missing.json")); }, "load_tokenizer: cannot open");
  write_bytes(dir.file("u.json"), "{\"type\": \"wordpiece\"}");
  expect_error([&] { data::load_tokenizer(dir.file("u.json")); }, "has unknown tokenizer type 'wordpiece'");
}

TEST(CharTokenizer, FuzzedFiles) {
  const std::string json =
      data::CharTokenizer::train("ab\u00e9\xFF\n", {.special_tokens = {"<eos>"}, .unk_token = "[UNK]"}).to_json();
  fuzz(json, [](const std::string& b) {
    auto tok = data::tokenizer_from_json(b);
    tok->decode(tok->encode("ab"));
  }, 2000, 11);
}
