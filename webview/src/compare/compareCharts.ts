import type { EChartsType } from 'echarts/core';
import type { CompareSnapshot } from '../../../src/protocol/comparePanel';
import { readPalette, type Palette } from '../theme';
import { init, type CompareChartOption } from './echarts';
import { histogramsOption } from './histogramsOption';
import { planeOption } from './planeOption';
import { recallOption } from './recallOption';

export type CompareChartName = 'plane' | 'histograms' | 'recall';

const optionFor: Record<CompareChartName, (s: CompareSnapshot, p: Palette) => CompareChartOption> = {
  plane: planeOption,
  histograms: (s, p) => histogramsOption(s.histograms, s.checkpoints.map((c) => c.name), p),
  recall: recallOption,
};

declare global {
  interface Window {
    /** Test seam: the live compare charts, so browser tests can read back what was drawn. */
    embeddingLensCompareCharts?: Partial<Record<CompareChartName, EChartsType>>;
  }
}

/** The compare view's charts, drawn from the last snapshot in the theme's current colours. */
export class CompareCharts {
  private readonly charts: Partial<Record<CompareChartName, EChartsType>> = {};
  private snapshot: CompareSnapshot | undefined;

  constructor(private readonly containers: Record<CompareChartName, HTMLElement>) {
    window.embeddingLensCompareCharts = this.charts;
    window.addEventListener('resize', () => Object.values(this.charts).forEach((c) => c.resize()));
  }

  render(snapshot: CompareSnapshot): void {
    this.snapshot = snapshot;
    this.redraw();
  }

  redraw(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const palette = readPalette();
    for (const name of Object.keys(optionFor) as CompareChartName[]) {
      const chart = (this.charts[name] ??= init(this.containers[name], undefined, { renderer: 'canvas' }));
      chart.setOption(optionFor[name](snapshot, palette), { notMerge: true });
    }
  }

  /** The chart as a PNG data URL on the theme's background (a transparent PNG is unreadable elsewhere). */
  png(name: CompareChartName): string | undefined {
    return this.charts[name]?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: readPalette().background });
  }
}
