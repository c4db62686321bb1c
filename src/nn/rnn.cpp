// Recurrent layers: the fused layer op (kernels/cpu/rnn.h) recorded as one autograd node, the
// same layer composed from primitive ops (reference and double backward), cells and modules.
#include "soma/nn/rnn.h"

#include <cmath>
#include <tuple>

#include "autograd/node.h"
#include "kernels/cpu/rnn.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace functional {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

kernels::RNNCellKind kind_of(RNNCellType type) {
  switch (type) {
    case RNNCellType::kRNNTanh: return kernels::RNNCellKind::kTanh;
    case RNNCellType::kRNNRelu: return kernels::RNNCellKind::kRelu;
    case RNNCellType::kLSTM: return kernels::RNNCellKind::kLSTM;
    case RNNCellType::kGRU: return kernels::RNNCellKind::kGRU;
  }
  return kernels::RNNCellKind::kTanh;
}

const char* op_name(RNNCellType type) {
  switch (type) {
    case RNNCellType::kLSTM: return "lstm";
    case RNNCellType::kGRU: return "gru";
    default: return "rnn";
  }
}

void check_state(const char* op, const char* name, const Tensor& s, int64_t B, int64_t H, DType dtype,
                 const char* width = "hidden") {
  if (!s.defined()) return;
  SOMA_CHECK(s.dim() == 2 && s.size(0) == B && s.size(1) == H, "{}: {} of shape {} does not match [{}, {}] (batch, {})",
             op, name, s.shape(), B, H, width);
  SOMA_CHECK(s.dtype() == dtype, "{}: {} has dtype {}, expected the input's dtype {}", op, name, dtype_name(s.dtype()),
             dtype_name(dtype));
}

void check_param(const char* op, const char* name, const Tensor& p, const Shape& expected, DType dtype) {
  SOMA_CHECK(p.shape() == expected, "{}: {} of shape {} does not match the expected shape {}", op, name, p.shape(),
             expected);
  SOMA_CHECK(p.dtype() == dtype, "{}: {} has dtype {}, expected the input's dtype {}", op, name, dtype_name(p.dtype()),
             dtype_name(dtype));
}

// Validates a layer call; returns the hidden size.
int64_t check_layer(RNNCellType type, const Tensor& x, const Tensor& h0, const Tensor& c0, const RNNLayerWeights& w,
                    const Tensor& lengths) {
  const char* op = op_name(type);
  SOMA_CHECK(x.dim() == 3, "{}: expected an input [T, B, I] of 3 dims, got shape {}", op, x.shape());
  SOMA_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, "{}: expected a float32 or float64 input, got dtype {}",
             op, dtype_name(x.dtype()));
  SOMA_CHECK(x.size(0) > 0 && x.size(1) > 0, "{}: input of shape {} has no time steps or no batch rows", op, x.shape());
  SOMA_CHECK(w.w_ih.defined() && w.w_ih.dim() == 2 && w.w_hh.defined(),
             "{}: weight_ih must be 2-D [gates * H, I] and weight_hh defined", op);
  const int64_t G = kernels::rnn_gate_count(kind_of(type));
  SOMA_CHECK(w.w_ih.size(0) % G == 0, "{}: weight_ih of shape {} does not have {} gate blocks", op, w.w_ih.shape(), G);
  const int64_t H = w.w_ih.size(0) / G, I = x.size(2), B = x.size(1), T = x.size(0);
  // With projections (LSTM only) the state h has proj_size P = weight_hr.size(0) columns.
  SOMA_CHECK(!w.w_hr.defined() || type == RNNCellType::kLSTM, "{}: weight_hr (projections) is only for LSTM", op);
  SOMA_CHECK(!w.w_hr.defined() || (w.w_hr.dim() == 2 && w.w_hr.size(0) >= 1),
             "{}: weight_hr must be 2-D [proj_size, H] with proj_size >= 1, got shape {}", op, w.w_hr.shape());
  const int64_t R = w.w_hr.defined() ? w.w_hr.size(0) : H;
  check_param(op, "weight_ih", w.w_ih, {G * H, I}, x.dtype());
  check_param(op, "weight_hh", w.w_hh, {G * H, R}, x.dtype());
  if (w.w_hr.defined()) check_param(op, "weight_hr", w.w_hr, {R, H}, x.dtype());
  SOMA_CHECK(w.b_ih.defined() == w.b_hh.defined(), "{}: bias_ih and bias_hh must both be given or both be absent", op);
  if (w.b_ih.defined()) {
    check_param(op, "bias_ih", w.b_ih, {G * H}, x.dtype());
    check_param(op, "bias_hh", w.b_hh, {G * H}, x.dtype());
  }
  check_state(op, "h0", h0, B, R, x.dtype(), w.w_hr.defined() ? "proj_size" : "hidden");
  if (type == RNNCellType::kLSTM)
    check_state(op, "c0", c0, B, H, x.dtype());
  else
    SOMA_CHECK(!c0.defined(), "{}: a cell state c0 is only for LSTM", op);
  if (lengths.defined()) {
    SOMA_CHECK(lengths.dtype() == kInt64 && lengths.dim() == 1 && lengths.size(0) == B,
               "{}: lengths must be int64 [{}] (one per batch row), got {} {}", op, B, dtype_name(lengths.dtype()),
               lengths.shape());
    Tensor l = lengths.contiguous();
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = l.data<int64_t>()[b];
      SOMA_CHECK(n >= 1 && n <= T, "{}: lengths[{}] = {} is outside [1, {}] (the input has {} time steps)", op, b, n,
                 T, T);
    }
  }
  return H;
}

