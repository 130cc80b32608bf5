/**
 * A split's embeddings for training, as unit rows kept on the CPU: a step uploads only its batch,
 * and the eval projection runs in blocks of rows, so no tensor grows with the split. On webgpu a
 * tensor over the adapter's binding limit (llvmpipe: 128 MiB, 65,536 rows of 512) is not refused:
 * the kernels that read it return zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '../readers/checkpoint';
import { normalizeRows } from '../metrics/normalize';
import { bindingLimit } from '../backend/webgpuRung';
import { normalizeTensorRows } from './heads';

/** Enough rows a block to keep a projection to a few dispatches, few enough to bound its memory. */
const maxBlockRows = 16384;

/** Rows a block so that neither the block nor its product passes the active backend's binding limit. */
export function blockRowsFor(cols: number, outCols: number): number {
  const rows = Math.floor(bindingLimit() / (4 * Math.max(cols, outCols)));
  return Math.max(1, Math.min(maxBlockRows, rows));
}

export class UnitRows {
  readonly rows: number;
  readonly cols: number;
  private readonly data: Float32Array;

  /**
   * Takes `m`'s rows and makes them unit rows in place, so a split is held once, not twice (a
   * million pairs at D = 512 are 4 GB); a zero or non-finite row is an InputError naming `file`.
   */
  constructor(m: Matrix, file: string, what: string) {
    this.rows = m.rows;
    this.cols = m.cols;
    this.data = normalizeRows(m, file, what, m.data).data;
  }

  /** The rows at `indices`, as a tensor. */
  batch(indices: ArrayLike<number>): tf.Tensor2D {
    const out = new Float32Array(indices.length * this.cols);
    for (let i = 0; i < indices.length; i++)
      out.set(this.data.subarray(indices[i] * this.cols, (indices[i] + 1) * this.cols), i * this.cols);
    return tf.tensor2d(out, [indices.length, this.cols]);
  }

  /** normalize(rows W), read back; `blockRows` rows at a time. */
  async project(w: tf.Tensor2D, blockRows = blockRowsFor(this.cols, w.shape[1])): Promise<Matrix> {
    const cols = w.shape[1];
    const out = new Float32Array(this.rows * cols);
    for (let a = 0; a < this.rows; a += blockRows) {
      const b = Math.min(this.rows, a + blockRows);
      const z = tf.tidy(() =>
        normalizeTensorRows(
          tf.matMul(tf.tensor2d(this.data.subarray(a * this.cols, b * this.cols), [b - a, this.cols]), w),
        ),
      );
      try {
        out.set((await z.data()) as Float32Array, a * cols);
      } finally {
        z.dispose();
      }
    }
    return { rows: this.rows, cols, data: out };
  }
}
