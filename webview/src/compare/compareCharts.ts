import type { EChartsType } from 'echarts/core';
import {
  isSuiteComparison,
  type AnyCompareSnapshot,
  type CompareChart,
  type CompareSnapshot,
} from '../../../src/protocol/comparePanel';
import { ChartHost } from '../charts/chartHost';
import type { Palette } from '../theme';
import './compareEcharts';
import type { CompareChartOption } from './compareEcharts';
import { histogramsOption } from './histogramsOption';
import { planeOption } from './planeOption';
import { recallOption } from './recallOption';
import { robustnessOption } from './robustnessOption';

export type CompareChartName = CompareChart;

const retrieval =
  (draw: (s: CompareSnapshot, p: Palette) => CompareChartOption) => (s: AnyCompareSnapshot, p: Palette) =>
    isSuiteComparison(s) ? undefined : draw(s, p);

const optionFor: Record<CompareChartName, (s: AnyCompareSnapshot, p: Palette) => CompareChartOption | undefined> = {
  plane: retrieval(planeOption),
  histograms: retrieval((s, p) =>
    histogramsOption(
      s.histograms,
      s.checkpoints.map((c) => c.name),
      p,
    ),
  ),
  recall: retrieval(recallOption),
  robustness: (s, p) => (isSuiteComparison(s) ? robustnessOption(s, p) : undefined),
};

declare global {
  interface Window {
    /** Test seam: the live compare charts, so browser tests can read back what was drawn. */
    embeddingLensCompareCharts?: Partial<Record<CompareChartName, EChartsType>>;
  }
}

/** The compare view's charts, drawn from the last snapshot in the theme's current colours. */
export class CompareCharts extends ChartHost<CompareChartName, AnyCompareSnapshot> {
  constructor(containers: Record<CompareChartName, HTMLElement>) {
    super(containers, optionFor);
    window.embeddingLensCompareCharts = this.charts;
  }
}
