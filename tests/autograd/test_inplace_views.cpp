// In-place ops on views under autograd: the base's history is rewritten (CopySlices) and the
// other views regenerate their grad_fn. Each case is written twice, with in-place ops on views
// and out of place; values and gradients must agree, and each passes gradcheck and
// gradgradcheck.
#include <gtest/gtest.h>

#include <functional>

#include "error_of.h"
#include "autograd/node.h"
#include "soma/soma.h"

using namespace soma;

namespace {

using Fn = std::function<Tensor(const TensorList&)>;

Tensor f64(std::initializer_list<std::initializer_list<double>> rows) { return tensor(rows, kFloat64); }
Tensor ones64(const Shape& s) { return ones(s, kFloat64); }
Tensor zeros64(const Shape& s) { return zeros(s, kFloat64); }

struct Case {
  const char* name;
  Fn in_place;      // writes through views of an intermediate tensor
  Fn out_of_place;  // the same function without in-place ops
};

// x and w are [3, 4]; each case uses views of w as the other operand where it needs one.
std::vector<Case> cases() {
  return {
      {"narrow_mul_scalar",
       [](const TensorList& in) {
         Tensor y = in[0] * 2.0;
         y.narrow(0, 1, 2).mul_(3.0);
         return y;
       },
       [](const TensorList& in) { return in[0] * f64({{2}, {6}, {6}}); }},
      {"select_copy",  // y[1] = w[2]
       [](const TensorList& in) {
         Tensor y = in[0] * 1.0;
         y.select(0, 1).copy_(in[1].select(0, 2));
         return y;
       },
       [](const TensorList& in) {
         return cat({in[0].narrow(0, 0, 1), in[1].narrow(0, 2, 1), in[0].narrow(0, 2, 1)}, 0);
       }},
      {"slice_with_step_add_alpha",  // y[:, ::2] += 0.5 * w[:, :2]
       [](const TensorList& in) {
         Tensor y = in[0].sin();
         y.slice(1, 0, std::nullopt, 2).add_(in[1].narrow(1, 0, 2), 0.5);
         return y;
       },
       [](const TensorList& in) {
         Tensor z = zeros64({3});
         return in[0].sin() + stack({in[1].select(1, 0), z, in[1].select(1, 1), z}, 1) * 0.5;
       }},
      {"transposed_view_mul",  // y.t()[1:3] *= w.t()[0:2]
       [](const TensorList& in) {
         Tensor y = in[0] * in[0];
         y.t().narrow(0, 1, 2).mul_(in[1].t().narrow(0, 0, 2));
         return y;
       },
       [](const TensorList& in) {
         return in[0] * in[0] * cat({ones64({3, 1}), in[1].narrow(1, 0, 2), ones64({3, 1})}, 1);
       }},
      {"view_of_view_masked_fill",  // y[2, 1:][mask] = 0
       [](const TensorList& in) {
         Tensor y = in[0] + 1.0;
         y.narrow(1, 1, 3).select(0, 2).masked_fill_(tensor({1, 0, 1}, kBool), 0.0);
         return y * in[1];
       },
       [](const TensorList& in) {
         return (in[0] + 1.0).masked_fill(tensor({{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 0, 1}}, kBool), 0.0) * in[1];
       }},
      {"unary_ops_on_columns",
       [](const TensorList& in) {
         Tensor y = in[0] * 1.5;
         y.select(1, 0).relu_();
         y.select(1, 1).clamp_(-0.5, 0.5);
         y.narrow(1, 2, 1).exp_();
         y.select(1, 3).pow_(2);
         return y;
       },
       [](const TensorList& in) {
         Tensor y = in[0] * 1.5;
         return cat({y.narrow(1, 0, 1).relu(), y.narrow(1, 1, 1).clamp(-0.5, 0.5), y.narrow(1, 2, 1).exp(),
                     y.narrow(1, 3, 1).pow(2)},
                    1);
       }},
      {"sqrt_div_neg_sub_on_rows",
       [](const TensorList& in) {
         Tensor y = in[0] * in[0] + 1.0;
         y.select(0, 0).sqrt_();
         y.select(0, 1).div_(in[1].select(0, 1) * in[1].select(0, 1) + 1.0);
         y.select(0, 2).neg_().sub_(in[1].select(0, 0));
         return y;
       },
       [](const TensorList& in) {
         Tensor y = in[0] * in[0] + 1.0;
         Tensor w = in[1];
         return stack({y.select(0, 0).sqrt(), y.select(0, 1) / (w.select(0, 1) * w.select(0, 1) + 1.0),
                       -y.select(0, 2) - w.select(0, 0)});
       }},
      {"sibling_view_made_before_the_write",
       [](const TensorList& in) {
         Tensor y = in[0] * 2.0;
         Tensor a = y.narrow(0, 0, 2);  // its grad_fn is regenerated after the write below
         y.select(0, 1).mul_(in[1].select(0, 1));
         return a * a;
       },
       [](const TensorList& in) {
         Tensor y = in[0] * 2.0 * cat({ones64({1, 4}), in[1].narrow(0, 1, 1), ones64({1, 4})}, 0);
         return y.narrow(0, 0, 2) * y.narrow(0, 0, 2);
       }},
      {"view_made_before_the_base_is_written",
       [](const TensorList& in) {
         Tensor y = in[0] * 2.0;
         Tensor a = y.select(0, 0);
         y.mul_(in[1]);
         return a * 1.0;
       },
       [](const TensorList& in) { return (in[0] * 2.0 * in[1]).select(0, 0); }},
      {"copy_into_a_base_without_grad",
       [](const TensorList& in) {
         Tensor y = zeros64({3, 4});
         y.narrow(0, 1, 1).copy_(in[0].narrow(0, 0, 1) * in[1].narrow(0, 0, 1));
         return y * 2.0;
       },
       [](const TensorList& in) {
         return cat({zeros64({1, 4}), in[0].narrow(0, 0, 1) * in[1].narrow(0, 0, 1), zeros64({1, 4})}, 0) * 2.0;
       }},
      {"split_pieces",
       [](const TensorList& in) {
         Tensor y = in[0] * 1.0;
         TensorList parts = y.split(2, 1);
         parts[1].mul_(in[1].narrow(1, 0, 2));
         parts[0].add_(parts[1]);
         return y;
       },
       [](const TensorList& in) {
         Tensor p1 = in[0].narrow(1, 2, 2) * in[1].narrow(1, 0, 2);
         return cat({in[0].narrow(1, 0, 2) + p1, p1}, 1);
       }},
      {"overlapping_views",
       [](const TensorList& in) {
         Tensor y = in[0] * 1.0;
         Tensor v = y.narrow(0, 0, 2), u = y.narrow(0, 1, 2);
         v.mul_(2.0);
         u.add_(in[0].narrow(0, 0, 2) * in[1].narrow(0, 0, 2));
         return y;
       },
       [](const TensorList& in) {
         Tensor x = in[0], w = in[1];
         return stack({x.select(0, 0) * 2.0, x.select(0, 1) * 2.0 + x.select(0, 0) * w.select(0, 0),
                       x.select(0, 2) + x.select(0, 1) * w.select(0, 1)});
       }},
      {"recurrence_through_rows",  // y[i] += y[i - 1] * w[i]
       [](const TensorList& in) {
         Tensor y = in[0] * 1.0;
         for (int64_t i = 1; i < 3; ++i)  // clone: mul saves its operand, which the next add_ writes
           y.select(0, i).add_(y.select(0, i - 1).clone() * in[1].select(0, i));
         return y;
       },
       [](const TensorList& in) {
         Tensor x = in[0], w = in[1];
         Tensor r1 = x.select(0, 1) + x.select(0, 0) * w.select(0, 1);
         return stack({x.select(0, 0), r1, x.select(0, 2) + r1 * w.select(0, 2)});
       }},
      {"fill_and_zero",
       [](const TensorList& in) {
         Tensor y = in[0] * in[0];
         y.select(1, 0).zero_();
         y.narrow(1, 1, 1).fill_(2.0);
         return y * in[1];
       },
       [](const TensorList& in) {
         return cat({zeros64({3, 1}), full({3, 1}, 2.0, kFloat64), (in[0] * in[0]).narrow(1, 2, 2)}, 1) * in[1];
       }},
      {"reshaped_view",  // the second half of y's elements times w's first six
       [](const TensorList& in) {
         Tensor y = in[0] * 1.0;
         y.view({2, 6}).select(0, 1).mul_(in[1].reshape({12}).narrow(0, 0, 6));
         return y;
       },
       [](const TensorList& in) {
         return (in[0].reshape({12}) * cat({ones64({6}), in[1].reshape({12}).narrow(0, 0, 6)}, 0)).view({3, 4});
       }},
  };
}

TensorList inputs() {
  Generator gen(11);
  Tensor x = randn({3, 4}, kFloat64, &gen).requires_grad_();
  Tensor w = randn({3, 4}, kFloat64, &gen).requires_grad_();
  return {x, w};
}

std::vector<double> values(const Tensor& t) { return t.detach().to_vector<double>(); }

void expect_near(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::abs(b[i]))) << what << " [" << i << "]";
}

}  // namespace

