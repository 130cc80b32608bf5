/**
 * The metric pass analyze() takes on a GPU (webgpu, tfjs-node-gpu): same input and result as the
 * blocked pass (types.ts), but every reduction runs on the device. blockedPass.ts reads each B x N
 * Gram block back to JS, which on a GPU costs more in transfers and stalls than the products themselves.
 *
 * Layout: both modalities live on the device as chunks of `cols` rows (zero-padded, so every
 * product has one shape and one kernel: the true pair and its candidates come out of the same
 * arithmetic, as METRICS.md asks). A query block of `rows` rows is multiplied by one candidate
 * chunk at a time, and each B x cols tile is folded into per-query running vectors (sums of exp,
 * masked maxima, rank counts, an online softmax) that stay on the device. Only those vectors, one
 * read-back per query block, and two D-vectors for the gap come back.
 *
 * Texts are permuted so the captions of each image are contiguous: a query block's own candidates
 * then sit in one (rarely two) candidate chunks, whose tiles give the positives before the rest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled } from '../util/cancel';
import { CancelledError, InputError } from '../util/errors';
import {
  afterDeviceLoss,
  bindingLimit,
  deviceErrorLine,
  deviceLostError,
  releasePooledBuffers,
  withDeviceErrorsAsync,
} from '../backend/webgpuRung';
import type { AnalyzeOptions, DirectionStatistics, MetricPassInput, MetricPassResult } from './types';

/** Stands in for -infinity: WGSL need not honour infinities, and exp of it still underflows to 0. */
const BIG = 1e30;
/** Tile-sized tensors alive at the peak of one tile's reductions (product, masks, exp, temporaries). */
const liveTiles = 6;
/** More query rows per block would only lengthen each read-back; fewer blocks gain nothing more. */
const maxBlockRows = 4096;

export interface TileShape {
  /** Query rows per block (a power of two). */
  rows: number;
  /** Candidate rows per chunk (a multiple of `rows`). */
  cols: number;
}

/**
 * Tiles as large as the memory budget and the adapter's binding limit allow: a B x cols tile and a
 * cols x dim chunk must each fit in one storage binding.
 */
export function planTiles(budgetBytes: number, maxBindingBytes: number, dim: number, rows: number): TileShape {
  const maxElems = Math.floor(Math.min(budgetBytes / liveTiles, maxBindingBytes) / 4);
  const chunkCap = Math.floor(maxBindingBytes / 4 / dim);
  let b = 4;
  while (b * 2 <= maxBlockRows && b < rows && (b * 2) ** 2 <= maxElems) b *= 2;
  while (b > 1 && b > chunkCap) b /= 2;
  const colCap = Math.min(Math.floor(maxElems / b), chunkCap, Math.ceil(rows / b) * b);
  return { rows: b, cols: Math.max(b, Math.floor(colCap / b) * b) };
}

export class DeviceOutOfMemoryError extends Error {}

/** One modality on the device. */
interface Side {
  n: number;
  /** cols-row chunks of the unit vectors, zero rows past n. */
  chunks: tf.Tensor[];
  /** The image each row belongs to (an image: itself). */
  owner: Int32Array;
  /** owner per chunk as [1, cols] int32, -1 on padding. */
  ownerRows: tf.Tensor[];
  /** [1, cols]: 0 on real rows, -BIG on padding; only the last chunk has padding. */
  padBias: tf.Tensor;
}

function upload(data: Float32Array, n: number, dim: number, owner: Int32Array, cols: number): Side {
  const side: Side = { n, chunks: [], owner, ownerRows: [], padBias: tf.zeros([1, cols]) };
  for (let c = 0; c * cols < n; c++) {
    const real = Math.min(cols, n - c * cols);
    const block = new Float32Array(cols * dim);
    block.set(data.subarray(c * cols * dim, (c * cols + real) * dim));
    side.chunks.push(tf.tensor2d(block, [cols, dim]));
    const own = new Int32Array(cols).fill(-1);
    own.set(owner.subarray(c * cols, c * cols + real));
    side.ownerRows.push(tf.tensor2d(own, [1, cols], 'int32'));
    if (real < cols) {
      side.padBias.dispose();
      side.padBias = tf.tensor2d(
        Float32Array.from({ length: cols }, (_, j) => (j < real ? 0 : -BIG)),
        [1, cols],
      );
    }
  }
  return side;
}

