// GPT, its KV cache and generation. Golden values: tests/golden/gen_gpt.py (PyTorch, float64).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- pasted from tests/golden/gen_gpt.py ----
const std::vector<double> kLogits = {-0.1576224934, -0.0802023321, 0.03321810912, 0.1317279961, 0.1711093689, 0.1336851799, 0.03625395913, -0.1583918075, -0.08178337599, 0.03153501579, 0.1306983404, 0.1711953306, 0.1348481736, 0.03797195378, -0.1570101068, -0.07886842932, 0.03467478147, 0.132653584, 0.1710884054, 0.1327270748, 0.03478877541, -0.160338186, -0.08546951541, 0.0277637064, 0.1285346821, 0.1716105209, 0.1376558467, 0.04191183445, -0.1569572326, -0.07829068989, 0.03551805718, 0.1333838763, 0.1713779093, 0.1324458412, 0.03406304109, -0.159716713, -0.08310904337, 0.03080363651, 0.1308895422, 0.172223289, 0.1362514707, 0.03912069417, -0.1551439012, -0.07440472008, 0.039732377, 0.1360348718, 0.1712756327, 0.1296362013, 0.02980719601, -0.1570632597, -0.07901903876, 0.03449431926, 0.1325242728, 0.1710682889, 0.1328251827, 0.03496107011, -0.1604784393, -0.08571568229, 0.02752212242, 0.1284061204, 0.1716526887, 0.1378498163, 0.04217053898, -0.1603920448, -0.08557464536, 0.02765449483, 0.1284704105, 0.1716200388, 0.1377348817, 0.04202491037, -0.1608150318, -0.08573145985, 0.02783424183, 0.1289060363, 0.1721160047, 0.1380685645, 0.04204653037, -0.158547179, -0.08011831755, 0.03427311229, 0.1332804304, 0.1724623959, 0.1342314688, 0.03574829811};  // shape [2, 6, 7]
const double kLoss = 1.97131558737;
const std::vector<double> kGradWte = {0.006412576247, 0.01043496698, 0.009497758162, 0.02284523585, -0.01120822684, -0.004798028685, -0.001927255399, -0.002618163534, 0.00787141008, 0.005250309217, 0.001406592866, 0.01405362368, -0.00437947918, -0.004318410402, -0.007308038641, -0.007951265911, 0.004902296657, 0.002532979911, 0.004171212883, 0.01396309696, -0.002180310977, -0.005551023223, -0.003478125607, 0.0004537918064, 0.002830531176, 0.006565484999, 0.003390384552, 0.002709867479, -0.002967997812, 0.003870996594, 0.002556250113, 0.0004281419847, -0.01956236323, -0.01646337056, -0.01132596746, -0.03404797902, 0.006084764664, 0.004523803275, 0.007837544259, 0.002707362347, -0.01872966002, -0.01588937925, -0.004089148448, -0.02335791966, 0.006977478282, 0.001783350479, 0.01009422596, 0.01383370654, 0.009456217761, 0.002584586729, 0.003000006326, 0.01054917377, 0.005919228806, -0.003991642868, -0.006596941647, 0.001241740979};  // shape [7, 8]
const std::vector<double> kGradQkv0 = {-9.071037065e-11, -8.526092966e-09, -1.111105126e-08, -2.297820472e-09, 7.109252259e-09, 6.090114771e-09, -4.586942408e-10, -1.359843359e-09, -3.269503656e-10, -1.880976271e-08, -2.453908368e-08, -5.2056397e-09, 1.556807827e-08, 1.345804865e-08, -9.610200481e-10, -3.096435047e-09, -4.164327244e-10, -2.065032732e-08, -2.695230072e-08, -5.776812583e-09, 1.703888835e-08, 1.478509188e-08, -1.031974475e-09, -3.443135377e-09, -3.189916579e-10, -1.322161579e-08, -1.72674859e-08, -3.754957751e-09, 1.086148255e-08, 9.475576894e-09, -6.397083324e-10, -2.244321579e-09, -3.570328619e-11, 1.908228403e-10, 2.053543959e-10, -3.502806289e-11, -2.11275801e-10, -1.343876069e-10, -1.044817153e-11, -6.161993843e-11, 3.030201891e-09, 1.660689636e-08, 2.01631814e-08, 4.853527408e-09, -1.227425109e-08, -1.264425486e-08, -2.35365301e-09, 1.105494533e-09, 4.735945669e-09, 2.556866149e-08, 3.10703966e-08, 7.563488559e-09, -1.882770487e-08, -1.947851766e-08, -3.640377757e-09, 1.776387616e-09, 4.315873836e-09, 2.305346646e-08, 2.803109747e-08, 6.87843989e-09, -1.692999983e-08, -1.756949245e-08, -3.293052537e-09, 1.649916711e-09, 7.598847127e-09, 1.278329767e-08, 7.378311241e-08, 8.345135669e-08, 2.387835004e-08, -3.002413313e-09, 5.394043511e-08, 1.07094111e-07, 4.206218106e-09, 5.18068001e-08, 2.523019669e-07, 2.563045481e-07, 5.193770748e-08, -1.298790138e-08, 1.876169396e-07, 3.401928795e-07, -1.016195322e-09, 6.689247532e-08, 3.144421273e-07, 3.110800989e-07, 5.619053116e-08, -1.696869769e-08, 2.347357936e-07, 4.165036272e-07, -5.714701745e-09, 5.115720719e-08, 2.317998223e-07, 2.226959343e-07, 3.464727384e-08, -1.312938929e-08, 1.737642069e-07, 3.011053819e-07, -5.028217606e-09, 1.191670581e-08, 4.750037502e-08, 4.04882786e-08, 1.837118361e-09, -3.172415488e-09, 3.6168672e-08, 5.709465535e-08, -2.28219694e-08, -3.075836068e-08, -1.855057917e-07, -2.147731344e-07, -6.510648413e-08, 7.084258976e-09, -1.350767058e-07, -2.736967003e-07, -3.020679971e-08, -5.914454524e-08, -3.326739865e-07, -3.708558186e-07, -1.021302629e-07, 1.404396631e-08, -2.437968465e-07, -4.780228433e-07, -2.377403214e-08, -6.022553339e-08, -3.264817483e-07, -3.561199816e-07, -9.221940538e-08, 1.451606555e-08, -2.4011267e-07, -4.621121808e-07, 3.873046541e-05, 0.0001331512014, 8.063503133e-05, -5.446226285e-05, -0.0001271439643, -0.0001151928544, -0.0001097557701, -0.0001304969703, 2.064990149e-05, 4.664451777e-05, 3.172095579e-05, -8.886319698e-06, -3.707296614e-05, -4.133721647e-05, -3.927616826e-05, -3.676792133e-05, -7.142633766e-06, -6.179981146e-05, -3.211198092e-05, 4.086899846e-05, 7.043402728e-05, 5.195996029e-05, 4.967562924e-05, 7.425365558e-05, -3.157587675e-05, -0.0001411787237, -8.084215123e-05, 7.140298804e-05, 0.0001448147971, 0.0001208195558, 0.0001152642021, 0.000150352578, -4.117294275e-05, -0.0001541651949, -9.160531116e-05, 6.828178468e-05, 0.0001510572417, 0.00013285693, 0.0001266037987, 0.0001556489139, -3.140195636e-05, -9.463876277e-05, -5.924721457e-05, 3.308923256e-05, 8.626718473e-05, 8.240805846e-05, 7.842733749e-05, 8.779591985e-05, -6.862139226e-06, 9.397758247e-06, 9.757727989e-07, -1.766570268e-05, -1.909567716e-05, -6.798610627e-06, -6.634726011e-06, -2.134886712e-05, 2.090504921e-05, 0.0001090143667, 6.073983897e-05, -6.011218191e-05, -0.0001154775437, -9.28077869e-05, -8.85763742e-05, -0.0001204529483};  // shape [24, 8]
const std::vector<double> kPenalized = {1.538461538, -1.3, 0.5, 2.307692308, -0.5, 1.5, 0.25, -2.6};  // shape [1, 8]
const std::vector<double> kTemperature = {2.197802198, -1.857142857, 0.7142857143, 3.296703297, -0.7142857143, 2.142857143, 0.3571428571, -3.714285714};  // shape [1, 8]
const std::vector<double> kTopK4 = {2.197802198, -kInf, 0.7142857143, 3.296703297, -kInf, 2.142857143, -kInf, -kInf};  // shape [1, 8]
const std::vector<double> kTopK4TopP = {2.197802198, -kInf, -kInf, 3.296703297, -kInf, 2.142857143, -kInf, -kInf};  // shape [1, 8]
const std::vector<double> kTopP = {2.197802198, -kInf, -kInf, 3.296703297, -kInf, -kInf, -kInf, -kInf};  // shape [1, 8]
// ---- end of pasted values ----

