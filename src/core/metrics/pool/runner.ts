/**
 * Runs units of the blocked pass on the current tfjs backend and folds them into the shared
 * outputs. The same code runs in-process and in each block worker, so both give the same numbers.
 *
 * X^T and Y^T are kept as column chunks of `chunkCols`, so every product is a plain matMul
 * (tfjs-wasm runs transposeB several times slower) against an operand small enough to stay in cache
 * (docs/performance.md has the figures). Chunks also give the triangle for
 * free: rows [a, b) of a set only need that set's columns from a's chunk on (pairs i < j).
 *
 * Chunks are transposed from the shared rows when a product needs them. A runner keeps them across
 * units only while spec.chunkCacheBytes allows: every chunk costs its backend twice its size (wasm's
 * XNNPACK keeps packed weights beside each B operand), and a wasm heap never shrinks, so caching all
 * of X^T and Y^T in every worker would hold gigabytes at N = 100,000. Past the cache a chunk lives
 * for one product: transposing, uploading and packing it costs a fraction of the product itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expNonPositive } from '../fastExp';
import { columnStats, type ColumnStats } from './columns';
import type { PassSpec, Unit } from './spec';

export const chunkCols = 512;

/**
 * Backend bytes one uploaded chunk of `w` columns holds while it lives: the tensor, and on wasm the
 * packed weights XNNPACK's fully-connected operator keeps beside it until the tensor is disposed.
 */
export const chunkBackendBytes = (dim: number, w: number): number => 2 * dim * w * 4;

/** Column width of a unit's product rows: within-set part (from its first chunk on) + cross part. */
export function unitWidths(spec: PassSpec, u: Unit): { from: number; within: number; cross: number } {
  const from = Math.floor(u.a / chunkCols) * chunkCols;
  const own = u.kind === 'image' ? spec.ni : spec.nt;
  const within = spec.sampled ? 0 : own - from;
  const cross = u.kind === 'image' ? spec.nt : spec.columns ? 0 : spec.ni;
  return { from, within, cross };
}

export class BlockRunner {
  /** This runner's share of the column statistics (columns mode). */
  readonly columns: ColumnStats | undefined;
  private readonly chunks = { x: [] as tf.Tensor2D[], y: [] as tf.Tensor2D[] };
  /** Backend bytes the cached chunks hold (spec.chunkCacheBytes at most). */
  private cachedBytes = 0;
  private buffer = new Float32Array(0);
  /** Transposition space for the next chunk upload. */
  private scratch = new Float32Array(0);

  constructor(private readonly spec: PassSpec) {
    this.columns = spec.columns ? columnStats(spec.nt, spec.t2i.eceQueries.length) : undefined;
  }

  /**
   * Columns [c * chunkCols, ...) of m^T, transposed in JS from the shared rows so the backend holds
   * only the chunk. Kept for later units while spec.chunkCacheBytes allows; otherwise `temp`: the
   * caller disposes it right after its product, which frees the backend's packed copy with it.
   */
  private chunk(which: 'x' | 'y', c: number): { t: tf.Tensor2D; temp: boolean } {
    const cached = this.chunks[which][c];
    if (cached) return { t: cached, temp: false };
    const { dim } = this.spec;
    const m = this.spec[which];
    const rows = m.length / dim;
    const w = Math.min(chunkCols, rows - c * chunkCols);
    // wasm copies a new tensor's values into its heap at once, so one scratch array serves every
    // upload; cpu keeps the array it is given, so there each chunk needs its own.
    if (this.scratch.length < dim * w || tf.getBackend() !== 'wasm') this.scratch = new Float32Array(dim * chunkCols);
    const data = this.scratch.subarray(0, dim * w);
    for (let r = 0; r < w; r++)
      for (let d = 0, base = (c * chunkCols + r) * dim; d < dim; d++) data[d * w + r] = m[base + d];
    const t = tf.tensor2d(data, [dim, w]);
    const bytes = chunkBackendBytes(dim, w);
    if (this.cachedBytes + bytes > this.spec.chunkCacheBytes) return { t, temp: true };
    this.cachedBytes += bytes;
    return { t: (this.chunks[which][c] = t), temp: false };
  }

  /** block x chunk c of `which`, read back (the chunk is disposed at once unless cached). */
  private async times(block: tf.Tensor2D, which: 'x' | 'y', c: number): Promise<{ v: Float32Array; w: number }> {
    const chunk = this.chunk(which, c);
    let p: tf.Tensor;
    try {
      p = tf.matMul(block, chunk.t);
    } finally {
      if (chunk.temp) chunk.t.dispose();
    }
    // Awaiting (not dataSync) lets an in-process caller's event loop breathe between products.
    try {
      return { v: (await p.data()) as Float32Array, w: p.shape[1] as number };
    } finally {
      p.dispose();
    }
  }

