/*
 * The filter gradient of a 2-D convolution (NHWC, dilation 1), for tfjs's
 * wasm backend: dW[ky][kx][c][o] = Σ_{b,y,x} X[b][y·sh + ky − pt][x·sw + kx − pl][c] · dY[b][y][x][o],
 * a GEMM whose reduction (every output pixel of the batch) is long and whose
 * result (kh·kw·ci × co) is small. XNNPACK runs it as one convolution that
 * streams the whole reduction once per 4-row tile of the result; here the
 * reduction is cut into blocks of output rows that stay in cache while every
 * 4 × 8 tile of dW (8 SIMD accumulators) takes its share, then moves on.
 *
 * Built by scripts/build-kernels.mjs (clang, wasm32 + simd128) into a module
 * that imports tfjs's memory: pointers are byte offsets of tfjs's tensors.
 * The module must not touch its own stack or data: everything lives in locals.
 *
 * Needs ci % 4 == 0 and co % 8 == 0 (the caller arranges it). Threads share a
 * call by tiles: this call does the tiles t with t % parts == part.
 */
#include <wasm_simd128.h>

#define ACCUMULATE(acc0, acc1, lane)                  \
  s = wasm_v128_load32_splat(xp + lane);              \
  acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(s, d0)); \
  acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(s, d1));

void conv2d_backprop_filter(const float *x, const float *dy, float *dw,
                            int n, int h, int w, int ci, int oh, int ow, int co,
                            int kh, int kw, int sh, int sw, int pt, int pl,
                            int rows_per_block, int part, int parts) {
  const int ctiles = ci / 4, otiles = co / 8, tiles = kh * kw * ctiles * otiles, rows = n * oh;
  for (int r0 = 0; r0 < rows; r0 += rows_per_block) {
    const int r1 = r0 + rows_per_block < rows ? r0 + rows_per_block : rows;
    for (int t = part; t < tiles; t += parts) {
      const int tap = t / (ctiles * otiles), c0 = (t / otiles) % ctiles * 4, o0 = t % otiles * 8;
      const int ky = tap / kw, kx = tap % kw;
      float *out = dw + (tap * ci + c0) * co + o0;
      v128_t a00, a01, a10, a11, a20, a21, a30, a31, s;
      if (r0 == 0) {
        a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = wasm_f32x4_splat(0.f);
      } else {
        a00 = wasm_v128_load(out), a01 = wasm_v128_load(out + 4);
        a10 = wasm_v128_load(out + co), a11 = wasm_v128_load(out + co + 4);
        a20 = wasm_v128_load(out + 2 * co), a21 = wasm_v128_load(out + 2 * co + 4);
        a30 = wasm_v128_load(out + 3 * co), a31 = wasm_v128_load(out + 3 * co + 4);
      }
      /* The output columns whose input column x·sw + kx − pl lies in [0, w). */
      const int xlo = pl > kx ? (pl - kx + sw - 1) / sw : 0;
      const int last = w - 1 + pl - kx;
      const int xhi = last < 0 ? 0 : (last / sw + 1 < ow ? last / sw + 1 : ow);
      for (int r = r0, b = r0 / oh, y = r0 % oh; r < r1 && xlo < xhi; r++) {
        const int iy = y * sh + ky - pt;
        if (iy >= 0 && iy < h) {
          const float *xp = x + ((b * h + iy) * w + xlo * sw + kx - pl) * ci + c0;
          const float *dp = dy + (r * ow + xlo) * co + o0;
          for (int i = xlo; i < xhi; i++, xp += sw * ci, dp += co) {
            const v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4);
            ACCUMULATE(a00, a01, 0)
            ACCUMULATE(a10, a11, 1)
            ACCUMULATE(a20, a21, 2)
            ACCUMULATE(a30, a31, 3)
          }
        }
        if (++y == oh) y = 0, b++;
      }
      wasm_v128_store(out, a00), wasm_v128_store(out + 4, a01);
      wasm_v128_store(out + co, a10), wasm_v128_store(out + co + 4, a11);
      wasm_v128_store(out + 2 * co, a20), wasm_v128_store(out + 2 * co + 4, a21);
      wasm_v128_store(out + 3 * co, a30), wasm_v128_store(out + 3 * co + 4, a31);
    }
  }
}
