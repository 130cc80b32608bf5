/** Per-query rank changes against the baseline, for checkpoints that hold the same pairs. */
import type { AnalysisResult } from '../../core/metrics/types';
import type { RankChanges } from '../../protocol/comparePanel';

/** Largest gains and largest losses kept per compared checkpoint; the counts cover every query. */
export const rowsPerSide = 25;

/** A compared checkpoint's per-query arrays, which stay in the worker. */
export interface RankedCheckpoint {
  result: Pick<AnalysisResult, 'n_image' | 'n_text'>;
  /** 0-based rank of the true match per image query / per text query. */
  ranksI2T: Int32Array;
  ranksT2I: Int32Array;
  captions?: string[];
}

function captionOf(c: RankedCheckpoint, direction: 'i2t' | 't2i', query: number): string | undefined {
  const captions = c.captions;
  if (!captions) return undefined;
  // Image queries have a caption of their own only when there is one caption per image.
  if (direction === 'i2t' && c.result.n_image !== c.result.n_text) return undefined;
  return captions[query];
}

/**
 * The `rowsPerSide` smallest (key, tie) pairs offered, kept in order: one pass over a million queries,
 * where sorting them took a third of a second. Pairs are distinct (the tie is the query's).
 */
class Smallest {
  readonly keys: number[] = [];
  readonly ties: number[] = [];

  offer(key: number, tie: number): void {
    const before = (i: number) => this.keys[i] < key || (this.keys[i] === key && this.ties[i] < tie);
    let at = this.keys.length;
    if (at === rowsPerSide && before(at - 1)) return;
    while (at > 0 && !before(at - 1)) at--;
    this.keys.splice(at, 0, key);
    this.ties.splice(at, 0, tie);
    if (this.keys.length > rowsPerSide) {
      this.keys.pop();
      this.ties.pop();
    }
  }
}

/**
 * Counts every query's change against the baseline, and chooses per checkpoint the `rowsPerSide`
 * largest gains (rank change ascending, then query) and largest losses (rank change descending, then
 * query descending).
 */
export function rankChanges(checkpoints: RankedCheckpoint[], baseline: number, direction: 'i2t' | 't2i'): RankChanges {
  const ranks = checkpoints.map((c) => (direction === 'i2t' ? c.ranksI2T : c.ranksT2I));
  const base = ranks[baseline];
  const improved: number[] = [];
  const worsened: number[] = [];
  const unchanged: number[] = [];
  const chosen = new Set<number>();
  ranks.forEach((r, c) => {
    if (c === baseline) {
      improved.push(0);
      worsened.push(0);
      unchanged.push(base.length);
      return;
    }
    let up = 0;
    let down = 0;
    const gains = new Smallest();
    // Negated: the largest change, then the largest query, comes first.
    const losses = new Smallest();
    for (let q = 0; q < base.length; q++) {
      const change = r[q] - base[q];
      if (change < 0) {
        up++;
        gains.offer(change, q);
      } else if (change > 0) {
        down++;
        losses.offer(-change, -q);
      }
    }
    improved.push(up);
    worsened.push(down);
    unchanged.push(base.length - up - down);
    for (const q of gains.ties) chosen.add(q);
    for (const negated of losses.ties) chosen.add(-negated);
  });
  const captionSource = checkpoints.find((c) => c.captions);
  const rows = [...chosen]
    .sort((a, b) => a - b)
    .map((query) => ({
      query,
      caption: captionSource && captionOf(captionSource, direction, query),
      ranks: ranks.map((r) => r[query] + 1),
    }));
  return {
    direction,
    rows,
    improved,
    worsened,
    unchanged,
    rule: `the ${rowsPerSide} largest gains and ${rowsPerSide} largest losses of each checkpoint against the baseline, out of ${base.length.toLocaleString('en-US')} queries`,
  };
}
