/** What a comparison can and cannot show when checkpoints differ in their pairs or their width. */
import type { AnalysisResult } from '../../core/metrics/types';

/** Same pairs: the same number of images and of captions, so query i means the same item in each. */
export function samePairs(results: AnalysisResult[]): boolean {
  return results.every((r) => r.n_image === results[0].n_image && r.n_text === results[0].n_text);
}

function distinct(values: number[]): string {
  return [...new Set(values)].map((v) => v.toLocaleString('en-US')).join(', ');
}

/** One sentence per thing that cannot be compared, naming the checkpoints' differing sizes. */
export function notComparable(names: string[], results: AnalysisResult[]): string[] {
  const out: string[] = [];
  if (!samePairs(results)) {
    const sizes = results.map(
      (r, i) =>
        `${names[i]}: ${r.n_image === r.n_text ? `${r.n_image} pairs` : `${r.n_image} images, ${r.n_text} captions`}`,
    );
    out.push(
      `The checkpoints hold different numbers of pairs (${sizes.join('; ')}), so query i is not the same item in each: ` +
        'the per-pair rank changes are unavailable. The metrics are still comparable, as averages over each set.',
    );
  }
  const dims = results.map((r) => r.dim);
  if (new Set(dims).size > 1) {
    out.push(
      `The checkpoints have different embedding widths (D = ${distinct(dims)}), so they live in different spaces: ` +
        'geometry overlays in one shared projection are unavailable. Uniformity, alignment, gap and retrieval are still comparable.',
    );
  }
  return out;
}
