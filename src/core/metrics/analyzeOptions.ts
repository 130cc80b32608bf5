import type { Checkpoint } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import { defaultAnalyzeOptions, type AnalyzeOptions } from './types';

/** The defaults filled in and every option checked, so a pass never sees a value it cannot use. */
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

/** How error messages name the checkpoint: its files, or 'embeddings' when it came from memory (training). */
export function describeFiles(ckpt: Checkpoint): string {
  return ckpt.files.join(' + ') || 'embeddings';
}
