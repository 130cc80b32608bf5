/**
 * A step's loss terms (a TermPlan) on webgpu, in as few dispatches as the math allows: on a GPU a
 * step is bound by dispatches, each costing about the same whatever its size. The images x and the
 * texts y become one tensor of rows; every input a mix or a pair term needs is gathered from it by
 * index (reversed rows included) rather than sliced, reversed and concatenated; the pair terms'
 * products run as batched products over the stacked terms; and the gradients of every term meet in
 * one kernel per destination. The math is opsTerms' (losses.ts), which the tests compare this with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGeodesicMix, fusedSoftmaxCrossEntropy } from './fusedKernels';
import { gatherRows, sumSlabs, type Slab } from './fusedRows';
import { planned, type LossTerm, type M3MixLoss, type Operand, type Rows, type TermPlan } from './termPlan';
import { inputNames, runKernel } from './webgpuKernel';

export function fusedTerms(x: tf.Tensor2D, y: tf.Tensor2D, plan: TermPlan): M3MixLoss {
  const [b, d] = x.shape;
  const xy = tf.concat([x, y]);
  /** Row of xy that row i of `r` is. */
  const rowOf = (r: Rows, i: number) => ({ x: i, y: b + i, rx: b - 1 - i, ry: 2 * b - 1 - i })[r];
  /** Row indices of blocks of B rows, block k's row i being row(k, i). */
  const indices = (blocks: number, row: (k: number, i: number) => number) => Int32Array.from({ length: blocks * b }, (_, j) => row(Math.floor(j / b), j % b));

  const mixes = plan.mixes;
  const lambdas = Float32Array.from(mixes.flatMap((m) => Array<number>(b).fill(m.lambda)));
  const mix = mixes.length
    ? fusedGeodesicMix(
        gatherRows([xy], indices(mixes.length, (k, i) => rowOf(mixes[k].a, i))),
        gatherRows([xy], indices(mixes.length, (k, i) => rowOf(mixes[k].b, i))),
        tf.tensor1d(lambdas),
      )
    : undefined;

  // Where each gradient goes: the rows of x (0) and y (1), reversed or not, and the output of each mix.
  const toXy: Slab[][] = [[], []];
  const toMix: Slab[][] = mixes.map(() => []);
  const toRows = (r: Rows, from: tf.Tensor, slab: number) => toXy[r === 'x' || r === 'rx' ? 0 : 1].push({ from, slab, reversed: r === 'rx' || r === 'ry' });
  const send = (o: Operand, from: tf.Tensor, slab: number) => (typeof o === 'number' ? toMix[o].push({ from, slab, reversed: false }) : toRows(o, from, slab));

  let pairLosses: tf.Tensor1D | undefined;
  if (plan.pairs.length) {
    const p = plan.pairs.length;
    const sources: [tf.Tensor2D] | [tf.Tensor2D, tf.Tensor2D] = mix ? [xy, mix.mixed] : [xy];
    // Row i of an operand: a row of xy, or of the mixes after xy's 2B rows.
    const side = (pick: (t: TermPlan['pairs'][number]) => Operand) =>
      tf.reshape(gatherRows(sources, indices(p, (k, i) => { const o = pick(plan.pairs[k]); return typeof o === 'number' ? 2 * b + o * b + i : rowOf(o, i); })), [p, b, d]) as tf.Tensor3D;
    // Its own scope: the P x B x B logits and their gradient go once the P x B x D gradients exist.
    const { losses, dA, dB } = tf.tidy(() => {
      const [as, bs] = [side((t) => t.a), side((t) => t.b)];
      const { losses, dS } = fusedSoftmaxCrossEntropy(
        tf.matMul(as, bs, false, true),
        plan.pairs.map((t) => t.alpha),
        plan.pairs.map((t) => t.beta),
        plan.pairs.map((t) => t.weight / (2 * b * plan.tau)),
        true,
        1 / plan.tau,
      );
      return { losses, dA: tf.matMul(dS, bs), dB: tf.matMul(dS, as, true, false) };
    });
    plan.pairs.forEach((t, k) => (send(t.a, dA, k), send(t.b, dB, k)));
    pairLosses = losses;
  }

  let m2Losses: tf.Tensor1D | undefined;
  if (plan.m2 && mix) {
    const { mix: m2, weight } = plan.m2;
    const { losses, dQ, dN } = tf.tidy(() => {
      const n = tf.slice(mix.mixed, [m2 * b, 0], [b, d]);
      const scale = weight / (b * plan.tauM);
      const { losses, dS } = fusedSoftmaxCrossEntropy(m2Logits(tf.matMul(xy, n, false, true), xy, plan.tauM), [1, 1], [0, 0], [scale, scale], false);
      const dQN = offDiagonal(dS);
      return { losses, dQ: m2Positives(tf.matMul(dQN, n), dS, xy), dN: tf.matMul(dQN, xy, true, false) };
    });
    send('x', dQ, 0);
    send('y', dQ, 1);
    send(m2, dN, 0);
    m2Losses = losses;
  }

  if (mix) {
    const [da, db] = mix.backward(sumSlabs(b, d, toMix));
    mixes.forEach((m, k) => (toRows(m.a, da, k), toRows(m.b, db, k)));
  }
  const terms = planned(plan);
  const values = lossSummary(plan, terms, pairLosses, m2Losses);
  return {
    loss: tf.reshape(tf.slice(values, [0], [1]), []) as tf.Scalar,
    dx: sumSlabs(b, d, [toXy[0]]),
    dy: sumSlabs(b, d, [toXy[1]]),
    values,
    terms,
  };
}

