/** Three checkpoints of the same pairs for the compare view's tests: shared by compare.test.ts and firstScreen.test.ts. */
import { compareDataOf } from '../../src/snapshots/compare/compareData';
import { gaussian, mulberry32 } from '../../src/core/util/random';
import type { CompareData } from '../../src/protocol/comparePanel';
import { makeSnapshot } from './snapshotFixture';

export const compareNames = ['clip-vit-b32.npz', 'm2mix-epoch5.safetensors', 'random-init.npy'];

/** Three checkpoints of the same pairs; per-query ranks that improve for most queries and worsen for some. */
export function makeCompareData(pairs = 300, samePairs = true): CompareData {
  const rng = mulberry32(11);
  const base = Int32Array.from({ length: pairs }, () => Math.floor(-Math.log(1 - rng()) * 6));
  const sims = (mean: number) => Float32Array.from({ length: pairs }, () => mean + 0.05 * gaussian(rng));
  const similarities = [
    [0.31, 0.27],
    [0.35, 0.26],
    [0.05, 0.1],
  ];
  const analyzed = compareNames.map((name, k) => {
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
      positive: sims(similarities[k][0]),
      hardestNegative: sims(similarities[k][1]),
    };
  });
  return compareDataOf(analyzed, 'wasm', 4.2);
}
