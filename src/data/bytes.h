#pragma once
// The one guarded way soma reads a user's file, and gunzipping with a size cap.
//
// Files are untrusted: a path may name a directory, a FIFO (opening one for reading blocks
// until a writer comes), a device or a socket. InputFile opens without blocking and refuses
// all but regular files before reading a byte; every reader of files goes through it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace soma::data::detail {

// A regular file open for reading; closed on destruction. Throws "<op>: cannot open '<path>':
// <cause>", or "<op>: '<path>' is a directory (a FIFO, ...), expected a regular file".
class InputFile {
 public:
  InputFile(const std::string& path, const char* op);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // The size when opened.
  uint64_t size() const { return size_; }
  // Reads n bytes at offset `at` into dst; throws if the file ends before (it shrank).
  void read_at(uint64_t at, void* dst, size_t n) const;

 private:
  std::string path_;
  const char* op_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The bytes of the regular file at `path` (see InputFile).
std::string read_file(const std::string& path, const char* op);
// The file's bytes, decompressed when they start with the gzip magic (1f 8b); throws when they
// decompress to more than max_bytes.
std::string read_maybe_gzip(const std::string& path, const char* op, size_t max_bytes);
// The decompressed contents of gzip data (one or more members); throws on corrupt or truncated
// input, and as soon as the output would pass max_bytes (a gzip bomb inflates ~1000:1).
std::string gunzip(std::string_view data, const std::string& path, const char* op, size_t max_bytes);
// The first min(n, size) decompressed bytes, inflating no further; the rest is not checked.
std::string gunzip_prefix(std::string_view data, const std::string& path, const char* op, size_t n);
bool is_gzip(std::string_view data);

}  // namespace soma::data::detail
