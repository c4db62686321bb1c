// Text corpora and token windows: read_text_file, the KJV text and its character ids against
// the PyTorch reference's char_dataset (tests/golden/gen_text.py), TokenWindows and get_batch.
#include <cstdlib>
#include <numeric>

#include "data_helpers.h"

using namespace soma;
using namespace data_test;

namespace {

// Pasted from tests/golden/gen_text.py.
// 4404412 bytes, sha256 cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d
constexpr int64_t kKjvBytes = 4404412;
constexpr int64_t kKjvVocab = 73;
const std::string kKjvChars = "\x0a !'(),-.0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwxyz";
const std::vector<int64_t> kKjvFirstIds = {28, 51, 10, 19, 10, 1, 30, 60, 1, 66, 54, 51, 1, 48, 51, 53, 55, 60, 60, 55, 60, 53, 1, 28};
const std::vector<int64_t> kKjvLastIds = {8, 1, 22, 59, 51, 60, 8, 0};
constexpr int64_t kKjvIdSum = 190795679;
constexpr int64_t kKjvTrainTokens = 3963970;
const std::vector<int64_t> kKjvValFirstIds = {67, 66, 1, 59, 47, 60, 1, 47};

bool have_bible() { return std::system("command -v bible >/dev/null 2>&1") == 0; }

std::vector<int64_t> iota_ids(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 100);
  return v;
}

}  // namespace

TEST(Text, ReadTextFile) {
  TempDir dir;
  write_bytes(dir.file("a.txt"), "In the beginning\n");
  EXPECT_EQ(data::read_text_file(dir.file("a.txt")), "In the beginning\n");
  write_bytes(dir.file("empty.txt"), "");
  expect_error([&] { data::read_text_file(dir.file("empty.txt")); }, "read_text_file: '" + dir.file("empty.txt") + "' is empty");
  expect_error([&] { data::read_text_file(dir.file("missing.txt")); }, "read_text_file: cannot open");
}

TEST(Text, KjvCharIdsMatchReference) {
  if (!have_bible()) GTEST_SKIP() << "the bible program (bible-kjv, bible-kjv-text) is not installed";
  const std::string text = data::kjv_bible_text();
  ASSERT_EQ(static_cast<int64_t>(text.size()), kKjvBytes);
  EXPECT_EQ(text.substr(0, 62), "Ge1:1 In the beginning God created the heaven and the earth.\nG");
  auto tok = data::CharTokenizer::train(text);
  EXPECT_EQ(tok.vocab_size(), kKjvVocab);
  std::string chars;
  for (const std::string& c : tok.chars()) chars += c;
  EXPECT_EQ(chars, kKjvChars);
  const std::vector<int64_t> ids = tok.encode(text);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), kKjvBytes);
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.begin() + 24), kKjvFirstIds);
  EXPECT_EQ(std::vector<int64_t>(ids.end() - 8, ids.end()), kKjvLastIds);
  EXPECT_EQ(std::accumulate(ids.begin(), ids.end(), int64_t{0}), kKjvIdSum);
  EXPECT_EQ(tok.decode(ids), text);

  auto [train, val] = data::TokenWindows(ids, 128).split(0.9);
  EXPECT_EQ(train.tokens().size(0), kKjvTrainTokens);
  EXPECT_EQ(val.tokens().size(0), kKjvBytes - kKjvTrainTokens);
  EXPECT_EQ(val.tokens().narrow(0, 0, 8).to_vector<int64_t>(), kKjvValFirstIds);
}

TEST(Text, TokenWindowsExamples) {
  data::TokenWindows windows(iota_ids(10), 4);  // tokens 100..109
  EXPECT_EQ(windows.size(), 6);
  data::Example e = windows.get(5);
  EXPECT_EQ(e.input.to_vector<int64_t>(), (std::vector<int64_t>{105, 106, 107, 108}));
  EXPECT_EQ(e.target.to_vector<int64_t>(), (std::vector<int64_t>{106, 107, 108, 109}));
  EXPECT_EQ(e.input.dtype(), kInt64);
  const std::vector<int64_t> idx = {0, 5, 2};
  data::Batch b = windows.get_batch(idx);
  EXPECT_EQ(b.input.shape(), (Shape{3, 4}));
  EXPECT_EQ(b.input.to_vector<int64_t>(),
            (std::vector<int64_t>{100, 101, 102, 103, 105, 106, 107, 108, 102, 103, 104, 105}));
  EXPECT_EQ(b.target.to_vector<int64_t>(),
            (std::vector<int64_t>{101, 102, 103, 104, 106, 107, 108, 109, 103, 104, 105, 106}));
  // Works with the DataLoader like any dataset.
  data::DataLoader loader(windows, {.batch_size = 4});
  int64_t batches = 0;
  for (auto& [x, y] : loader) {
    EXPECT_EQ(x.size(1), 4);
    ++batches;
  }
  EXPECT_EQ(batches, 2);
  expect_error([&] { windows.get(6); }, "TokenWindows::get: index 6 is out of range for a dataset of size 6");
}