// The tiny configuration of gen_gpt.py with its closed-form weights, in float64.
std::unique_ptr<models::GPT> golden_gpt() {
  auto m = std::make_unique<models::GPT>(models::GPTConfig{.vocab_size = 7, .block_size = 6, .n_layer = 2, .n_head = 2, .n_embd = 8});
  m->to(kFloat64);
  NoGradGuard no_grad;
  int k = 0;
  for (auto& [name, p] : m->named_parameters()) {
    Tensor i = arange(0, p.numel(), 1, kFloat64);
    p.copy_(((i * 0.7 + (1.3 * k + 0.1)).sin() * 0.2).view(p.shape()));
    ++k;
  }
  return m;
}

Tensor golden(const std::vector<double>& v, const Shape& shape) { return from_vector(v, shape); }

models::GPTConfig small_config() { return {.vocab_size = 11, .block_size = 8, .n_layer = 2, .n_head = 2, .n_embd = 16}; }

}  // namespace

TEST(GPT, ShapesNamesAndInit) {
  manual_seed(0);
  models::GPT m({.vocab_size = 50, .block_size = 64, .n_layer = 3, .n_head = 4, .n_embd = 64});
  Tensor lg = m.logits(randint(0, 50, {3, 10}));
  EXPECT_EQ(lg.shape(), Shape({3, 10, 50}));
  EXPECT_EQ(m.vocab_size(), 50);
  EXPECT_EQ(m.context_length(), 64);
  // Names as nanoGPT / the PyTorch reference; the tied head counted once.
  auto named = m.named_parameters();
  EXPECT_EQ(named.front().first, "wte.weight");
  EXPECT_EQ(named[4].first, "blocks.0.qkv.weight");
  EXPECT_EQ(named.back().first, "ln_f.bias");
  const int64_t C = 64, V = 50, T = 64, L = 3;
  EXPECT_EQ(m.num_parameters(), V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C);
  // GPT-2 init: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 L)), zero biases.
  EXPECT_NEAR(m.wte->weight.std().item(), 0.02, 0.001);
  EXPECT_NEAR(m.blocks[0]->fc->weight.std().item(), 0.02, 0.001);
  EXPECT_NEAR(m.blocks[1]->fc2->weight.std().item(), 0.02 / std::sqrt(6.0), 0.0005);
  EXPECT_NEAR(m.blocks[2]->proj->weight.std().item(), 0.02 / std::sqrt(6.0), 0.001);
  EXPECT_EQ(m.blocks[0]->qkv->bias.abs().max().item(), 0.0);
  EXPECT_EQ(m.ln_f->weight.min().item(), 1.0);
  // bias = false drops the Linear biases.
  models::GPT nb({.vocab_size = 5, .block_size = 4, .n_layer = 1, .n_head = 1, .n_embd = 4, .bias = false});
  EXPECT_FALSE(nb.blocks[0]->qkv->bias.defined());
  EXPECT_EQ(nb.num_parameters(), 5 * 4 + 4 * 4 + 12 * 16 + 4 * 4 + 2 * 4);
}

