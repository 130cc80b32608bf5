/** Per-query rank changes against the baseline, for checkpoints that hold the same pairs. */
import type { ComparedCheckpoint, RankChanges } from '../../protocol/comparePanel';

/** Largest gains and largest losses kept per compared checkpoint; the counts cover every query. */
export const rowsPerSide = 25;

function captionOf(c: ComparedCheckpoint, direction: 'i2t' | 't2i', query: number): string | undefined {
  const captions = c.captions;
  if (!captions) return undefined;
  // Image queries have a caption of their own only when there is one caption per image.
  if (direction === 'i2t' && c.result.n_image !== c.result.n_text) return undefined;
  return captions[query];
}

export function rankChanges(
  checkpoints: ComparedCheckpoint[],
  baseline: number,
  direction: 'i2t' | 't2i',
): RankChanges {
  const ranks = checkpoints.map((c) => (direction === 'i2t' ? c.ranksI2T : c.ranksT2I));
  const base = ranks[baseline];
  const improved: number[] = [];
  const worsened: number[] = [];
  const unchanged: number[] = [];
  const chosen = new Set<number>();
  ranks.forEach((r, c) => {
    let up = 0;
    let down = 0;
    const changed: number[] = [];
    for (let q = 0; q < base.length; q++) {
      if (r[q] < base[q]) up++;
      else if (r[q] > base[q]) down++;
      if (r[q] !== base[q]) changed.push(q);
    }
    improved.push(up);
    worsened.push(down);
    unchanged.push(base.length - up - down);
    if (c === baseline) return;
    changed.sort((a, b) => r[a] - base[a] - (r[b] - base[b]) || a - b);
    const gains = changed.slice(0, rowsPerSide).filter((q) => r[q] < base[q]);
    const losses = changed.slice(-rowsPerSide).filter((q) => r[q] > base[q]);
    for (const q of [...gains, ...losses]) chosen.add(q);
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