// 1 where time t is within a row's length, 0 past it: [B, 1] in dtype (undefined: all valid).
Tensor step_mask(const Tensor& lengths, int64_t t, DType dtype) {
  if (!lengths.defined()) return {};
  return gt(lengths, Scalar(t)).to(dtype).unsqueeze(1);
}
// m * a + (1 - m) * b, or a without a mask.
Tensor blend(const Tensor& m, const Tensor& a, const Tensor& b) { return m.defined() ? b + m * (a - b) : a; }

// What one composed step computed (for the differentiable backward).
struct Step {
  Tensor mask, hp, cp, h;                     // h: the candidate state before masking
  Tensor i, f, u, o, tc;                      // LSTM
  Tensor full;                                // LSTM with projections: o * tc, before W_hr
  Tensor r, z, n, hn;                         // GRU
};

// The layer from primitive ops. With `steps`, also keeps each step's intermediate values.
RNNLayerOutput composed_forward(RNNCellType type, const Tensor& x, const Tensor& h0, const Tensor& c0,
                                const RNNLayerWeights& w, const Tensor& lengths, bool reverse, int64_t H,
                                std::vector<Step>* steps) {
  const int64_t T = x.size(0), B = x.size(1);
  const bool lstm = type == RNNCellType::kLSTM;
  const int64_t R = w.w_hr.defined() ? w.w_hr.size(0) : H;  // the width of h
  Tensor h = h0.defined() ? h0 : zeros({B, R}, x.dtype());
  Tensor c = lstm ? (c0.defined() ? c0 : zeros({B, H}, x.dtype())) : Tensor();
  Tensor gi = linear(x, w.w_ih, w.b_ih);  // [T, B, G*H]: the input side of every step at once
  TensorList outs(T);
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = reverse ? T - 1 - s : s;
    Step st;
    st.mask = step_mask(lengths, t, x.dtype()), st.hp = h, st.cp = c;
    Tensor gh = linear(h, w.w_hh, w.b_hh);
    if (lstm) {
      TensorList g = (gi[t] + gh).chunk(4, 1);
      st.i = soma::sigmoid(g[0]), st.f = soma::sigmoid(g[1]), st.u = soma::tanh(g[2]), st.o = soma::sigmoid(g[3]);
      Tensor cn = st.f * c + st.i * st.u;
      st.tc = soma::tanh(cn);
      st.h = st.o * st.tc;
      if (w.w_hr.defined()) st.full = st.h, st.h = linear(st.h, w.w_hr);  // the projection [B, H] -> [B, P]
      c = blend(st.mask, cn, c);
    } else if (type == RNNCellType::kGRU) {
      TensorList a = gi[t].chunk(3, 1), b = gh.chunk(3, 1);
      st.r = soma::sigmoid(a[0] + b[0]), st.z = soma::sigmoid(a[1] + b[1]), st.hn = b[2];
      st.n = soma::tanh(a[2] + st.r * st.hn);
      st.h = (1.0 - st.z) * st.n + st.z * h;
    } else {
      Tensor pre = gi[t] + gh;
      st.h = type == RNNCellType::kRNNTanh ? soma::tanh(pre) : soma::relu(pre);
    }
    outs[t] = st.mask.defined() ? st.mask * st.h : st.h;
    h = blend(st.mask, st.h, h);
    if (steps) steps->push_back(std::move(st));
  }
  return {stack(outs), h, c};
}

