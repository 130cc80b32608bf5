import type { EChartsType } from 'echarts/core';
import type { AnalysisSnapshot } from '../../../src/protocol/analysisPanel';
import type { Palette } from '../theme';
import { ChartHost } from './chartHost';
import './echarts';
import type { ChartOption } from './echarts';
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
export class ChartSet extends ChartHost<ChartName, AnalysisSnapshot> {
  constructor(containers: Record<ChartName, HTMLElement>) {
    super(containers, optionFor);
    window.embeddingLensCharts = this.charts;
  }
}
