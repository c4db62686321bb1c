// IDX, MNIST / Fashion-MNIST and CSV readers: values, every kind of bad input, and a seeded
// mutation fuzz (truncations, byte flips) that must only ever raise soma::Error.
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "data_helpers.h"

using namespace soma;
using namespace data_test;

namespace {

// IDX bytes written by hand: magic, big-endian dims, then `payload` as given.
std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(d >> shift));
  return s + payload;
}

std::string gzip_bytes(const std::string& raw) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

// ---- IDX ------------------------------------------------------------------------------------------

TEST(Idx, EveryElementType) {
  TempDir dir;
  // uint8 [2, 3]
  write_bytes(dir.file("u8"), idx_bytes(0x08, {2, 3}, {1, 2, 3, 4, 5, char(255)}));
  Tensor u8 = data::read_idx(dir.file("u8"));
  EXPECT_EQ(u8.dtype(), kUInt8);
  EXPECT_EQ(u8.shape(), (Shape{2, 3}));
  EXPECT_EQ(u8.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 255}));
  // int8 [2]
  EXPECT_EQ(data::parse_idx(idx_bytes(0x09, {2}, {char(-5), 7})).to_vector<int64_t>(), (std::vector<int64_t>{-5, 7}));
  // int16: 0x8001 = -32767, 0x0102 = 258
  Tensor i16 = data::parse_idx(idx_bytes(0x0B, {2}, {char(0x80), 0x01, 0x01, 0x02}));
  EXPECT_EQ(i16.dtype(), kInt16);
  EXPECT_EQ(i16.to_vector<int64_t>(), (std::vector<int64_t>{-32767, 258}));
  // int32 0xFFFFFFFE = -2
  EXPECT_EQ(data::parse_idx(idx_bytes(0x0C, {1}, {char(0xFF), char(0xFF), char(0xFF), char(0xFE)})).to_vector<int64_t>(),
            (std::vector<int64_t>{-2}));
  // float32 1.5 = 0x3FC00000; float64 -0.25 = 0xBFD0000000000000
  Tensor f32 = data::parse_idx(idx_bytes(0x0D, {1, 1}, {0x3F, char(0xC0), 0, 0}));
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_EQ(f32.item<float>(), 1.5f);
  Tensor f64 = data::parse_idx(idx_bytes(0x0E, {1}, {char(0xBF), char(0xD0), 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(f64.item<double>(), -0.25);
  // Zero-sized dims are fine.
  EXPECT_EQ(data::parse_idx(idx_bytes(0x08, {0, 28, 28}, "")).shape(), (Shape{0, 28, 28}));
}

TEST(Idx, GzipDetectedByContentAndRoundTrip) {
  TempDir dir;
  const std::string raw = idx_bytes(0x08, {3}, {9, 8, 7});
  write_bytes(dir.file("labels.bin"), gzip_bytes(raw));  // no .gz in the name
  EXPECT_EQ(data::read_idx(dir.file("labels.bin")).to_vector<int64_t>(), (std::vector<int64_t>{9, 8, 7}));
  write_bytes(dir.file("two.gz"), gzip_bytes(raw.substr(0, 5)) + gzip_bytes(raw.substr(5)));  // two members
  EXPECT_EQ(data::read_idx(dir.file("two.gz")).to_vector<int64_t>(), (std::vector<int64_t>{9, 8, 7}));

  Generator gen(3);
  for (DType dt : {kUInt8, kInt8, kInt16, kInt32, kFloat32, kFloat64}) {
    Tensor t = (rand({4, 3, 2}, kFloat64, &gen) * 100).to(dt);
    for (bool gz : {false, true}) {
      data::write_idx(dir.file("t"), t, gz);
      Tensor back = data::read_idx(dir.file("t"));
      EXPECT_EQ(back.dtype(), dt);
      EXPECT_EQ(back.shape(), t.shape());
      EXPECT_EQ(back.to_vector<double>(), t.to_vector<double>());
    }
  }
  expect_error([&] { data::write_idx(dir.file("x"), zeros({2}, kInt64)); }, "dtype int64 has no IDX element type");
}

TEST(Idx, BadInputErrors) {
  expect_error([] { data::parse_idx("\0\0", "f"); }, "'f' is too short for an IDX header");
  expect_error([] { data::parse_idx(std::string("\x01\0\x08\x01", 4), "f"); }, "'f' is not an IDX file (magic bytes 01 00");
  expect_error([] { data::parse_idx(idx_bytes(0x0A, {1}, "x"), "f"); }, "unknown element type 0x0a");
  expect_error([] { data::parse_idx(idx_bytes(0x08, {}, ""), "f"); }, "has 0 dims");
  expect_error([] { data::parse_idx(idx_bytes(0x08, {2, 2}, "abc"), "f"); },
               "has 3 bytes of data after the header, but dims [2, 2] of 1-byte elements need 4");
  expect_error([] { data::parse_idx(idx_bytes(0x08, {2}, "abc"), "f"); }, "need 2");  // too long too
  expect_error([] { data::parse_idx(idx_bytes(0x0E, {1}, "abcd"), "f"); }, "of 8-byte elements need 8");
  expect_error([] { data::parse_idx(idx_bytes(0x08, {65536, 65536, 65536}, "abc"), "f"); }, "too large");
  expect_error([] { data::parse_idx(idx_bytes(0x08, {3, 3}, "").substr(0, 9), "f"); }, "'f' is truncated");
  expect_error([] { data::read_idx("/nonexistent/soma/file"); }, "cannot open '/nonexistent/soma/file'");
  TempDir dir;
  const std::string gz = gzip_bytes(idx_bytes(0x08, {4}, "abcd"));
  write_bytes(dir.file("cut.gz"), gz.substr(0, gz.size() - 6));
  expect_error([&] { data::read_idx(dir.file("cut.gz")); }, "corrupt or truncated gzip data in '");
  write_bytes(dir.file("junk.gz"), gz + "xyz");
  expect_error([&] { data::read_idx(dir.file("junk.gz")); }, "trailing bytes after the gzip stream");
}

TEST(Idx, FuzzTruncationsAndMutations) {
  const std::string raw = idx_bytes(0x0B, {3, 2, 2}, std::string(24, '\x11'));
  auto parse = [](const std::string& b) { data::parse_idx(b, "fuzz"); };
  fuzz(raw, parse, 400, 1);
  fuzz(gzip_bytes(raw), parse, 400, 2);
}

// ---- MNIST / Fashion-MNIST ------------------------------------------------------------------------

TEST(Mnist, SmallFilesInAGivenRoot) {
  TempDir dir;
  std::vector<uint8_t> pixels(3 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 256);
  Tensor images = from_vector(pixels, {3, 28, 28});
  data::write_idx(dir.file("t10k-images-idx3-ubyte"), images);
  data::write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), tensor({4, 0, 9}, kUInt8), true);
  data::MNIST test("test", {.root = dir.file("")});
  EXPECT_EQ(test.size(), 3);
  auto e = test.get(1);
  EXPECT_EQ(e.input.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(e.input.dtype(), kFloat32);
  EXPECT_FLOAT_EQ(e.input.to_vector<float>()[5], static_cast<float>((784 + 5) % 256) / 255.0f);
  EXPECT_EQ(e.target.item<int64_t>(), 0);
  auto b = test.get_batch(std::vector<int64_t>{2, 0});
  EXPECT_EQ(b.input.shape(), (Shape{2, 1, 28, 28}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{9, 4}));
  EXPECT_EQ(b.input.select(0, 1).to_vector<float>(), test.get(0).input.to_vector<float>());
  data::MNIST raw("test", {.root = dir.file(""), .dtype = kUInt8});
  EXPECT_EQ(raw.get_batch(std::vector<int64_t>{1}).input.to_vector<int64_t>()[5], (784 + 5) % 256);
  EXPECT_EQ(raw.classes().size(), 10u);

  expect_error([&] { data::MNIST("train", {.root = dir.file("")}); }, "cannot find train-images-idx3-ubyte");
  expect_error([&] { data::MNIST("val", {.root = dir.file("")}); }, "split must be \"train\" or \"test\"");
  data::write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), tensor({4, 0, 10}, kUInt8), true);
  expect_error([&] { data::MNIST("test", {.root = dir.file("")}); }, "has 1 labels outside 0..9");
  data::write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), tensor({4, 0}, kUInt8), true);
  expect_error([&] { data::MNIST("test", {.root = dir.file("")}); }, "should hold 3 uint8 labels");
}