// The fused layer's gradients written in differentiable ops (used under create_graph): recompute
// the steps, then backpropagate through time with the formulas of the kernel.
TensorList differentiable_backward(RNNCellType type, const Tensor& x, const Tensor& h0, const Tensor& c0,
                                   const RNNLayerWeights& w, const Tensor& lengths, bool reverse, int64_t H,
                                   const Tensor& g_out, const Tensor& g_h, const Tensor& g_c) {
  std::vector<Step> steps;
  composed_forward(type, x, h0, c0, w, lengths, reverse, H, &steps);
  const int64_t T = x.size(0), B = x.size(1);
  const bool lstm = type == RNNCellType::kLSTM, gru = type == RNNCellType::kGRU, proj = w.w_hr.defined();
  const int64_t R = proj ? w.w_hr.size(0) : H;  // the width of h
  Tensor dh = g_h.defined() ? g_h : zeros({B, R}, x.dtype());
  Tensor dc = lstm ? (g_c.defined() ? g_c : zeros({B, H}, x.dtype())) : Tensor();
  TensorList dgi(T), dgh(T), hprev(T), dproj(T), full(T);
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = reverse ? T - 1 - s : s;
    const Step& st = steps[s];
    const Tensor& m = st.mask;
    // h_new = m h' + (1 - m) h_prev and out_t = m h'.
    Tensor total = g_out.defined() ? dh + g_out[t] : dh;
    Tensor dcand = m.defined() ? m * total : total;
    Tensor direct = m.defined() ? (1.0 - m) * dh : Tensor();
    if (proj) {  // h' = full W_hrᵀ: dW_hr collects dcandᵀ full, the cell sees dcand W_hr
      dproj[t] = dcand, full[t] = st.full;
      dcand = mm(dcand, w.w_hr);
    }
    Tensor gi_t, gh_t;
    if (lstm) {
      Tensor dcn = (m.defined() ? m * dc : dc) + dcand * st.o * (1.0 - st.tc * st.tc);
      gi_t = cat({dcn * st.u * st.i * (1.0 - st.i), dcn * st.cp * st.f * (1.0 - st.f), dcn * st.i * (1.0 - st.u * st.u),
                  dcand * st.tc * st.o * (1.0 - st.o)},
                 1);
      gh_t = gi_t;
      dc = m.defined() ? dcn * st.f + (1.0 - m) * dc : dcn * st.f;
    } else if (gru) {
      Tensor dn = dcand * (1.0 - st.z) * (1.0 - st.n * st.n);
      Tensor dz = dcand * (st.hp - st.n) * st.z * (1.0 - st.z);
      Tensor dr = dn * st.hn * st.r * (1.0 - st.r);
      gi_t = cat({dr, dz, dn}, 1);
      gh_t = cat({dr, dz, dn * st.r}, 1);
      direct = direct.defined() ? direct + dcand * st.z : dcand * st.z;
    } else {
      gi_t = type == RNNCellType::kRNNTanh ? dcand * (1.0 - st.h * st.h) : dcand * gt(st.h, 0.0).to(x.dtype());
      gh_t = gi_t;
    }
    dh = mm(gh_t, w.w_hh);
    if (direct.defined()) dh = dh + direct;
    dgi[t] = gi_t, dgh[t] = gh_t, hprev[t] = st.hp;
  }
  const int64_t G = w.w_ih.size(0);
  Tensor DGi = stack(dgi).view({T * B, G}), DGh = stack(dgh).view({T * B, G});
  Tensor dx = mm(DGi, w.w_ih).view(x.shape());
  Tensor dw_ih = mm(DGi.t(), x.reshape({T * B, -1})), dw_hh = mm(DGh.t(), stack(hprev).view({T * B, R}));
  Tensor db_ih = w.b_ih.defined() ? sum(DGi, {0}) : Tensor(), db_hh = w.b_ih.defined() ? sum(DGh, {0}) : Tensor();
  if (!proj) return {dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh};
  Tensor dw_hr = mm(stack(dproj).view({T * B, R}).t(), stack(full).view({T * B, H}));
  return {dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr};
}