TEST(GPT, DropoutOnlyInTraining) {
  manual_seed(2);
  models::GPT m({.vocab_size = 11, .block_size = 8, .n_layer = 2, .n_head = 2, .n_embd = 16, .dropout = 0.5});
  Tensor tokens = randint(0, 11, {2, 8});
  EXPECT_FALSE(allclose(m.logits(tokens), m.logits(tokens)));  // embedding, attention and residual dropout
  m.eval();
  EXPECT_TRUE(equal(m.logits(tokens), m.logits(tokens)));
}

TEST(GPT, HeadIsTiedToTheTokenEmbedding) {
  models::GPT m(small_config());
  StateDict sd = m.state_dict();
  ASSERT_TRUE(sd.count("head.weight"));
  EXPECT_EQ(sd.at("head.weight").data_ptr(), m.wte->weight.data_ptr());  // the same storage
  int uses = 0;
  for (const Tensor& p : m.parameters()) uses += p.is_same(m.wte->weight);
  EXPECT_EQ(uses, 1);
  // Loading a state_dict (as PyTorch saves it, with both keys) fills the one tensor.
  models::GPT other(small_config());
  other.load_state_dict(sd);
  EXPECT_TRUE(equal(other.wte->weight, m.wte->weight));
}

TEST(GPT, MatchesPyTorch) {
  auto m = golden_gpt();
  Tensor tokens = tensor({{1, 3, 5, 0, 6, 2}, {4, 4, 1, 0, 2, 3}}, kInt64);
  Tensor targets = tensor({{3, 5, 0, 6, 2, 1}, {4, 1, 0, 2, 3, 6}}, kInt64);
  EXPECT_TRUE(allclose(m->logits(tokens), golden(kLogits, {2, 6, 7}), 1e-7, 1e-9));
  Tensor loss = m->loss(tokens, targets);
  EXPECT_NEAR(loss.item(), kLoss, 1e-9);
  loss.backward();
  // The tied weight's gradient sums the embedding's and the head's contributions.
  EXPECT_TRUE(allclose(m->wte->weight.grad(), golden(kGradWte, {7, 8}), 1e-6, 1e-10));
  EXPECT_TRUE(allclose(m->blocks[0]->qkv->weight.grad(), golden(kGradQkv0, {24, 8}), 1e-5, 1e-12));
}

