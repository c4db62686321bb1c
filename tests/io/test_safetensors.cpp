// safetensors: round trips, files from and for independent readers/writers, validation of
// corrupt files (a seeded mutation fuzz), and atomic saves.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "error_of.h"
#include "io_helpers.h"

using namespace soma;
using namespace io_test;

namespace {

// A state dict with every dtype, a 0-d, an empty, a transposed and a sliced tensor.
StateDict sample_dict() {
  manual_seed(3);
  StateDict d;
  d["w.f32"] = randn({3, 4});
  d["w.f64"] = tensor({1.0 / 3, -0.0, NAN, INFINITY, -1e300}, kFloat64);
  d["w.bf16"] = randn({5}).to(kBFloat16);
  d["w.f16"] = randn({2, 3}).to(kFloat16);
  d["steps"] = scalar_tensor(int64_t{1} << 40);
  d["idx"] = arange(-3, 4).to(kInt32);
  d["i16"] = tensor({-32768, 32767, -5}, kInt16);
  d["i8"] = tensor({-128, 127, 0}, kInt8);
  d["u8"] = tensor({0, 255, 9}, kUInt8);
  d["mask"] = tensor({1, 0, 1, 1}, kBool);
  d["empty"] = zeros({0, 7});
  d["transposed"] = randn({4, 3}, kFloat64).t();
  d["sliced"] = arange(0, 20).reshape({4, 5}).slice(1, 1, std::nullopt, 2);
  return d;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

uint64_t le64(const std::string& b, size_t at = 0) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// A file of the given header text and data bytes.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header + data;
}

}  // namespace

TEST(Safetensors, RoundTripExact) {
  TempDir dir;
  const StateDict d = sample_dict();
  const io::Metadata meta = {{"format", "pt"}, {"epoch", "3"}, {"ünïcode", "✓"}};
  io::save(d, dir / "a.safetensors", meta);
  const io::Loaded back = io::load_with_metadata(dir / "a.safetensors");
  EXPECT_EQ(back.metadata, meta);
  ASSERT_EQ(back.tensors.size(), d.size());
  for (const auto& [name, t] : d) {
    expect_same(back.tensors.at(name), t, name);
    EXPECT_TRUE(back.tensors.at(name).is_contiguous());
  }
  EXPECT_EQ(io::load(dir / "a.safetensors").size(), d.size());
  // The file and the in-memory form are the same bytes; both read back alike.
  EXPECT_TRUE(read_bytes(dir / "a.safetensors") == io::serialize(d, meta));
  EXPECT_EQ(io::deserialize(io::serialize(d, meta)).metadata, meta);
  // An empty dict is a valid file too.
  io::save({}, dir / "empty.safetensors");
  EXPECT_TRUE(io::load(dir / "empty.safetensors").empty());
}

TEST(Safetensors, LargeTensorsAndOverwrite) {
  TempDir dir;
  manual_seed(5);
  StateDict d = {{"big", randn({3 << 18})}, {"small", ones({3})}};  // 3 MiB: past the write buffer
  io::save(d, dir / "big.safetensors");
  io::save(d, dir / "big.safetensors");  // saving over an existing file
  const StateDict back = io::load(dir / "big.safetensors");
  for (const auto& [name, t] : d) expect_same(back.at(name), t, name);
}

// (b) A file soma wrote, read by hand: the header length, the JSON (parsed here, not by soma)
// and each tensor's bytes at its offsets, against the original values.
TEST(Safetensors, LayoutReadByHand) {
  TempDir dir;
  const StateDict d = sample_dict();
  io::save(d, dir / "a.safetensors", {{"k", "v"}});
  const std::string b = read_bytes(dir / "a.safetensors");
  const uint64_t n = le64(b);
  ASSERT_LE(8 + n, b.size());
  EXPECT_EQ(n % 8, 0u);  // padded with spaces like the reference writer
  const std::string text = b.substr(8, n);
  EXPECT_EQ(text.front(), '{');
  EXPECT_EQ(text.find_last_not_of(' '), text.rfind('}'));
  const nlohmann::json h = nlohmann::json::parse(text);
  EXPECT_EQ(h.at("__metadata__"), nlohmann::json({{"k", "v"}}));
  const std::map<std::string, std::pair<const char*, size_t>> codes = {
      {"F32", {"float32", 4}}, {"F64", {"float64", 8}}, {"BF16", {"bfloat16", 2}},
      {"F16", {"float16", 2}}, {"I64", {"int64", 8}},   {"I32", {"int32", 4}},
      {"I16", {"int16", 2}},   {"I8", {"int8", 1}},     {"U8", {"uint8", 1}},
      {"BOOL", {"bool", 1}}};
  uint64_t covered = 0;
  for (const auto& [name, t] : d) {
    const nlohmann::json& e = h.at(name);
    const auto [dname, size] = codes.at(e.at("dtype").get<std::string>());
    EXPECT_EQ(dname, dtype_name(t.dtype())) << name;
    EXPECT_EQ(e.at("shape").get<std::vector<int64_t>>(), t.shape().vec()) << name;
    const uint64_t begin = e.at("data_offsets")[0], end = e.at("data_offsets")[1];
    EXPECT_EQ(begin % size, 0u) << name << ": tensors are aligned to their element size";
    ASSERT_EQ(end - begin, t.numel() * size) << name;
    ASSERT_LE(8 + n + end, b.size());
    EXPECT_TRUE(b.substr(8 + n + begin, end - begin) == bytes_of(t)) << name;
    covered += end - begin;
  }
  EXPECT_EQ(covered, b.size() - 8 - n);
}

