import type { ZeroShotAnalysis } from '../../../src/core/classification/types';
import { el } from '../dom';
import { formatCount, formatMetric } from '../format';
import { classLabel } from './classes';

/** The most confused (true → predicted) pairs, largest counts first as the analysis lists them. */
export function renderConfusedPairs(target: HTMLElement, z: ZeroShotAnalysis): void {
  const pairs = z.result.confused;
  if (pairs.length === 0) {
    target.replaceChildren(el('p', { class: 'note' }, 'Every image was classified correctly: no confused pairs.'));
    return;
  }
  const heading = (h: string, cls = '') => el('th', { scope: 'col', class: cls }, h);
  const head = el(
    'tr',
    {},
    heading('True class'),
    heading(''),
    heading('Predicted class'),
    heading('Count', 'num'),
    heading('Share of the true class', 'num'),
  );
  const rows = pairs.map(([truth, predicted, count]) => {
    const images = z.detail.perClassCount[truth] ?? 0;
    return el(
      'tr',
      { 'data-true': String(truth), 'data-predicted': String(predicted), 'data-count': String(count) },
      el('td', { class: 'name' }, classLabel(z, truth)),
      el('td', { class: 'arrow', 'aria-label': 'predicted as' }, '→'),
      el('td', { class: 'name' }, classLabel(z, predicted)),
      el('td', { class: 'num' }, formatCount(count)),
      el('td', { class: 'num' }, images ? formatMetric((100 * count) / images, true) : '—'),
    );
  });
  target.replaceChildren(
    el(
      'p',
      { class: 'note' },
      `The ${formatCount(pairs.length)} most frequent mistakes: images of the true class whose highest score went to the predicted one.`,
    ),
    el(
      'div',
      { class: 'table-scroll' },
      el('table', { id: 'confused-table', class: 'data-table' }, el('thead', {}, head), el('tbody', {}, ...rows)),
    ),
  );
}