TEST(GPT, Gradcheck) {
  manual_seed(3);
  models::GPT m({.vocab_size = 5, .block_size = 4, .n_layer = 2, .n_head = 2, .n_embd = 4});
  m.to(kFloat64);
  {
    NoGradGuard no_grad;  // larger weights than GPT-2's init, so that every path matters
    for (Tensor p : m.parameters()) p.copy_(randn(p.shape(), kFloat64) * 0.5);
  }
  Tensor tokens = tensor({{1, 3, 4, 0}, {2, 2, 1, 4}}, kInt64), targets = tensor({{3, 4, 0, 1}, {2, 1, 4, 0}}, kInt64);
  auto f = [&](const TensorList&) { return m.loss(tokens, targets); };
  EXPECT_NO_THROW(gradcheck(f, m.parameters()));
}

TEST(GPT, CachedForwardMatchesFullForward) {
  manual_seed(1);
  models::GPT m(small_config());
  m.eval();
  Tensor tokens = randint(0, 11, {2, 8});
  Tensor full;
  {
    NoGradGuard no_grad;
    full = m.logits(tokens);
  }
  models::KVCache cache(m.config, 2);
  Tensor a = m.forward_with_cache(tokens.narrow(1, 0, 3), cache);  // prefill 3
  Tensor b = m.forward_with_cache(tokens.narrow(1, 3, 1), cache);  // one at a time
  Tensor c = m.forward_with_cache(tokens.narrow(1, 4, 4), cache);  // then 4 at once
  EXPECT_EQ(cache.length(), 8);
  EXPECT_TRUE(allclose(cat({a, b, c}, 1), full, 0, 1e-5));
  EXPECT_ERROR(m.forward_with_cache(tokens.narrow(1, 0, 1), cache),
               "GPT: 1 tokens after 8 cached positions do not fit the context length 8");
  cache.clear();
  EXPECT_TRUE(allclose(m.forward_with_cache(tokens, cache), full, 0, 1e-5));
  models::KVCache wrong(m.config, 3);
  EXPECT_ERROR(m.forward_with_cache(tokens, wrong), "the KV cache holds batch 3");
}