function disposeSide(s: Side): void {
  tf.dispose([...s.chunks, ...s.ownerRows, s.padBias]);
}

/** One direction's statistics (positive: per query, the best own candidate), and its uniformity sums. */
interface DirectionRun {
  statistics: DirectionStatistics;
  /** Sum of exp(-t ||q - c||^2) over all query/candidate pairs (when asked for). */
  crossExpSum: number;
  /** Same over query pairs i < j within the query modality. */
  withinExpSum: number;
}

interface Direction {
  queries: Side;
  candidates: Side;
  /** Candidate positions [lo, hi) holding the own candidates of query rows [a, b). */
  ownRange: (a: number, b: number) => [number, number];
  crossUniformity: boolean;
}

/** Running per-query reductions of one query block, all [B] tensors on the device. */
type Running = Record<
  | 'positive'
  | 'rank'
  | 'hardestNegative'
  | 'softmaxMax'
  | 'softmaxSum'
  | 'crossExpSum'
  | 'withinExpSum'
  | 'softmaxArgmax',
  tf.Tensor
>;

interface PassParams {
  tile: TileShape;
  dim: number;
  t2: number;
  invTau: number;
}

/**
 * The products of one query block against one candidate chunk. Its own scope, like ownMask's: a
 * product and a mask are made per block and chunk, and an intermediate left in the caller's scope
 * would stay on the GPU for the rest of the job.
 */
function tileProduct(q: tf.Tensor, side: Side, c: number): tf.Tensor {
  return tf.tidy(() => {
    const s = tf.matMul(q, side.chunks[c], false, true);
    return c === side.chunks.length - 1 ? tf.add(s, side.padBias) : s;
  });
}

/** 1 where the candidate belongs to the query's image. */
const ownMask = (side: Side, c: number, rowOwner: tf.Tensor) =>
  tf.tidy(() => tf.cast(tf.equal(side.ownerRows[c], rowOwner), 'float32'));

/** Folds one cross tile (positives known) into the running vectors. */
function foldCross(
  r: Running,
  s: tf.Tensor,
  own: tf.Tensor | undefined,
  c: number,
  d: Direction,
  pp: PassParams,
): Running {
  return tf.tidy(() => {
    const tileMax = tf.max(s, 1);
    const tileSoftmaxSum = tf.sum(tf.exp(tf.mul(tf.sub(s, tf.expandDims(tileMax, 1)), pp.invTau)), 1);
    const tileArgmax = tf.add(tf.argMax(s, 1), tf.scalar(c * pp.tile.cols, 'int32'));
    const tileHardestNegative = own ? tf.max(tf.sub(s, tf.mul(own, BIG)), 1) : tileMax;
    const tileRank = tf.sum(tf.cast(tf.greater(s, tf.expandDims(r.positive, 1)), 'float32'), 1);
    const softmaxMax = tf.maximum(r.softmaxMax, tileMax);
    const next: Running = {
      positive: tf.clone(r.positive),
      rank: tf.add(r.rank, tileRank),
      hardestNegative: tf.maximum(r.hardestNegative, tileHardestNegative),
      softmaxMax,
      softmaxSum: tf.add(
        tf.mul(r.softmaxSum, tf.exp(tf.mul(tf.sub(r.softmaxMax, softmaxMax), pp.invTau))),
        tf.mul(tileSoftmaxSum, tf.exp(tf.mul(tf.sub(tileMax, softmaxMax), pp.invTau))),
      ),
      // Strictly greater: the first chunk holding the maximum keeps it, as a left-to-right scan would.
      softmaxArgmax: tf.where(tf.greater(tileMax, r.softmaxMax), tileArgmax, r.softmaxArgmax),
      crossExpSum: d.crossUniformity
        ? tf.add(r.crossExpSum, tf.sum(tf.exp(tf.mul(tf.sub(s, 1), pp.t2)), 1))
        : tf.clone(r.crossExpSum),
      withinExpSum: tf.clone(r.withinExpSum),
    };
    return next;
  });
}

