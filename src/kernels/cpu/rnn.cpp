#include "kernels/cpu/rnn.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "kernels/cpu/parallel_for.h"
#include "kernels/cpu/vecmath.h"

namespace soma::kernels {

int64_t rnn_gate_count(RNNCellKind kind) {
  return kind == RNNCellKind::kLSTM ? 4 : kind == RNNCellKind::kGRU ? 3 : 1;
}
int64_t rnn_saved_width(RNNCellKind kind, int64_t H) {
  return kind == RNNCellKind::kGRU ? 4 * H : rnn_gate_count(kind) * H;
}

namespace {

// Row-major C[n, m] = beta C + A[n, k] B[k, m], A and B optionally transposed.
void blas(bool ta, bool tb, int64_t n, int64_t m, int64_t k, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, n, m, k, 1.0f, a, lda,
              b, ldb, beta, c, ldc);
}
void blas(bool ta, bool tb, int64_t n, int64_t m, int64_t k, const double* a, int64_t lda, const double* b,
          int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, n, m, k, 1.0, a, lda,
              b, ldb, beta, c, ldc);
}

// ---- the recurrent product with W_hh packed once per layer call ------------------------------------
// Each step multiplies the B rows of the state by the same weight; BLAS would repack the weight
// on every one of the T calls. Here it is packed once into panels of kLanes output columns
// ([K][kLanes] contiguous, zero-padded), and a register-blocked kernel computes MR rows by two
// panels at a time. Panels are split over threads (each output element has one owner).
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
constexpr int64_t kLanes = 64 / sizeof(T);

template <class T>
class PackedProduct {
 public:
  // The right operand B [k, n] with element (i, j) at b[i * rs + j * cs].
  PackedProduct(const T* b, int64_t k, int64_t n, int64_t rs, int64_t cs)
      : k_(k), n_(n), panels_((n + kLanes<T> - 1) / kLanes<T>), data_(panels_ * k) {
    for (int64_t p = 0; p < panels_; ++p)
      for (int64_t i = 0; i < k; ++i) {
        Vec<T> v = {};
        for (int64_t l = 0; l < kLanes<T> && p * kLanes<T> + l < n; ++l) v[l] = b[i * rs + (p * kLanes<T> + l) * cs];
        data_[p * k + i] = v;
      }
  }

  // c[m, n] += a[m, k] · B (a and c row-major with leading dims lda, ldc).
  void apply(const T* a, int64_t lda, int64_t m, T* c, int64_t ldc) const {
    const int64_t pairs = (panels_ + 1) / 2;
    parallel_for(pairs, m * k_ * 2 * kLanes<T>, [&](int64_t p0, int64_t p1) {
      for (int64_t pp = p0; pp < p1; ++pp) {
        const int64_t p = 2 * pp;
        for (int64_t r = 0; r < m; r += kRows) {
          const int64_t rows = std::min(kRows, m - r);
          if (p + 1 < panels_)
            block<2>(a + r * lda, lda, rows, p, c + r * ldc, ldc);
          else
            block<1>(a + r * lda, lda, rows, p, c + r * ldc, ldc);
        }
      }
    });
  }

 private:
  static constexpr int64_t kRows = 6;  // 6 x 2 accumulators of 64 bytes fit AVX-512's registers

  template <int NR>
  void block(const T* a, int64_t lda, int64_t rows, int64_t p, T* c, int64_t ldc) const {
    switch (rows) {
      case 6: return micro<6, NR>(a, lda, p, c, ldc);
      case 5: return micro<5, NR>(a, lda, p, c, ldc);
      case 4: return micro<4, NR>(a, lda, p, c, ldc);
      case 3: return micro<3, NR>(a, lda, p, c, ldc);
      case 2: return micro<2, NR>(a, lda, p, c, ldc);
      default: return micro<1, NR>(a, lda, p, c, ldc);
    }
  }

