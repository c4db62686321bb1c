// BERT on the command line: masked-LM pre-training for `soma train --model bert` (the loop itself
// is language_model.cpp's) and fill-mask for `soma generate` on a BERT checkpoint.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "language_model.h"

namespace soma::cli {

namespace {

constexpr int64_t kIgnore = -100;  // label of the positions that are not predicted

struct BertSpecials {
  int64_t pad, cls, sep, mask;
};

BertSpecials find_specials(const data::Tokenizer& tok) {
  auto id = [&](const char* token) {
    std::optional<int64_t> i = tok.token_to_id(token);
    SOMA_CHECK(i.has_value(), "bert: the tokenizer has no {} token (a BERT tokenizer ends with [PAD] [CLS] [SEP] [MASK])",
               token);
    return *i;
  };
  return {id("[PAD]"), id("[CLS]"), id("[SEP]"), id("[MASK]")};
}

// The checkpoint's shape as a BERT: `context` is the longest input, [CLS] and [SEP] included.
std::shared_ptr<models::BertForMaskedLM> build_bert(const LMShape& s, const BertSpecials& sp) {
  SOMA_CHECK(s.context >= 3, "train: bert context {} leaves no room for text between [CLS] and [SEP] (need >= 3)",
             s.context);
  SOMA_CHECK(s.heads > 0 && s.width % s.heads == 0, "train: bert width {} must be a multiple of the head count {}",
             s.width, s.heads);
  // BERT's proportions: a feed-forward 4x the width, dropout 0.1, two segment embeddings (unused
  // here: they let a classifier fine-tuned from the checkpoint read sentence pairs).
  return std::make_shared<models::BertForMaskedLM>(models::BertConfig{.vocab_size = s.vocab,
                                                                      .max_position = s.context,
                                                                      .hidden = s.width,
                                                                      .layers = s.layers,
                                                                      .heads = s.heads,
                                                                      .intermediate = 4 * s.width,
                                                                      .pad_id = sp.pad});
}

// x [B, W] -> [CLS] x [SEP]: [B, W + 2].
Tensor add_cls_sep(const Tensor& x, const BertSpecials& sp) {
  const int64_t b = x.size(0);
  return cat({full({b, 1}, sp.cls, kInt64), x, full({b, 1}, sp.sep, kInt64)}, 1);
}

// Cross-entropy over the masked positions. The LM head (dense, LayerNorm, the [H, V] decoder) runs
// on those rows of the hidden states only, ~15% of them, instead of on all positions.
BatchLoss masked_loss(models::BertForMaskedLM& model, const data::MaskedTokens& m) {
  Tensor hidden = model.bert->forward(m.inputs, {}).last_hidden_state.flatten(0, 1);  // [B*T, H]
  Tensor labels = m.labels.flatten();
  Tensor rows = (labels != kIgnore).nonzero().reshape({-1});  // [N]
  SOMA_CHECK(rows.numel() > 0, "train: a bert batch of {} tokens had no masked token; use a larger batch or context",
             labels.numel());
  Tensor target = labels.index_select(0, rows);
  Tensor logits = model.cls->forward(hidden.index_select(0, rows));  // [N, V]
  Tensor loss = nn::functional::cross_entropy(logits, target);
  NoGradGuard no_grad;
  const auto correct = static_cast<int64_t>((logits.argmax(1) == target).sum().item());
  return {loss, correct, rows.numel()};
}

// The k most likely tokens for one [MASK], most likely first.
struct MaskGuess {
  int64_t position = 0;  // in the text's ids
  std::vector<int64_t> ids;
  std::vector<double> probs;
};

// ids: the text's tokens, without [CLS] and [SEP]; a guess for each [MASK] among them.
std::vector<MaskGuess> guess_masks(models::BertForMaskedLM& model, const BertSpecials& sp,
                                   const std::vector<int64_t>& ids, int64_t k) {
  NoGradGuard no_grad;
  model.eval();
  Tensor input = add_cls_sep(from_vector(ids, {1, static_cast<int64_t>(ids.size())}), sp);
  Tensor logits = model.forward(input, {}).select(0, 0);  // [T + 2, V]
  k = std::min(k, logits.size(1));
  std::vector<MaskGuess> guesses;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != sp.mask) continue;
    Tensor probs = nn::functional::softmax(logits.select(0, static_cast<int64_t>(i) + 1), 0);
    auto [p, top] = probs.topk(k);
    guesses.push_back({static_cast<int64_t>(i), top.to_vector<int64_t>(), p.to(kFloat64).to_vector<double>()});
  }
  return guesses;
}

std::vector<int64_t> filled(std::vector<int64_t> ids, const std::vector<MaskGuess>& guesses) {
  for (const MaskGuess& g : guesses) ids[g.position] = g.ids.front();
  return ids;
}

