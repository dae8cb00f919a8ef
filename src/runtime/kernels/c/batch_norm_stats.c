/*
 * BatchNorm's batch statistics of x [views, n, c], per view and channel:
 * mean = Σ x / n, then variance = Σ (x − mean)² / n, each sum in float32 in
 * order i = 0 … n−1 — the additions tf.mean makes over the middle axis
 * (mean_middle_axis.c) — so both are bit-identical to the composite
 * tf.mean(x), tf.mean(tf.square(x − mean)) without writing x − mean or its
 * square. Four SIMD accumulators cover 16 adjacent channels; threads share a
 * call by (view, 16 channels) blocks: this call does the blocks t with
 * t % parts == part.
 */
#include <wasm_simd128.h>

void batch_norm_stats(const float *x, float *mean, float *var, int views, int n, int c, int part, int parts) {
  const int blocks = (c + 15) / 16;
  const v128_t count = wasm_f32x4_splat((float)n);
  for (int t = part; t < views * blocks; t += parts) {
    const int v = t / blocks, j0 = t % blocks * 16;
    const float *col = x + v * n * c + j0;
    float *m = mean + v * c + j0, *s2 = var + v * c + j0;
    if (j0 + 16 <= c) {
      v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2_ = s0, s3 = s0;
      const float *row = col;
      for (int i = 0; i < n; i++, row += c) {
        s0 = wasm_f32x4_add(s0, wasm_v128_load(row));
        s1 = wasm_f32x4_add(s1, wasm_v128_load(row + 4));
        s2_ = wasm_f32x4_add(s2_, wasm_v128_load(row + 8));
        s3 = wasm_f32x4_add(s3, wasm_v128_load(row + 12));
      }
      const v128_t m0 = wasm_f32x4_div(s0, count), m1 = wasm_f32x4_div(s1, count);
      const v128_t m2 = wasm_f32x4_div(s2_, count), m3 = wasm_f32x4_div(s3, count);
      wasm_v128_store(m, m0), wasm_v128_store(m + 4, m1), wasm_v128_store(m + 8, m2), wasm_v128_store(m + 12, m3);
      s0 = s1 = s2_ = s3 = wasm_f32x4_splat(0.f);
      row = col;
      for (int i = 0; i < n; i++, row += c) {
        const v128_t d0 = wasm_f32x4_sub(wasm_v128_load(row), m0), d1 = wasm_f32x4_sub(wasm_v128_load(row + 4), m1);
        const v128_t d2 = wasm_f32x4_sub(wasm_v128_load(row + 8), m2), d3 = wasm_f32x4_sub(wasm_v128_load(row + 12), m3);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
        s2_ = wasm_f32x4_add(s2_, wasm_f32x4_mul(d2, d2));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(d3, d3));
      }
      wasm_v128_store(s2, wasm_f32x4_div(s0, count)), wasm_v128_store(s2 + 4, wasm_f32x4_div(s1, count));
      wasm_v128_store(s2 + 8, wasm_f32x4_div(s2_, count)), wasm_v128_store(s2 + 12, wasm_f32x4_div(s3, count));
    } else {
      for (int j = 0; j < c - j0; j++) {
        float s = 0.f;
        for (int i = 0; i < n; i++) s += col[i * c + j];
        const float mj = s / (float)n;
        float q = 0.f;
        for (int i = 0; i < n; i++) {
          const float d = col[i * c + j] - mj;
          q += d * d;
        }
        m[j] = mj;
        s2[j] = q / (float)n;
      }
    }
  }
}
