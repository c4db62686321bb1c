#pragma once
// The IDX format of MNIST and Fashion-MNIST: a magic number (0, 0, element type, number of
// dims), each dim as a big-endian uint32, then the elements in row-major order, big-endian.
// Files may be gzip-compressed (detected by their first bytes, not their name).
#include <string>

#include "soma/tensor.h"

namespace soma::data {

// The tensor stored in an IDX file. Element types: 0x08 uint8, 0x09 int8, 0x0B int16 (read
// as int32, soma having no int16), 0x0C int32, 0x0D float32, 0x0E float64. Throws an Error
// naming the file and the problem for a bad magic number, a bad element type, dims that call
// for more than 4 GiB of elements (or whose strides overflow int64), or a payload that is not
// exactly the size the dims call for. A gzip-compressed file is inflated no further than that.
Tensor read_idx(const std::string& path);
// The same, from the bytes of an IDX file (gzip-compressed or not); `name` names it in errors.
Tensor parse_idx(std::string_view bytes, const std::string& name = "<memory>");

// Writes `t` as an IDX file (uint8, int8, int32, float32 or float64), gzip-compressed if asked.
void write_idx(const std::string& path, const Tensor& t, bool gzip = false);

}  // namespace soma::data
