#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;

namespace {
// Pasted from tests/golden/gen_lora.py (PyTorch 1.13).
// x = xs(3, 5), W = xs(4, 5) / 3, b {0.5, -0.5, 0.25, 0}, A = cos(arange(10)) [2, 5],
// B = 0.5 sin(arange(8)) [4, 2], rank 2, alpha 6
const std::vector<double> kLoraOut = {7.491964461996195, 1.4765461934920991, -7.149358231456496, 5.282784207796035, -7.329563101113026, 2.180331850562612, 3.394506447935851, -3.580202341970378, 2.9350158973876805, -5.703729547859977, 3.8632976120033913, -0.9721353600235378};  // shape [3, 4]
const std::vector<double> kLoraMerged = {0.6535604544930913, 2.121230581862127, 0.42174416770823764, -0.9564155726637621, -0.42106547800868765, 2.008908947978559, 0.060496342565569794, -0.7662451154038545, -0.40908839212397397, -0.9766491063201435, -2.542994007201931, -1.8445718838084508, 0.3491614123525961, 0.9355727760986614, 1.1938690706097055, 0.4792551564405855, 1.4190152909227387, 0.11835085159812919, -0.2217994834686453, 0.3022067000146996};  // shape [4, 5]

bool has(const std::string& msg, const char* what) { return msg.find(what) != std::string::npos; }

// 6-16-16-3 MLP in float64: Linear layers "0", "2", "4".
std::shared_ptr<nn::Sequential> mlp() {
  return std::make_shared<nn::Sequential>(nn::Linear(6, 16, {.dtype = kFloat64}), nn::Tanh(),
                                          nn::Linear(16, 16, {.dtype = kFloat64}), nn::Tanh(),
                                          nn::Linear(16, 3, {.dtype = kFloat64}));
}

nn::LoRA& adapter(nn::Module& layer) { return static_cast<nn::LoRA&>(*static_cast<nn::Linear&>(layer).adapter); }

// Gives every adapter's B non-zero values, so adapters change the output.
void randomize_adapters(nn::Module& model) {
  NoGradGuard no_grad;
  for (auto& [name, t] : nn::lora::lora_state_dict(model))
    if (name.ends_with(".B")) t.copy_(randn(t.shape(), kFloat64) * 0.3);
}

StateDict clone_all(const StateDict& s) {
  StateDict out;
  for (const auto& [k, t] : s) out.emplace(k, t.clone());
  return out;
}
}  // namespace

TEST(LoRA, ValuesMatchPyTorch) {
  nn::Linear layer(5, 4, {.dtype = kFloat64});
  {
    NoGradGuard no_grad;
    layer.weight.copy_(xs({4, 5}) / 3.0);
    layer.bias.copy_(tensor({0.5, -0.5, 0.25, 0.0}, kFloat64));
  }
  auto names = nn::lora::apply(layer, {.rank = 2, .alpha = 6});
  EXPECT_EQ(names, std::vector<std::string>{""});
  nn::LoRA& lora = adapter(layer);
  EXPECT_EQ(lora.scaling, 3.0);
  {
    NoGradGuard no_grad;
    lora.A.copy_(arange(0, 10, 1, kFloat64).cos().view({2, 5}));
    lora.B.copy_(arange(0, 8, 1, kFloat64).sin().view({4, 2}) * 0.5);
  }
  Tensor x = xs({3, 5});
  EXPECT_TRUE(allclose(layer(x), golden(kLoraOut, {3, 4}), 1e-12));
  nn::lora::merge(layer);
  EXPECT_TRUE(allclose(layer.weight, golden(kLoraMerged, {4, 5}), 1e-12));
  EXPECT_TRUE(allclose(layer(x), golden(kLoraOut, {3, 4}), 1e-12));
}

