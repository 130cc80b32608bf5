import * as vscode from 'vscode';
import { checkpointNames } from '../snapshots/compare/checkpointNames';
import { CompareView } from './compareView';
import type { ExportTargets } from './exportTargets';
import { PanelSet } from './panelSet';
import type { WorkerClient } from './workerClient';
import type { AnalysisEngines } from './analysisEngine';

export const comparePanelViewType = 'embeddingLens.compare';

/** One panel per set of checkpoints: comparing the same set again reveals and re-runs it. */
export class ComparePanelSet extends PanelSet<CompareView> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    private readonly exports: ExportTargets,
    private readonly engines: AnalysisEngines,
  ) {
    super(comparePanelViewType, extensionUri, vscode.ViewColumn.Active);
  }

  /** A new panel's view runs the comparison once its page is ready; an open one re-runs it now. */
  showCheckpoints(checkpoints: string[][]): void {
    const title = checkpointNames(checkpoints).join(' vs ');
    const key = checkpoints.map((c) => c.join('+')).join('\n');
    const { view, created } = this.revealOrOpen(
      key,
      `Compare: ${title}`,
      (panel) => new CompareView(panel, checkpoints, title, this.extensionUri, this.worker, this.exports, this.engines),
    );
    if (!created) void view.run();
  }
}
