/**
 * The one fused pass over all similarities. Nothing N x N is ever held: row blocks of
 * X [X^T | Y^T] and Y Y^T are multiplied, read back once, and folded into float64 accumulators by
 * tight loops over typed arrays (pool/runner.ts).
 *
 * With one caption per image, t2i comes from the columns of the X Y^T blocks: a third less matMul
 * work than separate Y X^T products. Its true-pair scores come from a first phase that repeats,
 * per image block, the exact matMul call holding the block's diagonal, so each text's candidates
 * and its true pair are the same float32 values and ties cannot flip. Multi-caption sets (shuffled
 * captions: a column's true pair can sit in any block) keep the separate Y X^T products.
 *
 * On wasm and cpu (one thread each in Node) the units are spread over one block worker per core.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { CancelToken, ProgressFn } from '../util/cancel';
import { blockRows, bytesPerBlockRow } from './blocks';
import type { Pairing } from './pairing';
import { blockWorkerFile, runInProcess, runPool, type PoolBackend } from './pool/pool';
import { chunkCols, unitWidths } from './pool/runner';
import { sharedCopy, sharedOf, sharedQueryStats, type PassSpec, type Unit } from './pool/spec';

export interface PassInput {
  x: Float32Array;
  y: Float32Array;
  ni: number;
  nt: number;
  dim: number;
  pairing: Pairing;
  uniformityT: number;
  eceTau: number;
  memoryBudgetBytes: number;
  /** Skip uniformity and compute softmax confidences only for these queries (sampled mode). */
  eceImages?: Int32Array;
  eceTexts?: Int32Array;
  /** Runner count; default: one per core on wasm/cpu for large enough sets, else 1 (in-process). */
  workers?: number;
  token?: CancelToken;
  onProgress?: ProgressFn;
}

/** Per-direction query statistics. */
export interface QueryStats {
  /** Similarity of the true pair, per text (i2t: as the image row saw it; t2i: as the text row saw it). */
  positive: Float32Array;
  hardestNegative: Float32Array;
  rank: Int32Array;
  /** Softmax confidence max_j p_qj and whether its argmax is a true match, per entry of `eceQueries`. */
  confidence: Float64Array;
  correct: Uint8Array;
  eceQueries: Int32Array;
}

export interface PassResult {
  /** Sums of exp(-t ||a - b||^2) over pairs i < j within images, within texts, and across (0 when sampled). */
  expSumImage: number;
  expSumText: number;
  expSumCross: number;
  i2t: QueryStats;
  t2i: QueryStats;
  /** Runners the pass used (1: in-process). */
  workers: number;
}

/**
 * Below this many image x text pairs the pass takes a few tenths of a second in-process, and starting
 * workers (each loads tfjs and rebuilds the transposed chunks) ate the gain: at 1,000 pairs 0.20 s
 * in-process against 0.29-0.33 s on two workers (2 cores, busy machine).
 */
const minPoolPairs = 1_500_000;

const allOf = (n: number) => Int32Array.from({ length: n }, (_, k) => k);

function isIdentity(owner: Int32Array, ni: number): boolean {
  if (owner.length !== ni) return false;
  for (let k = 0; k < ni; k++) if (owner[k] !== k) return false;
  return true;
}

function blocks(kind: Unit['kind'], n: number, rows: number): Unit[] {
  const out: Unit[] = [];
  for (let a = 0; a < n; a += rows) out.push({ kind, a, b: Math.min(n, a + rows), cost: 0 });
  return out;
}

export async function blockedPass(inp: PassInput): Promise<PassResult> {
  const { ni, nt, dim } = inp;
  const backend = tf.getBackend();
  const poolable = backend === 'wasm' || backend === 'cpu';
  const file = blockWorkerFile();
  const wanted = inp.workers ?? (ni * nt >= minPoolPairs ? availableParallelism() : 1);
  const workers = poolable && file ? Math.max(1, wanted) : 1;
  const sampled = inp.eceImages !== undefined;
  const columns = isIdentity(inp.pairing.owner, ni);
  // Blocks of at most one chunk keep the diagonal phase small (it redoes one or two chunk products per block).
  // The budget is split between the runners; what a runner's block leaves of its share caches chunks.
  const perRunner = inp.memoryBudgetBytes / workers;
  const rows = Math.min(chunkCols, blockRows(perRunner, Math.max(ni, nt), ni + nt));
  const imageUnits = blocks('image', ni, rows);
  const units = [...imageUnits, ...(columns && sampled ? [] : blocks('text', nt, rows))];
  const spec: PassSpec = {
    ni,
    nt,
    dim,
    uniformityT: inp.uniformityT,
    eceTau: inp.eceTau,
    columns,
    sampled,
    x: sharedCopy(inp.x),
    y: sharedCopy(inp.y),
    pairing: {
      owner: sharedCopy(inp.pairing.owner),
      captionStart: sharedCopy(inp.pairing.captionStart),
      captions: sharedCopy(inp.pairing.captions),
    },
    i2t: sharedQueryStats(ni, nt, inp.eceImages ?? allOf(ni)),
    t2i: sharedQueryStats(nt, nt, inp.eceTexts ?? allOf(nt)),
    chunkCacheBytes: Math.max(0, perRunner - rows * bytesPerBlockRow(ni + nt)),
    diagUnits: columns ? imageUnits.map((u) => ({ ...u, cost: (u.b - u.a) * chunkCols })) : [],
    units,
    unitSums: sharedOf(Float64Array, 2 * units.length),
    next: sharedOf(Int32Array, 2),
  };
  for (const u of spec.units) {
    const w = unitWidths(spec, u);
    u.cost = (u.b - u.a) * (w.within + w.cross);
  }
  const total = [...spec.diagUnits, ...spec.units].reduce((s, u) => s + u.cost, 0);
  let done = 0;
  let finished = 0;
  const count = spec.diagUnits.length + spec.units.length;
  const onUnit = (cost: number) => {
    done += cost;
    inp.onProgress?.(done / total, `block ${++finished} of ${count}${workers > 1 ? ` on ${workers} workers` : ''}`);
  };
  const col =
    workers > 1
      ? await runPool(spec, workers, file!, backend as PoolBackend, inp.token, onUnit)
      : await runInProcess(spec, inp.token, onUnit);

  const sum = (kind: Unit['kind'], part: 0 | 1) => spec.units.reduce((s, u, i) => (u.kind === kind ? s + spec.unitSums[2 * i + part] : s), 0);
  const t2i = spec.t2i;
  if (col) {
    t2i.hardestNegative.set(col.hardestNegative);
    t2i.rank.set(col.rank);
    t2i.eceQueries.forEach((k, q) => {
      t2i.confidence[q] = 1 / col.sum[q];
      t2i.correct[q] = col.arg[q] === k ? 1 : 0;
    });
  }
  return { expSumImage: sum('image', 0), expSumText: sum('text', 0), expSumCross: sum('image', 1), i2t: spec.i2t, t2i, workers };
}
