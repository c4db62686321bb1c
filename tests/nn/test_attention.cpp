#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "kernels/cpu/attention.h"
#include "nn/layers_helpers.h"

using namespace soma;
using layers_test::error_of;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_attention.py (PyTorch 1.13, explicit attention in float64).
const std::vector<double> kPlainOut = {-0.05272495963390872, 0.14671088080154973, 0.10204809381642388, -0.0657240102961703, 0.421543563031615, 0.3929608691020462, -0.05472545765546137, 0.1448492714953093, -0.17122914346506554, 0.15916452619149735, -0.24511246890229915, -0.17634903368849958, 0.12651914445284962, 0.16094221473303344, -0.1749504296513275, 0.15792410730324696};  // shape [1, 2, 4, 2]
const std::vector<double> kPlainDq = {-0.051826193237867156, -0.13075084483669644, -0.01812520243311597, -0.18557831686005682, -0.10173216555665066, 0.13115184662036328, -0.2290062738866959, -0.2804653946125461, 0.07895794482951812, -4.077555731722693e-06, -0.07420191858118017, -0.03969377504859378, 0.0002669323349054238, -0.08068418532998319, -0.04343278246350428, -0.21023514672065347, -0.18386259922450737, 0.11186908687979877, -0.13601631322575078, -0.34671874691534227, -0.04947740409832577, 0.044546611757567245, -0.08916285921552908, -0.09224853255151294};  // shape [1, 2, 4, 3]
const std::vector<double> kPlainDk = {0.054278463285886785, 0.052699165103056465, 0.02633462612508939, -0.042649549028249446, -0.016403548217847213, 0.017557297631919794, -0.04819947342454779, 0.03275558538261511, 0.09830518056419411, 0.015550432821855099, -0.05512543181170969, -0.099874944505595, -0.024646096152630987, -0.05101513516826241, -0.05339095898078427, 0.04566622249768624, 0.03708936471214762, 0.011068799165175957, -0.0429829553941075, 0.05035340410560286, 0.12000777086080561, 0.05261474460562694, 0.08848151690877454, 0.08273404924788626, -0.06722100167154364, -0.08770239999191662, -0.06693598920828965, -0.0759835690470951, -0.060307892051688336, -0.016268471087565156, 0.1084438934101992, 0.051188234401313606, -0.030142051084735597, 0.02512888809692014, -0.042012863372086005, -0.08939530872810149};  // shape [1, 2, 6, 3]
const std::vector<double> kPlainDv = {0.4478777378338033, 0.42570557686270827, 0.4627031270793384, 0.3966893591161499, 0.4527391963624132, 0.4340203538248144, 0.4557734104388465, 0.41891500216841265, 0.4830565013913986, 0.4148464187545888, 0.44971168990176963, 0.43642698190960083, -0.4367326815654514, -0.42706625053528924, -0.4527268120312876, -0.4644602970105033, -0.45998646714207336, -0.42953824992620737, -0.4575628119250166, -0.47643618810955596, -0.46436784170887613, -0.4593530012465752, -0.45473031892563126, -0.42609383248107696};  // shape [1, 2, 6, 2]
const std::vector<double> kCausalOut = {0.14137276728236536, 0.422790686748531, -0.21927091824774309, -0.25050852383564515, 0.5133389236083943, 0.5335967645912344, -0.14286602507776097, 0.139011118881893, 0.1639832723921773, 0.4581993461551751, -0.325765743653038, -0.408425576176061, -0.01806221787867497, -0.14146541962036435, -0.22993917004014752, 0.173331524475071};  // shape [1, 2, 4, 2]
const std::vector<double> kCausalDq = {-0.23677158489588024, -0.0673770409054768, 0.20072502585906837, -0.27264943385980545, 0.11116771739630407, 0.33212390222856647, -0.27874308647812474, -0.33015887571816804, 0.10210886144888301, 0.013965571519609412, -0.09343506609687177, -0.06395311298635775, -0.12985856604911414, -0.08965430517484632, 0.08189372281826895, -0.4703897860916335, -0.06927914968090992, 0.43332560331613235, -0.48269750464648875, -0.5681533373432133, 0.1787368002095708, 0.08583164109823704, -0.10194118283898294, -0.14036993509430223};  // shape [1, 2, 4, 3]
const std::vector<double> kCausalDk = {0.19195109845322084, 0.07389600339971314, -0.07891353670958366, -0.004661269561891898, 0.026398538692023944, 0.04504270171053549, -0.09528273775886427, -0.010655839217979855, 0.07898266700920117, 0.04377691165263796, 0.023798576897044912, -0.007372600436250112, -0.13936318492737376, -0.13582364417400747, -0.0684041212626221, 0.0035791821422709695, 0.022386364403205225, 0.030664889688719214, -0.006093945807784492, 0.13674897543631573, 0.21527671677103374, 0.19785434081545467, 0.21650698331538407, 0.1333330085471547, -0.13700971224074104, -0.32692519481061877, -0.36308264991398154, -0.13661215595555468, -0.0929223441033332, -0.0055297018676358604, 0.11496277402297246, 0.07526182983871654, 0.0001640710827812697, -0.03310130083434673, -0.00867024967646424, 0.01983855538064772};  // shape [1, 2, 6, 3]
const std::vector<double> kCausalDv = {0.6999914447795702, 0.777908717291842, 0.5821840412103767, 0.5528096437195577, 0.6710520131662147, 0.6910351980814116, 0.3369804216558481, 0.19850884429582272, 0.4048696382797137, 0.29918527338923184, 0.056784103915846186, 0.00715601585840871, -0.5686313844512889, -0.5677685206476115, -0.5962901688128979, -0.7040910480399154, -0.6476904170450304, -0.6544592967824008, -0.5582952397184713, -0.5706810202269723, -0.3131174228272691, -0.16880563852131558, -0.042082300443378635, -0.01714229509099265};  // shape [1, 2, 6, 2]
const std::vector<double> kBoolMaskOut = {-0.15655754238630415, 0.34343140203691447, 0.04306298976868561, 0.545385312798476, 0.0, 0.0, -0.16058851505389163, 0.34291220159986924, -0.5743871773755411, -0.056257831085732804, -0.4786294255628172, -0.4015392019811796, 0.0, 0.0, -0.5726506489411226, -0.05449036605638871};  // shape [1, 2, 4, 2]
const std::vector<double> kBoolMaskDq = {0.002071850885921156, -0.19563990812671714, -0.10673874339815885, -0.040907638441150966, -0.3726691282829845, -0.1584694721193384, 0.0, 0.0, 0.0, -0.020888328627479972, -0.11002480071927699, -0.03797468199664064, -0.08614210606108902, 0.05186762390541613, 0.11389116333756803, -0.2751522270070993, 0.06792706199020403, 0.311493046035678, 0.0, 0.0, 0.0, -0.018455181165298526, 0.05365349801590322, 0.04715967690703004};  // shape [1, 2, 4, 3]
const std::vector<double> kBoolMaskDk = {-0.020082022424333823, 0.019796957522600335, 0.05036511901066133, 0.08248168646091557, 0.11681294911673745, 0.09620525655027864, 0.0, 0.0, 0.0, -0.18622492917221425, -0.22537128400898312, -0.15852200245287434, 0.12382526513563252, 0.08876137736964536, 0.011951626891934353, 0.0, 0.0, 0.0, -0.055004984405033305, -0.09497140347612312, -0.09027128752327812, 0.03582683069729872, 0.14941594814057296, 0.19273241048474446, 0.0, 0.0, 0.0, -0.04367470787698462, -0.066649660374066, -0.058278236167553274, 0.06285286158471926, 0.012205115709616188, -0.04418288679391305, 0.0, 0.0, 0.0};  // shape [1, 2, 6, 3]
const std::vector<double> kBoolMaskDv = {0.6476074297351162, 0.6449900016587188, 0.31075123934151333, 0.30608413456696515, 0.0, 0.0, 0.556701842435248, 0.5390665200530228, 0.31936319621388237, 0.32498968356672364, 0.0, 0.0, -0.2949428266641538, -0.32093814868016013, -0.5123144725781463, -0.5376581129584126, 0.0, 0.0, -0.43911625795697956, -0.48221755284604445, -0.5055251262462475, -0.5154518265925545, 0.0, 0.0};  // shape [1, 2, 6, 2]
const std::vector<double> kBiasMaskOut = {-0.025157337351820314, 0.2212223919464951, -0.05830200597604669, -0.14134382407566712, 0.4574689282872022, 0.27824372303713846, -0.029639221698504623, 0.21980379749309564, -0.13281711867823573, 0.2906084091252255, 0.02545636516336358, 0.2105912745353147, 0.38824578520666514, 0.6351774613001321, -0.13677770809880235, 0.28770018374818696};  // shape [1, 2, 4, 2]
const std::vector<double> kBiasMaskDq = {-0.1163800571246384, -0.11758408123067084, 0.05347284913643279, -0.30476036891651864, -0.036966571329264404, 0.28498333985882757, -0.34865149509419413, -0.23820099021577348, 0.22121452337432165, -0.04943927603091611, -0.09213479149806009, 0.00014737842831272696, 0.1635019257496343, -0.09565317737142796, -0.21467615155178743, 0.06922456586646347, -0.32106389727524115, -0.24099299873600577, 0.09163519209400496, -0.1928925872938617, -0.19483227439695194, 0.17446857059471294, -0.08616921013264993, -0.22056889614269193};  // shape [1, 2, 4, 3]
const std::vector<double> kBiasMaskDk = {0.09854638880744393, 0.06534005687590497, 0.001403275229076125, -0.0677291171430288, -0.042356367553856904, 0.002937243532393538, -0.050255027042899976, 0.04599162381781721, 0.12060769535806935, 0.01468226936853194, -0.055804218701688106, -0.10004511075153413, -0.004300618171383185, -0.017922948672046298, -0.02311583635844782, 0.009056104181336113, 0.004751854233869145, -0.0017872670095570478, -0.061338453352983144, -0.018861920541773602, 0.032485668225870463, 0.001580838601855994, 0.012352475518216496, 0.017314550185605605, -0.01970241048172041, -0.006109227202799195, 0.010357221088906755, -0.11037116631335989, -0.1038919094870086, -0.04855066427305172, 0.11710494269749107, 0.024513369474791307, -0.0796072244438667, 0.07272624884871634, 0.09199721223857368, 0.06800044921653564};  // shape [1, 2, 6, 3]
const std::vector<double> kBiasMaskDv = {0.6094487794340862, 0.5809382230539438, 0.8390950534186302, 0.721674770566395, 0.7110101139534507, 0.6846731152988188, 0.37692869085280134, 0.3472123163518819, 0.1584962361853048, 0.13671707312986653, 0.0568827891632961, 0.055388194235368345, -0.2022906566346871, -0.20283147262816878, -0.1488304964399722, -0.15426866323489885, -0.13545582994784083, -0.1288021697812617, -0.2569339850943848, -0.2722204914972826, -0.5943251384784878, -0.5938366864253193, -1.3882708267029633, -1.3309883357422767};  // shape [1, 2, 6, 2]
const std::vector<double> kCausalUpperLeftOut = {-0.19866933079506122, 0.644217687237691, 0.05596264101312534, 0.6344965551361367, 0.6053674142238094, 0.2591281680835297, -0.32348566028726844, 0.15036009049958032, -0.9227754216128073, -0.8754521746884276, -0.5142874740647077, -0.0419249599243291, 0.13274754218328005, -0.007822346097571764, 0.10246558243672696, 0.2915756592993351};  // shape [1, 2, 4, 2]
const std::vector<double> kCausalUpperLeftDq = {0.0, 0.0, 0.0, -0.19009369689940694, -0.2362995968739278, 0.0636739661629311, -0.5921138521549457, -0.21910537872949165, 0.47489298784397455, -0.0186742040555302, -0.0905051611354945, -0.029745845120918497, 0.0, 0.0, 0.0, -0.6592572357384592, 0.27452413070014753, 0.8061270025214042, -0.6594257609758357, -0.5557432125215377, 0.3621044442446839, -0.11808928061357604, -0.19715758238977987, 0.012610435926133003};  // shape [1, 2, 4, 3]
const std::vector<double> kCausalUpperLeftDk = {-0.08436246908137195, 0.011989243435005452, 0.10270222742680347, -0.1754261979371726, -0.22917704272406936, -0.17514234332776307, 0.2701093541934448, 0.28173960325012415, 0.160863314595533, -0.01032068717490024, -0.06455180396106029, -0.08842319869457345, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.2725173508073658, 0.017970667094456928, 0.3000067994623374, 0.4186164213518192, 0.40826857481561113, 0.20590563817116672, -0.18451338239618403, -0.4363011327273156, -0.48288964294353615, 0.038414311851730665, 0.010061890817247614, -0.023022794689967985, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [1, 2, 6, 3]
const std::vector<double> kCausalUpperLeftDv = {1.4392467422908855, 1.6327886983032018, 0.8903839215923157, 0.7054622031359399, 0.2383216765593056, 0.16517626928291576, 0.18390932256506284, 0.02317652191421714, 0.0, 0.0, 0.0, 0.0, -1.1659294803143176, -1.449298341583781, -0.8100724573922278, -0.7045192158435006, -0.681475716972091, -0.5011740110689803, -0.06862927861969977, -0.027956250812946105, 0.0, 0.0, 0.0, 0.0};  // shape [1, 2, 6, 2]
// The closed-form inputs of gen_attention.py: wave(shape, a, b)[i] = sin(a i + b).
Tensor wave(const Shape& shape, double a, double b, DType dtype = kFloat64) {
  std::vector<double> v(shape.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(a * static_cast<double>(i) + b);
  return from_vector(v, shape).to(dtype);
}

// The composed reference: attention_weights (matmul + masked softmax) times v.
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const F::AttentionOptions& o = {}) {
  return F::attention_weights(q, k, o).matmul(v);
}

struct Golden {
  const std::vector<double>&out, &dq, &dk, &dv;
};

// Checks outputs and gradients of `attend` at the golden inputs against PyTorch.
void check_golden(const Golden& gold, F::AttentionOptions o, DType dtype, double tol,
                  const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, const F::AttentionOptions&)>& attend) {
  const int64_t tq = 4, tk = 6;
  Tensor q = wave({1, 2, tq, 3}, 0.7, 0.1, dtype).requires_grad_(), k = wave({1, 2, tk, 3}, 1.3, 0.4, dtype).requires_grad_();
  Tensor v = wave({1, 2, tk, 2}, 0.9, -0.2, dtype).requires_grad_();
  if (o.attn_mask.defined() && o.attn_mask.dtype() != kBool) o.attn_mask = o.attn_mask.to(dtype);
  Tensor out = attend(q, k, v, o);
  TensorList g = autograd::grad({out}, {q, k, v}, {wave(out.shape(), 0.37, 0.5, dtype)});
  EXPECT_TRUE(allclose(out, from_vector(gold.out, {1, 2, tq, 2}).to(dtype), tol, tol));
  EXPECT_TRUE(allclose(g[0], from_vector(gold.dq, {1, 2, tq, 3}).to(dtype), tol, tol));
  EXPECT_TRUE(allclose(g[1], from_vector(gold.dk, {1, 2, tk, 3}).to(dtype), tol, tol));
  EXPECT_TRUE(allclose(g[2], from_vector(gold.dv, {1, 2, tk, 2}).to(dtype), tol, tol));
}

