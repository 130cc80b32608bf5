import type { EChartsType } from 'echarts/core';
import type { CompareChart, CompareSnapshot } from '../../../src/protocol/comparePanel';
import { ChartHost } from '../charts/chartHost';
import type { Palette } from '../theme';
import './echarts';
import type { CompareChartOption } from './echarts';
import { histogramsOption } from './histogramsOption';
import { planeOption } from './planeOption';
import { recallOption } from './recallOption';

export type CompareChartName = CompareChart;

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
export class CompareCharts extends ChartHost<CompareChartName, CompareSnapshot> {
  constructor(containers: Record<CompareChartName, HTMLElement>) {
    super(containers, optionFor);
    window.embeddingLensCompareCharts = this.charts;
  }
}
