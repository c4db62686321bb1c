// Tokenizers: CharTokenizer (ids against Python's sorted(set(text)), UTF-8, unknown
// characters, special tokens, save/load), and a seeded mutation fuzz of the JSON files.
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// ---- BPETokenizer ---------------------------------------------------------------------------------

namespace {

// Pasted from tests/golden/gen_text.py: pieces by GPT-2's pattern (bytes >= 0x80 as letters),
// and merges and ids of a naive BPE trainer and GPT-2's encoder written in Python.
const std::vector<std::pair<std::string, std::vector<std::string>>> kPreSplit = {
    {"Hello world's 123 don't  stop!!\012\012  x\011\011y  ", {"Hello", " world", "'s", " 123", " don", "'t", " ", " stop", "!!", "\012\012 ", " x", "\011", "\011", "y", "  "}},
    {"a  b   c\012", {"a", " ", " b", "  ", " c", "\012"}},
    {"'re'll 'LL x've", {"'re", "'ll", " '", "LL", " x", "'ve"}},
    {"caf\303\251 \342\202\2545 \377\376!", {"caf\303\251", " \342\202\254", "5", " \377\376", "!"}},
    {" \012 ", {" \012 "}},
    {"x  ", {"x", "  "}},
};
const std::string kBpeCorpus = "the cat sat on the mat. the cat ate the rat<eos>that cat, the fat cat, sat flat.<eos><eos>the the the thethe 1234 12 1234 caf\303\251 caf\303\251<eos>";
const std::vector<std::pair<int64_t, int64_t>> kBpeMerges = {{97, 116}, {116, 104}, {257, 101}, {32, 258}, {32, 99}, {260, 256}, {32, 49}, {262, 50}, {32, 102}, {32, 115}, {51, 52}, {97, 102}, {195, 169}, {260, 267}, {263, 266}, {265, 256}, {269, 268}};
const std::string kBpeProbe = "the fat rat sat, then the cat1234 caf\303\251!";
const std::vector<int64_t> kBpeProbeIds = {258, 264, 256, 32, 114, 256, 271, 44, 259, 110, 259, 261, 49, 50, 266, 272, 33};

std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) {
    // Mostly text-like bytes, with some of every value (invalid UTF-8 included).
    const uint64_t r = rng();
    c = static_cast<char>(r % 4 == 0 ? r >> 8 : " eatnsh'\n,1"[(r >> 8) % 11]);
  }
  return s;
}

}  // namespace

TEST(BPETokenizer, PreSplitLikeGpt2) {
  for (const auto& [text, pieces] : kPreSplit) {
    const auto got = data::BPETokenizer::pre_split(text);
    EXPECT_EQ(std::vector<std::string>(got.begin(), got.end()), pieces) << text;
  }
}

TEST(BPETokenizer, HandWorkedMerges) {
  // "aaabdaaabac": aa (4) -> 256, then ab and 256 a both occur twice; the tie goes to the
  // smaller pair (97, 98) -> 257; then (256, 257) -> 258 ("XdXac"); nothing else occurs twice.
  auto tok = data::BPETokenizer::train("aaabdaaabac", 1000);
  EXPECT_EQ(tok.merges(), (std::vector<data::BPETokenizer::Merge>{{97, 97}, {97, 98}, {256, 257}}));
  EXPECT_EQ(tok.vocab_size(), 259);
  EXPECT_EQ(tok.encode("aaabdaaabac"), ids({258, 100, 258, 97, 99}));
  EXPECT_EQ(tok.id_to_token(258), "aaab");
  EXPECT_EQ(tok.token_to_id("aaab"), 258);
  EXPECT_EQ(tok.token_to_id("aaa"), std::nullopt);
  // vocab_size stops training early; overlapping pairs merge left to right.
  auto two = data::BPETokenizer::train("aaabdaaabac", 258);
  EXPECT_EQ(two.merges().size(), 2u);
  EXPECT_EQ(two.encode("aaaaab"), ids({256, 256, 257}));
}

TEST(BPETokenizer, MatchesNaiveReference) {
  auto tok = data::BPETokenizer::train(kBpeCorpus, 256 + 40 + 1, {"<eos>"});
  EXPECT_EQ(tok.merges(), kBpeMerges);
  EXPECT_EQ(tok.vocab_size(), 256 + static_cast<int64_t>(kBpeMerges.size()) + 1);
  EXPECT_EQ(tok.encode(kBpeProbe), kBpeProbeIds);
  // No token spans or contains the special token's text.
  for (int64_t id = 256; id < tok.vocab_size() - 1; ++id)
    EXPECT_EQ(tok.id_to_token(id).find('<'), std::string::npos) << tok.id_to_token(id);
}

TEST(BPETokenizer, SpecialTokens) {
  auto tok = data::BPETokenizer::train(kBpeCorpus, 300, {"<eos>", "[PAD]", "<eos><eos>"});
  const int64_t eos = *tok.token_to_id("<eos>");
  EXPECT_EQ(eos, tok.vocab_size() - 3);
  EXPECT_EQ(tok.special_tokens().size(), 3u);
  // Recognized only when asked; the longest special token at a position wins.
  const std::string text = "the cat<eos>[PAD]<eos><eos>";
  const auto plain = tok.encode(text);
  for (int64_t id : plain) EXPECT_LT(id, eos);
  EXPECT_EQ(tok.decode(plain), text);
  const auto special = tok.encode(text, {.special_tokens = true});
  EXPECT_EQ(std::vector<int64_t>(special.end() - 3, special.end()), ids({eos, eos + 1, eos + 2}));
  EXPECT_EQ(tok.decode(special), text);
  EXPECT_EQ(tok.id_to_token(eos + 1), "[PAD]");
  expect_error([] { data::BPETokenizer::train("abc", 256, {"<eos>"}); },
               "BPETokenizer::train: vocab_size 256 is smaller than the 256 bytes plus 1 special tokens");
  expect_error([] { data::BPETokenizer::train("abc", 300, {"\xFF"}); },
               "BPETokenizer::train: a special token is not valid UTF-8 (byte 0xFF at offset 0)");
  expect_error([&] { tok.decode(ids({tok.vocab_size()})); }, "BPETokenizer: token id 276 is out of range for a vocabulary of 276");
}