  template <int MR, int NR>
  void micro(const T* a, int64_t lda, int64_t p, T* c, int64_t ldc) const {
    Vec<T> acc[MR][NR] = {};
    const Vec<T>* panel = data_.data() + p * k_;
    for (int64_t i = 0; i < k_; ++i) {
      Vec<T> b[NR];
      for (int q = 0; q < NR; ++q) b[q] = panel[q * k_ + i];
      for (int r = 0; r < MR; ++r) {
        const T av = a[r * lda + i];
        for (int q = 0; q < NR; ++q) acc[r][q] += av * b[q];
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int q = 0; q < NR; ++q) {
        const int64_t j0 = (p + q) * kLanes<T>, cols = std::min(kLanes<T>, n_ - j0);
        T* out = c + r * ldc + j0;
        if (cols == kLanes<T>) {
          Vec<T> v;
          std::memcpy(&v, out, sizeof v);
          v += acc[r][q];
          std::memcpy(out, &v, sizeof v);
        } else {
          for (int64_t l = 0; l < cols; ++l) out[l] += acc[r][q][l];
        }
      }
  }

  int64_t k_, n_, panels_;
  std::vector<Vec<T>> data_;
};

// The fast path: OpenBLAS, the packed recurrent product, vectorized float math, pointwise work split over
// batch rows.
struct Fast {
  template <class T>
  static void gemm(bool ta, bool tb, int64_t n, int64_t m, int64_t k, const T* a, int64_t lda, const T* b,
                   int64_t ldb, T beta, T* c, int64_t ldc) {
    blas(ta, tb, n, m, k, a, lda, b, ldb, beta, c, ldc);
  }
  template <class T>
  using Recurrent = PackedProduct<T>;
  static float sigmoid(float x) { return vec::sigmoid(x); }
  static float tanh(float x) { return vec::tanh(x); }
  static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
  static double tanh(double x) { return std::tanh(x); }
  template <class F>
  static void rows(int64_t batch, int64_t cost, F f) {
    parallel_for(batch, cost, f);
  }
};

// The reference: textbook loops, std:: math, one thread.
struct Reference {
  template <class T>
  static void gemm(bool ta, bool tb, int64_t n, int64_t m, int64_t k, const T* a, int64_t lda, const T* b,
                   int64_t ldb, T beta, T* c, int64_t ldc) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += double(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * ldc + j] = static_cast<T>(s + (beta == 0 ? 0.0 : double(beta) * c[i * ldc + j]));
      }
  }
  // c[m, n] += a[m, k] · B with B's element (i, j) at b[i * rs + j * cs].
  template <class T>
  struct Recurrent {
    const T* b;
    int64_t k, n, rs, cs;
    void apply(const T* a, int64_t lda, int64_t m, T* c, int64_t ldc) const {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double sum = c[i * ldc + j];
          for (int64_t p = 0; p < k; ++p) sum += double(a[i * lda + p]) * b[p * rs + j * cs];
          c[i * ldc + j] = static_cast<T>(sum);
        }
    }
  };
  template <class T>
  static T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }
  template <class T>
  static T tanh(T x) { return std::tanh(x); }
  template <class F>
  static void rows(int64_t batch, int64_t, F f) { f(int64_t{0}, batch); }
};

template <class T>
bool active(const RNNLayerArgs<T>& a, int64_t t, int64_t b) { return !a.lengths || t < a.lengths[b]; }

// ---- pointwise gate kernels: one batch row, vectors of length H ------------------------------------
// g: the row's pre-activations (input and recurrent parts summed), overwritten with what backward
// needs; for GRU gi holds W_i x + b_i and gh holds W_h h + b_h, and `saved` gets r, z, n, gh_n.

template <class P, class T>
void lstm_row(T* g, const T* __restrict cp, T* __restrict c, T* __restrict h, int64_t H) {
  T *__restrict gi = g, *__restrict gf = g + H, *__restrict gg = g + 2 * H, *__restrict go = g + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const T i = P::sigmoid(gi[j]), f = P::sigmoid(gf[j]), u = P::tanh(gg[j]), o = P::sigmoid(go[j]);
    const T cn = f * cp[j] + i * u;
    gi[j] = i, gf[j] = f, gg[j] = u, go[j] = o;
    c[j] = cn;
    h[j] = o * P::tanh(cn);
  }
}