TEST(Text, SampleDrawsLikeReference) {
  data::TokenWindows windows(iota_ids(20), 5);
  Generator gen(7);
  std::vector<int64_t> seen(windows.size(), 0);
  for (int rep = 0; rep < 200; ++rep) {
    auto [x, y] = windows.sample(8, &gen);
    ASSERT_EQ(x.shape(), (Shape{8, 5}));
    ASSERT_EQ(y.shape(), (Shape{8, 5}));
    const auto xs = x.to_vector<int64_t>(), ys = y.to_vector<int64_t>();
    for (int64_t b = 0; b < 8; ++b) {
      const int64_t start = xs[b * 5] - 100;
      ASSERT_GE(start, 0);
      ++seen[start];
      for (int64_t t = 0; t < 5; ++t) {
        EXPECT_EQ(xs[b * 5 + t], 100 + start + t);
        EXPECT_EQ(ys[b * 5 + t], 101 + start + t);
      }
    }
  }
  // Starts are uniform over [0, n - seq - 1) = [0, 14): the last window (start 14) is never drawn.
  for (int64_t s = 0; s < 14; ++s) EXPECT_GT(seen[s], 60) << s;  // expected 1600 / 14 = 114 each
  EXPECT_EQ(seen[14], 0);
  // Seeded: the same generator state gives the same batch.
  Generator g1(3), g2(3);
  EXPECT_EQ(windows.sample(4, &g1).input.to_vector<int64_t>(), data::get_batch(windows.tokens(), 4, 5, &g2).input.to_vector<int64_t>());
  // With a single window, it is the one drawn.
  data::TokenWindows one(iota_ids(6), 5);
  EXPECT_EQ(one.sample(2, &gen).input.to_vector<int64_t>(), (std::vector<int64_t>{100, 101, 102, 103, 104, 100, 101, 102, 103, 104}));
}

TEST(Text, Split) {
  auto [train, val] = data::TokenWindows(iota_ids(100), 3).split(0.9);
  EXPECT_EQ(train.tokens().size(0), 90);
  EXPECT_EQ(val.tokens().size(0), 10);
  EXPECT_EQ(val.get(0).input.to_vector<int64_t>(), (std::vector<int64_t>{190, 191, 192}));
  EXPECT_EQ(val.size(), 7);
  expect_error([] { data::TokenWindows(iota_ids(20), 3).split(0.9); },
               "TokenWindows::split: a 0.9 / 0.09999999999999998 split of 20 tokens leaves 18 and 2, but each part needs seq_len + 1 = 4");
  expect_error([] { data::TokenWindows(iota_ids(20), 3).split(1.0); }, "fraction must be in (0, 1), got 1");
}

TEST(Text, BadStreams) {
  expect_error([] { data::TokenWindows(iota_ids(4), 4); },
               "TokenWindows: 4 tokens are too few for windows of 4 (need seq_len + 1 = 5)");
  expect_error([] { data::TokenWindows(std::vector<int64_t>{}, 4); }, "TokenWindows: 0 tokens are too few");
  expect_error([] { data::TokenWindows(iota_ids(4), 0); }, "TokenWindows: seq_len must be at least 1, got 0");
  expect_error([] { data::TokenWindows(ones({10}), 2); },
               "TokenWindows: expected a 1-D int64 token tensor, got float32 of shape [10]");
  expect_error([] { data::TokenWindows(zeros({2, 5}, kInt64), 2); }, "got int64 of shape [2, 5]");
  expect_error([] { data::get_batch(from_vector(iota_ids(10)), 0, 3); }, "get_batch: batch must be at least 1, got 0");
  expect_error([] { data::get_batch(from_vector(iota_ids(3)), 2, 3); }, "get_batch: 3 tokens are too few");
}

TEST(Text, NonContiguousStream) {
  Tensor t = from_vector(iota_ids(20)).slice(0, 0, 20, 2);  // 100, 102, ..., 118
  data::TokenWindows windows(t, 3);
  EXPECT_EQ(windows.get(1).target.to_vector<int64_t>(), (std::vector<int64_t>{104, 106, 108}));
  Generator gen(1);
  auto [x, y] = data::get_batch(t, 2, 3, &gen);
  const auto xs = x.to_vector<int64_t>(), ys = y.to_vector<int64_t>();
  EXPECT_EQ(xs[1] - xs[0], 2);
  EXPECT_EQ(ys[0], xs[1]);
}

TEST(Text, KjvMissingProgram) {
  // With an empty PATH the program cannot be found.
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", "/nonexistent", 1);
  try {
    data::kjv_bible_text();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kjv_bible_text: the `bible` program is not installed (Debian packages bible-kjv and bible-kjv-text)"),
              std::string::npos)
        << e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
}
