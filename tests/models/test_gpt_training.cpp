// Training a GPT for a few AdamW steps matches PyTorch step by step: the recipe of the character
// GPT benchmark (tied head, AdamW with decoupled weight decay on every parameter, as
// torch.optim.AdamW(model.parameters())), in float64 and in float32 (the benchmark's dtype, which
// runs the vectorized kernels). Golden values: tests/golden/gen_gpt_training.py (PyTorch).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t V = 11, kBlock = 16, kBatch = 4, kSteps = 6;

// ---- pasted from tests/golden/gen_gpt_training.py ----
const std::vector<double> kLosses64 = {2.38557000042, 2.46231241383, 2.40371381022, 2.39303418744, 2.41246561777, 2.39261288552};
const std::vector<double> kLosses32 = {2.38556981, 2.4623127, 2.40371346, 2.39303374, 2.41246557, 2.3926127};
const std::vector<double> kWte = {-0.0160072533813, 0.114762756922, 0.18493858796, 0.15112542743, 0.0801823895071, -0.0541285189812, -0.153125385195, -0.159200498728, -0.101532761703, -0.00774222253134, 0.116743120307, 0.167189395902, 0.124711676314, 0.0201292741147, -0.0548312894183, -0.154144426221, -0.165064098086, -0.0833914604002, 0.0480833559298, 0.166050193575, 0.194639328346, 0.134270317001, 0.0205793253518, -0.117696006594, -0.222996131603, -0.16568618867, -0.0799694687247, 0.0497579129129, 0.170601538672, 0.218109488153, 0.131899929252, 0.017099787334, -0.0572062975909, -0.149137303464, -0.165824090567, -0.0828563437677, 0.0198476230121, 0.112074507323, 0.162316370071, 0.112773614912, -0.00125434778792, -0.0616938495426, -0.149802359537, -0.147849401007, -0.0585195914246, 0.0686486995072, 0.113156112075, 0.162246759189, 0.126341053175, 0.00729478317146, -0.12816354325, -0.20429008697, -0.18579894214, -0.0632380482854, 0.062467632797, 0.180735187297, 0.193546863575, 0.123949186045, 0.00404116705559, -0.137698383028, -0.22015463106, -0.203717551157, -0.0584857485032, 0.0646283851699, 0.156605676311, 0.193091319203, 0.149637375713, 0.0299674080731, -0.0978316736282, -0.181178610282, -0.176039973516, -0.0867166453743, 0.032273234991, 0.154268965074, 0.193194999978, 0.155070784538, 0.0147863322282, -0.118900044696, -0.183280897938, -0.174903911198, -0.0865301160227, 0.0614983074582, 0.182449482065, 0.210320915094, 0.121126527356, 0.0113220165933, -0.123255122108, -0.205840218167, -0.200531614041, -0.075938880592, 0.0651646389222, 0.183742467116, 0.2012049672, 0.138365119768, 0.0088995645063, -0.127016535202, -0.195465866236, -0.174292959771, -0.113702695903, 0.0166860432417, 0.152635388371, 0.196505567241, 0.13075235371, 0.00800322051704, -0.098444967741, -0.191266329146, -0.173088258644, -0.101759286238, 0.0524237037799, 0.169512063937, 0.198986529321, 0.126494335691, 0.0125680172635, -0.115396833587, -0.228666655858, -0.206160731542, -0.11026784763, 0.0546614087519, 0.158895439537, 0.184713178488, 0.108941198082, 0.0130364085994, -0.118550114877, -0.221762982281, -0.164169755928, -0.0607849674073, 0.0574050472949, 0.16113623522, 0.211013815474, 0.132851803786, 0.0398946170836, -0.0880153215812, -0.17776569731, -0.178991111887, -0.0698096799588, 0.0623355285823, 0.154467881975, 0.203125664065, 0.131199704159, 0.0263819505204, -0.115289015232, -0.194398511268, -0.180845454652, -0.0658984525116, 0.0418713377205, 0.146394631517, 0.180778756366, 0.107061841897, 0.00022039545237, -0.102057184207, -0.169045188615, -0.142360190809, -0.0363002831437, 0.0448112304147, 0.14760790702, 0.173361552385, 0.0882428719873, -0.0419128392361, -0.10461992223, -0.171893518584, -0.187388305995, -0.0740769239802, 0.0461204306348, 0.146994904031, 0.203406616401, 0.140979317066, 0.00238706020552, -0.118903406639, -0.174136722745, -0.183147797971, -0.070881316389, 0.05258687914, 0.153664004473, 0.178194922018, 0.14002983531, -0.00287726535834};  // shape [11, 16]
const std::vector<double> kLnFWeight = {0.130355153903, -0.0487701047352, -0.173949332353, -0.220575867549, -0.163724475722, -0.0963248047869, 0.0367647648037, 0.131047502843, 0.178642585998, 0.0843467297332, -0.0522577968607, -0.174176132599, -0.148685838698, -0.170664795347, -0.0933788094644, 0.0705419877732};  // shape [16]
const std::vector<double> kLnFBias = {-0.0841517377622, -0.153245831759, -0.135842888423, -0.041151083496, 0.0508165890636, 0.129003123743, 0.155355673667, 0.0923078558951, -0.00377241777241, -0.0863768301448, -0.15391543026, -0.13422350304, -0.0373449971494, 0.0561688172526, 0.130764073056, 0.154804172934};  // shape [16]
const std::vector<double> kFc2Bias1 = {0.2255358194, 0.217812855546, 0.063014924576, -0.0652903297585, -0.132714590008, -0.153944052541, -0.167375826473, -0.0800248036237, 0.0949038134485, 0.223834601033, 0.216927603747, 0.0610523314512, -0.0732132466682, -0.113610261667, -0.153310292982, -0.189509035962};  // shape [16]
// ---- end of pasted values ----