Tensor golden_keep() {  // gen_attention.py: wave([4, 6], 2.1, 0.3) > -0.3 with row 2 all false
  Tensor keep = wave({4, 6}, 2.1, 0.3) > -0.3;
  keep.select(0, 2).fill_(false);
  return keep;
}

}  // namespace

TEST(Attention, ValuesAndGradsMatchPyTorch) {
  auto fused = [](const Tensor& q, const Tensor& k, const Tensor& v, const F::AttentionOptions& o) {
    Tensor out = F::scaled_dot_product_attention(q, k, v, o);
    EXPECT_STREQ(out.grad_fn()->name(), "scaled_dot_product_attention");  // the fused node
    return out;
  };
  const F::AttentionOptions plain{}, causal{.is_causal = true, .scale = 0.8},
      causal_lower_right{.is_causal = true, .causal_variant = F::CausalVariant::LowerRight, .scale = 0.8},
      keep{.attn_mask = golden_keep()}, bias{.attn_mask = wave({2, 1, 6}, 0.5, 1.0) * 2.0};
  for (auto [dtype, tol] : {std::pair{kFloat64, 1e-10}, std::pair{kFloat32, 1e-5}}) {
    SCOPED_TRACE(dtype_name(dtype));
    for (auto* attend : {+fused, +[](const Tensor& q, const Tensor& k, const Tensor& v, const F::AttentionOptions& o) {
           return composed(q, k, v, o);
         }}) {
      check_golden({kPlainOut, kPlainDq, kPlainDk, kPlainDv}, plain, dtype, tol, attend);
      check_golden({kCausalUpperLeftOut, kCausalUpperLeftDq, kCausalUpperLeftDk, kCausalUpperLeftDv}, causal, dtype,
                   tol, attend);
      check_golden({kCausalOut, kCausalDq, kCausalDk, kCausalDv}, causal_lower_right, dtype, tol, attend);
      check_golden({kBoolMaskOut, kBoolMaskDq, kBoolMaskDk, kBoolMaskDv}, keep, dtype, tol, attend);
      check_golden({kBiasMaskOut, kBiasMaskDq, kBiasMaskDk, kBiasMaskDv}, bias, dtype, tol, attend);
    }
  }
}