// A token's text in quotes, with newlines and stray bytes escaped.
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// After training: masks 15% of the first tokens of the validation text and fills them in.
void demo(models::BertForMaskedLM& model, const data::Tokenizer& tok, const BertSpecials& sp,
          const data::TokenWindows& val, uint64_t seed) {
  const int64_t n = std::min<int64_t>(val.seq_len(), 64);
  Tensor ids = val.tokens().narrow(0, 0, n).reshape({1, n});
  Generator gen(seed);
  Tensor selected = data::mask_tokens(ids, {.mask_id = sp.mask, .vocab_size = tok.vocab_size()}, &gen).labels != kIgnore;
  std::vector<int64_t> masked = where(selected, full({1, n}, sp.mask, kInt64), ids).to_vector<int64_t>();
  if (std::count(masked.begin(), masked.end(), sp.mask) == 0) masked[n / 2] = sp.mask;
  std::vector<MaskGuess> guesses = guess_masks(model, sp, masked, 1);
  const std::vector<int64_t> truth = ids.to_vector<int64_t>();
  int64_t right = 0;
  for (const MaskGuess& g : guesses) right += g.ids.front() == truth[g.position];
  std::printf("fill-mask: %s\n   filled: %s\n(%lld of %zu masks right)\n", quoted(tok.decode(masked)).c_str(),
              quoted(tok.decode(filled(masked, guesses))).c_str(), static_cast<long long>(right), guesses.size());
}

}  // namespace

std::vector<std::string> bert_special_tokens() { return {"[PAD]", "[CLS]", "[SEP]", "[MASK]"}; }

LMObjective masked_lm_objective(const LMShape& shape, const data::Tokenizer& tok, uint64_t seed) {
  const BertSpecials sp = find_specials(tok);
  auto model = build_bert(shape, sp);
  // BERT's corruption: 15% of the text tokens, of those 80% [MASK], 10% random, 10% unchanged.
  const data::MaskOptions mask{.mask_id = sp.mask,
                               .vocab_size = tok.vocab_size(),
                               .special_ids = {sp.pad, sp.cls, sp.sep, sp.mask},
                               .ignore_index = kIgnore};
  return {.model = model,
          .window = shape.context - 2,
          .per = "masked token",
          .batch_loss =
              [model, sp, mask](const data::TokenWindows& windows, int64_t batch, Generator& gen) {
                Tensor x = windows.sample(batch, &gen).input;  // [B, W]
                return masked_loss(*model, data::mask_tokens(add_cls_sep(x, sp), mask, &gen));
              },
          .demo = [model, sp, &tok, seed](const data::TokenWindows& val) { demo(*model, tok, sp, val, seed); }};
}

void fill_mask(const LMShape& shape, const StateDict& weights, const data::Tokenizer& tok, const std::string& prompt,
               int64_t top_k) {
  SOMA_CHECK(top_k >= 1, "generate: --top-k must be at least 1 for a BERT checkpoint, got {}", top_k);
  const BertSpecials sp = find_specials(tok);
  // A BPE token carries the space before its word (" heaven"), so the space before a [MASK] is
  // left for the mask to fill, as Hugging Face's mask token does (lstrip).
  std::string text = prompt;
  if (dynamic_cast<const data::BPETokenizer*>(&tok))
    for (size_t at = text.find(" [MASK]"); at != std::string::npos; at = text.find(" [MASK]", at)) text.erase(at, 1);
  const std::vector<int64_t> ids = tok.encode(text, {.special_tokens = true});
  SOMA_CHECK(std::count(ids.begin(), ids.end(), sp.mask) > 0,
             "generate: the prompt has no [MASK] to fill in (a BERT checkpoint predicts masked tokens, e.g. "
             "--prompt \"In the beginning God created the [MASK]\")");
  // Longer prompts are an error rather than cropped: cropping could drop the masks or their context.
  SOMA_CHECK(static_cast<int64_t>(ids.size()) + 2 <= shape.context,
             "generate: the prompt is {} tokens; this BERT reads at most {} ({} context minus [CLS] and [SEP])",
             ids.size(), shape.context - 2, shape.context);
  auto model = build_bert(shape, sp);
  model->load_state_dict(weights);
  const std::vector<MaskGuess> guesses = guess_masks(*model, sp, ids, top_k);
  for (size_t m = 0; m < guesses.size(); ++m) {
    std::printf("[MASK] %zu:", m + 1);
    for (size_t j = 0; j < guesses[m].ids.size(); ++j)
      std::printf("  %s %.4f", quoted(tok.id_to_token(guesses[m].ids[j])).c_str(), guesses[m].probs[j]);
    std::printf("\n");
  }
  std::printf("%s\n", tok.decode(filled(ids, guesses)).c_str());
}

}  // namespace soma::cli
