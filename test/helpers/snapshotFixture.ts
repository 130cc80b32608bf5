/**
 * Deterministic synthetic snapshots for the webview tests: every derived number (recall, ranks,
 * histogram counts, reliability bins, ECE) is computed here from seeded per-query draws, so the
 * counts add up the way a real analysis's do.
 */
import type { NormStats, ReliabilityBin, RetrievalStats } from '../../src/core/metrics/types';
import { gaussian, mulberry32, type Rng } from '../../src/core/util/random';
import { logGrid } from '../../src/core/calibration/temperatureSweep';
import type {
  AnalysisSnapshot,
  HistogramData,
  ScatterData,
  SphereData,
  TemperatureSweep,
} from '../../src/protocol/analysisPanel';

export interface FixtureOptions {
  pairs: number;
  seed: number;
  /** False gives input norms far from 1, as unnormalised features would. */
  unitNorms: boolean;
  /** Pairs the scatter claims to have drawn from; above `pairs` it reports a sample. */
  scatterTotal: number;
  /** Pairs the scatter draws; default `pairs`. */
  scatterShown?: number;
  metadata?: Record<string, string>;
  warnings: string[];
}

function retrieval(rng: Rng, n: number): RetrievalStats {
  // 0-based ranks of the true match: about half the queries hit first, with a long tail.
  const ranks = Array.from({ length: n }, () => Math.floor(-Math.log(1 - rng()) * 4 * rng()));
  const sorted = [...ranks].sort((a, b) => a - b);
  const mid = (n - 1) / 2;
  const median = (sorted[Math.floor(mid)] + sorted[Math.ceil(mid)]) / 2;
  const recall = (k: number) => (100 * ranks.filter((r) => r < k).length) / n;
  return {
    'R@1': recall(1),
    'R@5': recall(5),
    'R@10': recall(10),
    median_rank: median + 1,
    mean_rank: ranks.reduce((a, b) => a + b, 0) / n + 1,
  };
}

function histogram(rng: Rng, n: number, bins: number): HistogramData {
  const lo = -0.1;
  const hi = 0.5;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = (mean: number, sd: number) => {
    const c = new Array<number>(bins).fill(0);
    for (let i = 0; i < n; i++) {
      const v = mean + sd * gaussian(rng);
      c[Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)))]++;
    }
    return c;
  };
  return { edges, positive: counts(0.31, 0.04), hardestNegative: counts(0.27, 0.03) };
}

function reliability(rng: Rng, n: number, bins = 15): { bins: ReliabilityBin[]; ece: number } {
  const acc = Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: 0,
    conf: 0,
    correct: 0,
  }));
  for (let i = 0; i < n; i++) {
    const confidence = Math.min(0.999999, 0.35 + 0.65 * Math.sqrt(rng()));
    const bin = acc[Math.floor(confidence * bins)];
    bin.count++;
    bin.conf += confidence;
    bin.correct += rng() < confidence - 0.12 ? 1 : 0;
  }
  const out = acc.map((b) => ({
    lower: b.lower,
    upper: b.upper,
    count: b.count,
    confidence: b.count ? b.conf / b.count : 0,
    accuracy: b.count ? b.correct / b.count : 0,
  }));
  const ece = out.reduce((s, b) => s + (b.count / n) * Math.abs(b.accuracy - b.confidence), 0);
  return { bins: out, ece };
}

/** A U-shaped ECE curve over the log grid that passes through the reported ECE at tau = 0.01. */
function temperature(ece: number, n: number): TemperatureSweep {
  const taus = [...new Set([...logGrid(), 0.01])].sort((a, b) => a - b);
  return {
    taus,
    ece: taus.map((t) => Math.min(1, ece + 0.2 * Math.log10(t / 0.01) ** 2)),
    tau: 0.01,
    queries: n,
    total: n,
  };
}