template <class T>
T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

// Saving and reading back tensors that may be absent (no h0, no bias, no cell state).
SavedTensor save_optional(const Tensor& t) { return t.defined() ? SavedTensor(t) : SavedTensor(); }
SavedTensor save_output(const Tensor& t) { return t.defined() ? SavedTensor::output(t) : SavedTensor(); }
Tensor get_optional(const SavedTensor& s, bool present) { return present ? s.get() : Tensor(); }

}  // namespace

RNNLayerOutput rnn_layer(RNNCellType type, const Tensor& input, const Tensor& h0_in, const Tensor& c0_in,
                         const RNNLayerWeights& w_in, const Tensor& lengths_in, bool reverse) {
  const int64_t H = check_layer(type, input, h0_in, c0_in, w_in, lengths_in);
  auto cont = [](const Tensor& t) { return t.defined() ? t.contiguous() : t; };
  // lengths: a private copy, saved for backward.
  const Tensor x = input.contiguous(), h0 = cont(h0_in), c0 = cont(c0_in),
               lengths = lengths_in.defined() ? lengths_in.clone() : lengths_in;
  const RNNLayerWeights w{cont(w_in.w_ih), cont(w_in.w_hh), cont(w_in.b_ih), cont(w_in.b_hh), cont(w_in.w_hr)};
  const int64_t T = x.size(0), B = x.size(1), I = x.size(2);
  const bool lstm = type == RNNCellType::kLSTM, proj = w.w_hr.defined();
  const int64_t P = proj ? w.w_hr.size(0) : 0, R = proj ? P : H;  // R: the width of h
  const kernels::RNNCellKind kind = kind_of(type);
  const DType dt = x.dtype();

  Tensor out = empty({T, B, R}, dt), hs = empty({T + 1, B, R}, dt), cs = lstm ? empty({T + 1, B, H}, dt) : Tensor();
  Tensor gates = empty({T, B, kernels::rnn_saved_width(kind, H)}, dt);
  const int64_t first = kernels::rnn_initial_slot(reverse, T), last = kernels::rnn_final_slot(reverse, T);
  auto init = [](Tensor slot, const Tensor& s) {
    NoGradGuard no_grad;  // data only: the node below carries the gradient of h0 and c0
    if (s.defined())
      slot.copy_(s);
    else
      slot.zero_();
  };
  init(hs[first], h0);
  if (lstm) init(cs[first], c0);
  dispatch_float(dt, [&]<class S>() {
    kernels::RNNLayerArgs<S> a{kind, T, B, I, H, reverse, x.data<S>(), w.w_ih.data<S>(), w.w_hh.data<S>(),
                               ptr<S>(w.b_ih), ptr<S>(w.b_hh), ptr<int64_t>(lengths), P, ptr<S>(w.w_hr)};
    kernels::rnn_layer_forward<S>(a, out.data<S>(), hs.data<S>(), lstm ? cs.data<S>() : nullptr, gates.data<S>());
  });
  TensorList outs{out, hs[last].clone()};
  if (lstm) outs.push_back(cs[last].clone());

  if (autograd::needs_grad(x, h0, c0, w.w_ih) || autograd::needs_grad(w.w_hh, w.b_ih, w.b_hh, w.w_hr)) {
    TensorList inputs{x, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh};
    if (proj) inputs.push_back(w.w_hr);
    autograd::record(
        op_name(type), outs, inputs,
        [type, kind, reverse, H, P, R, swr = save_optional(w.w_hr), sx = SavedTensor(x), sh0 = save_optional(h0),
         has_h0 = h0.defined(),
         sc0 = save_optional(c0), has_c0 = c0.defined(), swi = SavedTensor(w.w_ih), swh = SavedTensor(w.w_hh),
         sbi = save_optional(w.b_ih), sbh = save_optional(w.b_hh), bias = w.b_ih.defined(), len = lengths,
         shs = SavedTensor::output(hs), scs = save_output(cs), lstm,
         sg = SavedTensor::output(gates)](const TensorList& g, GradMask m) -> TensorList {
          const Tensor& x = sx.get();
          const RNNLayerWeights w{swi.get(), swh.get(), get_optional(sbi, bias), get_optional(sbh, bias),
                                  get_optional(swr, P > 0)};
          const Tensor g_c = g.size() > 2 ? g[2] : Tensor();
          TensorList grads;
          if (is_grad_enabled()) {  // create_graph: the same gradient in differentiable ops
            grads = differentiable_backward(type, x, get_optional(sh0, has_h0), get_optional(sc0, has_c0), w, len,
                                            reverse, H, g[0], g[1], g_c);
          } else {
            const int64_t T = x.size(0), B = x.size(1), I = x.size(2);
            auto cont = [](const Tensor& t) { return t.defined() ? t.contiguous() : t; };
            const Tensor go = cont(g[0]), gh = cont(g[1]), gc = cont(g_c);
            grads = {empty(x.shape(), x.dtype()), empty({B, R}, x.dtype()),
                     lstm ? empty({B, H}, x.dtype()) : Tensor(), empty(w.w_ih.shape(), x.dtype()),
                     empty(w.w_hh.shape(), x.dtype()), bias ? empty(w.b_ih.shape(), x.dtype()) : Tensor(),
                     bias ? empty(w.b_hh.shape(), x.dtype()) : Tensor()};
            if (P > 0) grads.push_back(empty(w.w_hr.shape(), x.dtype()));
            dispatch_float(x.dtype(), [&]<class S>() {
              kernels::RNNLayerArgs<S> a{kind, T, B, I, H, reverse, x.data<S>(), w.w_ih.data<S>(), w.w_hh.data<S>(),
                                         ptr<S>(w.b_ih), ptr<S>(w.b_hh), ptr<int64_t>(len), P, ptr<S>(w.w_hr)};
              kernels::rnn_layer_backward<S>(a, ptr<S>(go), ptr<S>(gh), ptr<S>(gc), shs.get().data<S>(),
                                             ptr<S>(get_optional(scs, lstm)), sg.get().data<S>(), grads[0].data<S>(),
                                             grads[1].data<S>(), ptr<S>(grads[2]), grads[3].data<S>(),
                                             grads[4].data<S>(), ptr<S>(grads[5]), ptr<S>(grads[6]),
                                             P > 0 ? grads[7].data<S>() : nullptr);
            });
          }
          for (size_t i = 0; i < grads.size(); ++i)
            if (!m[i]) grads[i] = Tensor();
          return grads;
        });
  }
  return {outs[0], outs[1], lstm ? outs[2] : Tensor()};
}

