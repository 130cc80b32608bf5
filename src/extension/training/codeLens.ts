import * as vscode from 'vscode';
import type { TrainingRuns } from './trainingRuns';

export const configSelector: vscode.DocumentSelector = { pattern: '**/*.m2mix.json' };

/** ▶ Run / ■ Cancel and Open dashboard above the first line of every *.m2mix.json. */
export class TrainingCodeLens implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly runs: TrainingRuns) {
    this.onDidChangeCodeLenses = runs.onDidChangeStatus;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [document.uri];
    const main = this.runs.isRunning(document.uri.fsPath)
      ? { title: '■ Cancel', command: 'embeddingLens.cancelTraining', tooltip: 'Stop the run before its next step', arguments: args }
      : { title: '▶ Run', command: 'embeddingLens.runTraining', tooltip: 'Fine-tune with this configuration (in the compute worker)', arguments: args };
    return [new vscode.CodeLens(top, main), new vscode.CodeLens(top, { title: 'Open dashboard', command: 'embeddingLens.openTrainingDashboard', arguments: args })];
  }
}