/** exp(-t ||q_i - q_j||^2) summed over j > i of the query modality, added to r.withinExpSum. */
function foldWithin(r: Running, q: tf.Tensor, a: number, c: number, d: Direction, pp: PassParams): tf.Tensor {
  return tf.tidy(() => {
    const s = tileProduct(q, d.queries, c);
    let e: tf.Tensor = tf.exp(tf.mul(tf.sub(s, 1), pp.t2));
    if (c * pp.tile.cols < a + pp.tile.rows) {
      // The chunk holding the block's own rows: keep the strict upper triangle only.
      const col = tf.reshape(tf.range(c * pp.tile.cols, (c + 1) * pp.tile.cols, 1, 'int32'), [1, pp.tile.cols]);
      const row = tf.reshape(tf.range(a, a + pp.tile.rows, 1, 'int32'), [pp.tile.rows, 1]);
      e = tf.mul(e, tf.cast(tf.greater(col, row), 'float32'));
    }
    return tf.add(r.withinExpSum, tf.sum(e, 1));
  });
}

async function runDirection(
  d: Direction,
  pp: PassParams,
  progress: (done: number, what: string) => void,
  check: () => void,
): Promise<DirectionRun> {
  const { rows: B, cols } = pp.tile;
  const { queries: qs, candidates: cs } = d;
  const out: DirectionStatistics = {
    positive: new Float32Array(qs.n),
    rank: new Int32Array(qs.n),
    hardestNegative: new Float32Array(qs.n),
    confidence: new Float64Array(qs.n),
    correct: new Uint8Array(qs.n),
    eceQueries: Int32Array.from({ length: qs.n }, (_, k) => k),
  };
  let crossExpSum = 0;
  let withinExpSum = 0;
  for (let a = 0; a < qs.n; a += B) {
    const b = Math.min(qs.n, a + B);
    const [lo, hi] = d.ownRange(a, b);
    const ownChunks: number[] = [];
    for (let c = Math.floor(lo / cols); c * cols < hi; c++) ownChunks.push(c);
    const order = [...ownChunks, ...cs.chunks.map((_, c) => c).filter((c) => !ownChunks.includes(c))];
    const rowOwner = tf.tensor2d(
      Int32Array.from({ length: B }, (_, i) => (a + i < qs.n ? qs.owner[a + i] : -2)),
      [B, 1],
      'int32',
    );
    const q = tf.slice(qs.chunks[Math.floor(a / cols)], [a % cols, 0], [B, pp.dim]);
    let r: Running = {
      positive: tf.fill([B], -BIG),
      rank: tf.zeros([B]),
      hardestNegative: tf.fill([B], -BIG),
      softmaxMax: tf.fill([B], -BIG),
      softmaxSum: tf.zeros([B]),
      crossExpSum: tf.zeros([B]),
      withinExpSum: tf.zeros([B]),
      softmaxArgmax: tf.zeros([B], 'int32'),
    };
    const swap = (next: Running) => {
      tf.dispose(Object.values(r));
      r = next;
    };
    let kept: tf.Tensor | undefined;
    try {
      // Positives first: the best own candidate of each query, from the chunks that hold them.
      for (const c of ownChunks) {
        const s = tileProduct(q, cs, c);
        const positive = tf.tidy(() =>
          tf.maximum(r.positive, tf.max(tf.add(s, tf.mul(tf.sub(ownMask(cs, c, rowOwner), 1), BIG)), 1)),
        );
        r.positive.dispose();
        r.positive = positive;
        if (ownChunks.length === 1) kept = s;
        else s.dispose();
      }
      for (const c of order) {
        const s = kept ?? tileProduct(q, cs, c);
        kept = undefined;
        const own = ownChunks.includes(c) ? ownMask(cs, c, rowOwner) : undefined;
        try {
          swap(foldCross(r, s, own, c, d, pp));
        } finally {
          tf.dispose([s, ...(own ? [own] : [])]);
        }
      }
      for (let c = Math.floor(a / cols); c < qs.chunks.length; c++) {
        const w = foldWithin(r, q, a, c, d, pp);
        r.withinExpSum.dispose();
        r.withinExpSum = w;
      }
      const packed = tf.stack([r.positive, r.rank, r.hardestNegative, r.softmaxSum, r.crossExpSum, r.withinExpSum]);
      const [v, arg] = await Promise.all([
        packed.data() as Promise<Float32Array>,
        r.softmaxArgmax.data() as Promise<Int32Array>,
      ]);
      packed.dispose();
      for (let i = 0; i < b - a; i++) {
        const k = a + i;
        out.positive[k] = v[i];
        out.rank[k] = v[B + i];
        out.hardestNegative[k] = v[2 * B + i];
        out.confidence[k] = 1 / v[3 * B + i];
        out.correct[k] = cs.owner[arg[i]] === qs.owner[k] ? 1 : 0;
        crossExpSum += v[4 * B + i];
        withinExpSum += v[5 * B + i];
      }
    } finally {
      tf.dispose([q, rowOwner, ...Object.values(r), ...(kept ? [kept] : [])]);
    }
    check();
    progress(b, `rows ${a + 1}-${b} of ${qs.n}`);
  }
  return { statistics: out, crossExpSum, withinExpSum };
}