TEST(BPETokenizer, RoundTripsRandomBytes) {
  std::mt19937_64 rng(5);
  auto tok = data::BPETokenizer::train(random_bytes(rng, 20000), 400, {"<eos>"});
  EXPECT_GT(tok.merges().size(), 100u);
  for (int rep = 0; rep < 300; ++rep) {
    const std::string s = random_bytes(rng, rng() % 200) + (rep % 3 == 0 ? "<eos>" : "");
    ASSERT_EQ(tok.decode(tok.encode(s)), s);
    ASSERT_EQ(tok.decode(tok.encode(s, {.special_tokens = true})), s);
    std::string all(rng() % 64, '\0');
    for (char& c : all) c = static_cast<char>(rng());
    ASSERT_EQ(tok.decode(tok.encode(all)), all);
  }
  // A long piece (one run of letters, and one of spaces) encodes without trouble.
  const std::string run(100000, 'a'), spaces(100000, ' ');
  EXPECT_EQ(tok.decode(tok.encode(run)), run);
  EXPECT_EQ(tok.decode(tok.encode(spaces)), spaces);
  // The untrained tokenizer is plain bytes.
  data::BPETokenizer bytes;
  EXPECT_EQ(bytes.vocab_size(), 256);
  EXPECT_EQ(bytes.encode("\xFF" "a"), ids({255, 97}));
}

TEST(BPETokenizer, SaveLoad) {
  TempDir dir;
  auto tok = data::BPETokenizer::train(kBpeCorpus, 300, {"<eos>", "[MASK]"});
  tok.save(dir.file("bpe.json"));
  auto back = data::BPETokenizer::load(dir.file("bpe.json"));
  EXPECT_EQ(back.merges(), tok.merges());
  EXPECT_EQ(back.special_tokens(), tok.special_tokens());
  auto any = data::load_tokenizer(dir.file("bpe.json"));
  EXPECT_EQ(any->encode(kBpeProbe + "[MASK]", {.special_tokens = true}), tok.encode(kBpeProbe + "[MASK]", {.special_tokens = true}));
  EXPECT_EQ(any->vocab_size(), tok.vocab_size());
}

TEST(BPETokenizer, BadFiles) {
  const auto load = [](const std::string& json) { return data::BPETokenizer::from_json(json, "t.json"); };
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [[1, 2]"); }, "BPETokenizer::load: 't.json' is not valid JSON");
  expect_error([&] { load("{\"type\": \"char\"}"); }, "is a tokenizer of type \"char\", expected \"bpe\"");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [[1, 2, 3]], \"special_tokens\": []}"); },
               "'t.json' has merge 0 = [1,2,3], expected a pair of token ids");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [[1, 256]], \"special_tokens\": []}"); },
               "'t.json' is not a valid tokenizer: BPETokenizer: merge 0 (1, 256) must join two earlier tokens (ids in [0, 256))");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [[1, -1]], \"special_tokens\": []}"); },
               "merge 0 (1, -1) must join two earlier tokens");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [[1, 2], [1, 2]], \"special_tokens\": []}"); },
               "BPETokenizer: merge 1 (1, 2) repeats merge 0");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": [], \"special_tokens\": [\"x\", \"x\"]}"); },
               "BPETokenizer: special token 'x' is given twice");
  expect_error([&] { load("{\"type\": \"bpe\", \"merges\": []}"); }, "'t.json' has no \"special_tokens\"");
}

TEST(BPETokenizer, FuzzedFiles) {
  const std::string json = data::BPETokenizer::train(kBpeCorpus, 290, {"<eos>"}).to_json();
  fuzz(json, [](const std::string& b) {
    auto tok = data::tokenizer_from_json(b);
    const std::string s = "the cat<eos> caf\xC3\xA9";
    if (tok->decode(tok->encode(s)) != s) ADD_FAILURE() << "round trip failed for\n" << b;
  }, 3000, 13);
}

TEST(BPETokenizer, KjvVocabulary1000) {
  if (std::system("command -v bible >/dev/null 2>&1") != 0) GTEST_SKIP() << "the bible program is not installed";
  const std::string text = data::kjv_bible_text();
  const auto t0 = std::chrono::steady_clock::now();
  auto tok = data::BPETokenizer::train(text, 1000);
  const auto t1 = std::chrono::steady_clock::now();
  const std::vector<int64_t> ids = tok.encode(text);
  const auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(tok.vocab_size(), 1000);
  EXPECT_EQ(tok.decode(ids), text);
  // About 2.9 bytes per token at this size (a sanity bound, not a benchmark).
  EXPECT_LT(ids.size(), text.size() / 2);
  std::printf("KJV (%zu bytes): BPE training to 1000 tokens %.2f s, encoding %.2f s, %zu tokens\n", text.size(),
              std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count(),
              ids.size());
}
