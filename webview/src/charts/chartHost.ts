import type { EChartsCoreOption, EChartsType } from 'echarts/core';
import { init } from 'echarts/core';
import { readPalette, type Palette } from '../theme';
import { describeChart } from './chartText';

/**
 * Builds one chart's whole option from a view's snapshot and the theme's colours; undefined when
 * this snapshot has no such chart (a classification set has no scatter, a suite comparison no plane).
 */
export type OptionBuilder<Snapshot> = (snapshot: Snapshot, palette: Palette) => EChartsCoreOption | undefined;

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
    window.addEventListener('resize', () => this.resize());
  }

  /** Fits each chart to its container again: after a window resize, or a collapsed section opening. */
  resize(): void {
    for (const c of Object.values(this.charts) as EChartsType[]) c.resize();
  }

  render(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.redraw();
  }

  /**
   * One chart as a file body: PNG as a data: URL (twice the screen's pixels), SVG as text from
   * ECharts' server-side SVG renderer (no DOM, so nothing the CSP could block), at the on-screen
   * size. Both on the theme's background, since the on-screen charts are transparent.
   */
  exportImage(name: Name, format: 'png' | 'svg'): string | undefined {
    const chart = this.charts[name];
    const snapshot = this.snapshot;
    if (!chart || snapshot === undefined) return undefined;
    const palette = readPalette();
    const option = this.optionFor[name](snapshot, palette);
    if (!option) return undefined;
    if (format === 'png') return chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: palette.background });
    const svg = init(null, undefined, {
      renderer: 'svg',
      ssr: true,
      width: chart.getWidth(),
      height: chart.getHeight(),
    });
    try {
      svg.setOption({ ...option, backgroundColor: palette.background });
      return svg.renderToSVGString();
    } finally {
      svg.dispose();
    }
  }

  /** Re-reads the palette: called on a theme change. */
  redraw(): void {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return;
    const palette = readPalette();
    for (const name of Object.keys(this.optionFor) as Name[]) this.draw(name, snapshot, palette);
  }

  /** Redraws one chart alone (e.g. while it is dragged), leaving the others as they are. */
  redrawChart(name: Name): void {
    if (this.snapshot !== undefined) this.draw(name, this.snapshot, readPalette());
  }

  private draw(name: Name, snapshot: Snapshot, palette: Palette): void {
    const option = this.optionFor[name](snapshot, palette);
    if (!option) {
      // Its container is hidden now; an instance left behind would keep a stale, zero-sized canvas.
      this.charts[name]?.dispose();
      delete this.charts[name];
      return;
    }
    const chart = (this.charts[name] ??= init(this.containers[name], undefined, { renderer: 'canvas' }));
    chart.setOption(option, { notMerge: true });
    describeChart(this.containers[name], option);
  }
}