// A SOMA_DATA directory is the only place looked in: a split or file it lacks, or a directory
// where a file should be, is an error naming it (never the installed data set instead).
TEST(Mnist, SomaDataMustHoldEveryFileItIsUsedFor) {
  TempDir dir;
  const char* previous = std::getenv("SOMA_DATA");
  const std::string saved = previous ? previous : "";
  ::setenv("SOMA_DATA", dir.file("").c_str(), 1);
  data::write_idx(dir.file("t10k-images-idx3-ubyte"), zeros({2, 28, 28}, kUInt8));
  data::write_idx(dir.file("t10k-labels-idx1-ubyte"), tensor({1, 2}, kUInt8));
  EXPECT_EQ(data::FashionMNIST("test").size(), 2);
  expect_error([] { data::FashionMNIST("train"); }, "cannot find train-images-idx3-ubyte and train-labels-idx1-ubyte");
  expect_error([] { data::FashionMNIST("train"); }, "the directories of SOMA_DATA");
  data::write_idx(dir.file("train-images-idx3-ubyte"), zeros({2, 28, 28}, kUInt8));
  expect_error([] { data::FashionMNIST("train"); }, "train-labels-idx1-ubyte (or .gz) is missing (SOMA_DATA");
  std::filesystem::create_directory(dir.file("train-labels-idx1-ubyte"));
  expect_error([] { data::FashionMNIST("train"); }, "train-labels-idx1-ubyte' is not a regular file");
  if (previous)
    ::setenv("SOMA_DATA", saved.c_str(), 1);
  else
    ::unsetenv("SOMA_DATA");
}

