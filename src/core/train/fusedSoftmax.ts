/**
 * The softmax cross-entropies of the training step on webgpu: a stack of P logit matrices n x n
 * against targets T = alpha_p I + beta_p J, over rows, or over rows and columns (averaged), in blocks
 * of rows. A block's logits and their gradient are the only P x rows x n tensors, so a batch whose
 * whole stack would pass the adapter's binding limit (Dawn does not refuse it: its kernels read
 * zeros) runs in blocks under it. The columns' statistics are carried from block to block (running
 * maximum and sum of exponentials); with more than one block, a block's logits are made twice, once
 * for the columns' statistics and once for the gradient. The math is opsSoftmaxCrossEntropy's
 * (softmaxCrossEntropy.ts), which the tests compare this with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from './webgpuKernel';

export interface BlockedLogits {
  /** Matrices in the stack. */
  p: number;
  /** Rows (and columns) of each matrix. */
  n: number;
  /** Rows a block; the last block may have fewer. */
  blockRows: number;
  /** Rows r0 .. r0 + rows - 1 of every matrix, P x rows x n, in units of 1 / logitScale; disposed here once used. */
  block(r0: number, rows: number): tf.Tensor3D;
  /** What the blocks are multiplied by to be the logits (1 / tau: the products themselves can be passed). */
  logitScale: number;
}

interface Targets {
  alpha: tf.Tensor1D;
  beta: tf.Tensor1D;
}

const common = `
    let n = uniforms.n;
    let rows = uniforms.rows;
    let scale = uniforms.logitScale;`;

/** Per matrix p and row i of a block (row r0 + i of the matrix): the log-sum-exp and that less sum_j S T. P x rows x 2. */
function rowStats(block: tf.Tensor3D, t: Targets, r0: number, logitScale: number): tf.Tensor3D {
  const [p, rows, n] = block.shape;
  const body = `${common}
    let p = index / rows;
    let i = index - p * rows;
    let g = uniforms.r0 + i;
    let base = index * n;
    var top = -3.402823e38;
    for (var k = 0; k < n; k++) { top = max(top, A[base + k] * scale); }
    var sum = 0.0;
    for (var k = 0; k < n; k++) { sum += exp(A[base + k] * scale - top); }
    let lse = log(sum) + top;
    let st = (B[p] * A[base + g] + C[p] * A[base + n - 1 - g]) * scale;
    setOutputAtIndex(2 * index, lse);
    setOutputAtIndex(2 * index + 1, lse - st);`;
  return runKernel('softmaxRowStats', body, [block, t.alpha, t.beta], [p, rows, 2], p * rows, {
    n: [n],
    rows: [rows],
    r0: [r0],
    logitScale,
  }) as tf.Tensor3D;
}

/**
 * Per matrix p and column j, over the blocks so far (`previous`) and this one: the maximum logit m,
 * the sum of exp(S - m), and sum_i S T. P x n x 3.
 */
function colStats(block: tf.Tensor3D, t: Targets, r0: number, logitScale: number, previous?: tf.Tensor): tf.Tensor3D {
  const [p, rows, n] = block.shape;
  const merge = `
    let before = D[3 * index];
    let m = max(before, top);
    sum = D[3 * index + 1] * exp(before - m) + sum * exp(top - m);
    top = m;
    st += D[3 * index + 2];`;
  const body = `${common}
    let p = index / n;
    let j = index - p * n;
    let base = p * rows * n + j;
    var top = -3.402823e38;
    for (var k = 0; k < rows; k++) { top = max(top, A[base + k * n] * scale); }
    var sum = 0.0;
    for (var k = 0; k < rows; k++) { sum += exp(A[base + k * n] * scale - top); }
    // T's entries in column j are alpha at row j and beta at row n - 1 - j, where this block has them.
    var st = 0.0;
    let diagonal = j - uniforms.r0;
    if (diagonal >= 0 && diagonal < rows) { st += B[p] * A[base + diagonal * n] * scale; }
    let mirror = n - 1 - j - uniforms.r0;
    if (mirror >= 0 && mirror < rows) { st += C[p] * A[base + mirror * n] * scale; }
    ${previous ? merge : ''}
    setOutputAtIndex(3 * index, top);
    setOutputAtIndex(3 * index + 1, sum);
    setOutputAtIndex(3 * index + 2, st);`;
  const inputs = [block, t.alpha, t.beta, ...(previous ? [previous] : [])];
  return runKernel(`softmaxColStats_${previous ? 'next' : 'first'}`, body, inputs, [p, n, 3], p * n, {
    n: [n],
    rows: [rows],
    r0: [r0],
    logitScale,
  }) as tf.Tensor3D;
}