TEST(Attention, FusedMatchesComposed) {
  // Sizes that are not multiples of the 64-wide tiles, float32, one case per mask kind.
  Generator gen(5);
  const int64_t B = 2, H = 3, Tq = 77, Tk = 130, D = 24, Dv = 40;
  // q, k, v as a projection would give them: [B, T, H, D] transposed to [B, H, T, D] (strided);
  // v shared by all heads (broadcast).
  Tensor q = randn({B, Tq, H, D}, kFloat32, &gen).transpose(1, 2), k = randn({B, Tk, H, D}, kFloat32, &gen).transpose(1, 2);
  Tensor v = randn({B, 1, Tk, Dv}, kFloat32, &gen), g = randn({B, H, Tq, Dv}, kFloat32, &gen);
  const std::vector<F::AttentionOptions> cases = {
      {},
      {.is_causal = true},                                                           // Tq < Tk: from the first key
      {.is_causal = true, .causal_variant = F::CausalVariant::LowerRight},           // Tq < Tk: to the last key
      {.attn_mask = rand({B, 1, Tq, Tk}, kFloat32, &gen) > 0.3, .is_causal = true},  // bool, broadcast over heads
      {.attn_mask = randn({Tk}, kFloat32, &gen) * 3.0, .scale = 0.5},                // additive, broadcast
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(c);
    TensorList in = {q.detach().requires_grad_(), k.detach().requires_grad_(), v.detach().requires_grad_()};
    Tensor y = F::scaled_dot_product_attention(in[0], in[1], in[2], cases[c]);
    Tensor yr = composed(in[0], in[1], in[2], cases[c]);
    EXPECT_EQ(y.shape(), (Shape{B, H, Tq, Dv}));
    EXPECT_TRUE(allclose(y, yr, 1e-4, 1e-5));
    TensorList gf = autograd::grad({y}, in, {g}), gr = autograd::grad({yr}, in, {g});
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(gf[i].shape(), in[i].shape());
      EXPECT_TRUE(allclose(gf[i], gr[i], 1e-4, 1e-4)) << i;
    }
  }
}

