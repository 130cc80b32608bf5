/**
 * Exporting from a view, the same for every view: its metrics as CSV or JSON (the host formats them)
 * and one chart as PNG or SVG (the view draws it). A button in the view asks directly; a command in
 * the host sends `exportChart` and the view answers with `exportImage` carrying the same request id.
 */
export type ImageFormat = 'png' | 'svg';
export type MetricsFormat = 'csv' | 'json';

export interface ChartInfo {
  readonly id: string;
  /** The chart's heading in the view, also what the command's chart picker lists. */
  readonly title: string;
}

export type HostToViewExport = { type: 'exportChart'; request: number; chart: string; format: ImageFormat };

export type ViewToHostExport =
  | { type: 'exportMetrics'; format: MetricsFormat }
  /**
   * PNG as a data: URL, SVG as the document's text; '' when the chart is not drawn yet. `request`
   * answers the host's exportChart; a button's click has none.
   */
  | { type: 'exportImage'; chart: string; format: ImageFormat; data: string; request?: number };
