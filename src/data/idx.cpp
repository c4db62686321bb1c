// IDX files (MNIST's format): parsing with every length checked, and writing.
#include "soma/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "data/bytes.h"
#include "soma/creation.h"

namespace soma::data {

namespace {

uint32_t big_endian32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// Copies n big-endian elements of type T from `src` into `dst` (of type U).
template <class T, class U>
void load_big_endian(U* dst, const char* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, src + i * sizeof(T), sizeof(T));
    if constexpr (sizeof(T) > 1) std::reverse(b, b + sizeof(T));
    T v;
    std::memcpy(&v, b, sizeof(T));
    dst[i] = static_cast<U>(v);
  }
}

struct IdxType {
  DType dtype;    // the tensor's dtype
  int64_t bytes;  // bytes per element in the file
};

bool idx_type(unsigned code, IdxType& t) {
  switch (code) {
    case 0x08: t = {kUInt8, 1}; return true;
    case 0x09: t = {kInt8, 1}; return true;
    case 0x0B: t = {kInt16, 2}; return true;
    case 0x0C: t = {kInt32, 4}; return true;
    case 0x0D: t = {kFloat32, 4}; return true;
    case 0x0E: t = {kFloat64, 8}; return true;
    default: return false;
  }
}

}  // namespace

namespace {

// No IDX file may call for more element bytes than this (MNIST's largest holds 47 MB), so
// a header cannot make soma allocate or inflate an arbitrary size.
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 32;

// What an IDX header says.
struct IdxHeader {
  unsigned code;       // the element type's code
  IdxType type;
  Shape shape;
  int64_t numel;
  size_t header;       // bytes of the header: 4 + 4 * dims
  size_t payload;      // bytes of the elements
};

// The header's size, from its first 4 bytes (magic, element type, dims).
size_t header_size(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  SOMA_CHECK(bytes.size() >= 4, "read_idx: '{}' is too short for an IDX header ({} bytes)", name, bytes.size());
  SOMA_CHECK(p[0] == 0 && p[1] == 0, "read_idx: '{}' is not an IDX file (magic bytes {:02x} {:02x}, expected 00 00)",
             name, p[0], p[1]);
  IdxType type;
  SOMA_CHECK(idx_type(p[2], type), "read_idx: '{}' has unknown element type 0x{:02x}", name, p[2]);
  SOMA_CHECK(p[3] >= 1, "read_idx: '{}' has 0 dims", name);
  return 4 + 4 * size_t{p[3]};
}

// The header at the start of `bytes`, its dims checked against kMaxIdxBytes and against
// int64 strides (an empty [0, 2^32 - 1, 2^32 - 1] has none), before anything is allocated.
IdxHeader parse_header(std::string_view bytes, const std::string& name) {
  IdxHeader h;
  h.header = header_size(bytes, name);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  h.code = p[2];
  idx_type(h.code, h.type);
  SOMA_CHECK(bytes.size() >= h.header, "read_idx: '{}' is truncated: {} bytes, but its {} dims need a {}-byte header",
             name, bytes.size(), p[3], h.header);
  uint64_t numel = 1, span = 1;  // span: the product of the dims, zeros counted as ones
  bool too_large = false, no_strides = false;
  for (size_t d = 0; d < p[3]; ++d) {
    const uint32_t size = big_endian32(p + 4 + 4 * d);
    h.shape.push_back(size);
    too_large = too_large || __builtin_mul_overflow(numel, size, &numel);
    no_strides = no_strides || __builtin_mul_overflow(span, std::max<uint64_t>(size, 1), &span) ||
                 span > uint64_t(INT64_MAX);
  }
  SOMA_CHECK(!no_strides, "read_idx: '{}' has dims {}, too large for int64 strides", name, h.shape);
  uint64_t payload = 0;
  too_large = too_large || __builtin_mul_overflow(numel, uint64_t(h.type.bytes), &payload);
  SOMA_CHECK(!too_large && payload <= kMaxIdxBytes,
             "read_idx: '{}' has dims {} of {}-byte elements, too large (the limit is {} bytes)", name, h.shape,
             h.type.bytes, kMaxIdxBytes);
  h.numel = static_cast<int64_t>(numel);
  h.payload = static_cast<size_t>(payload);
  return h;
}

// The tensor of `bytes`, a whole uncompressed IDX file whose header is h.
Tensor parse_body(std::string_view bytes, const IdxHeader& h, const std::string& name) {
  SOMA_CHECK(bytes.size() - h.header == h.payload,
             "read_idx: '{}' has {} bytes of data after the header, but dims {} of {}-byte elements need {}", name,
             bytes.size() - h.header, h.shape, h.type.bytes, h.payload);
  Tensor t = empty(h.shape, h.type.dtype);
  const char* src = bytes.data() + h.header;
  const int64_t numel = h.numel;
  switch (h.code) {
    case 0x08: std::memcpy(t.data_ptr(), src, numel); break;
    case 0x09: std::memcpy(t.data_ptr(), src, numel); break;
    case 0x0B: load_big_endian<int16_t>(t.data<int16_t>(), src, numel); break;
    case 0x0C: load_big_endian<int32_t>(t.data<int32_t>(), src, numel); break;
    case 0x0D: load_big_endian<float>(t.data<float>(), src, numel); break;
    case 0x0E: load_big_endian<double>(t.data<double>(), src, numel); break;
  }
  return t;
}

// A gzip-compressed IDX file, inflated no further than its header says it holds: the header
// first, then exactly the bytes its dims call for (a bomb stops one byte past them).
Tensor parse_gzip_idx(std::string_view data, const std::string& name) {
  constexpr const char* op = "read_idx";
  const size_t header = header_size(detail::gunzip_prefix(data, name, op, 4), name);
  const IdxHeader h = parse_header(detail::gunzip_prefix(data, name, op, header), name);
  return parse_body(detail::gunzip(data, name, op, h.header + h.payload), h, name);
}

}  // namespace