  private rowsOf(which: 'x' | 'y', a: number, b: number): tf.Tensor2D {
    const { dim } = this.spec;
    return tf.tensor2d(this.spec[which].subarray(a * dim, b * dim), [b - a, dim]);
  }

  /** block x chunks [first, last) laid side by side into the buffer (row width `width`) from column `offset`. */
  private async product(
    block: tf.Tensor2D,
    which: 'x' | 'y',
    first: number,
    last: number,
    offset: number,
    width: number,
  ): Promise<void> {
    const n = block.shape[0];
    for (let c = first; c < last; c++) {
      const { v, w } = await this.times(block, which, c);
      for (let r = 0; r < n; r++) this.buffer.set(v.subarray(r * w, (r + 1) * w), r * width + offset);
      offset += w;
    }
  }

  /**
   * Phase 1 of columns mode: the true-pair score of each text in image block [a, b), taken from
   * the same matMul call (same operands, same shapes) that the block's phase-2 product makes, so
   * the candidates in that text's column compare against a bitwise-identical value.
   */
  async diagonal(u: Unit): Promise<void> {
    const block = this.rowsOf('x', u.a, u.b);
    try {
      for (let c = Math.floor(u.a / chunkCols); c * chunkCols < u.b; c++) {
        const { v, w } = await this.times(block, 'y', c);
        const end = Math.min(u.b, c * chunkCols + w);
        for (let i = Math.max(u.a, c * chunkCols); i < end; i++)
          this.spec.t2i.positive[i] = v[(i - u.a) * w + i - c * chunkCols];
      }
    } finally {
      block.dispose();
    }
  }

  /**
   * A unit's product rows are [within-set part | cross part]. The two are multiplied and folded one
   * after the other through one buffer as wide as the wider part, not both: the within-set sum and
   * the cross statistics read disjoint columns, so each sum still runs row by row, column by column.
   */
  async run(index: number): Promise<void> {
    const u = this.spec.units[index];
    const { from, within, cross } = unitWidths(this.spec, u);
    const rows = u.b - u.a;
    if (this.buffer.length < rows * Math.max(within, cross))
      this.buffer = new Float32Array(rows * Math.max(within, cross));
    const [own, other] = u.kind === 'image' ? (['x', 'y'] as const) : (['y', 'x'] as const);
    const block = this.rowsOf(own, u.a, u.b);
    const chunksOf = (n: number) => Math.ceil(n / chunkCols);
    let inSet = 0;
    let across = 0;
    try {
      if (within) {
        await this.product(
          block,
          own,
          from / chunkCols,
          chunksOf(own === 'x' ? this.spec.ni : this.spec.nt),
          0,
          within,
        );
        inSet = withinSum(this.buffer, u, from, within, this.spec.uniformityT);
      }
      if (cross) {
        await this.product(block, other, 0, chunksOf(cross), 0, cross);
        if (u.kind === 'image') across = imageRows(this.buffer, u, this.spec, this.columns);
        else textRows(this.buffer, u, this.spec);
      }
    } finally {
      block.dispose();
    }
    this.spec.unitSums[2 * index] = inSet;
    this.spec.unitSums[2 * index + 1] = across;
  }

  dispose(): void {
    tf.dispose([...this.chunks.x, ...this.chunks.y].filter(Boolean));
    this.chunks.x = [];
    this.chunks.y = [];
    this.cachedBytes = 0;
    this.buffer = new Float32Array(0);
    this.scratch = new Float32Array(0);
  }
}

/** Sum of exp(-t ||a - b||^2) over the pairs i < j in the within-set rows [a, b) x [from, ...). */
function withinSum(products: Float32Array, u: Unit, from: number, within: number, uniformityT: number): number {
  const twoT = 2 * uniformityT;
  let withinExpSum = 0;
  for (let row = u.a; row < u.b; row++) {
    const rowStart = (row - u.a) * within;
    // ||a - b||^2 = 2 - 2 a.b on unit vectors, so exp(-t ||a - b||^2) = exp(2t s - 2t).
    for (let c = rowStart + row + 1 - from, end = rowStart + within; c < end; c++)
      withinExpSum += expNonPositive(twoT * products[c] - twoT);
  }
  return withinExpSum;
}

/**
 * The online softmax's running sum of exp((s - max) / tau) once `similarity` joins it: rescaled to
 * the new maximum when `similarity` exceeds `max`. The caller then takes `similarity` as its max
 * (and its index as the argmax) when it is strictly greater, so ties keep the first index.
 */
function softmaxSumWith(sum: number, max: number, similarity: number, invTau: number): number {
  return similarity > max
    ? sum * expNonPositive((max - similarity) * invTau) + 1
    : sum + expNonPositive((similarity - max) * invTau);
}

