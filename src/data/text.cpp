// Text files, the KJV Bible through Debian's `bible` program, and token-stream windows.
#include "soma/data/text.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "data/bytes.h"
#include "soma/creation.h"
#include "soma/views.h"

namespace soma::data {

std::string read_text_file(const std::string& path) {
  std::string text = detail::read_file(path, "read_text_file");
  SOMA_CHECK(!text.empty(), "read_text_file: '{}' is empty", path);
  return text;
}

namespace {

// A fresh directory under the system's temporary directory, removed with its contents at the
// end of the scope.
class ScratchDir {
 public:
  explicit ScratchDir(const char* op) {
    std::error_code ec;  // TMPDIR naming nothing, or a file
    const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
    SOMA_CHECK(!ec, "{}: no usable temporary directory (TMPDIR='{}'): {}", op,
               std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "", ec.message());
    std::string pattern = (tmp / "soma_bible_XXXXXX").string();
    SOMA_CHECK(::mkdtemp(pattern.data()) != nullptr, "{}: cannot create a temporary directory: {}", op,
               std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string kjv_bible_text() {
  constexpr const char* op = "kjv_bible_text";
  // `bible` runs in a scratch directory so that nothing it might leave behind lands in ours.
  ScratchDir dir(op);
  SOMA_CHECK(dir.path().find('\'') == std::string::npos, "{}: unusable temporary directory '{}'", op, dir.path());
  const std::string command = "command -v bible >/dev/null 2>&1 || exit 127; cd '" + dir.path() +
                              "' && exec bible -f Gen1:1-Rev22:21 2>'" + dir.path() + "/stderr'";
  FILE* pipe = ::popen(command.c_str(), "r");
  SOMA_CHECK(pipe != nullptr, "{}: cannot run the bible program: {}", op, std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  SOMA_CHECK(code != 127,
             "{}: the `bible` program is not installed (Debian packages bible-kjv and bible-kjv-text)", op);
  std::string err;
  if (code != 0) {
    try {
      err = detail::read_file(dir.path() + "/stderr", op);
    } catch (const Error&) {
    }
  }
  SOMA_CHECK(code == 0, "{}: `bible -f Gen1:1-Rev22:21` failed (exit status {}): {}", op, code, err);
  SOMA_CHECK(!text.empty(), "{}: `bible -f Gen1:1-Rev22:21` printed nothing (is bible-kjv-text installed?)", op);
  return text;
}

namespace {

// Throws unless `tokens` is a 1-D int64 stream of at least seq + 1 tokens and seq >= 1.
void check_stream(const char* op, const Tensor& tokens, int64_t seq) {
  SOMA_CHECK(tokens.defined() && tokens.dim() == 1 && tokens.dtype() == kInt64,
             "{}: expected a 1-D int64 token tensor, got {}", op,
             tokens.defined() ? fmt::format("{} of shape {}", dtype_name(tokens.dtype()), tokens.shape()) : "an undefined tensor");
  SOMA_CHECK(seq >= 1, "{}: seq_len must be at least 1, got {}", op, seq);
  SOMA_CHECK(tokens.size(0) >= seq + 1, "{}: {} tokens are too few for windows of {} (need seq_len + 1 = {})", op,
             tokens.size(0), seq, seq + 1);
}

// x, y [starts, seq] from a contiguous int64 stream.
Batch gather_windows(const Tensor& tokens, std::span<const int64_t> starts, int64_t seq) {
  const int64_t b = static_cast<int64_t>(starts.size());
  Tensor x = empty({b, seq}, kInt64), y = empty({b, seq}, kInt64);
  const int64_t* src = tokens.data<int64_t>();
  int64_t* px = x.data<int64_t>();
  int64_t* py = y.data<int64_t>();
  for (int64_t k = 0; k < b; ++k) {
    std::memcpy(px + k * seq, src + starts[k], seq * sizeof(int64_t));
    std::memcpy(py + k * seq, src + starts[k] + 1, seq * sizeof(int64_t));
  }
  return {x, y};
}

}  // namespace

TokenWindows::TokenWindows(Tensor tokens, int64_t seq_len) : seq_len_(seq_len) {
  check_stream("TokenWindows", tokens, seq_len);
  tokens_ = tokens.contiguous();
}

TokenWindows::TokenWindows(std::span<const int64_t> tokens, int64_t seq_len)
    : TokenWindows(from_vector(std::vector<int64_t>(tokens.begin(), tokens.end())), seq_len) {}

Example TokenWindows::get(int64_t index) const {
  check_index("TokenWindows::get", index, size());
  return {tokens_.narrow(0, index, seq_len_), tokens_.narrow(0, index + 1, seq_len_)};
}

Batch TokenWindows::get_batch(std::span<const int64_t> indices) const {
  for (int64_t i : indices) check_index("TokenWindows::get_batch", i, size());
  return gather_windows(tokens_, indices, seq_len_);
}

Batch TokenWindows::sample(int64_t batch, Generator* gen) const { return data::get_batch(tokens_, batch, seq_len_, gen); }

std::pair<TokenWindows, TokenWindows> TokenWindows::split(double fraction) const {
  SOMA_CHECK(fraction > 0 && fraction < 1, "TokenWindows::split: fraction must be in (0, 1), got {}", fraction);
  const int64_t n = tokens_.size(0);
  const auto head = static_cast<int64_t>(fraction * static_cast<double>(n));
  SOMA_CHECK(head >= seq_len_ + 1 && n - head >= seq_len_ + 1,
             "TokenWindows::split: a {} / {} split of {} tokens leaves {} and {}, but each part needs seq_len + 1 = {}",
             fraction, 1 - fraction, n, head, n - head, seq_len_ + 1);
  return {TokenWindows(tokens_.narrow(0, 0, head), seq_len_), TokenWindows(tokens_.narrow(0, head, n - head), seq_len_)};
}

Batch get_batch(const Tensor& tokens, int64_t batch, int64_t seq, Generator* gen) {
  check_stream("get_batch", tokens, seq);
  SOMA_CHECK(batch >= 1, "get_batch: batch must be at least 1, got {}", batch);
  const Tensor stream = tokens.contiguous();
  const int64_t n = stream.size(0);
  const Tensor starts = randint(0, std::max<int64_t>(n - seq - 1, 1), {batch}, kInt64, gen);
  return gather_windows(stream, {starts.data<int64_t>(), static_cast<size_t>(batch)}, seq);
}

}  // namespace soma::data
