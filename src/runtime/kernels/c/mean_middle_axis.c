/*
 * Mean of x [outer, n, inner] over its middle axis, into y [outer, inner]:
 * each column summed in float32, in order i = 0 … n−1, then divided by n —
 * the very additions tfjs's wasm Mean makes after moving the axis last, so
 * the result is bit-identical to it (BatchNorm's statistics; the
 * PyTorch-parity runs are sensitive to one ulp). Four SIMD accumulators
 * cover 16 adjacent columns (one cache line); threads share a call by these
 * column blocks: this call does the blocks t with t % parts == part.
 */
#include <wasm_simd128.h>

void mean_middle_axis(const float *x, float *y, int outer, int n, int inner, int part, int parts) {
  const int blocks = (inner + 15) / 16;
  const v128_t count = wasm_f32x4_splat((float)n);
  for (int t = part; t < outer * blocks; t += parts) {
    const int o = t / blocks, j0 = t % blocks * 16;
    const float *row = x + (long)o * n * inner + j0;
    float *out = y + o * inner + j0;
    if (j0 + 16 <= inner) {
      v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2 = s0, s3 = s0;
      for (int i = 0; i < n; i++, row += inner) {
        s0 = wasm_f32x4_add(s0, wasm_v128_load(row));
        s1 = wasm_f32x4_add(s1, wasm_v128_load(row + 4));
        s2 = wasm_f32x4_add(s2, wasm_v128_load(row + 8));
        s3 = wasm_f32x4_add(s3, wasm_v128_load(row + 12));
      }
      wasm_v128_store(out, wasm_f32x4_div(s0, count));
      wasm_v128_store(out + 4, wasm_f32x4_div(s1, count));
      wasm_v128_store(out + 8, wasm_f32x4_div(s2, count));
      wasm_v128_store(out + 12, wasm_f32x4_div(s3, count));
    } else {
      for (int j = 0; j < inner - j0; j++) {
        float s = 0.f;
        for (int i = 0; i < n; i++) s += row[(long)i * inner + j];
        out[j] = s / (float)n;
      }
    }
  }
}
