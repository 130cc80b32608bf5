/**
 * What every block runner (in-process or a block worker) needs, in shared memory: inputs, the
 * per-query outputs (each runner writes disjoint rows), per-unit partial sums and the work counters.
 * Everything here survives structured cloning with its SharedArrayBuffers still shared.
 */
import type { Pairing } from '../textToImagePairing';
import type { DirectionStatistics } from '../types';

/** Rows [a, b) of the image set (`image`) or of the text set (`text`); `cost` weighs progress. */
export interface Unit {
  kind: 'image' | 'text';
  a: number;
  b: number;
  cost: number;
}

/** A direction's query statistics, in shared memory so every runner writes its own rows. */
export interface SharedDirectionStatistics extends DirectionStatistics {
  /** Position of each query in `eceQueries`, or -1 when its confidence is not computed. */
  ecePos: Int32Array;
}

export interface PassSpec {
  ni: number;
  nt: number;
  dim: number;
  uniformityT: number;
  eceTau: number;
  /**
   * t2i statistics from the columns of the X Y^T blocks (identity pairing only): a first phase
   * computes each text's true-pair score with the very matMul call that later yields its candidates.
   */
  columns: boolean;
  /** Uniformity is estimated elsewhere: skip the within-set products and every uniformity term. */
  sampled: boolean;
  x: Float32Array;
  y: Float32Array;
  pairing: Pairing;
  i2t: SharedDirectionStatistics;
  t2i: SharedDirectionStatistics;
  /**
   * Backend bytes of transposed X^T/Y^T chunks each runner may keep across units (the budget its
   * block leaves); chunks beyond it are uploaded for one product and disposed, so a runner's backend
   * (a wasm heap never shrinks) holds one block and one chunk instead of all of X^T and Y^T.
   */
  chunkCacheBytes: number;
  /** Phase 1 units (columns mode: the image blocks), then phase 2 units. */
  diagUnits: Unit[];
  units: Unit[];
  /** Per phase-2 unit: sum within its set, sum across (image units only). */
  unitSums: Float64Array;
  /** Next unclaimed unit of phase 1 and of phase 2. */
  next: Int32Array;
}

export function sharedOf<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
  ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT));
}

/** `src` itself when it already lives in shared memory, else a shared copy. */
export function sharedCopy<T extends Float32Array | Int32Array>(src: T): T {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const out = sharedOf(src.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, src.length);
  out.set(src);
  return out;
}

export function sharedDirectionStatistics(
  queries: number,
  texts: number,
  eceQueries: Int32Array,
): SharedDirectionStatistics {
  const ecePos = sharedOf(Int32Array, queries).fill(-1);
  eceQueries.forEach((q, p) => (ecePos[q] = p));
  return {
    positive: sharedOf(Float32Array, texts),
    hardestNegative: sharedOf(Float32Array, queries),
    rank: sharedOf(Int32Array, queries),
    confidence: sharedOf(Float64Array, eceQueries.length),
    correct: sharedOf(Uint8Array, eceQueries.length),
    eceQueries: sharedCopy(eceQueries),
    ecePos,
  };
}