TEST(LoRA, ApplyAttachesAdaptersAndFreezesTheRest) {
  manual_seed(0);
  auto model = mlp();
  Tensor x = randn({5, 6}, kFloat64);
  Tensor before = (*model)(x).detach();
  const int64_t base_params = model->num_parameters();

  auto names = nn::lora::apply(*model, {.rank = 4, .alpha = 8, .targets = {"0", "4"}});
  EXPECT_EQ(names, (std::vector<std::string>{"0", "4"}));
  // B starts at zero: the adapted model computes what the base model did.
  EXPECT_TRUE(equal((*model)(x), before));
  // Trainable: r * (in + out) per adapted layer; everything else frozen.
  EXPECT_EQ(model->num_parameters(true), 4 * (6 + 16) + 4 * (16 + 3));
  EXPECT_EQ(model->num_parameters(), base_params + 4 * (6 + 16) + 4 * (16 + 3));
  for (const auto& [name, p] : model->named_parameters())
    EXPECT_EQ(p.requires_grad(), name.find(".lora.") != std::string::npos) << name;
  // Adapter shapes, initialization (A Kaiming-uniform: |A| <= 1/sqrt(in)), state_dict keys.
  nn::LoRA& a0 = adapter(*model->named_children()[0].second);
  EXPECT_EQ(a0.A.shape(), (Shape{4, 6}));
  EXPECT_EQ(a0.B.shape(), (Shape{16, 4}));
  EXPECT_EQ(a0.A.dtype(), kFloat64);
  EXPECT_LE(a0.A.abs().max().item(), 1 / std::sqrt(6.0));
  EXPECT_GT(a0.A.abs().max().item(), 0.0);
  EXPECT_TRUE(model->state_dict().count("4.lora.B"));
  auto lsd = nn::lora::lora_state_dict(*model);
  std::vector<std::string> keys;
  for (const auto& [k, t] : lsd) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"0.lora.A", "0.lora.B", "4.lora.A", "4.lora.B"}));
  EXPECT_TRUE(has(model->str(), "(lora): LoRA(rank=4, in_features=6, out_features=16, scaling=2, dropout=0)"));

  // A predicate instead of names: every square layer.
  auto other = mlp();
  auto square = nn::lora::apply(*other, {.rank = 2, .target = [](const std::string&, const nn::Linear& l) {
                                           return l.in_features == l.out_features;
                                         }});
  EXPECT_EQ(square, std::vector<std::string>{"2"});
  // Suffixes match whole trailing name components of Linear layers ("0" is a Sequential here).
  nn::Sequential nested(nn::Sequential(nn::Linear(3, 3), nn::Linear(3, 3)), nn::Linear(3, 13));
  EXPECT_EQ(nn::lora::apply(nested, {.rank = 1, .targets = {"0"}}), std::vector<std::string>{"0.0"});
  nn::Sequential nested2(nn::Sequential(nn::Linear(3, 3), nn::Linear(3, 3)), nn::Linear(3, 13));
  EXPECT_EQ(nn::lora::apply(nested2, {.rank = 1, .targets = {"1"}}), (std::vector<std::string>{"0.1", "1"}));
}

TEST(LoRA, Gradcheck) {
  manual_seed(1);
  nn::Linear layer(5, 3, {.dtype = kFloat64});
  nn::lora::apply(layer, {.rank = 2, .alpha = 3});
  randomize_adapters(layer);
  nn::LoRA& lora = adapter(layer);
  // Non-contiguous 3-D input [2, 4, 5] (a transposed view).
  Tensor x = randn({2, 5, 4}, kFloat64).transpose(1, 2).requires_grad_();
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return layer(in[0]); }, {x, lora.A, lora.B}));
  // With the base weight trainable too, its gradient is the plain Linear's.
  layer.weight.requires_grad_(true);
  EXPECT_TRUE(gradcheck([&](const TensorList& in) { return layer(in[0]).sin(); }, {x, layer.weight, lora.B}));
}

