/** Turns an analysed checkpoint into the full snapshot the analysis view renders. */
import * as path from 'node:path';
import type { AnalyzedCheckpoint } from '../../core/analysis/analyzedCheckpoint';
import type { CancelToken } from '../../core/util/cancel';
import { temperatureSweep } from '../../core/calibration/temperatureSweep';
import type { Matrix } from '../../core/readers/checkpoint';
import { viewPairsOfCheckpoint, type ViewPairs } from '../../core/analysis/viewPairs';
import { histogram2 } from '../../core/metrics/histogram';
import { sampleIndices } from '../../core/metrics/sampled';
import { dosnes } from '../../core/projection/dosnes';
import { pca } from '../../core/projection/pca';
import { clampEps, linearBelow } from '../../core/train/mixup';
import { mulberry32 } from '../../core/util/random';
import { sampleBeta } from '../../core/train/betaSample';
import { guardDevice } from '../../core/backend/webgpuRung';
import type {
  AnalysisSnapshot,
  DosnesLayout,
  GeodesicArcs,
  ScatterData,
  SphereData,
} from '../../protocol/analysisPanel';
import type { DosnesInput } from '../../protocol/worker';

/** Pairs the PCA axes are fitted on (and the sphere draws): 2 x 5,000 points take under a second at D = 1,024 on wasm. */
export const maxFitPairs = 5000;
/** Pairs whose image and text the scatter joins with a line; more would paint a solid blob. */
export const maxPairLines = 2000;
/**
 * Pairs DOSNES lays out, a seeded sample of the sphere's: 2,000 points, the most the DOSNES paper's
 * figures show. It runs on demand (the view's toggle), since it takes a second or two.
 */
export const maxDosnesPairs = 1000;
/** Pairs whose geodesic arc the sphere draws for a run checkpoint; more would hide the points. */
export const maxArcPairs = 200;
/** Points along each arc: enough for a smooth curve at the sphere's size. */
const arcSteps = 17;
const histogramBins = 60;

/** Indices of up to `k` of `n` items, a seeded uniform sample in increasing order. */
const sampleOfIndices = (n: number, k: number, seed: number): Int32Array =>
  sampleIndices(n, Math.min(n, k), mulberry32(seed));

/** `row` L2-normalised into `out`. */
function unitRow(row: Float32Array, out: Float32Array): Float32Array {
  let s = 0;
  for (let d = 0; d < row.length; d++) s += row[d] * row[d];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let d = 0; d < row.length; d++) out[d] = row[d] * inv;
  return out;
}

/** The pairs the PCA axes are fitted on, as unit rows (images, then texts), and the fit itself. */
interface Fit {
  /** Pairs the scatter draws (indices of text rows), and which of them the fit uses (indices into chosen). */
  chosen: Int32Array;
  fit: Int32Array;
  points: Matrix;
  components: Float32Array;
  projected: Float32Array;
  explained: number[];
}

/**
 * PCA to 3D, fitted on a seeded sample of at most maxFitPairs of the drawn pairs (both modalities):
 * the same pairs and axes each time for the same checkpoint.
 */
async function fitPca(pairs: ViewPairs): Promise<Fit> {
  const { chosen, dim } = pairs;
  const fit = sampleOfIndices(chosen.length, maxFitPairs, 54321);
  const points: Matrix = { rows: 2 * fit.length, cols: dim, data: new Float32Array(2 * fit.length * dim) };
  fit.forEach((c, r) => {
    unitRow(pairs.imageRow(c), points.data.subarray(r * dim, (r + 1) * dim));
    unitRow(pairs.textRow(c), points.data.subarray((fit.length + r) * dim, (fit.length + r + 1) * dim));
  });
  return { chosen, fit, points, ...(await pca(points, 3)) };
}

/**
 * Every chosen pair projected onto the fitted axes, centred on the fit sample's mean. The 2D
 * scatter draws the first two coordinates of the drawn pairs (viewPairs.ts); the sphere the fit
 * sample's three, each point pushed onto the unit sphere.
 */
