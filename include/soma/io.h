#pragma once
// Saving and loading tensors.
//
// Files use the safetensors format, readable by the Python `safetensors` package:
//   8 bytes   N, the header length (little-endian uint64)
//   N bytes   a JSON object {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}, ...,
//             "__metadata__": {"key": "value", ...}}, padded with spaces to a multiple of 8
//   the rest  the tensors' raw little-endian bytes, row-major; [b, e) is relative to its start.
// Supported dtypes: F32 F64 BF16 F16 I64 I32 I8 U8 BOOL.
//
// Loading validates the whole file (sizes, JSON, dtypes, offsets, coverage of the data
// section, bool bytes) and throws soma::Error naming the file and the problem. Saving is
// atomic: the file is written under a temporary name in the same directory, synced, then
// renamed over the target, so a failed or interrupted save leaves any previous file intact.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "soma/random.h"
#include "soma/state_dict.h"

namespace soma::io {

using Metadata = std::map<std::string, std::string>;

struct Loaded {
  StateDict tensors;
  Metadata metadata;
};

// Tensors are written contiguous, whatever their strides; autograd state is not saved.
void save(const StateDict& tensors, const std::filesystem::path& path, const Metadata& metadata = {});
StateDict load(const std::filesystem::path& path);
Loaded load_with_metadata(const std::filesystem::path& path);

// The same format in memory (`name` is used in error messages).
std::string serialize(const StateDict& tensors, const Metadata& metadata = {});
Loaded deserialize(std::string_view bytes, std::string_view name = "<memory>");

// ---- checkpoints ---------------------------------------------------------------------------

// A generator's state; restoring it makes the generator repeat the draws that followed capture.
struct RngState {
  uint64_t seed = 0;
  uint64_t offset = 0;
  static RngState capture(const Generator& gen = default_generator());
  void restore(Generator& gen = default_generator()) const;
  friend bool operator==(const RngState&, const RngState&) = default;
};

// Everything needed to resume training.
struct Checkpoint {
  StateDict model;
  StateDict optimizer;
  int64_t epoch = 0;
  int64_t step = 0;
  // The learning-rate scheduler's state (numbers may be non-finite, e.g. a best loss of inf).
  std::map<std::string, std::variant<double, std::string>> scheduler;
  RngState rng;                             // set it with RngState::capture()
  std::map<std::string, std::string> user;  // free-form
};

// One safetensors file: tensors named "model.<key>" and "optimizer.<key>"; the rest is JSON
// text under the metadata key "soma.checkpoint". Atomic like save().
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path);
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace soma::io