// (a) A file from an independent writer (tests/golden/gen_io.py: json + struct only, unaligned
// offsets, Python's JSON separators).
TEST(Safetensors, ReadsIndependentFile) {
  // 841 bytes, from tests/golden/gen_io.py
  const char* kIndependentFile =
      "e0020000000000007b225f5f6d657461646174615f5f223a207b22666f726d6174223a20227074222c20226e6f746522"
      "3a20227772697474656e2062792067656e5f696f2e7079227d2c20227538223a207b226474797065223a20225538222c"
      "20227368617065223a205b355d2c2022646174615f6f666673657473223a205b302c20355d7d2c202277656967687422"
      "3a207b226474797065223a2022463332222c20227368617065223a205b322c20335d2c2022646174615f6f6666736574"
      "73223a205b352c2032395d7d2c20226d61736b223a207b226474797065223a2022424f4f4c222c20227368617065223a"
      "205b322c20315d2c2022646174615f6f666673657473223a205b32392c2033315d7d2c202262696173223a207b226474"
      "797065223a2022463634222c20227368617065223a205b335d2c2022646174615f6f666673657473223a205b33312c20"
      "35355d7d2c202268616c66223a207b226474797065223a2022463136222c20227368617065223a205b322c20325d2c20"
      "22646174615f6f666673657473223a205b35352c2036335d7d2c20226938223a207b226474797065223a20224938222c"
      "20227368617065223a205b322c20325d2c2022646174615f6f666673657473223a205b36332c2036375d7d2c20226266"
      "223a207b226474797065223a202242463136222c20227368617065223a205b335d2c2022646174615f6f666673657473"
      "223a205b36372c2037335d7d2c20227374657073223a207b226474797065223a2022493634222c20227368617065223a"
      "205b5d2c2022646174615f6f666673657473223a205b37332c2038315d7d2c2022656d707479223a207b226474797065"
      "223a2022463332222c20227368617065223a205b302c20335d2c2022646174615f6f666673657473223a205b38312c20"
      "38315d7d2c2022696478223a207b226474797065223a2022493332222c20227368617065223a205b345d2c2022646174"
      "615f6f666673657473223a205b38312c2039375d7d7d2020000180ff070000003f0000a0bf000040406f12833a000000"
      "8000e07f470100555555555555d53f00000000000004c09c7500883ce4377e003c00c00038ff7b807f00fb803f60c020"
      "3e141a99be1c000000ffffffff0000000007000000ffffff7f";
  const std::string bytes = from_hex(kIndependentFile);
  ASSERT_EQ(bytes.size(), 841u);
  TempDir dir;
  write_bytes(dir / "ind.safetensors", bytes);
  for (const io::Loaded& f : {io::deserialize(bytes), io::load_with_metadata(dir / "ind.safetensors")}) {
    EXPECT_EQ(f.metadata, (io::Metadata{{"format", "pt"}, {"note", "written by gen_io.py"}}));
    const StateDict& d = f.tensors;
    ASSERT_EQ(d.size(), 10u);
    EXPECT_EQ(d.at("u8").to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 128, 255, 7}));
    EXPECT_EQ(d.at("weight").shape(), Shape({2, 3}));
    EXPECT_EQ(d.at("weight").to_vector<float>(), (std::vector<float>{0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504.0f}));
    EXPECT_TRUE(std::signbit(d.at("weight").to_vector<float>()[4]));
    EXPECT_EQ(d.at("mask").shape(), Shape({2, 1}));
    EXPECT_EQ(d.at("mask").to_vector<bool>(), (std::vector<bool>{true, false}));
    EXPECT_EQ(d.at("bias").to_vector<double>(), (std::vector<double>{1.0 / 3, -2.5, 1e300}));
    EXPECT_EQ(d.at("half").dtype(), kFloat16);
    EXPECT_EQ(d.at("half").to_vector<float>(), (std::vector<float>{1, -2, 0.5, 65504}));
    EXPECT_EQ(d.at("i8").to_vector<int8_t>(), (std::vector<int8_t>{-128, 127, 0, -5}));
    EXPECT_EQ(d.at("bf").dtype(), kBFloat16);
    EXPECT_EQ(d.at("bf").to_vector<float>(), (std::vector<float>{1.0f, -3.5f, 0.15625f}));
    EXPECT_EQ(d.at("steps").dim(), 0);
    EXPECT_EQ(d.at("steps").item<int64_t>(), 123456789012);
    EXPECT_EQ(d.at("empty").shape(), Shape({0, 3}));
    EXPECT_EQ(d.at("idx").to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 7, 2147483647}));
  }
}