// The tiny GPT of gen_gpt_training.py with its closed-form weights:
// parameter k (named_parameters order) element i = 0.2 sin(0.7 i + 1.3 k + 0.1).
std::unique_ptr<models::GPT> golden_gpt(DType dtype) {
  auto m = std::make_unique<models::GPT>(
      models::GPTConfig{.vocab_size = V, .block_size = kBlock, .n_layer = 2, .n_head = 2, .n_embd = 16});
  m->to(dtype);
  NoGradGuard no_grad;
  int k = 0;
  for (auto& [name, p] : m->named_parameters()) {
    Tensor i = arange(0, p.numel(), 1, kFloat64);
    p.copy_(((i * 0.7 + (1.3 * k + 0.1)).sin() * 0.2).view(p.shape()));
    ++k;
  }
  return m;
}

// Tokens of step s: (7 b + 3 t + t^2 + 5 s) mod V for t = shift .. shift + kBlock - 1, [kBatch, kBlock].
Tensor tokens(int64_t step, int64_t shift) {
  std::vector<int64_t> v;
  for (int64_t b = 0; b < kBatch; ++b)
    for (int64_t t = shift; t < shift + kBlock; ++t) v.push_back((7 * b + 3 * t + t * t + 5 * step) % V);
  return from_vector(v, {kBatch, kBlock});
}

// Trains kSteps steps of AdamW(lr 1e-2, weight_decay 0.1) and returns each step's loss.
std::vector<double> train(models::GPT& m) {
  optim::AdamW opt(m.parameters(), {.lr = 1e-2, .weight_decay = 0.1});
  std::vector<double> losses;
  for (int64_t s = 0; s < kSteps; ++s) {
    Tensor loss = m.loss(tokens(s, 0), tokens(s, 1));
    opt.zero_grad();
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  return losses;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "step " << i;
}

}  // namespace

TEST(GPTTraining, AdamWStepsMatchPyTorchFloat64) {
  auto m = golden_gpt(kFloat64);
  expect_near(train(*m), kLosses64, 1e-9);
  // The tied weight took one AdamW update per step, with the embedding's and the head's gradients summed.
  EXPECT_TRUE(allclose(m->wte->weight, from_vector(kWte, {V, 16}), 1e-8, 1e-10));
  EXPECT_TRUE(allclose(m->ln_f->weight, from_vector(kLnFWeight), 1e-8, 1e-10));
  EXPECT_TRUE(allclose(m->ln_f->bias, from_vector(kLnFBias), 1e-8, 1e-10));
  EXPECT_TRUE(allclose(m->blocks[1]->fc2->bias, from_vector(kFc2Bias1), 1e-8, 1e-10));
}

TEST(GPTTraining, AdamWStepsMatchPyTorchFloat32) {
  auto m = golden_gpt(kFloat32);
  expect_near(train(*m), kLosses32, 2e-5);
}
