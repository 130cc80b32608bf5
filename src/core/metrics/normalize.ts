import type { Matrix } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import type { NormStats } from './types';

/**
 * Unit-length copy of every row, plus the input norms: users feeding pre-projection or
 * unnormalised features see it in the report instead of silently wrong metrics. The copy goes to
 * `out`, which may be m.data itself (each row's norm is taken before the row is written). By default
 * it is shared memory: the block workers read these rows in place instead of each getting a copy.
 */
export function normalizeRows(
  m: Matrix,
  file: string,
  what: string,
  out: Float32Array = new Float32Array(new SharedArrayBuffer(Math.max(1, m.rows * m.cols) * 4), 0, m.rows * m.cols),
): { data: Float32Array; norms: NormStats } {
  const { rows, cols, data } = m;
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let d = 0; d < cols; d++) s += data[base + d] * data[base + d];
    const norm = Math.sqrt(s);
    // Readers drop zero rows; one reaching here would turn into NaNs everywhere downstream.
    if (!(norm > 0) || !Number.isFinite(norm)) throw new InputError(file, `${what} row ${r} has norm ${norm}`);
    const inv = 1 / norm;
    for (let d = 0; d < cols; d++) out[base + d] = data[base + d] * inv;
    if (norm < min) min = norm;
    if (norm > max) max = norm;
    sum += norm;
  }
  return { data: out, norms: { min, mean: sum / rows, max } };
}