TEST(Attention, KernelMatchesReferenceLoops) {
  // The tiled kernels against the plain loops, float64, with tiles skipped by the causal rule,
  // a strided (transposed) bool mask and a row with no visible key.
  Generator gen(3);
  const int64_t B = 3, Tq = 70, Tk = 135, D = 16, Dv = 9;
  Tensor q = randn({B, Tq, D}, kFloat64, &gen), k = randn({B, Tk, D}, kFloat64, &gen), v = randn({B, Tk, Dv}, kFloat64, &gen);
  Tensor g = randn({B, Tq, Dv}, kFloat64, &gen);
  Tensor keep = (rand({Tk, Tq}, kFloat64, &gen) > 0.2).t();  // [Tq, Tk], strides (1, Tq)
  keep.select(0, 69).fill_(false);
  const std::vector<int64_t> offsets(B, 0);
  for (int causal : {0, 1, 2})  // none, from the first key, to the last key
    for (bool masked : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "causal " << causal << " masked " << masked);
      kernels::AttentionShape s{.batch = B, .tq = Tq, .tk = Tk, .d = D, .dv = Dv, .scale = 0.3, .causal = causal > 0,
                                .causal_offset = causal == 2 ? Tk - Tq : 0};
      kernels::AttentionMask<double> m;
      if (masked) m = {.keep = keep.data<bool>(), .batch_offset = offsets.data(), .stride_q = 1, .stride_k = Tq};
      Tensor out = empty({B, Tq, Dv}, kFloat64), lse = empty({B, Tq}, kFloat64);
      Tensor out_r = empty({B, Tq, Dv}, kFloat64), lse_r = empty({B, Tq}, kFloat64);
      kernels::attention_forward(q.data<double>(), k.data<double>(), v.data<double>(), m, s, out.data<double>(), lse.data<double>());
      kernels::attention_forward_reference(q.data<double>(), k.data<double>(), v.data<double>(), m, s,
                                           out_r.data<double>(), lse_r.data<double>());
      EXPECT_TRUE(allclose(out, out_r, 1e-12, 1e-12));
      EXPECT_TRUE(allclose(lse, lse_r, 1e-12, 1e-12));
      if (masked) {
        EXPECT_TRUE(std::isinf(lse[0][69].item()));  // no visible key: zeros, lse = +inf
        EXPECT_EQ(out[0][69].abs().sum().item(), 0.0);
      }
      TensorList d = {empty({B, Tq, D}, kFloat64), empty({B, Tk, D}, kFloat64), empty({B, Tk, Dv}, kFloat64)};
      TensorList dr = {empty({B, Tq, D}, kFloat64), empty({B, Tk, D}, kFloat64), empty({B, Tk, Dv}, kFloat64)};
      kernels::attention_backward(q.data<double>(), k.data<double>(), v.data<double>(), out.data<double>(),
                                  g.data<double>(), lse.data<double>(), m, s, d[0].data<double>(), d[1].data<double>(),
                                  d[2].data<double>());
      kernels::attention_backward_reference(q.data<double>(), k.data<double>(), v.data<double>(), out.data<double>(),
                                            g.data<double>(), lse.data<double>(), m, s, dr[0].data<double>(),
                                            dr[1].data<double>(), dr[2].data<double>());
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(allclose(d[i], dr[i], 1e-11, 1e-12)) << i;
    }
}

