/*
 * The second level of BatchNorm's gradient sums (batch_norm_grad_sums.c):
 * adds each family's block partials up as sumRows's second product does — in
 * runs of 48 (+ 0 after each) where that product is batched (views > 1), one
 * running sum from 0 where it is not — or takes the one partial as it is
 * where sumRows made a single product. Writes dβ [c] and dγ [c] (over all
 * rows) and view_sums [views][2][c] (Σ dy·γ, Σ dy·γ·x̂ per view).
 * Threads share a call by (family or view, 4 channels) tasks: this call does
 * the tasks t with t % parts == part.
 */
#include <wasm_simd128.h>

#define RUN 48

/* Σ of `count` partials spaced `stride` floats apart, 4 channels. */
static v128_t add_up(const float *p, int count, int stride, int runs) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  if (count == 1) return wasm_v128_load(p);
  v128_t total = zero;
  for (int k0 = 0; k0 < count;) {
    const int k1 = runs ? (k0 + RUN < count ? k0 + RUN : count) : count;
    v128_t s = zero;
    for (int k = k0; k < k1; k++) s = wasm_f32x4_add(s, wasm_v128_load(p + k * stride));
    total = runs ? wasm_f32x4_add(wasm_f32x4_add(total, s), zero) : s;
    k0 = k1;
  }
  return total;
}

static float add_up1(const float *p, int count, int stride, int runs) {
  if (count == 1) return p[0];
  float total = 0.f;
  for (int k0 = 0; k0 < count;) {
    const int k1 = runs ? (k0 + RUN < count ? k0 + RUN : count) : count;
    float s = 0.f;
    for (int k = k0; k < k1; k++) s += p[k * stride];
    total = runs ? (total + s) + 0.f : s;
    k0 = k1;
  }
  return total;
}

void batch_norm_grad_finish(const float *all, const float *per_view, float *d_beta, float *d_gamma, float *view_sums,
                            int views, int c, int all_blocks, int all_runs, int view_blocks, int view_runs, int part, int parts) {
  const int chunks = (c + 3) / 4, c4 = c - c % 4;
  for (int t = part; t < (1 + views) * 2 * chunks; t += parts) {
    const int family = t / (2 * chunks), quantity = t / chunks % 2, j = t % chunks * 4;
    const float *p = family == 0 ? all + quantity * c : per_view + ((family - 1) * view_blocks * 2 + quantity) * c;
    float *out = family == 0 ? (quantity == 0 ? d_beta : d_gamma) : view_sums + ((family - 1) * 2 + quantity) * c;
    const int count = family == 0 ? all_blocks : view_blocks, runs = family == 0 ? all_runs : view_runs;
    if (j < c4) {
      wasm_v128_store(out + j, add_up(p + j, count, 2 * c, runs));
    } else {
      for (int k = j; k < c; k++) out[k] = add_up1(p + k, count, 2 * c, runs);
    }
  }
}