// Fashion-MNIST as installed (Debian's dataset-fashion-mnist, or $SOMA_DATA). Expected values
// from tests/golden/gen_data.py (gzip + struct + numpy).
TEST(Mnist, FashionMnistFiles) {
  std::unique_ptr<data::FashionMNIST> train, test;
  try {
    train = std::make_unique<data::FashionMNIST>("train");
    test = std::make_unique<data::FashionMNIST>("test");
  } catch (const soma::Error& e) {
    GTEST_SKIP() << e.what();
  }
  EXPECT_EQ(train->images().shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(test->images().shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(train->labels().slice(0, 0, 10).to_vector<int64_t>(), (std::vector<int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(test->labels().slice(0, 0, 10).to_vector<int64_t>(), (std::vector<int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
  EXPECT_EQ(train->images().sum().item<int64_t>(), 3431114169);
  EXPECT_EQ(test->images().sum().item<int64_t>(), 573469082);
  EXPECT_EQ(train->images()[0].sum().item<int64_t>(), 76247);
  EXPECT_EQ(train->images()[59999].sum().item<int64_t>(), 16684);
  EXPECT_EQ(test->images()[9999].sum().item<int64_t>(), 24390);
  EXPECT_EQ(train->classes()[9], "Ankle boot");
  auto x = train->get(0).input;
  EXPECT_NEAR(x.to(kFloat64).sum().item<double>(), 76247.0 / 255, 1e-3);
  EXPECT_GE(x.min().item<double>(), 0);
  EXPECT_LE(x.max().item<double>(), 1);
  data::DataLoader loader(*train, {.batch_size = 128, .shuffle = true, .seed = 1});
  EXPECT_EQ(loader.size(), 469);
  // One epoch doing nothing else: the loader's own throughput.
  const auto t0 = std::chrono::steady_clock::now();
  int64_t batches = 0, examples = 0;
  for (auto& [x, y] : loader) {
    EXPECT_EQ(x.shape(), (Shape{y.size(0), 1, 28, 28}));
    ++batches;
    examples += y.size(0);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(batches, 469);
  EXPECT_EQ(examples, 60000);
  std::printf("FashionMNIST train, batch 128, shuffled: %.0f batches/s\n", batches / seconds);
}

// ---- CSV -----------------------------------------------------------------------------------------

TEST(Csv, HeaderTargetAndCategories) {
  const std::string text =
      "sepal length,color,\"size, cm\",species\r\n"
      "5.1,red,1e1,setosa\r\n"
      "\r\n"
      " 4.9 ,blue,+2,versicolor\r\n"
      "6.0,red,-3.5,setosa\n";
  auto t = data::parse_csv(text, {.target = "species"}, "iris.csv");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"sepal length", "color", "size, cm"}));
  EXPECT_EQ(t.data.shape(), (Shape{3, 3}));
  EXPECT_EQ(t.data.dtype(), kFloat32);
  EXPECT_EQ(t.data.to_vector<double>(), (std::vector<double>{5.1f, 1, 10, 4.9f, 0, 2, 6, 1, -3.5}));
  EXPECT_EQ(t.categories[1], (std::vector<std::string>{"blue", "red"}));
  EXPECT_TRUE(t.categories[0].empty());
  EXPECT_EQ(t.target_name, "species");
  EXPECT_EQ(t.target.dtype(), kInt64);
  EXPECT_EQ(t.target.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(t.target_categories, (std::vector<std::string>{"setosa", "versicolor"}));
  // By index, no header, other delimiter, numeric target, float64.
  auto u = data::parse_csv("1;2;3\n4;5;6\n", {.delimiter = ';', .target = -1, .dtype = kFloat64});
  EXPECT_EQ(u.columns, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(u.data.to_vector<double>(), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(u.target.dtype(), kFloat64);
  EXPECT_EQ(u.target.to_vector<double>(), (std::vector<double>{3, 6}));
  EXPECT_FALSE(data::parse_csv("1,2\n").target.defined());
}

TEST(Csv, QuotingAndHeaderDetection) {
  auto q = data::parse_csv("name,x\n\"a \"\"b\"\", c\",1\n\"multi\nline\",2\n", {.target = "name"});
  EXPECT_EQ(q.target_categories, (std::vector<std::string>{"a \"b\", c", "multi\nline"}));
  EXPECT_EQ(q.data.to_vector<double>(), (std::vector<double>{1, 2}));
  // All-text tables need header set explicitly; a numeric first row is data.
  EXPECT_EQ(data::parse_csv("a,b\nc,d\n").data.size(0), 2);
  EXPECT_EQ(data::parse_csv("a,b\nc,d\n", {.header = true}).data.size(0), 1);
  EXPECT_EQ(data::parse_csv("1,2\n3,4\n").data.size(0), 2);
  EXPECT_EQ(data::parse_csv("x,y\n3,4\n").columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(data::parse_csv("x,y\n3,4\n", {.header = false}).data.size(0), 2);  // then categorical
}

TEST(Csv, MissingValues) {
  const std::string text = "a,b,c\n1,NA,x\n,2,\n3,?,y\n";
  auto t = data::parse_csv(text, {.missing = data::Missing::NaN});
  const std::vector<double> v = t.data.to_vector<double>();
  EXPECT_EQ(v[0], 1);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 0);  // category "x"
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(v[4], 2);
  EXPECT_TRUE(std::isnan(v[5]));
  EXPECT_EQ(v[8], 1);
  expect_error([&] { data::parse_csv(text, {}, "t.csv"); }, "'t.csv' line 3, column 1 ('a'): missing value");
  expect_error([&] { data::parse_csv(text, {.target = "c", .missing = data::Missing::NaN}, "t.csv"); },
               "line 3, column 3 ('c'): missing target value");
}

TEST(Csv, Errors) {
  expect_error([] { data::parse_csv("a,b\n1,2\n3\n", {}, "r.csv"); }, "'r.csv' line 3 has 1 fields, expected 2 (as on line 1)");
  expect_error([] { data::parse_csv("a,b\n1,2\n3,4x\n", {}, "r.csv"); }, "'r.csv' line 3, column 2 ('b'): '4x' is not a number");
  expect_error([] { data::parse_csv("a\n\"open\n", {}, "r.csv"); }, "a quoted field is not closed");
  expect_error([] { data::parse_csv("a,b\n\"x\"y,1\n", {}, "r.csv"); }, "line 2, column 1: unexpected 'y' after a closing quote");
  expect_error([] { data::parse_csv("a,b\n1,2\n", {.target = "c"}, "r.csv"); }, "'r.csv' has no column named 'c'");
  expect_error([] { data::parse_csv("1,2\n", {.target = 2}); }, "target column 2 is out of range");
  expect_error([] { data::parse_csv("\n\n"); }, "has no rows");
  expect_error([] { data::parse_csv("1\n", {.dtype = kInt32}); }, "dtype must be float32 or float64");
  expect_error([] { data::read_csv("/nonexistent/x.csv"); }, "read_csv: cannot open '/nonexistent/x.csv'");
}

TEST(Csv, ReadsFilesAndFuzz) {
  TempDir dir;
  const std::string text = "x,y,label\n1.5,2,cat\n3,-4e-1,dog\n\"5\",6,cat\n";
  write_bytes(dir.file("t.csv"), text);
  auto t = data::read_csv(dir.file("t.csv"), {.target = "label"});
  EXPECT_EQ(t.data.to_vector<double>(), (std::vector<double>{1.5, 2, 3, -0.4f, 5, 6}));
  write_bytes(dir.file("t.csv.gz"), gzip_bytes(text));
  EXPECT_EQ(data::read_csv(dir.file("t.csv.gz"), {.target = "label"}).target.to_vector<int64_t>(),
            (std::vector<int64_t>{0, 1, 0}));
  fuzz(text, [](const std::string& b) { data::parse_csv(b, {.missing = data::Missing::NaN}); }, 500, 3);
}
