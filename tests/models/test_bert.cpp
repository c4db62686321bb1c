// models::BertModel and its heads: shapes, padding, tied weights, gradients, a tiny pre-training
// with masked-LM followed by fine-tuning of the classification head.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.h"

using namespace soma;
using models::BertConfig;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

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
}