RNNLayerOutput rnn_layer_composed(RNNCellType type, const Tensor& input, const Tensor& h0, const Tensor& c0,
                                  const RNNLayerWeights& w, const Tensor& lengths, bool reverse) {
  const int64_t H = check_layer(type, input, h0, c0, w, lengths);
  return composed_forward(type, input, h0, c0, w, lengths, reverse, H, nullptr);
}

namespace {
// A cell is a one-step layer: [B, I] -> [1, B, I].
RNNLayerOutput one_step(RNNCellType type, const Tensor& input, const Tensor& hx, const Tensor& cx,
                        const RNNLayerWeights& w) {
  SOMA_CHECK(input.dim() == 2, "{}_cell: expected an input [B, I] of 2 dims, got shape {}", op_name(type),
             input.shape());
  return rnn_layer(type, input.unsqueeze(0), hx, cx, w);
}
}  // namespace

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& w) {
  return one_step(RNNCellType::kRNNTanh, input, hx, {}, w).h;
}
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& w) {
  return one_step(RNNCellType::kRNNRelu, input, hx, {}, w).h;
}
std::pair<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const RNNLayerWeights& w) {
  RNNLayerOutput r = one_step(RNNCellType::kLSTM, input, hx, cx, w);
  return {r.h, r.c};
}
Tensor gru_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& w) {
  return one_step(RNNCellType::kGRU, input, hx, {}, w).h;
}

}  // namespace functional

// ---- modules -----------------------------------------------------------------------------------

namespace {
void init_uniform(const TensorList& params, int64_t hidden) {
  NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  for (Tensor p : params) init::uniform_(p, -bound, bound);
}
}  // namespace