TEST(InPlaceViews, MatchTheSameFunctionWrittenOutOfPlace) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    TensorList in = inputs();
    Tensor a = c.in_place(in), b = c.out_of_place(in);
    ASSERT_EQ(a.shape(), b.shape());
    expect_near(values(a), values(b), "value");
    Tensor cotangent = randn(a.shape(), kFloat64);
    TensorList ga = autograd::grad({a}, in, {cotangent}, {.allow_unused = true});
    TensorList gb = autograd::grad({b}, in, {cotangent}, {.allow_unused = true});
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(ga[i].defined(), gb[i].defined()) << "input " << i;
      if (ga[i].defined()) expect_near(values(ga[i]), values(gb[i]), "gradient of input " + std::to_string(i));
    }
  }
}

TEST(InPlaceViews, Gradcheck) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_NO_THROW(gradcheck(c.in_place, inputs()));
  }
}

TEST(InPlaceViews, Gradgradcheck) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_NO_THROW(gradgradcheck(c.in_place, inputs()));
  }
}

// The example of the issue: the base's history now runs through CopySlices.
TEST(InPlaceViews, NarrowMulOfAnIntermediate) {
  Tensor x = tensor({1, 2, 3, 4}).requires_grad_();
  Tensor y = x * 2.0;
  Tensor v = y.narrow(0, 1, 2);
  v.mul_(3.0);
  EXPECT_EQ(values(y), std::vector<double>({2, 12, 18, 8}));
  EXPECT_STREQ(y.grad_fn()->name(), "CopySlices");
  EXPECT_STREQ(v.grad_fn()->name(), "as_strided");
  y.sum().backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>({2, 6, 6, 2}));
}

