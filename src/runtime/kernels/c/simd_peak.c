/*
 * Not a training kernel: the bench's ceiling (bench/ceiling.ts). The most
 * floating-point work one thread does per second in wasm's 128-bit SIMD, with
 * no memory traffic: twelve independent chains a ← a·m + d, each f32x4
 * multiply and add its own instruction (simd128 has no fused multiply-add),
 * enough chains to cover both instructions' latency on the x86-64 cores we
 * know. Every kernel of ours and XNNPACK's runs on the same instructions, so
 * none runs faster than this. Each of `parts` threads does `iterations` and
 * writes its twelve chains' sum (so nothing is optimized away) to
 * out[4·part … 4·part + 3].
 */
#include <wasm_simd128.h>

#define STEP(a) a = wasm_f32x4_add(wasm_f32x4_mul(a, m), d);

void simd_peak(float *out, int iterations, int part, int parts) {
  (void)parts;
  const v128_t m = wasm_f32x4_splat(0.999f), d = wasm_f32x4_splat(0.001f);
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = wasm_f32x4_splat(0.1f), a2 = wasm_f32x4_splat(0.2f), a3 = wasm_f32x4_splat(0.3f);
  v128_t a4 = wasm_f32x4_splat(0.4f), a5 = wasm_f32x4_splat(0.5f), a6 = wasm_f32x4_splat(0.6f), a7 = wasm_f32x4_splat(0.7f);
  v128_t a8 = wasm_f32x4_splat(0.8f), a9 = wasm_f32x4_splat(0.9f), a10 = wasm_f32x4_splat(1.0f), a11 = wasm_f32x4_splat(1.1f);
  for (int i = 0; i < iterations; i++) {
    STEP(a0) STEP(a1) STEP(a2) STEP(a3) STEP(a4) STEP(a5) STEP(a6) STEP(a7) STEP(a8) STEP(a9) STEP(a10) STEP(a11)
  }
  const v128_t s0 = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  const v128_t s1 = wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7));
  const v128_t s2 = wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11));
  wasm_v128_store(out + 4 * part, wasm_f32x4_add(wasm_f32x4_add(s0, s1), s2));
}