TEST(GPT, OverfitsAShortString) {
  manual_seed(0);
  const std::string text = "hello gpt, hello soma! ";
  std::vector<int64_t> ids;
  for (char ch : text) ids.push_back(static_cast<unsigned char>(ch) - 32);  // printable ASCII
  models::GPT m({.vocab_size = 95, .block_size = 16, .n_layer = 2, .n_head = 2, .n_embd = 32});
  auto opt = models::configure_adamw(m, 1e-2, 0.0);
  Tensor seq = from_vector(ids);
  Tensor x = seq.narrow(0, 0, 16).unsqueeze(0), y = seq.narrow(0, 1, 16).unsqueeze(0);
  double loss = 0;
  for (int step = 0; step < 150; ++step) {
    Tensor l = m.loss(x, y);
    opt->zero_grad();
    l.backward();
    opt->step();
    loss = l.item();
  }
  EXPECT_LT(loss, 0.05);
  Tensor out = models::generate(m, seq.narrow(0, 0, 1).unsqueeze(0), {.max_new_tokens = 15, .temperature = 0});
  EXPECT_TRUE(equal(out[0], seq.narrow(0, 0, 16)));
}

TEST(GPT, ConfigureAdamW) {
  models::GPT m(small_config());
  auto opt = models::configure_adamw(m, 1e-3, 0.1, {0.9, 0.95});
  ASSERT_EQ(opt->num_groups(), 2u);
  for (const Tensor& p : opt->params(0)) EXPECT_GE(p.dim(), 2);
  for (const Tensor& p : opt->params(1)) EXPECT_EQ(p.dim(), 1);
  EXPECT_EQ(opt->params(0).size() + opt->params(1).size(), m.parameters().size());
  EXPECT_EQ(opt->option("weight_decay", 0), 0.1);
  EXPECT_EQ(opt->option("weight_decay", 1), 0.0);
  EXPECT_EQ(opt->option("beta2", 0), 0.95);
}

TEST(GPT, BadInput) {
  models::GPT m(small_config());
  EXPECT_ERROR(m.logits(tensor({{1, 11}}, kInt64)), "embedding: index 11 is out of range for 11 embeddings");
  EXPECT_ERROR(m.logits(zeros({1, 9}, kInt64)), "GPT: 9 tokens after 0 cached positions do not fit the context length 8");
  EXPECT_ERROR(m.logits(zeros({4}, kInt64)), "GPT: expected tokens [B, T] of int64, got shape [4]");
  EXPECT_ERROR(m.logits(zeros({1, 2})), "dtype float32");
  EXPECT_ERROR(m.loss(zeros({1, 2}, kInt64), zeros({1, 3}, kInt64)), "targets of shape [1, 3] do not match");
  EXPECT_ERROR(models::GPT({.n_head = 4, .n_embd = 10}), "n_embd 10 is not divisible by n_head 4");
  EXPECT_ERROR(models::GPT({.vocab_size = 0}), "must be positive");
}