function projections(
  pairs: ViewPairs,
  metadata: Record<string, string> | undefined,
  f: Fit,
): { scatter: ScatterData; sphere: SphereData } {
  const { chosen, points, components, projected, explained } = f;
  const { dim, total } = pairs;
  // pca() centres on the fit points' mean, so that mean's projection is what the others subtract.
  const mean = new Float64Array(dim);
  for (let r = 0; r < points.rows; r++) for (let d = 0; d < dim; d++) mean[d] += points.data[r * dim + d] / points.rows;
  const offset = [0, 1, 2].map((c) => mean.reduce((s, v, d) => s + v * components[c * dim + d], 0));
  const buf = new Float32Array(dim);
  const project2 = (u: Float32Array, out: Float32Array, at: number) => {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += u[d] * components[c * dim + d];
      out[at + c] = s - offset[c];
    }
  };
  const imageXY = new Float32Array(2 * chosen.length);
  const textXY = new Float32Array(2 * chosen.length);
  for (let i = 0; i < chosen.length; i++) {
    project2(unitRow(pairs.imageRow(i), buf), imageXY, 2 * i);
    project2(unitRow(pairs.textRow(i), buf), textXY, 2 * i);
  }
  const lines = sampleOfIndices(chosen.length, maxPairLines, 999);
  const sampled = chosen.length < total;
  const scatter: ScatterData = {
    image: imageXY,
    text: textXY,
    explained: [explained[0], explained[1]],
    shown: chosen.length,
    total,
    rule: sampled ? `uniform random sample of ${chosen.length} pairs (seeded)` : undefined,
    lines: lines.length < chosen.length ? Array.from(lines) : undefined,
  };
  const runConfig = mixConfig(metadata);
  const arcs = runConfig && geodesicArcs(points, projected, offset, f.fit.length, runConfig);
  return { scatter, sphere: { ...sphere(projected, f.fit.length, explained, total), ...(arcs && { arcs }) } };
}

/**
 * beta and seed of the m²-Mix run that wrote this checkpoint (epochEvaluation.ts puts its config JSON in the
 * metadata), and the m²-Mix λ of the last step before it was written when the run recorded one.
 */
function mixConfig(
  metadata: Record<string, string> | undefined,
): { beta: number; seed: number; lambda?: number } | undefined {
  if (metadata?.config === undefined) return undefined;
  try {
    const c = JSON.parse(metadata.config) as { beta?: unknown; seed?: unknown };
    if (!(typeof c.beta === 'number' && c.beta > 0 && typeof c.seed === 'number')) return undefined;
    const used = metadata.lambda === undefined ? undefined : (JSON.parse(metadata.lambda) as { m2mix?: unknown }).m2mix;
    return { beta: c.beta, seed: c.seed, lambda: typeof used === 'number' ? used : undefined };
  } catch {
    return undefined; // someone else's `config` entry: not a run checkpoint
  }
}

/**
 * m_λ(x, y) = sin(λθ)/sinθ x + sin((1 - λ)θ)/sinθ y (core/train/mixup.ts) for a sample of the fit
 * pairs. Projection is linear, so each mix's PCA coordinates are the same combination of x's and y's
 * uncentred ones (projected + offset), less the offset; then pushed onto the sphere. m²-Mix mixes a
 * whole batch at one λ: the checkpoint's last step's λ, when recorded, marks every pair's hard
 * negative; older checkpoints get a draw of the run's Beta(β, β) per pair, seeded with its seed.
 */
function geodesicArcs(
  points: Matrix,
  projected: Float32Array,
  offset: number[],
  n: number,
  run: { beta: number; seed: number; lambda?: number },
): GeodesicArcs {
  const dim = points.cols;
  const rng = mulberry32(run.seed);
  const arcs: number[][] = [];
  const negatives: number[] = [];
  for (const r of sampleOfIndices(n, maxArcPairs, 1357)) {
    const x = points.data.subarray(r * dim, (r + 1) * dim);
    const y = points.data.subarray((n + r) * dim, (n + r + 1) * dim);
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += x[d] * y[d];
    // The clamp and the small-angle limit are mixup.ts's, so the curve is the one training mixed along.
    const theta = Math.acos(Math.min(1 - clampEps, Math.max(-1 + clampEps, dot)));
    const linear = theta < linearBelow;
    const at = (lambda: number, out: number[]) => {
      const ca = linear ? lambda : Math.sin(lambda * theta) / Math.sin(theta);
      const cb = linear ? 1 - lambda : Math.sin((1 - lambda) * theta) / Math.sin(theta);
      const p = [0, 1, 2].map(
        (c) => ca * (projected[3 * r + c] + offset[c]) + cb * (projected[3 * (n + r) + c] + offset[c]) - offset[c],
      );
      const len = Math.hypot(p[0], p[1], p[2]) || 1;
      out.push(...p.map((v) => v / len));
    };
    const arc: number[] = [];
    for (let s = 0; s < arcSteps; s++) at(1 - s / (arcSteps - 1), arc);
    arcs.push(arc);
    at(run.lambda ?? sampleBeta(rng, run.beta, run.beta), negatives);
  }
  return { arcs, negatives, beta: run.beta, seed: run.seed, lambda: run.lambda };
}

