#include <gtest/gtest.h>

#include <thread>

#include "soma/soma.h"

using namespace soma;

TEST(Engine, MulAddGradients) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor w = tensor({3.0}).requires_grad_();
  Tensor b = tensor({1.0}).requires_grad_();
  Tensor y = x * w + b;
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 3.0);
  EXPECT_DOUBLE_EQ(w.grad().item(), 2.0);
  EXPECT_DOUBLE_EQ(b.grad().item(), 1.0);
}

TEST(Engine, GradientsAccumulate) {
  Tensor x = tensor({2.0}).requires_grad_();
  (x * x).backward();
  (x * x).backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 8.0);
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, BroadcastGradientSumsBack) {
  Tensor a = ones({2, 3}).requires_grad_();
  Tensor b = tensor({1.0, 2.0, 3.0}).requires_grad_();
  (a * b).sum().backward();
  EXPECT_EQ(b.grad().shape(), Shape({3}));
  EXPECT_EQ(b.grad().to_vector<float>(), std::vector<float>({2, 2, 2}));
  EXPECT_EQ(a.grad().to_vector<float>(), std::vector<float>({1, 2, 3, 1, 2, 3}));
}

TEST(Engine, SameTensorTwiceGetsBothContributions) {
  Tensor x = tensor({3.0}).requires_grad_();
  Tensor y = x + x;
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 2.0);
}

TEST(Engine, LongChainDoesNotOverflowTheStack) {
  Tensor x = tensor({1.0}, kFloat64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);
}

TEST(Engine, BackwardTwiceThroughFreedGraphThrows) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor y = x * x;
  y.backward();
  EXPECT_THROW(y.backward(), Error);
  Tensor z = x * x;
  z.backward({}, /*retain_graph=*/true);
  EXPECT_NO_THROW(z.backward());
}

TEST(Engine, InPlaceModificationOfSavedTensorIsDetected) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor a = x * 1.0;
  Tensor y = a * a;  // saves a
  a.add_(1.0);
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("modified by an in-place operation"), std::string::npos) << e.what();
  }
}

TEST(Engine, NoGradRecordsNothing) {
  Tensor x = tensor({2.0}).requires_grad_();
  {
    NoGradGuard g;
    Tensor y = x * x;
    EXPECT_FALSE(y.requires_grad());
  }
  EXPECT_TRUE((x * x).requires_grad());
}

// The guards nest and restore the previous mode; the mode belongs to the calling thread.
TEST(Engine, GradModeGuardsNestAndAreThreadLocal) {
  Tensor x = tensor({2.0}).requires_grad_();
  {
    NoGradGuard off;
    EXPECT_FALSE(is_grad_enabled());
    {
      EnableGradGuard on;
      EXPECT_TRUE((x * x).requires_grad());
      GradModeGuard off_again(false);
      EXPECT_FALSE((x * x).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
    bool other_thread = false, other_thread_records = false;
    std::thread t([&] {
      other_thread = is_grad_enabled();
      other_thread_records = (x * 3.0).requires_grad();
    });
    t.join();
    EXPECT_TRUE(other_thread);
    EXPECT_TRUE(other_thread_records);
  }
  EXPECT_TRUE(is_grad_enabled());
  {
    GradModeGuard off(false);
    EXPECT_FALSE((x * x).requires_grad());
  }
  EXPECT_TRUE((x * x).requires_grad());
}

// A long graph dropped without a backward pass is destroyed iteratively too.
TEST(Engine, DroppingALongGraphDoesNotOverflowTheStack) {
  Tensor x = tensor({1.0}).requires_grad_();
  std::weak_ptr<TensorImpl> first;
  {
    Tensor y = x * 1.0;
    first = y.impl_ptr();
    for (int i = 0; i < 100000; ++i) y = y * 1.0;
  }
  EXPECT_TRUE(first.expired());
}

TEST(Engine, NonScalarBackwardNeedsGradient) {
  Tensor x = ones({3}).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_THROW(y.backward(), Error);
  y.backward(ones({3}));
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>({2, 2, 2}));
}

TEST(Engine, RetainGradAndHooks) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor h = x * 3.0;
  h.retain_grad();
  int calls = 0;
  h.register_hook([&](const Tensor& g) {
    ++calls;
    return g * 2.0;
  });
  (h * h).backward();  // d/dh = 2h = 12, doubled by the hook = 24
  EXPECT_EQ(calls, 1);
  EXPECT_DOUBLE_EQ(h.grad().item(), 24.0);
  EXPECT_DOUBLE_EQ(x.grad().item(), 72.0);
}

TEST(Engine, GradReturnsWithoutAccumulating) {
  Tensor x = tensor({2.0}, kFloat64).requires_grad_();
  Tensor y = x * x * x;
  TensorList g = autograd::grad({y}, {x}, {}, {.create_graph = true});
  EXPECT_DOUBLE_EQ(g[0].item(), 12.0);  // 3x^2
  EXPECT_FALSE(x.grad().defined());
  TensorList gg = autograd::grad({g[0]}, {x});
  EXPECT_DOUBLE_EQ(gg[0].item(), 12.0);  // 6x
}

TEST(Engine, GradOfUnusedInput) {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor z = tensor({5.0}).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_THROW(autograd::grad({y}, {x, z}, {}, {.retain_graph = true}), Error);
  TensorList g = autograd::grad({y}, {x, z}, {}, {.allow_unused = true});
  EXPECT_DOUBLE_EQ(g[0].item(), 2.0);
  EXPECT_FALSE(g[1].defined());
}

TEST(Engine, InPlaceOnLeafRequiringGradThrows) {
  Tensor x = ones({2}).requires_grad_();
  EXPECT_THROW(x.add_(1.0), Error);
  NoGradGuard g;
  EXPECT_NO_THROW(x.add_(1.0));
}

TEST(Gradcheck, ArithmeticWithBroadcasting) {
  Generator gen(7);
  Tensor a = randn({2, 3}, kFloat64, &gen).requires_grad_();
  Tensor b = (randn({3}, kFloat64, &gen) + 3.0).detach().requires_grad_();
  auto f = [](const TensorList& x) { return (x[0] * x[1] - x[0] / x[1] + x[1]) * 0.5; };
  EXPECT_NO_THROW(gradcheck(f, {a, b}));
  EXPECT_NO_THROW(gradgradcheck(f, {a, b}));
}

TEST(Functional, HvpJvpHessian) {
  // f(x) = sum(x^3): gradient 3x^2, Hessian diag(6x).
  Tensor x = tensor({1.0, 2.0}, kFloat64);
  Tensor v = tensor({1.0, 1.0}, kFloat64);
  auto f = [](const TensorList& xs) { return (xs[0] * xs[0] * xs[0]).sum(); };
  auto [y, hv] = autograd::hvp(f, {x}, {v});
  EXPECT_DOUBLE_EQ(y.item(), 9.0);
  EXPECT_EQ(hv[0].to_vector<double>(), std::vector<double>({6.0, 12.0}));
  Tensor H = autograd::hessian([](const Tensor& t) { return (t * t * t).sum(); }, x);
  EXPECT_EQ(H.to_vector<double>(), std::vector<double>({6.0, 0.0, 0.0, 12.0}));
  // g(x) = x * x elementwise: J = diag(2x); J v = 2x * v.
  auto [out, jv] = autograd::jvp([](const TensorList& xs) { return TensorList{xs[0] * xs[0]}; }, {x},
                                 {tensor({1.0, 3.0}, kFloat64)});
  EXPECT_EQ(jv[0].to_vector<double>(), std::vector<double>({2.0, 12.0}));
}