// ---- generation ----------------------------------------------------------------------------

TEST(Generate, NextTokenScoresMatchHuggingFace) {
  Tensor scores = tensor({{2.0, -1.0, 0.5, 3.0, -0.5, 1.5, 0.25, -2.0}});
  Tensor seq = tensor({{0, 1, 3, 3, 7}}, kInt64);
  auto run = [&](models::GenerationOptions o) { return models::next_token_scores(scores, seq, o).to(kFloat64); };
  auto same = [](const Tensor& a, const std::vector<double>& want) {
    Tensor w = from_vector(want, {1, 8});
    Tensor fin = isfinite(w);
    return equal(isfinite(a), fin) && allclose(a.masked_fill(~fin, 0.0), w.masked_fill(~fin, 0.0), 1e-6, 1e-6);
  };
  EXPECT_TRUE(same(run({.temperature = 0, .repetition_penalty = 1.3}), kPenalized));
  EXPECT_TRUE(same(run({.temperature = 0.7, .repetition_penalty = 1.3}), kTemperature));
  EXPECT_TRUE(same(run({.temperature = 0.7, .top_k = 4, .repetition_penalty = 1.3}), kTopK4));
  EXPECT_TRUE(same(run({.temperature = 0.7, .top_k = 4, .top_p = 0.8, .repetition_penalty = 1.3}), kTopK4TopP));
  EXPECT_TRUE(same(run({.temperature = 0.7, .top_p = 0.6, .repetition_penalty = 1.3}), kTopP));
  // The penalty lowers the probability of a token already in the sequence.
  Tensor p0 = run({}).softmax(1), p1 = run({.repetition_penalty = 2.0}).softmax(1);
  EXPECT_LT(p1[0][3].item(), p0[0][3].item());
  EXPECT_GT(p1[0][2].item(), p0[0][2].item());
  EXPECT_ERROR(run({.top_p = 0}), "top_p must be in (0, 1]");
  EXPECT_ERROR(run({.temperature = -1}), "temperature must be >= 0");
  EXPECT_ERROR(run({.repetition_penalty = 0}), "repetition_penalty must be > 0");
  EXPECT_ERROR(run({.top_k = -2}), "top_k must be >= 0");
}

TEST(Generate, CacheAndNaivePathsGiveTheSameTokens) {
  manual_seed(5);
  models::GPT m(small_config());  // block_size 8: 30 new tokens move the window several times
  Tensor prompt = tensor({{1, 2, 3}, {4, 5, 6}}, kInt64);
  for (models::GenerationOptions o : {models::GenerationOptions{.max_new_tokens = 30, .temperature = 0},
                                      models::GenerationOptions{.max_new_tokens = 30, .seed = 3},
                                      models::GenerationOptions{.max_new_tokens = 30, .temperature = 1.5, .top_k = 5,
                                                                .top_p = 0.9, .repetition_penalty = 1.2, .seed = 4}}) {
    o.use_cache = true;
    Tensor cached = models::generate(m, prompt, o);
    o.use_cache = false;
    Tensor naive = models::generate(m, prompt, o);
    EXPECT_EQ(cached.shape(), Shape({2, 33}));
    EXPECT_TRUE(equal(cached, naive));
    EXPECT_TRUE(equal(cached.narrow(1, 0, 3), prompt));
  }
  // The naive path's window rule by hand: 8 tokens, then restart from the last 4.
  Tensor greedy = models::generate(m, prompt.narrow(0, 0, 1), {.max_new_tokens = 7, .temperature = 0});
  Tensor seq = prompt.narrow(0, 0, 1);
  for (int64_t L = 3; L < 10; ++L) {
    const int64_t w = L > 8 ? L - 4 : 0;
    Tensor lg;
    {
      NoGradGuard no_grad;
      m.eval();
      lg = m.logits(seq.narrow(1, w, L - w));
    }
    seq = cat({seq, lg.select(1, L - w - 1).argmax(1, true)}, 1);
  }
  EXPECT_TRUE(equal(greedy, seq));
}