TEST(Attention, HeadsOfAPackedProjectionAreReadInPlace) {
  // q, k, v split from one [B, T, 3 * H * D] projection and viewed as [B, H, T, D] (rows 3HD
  // apart): the kernel reads them where they are and writes the output as [B, T, H, D], so
  // the transpose back to [B, T, H * D] needs no copy; values and gradients equal those of
  // contiguous copies of the same inputs.
  Generator gen(11);
  const int64_t B = 2, T = 70, H = 3, D = 8;
  Tensor packed = randn({B, T, 3 * H * D}, kFloat64, &gen).requires_grad_();
  Tensor g = randn({B, T, H * D}, kFloat64, &gen);
  auto attend = [&](bool copy) {
    TensorList parts = packed.split(H * D, 2);
    auto heads = [&](const Tensor& t) {
      Tensor h = t.view({B, T, H, D}).transpose(1, 2);
      return copy ? h.contiguous() : h;
    };
    Tensor y = F::scaled_dot_product_attention(heads(parts[0]), heads(parts[1]), heads(parts[2]), {.is_causal = true});
    return y.transpose(1, 2);  // [B, T, H, D]
  };
  Tensor y = attend(false), yc = attend(true);
  EXPECT_TRUE(y.is_contiguous());
  EXPECT_TRUE(allclose(y, yc, 1e-12, 1e-12));
  Tensor d = autograd::grad({y}, {packed}, {g.view({B, T, H, D})})[0];
  Tensor dc = autograd::grad({yc}, {packed}, {g.view({B, T, H, D})})[0];
  EXPECT_TRUE(allclose(d, dc, 1e-12, 1e-12));
  Tensor small = randn({1, 5, 3 * 2 * 3}, kFloat64, &gen).requires_grad_();
  auto packed_attention = [](const TensorList& in) {
    TensorList parts = in[0].split(6, 2);
    auto heads = [](const Tensor& t) { return t.view({1, 5, 2, 3}).transpose(1, 2); };
    return F::scaled_dot_product_attention(heads(parts[0]), heads(parts[1]), heads(parts[2]), {.is_causal = true});
  };
  EXPECT_NO_THROW(gradcheck(packed_attention, {small}));
}