/** Mean of each of the three coordinates of the `count` points interleaved in `xyz` from `from`. */
function mean3(xyz: ArrayLike<number>, from: number, count: number): number[] {
  const m = [0, 0, 0];
  for (let r = from; r < from + count; r++) for (let c = 0; c < 3; c++) m[c] += xyz[3 * r + c] / count;
  return m;
}

/** Points `from`..`from + n` of `projected` (n x 3) pushed onto the unit sphere, and their mean. */
function onSphere(projected: Float32Array, from: number, n: number): { out: Float32Array; mean: number[] } {
  const out = new Float32Array(3 * n);
  const mean = [0, 0, 0];
  for (let r = 0; r < n; r++) {
    const p = projected.subarray(3 * (from + r), 3 * (from + r) + 3);
    const len = Math.hypot(p[0], p[1], p[2]) || 1;
    for (let c = 0; c < 3; c++) {
      out[3 * r + c] = p[c] / len;
      mean[c] += p[c] / len / n;
    }
  }
  return { out, mean };
}

/** The fit sample's 3D coordinates pushed onto the unit sphere, and the arrow between the modality means. */
function sphere(projected: Float32Array, n: number, explained: number[], total: number): SphereData {
  const i = onSphere(projected, 0, n);
  const t = onSphere(projected, n, n);
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

function dosnesInput(f: Fit): DosnesInput {
  const n = f.fit.length;
  const sample = sampleOfIndices(n, maxDosnesPairs, 2468);
  const k = sample.length;
  const dim = f.points.cols;
  const x = new Float32Array(2 * k * dim);
  const init = new Float32Array(2 * k * 3);
  sample.forEach((r, s) => {
    for (const [modality, from] of [
      [0, 0],
      [1, n],
    ]) {
      const row = modality * k + s;
      x.set(f.points.data.subarray((from + r) * dim, (from + r + 1) * dim), row * dim);
      const p = f.projected.subarray(3 * (from + r), 3 * (from + r) + 3);
      const len = Math.hypot(p[0], p[1], p[2]) || 1;
      for (let c = 0; c < 3; c++) init[row * 3 + c] = p[c] / len;
    }
  });
  return { x, init, pairs: k, dim };
}

/** Both modalities of the sample laid out together by DOSNES, and the arrow between their means. */
export function layOutDosnes(
  input: DosnesInput,
  options?: { token?: CancelToken; progress?: (fraction: number) => void },
): DosnesLayout {
  const k = input.pairs;
  const y = dosnes(input.x, 2 * k, input.dim, input.init, options);
  return {
    image: y.slice(0, 3 * k),
    text: y.slice(3 * k),
    gap: { from: mean3(y, 0, k), to: mean3(y, k, k) },
    dosnesPairs: k,
  };
}

/** The snapshot the analysis view renders (its DOSNES layout comes later, on demand), and the DOSNES input. */
export async function buildSnapshot(
  a: AnalyzedCheckpoint,
  backend: string,
): Promise<{ snapshot: AnalysisSnapshot; dosnes: DosnesInput }> {
  const h = histogram2(a.detail.positive, a.detail.hardestNegativeI2T, histogramBins);
  const { files, metadata } = a.checkpoint;
  const { rows } = a;
  const pairs = rows.kind === 'checkpoint' ? viewPairsOfCheckpoint(rows.checkpoint) : rows.pairs;
  const fit = await guardDevice('PCA of the scatter', () => fitPca(pairs));
  const { scatter, sphere } = projections(pairs, metadata, fit);
  const snapshot: AnalysisSnapshot = {
    kind: 'retrieval',
    title: files.map((f) => path.basename(f)).join(' + '),
    files,
    metrics: a.result,
    warnings: a.checkpoint.warnings,
    metadata,
    scatter,
    sphere,
    histogram: { edges: h.edges, positive: h.a, hardestNegative: h.b },
    reliability: a.detail.reliability,
    temperature:
      rows.kind === 'checkpoint'
        ? await guardDevice('temperature sweep', () =>
            temperatureSweep(
              rows.checkpoint.image,
              rows.checkpoint.text,
              rows.checkpoint.textToImage,
              a.result.ece_tau,
              a.detail.reliability.length,
            ),
          )
        : rows.temperature,
    ...(a.zeroShot && { zeroShot: a.zeroShot }),
    backend,
    seconds: a.seconds,
  };
  return { snapshot, dosnes: dosnesInput(fit) };
}
