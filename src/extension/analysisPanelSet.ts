import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelMetrics } from '../snapshots/analysis/panelMetrics';
import { AnalysisView } from './analysisView';
import type { AnalysisEngines } from './analysisEngine';
import type { ExportTargets } from './exportTargets';
import { PanelSet } from './panelSet';
import type { WorkerClient } from './workerClient';

export const analysisPanelViewType = 'embeddingLens.analysis';

/** One panel per checkpoint: analysing the same files again reveals and re-runs the open panel. */
export class AnalysisPanelSet extends PanelSet<AnalysisView> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    private readonly exports: ExportTargets,
    private readonly engines: AnalysisEngines,
  ) {
    super(analysisPanelViewType, extensionUri, vscode.ViewColumn.Active);
  }

  /** Opens (or reveals) the panel and runs the analysis; resolves to the metrics when it succeeds. */
  showFiles(files: string[]): Promise<PanelMetrics | undefined> {
    const title = files.map((f) => path.basename(f)).join(' + ');
    const { view } = this.revealOrOpen(
      files.join('\n'),
      `Embedding Lens: ${title}`,
      (panel) => new AnalysisView(panel, files, title, this.extensionUri, this.worker, this.exports, this.engines),
    );
    return view.run();
  }
}