TEST(LoRA, OnlyAdaptersTrain) {
  manual_seed(2);
  auto model = mlp();
  nn::lora::apply(*model, {.rank = 2, .alpha = 4});
  StateDict base_before = clone_all(model->state_dict());
  optim::Adam opt(model->parameters(), {.lr = 1e-2});
  Tensor x = randn({8, 6}, kFloat64), y = randn({8, 3}, kFloat64);
  for (int step = 0; step < 3; ++step) {
    Tensor loss = nn::functional::mse_loss((*model)(x), y);
    opt.zero_grad();
    loss.backward();
    for (const auto& [name, p] : model->named_parameters())
      EXPECT_EQ(p.grad().defined(), name.find(".lora.") != std::string::npos) << name;
    opt.step();
  }
  for (const auto& [name, t] : model->state_dict()) {
    if (name.find(".lora.") == std::string::npos)
      EXPECT_TRUE(equal(t, base_before.at(name))) << name << " changed";  // bit-identical
    else
      EXPECT_FALSE(equal(t, base_before.at(name))) << name << " did not train";
  }
}

TEST(LoRA, DropoutOnlyInTraining) {
  manual_seed(3);
  nn::Linear layer(6, 4, {.dtype = kFloat64});
  nn::lora::apply(layer, {.rank = 2, .dropout = 0.5});
  randomize_adapters(layer);
  Tensor x = randn({10, 6}, kFloat64);
  Tensor clean = nn::functional::linear(x, layer.weight, layer.bias) +
                 nn::functional::linear(nn::functional::linear(x, adapter(layer).A), adapter(layer).B) * 4.0;
  EXPECT_FALSE(allclose(layer(x), clean, 1e-9));
  layer.eval();
  EXPECT_TRUE(allclose(layer(x), clean, 1e-12));
}

TEST(LoRA, MergeUnmerge) {
  manual_seed(4);
  auto model = mlp();
  nn::lora::apply(*model, {.rank = 3, .alpha = 5, .targets = {"0", "2", "4"}});
  randomize_adapters(*model);
  Tensor x = randn({7, 6}, kFloat64);
  Tensor unmerged = (*model)(x).detach();
  Tensor w0 = static_cast<nn::Linear&>(*model->named_children()[0].second).weight.clone();
  nn::lora::merge(*model);
  nn::lora::merge(*model);  // already merged: no change
  for (auto& [name, m] : model->named_modules()) {
    if (auto* l = dynamic_cast<nn::Linear*>(m)) {
      EXPECT_FALSE(l->adapter_enabled) << name;
    }
  }
  EXPECT_FALSE(allclose(static_cast<nn::Linear&>(*model->named_children()[0].second).weight, w0, 1e-6));
  EXPECT_TRUE(allclose((*model)(x), unmerged, 1e-6, 1e-6));
  // Merged, the adapters are not in the graph.
  Tensor loss = (*model)(x).sum();
  EXPECT_FALSE(loss.requires_grad());
  nn::lora::unmerge(*model);
  EXPECT_TRUE(allclose((*model)(x), unmerged, 1e-6, 1e-6));
  EXPECT_TRUE(allclose(static_cast<nn::Linear&>(*model->named_children()[0].second).weight, w0, 1e-12));
}