template <class P, class T>
void gru_row(const T* __restrict gi, const T* __restrict gh, const T* __restrict hp, T* saved, T* __restrict h,
             int64_t H) {
  T *__restrict r_s = saved, *__restrict z_s = saved + H, *__restrict n_s = saved + 2 * H, *__restrict hn_s = saved + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const T r = P::sigmoid(gi[j] + gh[j]), z = P::sigmoid(gi[H + j] + gh[H + j]);
    const T hn = gh[2 * H + j];
    const T n = P::tanh(gi[2 * H + j] + r * hn);
    r_s[j] = r, z_s[j] = z, n_s[j] = n, hn_s[j] = hn;
    h[j] = (T(1) - z) * n + z * hp[j];
  }
}

template <class P, class T>
void simple_row(RNNCellKind kind, T* __restrict g, T* __restrict h, int64_t H) {
  if (kind == RNNCellKind::kTanh)
    for (int64_t j = 0; j < H; ++j) g[j] = P::tanh(g[j]);
  else
    for (int64_t j = 0; j < H; ++j) g[j] = g[j] > T(0) ? g[j] : T(0);
  std::memcpy(h, g, H * sizeof(T));
}

// Backward of one row. dh: gradient reaching the new h (carry + output); on return `carry` holds
// the part of dh_prev that does not go through W_hh, and dc the gradient of c_prev.
template <class P, class T>
void lstm_row_backward(const T* __restrict g, const T* __restrict cp, const T* __restrict c, const T* __restrict dh,
                       T* __restrict dc, T* __restrict dg, int64_t H) {
  const T *gi = g, *gf = g + H, *gg = g + 2 * H, *go = g + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const T i = gi[j], f = gf[j], u = gg[j], o = go[j];
    const T tc = P::tanh(c[j]);
    const T d = dh[j];
    const T dcn = dc[j] + d * o * (T(1) - tc * tc);
    dg[j] = dcn * u * i * (T(1) - i);
    dg[H + j] = dcn * cp[j] * f * (T(1) - f);
    dg[2 * H + j] = dcn * i * (T(1) - u * u);
    dg[3 * H + j] = d * tc * o * (T(1) - o);
    dc[j] = dcn * f;
  }
}

template <class T>
void gru_row_backward(const T* __restrict saved, const T* __restrict hp, const T* __restrict dh, T* __restrict dgi,
                      T* __restrict dgh, T* __restrict carry, int64_t H) {
  const T *rs = saved, *zs = saved + H, *ns = saved + 2 * H, *hns = saved + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const T r = rs[j], z = zs[j], n = ns[j], d = dh[j];
    const T dn = d * (T(1) - z) * (T(1) - n * n);
    const T dz = d * (hp[j] - n) * z * (T(1) - z);
    const T dr = dn * hns[j] * r * (T(1) - r);
    dgi[j] = dr, dgi[H + j] = dz, dgi[2 * H + j] = dn;
    dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
    carry[j] = d * z;
  }
}

template <class T>
void simple_row_backward(RNNCellKind kind, const T* __restrict h, const T* __restrict dh, T* __restrict dg,
                         T* __restrict carry, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    dg[j] = kind == RNNCellKind::kTanh ? dh[j] * (T(1) - h[j] * h[j]) : (h[j] > T(0) ? dh[j] : T(0));
    carry[j] = T(0);
  }
}

// Projections, one step: projected = full [B, H] x W_hrᵀ; the active rows become the new state
// and the output (the others were carried by the caller).
template <class T, class Rec>
void project_step(const RNNLayerArgs<T>& a, int64_t t, const Rec& w_hr_t, const T* full, T* projected, T* hn,
                  T* out) {
  const int64_t B = a.batch, R = a.proj;
  std::fill(projected, projected + B * R, T(0));
  w_hr_t.apply(full, a.hidden, B, projected, R);
  for (int64_t b = 0; b < B; ++b)
    if (active(a, t, b)) {
      std::memcpy(hn + b * R, projected + b * R, R * sizeof(T));
      std::memcpy(out + b * R, projected + b * R, R * sizeof(T));
    }
}

// Element cost of a pointwise row, for the parallel grain.
int64_t row_cost(int64_t H) { return 16 * H; }

