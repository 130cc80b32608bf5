/** || mean x - mean y || of the unit vectors, accumulated in float64. */
export function modalityGap(x: Float32Array, ni: number, y: Float32Array, nt: number, dim: number): number {
  const diff = new Float64Array(dim);
  for (let r = 0; r < ni; r++) for (let d = 0; d < dim; d++) diff[d] += x[r * dim + d] / ni;
  for (let r = 0; r < nt; r++) for (let d = 0; d < dim; d++) diff[d] -= y[r * dim + d] / nt;
  let s = 0;
  for (let d = 0; d < dim; d++) s += diff[d] * diff[d];
  return Math.sqrt(s);
}
