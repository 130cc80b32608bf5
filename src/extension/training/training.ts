import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { ExportTargets } from '../exportTargets';
import type { WorkerClient } from '../workerClient';
import { configSelector, TrainingCodeLens } from './codeLens';
import { DashboardPanels } from './dashboardPanel';
import { scaffoldRun } from './fineTune';
import { TrainingRuns } from './trainingRuns';

/** The config a training command acts on: the CodeLens's document, else the active editor's. */
function configFile(uri?: vscode.Uri): string | undefined {
  const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  if (file && /\.m2mix\.json$/i.test(file)) return file;
  void vscode.window.showInformationMessage('Embedding Lens: open a *.m2mix.json run configuration first (Fine-tune with m²-Mix… writes one).');
  return undefined;
}

/** Fine-tuning in the editor: the scaffold command, the CodeLens, the runs and their dashboards. */
export class Training extends Disposable {
  private readonly runs: TrainingRuns;
  private readonly dashboards: DashboardPanels;

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** A worker of its own, so analyses are not queued behind a long run. */
    worker: WorkerClient,
    log: vscode.OutputChannel,
    exports: ExportTargets,
  ) {
    super();
    this.runs = this.register(new TrainingRuns(worker, log));
    this.dashboards = this.register(new DashboardPanels(extensionUri, this.runs, exports));
    this.register(vscode.languages.registerCodeLensProvider(configSelector, new TrainingCodeLens(this.runs)));
  }

  fineTune(uri?: vscode.Uri): Promise<void> {
    return scaffoldRun(vscode.Uri.joinPath(this.extensionUri, 'schemas', 'm2mix.schema.json'), uri);
  }

  async run(uri?: vscode.Uri): Promise<void> {
    const file = configFile(uri);
    if (file) await this.runs.start(file, () => void this.dashboards.show(file, true));
  }

  cancel(uri?: vscode.Uri): void {
    const file = configFile(uri);
    if (file) this.runs.cancel(file);
  }

  async openDashboard(uri?: vscode.Uri): Promise<void> {
    const file = configFile(uri);
    if (file) await this.dashboards.show(file);
  }
}
