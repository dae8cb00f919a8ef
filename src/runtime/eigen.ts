/**
 * Eigenvalues (and, when asked, eigenvectors) of a real symmetric matrix, in
 * float64: Householder reduction to tridiagonal form, then the implicit QL
 * algorithm with Wilkinson-style shifts — the route of EISPACK's tred2/tql2
 * (Wilkinson & Reinsch, Handbook for Automatic Computation II, 1971), O(n³)
 * once instead of cyclic Jacobi's O(n³) per sweep. The training loop's
 * effective rank takes the eigenvalues of a 256×256 covariance every few
 * steps (0.48–0.57 s by Jacobi here, 57 ms this way).
 *
 * Matrices are row-major n×n Float64Arrays; the input is not changed.
 */

/** Eigenvalues of a symmetric n×n matrix, in no particular order. */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  const { d, e } = tridiagonalize(Float64Array.from(matrix), n, false);
  diagonalize(d, e, undefined);
  return d;
}

/** Eigenvalues and eigenvectors (column i of `vectors`, row-major n×n, belongs to values[i]) of a symmetric n×n matrix. */
export function symmetricEigenvectors(matrix: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = Float64Array.from(matrix);
  const { d, e } = tridiagonalize(v, n, true);
  diagonalize(d, e, v);
  return { values: d, vectors: v };
}

/**
 * Householder reduction of v (overwritten) to a tridiagonal matrix with
 * diagonal d and off-diagonal e (e[i] couples rows i − 1 and i; e[0] = 0).
 * Row i is reduced from the last row up, its part left of the diagonal
 * reflected onto one entry. With `accumulate`, v ends as the orthogonal Q
 * (Qᵀ·A·Q tridiagonal); otherwise its contents are scratch.
 */
function tridiagonalize(v: Float64Array, n: number, accumulate: boolean): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const at = (r: number, c: number) => r * n + c;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    // Scaling by the row's 1-norm keeps h = ‖x‖² from over- or underflowing.
    let scale = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    let h = 0;
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      const g = f > 0 ? -Math.sqrt(h) : Math.sqrt(h); // the sign that avoids cancellation in f − g
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g; // d[0..i) is now the reflection vector u, H = I − u·uᵀ/h
      for (let j = 0; j < i; j++) e[j] = 0;
      // p = A·u (in e), using the lower triangle only.
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[at(j, i)] = f;
        let s = e[j] + v[at(j, j)] * f;
        for (let k = j + 1; k < i; k++) {
          s += v[at(k, j)] * d[k];
          e[k] += v[at(k, j)] * f;
        }
        e[j] = s;
      }
      // q = p/h − (uᵀp / 2h²)·u, then A ← A − u·qᵀ − q·uᵀ on the lower triangle.
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        const q = e[j];
        for (let k = j; k < i; k++) v[at(k, j)] -= f * e[k] + q * d[k];
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
      }
    }
    d[i] = h; // kept for the accumulation below; the diagonal lives in v[i][i]
  }
  if (!accumulate) {
    for (let i = 0; i < n; i++) d[i] = v[at(i, i)];
    return { d, e };
  }
  // Q as the product of the reflections, applied from the first row down; the diagonal moves to the last row meanwhile.
  for (let i = 0; i < n - 1; i++) {
    v[at(n - 1, i)] = v[at(i, i)];
    v[at(i, i)] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[at(k, i + 1)] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[at(k, i + 1)] * v[at(k, j)];
        for (let k = 0; k <= i; k++) v[at(k, j)] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[at(k, i + 1)] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)];
    v[at(n - 1, j)] = 0;
  }
  if (n > 0) v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
  return { d, e };
}

/**
 * The implicit QL algorithm on the tridiagonal (d, e): d becomes the
 * eigenvalues; each plane rotation is also applied to the columns of v, when
 * given, turning Q into the eigenvectors. A sub-diagonal entry counts as zero
 * below ε·max(|d_l| + |e_l|) seen so far, which splits the matrix there.
 */
function diagonalize(d: Float64Array, e: Float64Array, v: Float64Array | undefined): void {
  const n = d.length;
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  const eps = 2 ** -52;
  let shift = 0;
  let norm = 0;
  for (let l = 0; l < n; l++) {
    norm = Math.max(norm, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * norm) m++;
    // m = l: e[l] is already negligible and d[l] (shifted back) an eigenvalue.
    for (let iteration = 0; Math.abs(e[l]) > eps * norm; iteration++) {
      if (iteration === 60) throw new Error(`symmetric eigenvalues: no convergence after 60 QL iterations (row ${l} of ${n})`);
      // The shift: the eigenvalue of the leading 2×2 block nearer d[l].
      const g0 = d[l];
      let p = (d[l + 1] - g0) / (2 * e[l]);
      let r = Math.hypot(p, 1);
      if (p < 0) r = -r;
      d[l] = e[l] / (p + r);
      d[l + 1] = e[l] * (p + r);
      const dl1 = d[l + 1];
      let h = g0 - d[l];
      for (let i = l + 2; i < n; i++) d[i] -= h;
      shift += h;
      // Chase the bulge from row m up to row l with Givens rotations.
      p = d[m];
      let [c, c2, c3] = [1, 1, 1];
      const el1 = e[l + 1];
      let [s, s2] = [0, 0];
      for (let i = m - 1; i >= l; i--) {
        c3 = c2;
        c2 = c;
        s2 = s;
        const g = c * e[i];
        h = c * p;
        r = Math.hypot(p, e[i]);
        e[i + 1] = s * r;
        s = e[i] / r;
        c = p / r;
        p = c * d[i] - s * g;
        d[i + 1] = h + s * (c * g + s * d[i]);
        if (v) {
          for (let k = 0; k < n; k++) {
            const vk = v[k * n + i + 1];
            v[k * n + i + 1] = s * v[k * n + i] + c * vk;
            v[k * n + i] = c * v[k * n + i] - s * vk;
          }
        }
      }
      p = (-s * s2 * c3 * el1 * e[l]) / dl1;
      e[l] = s * p;
      d[l] = c * p;
    }
    d[l] += shift;
    e[l] = 0;
  }
}
