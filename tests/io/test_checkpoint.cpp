// Checkpoints: exact round trips, and resuming the random stream where it was saved.
#include <sys/stat.h>

#include <cmath>

#include "io_helpers.h"

using namespace soma;
using namespace io_test;

namespace {

io::Checkpoint sample_checkpoint() {
  manual_seed(11);
  io::Checkpoint ck;
  ck.model = {{"fc.weight", randn({4, 3})}, {"fc.bias", zeros({4})}, {"bn.count", scalar_tensor(int64_t{17})}};
  ck.optimizer = {{"state.0.exp_avg", randn({4, 3}, kFloat64)}, {"state.0.step", scalar_tensor(5.0)}};
  ck.epoch = 7;
  ck.step = 123456789012;
  ck.scheduler = {{"last_epoch", 6.0}, {"best", INFINITY}, {"worst", -INFINITY},
                  {"undefined", NAN},  {"lr", 0.1 / 3},    {"mode", std::string("min")}};
  ck.rng = {~uint64_t{0} - 5, uint64_t{1} << 60};
  ck.user = {{"run", "exp-42"}, {"note", "quotes \" and \\ and ünïcode"}};
  return ck;
}

}  // namespace

TEST(Checkpoint, RoundTripExact) {
  TempDir dir;
  const io::Checkpoint ck = sample_checkpoint();
  io::save_checkpoint(ck, dir / "ck.safetensors");
  const io::Checkpoint back = io::load_checkpoint(dir / "ck.safetensors");
  ASSERT_EQ(back.model.size(), ck.model.size());
  for (const auto& [k, t] : ck.model) expect_same(back.model.at(k), t, k);
  ASSERT_EQ(back.optimizer.size(), ck.optimizer.size());
  for (const auto& [k, t] : ck.optimizer) expect_same(back.optimizer.at(k), t, k);
  EXPECT_EQ(back.epoch, ck.epoch);
  EXPECT_EQ(back.step, ck.step);
  EXPECT_EQ(back.rng, ck.rng);
  EXPECT_EQ(back.user, ck.user);
  ASSERT_EQ(back.scheduler.size(), ck.scheduler.size());
  EXPECT_EQ(std::get<double>(back.scheduler.at("last_epoch")), 6.0);
  EXPECT_EQ(std::get<double>(back.scheduler.at("lr")), 0.1 / 3);
  EXPECT_EQ(std::get<double>(back.scheduler.at("best")), INFINITY);
  EXPECT_EQ(std::get<double>(back.scheduler.at("worst")), -INFINITY);
  EXPECT_TRUE(std::isnan(std::get<double>(back.scheduler.at("undefined"))));
  EXPECT_EQ(std::get<std::string>(back.scheduler.at("mode")), "min");
  // It is an ordinary safetensors file: prefixed tensors plus one metadata entry.
  const io::Loaded raw = io::load_with_metadata(dir / "ck.safetensors");
  EXPECT_TRUE(raw.tensors.contains("model.fc.weight"));
  EXPECT_TRUE(raw.tensors.contains("optimizer.state.0.step"));
  EXPECT_TRUE(raw.metadata.contains("soma.checkpoint"));
}

TEST(Checkpoint, ResumedRngRepeatsTheUninterruptedRun) {
  TempDir dir;
  // The uninterrupted run: three "epochs" of draws, checkpointing after the first.
  manual_seed(2024);
  std::vector<Tensor> draws;
  draws.push_back(randn({5}));
  io::Checkpoint ck;
  ck.epoch = 1;
  ck.rng = io::RngState::capture();
  io::save_checkpoint(ck, dir / "ck.safetensors");
  draws.push_back(randn({5}));
  draws.push_back(rand({3, 2}, kFloat64));
  // A fresh run that resumes from the checkpoint.
  manual_seed(999);
  (void)randn({100});
  const io::Checkpoint resumed = io::load_checkpoint(dir / "ck.safetensors");
  resumed.rng.restore();
  expect_same(randn({5}), draws[1], "draw 1");
  expect_same(rand({3, 2}, kFloat64), draws[2], "draw 2");
  // restore() works on any generator.
  Generator g(5);
  resumed.rng.restore(g);
  EXPECT_EQ(io::RngState::capture(g), resumed.rng);
}

