/**
 * The baseline the benchmark beats: the same metrics written the way one naturally would in
 * tfjs, with full N x N similarity matrices, transposeB products and one pass per metric, all in
 * float32. Only `npm run bench` uses it; analyze() is the product.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from '../readers/checkpoint';
import { describeFiles, resolveOptions } from './analyzeOptions';
import { modalityGap } from './modalityGap';
import { normalizeRows } from './normalize';
import { calibration } from './reliability';
import { retrievalStats } from './summary';
import { pairingOf } from './textToImagePairing';
import type { AnalysisResult, AnalyzeOptions } from './types';

/** Sum of exp(-t ||a_i - b_j||^2) over all pairs, or over i < j when `same` (a and b are one set). */
function logMeanKernel(a: tf.Tensor2D, b: tf.Tensor2D, t: number, same: boolean): tf.Tensor {
  return tf.tidy(() => {
    const sq = tf.sub(2, tf.mul(2, tf.matMul(a, b, false, true)));
    const total = tf.sum(tf.exp(tf.mul(-t, sq)));
    if (!same) return total;
    const n = a.shape[0];
    // The diagonal contributes exp(0) = 1 per point; halve the rest for i < j.
    return tf.div(tf.sub(total, n), 2);
  });
}

async function direction(s: tf.Tensor, isTrue: tf.Tensor, tau: number) {
  const [positive, rank, hardest, confidence, correct] = tf.tidy(() => {
    const neg = tf.fill(s.shape, -Infinity);
    const pos = tf.max(tf.where(tf.cast(isTrue, 'bool'), s, neg), 1, true);
    const argmax = tf.argMax(s, 1);
    return [
      pos,
      tf.sum(tf.cast(tf.greater(s, pos), 'int32'), 1),
      tf.max(tf.where(tf.cast(isTrue, 'bool'), neg, s), 1),
      tf.max(tf.softmax(tf.div(s, tau)), 1),
      tf.gatherND(isTrue, tf.stack([tf.range(0, s.shape[0], 1, 'int32'), tf.cast(argmax, 'int32')], 1)),
    ];
  });
  const out = {
    positive: (await positive.data()) as Float32Array,
    rank: (await rank.data()) as Int32Array,
    hardest: (await hardest.data()) as Float32Array,
    confidence: Float64Array.from(await confidence.data()),
    correct: Uint8Array.from(await correct.data()),
  };
  tf.dispose([positive, rank, hardest, confidence, correct]);
  return out;
}

export async function analyzeUnfused(ckpt: Checkpoint, opts: Partial<AnalyzeOptions> = {}): Promise<AnalysisResult> {
  const o = resolveOptions(opts);
  const file = describeFiles(ckpt);
  const { owner } = pairingOf(ckpt, file);
  const ni = ckpt.image.rows;
  const nt = ckpt.text.rows;
  const dim = ckpt.image.cols;
  const xn = normalizeRows(ckpt.image, file, 'image');
  const yn = normalizeRows(ckpt.text, file, 'text');
  const x = tf.tensor2d(xn.data, [ni, dim]);
  const y = tf.tensor2d(yn.data, [nt, dim]);
  // isTrue[i][k] = 1 when text k is a caption of image i.
  const isTrue = tf.tidy(() => tf.transpose(tf.cast(tf.oneHot(tf.tensor1d(owner, 'int32'), ni), 'float32')));
  const sim = tf.matMul(x, y, false, true);
  const simT = tf.matMul(y, x, false, true);
  const isTrueT = tf.transpose(isTrue);
  try {
    const t = o.uniformityT;
    const [sxx, syy, sxy] = [logMeanKernel(x, x, t, true), logMeanKernel(y, y, t, true), logMeanKernel(x, y, t, false)];
    const [exx, eyy, exy] = [await sxx.data(), await syy.data(), await sxy.data()].map((v) => v[0]);
    tf.dispose([sxx, syy, sxy]);
    const pairs = (m: number) => (m * (m - 1)) / 2;
    const i2t = await direction(sim, isTrue, o.eceTau);
    const t2i = await direction(simT, isTrueT, o.eceTau);
    const posSum = tf.tidy(() => tf.sum(tf.mul(sim, isTrue)));
    const posMean = (await posSum.data())[0] / nt;
    posSum.dispose();
    let hardestNegativeDistanceI2tSum = 0;
    let hardestNegativeAlignmentT2iSum = 0;
    for (let k = 0; k < nt; k++) {
      hardestNegativeDistanceI2tSum += 2 * i2t.hardest[owner[k]];
      hardestNegativeAlignmentT2iSum += 2 * t2i.hardest[k] - 2 * t2i.positive[k];
    }
    const i2tCal = calibration(i2t.confidence, i2t.correct, o.eceBins);
    return {
      n: nt,
      dim,
      uniformity: Math.log((exx + eyy + exy) / pairs(ni + nt)),
      uniformity_image: Math.log(exx / pairs(ni)),
      uniformity_text: Math.log(eyy / pairs(nt)),
      alignment: 2 - 2 * posMean,
      hardest_negative_alignment_i2t: hardestNegativeDistanceI2tSum / nt - 2 * posMean,
      hardest_negative_alignment_t2i: hardestNegativeAlignmentT2iSum / nt,
      modality_gap: modalityGap(xn.data, ni, yn.data, nt, dim),
      i2t: retrievalStats(i2t.rank, o.ks),
      t2i: retrievalStats(t2i.rank, o.ks),
      ece: i2tCal.ece,
      ece_t2i: calibration(t2i.confidence, t2i.correct, o.eceBins).ece,
      ece_tau: o.eceTau,
      uniformity_t: t,
      n_image: ni,
      n_text: nt,
      input_norms: { image: xn.norms, text: yn.norms },
    };
  } finally {
    tf.dispose([x, y, isTrue, isTrueT, sim, simT]);
  }
}
