// Printing tensors, following PyTorch's layout (torch/_tensor_str.py with the default print
// options: precision 4, line width 80, summary above 1000 elements with 3 edge items):
//
//   tensor([[1.5000, 2.0000],
//           [3.0000, 4.0000]], dtype=float64, requires_grad=True)
//
// Floating-point values share one format chosen from the visible nonzero finite values: whole
// numbers print as "1.", others with 4 decimals, and scientific notation is used when the
// magnitudes span more than 1000x or leave [1e-4, 1e8]. Deliberate differences from PyTorch:
// dtypes print without the "torch." prefix, and summarized tensors also show size=(...).
#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "autograd/node.h"
#include "kernels/cpu/copy.h"
#include "soma/tensor.h"

namespace soma {

namespace {

constexpr int64_t kThreshold = 1000;  // summarize above this many elements
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

// Visits the indices of `dim` that are printed: all of them, or the edge items around a gap
// (marked by on_gap) when summarizing.
template <class F, class G>
void for_visible(int64_t size, bool summarize, F on_index, G on_gap) {
  if (summarize && size > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) on_index(i);
    on_gap();
    for (int64_t i = size - kEdgeItems; i < size; ++i) on_index(i);
  } else {
    for (int64_t i = 0; i < size; ++i) on_index(i);
  }
}

class Printer {
 public:
  Printer(const Tensor& t, bool summarize)
      : t_(t), summarize_(summarize), base_(static_cast<const char*>(t.data_ptr())) {
    floating_ = t.is_floating_point();
    visit(0, 0, [&](int64_t off) { observe(off); });
    if (floating_) choose_float_format();
  }

  std::string body(int64_t indent) { return tensor_str(0, 0, indent); }

 private:
  double value(int64_t off) const {
    return dispatch(t_.dtype(), [&]<class T>() {
      return kernels::convert<double>(*reinterpret_cast<const T*>(base_ + off * static_cast<int64_t>(sizeof(T))));
    });
  }
  int64_t integer(int64_t off) const {
    return dispatch(t_.dtype(), [&]<class T>() {
      return kernels::convert<int64_t>(*reinterpret_cast<const T*>(base_ + off * static_cast<int64_t>(sizeof(T))));
    });
  }

  // Calls fn(element offset) for every printed element, in order.
  template <class F>
  void visit(int64_t d, int64_t off, F&& fn) {
    if (d == t_.dim()) return fn(off);
    for_visible(t_.size(d), summarize_, [&](int64_t i) { visit(d + 1, off + i * t_.stride(d), fn); }, [] {});
  }

  void observe(int64_t off) {
    if (!floating_) {
      width_ = std::max<int64_t>(width_, plain(off).size());
      return;
    }
    double v = value(off);
    if (!std::isfinite(v) || v == 0) return;
    finite_.push_back(v);
  }

  void choose_float_format() {
    if (finite_.empty()) return;
    double lo = INFINITY, hi = 0;
    for (double v : finite_) {
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      int_mode_ = int_mode_ && v == std::ceil(v);
    }
    sci_ = hi / lo > 1000 || hi > 1e8 || (!int_mode_ && lo < 1e-4);
    for (double v : finite_) {
      int64_t len = sci_ ? fmt::format("{:.4e}", v).size()
                         : int_mode_ ? fmt::format("{:.0f}", v).size() + 1 : fmt::format("{:.4f}", v).size();
      width_ = std::max(width_, len);
    }
  }

  // An element without padding.
  std::string plain(int64_t off) const {
    if (t_.dtype() == kBool) return integer(off) ? "True" : "False";
    if (!floating_) return fmt::format("{}", integer(off));
    double v = value(off);
    if (std::isnan(v)) return "nan";
    if (sci_) return fmt::format("{:.4e}", v);
    if (int_mode_) return std::isinf(v) ? fmt::format("{:.0f}", v) : fmt::format("{:.0f}.", v);
    return fmt::format("{:.4f}", v);
  }

  std::string element(int64_t off) const {
    std::string s = plain(off);
    if (static_cast<int64_t>(s.size()) < width_) s.insert(0, width_ - s.size(), ' ');
    return s;
  }

  std::string vector_str(int64_t off, int64_t indent) const {
    const int64_t d = t_.dim() - 1;
    const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / (width_ + 2));
    std::string s = "[";
    int64_t count = 0;
    auto add = [&](const std::string& item) {
      if (count > 0) s += count % per_line == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ";
      s += item;
      ++count;
    };
    for_visible(t_.size(d), summarize_, [&](int64_t i) { add(element(off + i * t_.stride(d))); },
                [&] { add(" ..."); });
    return s + "]";
  }

  std::string tensor_str(int64_t d, int64_t off, int64_t indent) const {
    if (t_.dim() == 0) return element(off);
    if (d == t_.dim() - 1) return vector_str(off, indent);
    std::string sep = ",";
    sep.append(t_.dim() - 1 - d, '\n').append(indent + 1, ' ');
    std::string s = "[";
    bool first = true;
    auto add = [&](const std::string& item) {
      if (!first) s += sep;
      s += item;
      first = false;
    };
    for_visible(t_.size(d), summarize_, [&](int64_t i) { add(tensor_str(d + 1, off + i * t_.stride(d), indent + 1)); },
                [&] { add("..."); });
    return s + "]";
  }

  const Tensor& t_;
  bool summarize_;
  const char* base_;
  bool floating_ = false;
  bool int_mode_ = true;
  bool sci_ = false;
  int64_t width_ = 1;
  std::vector<double> finite_;
};

// A shape as a Python tuple: (2, 3), (5,), ().
std::string tuple_str(const Shape& s) {
  std::string out = "(";
  for (int64_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// "mul" -> "MulBackward0", "log_softmax" -> "LogSoftmaxBackward0" (PyTorch's node names);
// capitalized names are PyTorch's already ("CopySlices").
std::string node_str(const char* name) {
  if (std::isupper(static_cast<unsigned char>(name[0]))) return name;
  std::string out;
  bool upper = true;
  for (const char* c = name; *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return out + "Backward0";
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int64_t indent = prefix.size();
  std::vector<std::string> suffixes;
  std::string body;
  if (numel() == 0) {
    if (dim() != 1) suffixes.push_back("size=" + tuple_str(shape()));
    if (dtype() != kFloat32) suffixes.push_back(fmt::format("dtype={}", dtype_name(dtype())));
    body = "[]";
  } else {
    const bool summarize = numel() > kThreshold;
    if (summarize) suffixes.push_back("size=" + tuple_str(shape()));
    if (dtype() != kFloat32 && dtype() != kInt64 && dtype() != kBool)
      suffixes.push_back(fmt::format("dtype={}", dtype_name(dtype())));
    body = Printer(*this, summarize).body(indent);
  }
  if (grad_fn())
    suffixes.push_back("grad_fn=<" + node_str(grad_fn()->name()) + ">");
  else if (requires_grad())
    suffixes.push_back("requires_grad=True");

  // Suffixes go on the last line while it stays within the line width.
  std::string out = prefix + body;
  const size_t nl = out.rfind('\n');
  int64_t last = static_cast<int64_t>(out.size()) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const std::string& s : suffixes) {
    const int64_t len = s.size();
    if (last + len + 2 > kLineWidth) {
      out += ",\n" + std::string(indent, ' ') + s;
      last = indent + len;
    } else {
      out += ", " + s;
      last += len + 2;
    }
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace soma