// A base that required no grad takes part in autograd once a view of it receives a value that
// does (y[1] = x): it becomes a non-leaf, as in PyTorch.
TEST(InPlaceViews, BaseWithoutGradGetsHistory) {
  Tensor x = tensor({5, 6}).requires_grad_();
  Tensor y = zeros({3, 2});
  Tensor other = y.select(0, 2);  // made before the write: regenerated, now requires grad
  EXPECT_FALSE(other.requires_grad());
  y.select(0, 1).copy_(x);
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(y.requires_grad());
  EXPECT_TRUE(other.requires_grad());
  (y * tensor({{1, 2}, {3, 4}, {5, 6}})).sum().backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>({3, 4}));
}

TEST(InPlaceViews, GoldenValuesFromPyTorch) {
  // tests/golden/gen_inplace.py
  const std::vector<double> kCase1Y = {0.9974949866040544, -0.479425538604203, 0.9092974268256817, 0.24740395925452294, 24.0, 6.25, -0.03125, 0.3103448275862069, 1.125, 9.0, -0.75, 1.625};  // shape [3, 4]
  const std::vector<double> kCase1GradX = {0.0, 0.0, 0.0, 0.0, 265.89671634595163, -5.850576148606977, -0.24963383873077374, 0.3548081552782304, 1.7516235796884478, -27.092383313086355, -0.3306896982844804, -0.8383952817020813};  // shape [3, 4]
  const std::vector<double> kCase1GradW = {354.06712548056584, 4.000561061494963, -0.28548258098715673, 2.8648458797589256};  // shape [2, 2]
  const std::vector<double> kCase2Y = {2.5, 0.0, 0.5, 8.0, 8.0, 0.0, 1.75, 5.5, 0.0, 10.0, 0.5, 8.5};  // shape [3, 4]
  const std::vector<double> kCase2GradX = {15.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.5, 33.0, 0.0, 60.0, 0.0, 51.0};  // shape [3, 4]

  auto x_values = [] { return f64({{0.5, -1.0, 2.0, 3.5}, {4.0, -2.5, 0.25, 1.5}, {-0.75, 3.0, -3.0, 2.5}}); };
  {
    Tensor x = x_values().requires_grad_();
    Tensor w = f64({{1.5, -0.5}, {2.0, 0.25}}).requires_grad_();
    Tensor y = x * x;
    y.slice(0, 1, std::nullopt).slice(1, 0, std::nullopt, 2).mul_(w);
    y.t().select(0, 3).div_(x.select(1, 1) * x.select(1, 1) + 1.0);
    y.select(0, 0).copy_(w.flatten().sin());
    y.slice(1, 1, std::nullopt).narrow(1, 1, 2).select(0, 2).add_(w.select(0, 0), -2.0);
    (y * y.cos()).sum().backward();
    expect_near(values(y), kCase1Y, "y");
    expect_near(values(x.grad()), kCase1GradX, "x.grad");
    expect_near(values(w.grad()), kCase1GradW, "w.grad");
  }
  {
    Tensor x = x_values().requires_grad_();
    Tensor y = x * 3.0 + 1.0;
    y.select(1, 2).masked_fill_(tensor({1, 0, 1}, kBool), 0.5);
    y.narrow(0, 0, 2).clamp_(-1.0, 8.0);
    y.relu_();
    (y * y).sum().backward();
    expect_near(values(y), kCase2Y, "y");
    expect_near(values(x.grad()), kCase2GradX, "x.grad");
  }
}

