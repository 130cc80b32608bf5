/**
 * A step's loss terms (a TermPlan) on webgpu, in as few dispatches as the math allows: on a GPU a
 * step is bound by dispatches, each costing about the same whatever its size. The images x and the
 * texts y become one tensor of rows; every input a mix or a pair term needs is gathered from it by
 * index (reversed rows included) rather than sliced, reversed and concatenated; the pair terms'
 * products run as batched products over the stacked terms; and the gradients of every term meet in
 * one kernel per destination. The math is opsTerms' (losses.ts), which the tests compare this with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bindingLimit } from '../backend/webgpuRung';
import { fusedGeodesicMix } from './fusedKernels';
import { gatherRows, sumSlabs, type Slab } from './fusedRows';
import { blockedSoftmaxCrossEntropy, blockRowsWithin } from './fusedSoftmax';
import { planned, type LossTerm, type Operand, type Rows, type TermPlan, type TermPlanLossGrad } from './termPlan';
import { inputNames, runKernel } from './webgpuKernel';

/**
 * The plan's loss and gradients. Logits run in blocks of rows of at most `logitBytes` (the adapter's
 * binding limit: a larger tensor would read as zeros), so no batch is refused for its B x B tensors;
 * what a block makes on the way is freed with it.
 */
export function fusedTerms(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  plan: TermPlan,
  logitBytes = bindingLimit(),
): TermPlanLossGrad {
  const [b, d] = x.shape;
  const xy = tf.concat([x, y]);
  /** Row of xy that row i of `r` is. */
  const rowOf = (r: Rows, i: number) => ({ x: i, y: b + i, rx: b - 1 - i, ry: 2 * b - 1 - i })[r];
  /** Row indices of blocks of B rows, block k's row i being row(k, i). */
  const indices = (blocks: number, row: (k: number, i: number) => number) =>
    Int32Array.from({ length: blocks * b }, (_, j) => row(Math.floor(j / b), j % b));

  const mixes = plan.mixes;
  const lambdas = Float32Array.from(mixes.flatMap((m) => Array<number>(b).fill(m.lambda)));
  const mix = mixes.length
    ? fusedGeodesicMix(
        gatherRows(
          [xy],
          indices(mixes.length, (k, i) => rowOf(mixes[k].a, i)),
        ),
        gatherRows(
          [xy],
          indices(mixes.length, (k, i) => rowOf(mixes[k].b, i)),
        ),
        tf.tensor1d(lambdas),
      )
    : undefined;

  // Where each gradient goes: the rows of x (0) and y (1), reversed or not, and the output of each mix.
  const toXy: Slab[][] = [[], []];
  const toMix: Slab[][] = mixes.map(() => []);
  const toRows = (r: Rows, from: tf.Tensor, slab: number) =>
    toXy[r === 'x' || r === 'rx' ? 0 : 1].push({ from, slab, reversed: r === 'rx' || r === 'ry' });
  const send = (o: Operand, from: tf.Tensor, slab: number) =>
    typeof o === 'number' ? toMix[o].push({ from, slab, reversed: false }) : toRows(o, from, slab);

  let pairLosses: tf.Tensor1D | undefined;
  if (plan.pairs.length) {
    const p = plan.pairs.length;
    const sources: [tf.Tensor2D] | [tf.Tensor2D, tf.Tensor2D] = mix ? [xy, mix.mixed] : [xy];
    // Row i of an operand: a row of xy, or of the mixes after xy's 2B rows.
    const side = (pick: (t: TermPlan['pairs'][number]) => Operand) =>
      tf.reshape(
        gatherRows(
          sources,
          indices(p, (k, i) => {
            const o = pick(plan.pairs[k]);
            return typeof o === 'number' ? 2 * b + o * b + i : rowOf(o, i);
          }),
        ),
        [p, b, d],
      ) as tf.Tensor3D;
    const [as, bs] = [side((t) => t.a), side((t) => t.b)];
    const asRows = (r0: number, rows: number) =>
      rows === b ? as : (tf.slice(as, [0, r0, 0], [p, rows, d]) as tf.Tensor3D);
    const dAs: tf.Tensor3D[] = [];
    let dB = undefined as tf.Tensor3D | undefined;
    pairLosses = blockedSoftmaxCrossEntropy(
      {
        p,
        n: b,
        blockRows: blockRowsWithin(logitBytes, p, b),
        logitScale: 1 / plan.tau,
        block: (r0, rows) => tf.tidy(() => tf.matMul(asRows(r0, rows), bs, false, true)),
      },
      plan.pairs.map((t) => t.alpha),
      plan.pairs.map((t) => t.beta),
      plan.pairs.map((t) => t.weight / (2 * b * plan.tau)),
      true,
      (dS, r0, rows) => {
        const [dA, part] = tf.tidy(() => [tf.matMul(dS, bs), tf.matMul(dS, asRows(r0, rows), true, false)]);
        dAs.push(dA);
        dB = accumulate(dB, part);
        dS.dispose();
      },
    );
    const dA = dAs.length === 1 ? dAs[0] : (tf.concat(dAs, 1) as tf.Tensor3D);
    plan.pairs.forEach((t, k) => (send(t.a, dA, k), send(t.b, dB!, k)));
  }

  let m2mixLosses: tf.Tensor1D | undefined;
  if (plan.m2mix && mix) {
    const { mix: m2mixMix, weight } = plan.m2mix;
    const n = tf.slice(mix.mixed, [m2mixMix * b, 0], [b, d]);
    const blockRows = blockRowsWithin(logitBytes, 2, b);
    // A block's query rows: its image rows, then its text rows.
    const queries = (r0: number, rows: number) =>
      rows === b
        ? xy
        : gatherRows(
            [xy],
            Int32Array.from({ length: 2 * rows }, (_, k) => Math.floor(k / rows) * b + r0 + (k % rows)),
          );
    const dQs: tf.Tensor2D[] = [];
    let dN = undefined as tf.Tensor2D | undefined;
    const scale = weight / (b * plan.tauM);
    m2mixLosses = blockedSoftmaxCrossEntropy(
      {
        p: 2,
        n: b,
        blockRows,
        logitScale: 1,
        block: (r0, rows) =>
          tf.tidy(() => m2mixLogits(tf.matMul(queries(r0, rows), n, false, true), xy, plan.tauM, r0)),
      },
      [1, 1],
      [0, 0],
      [scale, scale],
      false,
      (dS, r0, rows) => {
        const [dQ, part] = tf.tidy(() => {
          const dQN = offDiagonal(dS, r0);
          return [m2mixPositives(tf.matMul(dQN, n), dS, xy, r0), tf.matMul(dQN, queries(r0, rows), true, false)];
        });
        dQs.push(dQ);
        dN = accumulate(dN, part);
        dS.dispose();
      },
    );
    // The blocks' rows back in xy's order: each block holds its image rows, then its text rows.
    const dQ =
      dQs.length === 1
        ? dQs[0]
        : gatherRows(
            [tf.concat(dQs)],
            indices(2, (h, i) => {
              const k = Math.floor(i / blockRows);
              const rows = Math.min(blockRows, b - k * blockRows);
              return 2 * k * blockRows + h * rows + (i - k * blockRows);
            }),
          );
    send('x', dQ, 0);
    send('y', dQ, 1);
    send(m2mixMix, dN!, 0);
  }

  if (mix) {
    const [da, db] = mix.backward(sumSlabs(b, d, toMix));
    mixes.forEach((m, k) => (toRows(m.a, da, k), toRows(m.b, db, k)));
  }
  const terms = planned(plan);
  const values = lossSummary(plan, terms, pairLosses, m2mixLosses);
  return {
    loss: tf.reshape(tf.slice(values, [0], [1]), []) as tf.Scalar,
    dx: sumSlabs(b, d, [toXy[0]]),
    dy: sumSlabs(b, d, [toXy[1]]),
    values,
    terms,
  };
}

