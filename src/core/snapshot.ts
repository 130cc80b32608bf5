/** Turns an analysed checkpoint into the full snapshot the analysis view renders. */
import * as path from 'node:path';
import type { AnalyzedCheckpoint } from './analyzeFiles';
import { temperatureSweep } from './calibration/temperatureSweep';
import type { Matrix } from './checkpoint';
import { histogram2 } from './metrics/histogram';
import { pca } from './projection/pca';
import { mulberry32 } from './random';
import type { AnalysisSnapshot, ScatterData, SphereData } from '../protocol/analysisPanel';

/**
 * Pairs drawn in the 2D scatter; beyond this a seeded uniform sample. The chart stays interactive
 * at this size (ECharts' large mode), and projecting 200,000 points onto fitted axes is cheap.
 */
export const maxScatterPairs = 100_000;
/** Pairs the PCA axes are fitted on (and the sphere draws): a 2 x 5,000 x D covariance is quick. */
export const maxFitPairs = 5000;
/** Pairs whose image and text the scatter joins with a line; more would paint a solid blob. */
export const maxPairLines = 2000;
const histogramBins = 60;

/** Indices of up to `k` of `n` items, a seeded uniform sample in increasing order. */
function samplePairs(n: number, k: number, seed = 12345): Int32Array {
  if (n <= k) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(seed);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, k).sort();
}

/** Row `r` of `m`, L2-normalised, into `out`. */
function unitRow(m: Matrix, r: number, out: Float32Array): Float32Array {
  const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
  let s = 0;
  for (let d = 0; d < row.length; d++) s += row[d] * row[d];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let d = 0; d < row.length; d++) out[d] = row[d] * inv;
  return out;
}

/**
 * PCA to 3D, fitted on a sample of at most maxFitPairs pairs (both modalities), then every chosen
 * pair projected onto those axes, centred on the fit sample's mean. The 2D scatter draws the
 * first two coordinates of up to maxScatterPairs pairs; the sphere the fit sample's three,
 * each point pushed onto the unit sphere.
 */
async function projections(a: AnalyzedCheckpoint): Promise<{ scatter: ScatterData; sphere: SphereData }> {
  const { image, text, textToImage } = a.checkpoint;
  const pairs = text.rows;
  const dim = image.cols;
  const chosen = samplePairs(pairs, maxScatterPairs);
  const imageOf = (t: number) => (textToImage ? textToImage[t] : t);
  const fit = samplePairs(chosen.length, maxFitPairs, 54321);
  const points: Matrix = { rows: 2 * fit.length, cols: dim, data: new Float32Array(2 * fit.length * dim) };
  fit.forEach((c, r) => {
    const t = chosen[c];
    unitRow(image, imageOf(t), points.data.subarray(r * dim, (r + 1) * dim));
    unitRow(text, t, points.data.subarray((fit.length + r) * dim, (fit.length + r + 1) * dim));
  });
  const { components, projected, explained } = await pca(points, 3);
  // pca() centres on the fit points' mean, so that mean's projection is what the others subtract.
  const mean = new Float64Array(dim);
  for (let r = 0; r < points.rows; r++) for (let d = 0; d < dim; d++) mean[d] += points.data[r * dim + d] / points.rows;
  const offset = [0, 1, 2].map((c) => mean.reduce((s, v, d) => s + v * components[c * dim + d], 0));
  const buf = new Float32Array(dim);
  // Rounded to 1e-4 (a tenth of a pixel on a 1,000-pixel chart): at 100,000 pairs this halves the
  // snapshot the webview receives and keeps in its state.
  const project2 = (u: Float32Array, out: number[]) => {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += u[d] * components[c * dim + d];
      out.push(Math.round((s - offset[c]) * 1e4) / 1e4);
    }
  };
  const imageXY: number[] = [];
  const textXY: number[] = [];
  for (const t of chosen) {
    project2(unitRow(image, imageOf(t), buf), imageXY);
    project2(unitRow(text, t, buf), textXY);
  }
  const lines = samplePairs(chosen.length, maxPairLines, 999);
  const sampled = chosen.length < pairs;
  const scatter: ScatterData = {
    image: imageXY,
    text: textXY,
    explained: [explained[0], explained[1]],
    shown: chosen.length,
    total: pairs,
    rule: sampled ? `uniform random sample of ${chosen.length} pairs (seeded)` : undefined,
    lines: lines.length < chosen.length ? Array.from(lines) : undefined,
  };
  return { scatter, sphere: sphere(projected, fit.length, explained, pairs) };
}

/** The fit sample's 3D coordinates pushed onto the unit sphere, and the arrow between the modality means. */
function sphere(projected: Float32Array, n: number, explained: number[], total: number): SphereData {
  const onSphere = (from: number) => {
    const out: number[] = [];
    const mean = [0, 0, 0];
    for (let r = from; r < from + n; r++) {
      const p = projected.subarray(3 * r, 3 * r + 3);
      const len = Math.hypot(p[0], p[1], p[2]) || 1;
      for (let c = 0; c < 3; c++) {
        out.push(p[c] / len);
        mean[c] += p[c] / len / n;
      }
    }
    return { out, mean };
  };
  const i = onSphere(0);
  const t = onSphere(n);
  return {
    image: i.out,
    text: t.out,
    // The means of the drawn points lie inside the ball; the arrow joins them.
    gap: { from: i.mean, to: t.mean },
    explained: [explained[0], explained[1], explained[2]],
    shown: n,
    total,
  };
}

export async function buildSnapshot(a: AnalyzedCheckpoint, backend: string): Promise<AnalysisSnapshot> {
  const h = histogram2(a.detail.positive, a.detail.hardestNegativeI2T, histogramBins);
  const files = a.checkpoint.files;
  const { scatter, sphere } = await projections(a);
  return {
    title: files.map((f) => path.basename(f)).join(' + '),
    files,
    metrics: a.result,
    warnings: a.checkpoint.warnings,
    metadata: a.checkpoint.metadata,
    scatter,
    sphere,
    histogram: { edges: h.edges, positive: h.a, hardestNegative: h.b },
    reliability: a.detail.reliability,
    temperature: await temperatureSweep(a.checkpoint.image, a.checkpoint.text, a.checkpoint.textToImage, a.result.ece_tau, a.detail.reliability.length),
    backend,
    seconds: a.seconds,
  };
}