Tensor parse_idx(std::string_view data, const std::string& name) {
  if (detail::is_gzip(data)) return parse_gzip_idx(data, name);
  return parse_body(data, parse_header(data, name), name);
}

Tensor read_idx(const std::string& path) { return parse_idx(detail::read_file(path, "read_idx"), path); }

void write_idx(const std::string& path, const Tensor& t, bool gzip) {
  unsigned code = 0;
  switch (t.dtype()) {
    case kUInt8: code = 0x08; break;
    case kInt8: code = 0x09; break;
    case kInt16: code = 0x0B; break;
    case kInt32: code = 0x0C; break;
    case kFloat32: code = 0x0D; break;
    case kFloat64: code = 0x0E; break;
    default: SOMA_FAIL("write_idx: dtype {} has no IDX element type", dtype_name(t.dtype()));
  }
  SOMA_CHECK(t.dim() >= 1 && t.dim() <= 255, "write_idx: expected 1 to 255 dims, got {}", t.dim());
  std::string bytes = {0, 0, static_cast<char>(code), static_cast<char>(t.dim())};
  auto put32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>(v >> s));
  };
  for (int64_t d = 0; d < t.dim(); ++d) put32(static_cast<uint32_t>(t.size(d)));
  const Tensor c = t.contiguous();
  const size_t size = c.element_size(), header = bytes.size();
  bytes.append(static_cast<const char*>(c.data_ptr()), c.numel() * size);
  if (size > 1)
    for (size_t i = header; i < bytes.size(); i += size) std::reverse(bytes.begin() + i, bytes.begin() + i + size);
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    SOMA_CHECK(f, "write_idx: cannot open '{}' for writing", path);
    const int written = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    const int closed = gzclose(f);
    SOMA_CHECK(written == static_cast<int>(bytes.size()) && closed == Z_OK, "write_idx: cannot write '{}'", path);
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  SOMA_CHECK(out.good(), "write_idx: cannot write '{}'", path);
}

}  // namespace soma::data
