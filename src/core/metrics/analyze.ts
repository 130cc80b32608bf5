/**
 * Every metric of shared/METRICS.md for one checkpoint: the one entry the CLI and the worker (through
 * analysis/analyzeFiles.ts), the trainer and the benchmarks call. It picks the pass for the backend:
 * on a GPU backend (webgpu, tfjs-node-gpu) the device pass (devicePass.ts), whose reductions stay on
 * the device; on wasm and cpu the blocked pass (blockedPass.ts), which folds read-back blocks in JS.
 *
 * Multi-caption sets (ckpt.textToImage): the Nt (image(k), k) pairs are the unit of alignment and
 * of the positive similarities, and `n` counts them. Hardest-negative alignment i2t is the mean over
 * those pairs of ||x - y_k||^2 minus the image's hardest negative distance (its captions excluded),
 * which reduces to the METRICS.md formula with one caption per image. i2t ranks, hardest negatives
 * and ECE are per image; t2i ones per text.
 *
 * Sampled mode (samplePairs, blocked pass only: a GPU runs 100,000 pairs exactly in seconds): the
 * three uniformities come from random point pairs and both ECEs from random queries, with standard
 * errors in result.estimates; the pass then skips the within-set products and most exponentials,
 * while retrieval, alignment and the gap stay exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from '../readers/checkpoint';
import { mulberry32 } from '../util/random';
import { resolveOptions } from './analyzeOptions';
import { blockedPass } from './blockedPass';
import { devicePass } from './devicePass';
import { metricPassInput } from './passInput';
import { sampledEce, sampledUniformity, sampleIndices, type Estimate } from './sampled';
import { summarize } from './summary';
import type { AnalyzeOptions, MetricAnalysis } from './types';

/** Backends whose data lives on a device: they take the device pass, not the JS-accumulated one. */
const deviceBackends = new Set(['webgpu', 'tensorflow']);

export async function analyze(ckpt: Checkpoint, opts: Partial<AnalyzeOptions> = {}): Promise<MetricAnalysis> {
  const options = resolveOptions(opts);
  const input = metricPassInput(ckpt, options);
  if (deviceBackends.has(tf.getBackend())) {
    const pass = await devicePass(input);
    return { ...summarize(input, pass), notes: pass.notes };
  }
  const { ni, nt, dim, x, y } = input;
  const rng = mulberry32(options.sampleSeed);
  const sample = options.samplePairs;
  if (sample) {
    input.eceImages = sampleIndices(ni, Math.min(ni, sample), rng);
    input.eceTexts = sampleIndices(nt, Math.min(nt, sample), rng);
  }
  const pass = await blockedPass(input);
  const { result, detail } = summarize(input, pass);
  if (sample) {
    const t = options.uniformityT;
    const token = options.token;
    const imagePoint = (i: number): [Float32Array, number] => [x, i * dim];
    const textPoint = (k: number): [Float32Array, number] => [y, k * dim];
    const estimated: Record<'uniformity' | 'uniformity_image' | 'uniformity_text' | 'ece' | 'ece_t2i', Estimate> = {
      uniformity: await sampledUniformity(
        ni + nt,
        (i) => (i < ni ? imagePoint(i) : textPoint(i - ni)),
        dim,
        t,
        sample,
        rng,
        token,
      ),
      uniformity_image: await sampledUniformity(ni, imagePoint, dim, t, sample, rng, token),
      uniformity_text: await sampledUniformity(nt, textPoint, dim, t, sample, rng, token),
      ece: sampledEce(pass.i2t.confidence, pass.i2t.correct, options.eceBins, rng, pass.i2t.eceQueries.length === ni),
      ece_t2i: sampledEce(
        pass.t2i.confidence,
        pass.t2i.correct,
        options.eceBins,
        rng,
        pass.t2i.eceQueries.length === nt,
      ),
    };
    // Estimates replace the figures the pass skipped. The ECE keys count queries (image-text pairs),
    // the uniformity keys point pairs.
    for (const key of Object.keys(estimated) as (keyof typeof estimated)[]) result[key] = estimated[key].value;
    result.estimates = Object.fromEntries(
      Object.entries(estimated).map(([key, e]) => [key, { standard_error: e.standardError, sample_pairs: e.size }]),
    );
  }
  return { result, detail, notes: pass.notes };
}