RNNBase::RNNBase(std::string type_name, functional::RNNCellType type, int64_t input, int64_t hidden,
                 RNNOptions opts)
    : Module(std::move(type_name)), input_size(input), hidden_size(hidden), options(std::move(opts)), type_(type) {
  SOMA_CHECK(input > 0 && hidden > 0, "{}: input_size and hidden_size must be positive, got {} and {}", this->type_name(),
             input, hidden);
  SOMA_CHECK(options.num_layers >= 1, "{}: num_layers must be at least 1, got {}", this->type_name(),
             options.num_layers);
  SOMA_CHECK(options.dropout >= 0 && options.dropout <= 1, "{}: dropout must be in [0, 1], got {}", this->type_name(),
             options.dropout);
  SOMA_CHECK(options.proj_size == 0 || type == functional::RNNCellType::kLSTM,
             "{}: proj_size is only supported for LSTM, got proj_size={}", this->type_name(), options.proj_size);
  SOMA_CHECK(options.proj_size >= 0 && options.proj_size < hidden,
             "{}: proj_size must be in [0, hidden_size) = [0, {}) (0: no projections), got {}", this->type_name(),
             hidden, options.proj_size);
  const int64_t G = kernels::rnn_gate_count(functional::kind_of(type)), dirs = options.bidirectional ? 2 : 1;
  const int64_t state_width = options.proj_size > 0 ? options.proj_size : hidden;
  for (int64_t l = 0; l < options.num_layers; ++l)
    for (int64_t d = 0; d < dirs; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      const int64_t in = l == 0 ? input : state_width * dirs;
      functional::RNNLayerWeights w;
      w.w_ih = register_parameter("weight_ih" + sfx, empty({G * hidden, in}, options.dtype));
      w.w_hh = register_parameter("weight_hh" + sfx, empty({G * hidden, state_width}, options.dtype));
      if (options.bias) {
        w.b_ih = register_parameter("bias_ih" + sfx, empty({G * hidden}, options.dtype));
        w.b_hh = register_parameter("bias_hh" + sfx, empty({G * hidden}, options.dtype));
      }
      if (options.proj_size > 0)
        w.w_hr = register_parameter("weight_hr" + sfx, empty({options.proj_size, hidden}, options.dtype));
      weights_.push_back(w);
    }
  reset_parameters();
}

void RNNBase::reset_parameters() { init_uniform(parameters(false), hidden_size); }

functional::RNNLayerWeights RNNBase::layer_weights(int64_t layer, int64_t direction) const {
  const int64_t dirs = options.bidirectional ? 2 : 1;
  SOMA_CHECK(layer >= 0 && layer < options.num_layers && direction >= 0 && direction < dirs,
             "{}: no layer {} direction {} ({} layers, {} directions)", type_name(), layer, direction,
             options.num_layers, dirs);
  return weights_[layer * dirs + direction];
}

RNNResult RNNBase::forward(const Tensor& input, const RNNState& state, const Tensor& lengths) {
  const char* name = type_name().c_str();
  SOMA_CHECK(input.dim() == 3, "{}: expected an input of 3 dims ({}), got shape {}", name,
             options.batch_first ? "[B, T, I]" : "[T, B, I]", input.shape());
  SOMA_CHECK(input.size(2) == input_size, "{}: input of shape {} does not match input_size {}", name, input.shape(),
             input_size);
  const bool lstm = type_ == functional::RNNCellType::kLSTM;
  const int64_t dirs = options.bidirectional ? 2 : 1, L = options.num_layers;
  Tensor x = options.batch_first ? input.transpose(0, 1) : input;
  const int64_t B = x.size(1), H = hidden_size, R = options.proj_size > 0 ? options.proj_size : H;
  SOMA_CHECK(lstm || !state.c.defined(), "{}: a cell state c0 is only for LSTM", name);
  for (const auto& [s, sname, width, wname] : {std::tuple{state.h, "h0", R, options.proj_size > 0 ? "proj_size" : "hidden"},
                                               std::tuple{state.c, "c0", H, "hidden"}}) {
    if (!s.defined()) continue;
    SOMA_CHECK(s.dim() == 3 && s.size(0) == L * dirs && s.size(1) == B && s.size(2) == width,
               "{}: {} of shape {} does not match [{}, {}, {}] (layers * directions, batch, {})", name, sname,
               s.shape(), L * dirs, B, width, wname);
  }
  TensorList hn, cn;
  for (int64_t l = 0; l < L; ++l) {
    TensorList outs;
    for (int64_t d = 0; d < dirs; ++d) {
      const int64_t k = l * dirs + d;
      Tensor h0 = state.h.defined() ? state.h[k] : Tensor(), c0 = lstm && state.c.defined() ? state.c[k] : Tensor();
      functional::RNNLayerOutput r = functional::rnn_layer(type_, x, h0, c0, weights_[k], lengths, d == 1);
      outs.push_back(r.output);
      hn.push_back(r.h);
      if (lstm) cn.push_back(r.c);
    }
    x = dirs == 1 ? outs[0] : cat(outs, 2);
    if (l + 1 < L && options.dropout > 0 && is_training()) x = functional::dropout(x, options.dropout, true);
  }
  RNNResult result{options.batch_first ? x.transpose(0, 1) : x, {stack(hn), lstm ? stack(cn) : Tensor()}};
  return result;
}

