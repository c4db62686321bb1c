#pragma once
// Shared by the data tests: a scratch directory and file writing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "soma/soma.h"

namespace data_test {

// A fresh directory, removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("soma_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string to_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// Expects `f` to throw a soma::Error whose message contains `part`.
template <class F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing \"" << part << "\"";
  } catch (const soma::Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// Runs `parse` on every truncation of `bytes` and on `mutations` seeded random corruptions
// (1-4 bytes overwritten, or a byte inserted/removed); each must succeed or throw soma::Error.
template <class Parse>
void fuzz(const std::string& bytes, Parse parse, int mutations, uint64_t seed) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      parse(bytes.substr(0, n));
    } catch (const soma::Error&) {
    }
  }
  std::mt19937_64 rng(seed);
  for (int m = 0; m < mutations; ++m) {
    std::string b = bytes;
    const int kind = static_cast<int>(rng() % 6);
    if (kind == 4) {
      b.insert(b.begin() + rng() % (b.size() + 1), static_cast<char>(rng()));
    } else if (kind == 5) {
      b.erase(b.begin() + rng() % b.size());
    } else {
      for (int k = 0; k <= kind; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    }
    try {
      parse(b);
    } catch (const soma::Error&) {
    }
  }
}

}  // namespace data_test