TEST(InPlaceViews, ErrorsAsPyTorch) {
  Tensor leaf = ones({3, 4}).requires_grad_();
  EXPECT_ERROR(leaf.narrow(0, 0, 1).mul_(2.0),
               "mul_: a view of a leaf Variable that requires grad is being used in an in-place operation (view "
               "shape [1, 4], leaf shape [3, 4])");
  EXPECT_ERROR(leaf.t().select(0, 1).copy_(zeros({3})), "copy_: a view of a leaf Variable that requires grad");
  EXPECT_ERROR(leaf.add_(1.0),
               "add_: a leaf tensor that requires grad (shape [3, 4]) cannot be modified in place while grad mode is on");

  Tensor y = leaf * 2.0;
  Tensor made_without_grad;
  {
    NoGradGuard g;
    made_without_grad = y.narrow(1, 0, 2);
  }
  EXPECT_FALSE(made_without_grad.requires_grad());
  EXPECT_ERROR(made_without_grad.fill_(0),
               "fill_: a view (shape [3, 2]) was created in no_grad mode and is being modified in place with grad "
               "mode enabled");

  EXPECT_ERROR(y.unsqueeze(0).expand({2, 3, 4}).mul_(2.0),
               "mul_: more than one element of the view being written (shape [2, 3, 4], strides [0, 4, 1]) refers "
               "to the same memory location");
  EXPECT_ERROR(y.select(0, 0).unfold(0, 2, 1).relu_(), "relu_: more than one element of the view being written");
  EXPECT_ERROR(zeros({3}, kInt64).narrow(0, 0, 2).copy_(leaf.select(0, 0).narrow(0, 0, 2)),
               "copy_: cannot write a result that requires grad into a tensor of dtype int64");
  EXPECT_EQ(values(y), std::vector<double>(12, 2.0));  // refused writes changed nothing
}

