/*
 * BatchNorm's normalization and affine map, y = (x − mean) · inv · γ + β for
 * x [views, n, c] with mean and inv = 1/√(var + ε) per view and channel, γ
 * and β per channel: the very multiplications and additions of the
 * composite (x − mean) · inv, then · γ, then + β, in one pass instead of
 * four; relu = 1 then applies tfjs's ReLU (y ≤ 0, −0 included, gives +0; NaN
 * stays NaN) in the same pass. Threads share a call by (view, rows_per_task rows) tasks: this call
 * does the tasks t with t % parts == part.
 */
#include <wasm_simd128.h>

void batch_norm_apply(const float *x, const float *mean, const float *inv, const float *gamma, const float *beta, float *y,
                      int views, int n, int c, int relu, int rows_per_task, int part, int parts) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  const int chunks = (n + rows_per_task - 1) / rows_per_task, c4 = c - c % 4;
  for (int t = part; t < views * chunks; t += parts) {
    const int v = t / chunks, r0 = t % chunks * rows_per_task, r1 = r0 + rows_per_task < n ? r0 + rows_per_task : n;
    const float *m = mean + v * c, *iv = inv + v * c;
    const int first = (v * n + r0) * c;
    for (int j = 0; j < c4; j += 4) {
      const v128_t mj = wasm_v128_load(m + j), ij = wasm_v128_load(iv + j), gj = wasm_v128_load(gamma + j), bj = wasm_v128_load(beta + j);
      for (int i = r0, at = first + j; i < r1; i++, at += c) {
        const v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + at), mj), ij);
        const v128_t out = wasm_f32x4_add(wasm_f32x4_mul(xhat, gj), bj);
        wasm_v128_store(y + at, relu ? wasm_v128_bitselect(zero, out, wasm_f32x4_le(out, zero)) : out);
      }
    }
    for (int j = c4; j < c; j++) {
      for (int i = r0, at = first + j; i < r1; i++, at += c) {
        const float out = (x[at] - m[j]) * iv[j] * gamma[j] + beta[j];
        y[at] = relu && out <= 0.f ? 0.f : out;
      }
    }
  }
}