template <class P, class T>
void forward_impl(const RNNLayerArgs<T>& a, T* out, T* hs, T* cs, T* gates) {
  const int64_t S = a.steps, B = a.batch, I = a.input_size, H = a.hidden;
  const int64_t G = rnn_gate_count(a.kind) * H, W = rnn_saved_width(a.kind, H);
  const bool gru = a.kind == RNNCellKind::kGRU, lstm = a.kind == RNNCellKind::kLSTM;
  // Input projection of every step at once: pre[s*B + b] = W_ih x + b_ih (+ b_hh except for GRU).
  // GRU keeps it apart from the saved gates (different widths); the others build in place.
  std::vector<T> gru_pre(gru ? S * B * G : 0), gh(gru ? B * G : 0);
  T* pre = gru ? gru_pre.data() : gates;
  for (int64_t r = 0; r < S * B; ++r)
    for (int64_t j = 0; j < G; ++j)
      pre[r * G + j] = (a.b_ih ? a.b_ih[j] : T(0)) + (!gru && a.b_hh ? a.b_hh[j] : T(0));
  P::gemm(false, true, S * B, G, I, a.x, I, a.w_ih, I, T(1), pre, G);

  // R: the width of h (P with projections); previous state slots relative to the new ones.
  const int64_t R = rnn_state_width(a), BH = B * H, BR = B * R;
  const int64_t prev_off = a.reverse ? BR : -BR, c_prev_off = a.reverse ? BH : -BH;
  const typename P::template Recurrent<T> w_hh_t(a.w_hh, R, G, 1, R);  // W_hhᵀ [R, G]
  // Projections: o * tanh(c) of each row goes to `full` [B, H], then `projected` = full W_hrᵀ.
  const bool proj = a.proj > 0;
  std::optional<typename P::template Recurrent<T>> w_hr_t;
  if (proj) w_hr_t.emplace(a.w_hr, H, R, 1, H);  // W_hrᵀ [H, P]
  std::vector<T> full(proj ? BH : 0, T(0)), projected(proj ? BR : 0);
  for (int64_t s = 0; s < S; ++s) {
    const int64_t t = a.reverse ? S - 1 - s : s;
    T* hn = hs + (a.reverse ? t : t + 1) * BR;
    const T* hp = hn + prev_off;
    T* cn = lstm ? cs + (a.reverse ? t : t + 1) * BH : nullptr;
    const T* cp = lstm ? cn + c_prev_off : nullptr;
    T* pt = pre + t * B * G;
    if (gru) {  // gh = W_hh h + b_hh
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < G; ++j) gh[b * G + j] = a.b_hh ? a.b_hh[j] : T(0);
      w_hh_t.apply(hp, R, B, gh.data(), G);
    } else {
      w_hh_t.apply(hp, R, B, pt, G);
    }
    P::rows(B, row_cost(H), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        T* o = out + (t * B + b) * R;
        T* h = proj ? full.data() + b * H : hn + b * H;
        if (!active(a, t, b)) {  // past this row's length: carry the state, output zero
          std::memcpy(hn + b * R, hp + b * R, R * sizeof(T));
          if (lstm) std::memcpy(cn + b * H, cp + b * H, H * sizeof(T));
          std::memset(o, 0, R * sizeof(T));
          std::memset(gates + (t * B + b) * W, 0, W * sizeof(T));
          continue;
        }
        if (lstm)
          lstm_row<P>(pt + b * G, cp + b * H, cn + b * H, h, H);
        else if (gru)
          gru_row<P>(pt + b * G, gh.data() + b * G, hp + b * H, gates + (t * B + b) * W, h, H);
        else
          simple_row<P>(a.kind, pt + b * G, h, H);
        if (!proj) std::memcpy(o, h, H * sizeof(T));
      }
    });
    if (proj) project_step(a, t, *w_hr_t, full.data(), projected.data(), hn, out + t * BR);
  }
}