// Parameters are initialized through views under no_grad; they stay leaves and train normally.
TEST(InPlaceViews, NoGradWritesThroughViewsOfALeaf) {
  Tensor w = zeros({3, 4}).requires_grad_();
  Tensor bias = zeros({4}).requires_grad_();
  {
    NoGradGuard g;
    w.narrow(0, 0, 1).fill_(1.0);
    w.select(1, 3).mul_(0.0).add_(2.0);
    Generator gen(3);
    Tensor row = w.select(0, 2);
    uniform_(row, -1, 1, &gen);
    bias.slice(0, 0, std::nullopt, 2).copy_(tensor({7, 8}));
  }
  EXPECT_TRUE(w.is_leaf());
  EXPECT_EQ(values(w.select(0, 0)), std::vector<double>({1, 1, 1, 2}));
  EXPECT_EQ(values(w.select(0, 1)), std::vector<double>({0, 0, 0, 2}));
  EXPECT_EQ(values(bias), std::vector<double>({7, 0, 8, 0}));
  (w * 3.0 + bias).sum().backward();
  EXPECT_EQ(values(w.grad()), std::vector<double>(12, 3.0));
  EXPECT_EQ(values(bias.grad()), std::vector<double>(4, 3.0));
}

// A value saved for backward that is written through a view (or a view of it written through
// the base) still raises the version error.
TEST(InPlaceViews, VersionCounterStillCatchesSavedTensors) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = x.exp();  // saves its output
  y.narrow(0, 1, 1).mul_(2.0);
  EXPECT_ERROR(y.sum().backward(), "a tensor of shape [3] saved for backward was modified by an in-place operation");

  Tensor z = x * 1.0;
  Tensor row = z.narrow(0, 0, 2);
  Tensor p = row * row;  // saves the view
  z.add_(1.0);
  EXPECT_ERROR(p.sum().backward(), "a tensor of shape [2] saved for backward was modified by an in-place operation");
}

// Random fills and fill_ give the overwritten values no gradient (and no NaN from inf * 0).
TEST(InPlaceViews, OverwritingOpsCutTheGradient) {
  Tensor x = tensor({0.5, 1, 2, 4}, kFloat64).requires_grad_();
  Tensor y = x.log();
  Tensor ylin = x * 1.0;
  y.narrow(0, 0, 2).fill_(5.0);
  Generator gen(1);
  Tensor tail = ylin.narrow(0, 2, 2);
  normal_(tail, 0, 1, &gen);
  EXPECT_EQ(values(y.narrow(0, 0, 2)), std::vector<double>({5, 5}));
  (y.sum() + ylin.sum()).backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>({1, 1, 0.5, 0.25}));

  Tensor inf = (tensor({0, 1}).requires_grad_() * 1.0).log();  // -inf, 0
  inf.fill_(2.0);
  EXPECT_EQ(values(inf), std::vector<double>({2, 2}));
}

// A view saved by the op that rewrote its base (y[1:] += y[:-1] * w) would hold the base, whose
// history holds the op: saved tensors keep no link to a view's base, so the graph is freed.
TEST(InPlaceViews, RewrittenHistoryIsFreedWithoutBackward) {
  std::weak_ptr<TensorImpl> base;
  {
    Tensor x = ones({4}).requires_grad_();
    Tensor y = x * 2.0;
    y.narrow(0, 1, 3).add_(y.narrow(0, 0, 3) * x.narrow(0, 1, 3));
    base = y.impl_ptr();
  }
  EXPECT_TRUE(base.expired());
}

TEST(InPlaceViews, RetainGraphAllowsASecondBackward) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = x * x;
  y.narrow(0, 0, 2).mul_(x.narrow(0, 1, 2));
  y.sum().backward({}, /*retain_graph=*/true);
  y.sum().backward();
  // d/dx of (x0^2 x1 + x1^2 x2 + x2^2) = (2 x0 x1, x0^2 + 2 x1 x2, x1^2 + 2 x2), twice.
  EXPECT_EQ(values(x.grad()), std::vector<double>({8, 26, 20}));
}