/** || mean x - mean y ||: per-dimension sums on the device (padding rows are zero), the rest in float64. */
async function modalityGapOnDevice(x: Side, y: Side): Promise<number> {
  const sum = (s: Side) => tf.tidy(() => tf.addN(s.chunks.map((c) => tf.sum(c, 0))));
  const sx = sum(x);
  const sy = sum(y);
  const [vx, vy] = await Promise.all([sx.data(), sy.data()]);
  tf.dispose([sx, sy]);
  let g = 0;
  for (let k = 0; k < vx.length; k++) g += (vx[k] / x.n - vy[k] / y.n) ** 2;
  return Math.sqrt(g);
}

export interface DevicePassResult extends MetricPassResult {
  /** The tiles the pass ran with (smaller than planned after out-of-memory retries). */
  tile: TileShape;
}

const isOutOfMemory = (err: unknown) =>
  err instanceof DeviceOutOfMemoryError ||
  (err instanceof Error && /out of memory|\bOOM\b|resource exhausted/i.test(err.message));

/** The metric pass with every reduction on the active tfjs backend's device; out of memory retries with smaller tiles. */
export async function devicePass(input: MetricPassInput): Promise<DevicePassResult> {
  const o: AnalyzeOptions = { ...input.options };
  const limit = Math.min(bindingLimit(), o.maxBindingBytes ?? Infinity);
  const longest = Math.max(input.ni, input.nt);
  const notes: string[] = [];
  let tile = planTiles(o.memoryBudgetBytes, limit, input.dim, longest);
  for (;;) {
    try {
      return { ...(await runOnce(input, o, tile)), tile, notes };
    } catch (err) {
      if (err instanceof CancelledError || err instanceof InputError) throw err;
      const lost = isOutOfMemory(err) ? deviceLostError('analysis') : await afterDeviceLoss('analysis');
      if (lost) throw lost;
      if (!isOutOfMemory(err) || tile.rows === 1) throw err;
      const failed = tile;
      tile = planTiles(o.memoryBudgetBytes / 2, limit, input.dim, longest);
      if (tile.rows * tile.cols >= failed.rows * failed.cols) tile = { rows: failed.rows / 2, cols: failed.cols / 2 };
      o.memoryBudgetBytes /= 2;
      // tfjs pooled the failed attempt's buffers, those it could not make among them: a retry would get them back.
      releasePooledBuffers();
      notes.push(
        `GPU out of memory with ${failed.rows} x ${failed.cols} tiles; retried with ${tile.rows} x ${tile.cols}`,
      );
    }
  }
}

