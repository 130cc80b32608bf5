import type { AnalysisSnapshot } from '../../src/protocol/analysisPanel';
import { el } from './dom';
import { formatCount, formatSeconds } from './format';
import { renderBannerList } from './pageParts';
import { allWarnings } from './warnings';

export function renderTitle(target: HTMLElement, title: string): void {
  target.textContent = title;
}

export function renderFacts(target: HTMLElement, s: AnalysisSnapshot): void {
  const m = s.metrics;
  const pairs =
    m.n_image === m.n_text ? `${formatCount(m.n)} pairs` : `${formatCount(m.n_image)} images, ${formatCount(m.n_text)} captions`;
  const fact = (label: string, value: string, cls = '') => el('div', { class: `fact ${cls}` }, el('dt', {}, label), el('dd', {}, value));
  target.replaceChildren(
    fact(s.files.length > 1 ? 'Files' : 'File', s.files.join(', ') || '—', 'files'),
    fact('Embeddings', `${pairs} × ${formatCount(m.dim)} dims`),
    fact('Backend', s.backend),
    fact('Time', formatSeconds(s.seconds)),
  );
}

export function renderWarnings(target: HTMLElement, s: AnalysisSnapshot): void {
  renderBannerList(target, allWarnings(s.warnings, s.metrics));
}

export function renderMetadata(target: HTMLElement, metadata: Record<string, string> | undefined): void {
  const entries = Object.entries(metadata ?? {});
  target.hidden = entries.length === 0;
  target.replaceChildren(
    el('summary', {}, `safetensors metadata (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'})`),
    el('table', { class: 'kv' }, el('tbody', {}, ...entries.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v))))),
  );
}
