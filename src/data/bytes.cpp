#include "data/bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "soma/error.h"

namespace soma::data::detail {

namespace {

// What a non-regular file is, for the message that refuses it.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

}  // namespace

InputFile::InputFile(const std::string& path, const char* op) : path_(path), op_(op) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  SOMA_CHECK(fd_ >= 0, "{}: cannot open '{}': {}", op, path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    SOMA_FAIL("{}: cannot stat '{}': {}", op, path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    SOMA_FAIL("{}: '{}' is {}, expected a regular file", op, path, file_kind(st.st_mode));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() { ::close(fd_); }

void InputFile::read_at(uint64_t at, void* dst, size_t n) const {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(at));
    if (r < 0 && errno == EINTR) continue;
    SOMA_CHECK(r >= 0, "{}: cannot read '{}': {}", op_, path_, std::strerror(errno));
    SOMA_CHECK(r > 0, "{}: '{}' ended early (was it truncated while being read?)", op_, path_);
    p += r;
    at += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
}

std::string read_file(const std::string& path, const char* op) {
  const InputFile file(path, op);
  std::string bytes(file.size(), '\0');
  file.read_at(0, bytes.data(), bytes.size());
  return bytes;
}

bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

namespace {

// Inflates gzip `data` into `out` until the stream (all its members) ends or `out` holds
// `stop_at` bytes, whichever comes first; returns whether the stream ended. Throws on corrupt
// or truncated data met on the way.
bool inflate_until(std::string_view data, const std::string& path, const char* op, size_t stop_at, std::string& out) {
  SOMA_CHECK(data.size() < (size_t{1} << 32), "{}: '{}' is too large for gzip decompression ({} bytes)", op, path,
             data.size());
  z_stream zs{};
  SOMA_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "{}: cannot start gzip decompression of '{}'", op, path);
  // The output grows geometrically up to stop_at. The trailer's ISIZE (the size mod 2^32 of
  // the last member) gives the first guess; a corrupt one costs at most deflate's largest
  // ratio (1032:1), and never more than stop_at.
  size_t guess = data.size() * 4 + 1024;
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
    const size_t isize = size_t{t[0]} | size_t{t[1]} << 8 | size_t{t[2]} << 16 | size_t{t[3]} << 24;
    guess = std::max(guess, std::min(isize, data.size() * 1032) + 1);
  }
  guess = std::min(guess, stop_at);
  constexpr size_t kMaxChunk = size_t{1} << 30;  // avail_out is 32 bits
  out.clear();
  size_t used = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  bool ended = false, broken = false;
  while (used < stop_at) {
    if (used == out.size()) out.resize(std::min(stop_at, out.empty() ? guess : out.size() * 2));
    const size_t room = std::min(out.size() - used, kMaxChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    used += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        ended = true;
        break;
      }
      // Another gzip member follows (as `cat a.gz b.gz` makes).
      if (!is_gzip(std::string_view(reinterpret_cast<const char*>(zs.next_in), zs.avail_in))) {
        rc = Z_DATA_ERROR;
        zs.msg = const_cast<char*>("trailing bytes after the gzip stream");
        broken = true;
        break;
      }
      inflateReset(&zs);
      continue;
    }
    // Z_BUF_ERROR with output room left: the input ended mid-stream.
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) {
      broken = true;
      break;
    }
  }
  const std::string msg = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "unexpected end of data" : "error " + std::to_string(rc));
  inflateEnd(&zs);
  SOMA_CHECK(!broken, "{}: corrupt or truncated gzip data in '{}' ({})", op, path, msg);
  out.resize(used);
  return ended;
}

}  // namespace

std::string gunzip(std::string_view data, const std::string& path, const char* op, size_t max_bytes) {
  // One byte of room past the cap tells "exactly max_bytes" from "more".
  const size_t stop_at = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  std::string out;
  inflate_until(data, path, op, stop_at, out);
  SOMA_CHECK(out.size() <= max_bytes, "{}: '{}' decompresses to more than {} bytes, the most it may hold", op, path,
             max_bytes);
  return out;
}

std::string gunzip_prefix(std::string_view data, const std::string& path, const char* op, size_t n) {
  std::string out;
  inflate_until(data, path, op, n, out);
  return out;
}

std::string read_maybe_gzip(const std::string& path, const char* op, size_t max_bytes) {
  std::string bytes = read_file(path, op);
  return is_gzip(bytes) ? gunzip(bytes, path, op, max_bytes) : bytes;
}

}  // namespace soma::data::detail
