// Elementwise ops, reductions and random numbers give bit-identical results for any thread
// count (docs/core.md, "Threads"): loops split only the iteration space, never a sum's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "soma/soma.h"
#include "error_of.h"

using namespace soma;

namespace {

TensorList workload() {
  Generator gen(5);
  Tensor a = randn({301, 1003}, kFloat32, &gen);  // large enough to be split across threads
  Tensor b = randn({1003}, kFloat32, &gen);
  Tensor d = randn({1003, 301}, kFloat64, &gen).t();  // non-contiguous
  return {a.exp(), a.sigmoid(), a.tanh(), a * b + 1.0, (a.abs() / (b.abs() + 1.0)).sqrt(), d * d - d,
          a.sum(), a.mean({1}), a.var({0}), d.sum({1}), a.amax({1}), a.norm(), a.softmax(1), a.log_softmax(0),
          a.cumsum(1), a.argmax(1).to(kFloat32), rand({70001}, kFloat32, &gen)};
}

}  // namespace

TEST(Threads, ResultsDoNotDependOnTheThreadCount) {
  const int old = get_num_threads();
  set_num_threads(1);
  TensorList one = workload();
  for (int n : {2, 3}) {
    set_num_threads(n);
    TensorList many = workload();
    for (size_t i = 0; i < one.size(); ++i)
      EXPECT_EQ(one[i].to_vector<double>(), many[i].to_vector<double>()) << "result " << i << ", " << n << " threads";
  }
  set_num_threads(old);
}

// A thread count far above the cores only costs memory (OpenBLAS buffers per thread; with an
// address-space limit OpenBLAS retries a failed allocation forever), so it is refused.
TEST(Threads, SetNumThreadsAcceptsOneToFourPerCore) {
  const int old = get_num_threads();
  const int most = max_num_threads();
  EXPECT_EQ(most, 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_ERROR(set_num_threads(0), "expected 1 to");
  EXPECT_ERROR(set_num_threads(-3), "got -3");
  EXPECT_ERROR(set_num_threads(most + 1), fmt::format("expected 1 to {} threads", most));
  EXPECT_EQ(get_num_threads(), old);  // unchanged by the refusals
  set_num_threads(most);
  EXPECT_EQ(get_num_threads(), most);
  set_num_threads(old);
}
