// models::BertModel and its heads: shapes, padding, tied weights, gradients, a tiny pre-training
// with masked-LM followed by fine-tuning of the classification head.
#include <gtest/gtest.h>

#include <cmath>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;
using models::BertConfig;

namespace {

constexpr int64_t kPad = 0, kCls = 1, kSep = 2, kMask = 3, kFirstWord = 4;

BertConfig tiny(DType dtype = kFloat32) {
  return {.vocab_size = 20, .max_position = 16, .hidden = 16, .layers = 2, .heads = 2, .intermediate = 32,
          .dropout = 0.0, .type_vocab_size = 2, .dtype = dtype};
}

Tensor ids(const std::vector<int64_t>& v, int64_t rows) {
  return from_vector(v, {rows, static_cast<int64_t>(v.size()) / rows});
}

}  // namespace

TEST(Bert, ShapesNamesAndTiedWeights) {
  manual_seed(0);
  models::BertForMaskedLM mlm(tiny());
  Tensor x = ids({1, 5, 6, 7, 2, 0, 0, 1, 8, 9, 10, 11, 12, 2}, 2);
  Tensor types = ids({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, 2);
  auto [hidden, pooled] = mlm.bert->forward(x, types);
  EXPECT_EQ(hidden.shape(), (Shape{2, 7, 16}));
  EXPECT_EQ(pooled.shape(), (Shape{2, 16}));
  EXPECT_LE(pooled.abs().max().item(), 1.0);  // tanh
  Tensor logits = mlm.forward(x, types);
  EXPECT_EQ(logits.shape(), (Shape{2, 7, 20}));

  // Tied: the decoder is the word embedding tensor itself, registered once.
  const Tensor& emb = mlm.bert->embeddings->word_embeddings->weight;
  EXPECT_TRUE(mlm.cls->decoder_weight.is_same(emb));
  const StateDict sd = mlm.state_dict();
  EXPECT_TRUE(sd.contains("bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(sd.contains("bert.embeddings.token_type_embeddings.weight"));
  EXPECT_TRUE(sd.contains("bert.encoder.layers.1.self_attn.in_proj_weight"));
  EXPECT_TRUE(sd.contains("bert.pooler.weight"));
  EXPECT_TRUE(sd.contains("cls.bias"));
  EXPECT_TRUE(sd.contains("cls.LayerNorm.weight"));
  int64_t sum = 0;
  for (const auto& [name, t] : sd) sum += t.numel();
  EXPECT_EQ(mlm.num_parameters(), sum);  // the embedding matrix counted once
  // Row 19 of the embeddings is no input token: its gradient comes only through the decoder.
  mlm.loss(x, x).backward();
  EXPECT_GT(emb.grad()[19].abs().sum().item(), 0.0);

  // BERT's initialization: N(0, 0.02) weights, zero biases, padding row zero.
  EXPECT_NEAR(mlm.bert->encoder->parameters()[0].std().item(), 0.02, 0.004);
  EXPECT_EQ(mlm.bert->pooler->bias.abs().sum().item(), 0.0);
  EXPECT_EQ(emb[kPad].abs().sum().item(), 0.0);

  models::BertForSequenceClassification clf(mlm.bert, 3);
  EXPECT_EQ(clf(x).shape(), (Shape{2, 3}));
  EXPECT_TRUE(clf.bert->embeddings->word_embeddings->weight.is_same(emb));  // shared encoder
}

TEST(Bert, PaddingDoesNotChangeRealTokens) {
  manual_seed(1);
  models::BertModel bert(tiny());
  bert.eval();
  Tensor a = ids({1, 5, 6, 7, 8, 2, 1, 9, 4, 2, 0, 0}, 2);
  // More padding columns: padded keys are ignored by every query, however many there are.
  Tensor b = ids({1, 5, 6, 7, 8, 2, 0, 0, 0, 1, 9, 4, 2, 0, 0, 0, 0, 0}, 2);
  auto ra = bert.forward(a, {}), rb = bert.forward(b, {});
  EXPECT_TRUE(allclose(rb.last_hidden_state.narrow(1, 0, 6), ra.last_hidden_state, 1e-5, 1e-5));
  EXPECT_TRUE(allclose(rb.pooler_output, ra.pooler_output, 1e-5, 1e-5));
  // The second row alone, without any padding, gives the same states for its 4 real tokens.
  auto alone = bert.forward(ids({1, 9, 4, 2}, 1), {});
  EXPECT_TRUE(allclose(alone.last_hidden_state[0], ra.last_hidden_state[1].narrow(0, 0, 4), 1e-5, 1e-5));
  // Control: a real token does influence the others (so the checks above can fail).
  auto c = bert.forward(ids({1, 5, 6, 7, 9, 2, 1, 9, 4, 2, 0, 0}, 2), {});
  EXPECT_FALSE(allclose(c.last_hidden_state[0][0], ra.last_hidden_state[0][0], 1e-5, 1e-5));
  // Segments matter.
  auto d = bert.forward(a, ids({0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1}, 2));
  EXPECT_FALSE(allclose(d.last_hidden_state, ra.last_hidden_state, 1e-5, 1e-5));
}

TEST(Bert, GradcheckHeadsAndEncoder) {
  manual_seed(2);
  BertConfig c = tiny(kFloat64);
  c.vocab_size = 8, c.hidden = 4, c.intermediate = 6, c.layers = 1, c.max_position = 4;
  c.initializer_range = 0.5;  // larger weights: gradients well above the finite-difference noise
  models::BertForMaskedLM mlm(c);
  Tensor hidden = randn({2, 3, 4}, kFloat64).requires_grad_();
  models::BertLMHead& head = *mlm.cls;
  EXPECT_TRUE(gradcheck([&](const TensorList&) { return head(hidden); },
                        {hidden, head.dense->weight, head.bias, head.LayerNorm->weight, head.decoder_weight}));
  models::BertForSequenceClassification clf(mlm.bert, 3);
  Tensor x = ids({1, 5, 6, 2, 1, 7, 2, 0}, 2);
  const models::BertModel& bert = *clf.bert;
  EXPECT_TRUE(gradcheck([&](const TensorList&) { return clf.forward(x, ids({0, 0, 1, 1, 0, 1, 1, 1}, 2)); },
                        {clf.classifier->weight, bert.pooler->weight, bert.embeddings->word_embeddings->weight,
                         bert.embeddings->token_type_embeddings->weight,
                         bert.encoder->parameters()[0] /* in_proj_weight */}));
}

namespace {

// Pasted from tests/golden/gen_bert.py (torch 1.13 re-implementation, float64, eval mode).
const std::vector<double> kHidden = {1.0423415566737262, 1.3865110001789094, 0.560678589448999, 0.5302935820294764, -0.19830609119326853, -0.5574813209168786, -1.0037374368451621, -1.572111259265366, 1.1879765867417493, 1.4304595245984488, 0.4897714208945086, 0.42565985922349436, -0.32502574303958637, -0.6367423273974657, -0.9770697231397459, -1.3881155051410723, 1.0416203662982324, 1.3863062351919964, 0.5609601376723755, 0.5307719904127128, -0.19773463027430327, -0.5570972733950016, -1.0038104821537113, -1.572901360214807, 0.5736072279223831, -0.8487601083086297, -0.2547246854507105, -0.8935932443674436, -0.42535180255998517, -0.07511611354153802, 0.4560271177009804, 2.317960105304017, 0.020577214827982672, -1.3280062236768597, -0.06951227803941733, -0.7322474058873868, -0.034308178877661716, 0.26313616683013125, 0.49909015701214915, 2.2555024328039783, 0.6756895011218385, -0.7267087340509634, -0.29926828091516294, -0.912599463285192, -0.5006662040146377, -0.14328210735698355, 0.4547729100634869, 2.2931910298578915, 1.0452856990277493, 1.3836801387851099, 0.5630686395685958, 0.5276583205532729, -0.19635898369428598, -0.559687095719715, -1.0022875293581899, -1.573235387856407, 1.1246020357394009, 1.4070097683519993, 0.5281279743706185, 0.472809786842094, -0.2624257916574921, -0.6024165930202467, -0.9909131540986607, -1.479493853854179, -0.6120489247485323, -1.6709956920670277, 0.1598108413749583, -0.4038746032855807, 0.4430558470960165, 0.654731334011601, 0.46124301484679703, 1.81555320786112, 0.6540958066603487, -0.8000979277646736, -0.26078306141164287, -0.9039202721293917, -0.4633269920337852, -0.10515506639228515, 0.4201533626320112, 2.3012116484717002, -1.2312671848956722, -1.6545172899472338, 0.33700260080744016, 0.05714401616096807, 0.8873720718643681, 0.9632631658461206, 0.4267857462455955, 0.9780265091644995, 0.5928932541242438, -0.8739445379493904, -0.23288997764843145, -0.8913581557492682, -0.41704024877135043, -0.06307934687587147, 0.4189112717039328, 2.3136436247519745};  // shape [2, 6, 8]
const std::vector<double> kPooled = {0.9404439950518378, -0.9540041719353514, 0.9175944665489729, -0.92181064880471, 0.8451551586581483, -0.7946735466805955, 0.6458014089474662, -0.3908263372824886, 0.9405234749533306, -0.9540585681039496, 0.9176739236422428, -0.9218683289819046, 0.8452272274494026, -0.7947149259785324, 0.645783114178124, -0.3906788736465602};  // shape [2, 8]
const std::vector<double> kLogits = {0.7585683002443362, -0.6152229334161161, 0.7877687281092073, -0.5545044858102921, 0.6752718741715893, -0.4595877800974109, 0.4424815057248714, -0.3266080514020645, 0.14333621192579493, -0.14521387055592072, -0.15505536363229347, 0.08559358130830395, 0.7988137258050884, -0.6559009553231834, 0.8275416344013627, -0.5920643295917559, 0.709383485934781, -0.4891293867340753, 0.46648162045421004, -0.3442774214767926, 0.15409377350386225, -0.14870585720223614, -0.15894378720435964, 0.09673454283557807, 0.7583387511752501, -0.6149879425149667, 0.7875360231396497, -0.5542817193622661, 0.6750663720030374, -0.45940630022399015, 0.44233001618008005, -0.32649153397623, 0.14325849833803533, -0.1451775164466291, -0.15504916274463906, 0.08554502934221266, -0.10126758629439783, 0.19723024436298625, 0.049416085643232986, 0.08546661860139039, 0.15472799688844252, -0.07558940999526756, 0.20765657279381314, -0.24867886137007786, 0.22486549534730532, -0.38352050645919983, 0.23219182192059962, -0.43785938539318775, 0.5061628329196053, -0.44412716965950166, 0.7036092160900238, -0.5600488425512238, 0.7703377714279963, -0.6410489402898419, 0.7043705107462652, -0.6603125833936108, 0.5378822725701604, -0.5876266651154174, 0.3206752546609495, -0.40781028144521586, -0.2474589984590859, 0.3567297295809054, -0.11814627241456631, 0.2555814986974137, -0.012345113802451735, 0.08294766957144749, 0.06286907549491383, -0.12240233732834563, 0.1212525952746836, -0.3059785793187547, 0.18327086298175138, -0.41916817868375217, 0.7589069141793411, -0.6155805670802106, 0.788133620585617, -0.5548646374734856, 0.6756154412994497, -0.4599034643564682, 0.44275892572022185, -0.3268380840734248, 0.1435112925627509, -0.14532824156625773, -0.1550054633820173, 0.08560979280647817, 0.7823497977364343, -0.6394246655362676, 0.8115948118468395, -0.577171391492358, 0.6960341921288528, -0.47776273374015293, 0.45747140490635374, -0.33791994768250133, 0.15059810936612417, -0.14818695894336142, -0.15646885542109523, 0.09134717006732339, 0.8484527876302181, -0.78603595796006, 1.0338930396266313, -0.8678461942831925, 1.0455266203483444, -0.8745795981999114, 0.8885632346361001, -0.7891101266625427, 0.6070490798462693, -0.5948881600777465, 0.2657926403323584, -0.2925883931202641, -0.19624503350142344, 0.30067381672076654, -0.059091831307455864, 0.1954705567214834, 0.04684555823801595, 0.026623774849778868, 0.11447396055855553, -0.1675911667919252, 0.15853931758374262, -0.3341370066674615, 0.20137499495740702, -0.42662265413662315, 0.9508649932065205, -0.8720755922726784, 1.1007306571282238, -0.9132838149294962, 1.0680700109938255, -0.8734874110134986, 0.8638713866018223, -0.7416306184360788, 0.5383432928097538, -0.5072155097291657, 0.16203627456203562, -0.17616037881437913, -0.10748033203153315, 0.20407286303682917, 0.04216861610644591, 0.09288060325534371, 0.14739130877499426, -0.06857128815435726, 0.20118781078647957, -0.24297218685380914, 0.2201085744474771, -0.3798697722983679, 0.22976733025676926, -0.43674086654131894};  // shape [2, 6, 12]
const std::vector<double> kDwordEmbeddings = {1.7654254803022742, -0.3531859524936784, 1.197749409509581, -0.939601755318372, 0.5785863384964841, -1.4262025628349693, 0.3044302848647987, -1.3124028362574545, 1.9680055805995982, -0.34745200071133814, 1.336208122048863, -1.288185274178155, 0.855583526639012, -1.8908667056872204, 0.9742159766653217, -1.7166451185702454, 1.6004215427396118, -0.5748793900156561, 1.6617787253966019, -1.296016838907277, 1.4778766059557142, -1.9863619002318837, 1.5202591800688914, -2.430400234658771, 2.0805341919708114, -0.2860195580752819, 1.394772831078148, -1.7838360045198822, 1.249802964083083, -2.5124160033114045, 2.127562039404275, -2.21447019692125, 2.144001307514327, -0.3311434547741643, 1.3002765731208377, -2.0476383730223247, 1.2473787382556598, -2.709059183413412, 2.5240553911593393, -1.9916338527139832, 1.7415817224666537, -0.1608270618216774, 1.1691740293479937, -1.892478988365113, 1.3962471422456346, -2.6032335686568473, 2.8355856108301243, -2.276680087886078, 1.4389920452052363, -0.08342455289420053, 0.9515959373299202, -1.808537906080448, 1.348804879999882, -2.4480392088941305, 2.9783100865100267, -2.10622770143911, 0.12847613484652398, -0.3711377950264286, 1.162693667748184, -1.0370469176703914, 1.9947158031550414, -1.6364293472954214, 2.8344874820005868, -2.7564784224749865, 1.078287046284585, 0.06121078704945292, 0.22170502437453696, -1.7112107817358138, 0.712251759934041, -2.0037398932657937, 2.8183550414195833, -0.8265869719154902, 0.19720242227066603, 0.1364056280822226, 0.06493162077991856, -1.0527059189525174, 0.8022096357548572, -1.2880664035965708, 2.4700181554186007, -0.9671795703670875, -0.3340005941600441, 0.21935608040415247, -0.24623813742808795, -0.6147889227789417, 0.5558871056138095, -0.704460011876552, 2.014552749965067, -0.5340576268847635, -0.7968982353645947, 0.2768743028287801, -0.5557732704588163, -0.18611455709778432, 0.2511316938827916, -0.10639484452951857, 1.4580786083211579, -0.009980708678856958};  // shape [12, 8]
const std::vector<double> kClassLogits = {0.1585285124306913, -0.014962925379442119, 0.1422358161949001, 0.1585357838812633, -0.014975306858796486, 0.14225290053345852};  // shape [2, 3]

Tensor wave(const Shape& shape, double a, double b, DType dtype) {
  std::vector<double> v(shape.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(a * static_cast<double>(i) + b);
  return from_vector(v, shape).to(dtype);
}

// gen_bert.py's fill(): c = (sum of the name's characters) mod 97, u[i] = sin(0.37 i + 0.1 c);
// matrices u / sqrt(columns), weights of modules named like "*norm*" (any case) 1 + 0.1 u, other
// vectors 0.1 u. Then eval mode.
void fill(nn::Module& m) {
  NoGradGuard no_grad;
  for (auto& [name, p] : m.named_parameters()) {
    int c = 0;
    for (char ch : name) c += static_cast<unsigned char>(ch);
    const Tensor u = wave(p.shape(), 0.37, 0.1 * (c % 97), p.dtype());
    const size_t dot = name.rfind('.');
    std::string owner = dot == std::string::npos ? "" : name.substr(0, dot);
    owner = owner.substr(owner.rfind('.') + 1);
    for (char& ch : owner) ch = static_cast<char>(std::tolower(ch));
    if (p.dim() >= 2)
      p.copy_(u / std::sqrt(double(p.size(-1))));
    else
      p.copy_(owner.find("norm") != std::string::npos && name.ends_with("weight") ? u * 0.1 + 1.0 : u * 0.1);
  }
  m.eval();
}

}  // namespace

TEST(Bert, MatchesPyTorchReimplementation) {
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat64 ? 1e-10 : 1e-4;
    auto close = [&](const Tensor& a, const std::vector<double>& golden) {
      return allclose(a, from_vector(golden, a.shape()).to(dt), tol, tol);
    };
    models::BertForMaskedLM mlm(BertConfig{.vocab_size = 12, .max_position = 8, .hidden = 8, .layers = 2, .heads = 2,
                                           .intermediate = 16, .dropout = 0.0, .dtype = dt});
    models::BertForSequenceClassification clf(mlm.bert, 3);
    fill(mlm);
    fill(clf);  // the shared encoder gets the same values again (same names), plus the classifier
    Tensor x = ids({1, 5, 6, 7, 8, 2, 1, 9, 4, 2, 0, 0}, 2), types = ids({0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1}, 2);
    auto [hidden, pooled] = mlm.bert->forward(x, types);
    EXPECT_TRUE(close(hidden, kHidden)) << dtype_name(dt);
    EXPECT_TRUE(close(pooled, kPooled)) << dtype_name(dt);
    Tensor logits = mlm.cls->forward(hidden);
    EXPECT_TRUE(close(logits, kLogits)) << dtype_name(dt);
    const Tensor& emb = mlm.bert->embeddings->word_embeddings->weight;
    Tensor g = autograd::grad({logits}, {emb}, {wave(logits.shape(), 0.23, 0.7, dt)})[0];
    EXPECT_TRUE(close(g, kDwordEmbeddings)) << dtype_name(dt);  // through the input and the tied decoder
    EXPECT_TRUE(close(clf.forward(x, types), kClassLogits)) << dtype_name(dt);
  }
}

TEST(Bert, BadInput) {
  models::BertModel bert(tiny());
  EXPECT_NE(error_of([&] { bert.forward(zeros({2, 3}), {}); }).find("BertEmbeddings: input_ids must be int64 [B, T], got float32 [2, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bert.forward(zeros({2, 17}, kInt64), {}); }).find("sequence length 17 exceeds max_position 16"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bert.forward(zeros({2, 3}, kInt64), zeros({2, 4}, kInt64)); })
                .find("token_type_ids must be int64 shaped like input_ids [2, 3], got int64 [2, 4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bert.forward(full({1, 3}, 20, kInt64), {}); }), "");  // id out of range
  BertConfig bad = tiny();
  bad.heads = 3;
  EXPECT_NE(error_of([&] { models::BertModel m(bad); }).find("hidden (16) must be a multiple of heads (3)"), std::string::npos);
  models::BertForMaskedLM mlm(tiny());
  EXPECT_NE(error_of([&] { mlm.loss(zeros({2, 3}, kInt64), zeros({2, 4}, kInt64)); })
                .find("labels must be int64 shaped like input_ids [2, 3], got int64 [2, 4]"),
            std::string::npos);
}

namespace {

// Pre-training corpus: [CLS] then a run of consecutive words (mod 16) of random start and length
// 6..10, [SEP], padding to 12. Every word is predictable from its neighbours or its position.
Tensor progressions(int64_t n, Generator& gen) {
  const auto start = randint(0, 16, {n}, kInt64, &gen).to_vector<int64_t>();
  const auto len = randint(6, 11, {n}, kInt64, &gen).to_vector<int64_t>();
  std::vector<int64_t> v(n * 12, kPad);
  for (int64_t i = 0; i < n; ++i) {
    v[i * 12] = kCls;
    for (int64_t j = 0; j < len[i]; ++j) v[i * 12 + 1 + j] = kFirstWord + (start[i] + j) % 16;
    v[i * 12 + 1 + len[i]] = kSep;
  }
  return from_vector(v, {n, 12});
}

// Fine-tuning task: [CLS] + 8 random words + [SEP]; label 1 when word kFirstWord + 5 occurs.
std::pair<Tensor, Tensor> contains_task(int64_t n, Generator& gen) {
  Tensor words = randint(kFirstWord, kFirstWord + 16, {n, 8}, kInt64, &gen);
  Tensor x = cat({full({n, 1}, kCls, kInt64), words, full({n, 1}, kSep, kInt64)}, 1);
  return {x, (words == kFirstWord + 5).any({1}).to(kInt64)};
}

}  // namespace

TEST(Bert, PretrainMaskedLMThenFineTuneClassifier) {
  // Tiny tensors: one thread is fastest, and on a busy machine OpenMP's waiting threads can slow
  // each step down many times over.
  const int threads = get_num_threads();
  set_num_threads(1);
  manual_seed(3);
  Generator gen(3);
  BertConfig c{.vocab_size = kFirstWord + 16, .max_position = 12, .hidden = 32, .layers = 2, .heads = 2,
               .intermediate = 64, .dropout = 0.0};
  models::BertForMaskedLM mlm(c);
  optim::Adam opt(mlm.parameters(), {.lr = 2e-3});
  const data::MaskOptions mo{.mask_id = kMask, .vocab_size = c.vocab_size, .special_ids = {kPad, kCls, kSep, kMask}};
  auto mlm_loss = [&](Generator& g) {
    auto [inputs, labels] = data::mask_tokens(progressions(64, g), mo, &g);
    return mlm.loss(inputs, labels);
  };
  Generator eval_gen(99);
  const double before = mlm_loss(eval_gen).item();
  for (int step = 0; step < 300; ++step) {
    Tensor loss = mlm_loss(gen);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  eval_gen.manual_seed(99);
  const double after = mlm_loss(eval_gen).item();
  EXPECT_GT(before, 2.5);  // about log(20) at initialization
  EXPECT_LT(after, 0.5 * before) << "MLM loss " << before << " -> " << after;

  // Fine-tune the pre-trained encoder with a classification head.
  models::BertForSequenceClassification clf(mlm.bert, 2);
  optim::Adam ft(clf.parameters(), {.lr = 1e-3});
  for (int step = 0; step < 300; ++step) {
    auto [x, y] = contains_task(64, gen);
    Tensor loss = nn::functional::cross_entropy(clf(x), y);
    ft.zero_grad();
    loss.backward();
    ft.step();
  }
  clf.eval();
  auto [x, y] = contains_task(1000, eval_gen);
  const double accuracy = (clf(x).argmax(1) == y).to(kFloat64).mean().item();
  EXPECT_GT(accuracy, 0.95) << "held-out accuracy";
  set_num_threads(threads);
}
