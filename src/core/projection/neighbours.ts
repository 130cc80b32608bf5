/**
 * Sparse t-SNE input affinities: exact k nearest neighbours of every unit row, a Gaussian over each
 * point's k neighbours at the wanted perplexity, then P = (P(j|i) + P(i|j)) / 2n stored row by row.
 */

/** P in compressed rows: row i's columns and values are cols / p over rowStart[i] .. rowStart[i + 1]. */
export interface SparseAffinities {
  readonly rowStart: Int32Array;
  /** Ascending within each row. */
  readonly cols: Int32Array;
  /** Symmetric (p of (i, j) equals p of (j, i)); all entries together sum to 1. */
  readonly p: Float64Array;
}

/** Called every few ms with a rough, increasing fraction of the work done, below 1. */
export type SearchTick = (fraction: number) => void;

/** Pair-loop rows between ticks: at n = 2,000, D = 512 the heaviest 32 rows take ~15 ms. */
const rowsPerTick = 32;
/** Bandwidth-search rows between ticks: ~7 ms at k = 90. */
const bandwidthRowsPerTick = 256;
/** The pair loop's part of the whole, for the ticks: at D = 512 it takes ~85% of the time (less at small D). */
const pairShare = 0.9;

/** Whether neighbour (d1, j1) ranks after (d2, j2): by squared distance, ties by index. */
function after(d1: number, j1: number, d2: number, j2: number): boolean {
  return d1 > d2 || (d1 === d2 && j1 > j2);
}

/**
 * Per point, a max-heap of its k nearest so far, ranked by `after` so that ties resolve the same
 * whichever order candidates arrive in.
 */
class NeighbourHeaps {
  readonly index: Int32Array;
  readonly dist: Float64Array;
  private readonly size: Int32Array;

  constructor(
    n: number,
    private readonly k: number,
  ) {
    this.index = new Int32Array(n * k);
    this.dist = new Float64Array(n * k);
    this.size = new Int32Array(n);
  }

  offer(i: number, j: number, d: number): void {
    const { index, dist, k } = this;
    const base = i * k;
    let at: number;
    if (this.size[i] < k) {
      // Sift up from the new last slot.
      at = this.size[i]++;
      while (at > 0) {
        const parent = base + ((at - 1) >> 1);
        if (after(dist[parent], index[parent], d, j)) break;
        dist[base + at] = dist[parent];
        index[base + at] = index[parent];
        at = parent - base;
      }
    } else {
      if (after(d, j, dist[base], index[base])) return;
      // Replace the farthest and sift down.
      at = 0;
      for (;;) {
        let child = 2 * at + 1;
        if (child >= k) break;
        if (
          child + 1 < k &&
          after(dist[base + child + 1], index[base + child + 1], dist[base + child], index[base + child])
        )
          child++;
        if (after(d, j, dist[base + child], index[base + child])) break;
        dist[base + at] = dist[base + child];
        index[base + at] = index[base + child];
        at = child;
      }
    }
    dist[base + at] = d;
    index[base + at] = j;
  }
}

function dot(x: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += x[a + d] * x[b + d];
  return s;
}

/**
 * The k nearest other rows of each of the n unit rows, by |a - b|² = 2 - 2 a.b, as n heaps of k
 * (unordered). Every pair's dot product is computed once, four rows against four at a time: sixteen
 * running sums per load of eight values, so each value loaded serves four products (about 3.5x
 * the speed of one pair at a time, docs/performance.md). Each sum still runs over d in order, so
 * distances equal the one-pair loop's.
 */
function nearestNeighbours(x: Float32Array, n: number, dim: number, k: number, tick?: SearchTick): NeighbourHeaps {
  const heaps = new NeighbourHeaps(n, k);
  const pair = (i: number, j: number, s: number): void => {
    const d = Math.max(0, 2 - 2 * s);
    heaps.offer(i, j, d);
    heaps.offer(j, i, d);
  };
  const totalPairs = (n * (n - 1)) / 2;
  const blocked = n - (n % 4);
  for (let i0 = 0; i0 < n; i0 += 4) {
    if (i0 % rowsPerTick === 0 && i0 > 0) tick?.((pairShare * (i0 * n - (i0 * (i0 + 1)) / 2)) / totalPairs);
    if (i0 >= blocked) {
      // The last n mod 4 rows, among themselves (the blocks above already paired them with the rest).
      for (let i = i0; i < n; i++) for (let j = i + 1; j < n; j++) pair(i, j, dot(x, i * dim, j * dim, dim));
      break;
    }
    for (let i = i0; i < i0 + 4; i++) for (let j = i + 1; j < i0 + 4; j++) pair(i, j, dot(x, i * dim, j * dim, dim));
    const a0 = i0 * dim;
    const a1 = a0 + dim;
    const a2 = a1 + dim;
    const a3 = a2 + dim;
    let j0 = i0 + 4;
    // Laid out as the 4 × 4 block of products it computes.
    // prettier-ignore
    for (; j0 + 4 <= n; j0 += 4) {
      const b0 = j0 * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let d = 0; d < dim; d++) {
        const u0 = x[a0 + d];
        const u1 = x[a1 + d];
        const u2 = x[a2 + d];
        const u3 = x[a3 + d];
        const v0 = x[b0 + d];
        const v1 = x[b1 + d];
        const v2 = x[b2 + d];
        const v3 = x[b3 + d];
        s00 += u0 * v0; s01 += u0 * v1; s02 += u0 * v2; s03 += u0 * v3;
        s10 += u1 * v0; s11 += u1 * v1; s12 += u1 * v2; s13 += u1 * v3;
        s20 += u2 * v0; s21 += u2 * v1; s22 += u2 * v2; s23 += u2 * v3;
        s30 += u3 * v0; s31 += u3 * v1; s32 += u3 * v2; s33 += u3 * v3;
      }
      pair(i0, j0, s00); pair(i0, j0 + 1, s01); pair(i0, j0 + 2, s02); pair(i0, j0 + 3, s03);
      pair(i0 + 1, j0, s10); pair(i0 + 1, j0 + 1, s11); pair(i0 + 1, j0 + 2, s12); pair(i0 + 1, j0 + 3, s13);
      pair(i0 + 2, j0, s20); pair(i0 + 2, j0 + 1, s21); pair(i0 + 2, j0 + 2, s22); pair(i0 + 2, j0 + 3, s23);
      pair(i0 + 3, j0, s30); pair(i0 + 3, j0 + 1, s31); pair(i0 + 3, j0 + 2, s32); pair(i0 + 3, j0 + 3, s33);
    }
    for (; j0 < n; j0++) for (let i = i0; i < i0 + 4; i++) pair(i, j0, dot(x, i * dim, j0 * dim, dim));
  }
  return heaps;
}

