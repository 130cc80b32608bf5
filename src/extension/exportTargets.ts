import * as vscode from 'vscode';
import type { ImageFormat, MetricsFormat } from '../protocol/export';
import { Disposable } from './disposable';
import type { ViewExport } from './viewExport';

/** True while an Embedding Lens view is the active editor: the export commands' `when` clause. */
const contextKey = 'embeddingLens.exportableViewActive';

/**
 * Every open view that exports (analysis panels, checkpoint editors, comparisons, dashboards), so
 * the export commands act on whichever of them is the active editor.
 */
export class ExportTargets extends Disposable {
  private readonly views = new Map<vscode.WebviewPanel, ViewExport>();

  constructor() {
    super();
    this.register({ dispose: () => this.views.clear() });
  }

  /** Tracks `panel` until it is disposed. */
  add(panel: vscode.WebviewPanel, exporter: ViewExport): void {
    this.views.set(panel, exporter);
    const sub = panel.onDidChangeViewState(() => this.updateContext());
    panel.onDidDispose(() => {
      sub.dispose();
      this.views.delete(panel);
      this.updateContext();
    });
    this.updateContext();
  }

  active(): ViewExport | undefined {
    for (const [panel, exporter] of this.views) if (panel.active) return exporter;
    return undefined;
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', contextKey, this.active() !== undefined);
  }
}

/**
 * What a script or test may pass to an export command: the chart, and a file to write without a
 * dialog. Menus pass their resource's Uri instead, which must not become the target.
 */
interface ExportOptions {
  chart?: string;
  target?: vscode.Uri;
}

function exportOptions(arg: unknown): ExportOptions {
  if (!arg || typeof arg !== 'object' || arg instanceof vscode.Uri) return {};
  const { chart, target } = arg as { chart?: unknown; target?: unknown };
  return {
    chart: typeof chart === 'string' ? chart : undefined,
    target: target instanceof vscode.Uri ? target : typeof target === 'string' ? vscode.Uri.file(target) : undefined,
  };
}

function activeView(targets: ExportTargets): ViewExport {
  const view = targets.active();
  if (!view)
    throw new Error(
      'open an Embedding Lens analysis, comparison or training dashboard first: export works on the active one',
    );
  return view;
}

/** Resolves to the file written, or undefined when the save dialog was dismissed. */
export function exportMetrics(
  targets: ExportTargets,
  format: MetricsFormat,
  arg?: unknown,
): Promise<vscode.Uri | undefined> {
  return activeView(targets).exportMetrics(format, exportOptions(arg).target);
}

/** Asks which chart when the caller did not say; resolves to the file written. */
export async function exportChart(
  targets: ExportTargets,
  format: ImageFormat,
  arg?: unknown,
): Promise<vscode.Uri | undefined> {
  const view = activeView(targets);
  const options = exportOptions(arg);
  let chart = options.chart;
  if (chart === undefined) {
    const items = view.charts.map((c) => ({ label: c.title, id: c.id }));
    chart = (
      await vscode.window.showQuickPick(items, {
        title: `Export Chart as ${format.toUpperCase()}`,
        placeHolder: 'Which chart?',
      })
    )?.id;
    if (chart === undefined) return undefined;
  }
  if (!view.charts.some((c) => c.id === chart))
    throw new Error(`this view has no chart "${chart}": it has ${view.charts.map((c) => c.id).join(', ')}`);
  return view.exportChart(chart, format, options.target);
}