TEST(Attention, Gradchecks) {
  // float64, non-contiguous q (transposed), k broadcast over heads, causal with Tq < Tk, and a
  // bool mask with a fully masked row; double backward runs the composed formulas.
  Generator gen(7);
  Tensor q = randn({2, 3, 2, 4}, kFloat64, &gen).transpose(1, 2).requires_grad_();  // [2, 2, 3, 4]
  Tensor k = randn({2, 1, 5, 4}, kFloat64, &gen).requires_grad_(), v = randn({2, 2, 5, 3}, kFloat64, &gen).requires_grad_();
  Tensor keep = rand({3, 5}, kFloat64, &gen) > 0.3;
  keep.select(0, 1).fill_(false);
  Tensor bias = randn({2, 1, 1, 5}, kFloat64, &gen).requires_grad_();
  auto run = [](F::AttentionOptions o) {
    return [o](const TensorList& in) { return F::scaled_dot_product_attention(in[0], in[1], in[2], o); };
  };
  for (const auto& o : {F::AttentionOptions{}, F::AttentionOptions{.is_causal = true},
                        F::AttentionOptions{.attn_mask = keep, .scale = 0.7}}) {
    EXPECT_NO_THROW(gradcheck(run(o), {q, k, v}));
    EXPECT_NO_THROW(gradgradcheck(run(o), {q, k, v}));
  }
  // An additive mask that requires grad (the composed path differentiates it too).
  auto with_bias = [](const TensorList& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], {.attn_mask = in[3]});
  };
  EXPECT_NO_THROW(gradcheck(with_bias, {q, k, v, bias}));
}

