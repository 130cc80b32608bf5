import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportTargets } from '../exportTargets';
import { PanelSet } from '../panelSet';
import { DashboardView } from './dashboardView';
import type { TrainingRuns } from './trainingRuns';

export const dashboardViewType = 'embeddingLens.trainingDashboard';

/** One dashboard per *.m2mix.json, beside the config, fed full snapshots while its run goes. */
export class DashboardPanelSet extends PanelSet<DashboardView> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly runs: TrainingRuns,
    private readonly exports: ExportTargets,
  ) {
    super(dashboardViewType, extensionUri, vscode.ViewColumn.Beside);
    this.register(runs.onDidChange((file) => this.viewOf(file)?.update()));
  }

  /** Opens (or reveals) the dashboard of `configFile`; nothing when the config has never run. */
  async show(configFile: string, preserveFocus = false): Promise<void> {
    const open = this.reveal(configFile, preserveFocus);
    if (open) {
      open.update();
      return;
    }
    // A run this window has not seen is replayed from its run folder.
    const fallback = this.runs.snapshot(configFile) ? undefined : await this.runs.loadFromDisk(configFile);
    if (!this.runs.snapshot(configFile) && !fallback) return;
    const name = path.basename(configFile).replace(/\.m2mix\.json$/i, '');
    this.open(
      configFile,
      `Training: ${name}`,
      (panel) => new DashboardView(panel, configFile, this.extensionUri, this.runs, this.exports, fallback),
      preserveFocus,
    );
  }
}
