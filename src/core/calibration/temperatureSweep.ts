/**
 * ECE of image queries (METRICS.md: softmax over texts at temperature tau, 15 equal-width bins)
 * against tau on a log grid, for the calibration chart. The similarities come from the same tfjs
 * products as the blocked pass (a query block times column chunks of Y^T, `chunkCols` wide), so at
 * the configured tau the sweep reproduces result.ece; memory is one block x chunk at a time.
 *
 * The argmax, and so accuracy and R@1, does not depend on tau: only the confidences move. The torch
 * engine sweeps by the same rule (python/embedding_lens/views.py), where the rows already are.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '../readers/checkpoint';
import { expNonPositive } from '../metrics/fastExp';
import { normalizeRows } from '../metrics/normalize';
import { chunkCols } from '../metrics/pool/runner';
import { calibration } from '../metrics/reliability';
import { sampleIndices } from '../metrics/sampled';
import { mulberry32 } from '../util/random';

/** ECE against temperature, as the calibration chart draws it. */
export interface TemperatureSweep {
  /** Increasing temperatures; the configured one is among them. */
  taus: number[];
  ece: number[];
  /** The configured tau (the one the reported ECE uses). */
  tau: number;
  /** Queries the sweep softmaxed, out of all image queries; fewer means a seeded uniform sample. */
  queries: number;
  total: number;
}

/** Default grid: 20 temperatures evenly spaced in log from 0.002 to 0.2. */
export function logGrid(lo = 0.002, hi = 0.2, points = 20): number[] {
  return Array.from({ length: points }, (_, i) => lo * Math.pow(hi / lo, i / (points - 1)));
}

/**
 * Exponentials the sweep may take (queries x texts x taus): under a second with the table exp, so
 * the panel is not held up long after the exact analysis (at 6e8 it doubled a 5,000-pair analysis).
 * Up to it every query is used (all of them up to ~2,000 pairs); beyond, a seeded sample of
 * queries (never under 200).
 */
const exponentialBudget = 1e8;
const blockRows = 256;
/** The query sample's seed (python/embedding_lens/views.py's SWEEP_SEED). */
const querySeed = 777;
/** exp(-40) ~ 4e-18: terms this far below the maximum change a confidence by < N * 4e-18. */
const negligible = 40;

/** The temperatures a sweep measures: the grid and the configured one, increasing. */
export function sweptTemperatures(tau: number, grid: number[] = logGrid()): number[] {
  return [...new Set([...grid, tau])].sort((a, b) => a - b);
}

/**
 * image / text: raw rows (normalised here as analyze() does); textToImage: multi-caption owner of
 * each text (a hit is any caption of the query image).
 */
export async function temperatureSweep(
  image: Matrix,
  text: Matrix,
  textToImage: Int32Array | undefined,
  tau: number,
  bins: number,
  grid: number[] = logGrid(),
): Promise<TemperatureSweep> {
  const taus = sweptTemperatures(tau, grid);
  const ni = image.rows;
  const nt = text.rows;
  const dim = image.cols;
  const x = normalizeRows(image, 'image', 'image').data;
  const y = normalizeRows(text, 'text', 'text').data;
  const want = Math.max(200, Math.floor(exponentialBudget / (Math.max(1, nt) * taus.length)));
  const queries = sampleIndices(ni, Math.min(ni, want), mulberry32(querySeed));
  const confidence = taus.map(() => new Float64Array(queries.length));
  const correct = new Uint8Array(queries.length);

  // Y^T in column chunks, as the blocked pass lays them out.
  const chunks: tf.Tensor2D[] = [];
  for (let c = 0; c * chunkCols < nt; c++) {
    const w = Math.min(chunkCols, nt - c * chunkCols);
    const data = new Float32Array(dim * w);
    for (let r = 0; r < w; r++)
      for (let d = 0, base = (c * chunkCols + r) * dim; d < dim; d++) data[d * w + r] = y[base + d];
    chunks.push(tf.tensor2d(data, [dim, w]));
  }
  const row = new Float32Array(nt);
  const gaps = new Float64Array(nt);
  try {
    for (let a = 0; a < queries.length; a += blockRows) {
      const b = Math.min(queries.length, a + blockRows);
      const rows = new Float32Array((b - a) * dim);
      for (let q = a; q < b; q++) rows.set(x.subarray(queries[q] * dim, (queries[q] + 1) * dim), (q - a) * dim);
      const block = tf.tensor2d(rows, [b - a, dim]);
      const parts: Float32Array[] = [];
      try {
        for (const chunk of chunks) {
          const p = tf.matMul(block, chunk);
          parts.push((await p.data()) as Float32Array);
          p.dispose();
        }
      } finally {
        block.dispose();
      }
      for (let q = a; q < b; q++) {
        let off = 0;
        for (const v of parts) {
          const w = v.length / (b - a);
          row.set(v.subarray((q - a) * w, (q - a + 1) * w), off);
          off += w;
        }
        // First index of the maximum, as the blocked pass's online softmax keeps it.
        let m = -Infinity;
        let arg = 0;
        for (let j = 0; j < nt; j++) {
          if (row[j] > m) {
            m = row[j];
            arg = j;
          }
        }
        correct[q] = (textToImage ? textToImage[arg] : arg) === queries[q] ? 1 : 0;
        for (let j = 0; j < nt; j++) gaps[j] = row[j] - m;
        taus.forEach((t, k) => {
          const inv = 1 / t;
          const floor = -negligible * t;
          let z = 0;
          for (let j = 0; j < nt; j++) if (gaps[j] > floor) z += expNonPositive(gaps[j] * inv);
          confidence[k][q] = 1 / z;
        });
      }
    }
  } finally {
    chunks.forEach((c) => c.dispose());
  }
  return {
    taus,
    ece: taus.map((_, k) => calibration(confidence[k], correct, bins).ece),
    tau,
    queries: queries.length,
    total: ni,
  };
}