/** prev + part, freeing both (a sum carried over blocks of rows), or part where there is no prev. */
function accumulate<T extends tf.Tensor>(prev: T | undefined, part: T): T {
  if (!prev) return part;
  const sum = tf.add(prev, part) as T;
  tf.dispose([prev, part]);
  return sum;
}

/**
 * m2-Mix's logits for rows r0 .. r0 + rows - 1 of both halves, from the products q n^T of those
 * query rows (image rows, then text rows: 2 rows x B), as 2 x rows x B: the off-diagonal ones
 * (negatives) as they are, the diagonal ones the positives x_g . y_g, all over tau_m.
 */
function m2mixLogits(qn: tf.Tensor2D, xy: tf.Tensor2D, tauM: number, r0: number): tf.Tensor3D {
  const [rows, b, d] = [qn.shape[0] / 2, qn.shape[1], xy.shape[1]];
  const body = `
    let b = uniforms.b;
    let d = uniforms.d;
    let at = index % (uniforms.rows * b);
    let g = uniforms.r0 + at / b;
    var v = 0.0;
    if (at % b == g) {
      for (var k = 0; k < d; k++) { v += B[g * d + k] * B[(b + g) * d + k]; }
    } else {
      v = A[index];
    }
    setOutputAtIndex(index, v / uniforms.tau);`;
  return runKernel('m2mixLogits', body, [qn, xy], [2, rows, b], 2 * rows * b, {
    b: [b],
    d: [d],
    rows: [rows],
    r0: [r0],
    tau: tauM,
  }) as tf.Tensor3D;
}

