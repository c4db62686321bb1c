#pragma once
// What `soma train` and `soma generate` share between the next-token language models (gpt,
// lstm, gru: language_model.cpp) and the masked one (bert: masked_lm.cpp). The training loop,
// checkpoints, metrics log and learning curve are written once, over an LMObjective.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "soma/soma.h"

namespace soma::cli {

// The shape of a language model: what the checkpoint records (its `user` map) to rebuild it.
struct LMShape {
  std::string model;
  int64_t vocab = 0, context = 0, layers = 0, heads = 0, width = 0, embedding = 0;
};

// The loss of one batch, averaged over the tokens it predicts (every next token, or the masked
// ones), and how many of those tokens the model's best guess got right.
struct BatchLoss {
  Tensor loss;
  int64_t correct = 0, predicted = 0;
};

// A kind of language model as the training loop sees it.
struct LMObjective {
  std::shared_ptr<nn::Module> model;
  int64_t window = 0;          // corpus tokens per example
  std::string per = "token";   // what the loss is a mean over, for the messages ("masked token")
  // The loss of `batch` windows drawn from `windows` with `gen` (which also draws any masks).
  std::function<BatchLoss(const data::TokenWindows& windows, int64_t batch, Generator& gen)> batch_loss;
  // Prints what the trained model does with the start of the validation text.
  std::function<void(const data::TokenWindows& val)> demo;
};

// masked_lm.cpp
// [PAD], [CLS], [SEP], [MASK]: the special tokens of a BERT tokenizer, after its vocabulary.
std::vector<std::string> bert_special_tokens();
// Masked-LM pre-training of BertForMaskedLM: [CLS] + window + [SEP], 15% of the tokens masked.
LMObjective masked_lm_objective(const LMShape& shape, const data::Tokenizer& tok, uint64_t seed);
// soma generate on a BERT checkpoint: the top_k tokens for each [MASK] of the prompt, then the
// prompt with each mask filled in by the best one.
void fill_mask(const LMShape& shape, const StateDict& weights, const data::Tokenizer& tok, const std::string& prompt,
               int64_t top_k);

}  // namespace soma::cli
