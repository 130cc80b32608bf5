import type { ZeroShotAnalysis } from '../../../src/core/classification/types';
import { el } from '../dom';
import { formatCount, formatMetric } from '../format';
import { classRows, type ClassRow } from './classes';
import { sortableHeader, type SortState } from './sortableHeader';

type ClassColumn = 'index' | 'name' | 'images' | 'accuracy';

const columns: { column: ClassColumn; label: string; cls: string }[] = [
  { column: 'index', label: '#', cls: 'num' },
  { column: 'name', label: 'Class', cls: '' },
  { column: 'images', label: 'Images', cls: 'num' },
  { column: 'accuracy', label: 'Top-1 accuracy', cls: 'num' },
];

/** Classes without images have no accuracy: they sort after every class that has one, either way round. */
function compare(a: ClassRow, b: ClassRow, sort: SortState<ClassColumn>): number {
  const sign = sort.ascending ? 1 : -1;
  if (sort.column === 'name') return sign * a.name.localeCompare(b.name) || a.index - b.index;
  if (sort.column === 'accuracy' && Number.isNaN(a.accuracy) !== Number.isNaN(b.accuracy))
    return Number.isNaN(a.accuracy) ? 1 : -1;
  const key = (r: ClassRow): number =>
    sort.column === 'accuracy'
      ? Number.isNaN(r.accuracy)
        ? 0
        : r.accuracy
      : sort.column === 'images'
        ? r.images
        : r.index;
  return sign * (key(a) - key(b)) || a.index - b.index;
}

/** A query matches a class by its name (any part, any case) or by its exact number. */
function matches(row: ClassRow, query: string): boolean {
  const q = query.trim().toLowerCase();
  return q === '' || row.name.toLowerCase().includes(q) || String(row.index) === q;
}

/**
 * Per-class accuracy: every class, sortable by any column, filtered by a search box. Sort and
 * filter survive a new snapshot (a re-run), so the class being looked at stays in view.
 */
export class ClassTable {
  readonly search = el('input', {
    type: 'search',
    id: 'class-search',
    class: 'search',
    placeholder: 'Filter by class name or number',
    'aria-label': 'Filter classes by name or number',
    'aria-controls': 'class-table',
  });
  private readonly count = el('p', { id: 'class-count', class: 'note', role: 'status', 'aria-live': 'polite' });
  private readonly table = el('div', { class: 'table-scroll class-scroll' });
  private sort: SortState<ClassColumn> = { column: 'index', ascending: true };
  private rows: ClassRow[] = [];

  constructor(target: HTMLElement) {
    target.replaceChildren(el('div', { class: 'table-tools' }, this.search, this.count), this.table);
    this.search.addEventListener('input', () => this.draw());
  }

  render(z: ZeroShotAnalysis): void {
    this.rows = classRows(z);
    this.draw();
  }

  private draw(): void {
    const shown = this.rows.filter((r) => matches(r, this.search.value)).sort((a, b) => compare(a, b, this.sort));
    this.count.textContent =
      shown.length === this.rows.length
        ? `${formatCount(this.rows.length)} classes`
        : `${formatCount(shown.length)} of ${formatCount(this.rows.length)} classes`;
    const choose = (next: SortState<ClassColumn>) => {
      this.sort = next;
      this.draw();
      // Redrawing replaced the heading; keep the keyboard where it was.
      this.table.querySelector<HTMLButtonElement>(`button[data-column="${next.column}"]`)?.focus();
    };
    const head = el('tr', {}, ...columns.map((c) => sortableHeader(c.label, c.column, this.sort, choose, c.cls)));
    const body = shown.map((r) =>
      el(
        'tr',
        { 'data-class': String(r.index) },
        el('td', { class: 'num' }, String(r.index)),
        el('td', { class: 'name' }, r.name),
        el('td', { class: 'num' }, formatCount(r.images)),
        el('td', { class: 'num', 'data-accuracy': String(r.accuracy) }, formatMetric(r.accuracy, true)),
      ),
    );
    this.table.replaceChildren(
      el('table', { id: 'class-table', class: 'data-table' }, el('thead', {}, head), el('tbody', {}, ...body)),
    );
  }
}