/**
 * m2-Mix's logits from the products q n^T (q = [x; y], 2B x B) as 2 x B x B: the off-diagonal ones
 * (negatives) as they are, the diagonal ones the positives x_i . y_i, all over tau_m.
 */
function m2Logits(qn: tf.Tensor2D, xy: tf.Tensor2D, tauM: number): tf.Tensor3D {
  const [b, d] = [qn.shape[1], xy.shape[1]];
  const body = `
    let b = uniforms.b;
    let d = uniforms.d;
    let r = index % (b * b);
    let i = r / b;
    var v = 0.0;
    if (r - i * b == i) {
      for (var k = 0; k < d; k++) { v += B[i * d + k] * B[(b + i) * d + k]; }
    } else {
      v = A[index];
    }
    setOutputAtIndex(index, v / uniforms.tau);`;
  return runKernel('m2Logits', body, [qn, xy], [2, b, b], 2 * b * b, { b: [b], d: [d], tau: tauM }) as tf.Tensor3D;
}

/** The gradient of m2-Mix's logits with its diagonal (the positives') zeroed, as the 2B x B gradient of q n^T. */
function offDiagonal(dS: tf.Tensor3D): tf.Tensor2D {
  const b = dS.shape[1];
  const body = `
    let b = uniforms.b;
    let r = index % (b * b);
    let i = r / b;
    setOutputAtIndex(index, select(A[index], 0.0, r - i * b == i));`;
  return runKernel('offDiagonal', body, [dS], [2 * b, b], 2 * b * b, { b: [b] }) as tf.Tensor2D;
}

/**
 * m2-Mix's gradient for q = [x; y]: that through the negatives (dq), plus that through the positives
 * x_i . y_i, whose gradient is the sum of the two diagonals of dS: it goes to x_i times y_i and back.
 */
function m2Positives(dq: tf.Tensor2D, dS: tf.Tensor3D, xy: tf.Tensor2D): tf.Tensor2D {
  const [b, d] = [dS.shape[1], xy.shape[1]];
  const body = `
    let b = uniforms.b;
    let d = uniforms.d;
    let row = index / d;
    let col = index - row * d;
    let i = row % b;
    let partner = select(row + b, row - b, row >= b);
    let positive = B[i * b + i] + B[b * b + i * b + i];
    setOutputAtIndex(index, A[index] + positive * C[partner * d + col]);`;
  return runKernel('m2Positives', body, [dq, dS, xy], [2 * b, d], 2 * b * d, { b: [b], d: [d] }) as tf.Tensor2D;
}

/** [weighted sum, each term's value] from the pair terms' losses and m2-Mix's two, weights as uniforms. */
function lossSummary(plan: TermPlan, terms: LossTerm[], pairLosses?: tf.Tensor1D, m2Losses?: tf.Tensor1D): tf.Tensor1D {
  const inputs: tf.Tensor[] = [];
  const value: Partial<Record<LossTerm, string>> = {};
  const weights: Record<string, number> = {};
  if (pairLosses) {
    inputs.push(pairLosses);
    plan.pairs.forEach((t, k) => ((value[t.term] = `A[${k}]`), (weights[`w_${t.term}`] = t.weight)));
  }
  if (m2Losses && plan.m2) {
    const name = inputNames[inputs.length];
    inputs.push(m2Losses);
    value.m2mix = `(${name}[0] + ${name}[1])`;
    weights.w_m2mix = plan.m2.weight;
  }
  const body = [
    `setOutputAtIndex(0, ${terms.map((t) => `uniforms.w_${t} * ${value[t]}`).join(' + ')});`,
    ...terms.map((t, k) => `setOutputAtIndex(${k + 1}, ${value[t]});`),
  ].join('\n    ');
  return runKernel(`lossSummary_${terms.join('_')}`, body, inputs, [terms.length + 1], 1, weights) as tf.Tensor1D;
}