TEST(Generate, SamplingOptions) {
  manual_seed(6);
  models::GPT m(small_config());
  Tensor prompt = tensor({{1, 2, 3}, {7, 7, 0}}, kInt64);
  const Tensor greedy = models::generate(m, prompt, {.max_new_tokens = 12, .temperature = 0});
  EXPECT_TRUE(equal(models::generate(m, prompt, {.max_new_tokens = 12, .top_k = 1, .seed = 1}), greedy));
  EXPECT_TRUE(equal(models::generate(m, prompt, {.max_new_tokens = 12, .top_p = 1e-6, .seed = 2}), greedy));
  // Seeded: the same seed repeats, another seed differs (at temperature 3 the model is near uniform).
  const Tensor a = models::generate(m, prompt, {.max_new_tokens = 20, .temperature = 3, .seed = 9});
  EXPECT_TRUE(equal(models::generate(m, prompt, {.max_new_tokens = 20, .temperature = 3, .seed = 9}), a));
  EXPECT_FALSE(equal(models::generate(m, prompt, {.max_new_tokens = 20, .temperature = 3, .seed = 10}), a));
  // Streaming: one callback per step with the [B] new tokens, in order.
  std::vector<int64_t> streamed;
  Tensor out = models::generate(m, prompt, {.max_new_tokens = 5, .seed = 9}, [&](const Tensor& next) {
    EXPECT_EQ(next.shape(), Shape({2}));
    streamed.push_back(next[1].item<int64_t>());
  });
  ASSERT_EQ(streamed.size(), 5u);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(streamed[i], out[1][3 + i].item<int64_t>());
  // Generation leaves the model's mode as it was.
  EXPECT_TRUE(m.is_training());
}

TEST(Generate, StopToken) {
  manual_seed(6);
  models::GPT m(small_config());
  Tensor prompt = tensor({{1, 2, 3}, {7, 7, 0}}, kInt64);
  const Tensor free_run = models::generate(m, prompt, {.max_new_tokens = 12, .temperature = 0});
  // Stop on row 0's third new token: row 0 pads with it afterwards; the run ends once both rows stopped.
  const int64_t stop = free_run[0][5].item<int64_t>();
  Tensor out = models::generate(m, prompt, {.max_new_tokens = 12, .temperature = 0, .stop_token = stop});
  int64_t first0 = -1, first1 = -1;
  for (int64_t t = 3; t < free_run.size(1); ++t) {
    if (first0 < 0 && free_run[0][t].item<int64_t>() == stop) first0 = t;
    if (first1 < 0 && free_run[1][t].item<int64_t>() == stop) first1 = t;
  }
  const int64_t expected_len = first1 < 0 ? 15 : std::max(first0, first1) + 1;
  ASSERT_EQ(out.size(1), expected_len);
  for (int64_t t = 0; t < expected_len; ++t) {
    EXPECT_EQ(out[0][t].item<int64_t>(), t <= first0 ? free_run[0][t].item<int64_t>() : stop);
    if (first1 < 0 || t <= first1) {
      EXPECT_EQ(out[1][t].item<int64_t>(), free_run[1][t].item<int64_t>());
    }
  }
}