TEST(Checkpoint, RejectsOtherFiles) {
  TempDir dir;
  io::save({{"model.w", ones({2})}}, dir / "plain.safetensors");
  expect_error([&] { io::load_checkpoint(dir / "plain.safetensors"); },
               "plain.safetensors: no \"soma.checkpoint\" metadata; not a soma checkpoint");
  io::save({{"w", ones({2})}}, dir / "stray.safetensors", {{"soma.checkpoint", "{}"}});
  expect_error([&] { io::load_checkpoint(dir / "stray.safetensors"); },
               "tensor 'w' is neither model.* nor optimizer.*");
  io::save({}, dir / "bad.safetensors", {{"soma.checkpoint", R"({"format":1,"epoch":"x"})"}});
  expect_error([&] { io::load_checkpoint(dir / "bad.safetensors"); }, "the training state is malformed");
  io::save({}, dir / "v2.safetensors", {{"soma.checkpoint", R"({"format":2})"}});
  expect_error([&] { io::load_checkpoint(dir / "v2.safetensors"); }, "checkpoint format 2 is not supported");
  io::Checkpoint ck;
  ck.scheduler["x"] = NAN;
  io::save_checkpoint(ck, dir / "ok.safetensors");
  std::string text = io::load_with_metadata(dir / "ok.safetensors").metadata.at("soma.checkpoint");
  text.replace(text.find("\"nan\""), 5, "\"NaN\"");
  io::save({}, dir / "nan.safetensors", {{"soma.checkpoint", text}});
  expect_error([&] { io::load_checkpoint(dir / "nan.safetensors"); }, "unknown non-finite number \"NaN\"");
}

// The training state is read strictly: counters are JSON integers in range, never floats
// (2.5 is not 2), strings ("64abc" is not 64) or negative numbers.
TEST(Checkpoint, StrictTrainingState) {
  TempDir dir;
  const auto load = [&](const std::string& epoch, const std::string& step, const std::string& seed,
                        const std::string& offset) {
    const std::string record = fmt::format(
        R"({{"format":1,"epoch":{},"step":{},"scheduler":{{}},"rng":{{"seed":{},"offset":{}}},"user":{{}}}})", epoch,
        step, seed, offset);
    io::save({}, dir / "ck.st", {{"soma.checkpoint", record}});
    return io::load_checkpoint(dir / "ck.st");
  };
  const io::Checkpoint ok = load("3", "9223372036854775807", "18446744073709551615", "0");
  EXPECT_EQ(ok.epoch, 3);
  EXPECT_EQ(ok.step, INT64_MAX);
  EXPECT_EQ(ok.rng.seed, UINT64_MAX);
  const std::string range = "expected an integer in [0, 9223372036854775807]";
  expect_error([&] { load("-1", "0", "0", "0"); }, "the training state is malformed (\"epoch\" is -1; " + range + ")");
  expect_error([&] { load("2.5", "0", "0", "0"); }, "\"epoch\" is 2.5; " + range);
  expect_error([&] { load("\"64abc\"", "0", "0", "0"); }, "\"epoch\" is \"64abc\"; " + range);
  expect_error([&] { load("0", "-5", "0", "0"); }, "\"step\" is -5; " + range);
  expect_error([&] { load("0", "9223372036854775808", "0", "0"); }, "\"step\" is 9223372036854775808; " + range);
  expect_error([&] { load("0", "0", "-1", "0"); }, "\"rng.seed\" is -1; expected an integer in [0, 18446744073709551615]");
  expect_error([&] { load("0", "0", "0", "1e3"); }, "\"rng.offset\" is 1000.0; expected an integer");
  io::save({}, dir / "f.st", {{"soma.checkpoint", R"({"format":1.0})"}});
  expect_error([&] { io::load_checkpoint(dir / "f.st"); }, "checkpoint format 1.0 is not supported (expected 1)");
  io::save({}, dir / "s.st", {{"soma.checkpoint", R"({"format":1,"epoch":0,"step":0,"scheduler":[1]})"}});
  expect_error([&] { io::load_checkpoint(dir / "s.st"); }, "\"scheduler\" is [1]; expected an object");
}

// Crafted files: a directory, a FIFO, and a training state nested 100,000 deep.
TEST(Checkpoint, CraftedFiles) {
  TempDir dir;
  const std::string fifo = (dir / "fifo.st").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error([&] { io::load_checkpoint(fifo); }, "load: '" + fifo + "' is a FIFO, expected a regular file");
  expect_error([&] { io::load_checkpoint(dir.path()); }, "is a directory, expected a regular file");
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  io::save({}, dir / "deep.st", {{"soma.checkpoint", R"({"format":1,"user":)" + deep + "}"}});
  expect_error([&] { io::load_checkpoint(dir / "deep.st"); },
               "deep.st: the training state nests arrays and objects more than 64 deep (at byte 82)");
}