// Projections, one step back: for the active rows, dproj = carry + grad_out (the gradient of h),
// full = o * tanh(c) (recomputed from the saved gates and c), and dh = dproj W_hr (the gradient
// of o * tanh(c)); inactive rows keep zeros in dproj and full.
template <class P, class T, class Rec>
void unproject_step(const RNNLayerArgs<T>& a, int64_t t, const T* grad_out, const Rec& w_hr, const T* gates,
                    const T* cn, const T* carry, T* dproj, T* dh, T* full) {
  const int64_t B = a.batch, H = a.hidden, R = a.proj, W = rnn_saved_width(a.kind, H);
  for (int64_t b = 0; b < B; ++b) {
    if (!active(a, t, b)) continue;
    const T* go = grad_out ? grad_out + (t * B + b) * R : nullptr;
    for (int64_t j = 0; j < R; ++j) dproj[b * R + j] = carry[b * R + j] + (go ? go[j] : T(0));
    const T* o = gates + (t * B + b) * W + 3 * H;
    for (int64_t j = 0; j < H; ++j) full[b * H + j] = o[j] * P::tanh(cn[b * H + j]);
  }
  std::fill(dh, dh + B * H, T(0));
  w_hr.apply(dproj, R, B, dh, H);
}

template <class P, class T>
void backward_impl(const RNNLayerArgs<T>& a, const T* grad_out, const T* grad_h, const T* grad_c, const T* hs,
                   const T* cs, const T* gates, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                   T* dw_hr) {
  const int64_t S = a.steps, B = a.batch, I = a.input_size, H = a.hidden;
  const int64_t G = rnn_gate_count(a.kind) * H, W = rnn_saved_width(a.kind, H), BH = B * H;
  const int64_t R = rnn_state_width(a), BR = B * R;  // the width of h (P with projections)
  const bool gru = a.kind == RNNCellKind::kGRU, lstm = a.kind == RNNCellKind::kLSTM, proj = a.proj > 0;
  // dG: gradients of the input-side pre-activations of every step; GRU also needs the recurrent
  // side apart (its n gate sees r * (W_hn h + b_hn)).
  std::vector<T> dgi(S * B * G, T(0)), dgh_store(gru ? S * B * G : 0, T(0));
  T* dgh = gru ? dgh_store.data() : dgi.data();
  // carry: gradient reaching h_prev [B, R]; dc: gradient reaching c_prev; dh: the step's total
  // gradient of the cell's o * tanh(c) (with projections W_hrᵀ times that of h).
  std::vector<T> carry(BR, T(0)), dc(lstm ? BH : 0, T(0)), dh(BH, T(0));
  if (grad_h) std::memcpy(carry.data(), grad_h, BR * sizeof(T));
  if (lstm && grad_c) std::memcpy(dc.data(), grad_c, BH * sizeof(T));
  const int64_t prev_off = a.reverse ? BR : -BR, c_prev_off = a.reverse ? BH : -BH;
  const typename P::template Recurrent<T> w_hh(a.w_hh, G, R, R, 1);  // W_hh [G, R]
  // Projections: the gradients of h at every step [S*B, P] and the cell outputs o * tanh(c)
  // [S*B, H] (zero on inactive rows) give dW_hr in one product at the end.
  std::optional<typename P::template Recurrent<T>> w_hr;
  if (proj) w_hr.emplace(a.w_hr, R, H, H, 1);  // W_hr [P, H]
  std::vector<T> dproj(proj ? S * BR : 0, T(0)), full(proj ? S * BH : 0, T(0));

  for (int64_t s = S - 1; s >= 0; --s) {
    const int64_t t = a.reverse ? S - 1 - s : s;
    const T* hn = hs + (a.reverse ? t : t + 1) * BR;
    const T* hp = hn + prev_off;
    const T* cn = lstm ? cs + (a.reverse ? t : t + 1) * BH : nullptr;
    const T* cp = lstm ? cn + c_prev_off : nullptr;
    if (proj) unproject_step<P>(a, t, grad_out, *w_hr, gates, cn, carry.data(), dproj.data() + t * BR, dh.data(),
                                full.data() + t * BH);
    P::rows(B, row_cost(H), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        if (!active(a, t, b)) continue;  // state carried: dG stays zero, carry and dc pass through
        T* d = dh.data() + b * H;
        if (!proj) {
          const T* go = grad_out ? grad_out + (t * B + b) * H : nullptr;
          for (int64_t j = 0; j < H; ++j) d[j] = carry[b * H + j] + (go ? go[j] : T(0));
        }
        const T* g = gates + (t * B + b) * W;
        T* dgi_row = dgi.data() + (t * B + b) * G;
        if (lstm) {
          lstm_row_backward<P>(g, cp + b * H, cn + b * H, d, dc.data() + b * H, dgi_row, H);
          std::memset(carry.data() + b * R, 0, R * sizeof(T));
        } else if (gru)
          gru_row_backward(g, hp + b * H, d, dgi_row, dgh + (t * B + b) * G, carry.data() + b * H, H);
        else
          simple_row_backward(a.kind, g, d, dgi_row, carry.data() + b * H, H);
      }
    });
    w_hh.apply(dgh + t * B * G, G, B, carry.data(), R);
  }
  std::memcpy(dh0, carry.data(), BR * sizeof(T));
  if (lstm) std::memcpy(dc0, dc.data(), BH * sizeof(T));
  const T* hprev = hs + rnn_prev_states_slot(a.reverse) * BR;  // [S*B, R], aligned with dG rows
  P::gemm(true, false, G, I, S * B, dgi.data(), G, a.x, I, T(0), dw_ih, I);
  P::gemm(false, false, S * B, I, G, dgi.data(), G, a.w_ih, I, T(0), dx, I);
  P::gemm(true, false, G, R, S * B, dgh, G, hprev, R, T(0), dw_hh, R);
  if (proj) P::gemm(true, false, R, H, S * B, dproj.data(), R, full.data(), H, T(0), dw_hr, H);
  // Bias gradients: column sums, as products with a vector of ones.
  const std::vector<T> ones(S * B, T(1));
  if (db_ih) P::gemm(true, false, G, 1, S * B, dgi.data(), G, ones.data(), 1, T(0), db_ih, 1);
  if (db_hh) P::gemm(true, false, G, 1, S * B, dgh, G, ones.data(), 1, T(0), db_hh, 1);
}

}  // namespace