/** Two caps on the unit sphere, text shifted along +x from image: a visible modality gap. */
function sphere(rng: Rng, n: number): SphereData {
  const cap = (shift: number) => {
    const out: number[] = [];
    const mean = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = [shift + 0.5 * gaussian(rng), 0.5 * gaussian(rng), 0.5 * gaussian(rng)];
      const len = Math.hypot(v[0], v[1], v[2]);
      v.forEach((e, c) => {
        out.push(e / len);
        mean[c] += e / len / n;
      });
    }
    return { out, mean };
  };
  const image = cap(-0.8);
  const text = cap(0.8);
  // The caps' first half stands in for the DOSNES sample: the view only needs points on the sphere,
  // and fewer of them than the PCA view tells the two apart.
  const k = Math.min(Math.ceil(n / 2), 500);
  const first = (xyz: number[]) => xyz.slice(0, 3 * k);
  const mean = (xyz: number[]) =>
    [0, 1, 2].map((c) => xyz.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / k);
  const dosnes = {
    image: Float32Array.from(first(image.out)),
    text: Float32Array.from(first(text.out)),
    gap: { from: mean(first(image.out)), to: mean(first(text.out)) },
    dosnesPairs: k,
  };
  return {
    image: Float32Array.from(image.out),
    text: Float32Array.from(text.out),
    gap: { from: image.mean, to: text.mean },
    explained: [0.41, 0.09, 0.05],
    shown: n,
    total: n,
    dosnes,
  };
}

function scatter(rng: Rng, shown: number, total: number): ScatterData {
  const image: number[] = [];
  const text: number[] = [];
  for (let i = 0; i < shown; i++) {
    const sx = 0.15 * gaussian(rng);
    const sy = 0.2 * gaussian(rng);
    image.push(-0.4 + sx + 0.05 * gaussian(rng), sy + 0.05 * gaussian(rng));
    text.push(0.4 + sx + 0.05 * gaussian(rng), sy + 0.05 * gaussian(rng));
  }
  return {
    image: Float32Array.from(image),
    text: Float32Array.from(text),
    explained: [0.412, 0.087],
    shown,
    total,
    rule: shown < total ? `uniform random sample of ${shown} pairs (seeded)` : undefined,
    // 2,000 evenly spaced pairs stand in for the snapshot's seeded sample of pair lines.
    lines: shown > 2000 ? Array.from({ length: 2000 }, (_, i) => Math.floor((i * shown) / 2000)) : undefined,
  };
}

function norms(rng: Rng, unit: boolean): NormStats {
  if (unit) return { min: 1 - 1e-7 * rng(), mean: 1, max: 1 + 1e-7 * rng() };
  const min = 6 + 2 * rng();
  return { min, mean: min + 3, max: min + 6 };
}

export function makeSnapshot(opts: Partial<FixtureOptions> = {}): AnalysisSnapshot {
  const o: FixtureOptions = { pairs: 400, seed: 7, unitNorms: true, scatterTotal: 0, warnings: [], ...opts };
  const n = o.pairs;
  const rng = mulberry32(o.seed);
  const rel = reliability(rng, n);
  const uniformityImage = -1.1 - 0.3 * rng();
  const uniformityText = -1.0 - 0.3 * rng();
  const alignment = 1.3 + 0.2 * rng();
  return {
    title: 'clip-fixture.safetensors',
    files: ['/workspace/embeddings/clip-fixture.safetensors'],
    metrics: {
      n,
      dim: 512,
      uniformity: (uniformityImage + uniformityText) / 2 - 0.4,
      uniformity_image: uniformityImage,
      uniformity_text: uniformityText,
      alignment,
      hardest_negative_alignment_i2t: -0.05 - 0.1 * rng(),
      hardest_negative_alignment_t2i: -0.04 - 0.1 * rng(),
      modality_gap: 0.8 + 0.1 * rng(),
      i2t: retrieval(rng, n),
      t2i: retrieval(rng, n),
      ece: rel.ece,
      ece_t2i: rel.ece * 0.9,
      ece_tau: 0.01,
      uniformity_t: 2,
      n_image: n,
      n_text: n,
      input_norms: { image: norms(rng, o.unitNorms), text: norms(rng, o.unitNorms) },
    },
    warnings: o.warnings,
    metadata: o.metadata,
    scatter: scatter(rng, o.scatterShown ?? n, Math.max(o.scatterShown ?? n, o.scatterTotal)),
    sphere: sphere(rng, Math.min(n, 5000)),
    histogram: histogram(rng, n, 48),
    reliability: rel.bins,
    temperature: temperature(rel.ece, n),
    backend: 'wasm',
    seconds: 1.234,
  };
}
