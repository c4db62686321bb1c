// BPETokenizer: GPT-2-style pre-splitting, incremental merge training, and encoding by merge
// rank with a heap over each piece.
#include "soma/data/bpe.h"

#include <algorithm>
#include <limits>
#include <queue>

#include "data/bytes.h"
#include "data/tokenizer_detail.h"
#include "data/untrusted_json.h"
#include "soma/error.h"

namespace soma::data {

namespace {

uint64_t pair_key(int64_t a, int64_t b) { return static_cast<uint64_t>(a) << 32 | static_cast<uint64_t>(b); }

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
// 0: whitespace, 1: letter, 2: digit, 3: anything else.
int byte_class(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return is_space(c) ? 0 : is_letter(c) ? 1 : is_digit(c) ? 2 : 3;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) at the start of s, or 0.
size_t contraction(std::string_view s) {
  if (s.size() < 2 || s[0] != '\'') return 0;
  if (s[1] == 's' || s[1] == 't' || s[1] == 'm' || s[1] == 'd') return 2;
  if (s.size() >= 3 && ((s[1] == 'r' && s[2] == 'e') || (s[1] == 'v' && s[2] == 'e') || (s[1] == 'l' && s[2] == 'l')))
    return 3;
  return 0;
}

// Calls f(piece) for the pieces of `text`, in order (GPT-2's pattern, see bpe.h).
template <class F>
void for_each_piece(std::string_view text, F f) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t end;
    if (size_t c = contraction(text.substr(i))) {
      end = i + c;
    } else if (byte_class(text[i]) != 0 || (text[i] == ' ' && i + 1 < n && byte_class(text[i + 1]) != 0)) {
      // ` ?` then a run of one class: letters, digits, or other non-space bytes.
      const size_t start = text[i] == ' ' ? i + 1 : i;
      const int cls = byte_class(text[start]);
      end = start + 1;
      while (end < n && byte_class(text[end]) == cls) ++end;
    } else {
      // Whitespace: the run, less its last byte when a non-space follows (that byte, if it is
      // a space, starts the next piece), but never empty.
      end = i + 1;
      while (end < n && byte_class(text[end]) == 0) ++end;
      if (end < n && end - i > 1) --end;
    }
    f(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace

std::vector<std::string_view> BPETokenizer::pre_split(std::string_view text) {
  std::vector<std::string_view> pieces;
  for_each_piece(text, [&](std::string_view p) { pieces.push_back(p); });
  return pieces;
}

BPETokenizer::BPETokenizer(std::vector<Merge> merges, std::vector<std::string> special_tokens)
    : merges_(std::move(merges)), special_(std::move(special_tokens)) {
  detail::check_special_tokens(special_, "BPETokenizer");
  check_merges();
  tokens_.reserve(256 + merges_.size() + special_.size());
  for (int b = 0; b < 256; ++b) tokens_.emplace_back(1, static_cast<char>(b));
  for (const auto& [a, b] : merges_) tokens_.push_back(tokens_[a] + tokens_[b]);
  for (int64_t id = static_cast<int64_t>(tokens_.size()) - 1; id >= 0; --id) token_id_.emplace(tokens_[id], id);
  for (size_t k = 0; k < special_.size(); ++k) {
    const int64_t id = static_cast<int64_t>(tokens_.size());
    tokens_.push_back(special_[k]);
    token_id_[special_[k]] = id;
  }
}

void BPETokenizer::check_merges() {
  // Token lengths first: merges that join a token to itself double its length, so 40 of
  // them in a 1 KB file would otherwise build a vocabulary of 2^40 bytes.
  std::vector<uint64_t> length(256, 1);
  length.reserve(256 + merges_.size());
  uint64_t total = 256;
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto [a, b] = merges_[i];
    const int64_t id = 256 + static_cast<int64_t>(i);
    SOMA_CHECK(a >= 0 && a < id && b >= 0 && b < id,
               "BPETokenizer: merge {} ({}, {}) must join two earlier tokens (ids in [0, {}))", i, a, b, id);
    SOMA_CHECK(rank_.emplace(pair_key(a, b), static_cast<int32_t>(i)).second,
               "BPETokenizer: merge {} ({}, {}) repeats merge {}", i, a, b, rank_.at(pair_key(a, b)));
    length.push_back(length[a] + length[b]);  // each at most kMaxVocabBytes: no overflow
    total += length.back();
    SOMA_CHECK(total <= kMaxVocabBytes,
               "BPETokenizer: the tokens of merges 0..{} hold {} bytes in all, over the limit of {} bytes", i, total,
               kMaxVocabBytes);
  }
}

// ---- training ------------------------------------------------------------------------------------

namespace {

struct Word {
  std::vector<int32_t> symbols;
  int64_t count;
  int64_t stamp = -1;  // the last merge that visited this word
};

struct Candidate {
  int64_t count;
  uint64_t pair;
  // The heap's top is the largest count, then the smallest pair (left id, then right id).
  bool operator<(const Candidate& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

}  // namespace

BPETokenizer BPETokenizer::train(std::string_view corpus, int64_t vocab_size, std::vector<std::string> special_tokens) {
  detail::check_special_tokens(special_tokens, "BPETokenizer::train");
  const int64_t base = 256 + static_cast<int64_t>(special_tokens.size());
  SOMA_CHECK(vocab_size >= base,
             "BPETokenizer::train: vocab_size {} is smaller than the 256 bytes plus {} special tokens", vocab_size,
             special_tokens.size());
  SOMA_CHECK(vocab_size - base < (int64_t{1} << 30), "BPETokenizer::train: vocab_size {} is too large", vocab_size);

  // The distinct pieces of the corpus (without the special tokens) and how often each occurs.
  std::unordered_map<std::string_view, int64_t> piece_counts;
  detail::split_special(
      corpus, special_tokens,
      [&](std::string_view text, size_t) { for_each_piece(text, [&](std::string_view p) { ++piece_counts[p]; }); },
      [](size_t) {});
  std::vector<Word> words;
  words.reserve(piece_counts.size());
  for (const auto& [piece, count] : piece_counts) {
    if (piece.size() < 2) continue;  // nothing to merge
    Word w{.symbols = std::vector<int32_t>(piece.size()), .count = count};
    for (size_t k = 0; k < piece.size(); ++k) w.symbols[k] = static_cast<unsigned char>(piece[k]);
    words.push_back(std::move(w));
  }

  // Pair counts over all words, and the words each pair occurs in (a list that may hold a
  // word twice, or a word that no longer has the pair: the merge loop checks).
  std::unordered_map<uint64_t, int64_t> counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> where;
  for (size_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (size_t k = 0; k + 1 < s.size(); ++k) {
      const uint64_t p = pair_key(s[k], s[k + 1]);
      counts[p] += words[w].count;
      where[p].push_back(static_cast<int32_t>(w));
    }
  }
  std::priority_queue<Candidate> heap;
  for (const auto& [p, c] : counts) heap.push({c, p});

  std::vector<Merge> merges;
  std::vector<uint64_t> fresh;  // pairs that contain the new token
  while (static_cast<int64_t>(merges.size()) < vocab_size - base && !heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    const int64_t actual = counts[top.pair];
    if (actual != top.count) {  // stale: the pair lost occurrences to earlier merges
      if (actual > 0) heap.push({actual, top.pair});
      continue;
    }
    if (actual < 2) break;
    const auto a = static_cast<int32_t>(top.pair >> 32), b = static_cast<int32_t>(top.pair & 0xFFFFFFFF);
    const auto id = static_cast<int32_t>(256 + merges.size());
    merges.emplace_back(a, b);
    fresh.clear();
    for (int32_t w : where[top.pair]) {
      Word& word = words[w];
      if (word.stamp == id) continue;
      word.stamp = id;
      auto& s = word.symbols;
      // Remove the word's pairs, merge (a, b) left to right, add the pairs back.
      for (size_t k = 0; k + 1 < s.size(); ++k) counts[pair_key(s[k], s[k + 1])] -= word.count;
      size_t out = 0;
      for (size_t k = 0; k < s.size(); ++k) {
        if (k + 1 < s.size() && s[k] == a && s[k + 1] == b) {
          s[out++] = id;
          ++k;
        } else {
          s[out++] = s[k];
        }
      }
      s.resize(out);
      for (size_t k = 0; k + 1 < s.size(); ++k) {
        const uint64_t p = pair_key(s[k], s[k + 1]);
        counts[p] += word.count;
        if (s[k] == id || s[k + 1] == id) {
          where[p].push_back(w);
          fresh.push_back(p);
        }
      }
    }
    where.erase(top.pair);
    counts.erase(top.pair);
    std::sort(fresh.begin(), fresh.end());
    fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
    for (uint64_t p : fresh) heap.push({counts[p], p});
  }
  return BPETokenizer(std::move(merges), std::move(special_tokens));
}

// ---- encoding and decoding -------------------------------------------------------------------------

void BPETokenizer::encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
  SOMA_CHECK(piece.size() < std::numeric_limits<int32_t>::max(), "BPETokenizer::encode: a word of {} bytes is too long",
             piece.size());
  const auto n = static_cast<int32_t>(piece.size());
  if (n == 1 || rank_.empty()) {
    for (char c : piece) out.push_back(static_cast<unsigned char>(c));
    return;
  }
  // Symbols in a linked list; a min-heap of (merge rank, position) for the adjacent pairs.
  // Merges only create pairs of later rank, so popping in order applies the merges in the
  // order they were learned, each left to right, exactly as training did.
  std::vector<int32_t> sym(n), next(n), prev(n);
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = static_cast<unsigned char>(piece[i]);
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  using Entry = std::pair<int32_t, int32_t>;  // (rank, position)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  const auto push = [&](int32_t i) {
    if (i < 0 || next[i] >= n) return;
    if (auto it = rank_.find(pair_key(sym[i], sym[next[i]])); it != rank_.end()) heap.emplace(it->second, i);
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const auto [r, i] = heap.top();
    heap.pop();
    if (sym[i] < 0 || next[i] >= n) continue;
    const int32_t j = next[i];
    if (merges_[r].first != sym[i] || merges_[r].second != sym[j]) continue;  // stale
    sym[i] = 256 + r;
    sym[j] = -1;
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = i;
    push(prev[i]);
    push(i);
  }
  for (int32_t i = 0; i < n; i = next[i]) out.push_back(sym[i]);
}

void BPETokenizer::encode_text(std::string_view text, PieceCache& cache, std::vector<int64_t>& out) const {
  for_each_piece(text, [&](std::string_view piece) {
    // Words repeat: a piece seen before copies the ids it got the first time.
    if (auto it = cache.find(piece); it != cache.end()) {
      const auto [start, count] = it->second;
      out.insert(out.end(), out.begin() + start, out.begin() + start + count);
      return;
    }
    const size_t start = out.size();
    encode_piece(piece, out);
    cache.emplace(piece, std::pair{start, out.size() - start});
  });
}

std::vector<int64_t> BPETokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int64_t> out;
  out.reserve(text.size() / 3 + 16);
  PieceCache cache;
  if (!options.special_tokens || special_.empty()) {
    encode_text(text, cache, out);
    return out;
  }
  const int64_t first_special = 256 + static_cast<int64_t>(merges_.size());
  detail::split_special(
      text, special_, [&](std::string_view piece, size_t) { encode_text(piece, cache, out); },
      [&](size_t k) { out.push_back(first_special + static_cast<int64_t>(k)); });
  return out;
}

std::string BPETokenizer::decode(std::span<const int64_t> ids) const {
  std::string out;
  for (int64_t id : ids) {
    SOMA_CHECK(id >= 0 && id < vocab_size(), "BPETokenizer: token id {} is out of range for a vocabulary of {}", id,
               vocab_size());
    out += tokens_[id];
  }
  return out;
}

std::optional<int64_t> BPETokenizer::token_to_id(std::string_view token) const {
  if (auto it = token_id_.find(std::string(token)); it != token_id_.end()) return it->second;
  return std::nullopt;
}

std::string BPETokenizer::id_to_token(int64_t id) const {
  SOMA_CHECK(id >= 0 && id < vocab_size(), "BPETokenizer: token id {} is out of range for a vocabulary of {}", id,
             vocab_size());
  return tokens_[id];
}

// ---- files -------------------------------------------------------------------------------------------

std::string BPETokenizer::to_json() const {
  // One merge per line keeps the file readable and diffable.
  std::string out = R"({"type": "bpe", "special_tokens": )" + nlohmann::json(special_).dump() + ",\n \"merges\": [";
  for (size_t i = 0; i < merges_.size(); ++i)
    out += fmt::format("{}\n  [{}, {}]", i ? "," : "", merges_[i].first, merges_[i].second);
  return out + "]}\n";
}

BPETokenizer BPETokenizer::load(const std::string& path) {
  return from_json(detail::read_file(path, "BPETokenizer::load"), path);
}

BPETokenizer BPETokenizer::from_json(std::string_view json, const std::string& name) {
  constexpr const char* op = "BPETokenizer::load";
  const nlohmann::json j = detail::parse_json(json, name, op);
  using kind = nlohmann::json::value_t;
  SOMA_CHECK(detail::member(j, "type", kind::string, name, op) == "bpe",
             "{}: '{}' is a tokenizer of type {}, expected \"bpe\"", op, name, detail::json_excerpt(j["type"]));
  std::vector<Merge> merges;
  for (const nlohmann::json& m : detail::member(j, "merges", kind::array, name, op)) {
    SOMA_CHECK(m.is_array() && m.size() == 2 && m[0].is_number_integer() && m[1].is_number_integer(),
               "{}: '{}' has merge {} = {}, expected a pair of token ids", op, name, merges.size(),
               detail::json_excerpt(m));
    merges.emplace_back(m[0].get<int64_t>(), m[1].get<int64_t>());
  }
  std::vector<std::string> specials = detail::string_list(j, "special_tokens", name, op);
  try {
    return BPETokenizer(std::move(merges), std::move(specials));
  } catch (const Error& e) {
    SOMA_FAIL("{}: '{}' is not a valid tokenizer: {}", op, name, e.what());
  }
}

}  // namespace soma::data
