/**
 * Every metric of shared/METRICS.md in one blocked pass (see blockedPass.ts).
 *
 * Multi-caption sets (ckpt.textToImage): the Nt (image(k), k) pairs are the unit of alignment and
 * of the positive similarities, and `n` counts them. Hardest-negative alignment i2t is the mean over
 * those pairs of ||x - y_k||^2 minus the image's hardest negative distance (its captions excluded),
 * which reduces to the METRICS.md formula with one caption per image. i2t ranks, hardest negatives
 * and ECE are per image; t2i ones per text.
 *
 * Sampled mode (samplePairs): the three uniformities come from random point pairs and both ECEs
 * from random queries, with standard errors in result.estimates; the pass then skips the
 * within-set products and most exponentials, while retrieval, alignment and the gap stay exact.
 */
import type { Checkpoint } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import { blockedPass } from './blockedPass';
import { mulberry32 } from '../util/random';
import { normalizeRows } from './normalize';
import { pairingOf } from './pairing';
import { sampledEce, sampledUniformity, sampleIndices, type Estimate } from './sampled';
import { summarize } from './summary';
import { defaultAnalyzeOptions, type AnalysisDetail, type AnalysisResult, type AnalyzeOptions } from './types';

export function resolveOptions(opts: Partial<AnalyzeOptions>): AnalyzeOptions {
  const o = { ...defaultAnalyzeOptions, ...opts };
  const bad = (what: string) => new InputError('settings', what);
  if (!(o.uniformityT > 0)) throw bad(`uniformity t must be positive, got ${o.uniformityT}`);
  if (!(o.eceTau > 0)) throw bad(`ECE tau must be positive, got ${o.eceTau}`);
  if (!Number.isInteger(o.eceBins) || o.eceBins < 1) throw bad(`ECE bins must be a positive integer, got ${o.eceBins}`);
  for (const k of o.ks) if (!Number.isInteger(k) || k < 1) throw bad(`R@K needs positive integer Ks, got ${k}`);
  if (o.samplePairs !== undefined && !(Number.isInteger(o.samplePairs) && o.samplePairs >= 2))
    throw bad(`the sample needs an integer of at least 2 pairs, got ${o.samplePairs}`);
  return o;
}

export function describeFiles(ckpt: Checkpoint): string {
  return ckpt.files.join(' + ') || 'embeddings';
}

/** || mean x - mean y || of the unit vectors, accumulated in float64. */
export function modalityGap(x: Float32Array, ni: number, y: Float32Array, nt: number, dim: number): number {
  const diff = new Float64Array(dim);
  for (let r = 0; r < ni; r++) for (let d = 0; d < dim; d++) diff[d] += x[r * dim + d] / ni;
  for (let r = 0; r < nt; r++) for (let d = 0; d < dim; d++) diff[d] -= y[r * dim + d] / nt;
  let s = 0;
  for (let d = 0; d < dim; d++) s += diff[d] * diff[d];
  return Math.sqrt(s);
}

export async function analyze(
  ckpt: Checkpoint,
  opts: Partial<AnalyzeOptions> = {},
): Promise<{ result: AnalysisResult; detail: AnalysisDetail }> {
  const o = resolveOptions(opts);
  const file = describeFiles(ckpt);
  const pairing = pairingOf(ckpt, file);
  const ni = ckpt.image.rows;
  const nt = ckpt.text.rows;
  const dim = ckpt.image.cols;
  const x = normalizeRows(ckpt.image, file, 'image');
  const y = normalizeRows(ckpt.text, file, 'text');
  const rng = mulberry32(o.sampleSeed);
  const sample = o.samplePairs;
  const pass = await blockedPass({
    x: x.data,
    y: y.data,
    ni,
    nt,
    dim,
    pairing,
    uniformityT: o.uniformityT,
    eceTau: o.eceTau,
    memoryBudgetBytes: o.memoryBudgetBytes,
    eceImages: sample ? sampleIndices(ni, Math.min(ni, sample), rng) : undefined,
    eceTexts: sample ? sampleIndices(nt, Math.min(nt, sample), rng) : undefined,
    workers: o.workers,
    token: o.token,
    onProgress: o.onProgress,
  });

  const { result, detail } = summarize(
    {
      ni,
      nt,
      dim,
      owner: pairing.owner,
      positive: pass.i2t.positive,
      i2t: pass.i2t,
      t2i: pass.t2i,
      expSum: { image: pass.expSumImage, text: pass.expSumText, cross: pass.expSumCross },
      gap: modalityGap(x.data, ni, y.data, nt, dim),
      norms: { image: x.norms, text: y.norms },
    },
    o,
  );
  if (sample) {
    const t = o.uniformityT;
    const [xs, ys] = [(i: number): [Float32Array, number] => [x.data, i * dim], (k: number): [Float32Array, number] => [y.data, k * dim]];
    const estimated: Record<'uniformity' | 'uniformity_image' | 'uniformity_text' | 'ece' | 'ece_t2i', Estimate> = {
      uniformity: await sampledUniformity(ni + nt, (i) => (i < ni ? xs(i) : ys(i - ni)), dim, t, sample, rng, o.token),
      uniformity_image: await sampledUniformity(ni, xs, dim, t, sample, rng, o.token),
      uniformity_text: await sampledUniformity(nt, ys, dim, t, sample, rng, o.token),
      ece: sampledEce(pass.i2t.confidence, pass.i2t.correct, o.eceBins, rng, pass.i2t.eceQueries.length === ni),
      ece_t2i: sampledEce(pass.t2i.confidence, pass.t2i.correct, o.eceBins, rng, pass.t2i.eceQueries.length === nt),
    };
    // Estimates replace the figures the pass skipped. The ECE keys count queries (image-text pairs),
    // the uniformity keys point pairs.
    for (const key of Object.keys(estimated) as (keyof typeof estimated)[]) result[key] = estimated[key].value;
    result.estimates = Object.fromEntries(
      Object.entries(estimated).map(([key, e]) => [key, { standard_error: e.standardError, sample_pairs: e.size }]),
    );
  }
  return { result, detail };
}
