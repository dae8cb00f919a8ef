/*
 * The first level of the sums BatchNorm's gradient needs, for x [views, n, c]
 * with dy of its output, x̂ = (x − mean) · inv recomputed as the forward made
 * it and d = dy · γ:
 *   over all views·n rows:  Σ dy and Σ dy·x̂  (→ dβ, dγ),
 *   over each view's n rows: Σ d and Σ d·x̂   (→ the mean terms of dx),
 * where relu = 1 (a ReLU followed the BatchNorm) dy is first multiplied by
 * tfjs's step of the output y = x̂·γ + β, recomputed (1 where y > 0, 0 where
 * y ≤ 0, NaN where NaN), as tfjs's ReLU gradient does; each as sumRows (src/nodes/nn/layers.ts) makes it with tfjs's batched
 * products by rows of ones: blocks of `block` consecutive rows, each summed
 * in runs of 48 (a float32 running sum per run, added to the block's total,
 * then + 0: batch_matmul_blocked.c's rounding), or, where tfjs's product has
 * a batch of one (XNNPACK's GEMM), one running sum from 0. This writes one
 * partial per block, all [all_blocks][2][c] and per_view [views][view_blocks][2][c];
 * batch_norm_grad_finish.c adds them up. Same additions in the same order as
 * the composite, so bit-identical to it.
 *
 * Threads share a call by (block, 64 channels) tasks: this call does the
 * tasks t with t % parts == part.
 */
#include <wasm_simd128.h>

#define RUN 48
#define GROUP 64

/* dy times tfjs's step of y: 1 where y > 0, 0 where y ≤ 0, y (NaN) otherwise. */
static v128_t relu_grad(v128_t dy, v128_t y) {
  const v128_t zero = wasm_f32x4_splat(0.f), one = wasm_f32x4_splat(1.f);
  const v128_t step = wasm_v128_bitselect(one, wasm_v128_bitselect(zero, y, wasm_f32x4_le(y, zero)), wasm_f32x4_gt(y, zero));
  return wasm_f32x4_mul(dy, step);
}

static float relu_grad1(float dy, float y) { return dy * (y > 0.f ? 1.f : y <= 0.f ? 0.f : y); }

/* Σ over rows [r0, r1) of p and p·x̂ for 4 channels, where p = dy or dy·γ (use_gamma), dy through the ReLU's gradient first (relu). */
static void sum4(const float *dy, const float *x, const float *mean, const float *inv, const float *gamma, const float *beta, int use_gamma, int relu,
                 int n, int c, int j, int r0, int r1, int runs, float *out) {
  const v128_t zero = wasm_f32x4_splat(0.f), g = wasm_v128_load(gamma + j), be = wasm_v128_load(beta + j);
  v128_t total_p = zero, total_px = zero;
  int v = r0 / n, next = (v + 1) * n;
  v128_t m = wasm_v128_load(mean + v * c + j), iv = wasm_v128_load(inv + v * c + j);
  for (int k0 = r0; k0 < r1;) {
    const int k1 = runs ? (k0 + RUN < r1 ? k0 + RUN : r1) : r1;
    v128_t sp = zero, spx = zero;
    for (int i = k0; i < k1; i++) {
      if (i == next) {
        v++, next += n;
        m = wasm_v128_load(mean + v * c + j), iv = wasm_v128_load(inv + v * c + j);
      }
      const v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i * c + j), m), iv);
      const v128_t d0 = wasm_v128_load(dy + i * c + j);
      const v128_t d = relu ? relu_grad(d0, wasm_f32x4_add(wasm_f32x4_mul(xhat, g), be)) : d0;
      const v128_t p = use_gamma ? wasm_f32x4_mul(d, g) : d;
      sp = wasm_f32x4_add(sp, p);
      spx = wasm_f32x4_add(spx, wasm_f32x4_mul(p, xhat));
    }
    if (runs) {
      total_p = wasm_f32x4_add(wasm_f32x4_add(total_p, sp), zero);
      total_px = wasm_f32x4_add(wasm_f32x4_add(total_px, spx), zero);
    } else {
      total_p = sp, total_px = spx;
    }
    k0 = k1;
  }
  wasm_v128_store(out, total_p);
  wasm_v128_store(out + c, total_px);
}

/* The same for one channel. */
static void sum1(const float *dy, const float *x, const float *mean, const float *inv, const float *gamma, const float *beta, int use_gamma, int relu,
                 int n, int c, int j, int r0, int r1, int runs, float *out) {
  const float g = gamma[j];
  float total_p = 0.f, total_px = 0.f;
  for (int k0 = r0; k0 < r1;) {
    const int k1 = runs ? (k0 + RUN < r1 ? k0 + RUN : r1) : r1;
    float sp = 0.f, spx = 0.f;
    for (int i = k0; i < k1; i++) {
      const int v = i / n;
      const float xhat = (x[i * c + j] - mean[v * c + j]) * inv[v * c + j];
      const float d = relu ? relu_grad1(dy[i * c + j], xhat * g + beta[j]) : dy[i * c + j];
      const float p = use_gamma ? d * g : d;
      sp += p;
      spx += p * xhat;
    }
    if (runs) {
      total_p = (total_p + sp) + 0.f;
      total_px = (total_px + spx) + 0.f;
    } else {
      total_p = sp, total_px = spx;
    }
    k0 = k1;
  }
  out[0] = total_p;
  out[c] = total_px;
}

void batch_norm_grad_sums(const float *dy, const float *x, const float *mean, const float *inv, const float *gamma, const float *beta,
                          float *all, float *per_view, int views, int n, int c, int relu,
                          int all_block, int all_blocks, int all_runs, int view_block, int view_blocks, int view_runs,
                          int part, int parts) {
  const int groups = (c + GROUP - 1) / GROUP, tasks = (all_blocks + views * view_blocks) * groups;
  for (int t = part; t < tasks; t += parts) {
    const int b = t / groups, j0 = t % groups * GROUP, j1 = j0 + GROUP < c ? j0 + GROUP : c;
    const int j4 = j1 - (j1 - j0) % 4;
    int r0, r1, runs, use_gamma;
    float *out;
    if (b < all_blocks) {
      r0 = b * all_block, r1 = r0 + all_block, runs = all_runs, use_gamma = 0, out = all + b * 2 * c;
    } else {
      const int v = (b - all_blocks) / view_blocks, k = (b - all_blocks) % view_blocks;
      r0 = v * n + k * view_block, r1 = r0 + view_block, runs = view_runs, use_gamma = 1, out = per_view + (v * view_blocks + k) * 2 * c;
    }
    for (int j = j0; j < j4; j += 4) sum4(dy, x, mean, inv, gamma, beta, use_gamma, relu, n, c, j, r0, r1, runs, out + j);
    for (int j = j4; j < j1; j++) sum1(dy, x, mean, inv, gamma, beta, use_gamma, relu, n, c, j, r0, r1, runs, out + j);
  }
}
