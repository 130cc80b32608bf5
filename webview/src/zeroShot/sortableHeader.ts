import { el } from '../dom';

export interface SortState<Column extends string> {
  column: Column;
  ascending: boolean;
}

/**
 * A column heading that sorts the table: a real button inside the th (Tab reaches it, Enter and
 * Space press it), aria-sort on the th so screen readers announce the order.
 */
export function sortableHeader<Column extends string>(
  label: string,
  column: Column,
  sort: SortState<Column>,
  choose: (next: SortState<Column>) => void,
  cls = '',
): HTMLElement {
  const active = sort.column === column;
  const button = el('button', { type: 'button', class: 'sort-button', 'data-column': column }, label);
  button.addEventListener('click', () => choose({ column, ascending: active ? !sort.ascending : true }));
  return el(
    'th',
    { scope: 'col', class: cls, 'aria-sort': active ? (sort.ascending ? 'ascending' : 'descending') : 'none' },
    button,
  );
}