/**
 * P(j|i) over point i's k neighbours (`dist`, squared distances) for entropy log(perp), written into `out`.
 * Binary search on the precision beta, with distances offset by the nearest one so exp() never
 * underflows to an all-zero row.
 */
function conditionalRow(dist: Float64Array, target: number, out: Float64Array): void {
  const m = dist.length;
  let dmin = Infinity;
  for (let a = 0; a < m; a++) dmin = Math.min(dmin, dist[a]);
  let [beta, lo, hi] = [1, 0, Infinity];
  let sum = 0;
  for (let it = 0; it < 64; it++) {
    sum = 0;
    let spread = 0;
    for (let a = 0; a < m; a++) {
      out[a] = Math.exp(-beta * (dist[a] - dmin));
      sum += out[a];
      spread += out[a] * (dist[a] - dmin);
    }
    const entropy = Math.log(sum) + (beta * spread) / sum;
    if (Math.abs(entropy - target) < 1e-5) break;
    if (entropy > target) [lo, beta] = [beta, hi === Infinity ? beta * 2 : (beta + hi) / 2];
    else [hi, beta] = [beta, (beta + lo) / 2];
  }
  for (let a = 0; a < m; a++) out[a] /= sum;
}

/**
 * Symmetric joint affinities of the n >= 2 unit rows `x` (n x dim). Each conditional P(j|i) is a Gaussian
 * over the 3 * perplexity nearest neighbours only (as Barnes-Hut t-SNE does): the rest are ~0 anyway,
 * and P then has at most 2k entries per point on average (a point may be a neighbour of many others).
 */
export function sparseAffinities(
  x: Float32Array,
  n: number,
  dim: number,
  perplexity: number,
  tick?: SearchTick,
): SparseAffinities {
  const k = Math.min(n - 1, Math.ceil(3 * perplexity));
  const target = Math.log(Math.min(perplexity, k));
  const heaps = nearestNeighbours(x, n, dim, k, tick);
  const cond = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    if (i % bandwidthRowsPerTick === 0) tick?.(pairShare + ((1 - pairShare) * i) / n);
    conditionalRow(heaps.dist.subarray(i * k, (i + 1) * k), target, cond.subarray(i * k, (i + 1) * k));
  }

  // Each conditional entry (i, j) lands in row i and, mirrored, in row j. Bucket the 2nk entries by
  // column, then stably by row, so each row comes out sorted by column with the two halves of a
  // mutual pair side by side to add. Entry e holds the value cond[e >> 1].
  const entries = 2 * n * k;
  const rowOf = new Int32Array(entries);
  const colOf = new Int32Array(entries);
  for (let c = 0; c < n * k; c++) {
    rowOf[2 * c] = colOf[2 * c + 1] = (c / k) | 0;
    colOf[2 * c] = rowOf[2 * c + 1] = heaps.index[c];
  }
  const order = bucketOrder(rowOf, n, bucketOrder(colOf, n, null));
  // Rows arrive in order and none is empty (each holds its own k), so keeping rowStart[i + 1] at the
  // end of row i as it fills leaves rowStart[i] at row i's start.
  const rowStart = new Int32Array(n + 1);
  const cols = new Int32Array(entries);
  const p = new Float64Array(entries);
  let nnz = 0;
  for (let s = 0; s < entries; s++) {
    const e = order[s];
    const i = rowOf[e];
    if (nnz > rowStart[i] && cols[nnz - 1] === colOf[e]) p[nnz - 1] += cond[e >> 1];
    else {
      cols[nnz] = colOf[e];
      p[nnz++] = cond[e >> 1];
      rowStart[i + 1] = nnz;
    }
  }
  for (let s = 0; s < nnz; s++) p[s] /= 2 * n;
  return { rowStart, cols: cols.slice(0, nnz), p: p.slice(0, nnz) };
}

/** A stable counting sort of `within` (or of 0 .. keys.length - 1) by keys[e] in 0 .. buckets - 1. */
function bucketOrder(keys: Int32Array, buckets: number, within: Int32Array | null): Int32Array {
  const start = new Int32Array(buckets + 1);
  for (let e = 0; e < keys.length; e++) start[keys[e] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const out = new Int32Array(keys.length);
  for (let s = 0; s < keys.length; s++) {
    const e = within ? within[s] : s;
    out[start[keys[e]]++] = e;
  }
  return out;
}
