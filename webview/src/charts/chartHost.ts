import type { EChartsCoreOption, EChartsType } from 'echarts/core';
import { init } from 'echarts/core';
import { readPalette, type Palette } from '../theme';

/** Builds one chart's whole option from a view's snapshot and the theme's colours. */
export type OptionBuilder<Snapshot> = (snapshot: Snapshot, palette: Palette) => EChartsCoreOption;

/**
 * The chart lifecycle every view shares (analysis, compare, dashboard): one ECharts instance per
 * container, created on first draw (it measures the container then), redrawn whole from the last
 * snapshot in the theme's current colours, and resized with the window. The views register the
 * ECharts parts they use by importing their own `echarts` module.
 */
export class ChartHost<Name extends string, Snapshot> {
  /** The live instances by name; the views also hand this to their browser-test seam. */
  readonly charts: Partial<Record<Name, EChartsType>> = {};
  private snapshot: Snapshot | undefined;

  constructor(
    private readonly containers: Record<Name, HTMLElement>,
    private readonly optionFor: Record<Name, OptionBuilder<Snapshot>>,
  ) {
    window.addEventListener('resize', () => (Object.values(this.charts) as EChartsType[]).forEach((c) => c.resize()));
  }

  render(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.redraw();
  }

  /** Re-reads the palette: called on a theme change. */
  redraw(): void {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return;
    const palette = readPalette();
    for (const name of Object.keys(this.optionFor) as Name[]) {
      const chart = (this.charts[name] ??= init(this.containers[name], undefined, { renderer: 'canvas' }));
      chart.setOption(this.optionFor[name](snapshot, palette), { notMerge: true });
    }
  }
}