template <class T>
void rnn_layer_forward(const RNNLayerArgs<T>& a, T* out, T* hs, T* cs, T* gates) {
  forward_impl<Fast>(a, out, hs, cs, gates);
}
template <class T>
void rnn_layer_forward_reference(const RNNLayerArgs<T>& a, T* out, T* hs, T* cs, T* gates) {
  forward_impl<Reference>(a, out, hs, cs, gates);
}
template <class T>
void rnn_layer_backward(const RNNLayerArgs<T>& a, const T* grad_out, const T* grad_h, const T* grad_c, const T* hs,
                        const T* cs, const T* gates, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                        T* dw_hr) {
  backward_impl<Fast>(a, grad_out, grad_h, grad_c, hs, cs, gates, dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr);
}
template <class T>
void rnn_layer_backward_reference(const RNNLayerArgs<T>& a, const T* grad_out, const T* grad_h, const T* grad_c,
                                  const T* hs, const T* cs, const T* gates, T* dx, T* dh0, T* dc0, T* dw_ih,
                                  T* dw_hh, T* db_ih, T* db_hh, T* dw_hr) {
  backward_impl<Reference>(a, grad_out, grad_h, grad_c, hs, cs, gates, dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh,
                           dw_hr);
}

#define SOMA_RNN_INSTANTIATE(T)                                                                                  \
  template void rnn_layer_forward<T>(const RNNLayerArgs<T>&, T*, T*, T*, T*);                                    \
  template void rnn_layer_forward_reference<T>(const RNNLayerArgs<T>&, T*, T*, T*, T*);                          \
  template void rnn_layer_backward<T>(const RNNLayerArgs<T>&, const T*, const T*, const T*, const T*, const T*,  \
                                      const T*, T*, T*, T*, T*, T*, T*, T*, T*);                                  \
  template void rnn_layer_backward_reference<T>(const RNNLayerArgs<T>&, const T*, const T*, const T*, const T*,  \
                                                const T*, const T*, T*, T*, T*, T*, T*, T*, T*, T*);
SOMA_RNN_INSTANTIATE(float)
SOMA_RNN_INSTANTIATE(double)
#undef SOMA_RNN_INSTANTIATE

}  // namespace soma::kernels
