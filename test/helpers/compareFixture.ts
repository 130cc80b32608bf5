/** Three checkpoints of the same pairs for the compare view's tests: shared by compare.test.ts and firstScreen.test.ts. */
import { sharedHistograms } from '../../src/snapshots/compare/histograms';
import { gaussian, mulberry32 } from '../../src/core/util/random';
import type { CompareData } from '../../src/protocol/comparePanel';
import { makeSnapshot } from './snapshotFixture';

export const compareNames = ['clip-vit-b32.npz', 'm2mix-epoch5.safetensors', 'random-init.npy'];

/** Three checkpoints of the same pairs; per-query ranks that improve for most queries and worsen for some. */
export function makeCompareData(pairs = 300, samePairs = true): CompareData {
  const rng = mulberry32(11);
  const base = Int32Array.from({ length: pairs }, () => Math.floor(-Math.log(1 - rng()) * 6));
  const checkpoints = compareNames.map((name, k) => {
    const n = samePairs || k === 0 ? pairs : pairs - 100;
    const ranks = Int32Array.from({ length: n }, (_, q) =>
      Math.max(0, base[q] + (k === 1 ? Math.round(gaussian(rng) * 3 - 1) : k === 2 ? 40 + q : 0)),
    );
    const fixture = makeSnapshot({ pairs: n, seed: 7 + k }).metrics;
    // An untrained model retrieves at chance.
    const result = k === 2 ? { ...fixture, i2t: { ...fixture.i2t, 'R@1': 0.4 } } : fixture;
    return {
      name,
      files: [`/workspace/${name}`],
      result,
      seconds: 0.5 + k,
      warnings: [],
      ranksI2T: ranks,
      ranksT2I: ranks,
      captions: Array.from({ length: n }, (_, q) => `a photo of object ${q}`),
    };
  });
  const sims = (mean: number) => Float32Array.from({ length: pairs }, () => mean + 0.05 * gaussian(rng));
  const histograms = sharedHistograms([sims(0.31), sims(0.35), sims(0.05)], [sims(0.27), sims(0.26), sims(0.1)], 40);
  return { checkpoints, histograms, backend: 'wasm', seconds: 4.2 };
}
