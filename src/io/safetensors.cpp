// The safetensors format (see soma/io.h): a validating reader that reads each byte of the file
// once, straight into the tensors' memory, and an atomic writer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "data/bytes.h"
#include "data/untrusted_json.h"
#include "soma/creation.h"
#include "soma/io.h"

namespace soma::io {

static_assert(std::endian::native == std::endian::little, "safetensors stores little-endian bytes");

namespace fs = std::filesystem;
using json = nlohmann::json;
using data::detail::json_excerpt;

namespace {

// Headers larger than this are rejected before anything is allocated (the reference
// implementation has the same limit).
constexpr uint64_t kMaxHeader = 100'000'000;

constexpr std::pair<DType, std::string_view> kCodes[] = {{kFloat32, "F32"}, {kFloat64, "F64"}, {kBFloat16, "BF16"},
                                                         {kFloat16, "F16"}, {kInt64, "I64"},   {kInt32, "I32"},
                                                         {kInt16, "I16"},   {kInt8, "I8"},     {kUInt8, "U8"},
                                                         {kBool, "BOOL"}};

std::string_view code_of(DType t) {
  for (auto [d, c] : kCodes)
    if (d == t) return c;
  __builtin_unreachable();
}

std::optional<DType> dtype_of_code(std::string_view code) {
  for (auto [d, c] : kCodes)
    if (c == code) return d;
  return std::nullopt;
}

std::string errno_text() { return std::strerror(errno); }

// ---- reading ---------------------------------------------------------------------------------

struct Entry {
  const std::string* name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

// Reads n bytes at offset `at` of the source into dst.
using ReadFn = std::function<void(uint64_t at, void* dst, size_t n)>;

Entry parse_entry(const std::string& name, const json& v, std::string_view file) {
  SOMA_CHECK(v.is_object(), "load: {}: the header entry of tensor '{}' is not a JSON object", file, name);
  const auto field = [&](const char* key) -> const json& {
    auto it = v.find(key);
    SOMA_CHECK(it != v.end(), "load: {}: tensor '{}' has no \"{}\" in the header", file, name, key);
    return *it;
  };
  const json& dt = field("dtype");
  SOMA_CHECK(dt.is_string(), "load: {}: tensor '{}' has dtype {}; expected a string", file, name, json_excerpt(dt));
  const std::optional<DType> dtype = dtype_of_code(dt.get_ref<const std::string&>());
  SOMA_CHECK(dtype, "load: {}: tensor '{}' has unsupported dtype {} (supported: F32 F64 BF16 F16 I64 I32 I8 U8 BOOL)",
             file, name, json_excerpt(dt));

  const json& sh = field("shape");
  SOMA_CHECK(sh.is_array(), "load: {}: tensor '{}' has shape {}; expected an array", file, name, json_excerpt(sh));
  Shape shape;
  uint64_t numel = 1, span = 1;  // span: the product of the dims, zeros counted as ones
  for (const json& s : sh) {
    SOMA_CHECK(s.is_number_unsigned() && s.get<uint64_t>() <= uint64_t(INT64_MAX),
               "load: {}: tensor '{}' has shape {}; expected non-negative integers", file, name, json_excerpt(sh));
    const uint64_t n = s.get<uint64_t>();
    SOMA_CHECK(!__builtin_mul_overflow(numel, n, &numel) && numel <= uint64_t(INT64_MAX),
               "load: {}: tensor '{}' has shape {}, too many elements", file, name, json_excerpt(sh));
    // An empty [0, 2^32, 2^32] has no elements but no int64 strides either.
    SOMA_CHECK(!__builtin_mul_overflow(span, std::max<uint64_t>(n, 1), &span) && span <= uint64_t(INT64_MAX),
               "load: {}: tensor '{}' has shape {}, too large for int64 strides", file, name, json_excerpt(sh));
    shape.push_back(static_cast<int64_t>(n));
  }

  const json& off = field("data_offsets");
  SOMA_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
             "load: {}: tensor '{}' has data_offsets {}; expected [begin, end]", file, name, json_excerpt(off));
  const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
  SOMA_CHECK(begin <= end, "load: {}: tensor '{}' has data_offsets [{}, {}]; begin > end", file, name, begin, end);
  uint64_t nbytes;
  SOMA_CHECK(!__builtin_mul_overflow(numel, dtype_size(*dtype), &nbytes) && nbytes == end - begin,
             "load: {}: tensor '{}' of dtype {} and shape {} needs {} * {} bytes, but data_offsets [{}, {}] hold {}",
             file, name, dt.get_ref<const std::string&>(), json_excerpt(sh), numel, dtype_size(*dtype), begin, end,
             end - begin);
  return {&name, *dtype, std::move(shape), begin, end};
}

Loaded parse(uint64_t total, const ReadFn& read, std::string_view file) {
  SOMA_CHECK(total >= 8, "load: {}: the file has {} bytes, too few for the 8-byte header length", file, total);
  unsigned char len[8];
  read(0, len, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | len[i];
  SOMA_CHECK(n <= kMaxHeader, "load: {}: header length {} exceeds the limit of {} bytes", file, n, kMaxHeader);
  SOMA_CHECK(n <= total - 8, "load: {}: header length {} exceeds the {} bytes that follow it", file, n, total - 8);
  std::string text(n, '\0');
  read(8, text.data(), n);
  const json header = data::detail::parse_untrusted_json(text, fmt::format("load: {}: the header", file));
  SOMA_CHECK(header.is_object(), "load: {}: the header is not a JSON object", file);

  Loaded out;
  std::vector<Entry> entries;
  for (const auto& [key, v] : header.items()) {
    if (key == "__metadata__") {
      SOMA_CHECK(v.is_object(), "load: {}: __metadata__ is not a JSON object", file);
      for (const auto& [mk, mv] : v.items()) {
        SOMA_CHECK(mv.is_string(), "load: {}: __metadata__ value of '{}' is {}; expected a string", file, mk,
                   json_excerpt(mv));
        out.metadata.emplace(mk, mv.get<std::string>());
      }
    } else {
      entries.push_back(parse_entry(key, v, file));
    }
  }

  // The tensors must tile the data section exactly: no gaps, no overlaps, nothing past its end.
  const uint64_t data_start = 8 + n, data_size = total - data_start;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  uint64_t pos = 0;
  for (const Entry& e : entries) {
    SOMA_CHECK(e.begin >= pos, "load: {}: tensor '{}' at bytes [{}, {}) overlaps the tensor before it (ends at {})",
               file, *e.name, e.begin, e.end, pos);
    SOMA_CHECK(e.begin == pos, "load: {}: bytes [{}, {}) of the data section belong to no tensor", file, pos, e.begin);
    SOMA_CHECK(e.end <= data_size, "load: {}: tensor '{}' at bytes [{}, {}) runs past the data section ({} bytes)",
               file, *e.name, e.begin, e.end, data_size);
    pos = e.end;
  }
  SOMA_CHECK(pos == data_size, "load: {}: the tensors cover {} bytes but the data section has {}", file, pos,
             data_size);

  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin) read(data_start + e.begin, t.data_ptr(), e.end - e.begin);
    if (e.dtype == kBool) {
      const auto* b = static_cast<const uint8_t*>(t.data_ptr());
      const int64_t bad = std::find_if(b, b + t.numel(), [](uint8_t x) { return x > 1; }) - b;
      SOMA_CHECK(bad == t.numel(), "load: {}: BOOL tensor '{}' holds byte {} at element {}; expected 0 or 1", file,
                 *e.name, b[bad], bad);
    }
    out.tensors.emplace(*e.name, std::move(t));
  }
  return out;
}

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// ---- writing ---------------------------------------------------------------------------------

using WriteFn = std::function<void(const void* data, size_t n)>;

// Writes the file to `write`: tensors are laid out by decreasing element size, then by name,
// so that every tensor starts at an offset aligned to its element size.
void write_safetensors(const StateDict& tensors, const Metadata& metadata, const WriteFn& write,
                       std::string_view file) {
  std::vector<std::pair<const std::string*, const Tensor*>> order;
  order.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    SOMA_CHECK(t.defined(), "save: {}: tensor '{}' is undefined", file, name);
    SOMA_CHECK(name != "__metadata__", "save: {}: '__metadata__' is reserved and cannot name a tensor", file);
    order.emplace_back(&name, &t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second->element_size() > b.second->element_size(); });
  std::string head;
  try {
    json h = json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    uint64_t pos = 0;
    for (const auto& [name, t] : order) {
      const uint64_t nbytes = t->numel() * t->element_size();
      h[*name] = {{"dtype", std::string(code_of(t->dtype()))},
                  {"shape", t->shape().vec()},
                  {"data_offsets", {pos, pos + nbytes}}};
      pos += nbytes;
    }
    head = h.dump();
  } catch (const json::exception& e) {  // e.g. a name that is not valid UTF-8
    SOMA_FAIL("save: {}: cannot encode the header ({})", file, e.what());
  }
  head.append((8 - head.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(head.size() >> (8 * i));
  write(len, 8);
  write(head.data(), head.size());
  for (const auto& [name, t] : order) {  // one contiguous copy at a time, if any
    const Tensor c = t->detach().contiguous();
    write(c.data_ptr(), c.numel() * c.element_size());
  }
}

// A file written under a temporary name in the target's directory and renamed over the
// target by commit(); destroyed without commit, it removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(const fs::path& target) : target_(target) {
    static std::atomic<uint64_t> counter{0};
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    for (int attempt = 0; fd_.fd < 0; ++attempt) {
      tmp_ = dir / fmt::format(".{}.tmp.{}.{}", target.filename().string(), ::getpid(), counter++);
      fd_.fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      SOMA_CHECK(fd_.fd >= 0 || (errno == EEXIST && attempt < 100), "save: {}: cannot create a file in {}: {}",
                 target.string(), dir.string(), errno_text());
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (!committed_) ::unlink(tmp_.c_str());
  }

  // Buffers small writes; large ones go straight to the file.
  void write(const void* data, size_t n) {
    if (buf_.size() + n > kBuffer) flush();
    if (n >= kBuffer)
      write_fd(data, n);
    else
      buf_.append(static_cast<const char*>(data), n);
  }

  void commit() {
    flush();
    SOMA_CHECK(::fsync(fd_.fd) == 0, "save: {}: fsync failed: {}", target_.string(), errno_text());
    const int fd = std::exchange(fd_.fd, -1);
    SOMA_CHECK(::close(fd) == 0, "save: {}: close failed: {}", target_.string(), errno_text());
    SOMA_CHECK(::rename(tmp_.c_str(), target_.c_str()) == 0, "save: {}: cannot rename the temporary file over it: {}",
               target_.string(), errno_text());
    committed_ = true;
    // Make the rename itself durable (best effort: not every file system syncs directories).
    Fd dir{::open(tmp_.has_parent_path() ? tmp_.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.fd >= 0) ::fsync(dir.fd);
  }

 private:
  static constexpr size_t kBuffer = 1 << 20;

  void flush() {
    write_fd(buf_.data(), buf_.size());
    buf_.clear();
  }
  void write_fd(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_.fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      SOMA_CHECK(w > 0, "save: {}: write failed: {}", target_.string(), errno_text());
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  fs::path target_, tmp_;
  Fd fd_;
  std::string buf_;
  bool committed_ = false;
};

}  // namespace

void save(const StateDict& tensors, const fs::path& path, const Metadata& metadata) {
  AtomicFile f(path);
  write_safetensors(
      tensors, metadata, [&](const void* p, size_t n) { f.write(p, n); }, path.string());
  f.commit();
}

std::string serialize(const StateDict& tensors, const Metadata& metadata) {
  std::string out;
  write_safetensors(
      tensors, metadata, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }, "<memory>");
  return out;
}

Loaded load_with_metadata(const fs::path& path) {
  const std::string file = path.string();
  const data::detail::InputFile f(file, "load");
  const ReadFn read = [&](uint64_t at, void* dst, size_t n) { f.read_at(at, dst, n); };
  return parse(f.size(), read, file);
}

StateDict load(const fs::path& path) { return load_with_metadata(path).tensors; }

Loaded deserialize(std::string_view bytes, std::string_view name) {
  return parse(
      bytes.size(), [&](uint64_t at, void* dst, size_t n) { std::memcpy(dst, bytes.data() + at, n); }, name);
}

}  // namespace soma::io
