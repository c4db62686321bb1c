#include "soma/data/masking.h"

#include <algorithm>

#include "soma/creation.h"

namespace soma::data {

MaskedTokens mask_tokens(const Tensor& ids, const MaskOptions& o, Generator* gen) {
  SOMA_CHECK(ids.dim() == 2 && ids.dtype() == kInt64, "mask_tokens: ids must be int64 [B, T], got {} {}",
             dtype_name(ids.dtype()), ids.shape());
  SOMA_CHECK(o.prob >= 0 && o.prob <= 1, "mask_tokens: prob must be in [0, 1], got {}", o.prob);
  SOMA_CHECK(o.vocab_size > 0, "mask_tokens: vocab_size must be positive, got {}", o.vocab_size);
  SOMA_CHECK(o.mask_id >= 0 && o.mask_id < o.vocab_size, "mask_tokens: mask_id {} is not in [0, vocab_size={})",
             o.mask_id, o.vocab_size);
  Tensor inputs = ids.contiguous().clone();
  Tensor labels = full(ids.shape(), o.ignore_index, kInt64);
  const int64_t n = ids.numel();
  // Three independent draws per token: selected?, which corruption, and the random replacement.
  const std::vector<double> select = rand({n}, kFloat64, gen).to_vector<double>();
  const std::vector<double> kind = rand({n}, kFloat64, gen).to_vector<double>();
  const std::vector<int64_t> random = randint(0, o.vocab_size, {n}, kInt64, gen).to_vector<int64_t>();
  int64_t* in = inputs.data<int64_t>();
  int64_t* lab = labels.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = in[i];
    SOMA_CHECK(id >= 0 && id < o.vocab_size, "mask_tokens: token id {} at flat position {} is not in [0, vocab_size={})",
               id, i, o.vocab_size);
    const bool special = std::find(o.special_ids.begin(), o.special_ids.end(), id) != o.special_ids.end();
    if (special || select[i] >= o.prob) continue;
    lab[i] = id;
    if (kind[i] < 0.8)
      in[i] = o.mask_id;
    else if (kind[i] < 0.9)
      in[i] = random[i];
  }
  return {inputs, labels};
}

}  // namespace soma::data
