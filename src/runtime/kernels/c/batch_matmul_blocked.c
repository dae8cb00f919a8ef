/*
 * out[b] = a[b] · w[b] for a [batch, m, k], w [batch, k, n], with tfjs's wasm
 * rounding: its batched product (batch_mat_mul_impl.cc, slow_batch_matmul)
 * sums each output in blocks of 48 along k — a float32 running sum per
 * block, added to the output, then a zero bias added — and the PyTorch-parity
 * runs are matched with exactly that rounding (BatchNorm's sums of rows are
 * such products). Same additions here, in the same order, but four SIMD
 * accumulators cover 16 adjacent output columns, and threads share a call by
 * (batch, row, 16 columns) tiles: this call does the tiles t with
 * t % parts == part.
 */
#include <wasm_simd128.h>

#define BLOCK 48

void batch_matmul_blocked(const float *a, const float *w, float *out, int batch, int m, int k, int n, int part, int parts) {
  const int chunks = (n + 15) / 16;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (int t = part; t < batch * m * chunks; t += parts) {
    const int row = t / chunks, j0 = t % chunks * 16, b = row / m;
    const float *arow = a + row * k;
    const float *wcol = w + b * k * n + j0;
    float *o = out + row * n + j0;
    if (j0 + 16 <= n) {
      v128_t o0 = zero, o1 = zero, o2 = zero, o3 = zero;
      for (int k0 = 0; k0 < k; k0 += BLOCK) {
        const int k1 = k0 + BLOCK < k ? k0 + BLOCK : k;
        v128_t s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        for (int i = k0; i < k1; i++) {
          const v128_t x = wasm_v128_load32_splat(arow + i);
          const float *wr = wcol + i * n;
          s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(x, wasm_v128_load(wr)));
          s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(x, wasm_v128_load(wr + 4)));
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(x, wasm_v128_load(wr + 8)));
          s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(x, wasm_v128_load(wr + 12)));
        }
        o0 = wasm_f32x4_add(wasm_f32x4_add(o0, s0), zero);
        o1 = wasm_f32x4_add(wasm_f32x4_add(o1, s1), zero);
        o2 = wasm_f32x4_add(wasm_f32x4_add(o2, s2), zero);
        o3 = wasm_f32x4_add(wasm_f32x4_add(o3, s3), zero);
      }
      wasm_v128_store(o, o0), wasm_v128_store(o + 4, o1), wasm_v128_store(o + 8, o2), wasm_v128_store(o + 12, o3);
    } else {
      for (int j = 0; j < n - j0; j++) {
        float total = 0.f;
        for (int k0 = 0; k0 < k; k0 += BLOCK) {
          const int k1 = k0 + BLOCK < k ? k0 + BLOCK : k;
          float sum = 0.f;
          for (int i = k0; i < k1; i++) sum += arow[i] * wcol[i * n + j];
          total = (total + sum) + 0.f;
        }
        o[j] = total;
      }
    }
  }
}
