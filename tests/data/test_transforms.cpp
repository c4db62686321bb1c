// Transforms (scalers against scikit-learn: tests/golden/gen_data.py) and augmentation
// (closed-form cases, determinism per seed, shapes).
#include <cmath>

#include "data_helpers.h"

using namespace soma;
using namespace data_test;

namespace {

// tests/golden/gen_data.py (sklearn.preprocessing)
const std::vector<double> kScalerX = {1.0, 5.0, -2.0, 3.0, 2.0, 5.0, 0.5, 1.0, 4.0, 5.0, 7.0, 3.0, 8.5, 5.0, 1.0, -6.0, 0.0, 5.0, 2.0, 2.0};
const std::vector<double> kScalerXTest = {3.0, 4.0, 1.0, 0.0, -1.0, 6.0, 10.0, 5.0};
const std::vector<double> kStdMean = {3.1, 5.0, 1.7, 0.6};
const std::vector<double> kStdScale = {3.006659275674582, 1.0, 2.9597297173897488, 3.3823069050575527};
const std::vector<double> kStdTest = {-0.03325950526188699, -1.0, -0.23650808243982002, -0.17739371879672478, -1.3636397157373654, 1.0, 2.8043101203578664, 1.3008872711759818};
const std::vector<double> kMinMaxTest = {0.3529411764705882, -1.0, 0.3333333333333333, 0.6666666666666666, -0.11764705882352941, 1.0, 1.3333333333333335, 1.2222222222222223};
const std::vector<double> kMinMaxRangeTest = {0.05882352941176472, -4.0, -5.551115123125783e-17, 1.0, -1.3529411764705883, 2.0, 2.9999999999999996, 2.6666666666666665};
const std::vector<double> kStdNanMean = {3.375, 5.0, 1.875, 0.6};
const std::vector<double> kStdNanScale = {3.3048260166005714, 1.0, 3.2858598570237287, 3.3823069050575527};

void expect_near(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

Tensor image(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  Generator gen(seed);
  return rand({c, h, w}, kFloat32, &gen);
}

}  // namespace

TEST(Transforms, StandardScalerMatchesSklearn) {
  Tensor x = tensor(kScalerX, {5, 4}, kFloat64), xt = tensor(kScalerXTest, {2, 4}, kFloat64);
  data::StandardScaler s;
  s.fit(x);
  expect_near(values(s.mean()), kStdMean, 1e-12);
  expect_near(values(s.scale()), kStdScale, 1e-12);  // the constant feature gets scale 1
  expect_near(values(s.transform(xt)), kStdTest, 1e-12);
  expect_near(values(s.inverse_transform(s.transform(xt))), kScalerXTest, 1e-12);
  // float32 in, float32 out.
  Tensor y = data::StandardScaler().fit_transform(x.to(kFloat32));
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_near(values(y.mean({0})), {0, 0, 0, 0}, 1e-6);
  // NaNs are ignored when fitting.
  std::vector<double> xn = kScalerX;
  xn[4] = NAN;
  xn[14] = NAN;
  data::StandardScaler sn;
  sn.fit(tensor(xn, {5, 4}, kFloat64));
  expect_near(values(sn.mean()), kStdNanMean, 1e-12);
  expect_near(values(sn.scale()), kStdNanScale, 1e-12);
  EXPECT_TRUE(std::isnan(values(sn.transform(tensor(xn, {5, 4}, kFloat64)))[4]));
  // Without centering or scaling.
  expect_near(values(data::StandardScaler({.with_mean = false}).fit(x).transform(xt)),
              {3 / kStdScale[0], 4.0, 1 / kStdScale[2], 0, -1 / kStdScale[0], 6.0, 10 / kStdScale[2], 5 / kStdScale[3]},
              1e-12);
  expect_error([&] { data::StandardScaler().transform(x); }, "StandardScaler.transform: the scaler is not fitted");
  expect_error([&] { s.transform(zeros({2, 3}, kFloat64)); }, "x has 3 features, but the scaler was fitted on 4");
  expect_error([&] { s.fit(zeros({4}, kFloat64)); }, "expected a non-empty floating-point tensor [samples, features]");
}

TEST(Transforms, MinMaxScalerMatchesSklearn) {
  Tensor x = tensor(kScalerX, {5, 4}, kFloat64), xt = tensor(kScalerXTest, {2, 4}, kFloat64);
  data::MinMaxScaler m;
  m.fit(x);
  expect_near(values(m.transform(xt)), kMinMaxTest, 1e-12);
  expect_near(values(m.inverse_transform(m.transform(xt))), kScalerXTest, 1e-12);
  expect_near(values(m.data_min()), {0, 5, -2, -6}, 0);
  data::MinMaxScaler r({.range_min = -1, .range_max = 2});
  expect_near(values(r.fit(x).transform(xt)), kMinMaxRangeTest, 1e-12);
  expect_error([] { data::MinMaxScaler({.range_min = 1, .range_max = 1}); }, "the range must have min < max");
}

TEST(Transforms, ToFloatNormalizeOneHot) {
  Tensor bytes = tensor({0, 51, 255}, kUInt8);
  EXPECT_EQ(values(data::ToFloat{}(bytes)), (std::vector<double>{0, 0.2f, 1}));
  // (x - mean) / std per channel.
  Tensor img = ones({2, 2, 2});
  Tensor n = data::Normalize{{0.5, 0.25}, {0.5, 0.25}}(img);
  EXPECT_EQ(values(n), (std::vector<double>{1, 1, 1, 1, 3, 3, 3, 3}));
  const data::Normalize batch_norm{{0.5}, {2}};
  EXPECT_EQ(batch_norm(ones({3, 4, 2, 2})).shape(), (Shape{3, 4, 2, 2}));
  expect_error([&] { data::Normalize{{0.5, 0.5, 0.5}, {1}}(img); }, "mean has 3 values for an image with 2 channels");
  expect_error([&] { data::Normalize{{0.5}, {0}}(img); }, "std must be nonzero");
  Tensor oh = data::one_hot(tensor({2, 0}, kInt64), 3);
  EXPECT_EQ(oh.dtype(), kFloat32);
  EXPECT_EQ(values(oh), (std::vector<double>{0, 0, 1, 1, 0, 0}));
}

TEST(Augment, FlipCropClosedForms) {
  Tensor img = image(3, 5, 6, 1);
  Generator gen(0);
  data::RandomHorizontalFlip always{.p = 1}, never{.p = 0};
  EXPECT_EQ(values(always(always(img, gen), gen)), values(img));  // twice = identity
  EXPECT_EQ(values(always(img, gen)), values(flip(img, {2})));
  EXPECT_TRUE(never(img, gen).is_same(img));
  // A full-size crop without padding is the image; with padding, every crop is a window of
  // the zero-padded image.
  EXPECT_EQ(values(data::RandomCrop{.size = 5}(img.narrow(2, 0, 5), gen)), values(img.narrow(2, 0, 5)));
  Tensor padded = zeros({3, 9, 10});
  padded.narrow(1, 2, 5).narrow(2, 2, 6).copy_(img);
  for (int k = 0; k < 20; ++k) {
    Tensor c = data::RandomCrop{.size = 4, .padding = 2}(img, gen);
    EXPECT_EQ(c.shape(), (Shape{3, 4, 4}));
    bool found = false;
    for (int64_t y = 0; y <= 5 && !found; ++y)
      for (int64_t x = 0; x <= 6 && !found; ++x)
        found = values(padded.narrow(1, y, 4).narrow(2, x, 4)) == values(c);
    EXPECT_TRUE(found);
  }
  expect_error([&] { data::RandomCrop{.size = 10}(img, gen); }, "crop size 10 is larger than the padded image 5 x 6");
}

TEST(Augment, AffineClosedForms) {
  Tensor img = image(2, 6, 6, 2);
  expect_near(values(data::affine(img, 0, 0, 0, 1)), values(img), 1e-7);
  // 90 degrees counter-clockwise is torch.rot90(x, 1, (1, 2)): out[y][x] = in[x][W - 1 - y].
  expect_near(values(data::affine(img, 90, 0, 0, 1)), values(flip(img.transpose(1, 2), {1})), 1e-6);
  expect_near(values(data::affine(img, 360, 0, 0, 1)), values(img), 1e-6);
  // A whole-pixel shift moves the image and fills with zeros.
  Tensor shifted = data::affine(img, 0, 2, 1, 1);
  Tensor expected = zeros({2, 6, 6});
  expected.narrow(1, 1, 5).narrow(2, 2, 4).copy_(img.narrow(1, 0, 5).narrow(2, 0, 4));
  expect_near(values(shifted), values(expected), 1e-7);
  // Scaling a constant image by 2 about the center keeps it constant.
  expect_near(values(data::affine(ones({1, 4, 4}), 0, 0, 0, 2)), std::vector<double>(16, 1.0), 1e-7);
  // A half-pixel shift of a single bright pixel splits it between two neighbors.
  Tensor dot = zeros({1, 3, 3});
  dot.narrow(1, 1, 1).narrow(2, 1, 1).fill_(1.0);
  expect_near(values(data::affine(dot, 0, 0.5, 0, 1)), {0, 0, 0, 0, 0.5, 0.5, 0, 0, 0}, 1e-7);
}

TEST(Augment, DeterministicPerSeedAndShapePreserving) {
  Tensor img = image(1, 28, 28, 3);
  auto run = [&](uint64_t seed) {
    data::Compose chain({data::RandomCrop{.size = 28, .padding = 2}, data::RandomHorizontalFlip{},
                         data::RandomRotation{.degrees = 15},
                         data::RandomAffine{.degrees = 10, .translate = {0.1, 0.1}, .scale = {0.9, 1.1}},
                         data::GaussianNoise{.std = 0.05}, data::RandomErasing{.p = 1},
                         data::Normalize{{0.5}, {0.5}}},
                        seed);
    std::vector<double> out;
    for (int k = 0; k < 3; ++k) {
      Tensor y = chain(img);
      EXPECT_EQ(y.shape(), img.shape());
      EXPECT_EQ(y.dtype(), kFloat32);
      for (double v : values(y)) out.push_back(v);
    }
    return out;
  };
  const std::vector<double> a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
  // Successive calls draw fresh parameters.
  EXPECT_NE(std::vector<double>(a.begin(), a.begin() + 784), std::vector<double>(a.begin() + 784, a.begin() + 1568));
}

TEST(Augment, NoiseAndErasing) {
  Generator gen(4);
  Tensor flat = full({1, 64, 64}, 0.5);
  Tensor noisy = data::GaussianNoise{.std = 0.1}(flat, gen);
  EXPECT_NEAR((noisy - flat).std().item<double>(), 0.1, 0.01);
  Tensor wild = data::GaussianNoise{.std = 2}(flat, gen);
  EXPECT_GE(wild.min().item<double>(), 0);
  EXPECT_LE(wild.max().item<double>(), 1);
  // Erasing sets one rectangle to the value, of an area in the allowed range.
  Tensor img = ones({3, 20, 20});
  for (int k = 0; k < 10; ++k) {
    Tensor e = data::RandomErasing{.p = 1, .scale = {0.1, 0.2}, .value = 0}(img, gen);
    const double erased = 400 - e[0].sum().item<double>();
    EXPECT_GE(erased, 0.05 * 400);
    EXPECT_LE(erased, 0.3 * 400);
    EXPECT_EQ(values(e[0]), values(e[2]));  // the same region in every channel
  }
  EXPECT_TRUE(data::RandomErasing{.p = 0}(img, gen).is_same(img));
}

TEST(Augment, InALoader) {
  Tensor x = rand({10, 1, 8, 8}), y = arange(0, 10, 1, kInt64);
  auto epoch = [&] {
    data::Transformed augmented(data::TensorDataset(x, y), data::Compose({data::RandomHorizontalFlip{}}, 3));
    data::DataLoader loader(std::move(augmented), {.batch_size = 4});
    std::vector<double> out;
    for (auto& [bx, by] : loader) {
      EXPECT_EQ(bx.size(1), 1);
      for (double v : values(bx)) out.push_back(v);
    }
    return out;
  };
  EXPECT_EQ(epoch(), epoch());
}