/**
 * A block's dS = scale_p (softmax along rows - T), or with the columns' statistics
 * scale_p (softmax along rows + softmax along columns - 2 T). P x rows x n.
 */
function gradient(
  block: tf.Tensor3D,
  rows: tf.Tensor3D,
  cols: tf.Tensor3D | undefined,
  t: Targets,
  scale: tf.Tensor1D,
  r0: number,
  logitScale: number,
): tf.Tensor3D {
  const [p, r, n] = block.shape;
  const [alpha, beta, weight] = cols ? ['D', 'E', 'F'] : ['C', 'D', 'E'];
  const softmax = cols
    ? `exp(s - B[2 * (p * rows + i)]) + exp(s - C[3 * (p * n + j)] - log(C[3 * (p * n + j) + 1])) - 2.0 * t`
    : `exp(s - B[2 * (p * rows + i)]) - t`;
  const body = `${common}
    let p = index / (rows * n);
    let at = index - p * rows * n;
    let i = at / n;
    let j = at - i * n;
    let g = uniforms.r0 + i;
    var t = 0.0;
    if (j == g) { t += ${alpha}[p]; }
    if (j == n - 1 - g) { t += ${beta}[p]; }
    let s = A[index] * scale;
    setOutputAtIndex(index, (${softmax}) * ${weight}[p]);`;
  const inputs = [block, rows, ...(cols ? [cols] : []), t.alpha, t.beta, scale];
  return runKernel(`softmaxGrad_${cols ? 'symmetric' : 'rows'}`, body, inputs, [p, r, n], p * r * n, {
    n: [n],
    rows: [r],
    r0: [r0],
    logitScale,
  }) as tf.Tensor3D;
}

/** Each matrix's loss: the mean over rows of lse - sum_j S T, averaged with that over columns when there are `cols`. */
function losses(rows: tf.Tensor3D, cols?: tf.Tensor3D): tf.Tensor1D {
  const [p, n] = rows.shape;
  const body = `
    let n = uniforms.n;
    var sum = 0.0;
    for (var i = 0; i < n; i++) { sum += A[2 * (index * n + i) + 1]; }
    ${cols ? 'for (var j = 0; j < n; j++) { let c = 3 * (index * n + j); sum += B[c] + log(B[c + 1]) - B[c + 2]; }' : ''}
    setOutputAtIndex(index, sum / f32(${cols ? '2 * n' : 'n'}));`;
  return runKernel(`softmaxLoss_${cols ? 'symmetric' : 'rows'}`, body, cols ? [rows, cols] : [rows], [p], p, {
    n: [n],
  }) as tf.Tensor1D;
}

/**
 * The cross-entropies' losses; each block's gradient dS (P x rows x n, for the logits' units, so
 * the caller's products take it on as it is) goes to `onGradient` as it is made, the caller's to
 * dispose. scale_p weighs matrix p's gradient.
 */
export function blockedSoftmaxCrossEntropy(
  logits: BlockedLogits,
  alpha: number[],
  beta: number[],
  scale: number[],
  symmetric: boolean,
  onGradient: (dS: tf.Tensor3D, r0: number, rows: number) => void,
): tf.Tensor1D {
  const { n, blockRows, logitScale } = logits;
  const t: Targets = { alpha: tf.tensor1d(alpha), beta: tf.tensor1d(beta) };
  const weights = tf.tensor1d(scale);
  const blocks = Array.from({ length: Math.ceil(n / blockRows) }, (_, k) => ({
    r0: k * blockRows,
    rows: Math.min(blockRows, n - k * blockRows),
  }));
  let cols: tf.Tensor3D | undefined;
  // With one block its logits are made once, for both passes.
  let kept: tf.Tensor3D | undefined;
  if (symmetric) {
    for (const { r0, rows } of blocks) {
      const block = logits.block(r0, rows);
      const next = colStats(block, t, r0, logitScale, cols);
      cols?.dispose();
      cols = next;
      if (blocks.length === 1) kept = block;
      else block.dispose();
    }
  }
  const rowParts = blocks.map(({ r0, rows }) => {
    const block = kept ?? logits.block(r0, rows);
    const stats = rowStats(block, t, r0, logitScale);
    const dS = gradient(block, stats, cols, t, weights, r0, logitScale);
    block.dispose();
    onGradient(dS, r0, rows);
    return stats;
  });
  return losses(rowParts.length === 1 ? rowParts[0] : (tf.concat(rowParts, 1) as tf.Tensor3D), cols);
}

/** Rows a block so that a P x rows x n block of logits stays within `limitBytes`: at least 1, at most n. */
export function blockRowsWithin(limitBytes: number, p: number, n: number): number {
  return Math.max(1, Math.min(n, Math.floor(limitBytes / (4 * p * n))));
}
