import type { EChartsType } from 'echarts/core';
import type { AnalysisSnapshot } from '../../../src/protocol/analysisPanel';
import { readPalette, type Palette } from '../theme';
import { init, type ChartOption } from './echarts';
import { histogramOption } from './histogramOption';
import { reliabilityOption } from './reliabilityOption';
import { scatterOption } from './scatterOption';

export type ChartName = 'scatter' | 'histogram' | 'reliability';

const optionFor: Record<ChartName, (s: AnalysisSnapshot, p: Palette) => ChartOption> = {
  scatter: (s, p) => scatterOption(s.scatter, p),
  histogram: (s, p) => histogramOption(s.histogram, p),
  reliability: (s, p) => reliabilityOption(s.reliability, p),
};

declare global {
  interface Window {
    /** Test seam: the live chart instances, so browser tests can read back what was drawn. */
    embeddingLensCharts?: Partial<Record<ChartName, EChartsType>>;
  }
}

/** The panel's charts: drawn from the last snapshot with the theme's colours as they are now. */
export class ChartSet {
  private readonly charts: Partial<Record<ChartName, EChartsType>> = {};
  private snapshot: AnalysisSnapshot | undefined;

  constructor(private readonly containers: Record<ChartName, HTMLElement>) {
    window.embeddingLensCharts = this.charts;
    window.addEventListener('resize', () => Object.values(this.charts).forEach((c) => c.resize()));
  }

  render(snapshot: AnalysisSnapshot): void {
    this.snapshot = snapshot;
    this.redraw();
  }

  /** Re-reads the palette: called on a theme change. */
  redraw(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const palette = readPalette();
    for (const name of Object.keys(optionFor) as ChartName[]) {
      const chart = (this.charts[name] ??= init(this.containers[name], undefined, { renderer: 'canvas' }));
      chart.setOption(optionFor[name](snapshot, palette), { notMerge: true });
    }
  }
}