TEST(Attention, CausalVariants) {
  // UpperLeft (the default, PyTorch's is_causal): query i sees keys 0..i, also with fewer
  // queries than keys, so the first 3 queries against all 9 keys equal the first 3 rows of full
  // causal self-attention.
  Generator gen(2);
  Tensor q = randn({2, 9, 8}, kFloat32, &gen), k = randn({2, 9, 8}, kFloat32, &gen), v = randn({2, 9, 8}, kFloat32, &gen);
  Tensor full = F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
  Tensor head = F::scaled_dot_product_attention(q.narrow(1, 0, 3), k, v, {.is_causal = true});
  EXPECT_TRUE(allclose(head, full.narrow(1, 0, 3), 1e-6, 1e-6));
  EXPECT_TRUE(allclose(F::attention_weights(q.narrow(1, 0, 3), k, {.is_causal = true}).matmul(v), head, 1e-6, 1e-6));
  // LowerRight, a KV cache: the last 3 queries against all 9 keys equal the last 3 rows.
  const F::AttentionOptions lower_right{.is_causal = true, .causal_variant = F::CausalVariant::LowerRight};
  Tensor tail = F::scaled_dot_product_attention(q.narrow(1, 6, 3), k, v, lower_right);
  EXPECT_TRUE(allclose(tail, full.narrow(1, 6, 3), 1e-6, 1e-6));
  EXPECT_TRUE(allclose(F::attention_weights(q.narrow(1, 6, 3), k, lower_right).matmul(v), tail, 1e-6, 1e-6));
  // The masks, as torch.ones(Tq, Tk).tril(0) and .tril(Tk - Tq); UpperLeft allows Tq > Tk.
  EXPECT_TRUE(equal(F::causal_mask(2, 4), tensor({1, 0, 0, 0, 1, 1, 0, 0}, kBool).view({2, 4})));
  EXPECT_TRUE(equal(F::causal_mask(2, 4, F::CausalVariant::LowerRight), tensor({1, 1, 1, 0, 1, 1, 1, 1}, kBool).view({2, 4})));
  EXPECT_TRUE(equal(F::causal_mask(3, 2), tensor({1, 0, 1, 1, 1, 1}, kBool).view({3, 2})));
  Tensor more_q = F::scaled_dot_product_attention(q, k.narrow(1, 0, 4), v.narrow(1, 0, 4), {.is_causal = true});
  EXPECT_TRUE(allclose(more_q.narrow(1, 0, 4), full.narrow(1, 0, 4), 1e-6, 1e-6));
  // The first query sees only the first key: its output is v's first row.
  EXPECT_TRUE(allclose(full.select(1, 0), v.select(1, 0), 1e-6, 1e-6));
}

TEST(Attention, FullyMaskedRowsGiveZeros) {
  // Row 1 blocked by an additive -inf mask, row 2 by a bool mask: zeros and finite gradients on
  // both paths.
  Tensor q = wave({3, 4}, 0.7, 0.1).requires_grad_(), k = wave({5, 4}, 1.3, 0.4).requires_grad_();
  Tensor v = wave({5, 2}, 0.9, -0.2).requires_grad_();
  Tensor bias = zeros({3, 5}, kFloat64);
  bias.select(0, 1).fill_(-std::numeric_limits<double>::infinity());
  Tensor keep = ones({3, 5}, kBool);
  keep.select(0, 2).fill_(false);
  for (const auto& o : {F::AttentionOptions{.attn_mask = bias}, F::AttentionOptions{.attn_mask = keep}}) {
    const int64_t row = o.attn_mask.dtype() == kBool ? 2 : 1;
    for (const Tensor& y : {F::scaled_dot_product_attention(q, k, v, o), composed(q, k, v, o)}) {
      EXPECT_EQ(y.select(0, row).abs().sum().item(), 0.0);
      EXPECT_GT(y.select(0, 0).abs().sum().item(), 0.0);
      for (const Tensor& g : autograd::grad({y.sum()}, {q, k, v})) EXPECT_TRUE(isfinite(g).all().item<bool>());
    }
  }
}