async function runOnce(
  input: MetricPassInput,
  o: AnalyzeOptions,
  tile: TileShape,
): Promise<Omit<MetricPassResult, 'notes'>> {
  const { ni, nt, dim } = input;
  const { owner, captionStart, captions: perm } = input.pairing;
  // Texts sorted by image (perm = the captions of image 0, then of image 1...).
  const yp = new Float32Array(nt * dim);
  const ownerP = new Int32Array(nt);
  for (let k = 0; k < nt; k++) {
    yp.set(input.y.subarray(perm[k] * dim, (perm[k] + 1) * dim), k * dim);
    ownerP[k] = owner[perm[k]];
  }
  const total = ni + nt;
  const check = () => {
    const lost = deviceLostError('analysis');
    if (lost) throw lost;
    throwIfCancelled(o.token);
  };
  // Out of memory retries with smaller tiles; a kernel the device rejects reads zeros without a word.
  const { value, error } = await withDeviceErrorsAsync(async () => {
    const images = upload(
      input.x,
      ni,
      dim,
      Int32Array.from({ length: ni }, (_, i) => i),
      tile.cols,
    );
    const texts = upload(yp, nt, dim, ownerP, tile.cols);
    try {
      const pp: PassParams = { tile, dim, t2: 2 * o.uniformityT, invTau: 1 / o.eceTau };
      const i2t = await runDirection(
        {
          queries: images,
          candidates: texts,
          ownRange: (a, b) => [captionStart[a], captionStart[b]],
          crossUniformity: true,
        },
        pp,
        (done, what) => o.onProgress?.(done / total, `image ${what}`),
        check,
      );
      const t2i = await runDirection(
        {
          queries: texts,
          candidates: images,
          ownRange: (a, b) => [ownerP[a], ownerP[b - 1] + 1],
          crossUniformity: false,
        },
        pp,
        (done, what) => o.onProgress?.((ni + done) / total, `text ${what}`),
        check,
      );
      return { i2t, t2i, gap: await modalityGapOnDevice(images, texts) };
    } finally {
      disposeSide(images);
      disposeSide(texts);
    }
  });
  if (error?.kind === 'out of memory') throw new DeviceOutOfMemoryError(error.message);
  if (error) throw new Error(deviceErrorLine(error, ' of the analysis'));
  const t2i = unpermute(value.t2i.statistics, perm);
  return {
    // Each text's true pair is read once, from its own (t2i) product; the i2t tiles give each image's best caption only.
    i2t: { ...value.i2t.statistics, positive: t2i.positive },
    t2i,
    expSum: { image: value.i2t.withinExpSum, text: value.t2i.withinExpSum, cross: value.i2t.crossExpSum },
    modalityGap: value.gap,
  };
}

/** Per-text vectors back from the permuted (sorted by image) order to the input order. */
function unpermute(s: DirectionStatistics, perm: Int32Array): DirectionStatistics {
  const back = <T extends Float32Array | Int32Array | Float64Array | Uint8Array>(v: T): T => {
    const out = v.slice() as T;
    for (let k = 0; k < perm.length; k++) out[perm[k]] = v[k];
    return out;
  };
  return {
    positive: back(s.positive),
    rank: back(s.rank),
    hardestNegative: back(s.hardestNegative),
    confidence: back(s.confidence),
    correct: back(s.correct),
    eceQueries: s.eceQueries,
  };
}
