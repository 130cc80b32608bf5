import { InputError } from '../util/errors';
import { normalizeRows } from '../metrics/normalize';
import { defaultAnalyzeOptions, type AnalyzeOptions } from '../metrics/types';
import type { ClassificationSet } from './classificationSet';
import { classVectors } from './classVectors';
import { zeroShotScorePass } from './scorePass';
import type { ZeroShotAnalysis } from './types';
import { summarizeZeroShot } from './zeroShotSummary';

export type ZeroShotOptions = Partial<
  Pick<AnalyzeOptions, 'eceTau' | 'eceBins' | 'memoryBudgetBytes' | 'token' | 'onProgress'>
>;

/** Top-1/top-5, balanced and per-class accuracy, confused pairs and ECE of one classification set (METRICS.md). */
export async function analyzeZeroShot(set: ClassificationSet, opts: ZeroShotOptions = {}): Promise<ZeroShotAnalysis> {
  const tau = opts.eceTau ?? defaultAnalyzeOptions.eceTau;
  const bins = opts.eceBins ?? defaultAnalyzeOptions.eceBins;
  if (!(tau > 0)) throw new InputError('settings', `ECE tau must be positive, got ${tau}`);
  const image = normalizeRows(set.image, set.file, 'image', new Float32Array(set.image.rows * set.image.cols));
  const { classes } = set.classEmbeds;
  const pass = await zeroShotScorePass({
    image: image.data,
    labels: set.labels,
    classVectors: classVectors(set.classEmbeds),
    n: set.image.rows,
    classes,
    dim: set.image.cols,
    tau,
    memoryBudgetBytes: opts.memoryBudgetBytes ?? defaultAnalyzeOptions.memoryBudgetBytes,
    token: opts.token,
    onProgress: opts.onProgress,
  });
  return summarizeZeroShot({ labels: set.labels, classes, pass, tau, bins, classNames: set.classNames });
}
