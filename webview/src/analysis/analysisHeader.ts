import { isRetrievalSnapshot, type PanelSnapshot } from '../../../src/protocol/analysisPanel';
import { el } from '../dom';
import { formatCount, formatSeconds } from '../format';
import { renderBannerList } from '../pageParts';
import { allWarnings } from './warnings';

export function renderTitle(target: HTMLElement, title: string): void {
  target.textContent = title;
}

/** What the file holds, in one line: pairs and width, a classification set's images and classes, or a suite's sets. */
function contents(s: PanelSnapshot): [string, string] {
  if (s.kind === 'suite')
    return [
      'Sets',
      `1 in-distribution + ${s.suite.shifted.length} shifted, ${formatCount(s.suite.inDistribution.result.classes)} classes`,
    ];
  if (!isRetrievalSnapshot(s))
    return [
      'Classification',
      `${formatCount(s.zeroShot.result.n)} images, ${formatCount(s.zeroShot.result.classes)} classes`,
    ];
  const m = s.metrics;
  const pairs =
    m.n_image === m.n_text
      ? `${formatCount(m.n)} pairs`
      : `${formatCount(m.n_image)} images, ${formatCount(m.n_text)} captions`;
  return ['Embeddings', `${pairs} × ${formatCount(m.dim)} dims`];
}

export function renderFacts(target: HTMLElement, s: PanelSnapshot): void {
  const fact = (label: string, value: string, cls = '') =>
    el('div', { class: `fact ${cls}` }, el('dt', {}, label), el('dd', {}, value));
  target.replaceChildren(
    fact(s.files.length > 1 ? 'Files' : 'File', s.files.join(', ') || '—', 'files'),
    fact(...contents(s)),
    fact('Backend', s.backend),
    fact('Time', formatSeconds(s.seconds)),
  );
}

export function renderWarnings(target: HTMLElement, s: PanelSnapshot): void {
  renderBannerList(target, isRetrievalSnapshot(s) ? allWarnings(s.warnings, s.metrics) : s.warnings);
}

export function renderMetadata(target: HTMLElement, metadata: Record<string, string> | undefined): void {
  const entries = Object.entries(metadata ?? {});
  target.hidden = entries.length === 0;
  target.replaceChildren(
    el('summary', {}, `safetensors metadata (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'})`),
    el(
      'table',
      { class: 'kv' },
      el('tbody', {}, ...entries.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v)))),
    ),
  );
}
