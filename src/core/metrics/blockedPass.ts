/**
 * The metric pass analyze() takes on wasm and cpu: one fused pass over all similarities. Nothing
 * N x N is ever held: row blocks of X [X^T | Y^T] and Y Y^T are multiplied, read back once, and
 * folded into float64 accumulators by tight loops over typed arrays (pool/runner.ts).
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
import { blockRows, bytesPerBlockRow } from './blocks';
import { modalityGap } from './modalityGap';
import { blockWorkerFile, runInProcess, runPool, type PoolBackend } from './pool/pool';
import { chunkCols, unitWidths } from './pool/runner';
import { sharedCopy, sharedOf, sharedDirectionStatistics, type PassSpec, type Unit } from './pool/spec';
import type { MetricPassInput, MetricPassResult } from './types';

/**
 * Below this many image x text pairs the pass takes a few tenths of a second in-process, less than
 * starting workers costs (each loads tfjs and rebuilds the transposed chunks); docs/performance.md
 * has the measurement.
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

export async function blockedPass(input: MetricPassInput): Promise<MetricPassResult> {
  const { ni, nt, dim } = input;
  const { uniformityT, eceTau, memoryBudgetBytes, token, onProgress } = input.options;
  const backend = tf.getBackend();
  const poolable = backend === 'wasm' || backend === 'cpu';
  const file = blockWorkerFile();
  const wanted = input.options.workers ?? (ni * nt >= minPoolPairs ? availableParallelism() : 1);
  const workers = poolable && file ? Math.max(1, wanted) : 1;
  const sampled = input.eceImages !== undefined;
  const columns = isIdentity(input.pairing.owner, ni);
  // Blocks of at most one chunk keep the diagonal phase small (it redoes one or two chunk products per block).
  // The budget is split between the runners; what a runner's block leaves of its share caches chunks.
  const perRunner = memoryBudgetBytes / workers;
  const rows = Math.min(chunkCols, blockRows(perRunner, Math.max(ni, nt), ni + nt));
  const imageUnits = blocks('image', ni, rows);
  const units = [...imageUnits, ...(columns && sampled ? [] : blocks('text', nt, rows))];
  const spec: PassSpec = {
    ni,
    nt,
    dim,
    uniformityT,
    eceTau,
    columns,
    sampled,
    x: sharedCopy(input.x),
    y: sharedCopy(input.y),
    pairing: {
      owner: sharedCopy(input.pairing.owner),
      captionStart: sharedCopy(input.pairing.captionStart),
      captions: sharedCopy(input.pairing.captions),
    },
    i2t: sharedDirectionStatistics(ni, nt, input.eceImages ?? allOf(ni)),
    t2i: sharedDirectionStatistics(nt, nt, input.eceTexts ?? allOf(nt)),
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
    onProgress?.(done / total, `block ${++finished} of ${count}${workers > 1 ? ` on ${workers} workers` : ''}`);
  };
  const col =
    workers > 1
      ? await runPool(spec, workers, file!, backend as PoolBackend, token, onUnit)
      : await runInProcess(spec, token, onUnit);

  const sum = (kind: Unit['kind'], part: 0 | 1) =>
    spec.units.reduce((s, u, i) => (u.kind === kind ? s + spec.unitSums[2 * i + part] : s), 0);
  const t2i = spec.t2i;
  if (col) {
    t2i.hardestNegative.set(col.hardestNegative);
    t2i.rank.set(col.rank);
    t2i.eceQueries.forEach((k, q) => {
      t2i.confidence[q] = 1 / col.sum[q];
      t2i.correct[q] = col.arg[q] === k ? 1 : 0;
    });
  }
  return {
    i2t: spec.i2t,
    t2i,
    expSum: { image: sum('image', 0), text: sum('text', 0), cross: sum('image', 1) },
    modalityGap: modalityGap(input.x, ni, input.y, nt, dim),
    notes: [],
  };
}
