/** The zero-shot section of the analysis view: cards, reliability, worst classes, per-class table, confused pairs. */
import type { ZeroShotAnalysis } from '../../../src/core/classification/types';
import { analysisCharts, type AnalysisChart } from '../../../src/protocol/analysisPanel';
import { imageButtons, type ImageButton } from '../charts/chartExport';
import { el } from '../dom';
import { formatCount } from '../format';
import { chartPanel } from '../pageParts';
import { collapsibleSection } from '../sections';
import { ClassTable } from './classTable';
import { worstClassesShown } from './classes';
import { renderConfusedPairs } from './confusedPairs';
import { zeroShotCards } from './zeroShotCards';
import './zeroShot.css';

export interface ZeroShotSection {
  section: HTMLElement;
  charts: Record<'zeroShotReliability' | 'worstClasses', HTMLElement>;
  render(z: ZeroShotAnalysis, heading: string): void;
}

export function buildZeroShotSection(exportImage: ImageButton[], onExpand: () => void): ZeroShotSection {
  const panel = (name: AnalysisChart, note: HTMLElement, wide: boolean) => {
    const chart = analysisCharts.find((c) => c.id === name)!;
    return chartPanel(name, chart.title, note, {
      wide,
      action: el('div', { class: 'chart-actions' }, ...imageButtons(chart, exportImage)),
    });
  };
  const reliabilityNote = el('p', { class: 'note', id: 'zero-shot-ece-note' });
  const worstNote = el('p', { class: 'note', id: 'worst-classes-note' });
  const reliability = panel('zeroShotReliability', reliabilityNote, false);
  const worst = panel('worstClasses', worstNote, false);
  const title = el('span', { id: 'zero-shot-title' });
  const summary = el('p', { class: 'note', id: 'zero-shot-note' });
  const cards = el('div', { id: 'zero-shot-cards', class: 'card-grid' });
  const classTarget = el('div', { id: 'class-accuracy' });
  const confused = el('div', { id: 'confused-pairs' });
  const classTable = new ClassTable(classTarget);
  const subsection = (heading: string, body: HTMLElement) =>
    el('section', { class: 'section' }, el('h3', { class: 'section-title' }, heading), body);
  const { section, body } = collapsibleSection('zero-shot', title, { onExpand });
  section.classList.add('zero-shot');
  section.hidden = true;
  body.append(
    el('div', { class: 'card-group' }, summary, cards),
    el('section', { class: 'charts' }, reliability.panel, worst.panel),
    subsection('Per-class accuracy', classTarget),
    subsection('Most confused pairs', confused),
  );
  return {
    section,
    charts: { zeroShotReliability: reliability.chart, worstClasses: worst.chart },
    render(z, heading) {
      const r = z.result;
      title.textContent = heading;
      summary.textContent = `${formatCount(r.n)} images, ${formatCount(r.classes)} classes${z.detail.classNames ? '' : ' (the file names no classes: shown by number)'}.`;
      cards.replaceChildren(...zeroShotCards(r));
      reliabilityNote.textContent = `ECE ${r.ece.toFixed(4)} at τ = ${r.ece_tau}: bars below the dashed diagonal are over-confident.`;
      worstNote.textContent = `The ${Math.min(worstClassesShown, r.per_class.filter((_, c) => (z.detail.perClassCount[c] ?? 0) > 0).length)} classes with the lowest top-1 accuracy; the dashed line is the accuracy over all images.`;
      classTable.render(z);
      renderConfusedPairs(confused, z);
    },
  };
}