std::string RNNBase::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (options.num_layers != 1) s += fmt::format(", num_layers={}", options.num_layers);
  if (type_ == functional::RNNCellType::kRNNRelu) s += ", nonlinearity=relu";
  if (!options.bias) s += ", bias=false";
  if (options.batch_first) s += ", batch_first=true";
  if (options.dropout != 0) s += fmt::format(", dropout={}", options.dropout);
  if (options.bidirectional) s += ", bidirectional=true";
  if (options.proj_size != 0) s += fmt::format(", proj_size={}", options.proj_size);
  return s;
}

namespace {
functional::RNNCellType rnn_type(const std::string& nonlinearity, const char* op) {
  SOMA_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", "{}: nonlinearity must be \"tanh\" or \"relu\", got \"{}\"",
             op, nonlinearity);
  return nonlinearity == "tanh" ? functional::RNNCellType::kRNNTanh : functional::RNNCellType::kRNNRelu;
}
}  // namespace

RNN::RNN(int64_t input, int64_t hidden, RNNOptions options)
    : RNNBase("RNN", rnn_type(options.nonlinearity, "RNN"), input, hidden, options) {}
LSTM::LSTM(int64_t input, int64_t hidden, RNNOptions options)
    : RNNBase("LSTM", functional::RNNCellType::kLSTM, input, hidden, options) {}
GRU::GRU(int64_t input, int64_t hidden, RNNOptions options)
    : RNNBase("GRU", functional::RNNCellType::kGRU, input, hidden, options) {}

// ---- cells -------------------------------------------------------------------------------------

RNNCellBase::RNNCellBase(std::string type_name, int64_t gates, int64_t input, int64_t hidden, RNNCellOptions options)
    : Module(std::move(type_name)), input_size(input), hidden_size(hidden) {
  SOMA_CHECK(input > 0 && hidden > 0, "{}: input_size and hidden_size must be positive, got {} and {}",
             this->type_name(), input, hidden);
  weight_ih = register_parameter("weight_ih", empty({gates * hidden, input}, options.dtype));
  weight_hh = register_parameter("weight_hh", empty({gates * hidden, hidden}, options.dtype));
  if (options.bias) {
    bias_ih = register_parameter("bias_ih", empty({gates * hidden}, options.dtype));
    bias_hh = register_parameter("bias_hh", empty({gates * hidden}, options.dtype));
  }
  reset_parameters();
}

void RNNCellBase::reset_parameters() { init_uniform(parameters(false), hidden_size); }

std::string RNNCellBase::extra_repr() const {
  return fmt::format("{}, {}{}", input_size, hidden_size, bias_ih.defined() ? "" : ", bias=false");
}

RNNCell::RNNCell(int64_t input, int64_t hidden, RNNCellOptions options)
    : RNNCellBase("RNNCell", 1, input, hidden, options), nonlinearity(options.nonlinearity) {
  rnn_type(nonlinearity, "RNNCell");
}
Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  return nonlinearity == "tanh" ? functional::rnn_tanh_cell(input, hx, weights())
                                : functional::rnn_relu_cell(input, hx, weights());
}

LSTMCell::LSTMCell(int64_t input, int64_t hidden, RNNCellOptions options)
    : RNNCellBase("LSTMCell", 4, input, hidden, options) {}
std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const Tensor& hx, const Tensor& cx) {
  return functional::lstm_cell(input, hx, cx, weights());
}

GRUCell::GRUCell(int64_t input, int64_t hidden, RNNCellOptions options)
    : RNNCellBase("GRUCell", 3, input, hidden, options) {}
Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) { return functional::gru_cell(input, hx, weights()); }

}  // namespace nn