/**
 * Image rows of X Y^T (the cross part, row width nt); returns their uniformity sum. Multi-caption:
 * the rank counts texts above the best caption of the image (= the min rank over its captions), and
 * the hardest negative skips every caption of the image. Columns mode also folds each X Y^T column
 * into the t2i statistics.
 */
function imageRows(products: Float32Array, u: Unit, spec: PassSpec, columnStatistics: ColumnStats | undefined): number {
  const { nt, sampled } = spec;
  const { owner, captionStart, captions } = spec.pairing;
  const twoT = 2 * spec.uniformityT;
  const invTau = 1 / spec.eceTau;
  const imageToText = spec.i2t;
  const textPositive = spec.t2i.positive;
  const eceTexts = spec.t2i.eceQueries;
  let crossExpSum = 0;
  for (let image = u.a; image < u.b; image++) {
    const rowStart = (image - u.a) * nt;
    let bestCaptionSimilarity = -Infinity;
    for (let q = captionStart[image]; q < captionStart[image + 1]; q++) {
      const similarity = products[rowStart + captions[q]];
      imageToText.positive[captions[q]] = similarity;
      if (similarity > bestCaptionSimilarity) bestCaptionSimilarity = similarity;
    }
    const confidenceSlot = imageToText.ecePos[image];
    let rank = 0;
    let hardestNegative = -Infinity;
    let softmaxMax = -Infinity;
    let softmaxSum = 0;
    let softmaxArgmax = 0;
    for (let text = 0; text < nt; text++) {
      const similarity = products[rowStart + text];
      if (!sampled) crossExpSum += expNonPositive(twoT * similarity - twoT);
      if (similarity > bestCaptionSimilarity) rank++;
      if (similarity > hardestNegative && owner[text] !== image) hardestNegative = similarity;
      if (confidenceSlot >= 0) {
        softmaxSum = softmaxSumWith(softmaxSum, softmaxMax, similarity, invTau);
        if (similarity > softmaxMax) {
          softmaxMax = similarity;
          softmaxArgmax = text;
        }
      }
      if (columnStatistics) {
        // Columns mode has the identity pairing: image i is text j's own exactly when j === i.
        if (similarity > columnStatistics.hardestNegative[text] && text !== image)
          columnStatistics.hardestNegative[text] = similarity;
        if (similarity > textPositive[text]) columnStatistics.rank[text]++;
      }
    }
    imageToText.rank[image] = rank;
    imageToText.hardestNegative[image] = hardestNegative;
    if (confidenceSlot >= 0) {
      imageToText.confidence[confidenceSlot] = 1 / softmaxSum;
      imageToText.correct[confidenceSlot] = owner[softmaxArgmax] === image ? 1 : 0;
    }
    if (columnStatistics) {
      const { max, sum, arg } = columnStatistics;
      for (let q = 0; q < eceTexts.length; q++) {
        const similarity = products[rowStart + eceTexts[q]];
        sum[q] = softmaxSumWith(sum[q], max[q], similarity, invTau);
        if (similarity > max[q]) {
          max[q] = similarity;
          arg[q] = image;
        }
      }
    }
  }
  return crossExpSum;
}

/** Text rows of Y X^T (without columns mode only, row width ni): each caption ranks its own image among all images. */
function textRows(products: Float32Array, u: Unit, spec: PassSpec): void {
  const { ni } = spec;
  const { owner } = spec.pairing;
  const invTau = 1 / spec.eceTau;
  const textToImage = spec.t2i;
  for (let text = u.a; text < u.b; text++) {
    const rowStart = (text - u.a) * ni;
    const ownImage = owner[text];
    const positive = products[rowStart + ownImage];
    textToImage.positive[text] = positive;
    const confidenceSlot = textToImage.ecePos[text];
    let rank = 0;
    let hardestNegative = -Infinity;
    let softmaxMax = -Infinity;
    let softmaxSum = 0;
    let softmaxArgmax = 0;
    for (let image = 0; image < ni; image++) {
      const similarity = products[rowStart + image];
      if (similarity > positive) rank++;
      if (similarity > hardestNegative && image !== ownImage) hardestNegative = similarity;
      if (confidenceSlot >= 0) {
        softmaxSum = softmaxSumWith(softmaxSum, softmaxMax, similarity, invTau);
        if (similarity > softmaxMax) {
          softmaxMax = similarity;
          softmaxArgmax = image;
        }
      }
    }
    textToImage.rank[text] = rank;
    textToImage.hardestNegative[text] = hardestNegative;
    if (confidenceSlot >= 0) {
      textToImage.confidence[confidenceSlot] = 1 / softmaxSum;
      textToImage.correct[confidenceSlot] = softmaxArgmax === ownImage ? 1 : 0;
    }
  }
}
