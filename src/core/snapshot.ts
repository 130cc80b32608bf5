/** Turns an analysed checkpoint into the full snapshot the analysis view renders. */
import * as path from 'node:path';
import type { AnalyzedCheckpoint } from './analyzeFiles';
import type { Matrix } from './checkpoint';
import { histogram2 } from './metrics/histogram';
import { pca } from './projection/pca';
import { mulberry32 } from './random';
import type { AnalysisSnapshot, ScatterData } from '../protocol/analysisPanel';

/** Pairs drawn in the scatter; beyond this a seeded uniform sample keeps the chart responsive. */
export const maxScatterPairs = 5000;
const histogramBins = 60;

/** Indices of up to `k` of `n` items, a seeded uniform sample in increasing order. */
function samplePairs(n: number, k: number): Int32Array {
  if (n <= k) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(12345);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, k).sort();
}

async function scatter(a: AnalyzedCheckpoint): Promise<ScatterData> {
  const { image, text, textToImage } = a.checkpoint;
  const pairs = text.rows;
  const chosen = samplePairs(pairs, maxScatterPairs);
  const dim = image.cols;
  const points: Matrix = { rows: 2 * chosen.length, cols: dim, data: new Float32Array(2 * chosen.length * dim) };
  chosen.forEach((t, r) => {
    const i = textToImage ? textToImage[t] : t;
    points.data.set(image.data.subarray(i * dim, (i + 1) * dim), r * dim);
    points.data.set(text.data.subarray(t * dim, (t + 1) * dim), (chosen.length + r) * dim);
  });
  normalizeRows(points);
  const { projected, explained } = await pca(points, 2);
  const half = chosen.length * 2;
  return {
    image: Array.from(projected.subarray(0, half)),
    text: Array.from(projected.subarray(half, 2 * half)),
    explained: [explained[0], explained[1]],
    shown: chosen.length,
    total: pairs,
    rule: chosen.length < pairs ? `uniform random sample of ${chosen.length} pairs (seeded)` : undefined,
  };
}

function normalizeRows(m: Matrix): void {
  for (let r = 0; r < m.rows; r++) {
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
    let s = 0;
    for (let d = 0; d < row.length; d++) s += row[d] * row[d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < row.length; d++) row[d] *= inv;
  }
}

export async function buildSnapshot(a: AnalyzedCheckpoint, backend: string): Promise<AnalysisSnapshot> {
  const h = histogram2(a.detail.positive, a.detail.hardestNegativeI2T, histogramBins);
  const files = a.checkpoint.files;
  return {
    title: files.map((f) => path.basename(f)).join(' + '),
    files,
    metrics: a.result,
    warnings: a.checkpoint.warnings,
    metadata: a.checkpoint.metadata,
    scatter: await scatter(a),
    histogram: { edges: h.edges, positive: h.a, hardestNegative: h.b },
    reliability: a.detail.reliability,
    backend,
    seconds: a.seconds,
  };
}
