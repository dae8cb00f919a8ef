/*
 * BatchNorm's input gradient, dx = inv · ((d − Σd / n) − x̂ · (Σd·x̂ / n))
 * with d = dy · γ and x̂ = (x − mean) · inv recomputed as the forward made
 * it, the sums per view from batch_norm_grad_finish.c: the composite's
 * multiplications, divisions and subtractions in its order, so bit-identical
 * to it, in one pass; relu = 1: dy through tfjs's ReLU gradient first, as in
 * batch_norm_grad_sums.c. Threads share a call by (view, rows_per_task rows)
 * tasks: this call does the tasks t with t % parts == part.
 */
#include <wasm_simd128.h>

/* dy times tfjs's step of y: 1 where y > 0, 0 where y ≤ 0, y (NaN) otherwise. */
static v128_t relu_grad(v128_t dy, v128_t y) {
  const v128_t zero = wasm_f32x4_splat(0.f), one = wasm_f32x4_splat(1.f);
  const v128_t step = wasm_v128_bitselect(one, wasm_v128_bitselect(zero, y, wasm_f32x4_le(y, zero)), wasm_f32x4_gt(y, zero));
  return wasm_f32x4_mul(dy, step);
}

void batch_norm_grad_input(const float *dy, const float *x, const float *mean, const float *inv, const float *gamma, const float *beta,
                           const float *view_sums, float *dx, int views, int n, int c, int relu, int rows_per_task, int part, int parts) {
  const int chunks = (n + rows_per_task - 1) / rows_per_task, c4 = c - c % 4;
  const float count = (float)n;
  for (int t = part; t < views * chunks; t += parts) {
    const int v = t / chunks, r0 = t % chunks * rows_per_task, r1 = r0 + rows_per_task < n ? r0 + rows_per_task : n;
    const float *m = mean + v * c, *iv = inv + v * c, *sd = view_sums + v * 2 * c, *sdx = sd + c;
    const int first = (v * n + r0) * c;
    for (int j = 0; j < c4; j += 4) {
      const v128_t mj = wasm_v128_load(m + j), ij = wasm_v128_load(iv + j), gj = wasm_v128_load(gamma + j), bj = wasm_v128_load(beta + j);
      const v128_t mean_d = wasm_f32x4_div(wasm_v128_load(sd + j), wasm_f32x4_splat(count));
      const v128_t mean_dx = wasm_f32x4_div(wasm_v128_load(sdx + j), wasm_f32x4_splat(count));
      for (int i = r0, at = first + j; i < r1; i++, at += c) {
        const v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + at), mj), ij);
        const v128_t d0 = wasm_v128_load(dy + at);
        const v128_t d = wasm_f32x4_mul(relu ? relu_grad(d0, wasm_f32x4_add(wasm_f32x4_mul(xhat, gj), bj)) : d0, gj);
        wasm_v128_store(dx + at, wasm_f32x4_mul(ij, wasm_f32x4_sub(wasm_f32x4_sub(d, mean_d), wasm_f32x4_mul(xhat, mean_dx))));
      }
    }
    for (int j = c4; j < c; j++) {
      const float mean_d = sd[j] / count, mean_dx = sdx[j] / count;
      for (int i = r0, at = first + j; i < r1; i++, at += c) {
        const float xhat = (x[at] - m[j]) * iv[j];
        const float y = xhat * gamma[j] + beta[j];
        const float d = relu ? dy[at] * (y > 0.f ? 1.f : y <= 0.f ? 0.f : y) : dy[at];
        dx[at] = iv[j] * ((d * gamma[j] - mean_d) - xhat * mean_dx);
      }
    }
  }
}
