// data::mask_tokens: BERT's 80/10/10 corruption, checked statistically on a large sample.
#include <gtest/gtest.h>

#include <cmath>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

// |observed - n p| within 4 standard deviations of a binomial(n, p).
void expect_binomial(int64_t observed, int64_t n, double p, const char* what) {
  const double sigma = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::abs(observed - n * p), 4 * sigma) << what << ": " << observed << " of " << n << ", expected p=" << p;
}

// [10, 20] ids i % 20.
Tensor cycle_ids() {
  std::vector<int64_t> v(200);
  for (int64_t i = 0; i < 200; ++i) v[i] = i % 20;
  return from_vector(v, {10, 20});
}

}  // namespace

TEST(MaskTokens, ProportionsAndSpecialTokens) {
  const int64_t V = 50, kPad = 0, kCls = 1, kMask = 3;
  Generator gen(7);
  // 400 x 256 ids uniform over the vocabulary, so specials (0..3) appear too.
  Tensor ids = randint(0, V, {400, 256}, kInt64, &gen);
  auto [inputs, labels] = data::mask_tokens(ids, {.mask_id = kMask, .vocab_size = V, .special_ids = {kPad, kCls, 2, kMask}}, &gen);
  ASSERT_EQ(inputs.shape(), ids.shape());
  ASSERT_EQ(labels.dtype(), kInt64);
  const auto id = ids.to_vector<int64_t>(), in = inputs.to_vector<int64_t>(), lab = labels.to_vector<int64_t>();
  int64_t eligible = 0, selected = 0, masked = 0, kept = 0, replaced = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool special = id[i] <= kMask;
    eligible += !special;
    if (lab[i] == -100) {
      EXPECT_EQ(in[i], id[i]) << "an unselected token changed at " << i;
      continue;
    }
    ASSERT_FALSE(special) << "special token " << id[i] << " selected at " << i;
    ASSERT_EQ(lab[i], id[i]);
    ++selected;
    masked += in[i] == kMask;
    kept += in[i] == id[i];
    replaced += in[i] != kMask && in[i] != id[i];
    ASSERT_TRUE(in[i] >= 0 && in[i] < V);
  }
  expect_binomial(selected, eligible, 0.15, "selected");
  // A random replacement (10%) is uniform over V ids: it may hit [MASK] or the original token.
  expect_binomial(masked, selected, 0.8 + 0.1 / V, "[MASK]");
  expect_binomial(kept, selected, 0.1 + 0.1 / V, "kept");
  expect_binomial(replaced, selected, 0.1 * (1 - 2.0 / V), "random");
  // The random replacements cover the vocabulary, specials included (as in BERT).
  std::vector<int64_t> seen(V, 0);
  for (size_t i = 0; i < id.size(); ++i)
    if (lab[i] != -100 && in[i] != kMask && in[i] != id[i]) ++seen[in[i]];
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 0), 1);  // only [MASK] itself is never counted
}

TEST(MaskTokens, ReproducibleAndEdgeProbabilities) {
  Tensor ids = cycle_ids();
  Generator g1(3), g2(3);
  const data::MaskOptions o{.mask_id = 19, .vocab_size = 20};
  auto a = data::mask_tokens(ids, o, &g1), b = data::mask_tokens(ids, o, &g2);
  EXPECT_TRUE(equal(a.inputs, b.inputs) && equal(a.labels, b.labels));
  auto none = data::mask_tokens(ids, {.prob = 0, .mask_id = 19, .vocab_size = 20});
  EXPECT_TRUE(equal(none.inputs, ids));
  EXPECT_TRUE((none.labels == -100).all().item<bool>());
  auto all = data::mask_tokens(ids, {.prob = 1, .mask_id = 19, .vocab_size = 20, .special_ids = {5}, .ignore_index = -1});
  EXPECT_TRUE(equal(all.labels, ids.masked_fill(ids == 5, -1)));
  EXPECT_TRUE(equal(ids, cycle_ids()));  // input untouched
}

TEST(MaskTokens, BadInput) {
  Tensor ids = zeros({2, 3}, kInt64);
  EXPECT_NE(error_of([&] { data::mask_tokens(zeros({6}, kInt64), {.mask_id = 1, .vocab_size = 5}); })
                .find("mask_tokens: ids must be int64 [B, T], got int64 [6]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { data::mask_tokens(zeros({2, 3}), {.mask_id = 1, .vocab_size = 5}); }).find("got float32"),
            std::string::npos);
  EXPECT_NE(error_of([&] { data::mask_tokens(ids, {.mask_id = 5, .vocab_size = 5}); })
                .find("mask_id 5 is not in [0, vocab_size=5)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { data::mask_tokens(ids, {.prob = 1.5, .mask_id = 1, .vocab_size = 5}); }).find("prob must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { data::mask_tokens(full({2, 3}, 9, kInt64), {.mask_id = 1, .vocab_size = 5}); })
                .find("token id 9 at flat position 0 is not in [0, vocab_size=5)"),
            std::string::npos);
}
