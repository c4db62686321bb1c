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

Tensor parse_idx(std::string_view data, const std::string& name) {
  const std::string inflated = detail::is_gzip(data) ? detail::gunzip(data, name, "read_idx") : std::string();
  const std::string_view bytes = inflated.empty() ? data : inflated;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  SOMA_CHECK(bytes.size() >= 4, "read_idx: '{}' is too short for an IDX header ({} bytes)", name, bytes.size());
  SOMA_CHECK(p[0] == 0 && p[1] == 0, "read_idx: '{}' is not an IDX file (magic bytes {:02x} {:02x}, expected 00 00)",
             name, p[0], p[1]);
  IdxType type;
  SOMA_CHECK(idx_type(p[2], type), "read_idx: '{}' has unknown element type 0x{:02x}", name, p[2]);
  const int64_t ndim = p[3];
  SOMA_CHECK(ndim >= 1, "read_idx: '{}' has 0 dims", name);
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  SOMA_CHECK(bytes.size() >= header, "read_idx: '{}' is truncated: {} bytes, but its {} dims need a {}-byte header",
             name, bytes.size(), ndim, header);
  Shape shape;
  int64_t numel = 1;
  for (int64_t d = 0; d < ndim; ++d) {
    const int64_t size = big_endian32(p + 4 + 4 * d);
    shape.push_back(size);
    // Bounded by the file's size first, so the product cannot overflow.
    SOMA_CHECK(size == 0 || numel <= static_cast<int64_t>(bytes.size()) / size || numel == 0,
               "read_idx: '{}' has dims {} too large for its {} bytes", name, shape, bytes.size());
    numel *= size;
  }
  const size_t payload = static_cast<size_t>(numel) * type.bytes;
  SOMA_CHECK(bytes.size() - header == payload,
             "read_idx: '{}' has {} bytes of data after the header, but dims {} of {}-byte elements need {}", name,
             bytes.size() - header, shape, type.bytes, payload);
  Tensor t = empty(shape, type.dtype);
  const char* src = bytes.data() + header;
  switch (p[2]) {
    case 0x08: std::memcpy(t.data_ptr(), src, numel); break;
    case 0x09: std::memcpy(t.data_ptr(), src, numel); break;
    case 0x0B: load_big_endian<int16_t>(t.data<int16_t>(), src, numel); break;
    case 0x0C: load_big_endian<int32_t>(t.data<int32_t>(), src, numel); break;
    case 0x0D: load_big_endian<float>(t.data<float>(), src, numel); break;
    case 0x0E: load_big_endian<double>(t.data<double>(), src, numel); break;
  }
  return t;
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
