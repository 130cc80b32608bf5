import * as vscode from 'vscode';
import type { ChartInfo, HostToViewExport, ImageFormat, MetricsFormat, ViewToHostExport } from '../protocol/export';
import { saveWithDialog, writeAtomically } from './saveFile';

/** What one view exports: the host formats its metrics; the view draws its charts. */
export interface ExportSource {
  /** The charts the view draws now (they follow what its snapshot holds). */
  charts(): readonly ChartInfo[];
  /** The metrics as a file's text, or undefined while there are none yet. */
  metrics(format: MetricsFormat): string | undefined;
  /** Where the save dialog starts for a file named with `suffix` (e.g. `metrics.json`, `scatter.png`). */
  defaultUri(suffix: string): vscode.Uri;
}

/** How long a view may take to draw a chart for a command; a hidden or busy page never answers. */
const answerTimeoutMs = 15000;
const pngPrefix = 'data:image/png;base64,';
const filters: Record<ImageFormat | MetricsFormat, Record<string, string[]>> = {
  png: { PNG: ['png'] },
  svg: { SVG: ['svg'] },
  csv: { CSV: ['csv'] },
  json: { JSON: ['json'] },
};

interface Pending {
  resolve(data: string): void;
  reject(err: Error): void;
}

/**
 * Exports from one webview, asked by its buttons (messages from the view) or by a command (methods
 * here). With `target` a command writes there without a dialog, for scripts and tests.
 */
export class ViewExport implements vscode.Disposable {
  private nextRequest = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly webview: vscode.Webview,
    private readonly source: ExportSource,
  ) {}

  get charts(): readonly ChartInfo[] {
    return this.source.charts();
  }

  /** A view's export message: a button's click, or the answer to exportChart. */
  onMessage(m: ViewToHostExport): void {
    const report = (err: Error) => void vscode.window.showErrorMessage(`Embedding Lens: ${err.message}`);
    if (m.type === 'exportMetrics') {
      this.exportMetrics(m.format).catch(report);
      return;
    }
    const pending = m.request === undefined ? undefined : this.pending.get(m.request);
    if (pending) {
      this.pending.delete(m.request!);
      pending.resolve(m.data);
    } else if (m.request === undefined && m.data) {
      this.save(m.chart, m.format, m.data).catch(report);
    }
  }

  async exportMetrics(format: MetricsFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (format !== 'csv' && format !== 'json') return undefined;
    const text = this.source.metrics(format);
    if (text === undefined)
      throw new Error('there are no metrics to export yet: the view has not finished its analysis');
    return this.write(`metrics.${format}`, format, Buffer.from(text), target);
  }

  /** Asks the view to draw `chart` as `format`, then saves what it sends. */
  async exportChart(chart: string, format: ImageFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const request = this.nextRequest++;
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request);
        reject(new Error(`the view did not draw the ${chart} chart within ${answerTimeoutMs / 1000} s`));
      }, answerTimeoutMs);
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => (clearTimeout(timer), f(v));
      this.pending.set(request, { resolve: settle(resolve), reject: settle(reject) });
    });
    const message: HostToViewExport = { type: 'exportChart', request, chart, format };
    if (!(await this.webview.postMessage(message))) this.pending.get(request)?.reject(new Error('the view is closed'));
    const data = await answer;
    if (!data) throw new Error(`the ${chart} chart is not drawn yet: export it once the view shows results`);
    return this.save(chart, format, data, target);
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error('the view was closed'));
    this.pending.clear();
  }

  /** The view is ours, but its messages are still input: only a known chart in the asked format is written. */
  private async save(
    chart: string,
    format: ImageFormat,
    data: string,
    target?: vscode.Uri,
  ): Promise<vscode.Uri | undefined> {
    if (!this.charts.some((c) => c.id === chart)) throw new Error(`this view has no chart named "${chart}"`);
    if (format === 'png' && typeof data === 'string' && data.startsWith(pngPrefix))
      return this.write(`${chart}.png`, format, Buffer.from(data.slice(pngPrefix.length), 'base64'), target);
    if (format === 'svg' && typeof data === 'string' && data.startsWith('<svg'))
      return this.write(`${chart}.svg`, format, Buffer.from(data), target);
    throw new Error(`the view sent no ${format.toUpperCase()} image for the ${chart} chart`);
  }

  private write(
    suffix: string,
    format: ImageFormat | MetricsFormat,
    body: Uint8Array,
    target?: vscode.Uri,
  ): Promise<vscode.Uri | undefined> {
    return target
      ? writeAtomically(target, body)
      : saveWithDialog(this.source.defaultUri(suffix), filters[format], body);
  }
}