TEST(Attention, DeterministicAcrossThreadCounts) {
  Generator gen(4);
  Tensor q = randn({4, 2, 150, 32}, kFloat32, &gen).requires_grad_(), k = randn({4, 2, 150, 32}, kFloat32, &gen).requires_grad_();
  Tensor v = randn({4, 2, 150, 32}, kFloat32, &gen).requires_grad_(), g = randn({4, 2, 150, 32}, kFloat32, &gen);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor y = F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
    TensorList r = autograd::grad({y}, {q, k, v}, {g});
    r.push_back(y);
    return r;
  };
  const int before = get_num_threads();
  TensorList one = run(1), four = run(4);
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(equal(one[i], four[i])) << i;
}

TEST(Attention, DropoutOnTheProbabilities) {
  Tensor q = wave({2, 6, 4}, 0.7, 0.1, kFloat32), k = wave({2, 6, 4}, 1.3, 0.4, kFloat32), v = wave({2, 6, 4}, 0.9, -0.2, kFloat32);
  Generator g1(9), g2(9);
  Tensor a = F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5, .generator = &g1});
  Tensor b = F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5, .generator = &g2});
  EXPECT_TRUE(equal(a, b));  // same seed, same draw
  EXPECT_FALSE(allclose(a, F::scaled_dot_product_attention(q, k, v), 1e-3, 1e-3));
  // Half the probabilities of each row survive, scaled by 2.
  Generator g3(9);
  Tensor w = F::attention_weights(q, k, {.dropout_p = 0.5, .generator = &g3});
  EXPECT_NEAR((w > 0).to(kFloat32).mean().item(), 0.5, 0.2);
}

TEST(Attention, BadInputsAreErrors) {
  Tensor q = zeros({2, 5, 4}), k = zeros({2, 7, 4}), v = zeros({2, 7, 3});
  auto msg = [&](const Tensor& q, const Tensor& k, const Tensor& v, const F::AttentionOptions& o) {
    return error_of([&] { F::scaled_dot_product_attention(q, k, v, o); });
  };
  EXPECT_NE(msg(zeros({4}), k, v, {}).find("need at least 2 dims"), std::string::npos);
  EXPECT_NE(msg(q, zeros({2, 7, 5}), v, {}).find("q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] expected, got [2, 5, 4], [2, 7, 5]"),
            std::string::npos);
  EXPECT_NE(msg(q, k, zeros({2, 6, 3}), {}).find("[2, 6, 3]"), std::string::npos);
  EXPECT_NE(msg(q, k, v.to(kFloat64), {}).find("one floating-point dtype, got float32, float32, float64"), std::string::npos);
  EXPECT_NE(msg(k, q, zeros({2, 5, 3}), {.is_causal = true, .causal_variant = F::CausalVariant::LowerRight})
                .find("is_causal with CausalVariant::LowerRight needs Tq <= Tk"),
            std::string::npos);
  EXPECT_NE(msg(q, k, v, {.attn_mask = zeros({5, 6})}).find("attn_mask of shape [5, 6] does not broadcast to [..., Tq=5, Tk=7]"),
            std::string::npos);
  EXPECT_NE(msg(q, k, v, {.attn_mask = zeros({5, 7}, kInt64)}).find("attn_mask must be bool or floating point"),
            std::string::npos);
  EXPECT_NE(msg(q, k, v, {.attn_mask = zeros({3, 5, 7})}).find("scaled_dot_product_attention"), std::string::npos);
  EXPECT_NE(msg(q, zeros({3, 7, 4}), v, {}).find("scaled_dot_product_attention"), std::string::npos);
  EXPECT_NE(msg(q, k, v, {.dropout_p = 1.0}).find("dropout_p must be in [0, 1)"), std::string::npos);
  EXPECT_NE(error_of([] { F::causal_mask(3, 2, F::CausalVariant::LowerRight); })
                .find("causal_mask: CausalVariant::LowerRight needs Tq <= Tk, got Tq=3 Tk=2"),
            std::string::npos);
  EXPECT_NE(error_of([] { F::causal_mask(-1, 2); }).find("causal_mask: need Tq >= 0 and Tk >= 0"), std::string::npos);
}
