#include "data/bytes.h"

#include <zlib.h>

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
  z_stream zs{};
  SOMA_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "{}: cannot start gzip decompression of '{}'", op, path);
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (true) {
    if (zs.avail_out == 0) {
      const size_t used = out.size();
      out.resize(std::max<size_t>(used * 2, data.size() * 4 + 1024));
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      zs.avail_out = static_cast<uInt>(out.size() - used);
    }
    rc = inflate(&zs, Z_NO_FLUSH);
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
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) break;
  }
  const size_t total = out.size() - zs.avail_out;
  const std::string msg = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "unexpected end of data" : "error " + std::to_string(rc));
  inflateEnd(&zs);
  SOMA_CHECK(rc == Z_STREAM_END, "{}: corrupt or truncated gzip data in '{}' ({})", op, path, msg);
  out.resize(total);
  return out;
}

std::string read_maybe_gzip(const std::string& path, const char* op) {
  std::string bytes = read_file(path, op);
  return is_gzip(bytes) ? gunzip(bytes, path, op) : bytes;
}

}  // namespace soma::data::detail
