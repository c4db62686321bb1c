#include "data/bytes.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "soma/error.h"

namespace soma::data::detail {

std::string read_file(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  SOMA_CHECK(in, "{}: cannot open '{}': {}", op, path, std::strerror(errno));
  const std::streamoff size = in.tellg();
  SOMA_CHECK(size >= 0, "{}: cannot read '{}' (not a regular file?)", op, path);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  SOMA_CHECK(in.gcount() == size, "{}: cannot read '{}': read {} of {} bytes", op, path, in.gcount(), size);
  return bytes;
}

bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gunzip(std::string_view data, const std::string& path, const char* op) {
  SOMA_CHECK(data.size() < (size_t{1} << 32), "{}: '{}' is too large for gzip decompression ({} bytes)", op, path,
             data.size());
  z_stream zs{};
  SOMA_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "{}: cannot start gzip decompression of '{}'", op, path);
  // The output grows geometrically. The trailer's ISIZE (the size mod 2^32 of the last member)
  // gives the first guess; a corrupt one costs at most deflate's largest ratio (1032:1).
  size_t guess = data.size() * 4 + 1024;
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
    const size_t isize = size_t{t[0]} | size_t{t[1]} << 8 | size_t{t[2]} << 16 | size_t{t[3]} << 24;
    guess = std::max(guess, std::min(isize, data.size() * 1032) + 1);
  }
  constexpr size_t kMaxChunk = size_t{1} << 30;  // avail_out is 32 bits
  std::string out;
  size_t used = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (true) {
    if (used == out.size()) out.resize(out.empty() ? guess : out.size() * 2);
    const size_t room = std::min(out.size() - used, kMaxChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    used += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (as `cat a.gz b.gz` makes).
      if (!is_gzip(std::string_view(reinterpret_cast<const char*>(zs.next_in), zs.avail_in))) {
        rc = Z_DATA_ERROR;
        zs.msg = const_cast<char*>("trailing bytes after the gzip stream");
        break;
      }
      inflateReset(&zs);
      continue;
    }
    // Z_BUF_ERROR with output room left: the input ended mid-stream.
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) break;
  }
  const std::string msg = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "unexpected end of data" : "error " + std::to_string(rc));
  inflateEnd(&zs);
  SOMA_CHECK(rc == Z_STREAM_END, "{}: corrupt or truncated gzip data in '{}' ({})", op, path, msg);
  out.resize(used);
  return out;
}

std::string read_maybe_gzip(const std::string& path, const char* op) {
  std::string bytes = read_file(path, op);
  return is_gzip(bytes) ? gunzip(bytes, path, op) : bytes;
}

}  // namespace soma::data::detail