/** The gradient of a block of m2-Mix's logits with its diagonal (the positives') zeroed, as the 2 rows x B gradient of q n^T. */
function offDiagonal(dS: tf.Tensor3D, r0: number): tf.Tensor2D {
  const [, rows, b] = dS.shape;
  const body = `
    let b = uniforms.b;
    let at = index % (uniforms.rows * b);
    setOutputAtIndex(index, select(A[index], 0.0, at % b == uniforms.r0 + at / b));`;
  return runKernel('offDiagonal', body, [dS], [2 * rows, b], 2 * rows * b, {
    b: [b],
    rows: [rows],
    r0: [r0],
  }) as tf.Tensor2D;
}

/**
 * m2-Mix's gradient for a block's query rows (image rows r0.., then text rows r0..): that through
 * the negatives (dq), plus that through the positives x_g . y_g, whose gradient is the sum of the
 * two diagonals of dS: it goes to x_g times y_g and back.
 */
function m2mixPositives(dq: tf.Tensor2D, dS: tf.Tensor3D, xy: tf.Tensor2D, r0: number): tf.Tensor2D {
  const [, rows, b] = dS.shape;
  const d = xy.shape[1];
  const body = `
    let b = uniforms.b;
    let d = uniforms.d;
    let rows = uniforms.rows;
    let row = index / d;
    let col = index - row * d;
    let i = row % rows;
    let g = uniforms.r0 + i;
    let partner = select(b + g, g, row >= rows);
    let positive = B[i * b + g] + B[(rows + i) * b + g];
    setOutputAtIndex(index, A[index] + positive * C[partner * d + col]);`;
  return runKernel('m2mixPositives', body, [dq, dS, xy], [2 * rows, d], 2 * rows * d, {
    b: [b],
    d: [d],
    rows: [rows],
    r0: [r0],
  }) as tf.Tensor2D;
}

/** [weighted sum, each term's value] from the pair terms' losses and m2-Mix's two, weights as uniforms. */
function lossSummary(
  plan: TermPlan,
  terms: LossTerm[],
  pairLosses?: tf.Tensor1D,
  m2mixLosses?: tf.Tensor1D,
): tf.Tensor1D {
  const inputs: tf.Tensor[] = [];
  const value: Partial<Record<LossTerm, string>> = {};
  const weights: Record<string, number> = {};
  if (pairLosses) {
    inputs.push(pairLosses);
    plan.pairs.forEach((t, k) => ((value[t.term] = `A[${k}]`), (weights[`w_${t.term}`] = t.weight)));
  }
  if (m2mixLosses && plan.m2mix) {
    const name = inputNames[inputs.length];
    inputs.push(m2mixLosses);
    value.m2mix = `(${name}[0] + ${name}[1])`;
    weights.w_m2mix = plan.m2mix.weight;
  }
  const body = [
    `setOutputAtIndex(0, ${terms.map((t) => `uniforms.w_${t} * ${value[t]}`).join(' + ')});`,
    ...terms.map((t, k) => `setOutputAtIndex(${k + 1}, ${value[t]});`),
  ].join('\n    ');
  return runKernel(`lossSummary_${terms.join('_')}`, body, inputs, [terms.length + 1], 1, weights) as tf.Tensor1D;
}