TEST(LoRA, SaveAndLoadAdaptersOnly) {
  manual_seed(5);
  auto model = mlp();
  StateDict base = clone_all(model->state_dict());
  nn::lora::apply(*model, {.rank = 2, .alpha = 2, .targets = {"2", "4"}});
  randomize_adapters(*model);
  Tensor x = randn({4, 6}, kFloat64);
  Tensor out = (*model)(x).detach();

  auto path = std::filesystem::temp_directory_path() / ("soma_lora_test_" + std::to_string(::getpid()) + ".safetensors");
  io::save(nn::lora::lora_state_dict(*model), path);
  StateDict loaded = io::load(path);
  std::filesystem::remove(path);
  EXPECT_EQ(loaded.size(), 4u);

  // A fresh model: the base weights, adapters attached the same way, then the adapter file.
  manual_seed(99);
  auto fresh = mlp();
  fresh->load_state_dict(base);
  nn::lora::apply(*fresh, {.rank = 2, .alpha = 2, .targets = {"2", "4"}});
  EXPECT_FALSE(allclose((*fresh)(x), out, 1e-6));
  nn::lora::load_lora_state_dict(*fresh, loaded);
  EXPECT_TRUE(equal((*fresh)(x), out));

  // Mismatches are errors, and nothing is modified.
  StateDict partial = loaded;
  partial.erase("2.lora.A");
  EXPECT_TRUE(has(error_of([&] { nn::lora::load_lora_state_dict(*fresh, partial); }),
                  "load_lora_state_dict: adapter keys do not match: missing [2.lora.A], unexpected []"));
  StateDict wrong = loaded;
  wrong["4.lora.B"] = zeros({3, 3}, kFloat64);
  EXPECT_TRUE(has(error_of([&] { nn::lora::load_lora_state_dict(*fresh, wrong); }),
                  "size mismatch for '4.lora.B': the state has shape [3, 3], the model has shape [3, 2]"));
  EXPECT_TRUE(equal((*fresh)(x), out));
  nn::lora::merge(*fresh);
  EXPECT_TRUE(has(error_of([&] { nn::lora::load_lora_state_dict(*fresh, loaded); }), "is merged"));
  EXPECT_TRUE(has(error_of([&] { nn::lora::load_lora_state_dict(*mlp(), loaded); }), "has no LoRA adapters"));
}

// Pre-train an MLP on one task, then fine-tune only its adapters on a shifted task.
TEST(LoRA, FineTunesOnAShiftedTask) {
  manual_seed(6);
  auto model = std::make_shared<nn::Sequential>(nn::Linear(6, 32), nn::Tanh(), nn::Linear(32, 32), nn::Tanh(),
                                                nn::Linear(32, 2));
  Tensor x = randn({256, 6});
  Tensor proj = randn({6, 2});
  Tensor y1 = matmul(x, proj).sin();
  Tensor y2 = (matmul(x, proj) + 0.8).sin() * 1.5;  // shifted and rescaled
  auto train = [&](const Tensor& target, int steps) {
    optim::Adam opt(model->parameters(), {.lr = 1e-2});
    for (int s = 0; s < steps; ++s) {
      Tensor loss = nn::functional::mse_loss((*model)(x), target);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  };
  train(y1, 300);
  const double before = nn::functional::mse_loss((*model)(x), y2).item();
  auto names = nn::lora::apply(*model, {.rank = 4, .alpha = 8});
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(model->num_parameters(true), 4 * (6 + 32) + 4 * (32 + 32) + 4 * (32 + 2));
  train(y2, 300);
  const double after = nn::functional::mse_loss((*model)(x), y2).item();
  EXPECT_LT(after, 0.1 * before) << "before " << before << ", after " << after;
}

TEST(LoRA, Errors) {
  auto model = mlp();
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(*model, {.rank = 0}); }), "lora::apply: rank must be positive, got 0"));
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(*model, {.rank = 2, .alpha = -1}); }), "alpha must be positive"));
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(*model, {.dropout = 1.0}); }), "dropout must be in [0, 1), got 1"));
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(*model, {.targets = {"qkv", "proj"}}); }),
                  "lora::apply: no Linear layer matched the targets [qkv, proj] in a Sequential"));
  nn::Tanh no_linear;
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(no_linear, {}); }), "no Linear layer matched"));
  // Failed applications changed nothing.
  EXPECT_EQ(model->num_parameters(true), model->num_parameters());
  nn::lora::apply(*model, {.targets = {"2"}});
  EXPECT_TRUE(has(error_of([&] { nn::lora::apply(*model, {.targets = {"2"}}); }),
                  "lora::apply: layer '2' already has an adapter (apply LoRA once per model)"));
  EXPECT_TRUE(has(error_of([&] { nn::LoRA(4, 4, {.rank = -1}); }), "LoRA: rank must be positive, got -1"));
  EXPECT_TRUE(has(error_of([&] {
                    nn::Linear l(2, 2);
                    l.attach_adapter("a", std::make_shared<nn::Identity>());
                    l.attach_adapter("b", std::make_shared<nn::Identity>());
                  }),
                  "Linear: an adapter is already attached"));
}
