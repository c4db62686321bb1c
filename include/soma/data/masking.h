#pragma once
// Masked-language-model inputs (BERT's pre-training corruption).
#include <cstdint>
#include <vector>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::data {

struct MaskOptions {
  double prob = 0.15;        // chance that a (non-special) token is selected for prediction
  int64_t mask_id = -1;      // [MASK]; required
  int64_t vocab_size = 0;    // random replacements are drawn uniformly from [0, vocab_size); required
  std::vector<int64_t> special_ids = {};  // never selected ([PAD], [CLS], [SEP], ...)
  int64_t ignore_index = -100;       // label of the positions not selected
};

struct MaskedTokens {
  Tensor inputs;  // [B, T] int64: the corrupted ids
  Tensor labels;  // [B, T] int64: the original id where selected, ignore_index elsewhere
};

// Selects each non-special token of ids [B, T] (int64, in [0, vocab_size)) with probability prob;
// of the selected, 80% become mask_id, 10% a uniformly random token, 10% stay unchanged (as in BERT
// and Hugging Face's DataCollatorForLanguageModeling). Reproducible from the generator.
MaskedTokens mask_tokens(const Tensor& ids, const MaskOptions& options, Generator* gen = nullptr);

}  // namespace soma::data
