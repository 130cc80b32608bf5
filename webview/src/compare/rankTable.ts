import type { CompareSnapshot, RankChangeRow, RankChanges } from '../../../src/protocol/comparePanel';
import { el } from '../dom';
import { formatCount } from '../format';

/** A column to sort by: the query index, or checkpoint c's rank or change against the baseline. */
type SortKey = { by: 'query' } | { by: 'rank' | 'change'; checkpoint: number };

interface Sort {
  key: SortKey;
  ascending: boolean;
}

function sortValue(row: RankChangeRow, key: SortKey, baseline: number): number {
  if (key.by === 'query') return row.query;
  return key.by === 'rank' ? row.ranks[key.checkpoint] : row.ranks[key.checkpoint] - row.ranks[baseline];
}

const sameKey = (a: SortKey, b: SortKey) =>
  a.by === b.by && (a.by === 'query' || (b.by !== 'query' && a.checkpoint === b.checkpoint));

/**
 * The per-query rank changes: largest gains and losses against the baseline, sortable by any column
 * (by the first compared checkpoint's change, biggest gains first, until the user picks another).
 */
export class RankTable {
  private sort: Sort | undefined;
  private snapshot: CompareSnapshot | undefined;
  private direction: 'i2t' | 't2i' = 'i2t';

  constructor(private readonly target: HTMLElement) {}

  render(s: CompareSnapshot, direction: 'i2t' | 't2i'): void {
    if (this.snapshot?.baseline !== s.baseline || this.snapshot.checkpoints.length !== s.checkpoints.length)
      this.sort = undefined;
    this.snapshot = s;
    this.direction = direction;
    this.draw();
  }

  private draw(): void {
    const s = this.snapshot;
    const changes = s?.rankChanges?.[this.direction];
    if (!s || !changes) {
      this.target.replaceChildren();
      return;
    }
    const compared = s.checkpoints.map((_, i) => i).filter((i) => i !== s.baseline);
    const sort = (this.sort ??= { key: { by: 'change', checkpoint: compared[0] }, ascending: true });
    const sign = sort.ascending ? 1 : -1;
    const rows = [...changes.rows].sort(
      (a, b) => sign * (sortValue(a, sort.key, s.baseline) - sortValue(b, sort.key, s.baseline)) || a.query - b.query,
    );
    const hasCaptions = changes.rows.some((r) => r.caption !== undefined);
    const header = (label: string, key: SortKey) => {
      const active = sameKey(key, sort.key);
      const th = el(
        'th',
        {
          scope: 'col',
          class: 'sortable',
          'aria-sort': active ? (sort.ascending ? 'ascending' : 'descending') : 'none',
          tabindex: '0',
        },
        label,
      );
      const choose = () => {
        this.sort = { key, ascending: active ? !sort.ascending : true };
        this.draw();
      };
      th.addEventListener('click', choose);
      th.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), choose()));
      return th;
    };
    const query = this.direction === 'i2t' ? 'Image' : 'Caption';
    const head = el(
      'tr',
      {},
      header(`${query} #`, { by: 'query' }),
      hasCaptions && el('th', { scope: 'col', class: 'text' }, 'Caption'),
      ...s.checkpoints.map((c, i) => header(`rank: ${c.name}`, { by: 'rank', checkpoint: i })),
      ...compared.map((i) => header(`Δ ${s.checkpoints[i].name}`, { by: 'change', checkpoint: i })),
    );
    const body = rows.map((r) =>
      el(
        'tr',
        { 'data-query': String(r.query) },
        el('td', { class: 'num' }, String(r.query + 1)),
        hasCaptions && el('td', { class: 'caption' }, r.caption ?? ''),
        ...r.ranks.map((rank) => el('td', { class: 'num' }, formatCount(rank))),
        ...compared.map((i) => {
          const d = r.ranks[i] - r.ranks[s.baseline];
          return el(
            'td',
            { class: `num ${d < 0 ? 'better' : d > 0 ? 'worse' : 'same'}`, 'data-change': String(d) },
            d === 0 ? '±0' : d < 0 ? `−${-d}` : `+${d}`,
          );
        }),
      ),
    );
    this.target.replaceChildren(
      el(
        'p',
        { class: 'note' },
        summary(s, changes, compared),
        ` Rows: ${changes.rule}. A lower rank is better (1 = the true match first).`,
      ),
      el(
        'div',
        { class: 'table-scroll ranks-scroll' },
        el('table', { class: 'compare-table ranks' }, el('thead', {}, head), el('tbody', {}, ...body)),
      ),
    );
  }
}

function summary(s: CompareSnapshot, c: RankChanges, compared: number[]): string {
  return compared
    .map(
      (i) =>
        `${s.checkpoints[i].name}: ${formatCount(c.improved[i])} queries ranked better, ${formatCount(c.worsened[i])} worse, ${formatCount(c.unchanged[i])} unchanged.`,
    )
    .join(' ');
}