TEST(Generate, BadInputAndLongPrompts) {
  manual_seed(7);
  models::GPT m(small_config());
  // A prompt longer than the context: the model sees its last block_size tokens; the whole
  // prompt is returned in front of the new tokens.
  Tensor longp = randint(0, 11, {1, 12});
  Tensor out = models::generate(m, longp, {.max_new_tokens = 3, .temperature = 0});
  EXPECT_EQ(out.size(1), 15);
  EXPECT_TRUE(equal(out.narrow(1, 0, 12), longp));
  Tensor cropped = models::generate(m, longp.narrow(1, 4, 8), {.max_new_tokens = 1, .temperature = 0});
  EXPECT_EQ(out[0][12].item<int64_t>(), cropped[0][8].item<int64_t>());
  EXPECT_ERROR(models::generate(m, tensor({{1, 11}}, kInt64)), "generate: prompt token id 11 is out of range for vocabulary 11");
  EXPECT_ERROR(models::generate(m, tensor({{-1, 2}}, kInt64)), "prompt token id -1 is out of range");
  EXPECT_ERROR(models::generate(m, zeros({1, 0}, kInt64)), "generate: the prompt is empty");
  EXPECT_ERROR(models::generate(m, zeros({2}, kInt64)), "expected an int64 prompt [B, T0], got shape [2]");
  EXPECT_ERROR(models::generate(m, tensor({{1, 2}}, kInt64), {.stop_token = 20}), "stop_token 20 is out of range");
  EXPECT_ERROR(models::generate(m, tensor({{1, 2}}, kInt64), {.max_new_tokens = -1}), "max_new_tokens must be >= 0");
  EXPECT_EQ(models::generate(m, tensor({{1, 2}}, kInt64), {.max_new_tokens = 0}).size(1), 2);
}

// A tiny temperature divides the scores by 1e-300: they must not overflow to inf - inf = NaN in
// the softmax; the sampled tokens are then the greedy ones.
TEST(Generate, TinyTemperatureBehavesLikeGreedy) {
  manual_seed(8);
  models::GPT m(small_config());
  Tensor prompt = tensor({{1, 2, 3}, {7, 7, 0}}, kInt64);
  const Tensor greedy = models::generate(m, prompt, {.max_new_tokens = 12, .temperature = 0});
  for (double t : {1e-300, 1e-40, 4.9e-324})
    EXPECT_TRUE(equal(models::generate(m, prompt, {.max_new_tokens = 12, .temperature = t, .seed = 3}), greedy)) << t;
  Tensor scores = models::next_token_scores(tensor({{2.0, -1.0, 3.0, -INFINITY}}), tensor({{0}}, kInt64),
                                            {.temperature = 1e-300});
  EXPECT_FALSE(isnan(scores).any().item<bool>());
  EXPECT_EQ(scores[0][2].item(), 0.0);  // the best token; the others at -inf
  EXPECT_EQ(scores[0][0].item(), -INFINITY);
  EXPECT_ERROR(models::next_token_scores(tensor({{1.0, 2.0}}), tensor({{0}}, kInt64), {.repetition_penalty = INFINITY}),
               "repetition_penalty must be > 0 and finite, got inf");
}

// max_new_tokens is a bound, not a size: an "endless" stream (INT64_MAX, where T0 + n would
// overflow) or 1e12 tokens must not be allocated up front; the reader stops it (here by throwing
// from the callback, as a closed pipe would).
TEST(Generate, HugeMaxNewTokensIsNotAllocatedUpFront) {
  manual_seed(9);
  models::GPT m(small_config());
  struct Enough {};
  for (int64_t n : {std::numeric_limits<int64_t>::max(), int64_t{1000000000000}}) {
    int64_t made = 0;
    try {
      models::generate(m, tensor({{1, 2, 3}}, kInt64), {.max_new_tokens = n, .seed = 1}, [&](const Tensor&) {
        if (++made == 600) throw Enough{};  // past the first growth of the buffer
      });
    } catch (const Enough&) {
    }
    EXPECT_EQ(made, 600) << n;
  }
  // The buffer grows as needed: 600 tokens come back whole, the prompt first.
  Tensor prompt = tensor({{4, 5}}, kInt64);
  Tensor out = models::generate(m, prompt, {.max_new_tokens = 600, .temperature = 0});
  EXPECT_EQ(out.shape(), Shape({1, 602}));
  EXPECT_TRUE(equal(out.narrow(1, 0, 2), prompt));
}
