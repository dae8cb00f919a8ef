/*
 * One phase of a strided convolution's input gradient (see
 * ../wasm-conv2d-backprop-input.ts) put in place: src [n, ph, pw, c] goes to
 * dx[b][r1 + s1·i][r2 + s2·j][·] of dx [n, h, w, c], where it fits (the
 * phases' last rows and columns may fall past h or w); zero = 1 writes zeros
 * there instead (a phase with no taps). Replaces tfjs's Pad, two Concats and
 * a Slice, each a pass over dx on one thread. Threads share a call by rows
 * (b, i): this call does the rows t with t % parts == part.
 */
void conv2d_scatter_phase(const float *src, float *dx, int zero, int n, int ph, int pw, int c, int h, int w,
                          int r1, int r2, int s1, int s2, int part, int parts) {
  const int rows = h - r1 > 0 ? (h - r1 + s1 - 1) / s1 : 0, cols = w - r2 > 0 ? (w - r2 + s2 - 1) / s2 : 0;
  const int rows_used = rows < ph ? rows : ph, cols_used = cols < pw ? cols : pw;
  for (int t = part; t < n * rows_used; t += parts) {
    const int b = t / rows_used, i = t % rows_used;
    const float *from = src + (b * ph + i) * pw * c;
    float *to = dx + ((b * h + r1 + s1 * i) * w + r2) * c;
    for (int j = 0; j < cols_used; j++, from += c, to += s2 * c) {
      for (int k = 0; k < c; k++) to[k] = zero ? 0.f : from[k];
    }
  }
}