TEST(Safetensors, RejectsMalformedFiles) {
  const auto load = [](const std::string& bytes) { return io::deserialize(bytes, "bad.st"); };
  const std::string f32x2 = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string data8(8, '\0');
  expect_error([&] { load("abc"); }, "load: bad.st: the file has 3 bytes, too few for the 8-byte header length");
  expect_error([&] { load(std::string(8, '\xff')); }, "header length 18446744073709551615 exceeds the limit");
  expect_error([&] { load(make_file("{}", "").substr(0, 9)); }, "header length 2 exceeds the 1 bytes that follow it");
  expect_error([&] { load(make_file("{\"a\":", "")); }, "bad.st: the header is not valid JSON");
  expect_error([&] { load(make_file("[1, 2]", "")); }, "the header is not a JSON object");
  expect_error([&] { load(make_file("{\"a\": 3}", "")); }, "the header entry of tensor 'a' is not a JSON object");
  expect_error([&] { load(make_file(R"({"a":{"shape":[],"data_offsets":[0,0]}})", "")); },
               "tensor 'a' has no \"dtype\"");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}})", "xx")); },
               "tensor 'a' has unsupported dtype \"U16\"");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data8)); },
               "tensor 'a' has shape [-2]; expected non-negative integers");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", data8)); },
               "expected non-negative integers");
  expect_error(
      [&] { load(make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", data8)); },
      "too many elements");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8)); },
               "tensor 'a' of dtype F32 and shape [3] needs 3 * 4 bytes, but data_offsets [0, 8] hold 8");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data8)); },
               "data_offsets [8, 0]; begin > end");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data8)); },
               "expected [begin, end]");
  expect_error([&] { load(make_file("{" + f32x2 + "}", data8 + "extra")); },
               "the tensors cover 8 bytes but the data section has 13");
  expect_error([&] { load(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", data8)); },
               "bytes [0, 4) of the data section belong to no tensor");
  expect_error([&] { load(make_file("{" + f32x2 + "}", "1234")); },
               "tensor 'a' at bytes [0, 8) runs past the data section (4 bytes)");
  expect_error(
      [&] { load(make_file("{" + f32x2 + R"(,"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}})", data8)); },
      "overlaps the tensor before it");
  expect_error(
      [&] { load(make_file(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\1\0\2", 3))); },
      "BOOL tensor 'm' holds byte 2 at element 2; expected 0 or 1");
  expect_error([&] { load(make_file(R"({"__metadata__":{"x":1}})", "")); },
               "__metadata__ value of 'x' is 1; expected a string");
  expect_error([&] { load(make_file(R"({"__metadata__":[]})", "")); }, "__metadata__ is not a JSON object");
  // The same checks for files, plus what only files can get wrong.
  TempDir dir;
  write_bytes(dir / "short.st", "abc");
  expect_error([&] { io::load(dir / "short.st"); }, "short.st: the file has 3 bytes");
  expect_error([&] { io::load(dir / "missing.st"); }, "missing.st': No such file or directory");
  expect_error([&] { io::load(dir.path()); }, "is a directory, expected a regular file");
  // Writer-side checks.
  expect_error([&] { io::serialize({{"__metadata__", ones({1})}}); }, "'__metadata__' is reserved");
  expect_error([&] { io::serialize({{"a", Tensor()}}); }, "save: <memory>: tensor 'a' is undefined");
  expect_error([&] { io::serialize({{"bad\xff", ones({1})}}); }, "cannot encode the header");
}

// Crafted files: a directory or a FIFO (opening one blocks until a writer comes), a header
// nested 100,000 deep, a huge value quoted in an error, an empty tensor with no int64 strides.
TEST(Safetensors, CraftedFiles) {
  TempDir dir;
  const std::string fifo = (dir / "fifo.st").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error([&] { io::load(fifo); }, "load: '" + fifo + "' is a FIFO, expected a regular file");
  expect_error([&] { io::load_with_metadata(dir.path()); },
               "load: '" + dir.path().string() + "' is a directory, expected a regular file");
  const auto load = [](const std::string& header) { return io::deserialize(make_file(header, ""), "bad.st"); };
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  expect_error([&] { load("{\"a\":" + deep + "}"); },
               "load: bad.st: the header nests arrays and objects more than 64 deep (at byte 68)");
  write_bytes(dir / "deep.st", make_file("{\"a\":" + deep + "}", ""));
  expect_error([&] { io::load(dir / "deep.st"); }, "deep.st: the header nests arrays and objects more than 64 deep");
  const std::string message =
      error_of([&] { load(R"({"a":{"dtype":")" + std::string(1'000'000, 'x') + R"(","shape":[],"data_offsets":[0,0]}})"); });
  EXPECT_NE(message.find("tensor 'a' has unsupported dtype \"xxxx"), std::string::npos) << message.substr(0, 300);
  EXPECT_LT(message.size(), 400u);
  expect_error([&] { load(R"({"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})"); },
               "tensor 'a' has shape [0,4294967296,4294967296], too large for int64 strides");
  EXPECT_EQ(load(R"({"a":{"dtype":"F32","shape":[0,4294967296,2],"data_offsets":[0,0]}})").tensors.at("a").shape(),
            (Shape{0, int64_t{1} << 32, 2}));
}

// Every truncation of a valid file, and seeded random byte flips, either load or throw
// soma::Error: never a crash, another exception or an over-read (this runs under ASan too).
TEST(Safetensors, MutationFuzz) {
  const std::string good = io::serialize(sample_dict(), {{"note", "fuzz"}});
  for (size_t len = 0; len < good.size(); ++len)
    expect_error([&] { io::deserialize(good.substr(0, len), "cut"); }, "load: cut: ");
  std::mt19937_64 rng(1234);
  int rejected = 0;
  const int kTrials = 3000;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    // Most flips land in the header (the first 8 + n bytes), where they matter.
    const size_t span = rng() % 4 ? std::min<size_t>(bad.size(), 8 + le64(good)) : bad.size();
    for (int i = 0; i < flips; ++i) bad[rng() % span] ^= static_cast<char>(1 << (rng() % 8));
    try {
      io::deserialize(bad, "fuzz");
    } catch (const Error& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("load: fuzz: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(rejected, kTrials / 4);
  // Through files as well (a few, they are slower).
  TempDir dir;
  for (size_t len : {size_t{0}, size_t{7}, size_t{8}, size_t{100}, good.size() - 1}) {
    write_bytes(dir / "cut.st", good.substr(0, len));
    expect_error([&] { io::load(dir / "cut.st"); }, "cut.st");
  }
}

TEST(Safetensors, FailedSaveKeepsTheOldFile) {
  TempDir dir;
  const auto target = dir / "model.safetensors";
  const StateDict old = {{"w", arange(0, 6).reshape({2, 3})}};
  io::save(old, target);
  const std::string before = read_bytes(target);
  const auto entries = [&] {
    return std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator());
  };
  // A tensor that cannot be written: the save throws after the temporary file was created.
  expect_error([&] { io::save({{"a", ones({2})}, {"b", Tensor()}}, target); }, "tensor 'b' is undefined");
  EXPECT_TRUE(read_bytes(target) == before);
  EXPECT_EQ(entries(), 1) << "the temporary file was removed";
  // A target that cannot be replaced (a directory): the rename fails.
  std::filesystem::create_directory(dir / "taken");
  expect_error([&] { io::save(old, dir / "taken"); }, "cannot rename the temporary file over it");
  EXPECT_EQ(entries(), 2);
  // A directory that cannot be written (root may write anyway, so only check when the mode bites).
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (::access(dir.path().c_str(), W_OK) != 0) {
    expect_error([&] { io::save({{"new", ones({1})}}, target); }, "cannot create a file in");
    EXPECT_TRUE(read_bytes(target) == before);
  }
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
  expect_same(io::load(target).at("w"), old.at("w"), "w");
}

// I16 (int16), little-endian, as the safetensors format and torch.int16 store it.
TEST(Safetensors, ReadsInt16) {
  const std::string header = R"({"s":{"dtype":"I16","shape":[3],"data_offsets":[0,6]}})";
  const std::string bytes = make_file(header + std::string(-header.size() & 7, ' '), from_hex("0080ff7ffbff"));
  const Tensor s = io::deserialize(bytes).tensors.at("s");
  EXPECT_EQ(s.dtype(), kInt16);
  EXPECT_EQ(s.to_vector<int64_t>(), (std::vector<int64_t>{-32768, 32767, -5}));
  EXPECT_EQ(io::deserialize(io::serialize({{"s", s}})).tensors.at("s").to_vector<int16_t>(),
            (std::vector<int16_t>{-32768, 32767, -5}));
}
